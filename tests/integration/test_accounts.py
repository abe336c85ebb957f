"""The administrator's changes to an account (``accounts.update_user``), as a service and through its
page: what is refused, what is audited, whose sessions and tokens end."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from records import accounts
from records.db import session_scope
from records.errors import NotFound, UserError
from records.models import ApiToken, AuditEvent, User, UserSession
from tests.conftest import PASSWORD, do_login


def _update(app: Flask, user_id: int, actor_id: int, **changes: Any) -> None:
    """``update_user`` on fresh rows, in one committed transaction (rolled back when it is refused)."""
    with app.test_request_context(), session_scope(app) as session:
        user, actor = session.get(User, user_id), session.get(User, actor_id)
        values = {"full_name": user.full_name, "roles": sorted(user.roles), "active": user.active, "password": ""}
        values.update(changes)
        accounts.update_user(session, user, min_length=app.config["PASSWORD_MIN_LENGTH"], actor=actor, **values)


def _actions(db_session: Any, user: User) -> list[str]:
    return list(db_session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "user",
                                                                   AuditEvent.object_id == str(user.id))))


def _live_sessions(db_session: Any, user: User) -> int:
    return len(db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all())


@pytest.fixture
def admin(make_user: Callable[..., Any]) -> Any:
    return make_user("admin")


def test_nobody_switches_off_their_own_account(app: Flask, admin: Any, db_session: Any) -> None:
    with pytest.raises(UserError) as refused:
        _update(app, admin.id, admin.id, active=False, full_name="Renamed")
    assert refused.value.code == "self_deactivate"
    row = db_session.get(User, admin.id)
    assert row.active and row.full_name == admin.full_name  # the rename went back with the refusal


def test_another_account_is_switched_off_and_on_with_audit(app: Flask, admin: Any, make_user: Any,
                                                            db_session: Any) -> None:
    clerk = make_user("secretary")
    _update(app, clerk.id, admin.id, active=False)
    assert db_session.get(User, clerk.id).active is False
    _update(app, clerk.id, admin.id, active=True)
    db_session.expire_all()
    assert db_session.get(User, clerk.id).active is True
    assert _actions(db_session, clerk)[-2:] == ["user:deactivate", "user:activate"]


def test_a_rename_is_audited_with_both_names_and_none_keeps_the_name(app: Flask, admin: Any, make_user: Any,
                                                                     db_session: Any) -> None:
    clerk = make_user("secretary")
    _update(app, clerk.id, admin.id, full_name="  Aigul Asanova ")
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "user:rename")).one()
    assert (event.detail["before"], event.detail["after"]) == (clerk.full_name, "Aigul Asanova")
    _update(app, clerk.id, admin.id, full_name=None)
    db_session.expire_all()
    assert db_session.get(User, clerk.id).full_name == "Aigul Asanova"
    assert _actions(db_session, clerk).count("user:rename") == 1


def test_new_roles_end_the_users_sessions(app: Flask, admin: Any, make_user: Any, db_session: Any) -> None:
    clerk = make_user("secretary")
    client = app.test_client()
    assert do_login(client, clerk.username).status_code == 302
    assert _live_sessions(db_session, clerk) == 1
    _update(app, clerk.id, admin.id, roles=["secretary", "auditor"])
    db_session.expire_all()
    assert sorted(db_session.get(User, clerk.id).roles) == ["auditor", "secretary"]
    assert _live_sessions(db_session, clerk) == 0
    assert client.get("/").status_code == 302  # the old cookie no longer opens pages


def test_unchanged_roles_leave_sessions_alone(app: Flask, admin: Any, make_user: Any, db_session: Any) -> None:
    clerk = make_user("secretary")
    assert do_login(app.test_client(), clerk.username).status_code == 302
    _update(app, clerk.id, admin.id)
    assert _live_sessions(db_session, clerk) == 1
    assert "user:roles" not in _actions(db_session, clerk)


def test_an_administrator_cannot_give_roles_to_themselves(app: Flask, admin: Any, db_session: Any) -> None:
    with pytest.raises(UserError) as refused:
        _update(app, admin.id, admin.id, roles=["admin", "auditor"])
    assert refused.value.code == "self_grant"
    assert db_session.get(User, admin.id).roles == {"admin"}


def test_a_new_password_revokes_tokens_and_an_empty_one_keeps_the_old(app: Flask, admin: Any, make_user: Any,
                                                                      db_session: Any, api_token: Any) -> None:
    clerk = make_user("secretary")
    with app.app_context(), session_scope(app) as session:
        accounts.issue_token(session, session.get(User, clerk.id), actor="test")
    _update(app, clerk.id, admin.id, password="")
    assert do_login(app.test_client(), clerk.username, PASSWORD).status_code == 302
    assert db_session.scalars(select(ApiToken).where(ApiToken.user_id == clerk.id)).one().revoked_at is None

    with pytest.raises(UserError) as refused:
        _update(app, clerk.id, admin.id, password="short")
    assert refused.value.code == "weak_password"

    _update(app, clerk.id, admin.id, password="another-horse-9")
    db_session.expire_all()
    assert db_session.scalars(select(ApiToken).where(ApiToken.user_id == clerk.id)).one().revoked_at is not None
    assert do_login(app.test_client(), clerk.username, PASSWORD).status_code == 401
    assert do_login(app.test_client(), clerk.username, "another-horse-9").status_code == 302


def test_an_unknown_account_is_not_found(app: Flask) -> None:
    with app.app_context(), session_scope(app) as session, pytest.raises(NotFound):
        accounts.get_user_by_id(session, 999999)


def test_the_page_shows_a_refusal_on_the_form_and_keeps_nothing(app: Flask, make_user: Any, login_as: Any,
                                                                db_session: Any) -> None:
    client = login_as("admin")
    me = client.user.id
    resp = client.post(f"/admin/users/{me}", data={"full_name": "Someone Else", "roles": ["admin"]})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "You cannot switch off your own account." in page
    assert 'value="Someone Else"' in page  # what was typed is shown again
    assert db_session.get(User, me).full_name == client.user.full_name

    clerk = make_user("secretary")
    resp = client.post(f"/admin/users/{clerk.id}", data={"full_name": "Clerk", "roles": ["secretary"], "active": "1"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/users"
    assert db_session.get(User, clerk.id).full_name == "Clerk"
    assert client.get("/admin/users/999999").status_code == 404
