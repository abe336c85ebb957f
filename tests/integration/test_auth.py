"""Signing in: throttling, CSRF, password policy, sessions ended by a password change."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from records.models import AuditEvent
from tests.conftest import PASSWORD, do_login


def test_login_success_and_failure_are_audited(app: Flask, client, make_user, db_session) -> None:  # type: ignore[no-untyped-def]
    user = make_user("secretary")
    resp = do_login(client, user.username, "wrong-password-1")
    assert resp.status_code == 401 and "Wrong user name or password" in resp.get_data(as_text=True)
    assert do_login(client, user.username).status_code == 302
    actions = [e.action for e in db_session.scalars(select(AuditEvent).where(AuditEvent.object_id == str(user.id)))]
    assert "auth:login_failed" in actions and "auth:login" in actions


def test_unknown_user_gets_the_same_answer(client) -> None:  # type: ignore[no-untyped-def]
    resp = do_login(client, "nobody", "whatever-123")
    assert resp.status_code == 401 and "Wrong user name or password" in resp.get_data(as_text=True)


def test_the_address_is_slowed_after_repeated_failures(app: Flask, client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("secretary")
    for _ in range(app.config["LOGIN_FREE_FAILURES"]):
        assert do_login(client, user.username, "bad-password-9").status_code == 401
    resp = do_login(client, user.username)  # too early: not even the right password is checked
    assert resp.status_code == 429 and "Try again in" in resp.get_data(as_text=True)


def test_pages_need_login_and_logout_needs_post(client, login_as) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/nomenclature/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    c = login_as("auditor")
    assert c.get("/logout").status_code == 405
    assert c.post("/logout").status_code == 302
    assert c.get("/nomenclature/").status_code == 302


def test_csrf_is_enforced_on_forms(app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user("secretary")
    client = app.test_client()
    resp = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert resp.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    resp = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302


def test_password_change_policy_and_other_sessions_end(app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("secretary")
    first, second = app.test_client(), app.test_client()
    assert do_login(first, user.username).status_code == 302
    assert do_login(second, user.username).status_code == 302
    resp = first.post("/account/password", data={"current": PASSWORD, "new": "short", "repeat": "short"})
    assert resp.status_code == 400
    resp = first.post("/account/password", data={"current": PASSWORD, "new": "new-secret-42", "repeat": "new-secret-42"})
    assert resp.status_code == 302
    assert first.get("/nomenclature/").status_code == 200
    assert second.get("/nomenclature/").status_code == 302  # the other session is over
    assert do_login(app.test_client(), user.username, "new-secret-42").status_code == 302


def test_security_headers_and_cookie_flags(client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("auditor")
    resp = do_login(client, user.username)
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/nomenclature/")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_language_switch(client, login_as) -> None:  # type: ignore[no-untyped-def]
    c = login_as("auditor")
    c.get("/lang/ru")
    assert "Номенклатура" in c.get("/nomenclature/").get_data(as_text=True)
    c.get("/lang/en")
    assert "Nomenclature of cases" in c.get("/nomenclature/").get_data(as_text=True)
    resp = c.get("/lang/ky?next=//evil.example/")
    assert resp.headers["Location"] == "/"


def test_the_api_answers_to_tokens_only_and_pages_to_sessions_only(app: Flask, login_as, api_token,  # type: ignore[no-untyped-def]
                                                                    db_session) -> None:
    from urllib.parse import urlsplit

    from records.models import ApiToken

    signed_in = login_as("auditor")
    refused = signed_in.get("/api/v1/nomenclature")
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "unauthorized"
    assert refused.headers["WWW-Authenticate"] == 'Bearer realm="sandyk"'

    token = api_token("auditor")
    bearer = {"Authorization": f"Bearer {token}"}
    page = app.test_client().get("/nomenclature/", headers=bearer)
    assert page.status_code == 302 and urlsplit(page.headers["Location"]).path == "/login"

    answer = app.test_client().get("/api/v1/nomenclature", headers=bearer)
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers  # signed in for this request only
    assert db_session.scalar(select(ApiToken.last_used_at).where(ApiToken.prefix == token[:10])) is not None

    denied = app.test_client().post("/api/v1/acts", headers=bearer, json={})
    assert denied.status_code == 403 and denied.get_json()["error"]["code"] == "forbidden"


def test_a_token_is_checked_with_its_account_and_roles_in_one_query(app: Flask, api_token) -> None:  # type: ignore[no-untyped-def]
    """Every API request begins with its token: one round trip for the token, the account and its roles."""
    from sqlalchemy import event

    from records import accounts
    from records.db import get_database, session_scope

    token = api_token("auditor", "secretary")
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = get_database(app).engine
    with app.app_context(), session_scope(app) as session:
        event.listen(engine, "before_cursor_execute", seen)
        try:
            user = accounts.user_for_token(session, token)
            assert user is not None and user.roles == {"auditor", "secretary"}
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
