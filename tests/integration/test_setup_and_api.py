"""The setup command, the users commands and the first API endpoint."""
from __future__ import annotations

from datetime import date

from flask import Flask
from sqlalchemy import func, select

from records.models import AuditEvent, Nomenclature, User


def test_setup_is_harmless_to_repeat(app: Flask) -> None:
    from records.cli import setup_data
    from records.db import session_scope

    setup_data(app, echo=False)
    with app.app_context(), session_scope(app) as session:
        assert session.scalar(select(func.count(User.id))) == 1
        assert session.scalar(select(func.count(Nomenclature.id))) == 1
        nom = session.scalar(select(Nomenclature))
        assert nom.year == date.today().year and len(nom.items) == 29


def test_cli_users_create_and_token_authenticate_the_api(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "aigul", "--role", "auditor", "--full-name", "Айгүл"],
                           input="long-enough-pass-1\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "token", "aigul"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("sdk_")

    client = app.test_client()
    resp = client.get(f"/api/v1/nomenclature?year={date.today().year}", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200
    body = resp.get_json()
    items = {i["index"]: i for i in body["items"]}
    assert len(items) == 29
    assert items["12-4-7"]["rule"] == {"kind": "permanent", "years": None, "epk": False, "articles": ["334"]}
    assert items["12-4-8"]["rule"]["kind"] == "years" and items["12-4-8"]["rule"]["years"] == 5
    assert items["12-4-1"]["rule"]["kind"] == "until_needed"
    assert items["12-4-17"]["retention"] == "1-ж. ст.424"
    assert "Set-Cookie" not in resp.headers


def test_cli_refuses_weak_password_and_unknown_user(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "bob", "--role", "secretary"], input="short\n")
    assert result.exit_code != 0 and "at least" in result.output
    result = runner.invoke(args=["users", "token", "nobody"])
    assert result.exit_code != 0 and "nobody" in result.output


def test_api_without_or_with_bad_token_is_401_json(client) -> None:  # type: ignore[no-untyped-def]
    for headers in ({}, {"Authorization": "Bearer sdk_wrong"}, {"Authorization": "Basic abc"}):
        resp = client.get("/api/v1/nomenclature", headers=headers)
        assert resp.status_code == 401
        assert resp.get_json()["error"]["code"] == "unauthorized"
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_api_unknown_year_is_404_json(client, api_token) -> None:  # type: ignore[no-untyped-def]
    token = api_token("auditor")
    resp = client.get("/api/v1/nomenclature?year=1999", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "no_nomenclature"
    resp = client.get("/api/v1/nomenclature?year=abc", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_year"


def test_revoked_token_stops_working(app: Flask, client, api_token) -> None:  # type: ignore[no-untyped-def]
    from records import accounts
    from records.db import session_scope

    token = api_token("auditor")
    with app.app_context(), session_scope(app) as session:
        user = accounts.user_for_token(session, token)
        assert user is not None
        assert accounts.revoke_tokens(session, user) == 1
    resp = client.get("/api/v1/nomenclature", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401


def test_healthz(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok", "database": True}


def test_setup_is_audited(app: Flask) -> None:
    from records.db import session_scope

    with app.app_context(), session_scope(app) as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {"nomenclature:create", "user:create"} <= actions
