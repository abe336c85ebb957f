"""People: accounts, roles, passwords, login throttling and API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from records import audit, db
from records.db import utcnow
from records.errors import Conflict, NotFound, UserError
from records.i18n import _l
from records.models import ApiToken, User, UserRole
from records.permissions import Role

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
_dummy_hashes: dict[str, str] = {}
# A token's last use is written at most this often.
TOKEN_USE_GRANULARITY = timedelta(minutes=1)


def _dummy_hash() -> str:
    """A hash that no password matches, made with the configured method and checked when the user
    does not exist, so that the answer's timing does not tell which user names exist."""
    method = (current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None) or "default"
    if method not in _dummy_hashes:
        _dummy_hashes[method] = hash_password("sandyk-dummy-password")
    return _dummy_hashes[method]


def hash_password(password: str) -> str:
    # Deployments keep Werkzeug's default (scrypt); the test suite may choose a cheaper method.
    method = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
    return generate_password_hash(password, method=method) if method else generate_password_hash(password)


def check_password_policy(password: str, min_length: int) -> None:
    if len(password) < min_length:
        raise UserError("weak_password", _l("The password must have at least %(n)s characters.", n=min_length))
    if password.isdigit() or password.isalpha() or len(set(password)) < 4:
        raise UserError("weak_password", _l("The password must mix letters with digits or other signs."))


def normalise_username(name: str) -> str:
    name = (name or "").strip().lower()
    if not (2 <= len(name) <= 64) or not set(name) <= USERNAME_CHARS:
        raise UserError(
            "bad_username",
            _l("A user name has 2 to 64 characters: Latin letters, digits, dot, dash or underscore."),
        )
    return name


def parse_roles(roles: list[str] | set[str]) -> set[str]:
    result = set()
    for r in roles:
        try:
            result.add(Role(r.strip()).value)
        except ValueError:
            raise UserError(
                "bad_role", _l("Unknown role %(role)s. Roles: %(roles)s.", role=r, roles=", ".join(Role))
            ) from None
    if not result:
        raise UserError("bad_role", _l("Choose at least one role."))
    return result


def create_user(session: Session, username: str, password: str, roles: list[str] | set[str], *,
                full_name: str = "", min_length: int = 10, actor: User | str | None = None) -> User:
    username = normalise_username(username)
    role_set = parse_roles(roles)
    check_password_policy(password, min_length)
    if session.scalar(select(User.id).where(User.username == username)):
        raise Conflict("user_exists", _l("A user named %(name)s already exists.", name=username))
    user = User(username=username, full_name=full_name.strip(), password_hash=hash_password(password),
                password_changed_at=utcnow())
    user.role_rows = [UserRole(role=r) for r in sorted(role_set)]
    session.add(user)
    session.flush()
    audit.record(session, "user:create", user, actor=actor, username=username, roles=sorted(role_set))
    return user


def set_roles(session: Session, user: User, roles: list[str] | set[str], *, actor: User | None = None) -> None:
    role_set = parse_roles(roles)
    before = sorted(user.roles)
    if set(before) == role_set:
        return
    user.role_rows = [UserRole(role=r) for r in sorted(role_set)]
    session.flush()
    audit.record(session, "user:roles", user, actor=actor, before=before, after=sorted(role_set))


def set_active(session: Session, user: User, active: bool, *, actor: User | None = None) -> None:
    if user.active != active:
        user.active = active
        audit.record(session, "user:activate" if active else "user:deactivate", user, actor=actor)


def set_password(session: Session, user: User, password: str, *, min_length: int,
                 actor: User | None = None) -> None:
    check_password_policy(password, min_length)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, "user:password", user, actor=actor)


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound("no_user", _l("There is no user named %(name)s.", name=username))
    return user


def verify_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password or "")


def _aware(dt: datetime | None) -> datetime | None:
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt


def authenticate(session: Session, username: str, password: str, *, max_failures: int,
                 lockout_minutes: int, ip: str | None = None) -> User:
    """Check a login; count failures and lock the account for a while after too many."""
    name = (username or "").strip().lower()
    user = session.scalar(select(User).where(User.username == name)) if name else None
    now = utcnow()
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        audit.record(session, "auth:login_failed", object_type="user", actor=name[:64], ip=ip, reason="unknown_user")
        raise UserError("bad_login", _l("Wrong user name or password."), status=401)
    locked_until = _aware(user.locked_until)
    if locked_until and locked_until > now:
        audit.record(session, "auth:login_failed", user, actor=user.username, ip=ip, reason="locked")
        minutes = max(1, int((locked_until - now).total_seconds() // 60) + 1)
        raise UserError("locked", _l("Too many failed attempts. Try again in %(n)s minutes.", n=minutes), status=429)
    if not check_password_hash(user.password_hash, password or ""):
        user.failed_logins += 1
        reason = "bad_password"
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lockout_minutes)
            user.failed_logins = 0
            reason = "locked_now"
        audit.record(session, "auth:login_failed", user, actor=user.username, ip=ip, reason=reason)
        raise UserError("bad_login", _l("Wrong user name or password."), status=401)
    if not user.active:
        audit.record(session, "auth:login_failed", user, actor=user.username, ip=ip, reason="inactive")
        raise UserError("inactive", _l("This account is switched off. Ask the administrator."), status=403)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(session, "auth:login", user, actor=user, ip=ip)
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User, *, actor: User | str | None = None) -> str:
    """Create an API token; only its hash is stored, so this is the one time it can be shown."""
    token = "sdk_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), prefix=token[:10]))
    session.flush()
    audit.record(session, "token:create", user, actor=actor or user, prefix=token[:10])
    return token


def user_for_token(session: Session, token: str) -> User | None:
    if not token or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    now = utcnow()
    last = _aware(row.last_used_at)
    if last is None or now - last >= TOKEN_USE_GRANULARITY:
        # After the request's work, in a short transaction of its own: a read never takes the write lock.
        # A row another request is marking just now is left to it (no request waits on this).
        token_id = row.id
        db.after_work(session, lambda later: later.execute(
            update(ApiToken).values(last_used_at=now).where(ApiToken.id.in_(
                select(ApiToken.id).where(ApiToken.id == token_id).with_for_update(skip_locked=True)))))
    return row.user


def revoke_tokens(session: Session, user: User, *, actor: User | None = None) -> int:
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = utcnow()
    if rows:
        audit.record(session, "token:revoke", user, actor=actor, count=len(rows))
    return len(rows)
