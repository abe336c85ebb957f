"""People: accounts, roles, passwords, login throttling and API tokens."""
from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from records import audit, db
from records.db import as_utc, utcnow
from records.errors import Conflict, Forbidden, NotFound, UserError
from records.i18n import _l
from records.models import ApiToken, AuditAction, LoginThrottle, User, UserRole, UserSession
from records.labels import PAPER_LABELS, ROLE_LABELS
from records.permissions import Paper, Role, combined_duties

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


def combined_roles_allowed() -> bool:
    return bool(current_app.config.get("ALLOW_COMBINED_ROLES")) if has_app_context() else False


def check_duties(role_set: set[str]) -> None:
    """Refuse roles that would let one person draft and approve the same paper (unless the office
    allows it: ALLOW_COMBINED_ROLES)."""
    papers = combined_duties(role_set)
    if papers and not combined_roles_allowed():
        roles = ", ".join(str(ROLE_LABELS[Role(r)]) for r in sorted(role_set))
        raise UserError("combined_roles", _l(
            "One person may not both draft and approve %(paper)s; these roles do both: %(roles)s. Give the "
            "roles to different people (a very small office may allow it with SANDYK_ALLOW_COMBINED_ROLES).",
            paper=PAPER_LABELS[papers[0]], roles=roles))


def approval_flags(actor: User, paper: Paper) -> dict[str, bool]:
    """What an approval of ``paper`` by ``actor`` must carry into its audit event: a flag when the
    approver also holds a drafting role of that paper (allowed only by ALLOW_COMBINED_ROLES)."""
    if paper not in combined_duties(actor.roles):
        return {}
    if not combined_roles_allowed():
        raise Forbidden("combined_roles", _l(
            "You hold roles that both draft and approve %(paper)s, which this office does not allow. Ask the "
            "administrator to separate them.", paper=PAPER_LABELS[paper]))
    return {"combined_roles": True}


def create_user(session: Session, username: str, password: str, roles: list[str] | set[str], *,
                full_name: str = "", min_length: int = 10, actor: User | str | None = None) -> User:
    username = normalise_username(username)
    role_set = parse_roles(roles)
    check_duties(role_set)
    check_password_policy(password, min_length)
    if session.scalar(select(User.id).where(User.username == username)):
        raise Conflict("user_exists", _l("A user named %(name)s already exists.", name=username))
    user = User(username=username, full_name=full_name.strip(), password_hash=hash_password(password),
                password_changed_at=utcnow())
    user.role_rows = [UserRole(role=r) for r in sorted(role_set)]
    session.add(user)
    session.flush()
    audit.record(session, AuditAction.USER_CREATE, user, actor=actor, username=username, roles=sorted(role_set))
    return user


def set_roles(session: Session, user: User, roles: list[str] | set[str], *, actor: User | None = None) -> None:
    role_set = parse_roles(roles)
    before = sorted(user.roles)
    if set(before) == role_set:
        return
    if actor is not None and getattr(actor, "id", None) == user.id and role_set - set(before):
        raise Forbidden("self_grant", _l("You cannot give roles to yourself; another administrator must."))
    check_duties(role_set)
    user.role_rows = [UserRole(role=r) for r in sorted(role_set)]
    session.flush()
    audit.record(session, AuditAction.USER_ROLES, user, actor=actor, before=before, after=sorted(role_set))
    end_sessions(session, user, actor=actor, reason="roles")


def set_active(session: Session, user: User, active: bool, *, actor: User | None = None) -> None:
    if user.active != active:
        user.active = active
        audit.record(session, AuditAction.USER_ACTIVATE if active else AuditAction.USER_DEACTIVATE, user, actor=actor)


def set_password(session: Session, user: User, password: str, *, min_length: int,
                 actor: User | None = None) -> None:
    """Set a new password: every session of the user ends and every API token is revoked (whoever knew
    the old password may have taken either). The caller signs the user in again if it is them."""
    check_password_policy(password, min_length)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == _name_key(user.username)))
    audit.record(session, AuditAction.USER_PASSWORD, user, actor=actor)
    end_sessions(session, user, actor=actor, reason="password")
    revoke_tokens(session, user, actor=actor)


def update_user(session: Session, user: User, *, full_name: str | None, roles: list[str] | set[str], active: bool,
                password: str = "", min_length: int, actor: User) -> User:
    """The administrator's changes to an account: its name (None keeps it), roles, whether it may sign
    in and, when ``password`` is given, a new password. Nobody switches off their own account (the office would
    lose its last administrator by a slip); role and password changes end the user's sessions."""
    if user.id == actor.id and not active:
        raise UserError("self_deactivate", _l("You cannot switch off your own account."))
    if full_name is not None:
        rename(session, user, full_name, actor=actor)
    set_roles(session, user, roles, actor=actor)
    set_active(session, user, active, actor=actor)
    if password:
        set_password(session, user, password, min_length=min_length, actor=actor)
    return user


def get_user_by_id(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no_user", _l("There is no such user."))
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound("no_user", _l("There is no user named %(name)s.", name=username))
    return user


def verify_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password or "")


# --- sign-in throttling ------------------------------------------------------------------------
# Failures are counted per client address and per name tried (known or not, so the answers never tell
# which names exist). After a few free failures each further one makes the next attempt wait longer,
# doubling up to a ceiling; an attempt that comes too early is not checked. No account is ever locked:
# the name's own count does not slow down its owner signing in from the address of their last
# successful sign-in, so a stranger's failures cannot keep the owner out.

_FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class LoginPolicy:
    free_failures: int = 5  # per address before the delays start
    name_free_failures: int = 20  # per name tried (the account safeguard)
    first_delay: float = 2.0  # seconds; doubles with every further failure
    max_delay: float = 900.0

    @classmethod
    def from_config(cls, config: Any) -> LoginPolicy:
        return cls(free_failures=int(config["LOGIN_FREE_FAILURES"]),
                   name_free_failures=int(config["LOGIN_NAME_FREE_FAILURES"]),
                   first_delay=float(config["LOGIN_DELAY_SECONDS"]),
                   max_delay=float(config["LOGIN_MAX_DELAY_SECONDS"]))

    def delay(self, failures: int, free: int) -> float:
        if failures < free:
            return 0.0
        return min(self.max_delay, self.first_delay * 2 ** min(failures - free, 40))


def _ip_key(ip: str | None) -> str:
    return f"ip:{(ip or '-')[:64]}"


def _name_key(name: str) -> str:
    return f"name:{name[:64]}"


def _throttle_rows(session: Session, keys: list[str]) -> dict[str, LoginThrottle]:
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))
                           .execution_options(populate_existing=True)).all()
    return {row.key: row for row in rows}


def _wait_left(row: LoginThrottle | None, now: datetime) -> float:
    wait_until = as_utc(row.wait_until) if row is not None else None
    return (wait_until - now).total_seconds() if wait_until and wait_until > now else 0.0


def _count_failure(session: Session, rows: dict[str, LoginThrottle], key: str, free: int, policy: LoginPolicy,
                   now: datetime) -> None:
    row = rows.get(key)
    if row is None:
        row = LoginThrottle(key=key, failures=0)
        try:
            with session.begin_nested():  # another request may have counted the first failure meanwhile
                session.add(row)
        except IntegrityError:
            row = session.get(LoginThrottle, key, populate_existing=True) or row
    updated = as_utc(row.updated_at)
    if updated is not None and now - updated > _FORGET_AFTER:
        row.failures = 0
    row.failures += 1
    row.updated_at = now
    delay = policy.delay(row.failures, free)
    row.wait_until = now + timedelta(seconds=delay) if delay else None


def authenticate(session: Session, username: str, password: str, *, policy: LoginPolicy,
                 ip: str | None = None) -> User:
    """Check a sign-in. Every answer costs one password hash, whether the name exists, the password is
    wrong or the attempt came too early, so the answer's timing tells nothing."""
    name = (username or "").strip().lower()[:64]
    user = session.scalar(select(User).where(User.username == name)) if name else None
    now = utcnow()
    ip_key, name_key = _ip_key(ip), _name_key(name)
    rows = _throttle_rows(session, [ip_key, name_key])
    owner_address = user is not None and ip is not None and user.last_login_ip == ip
    wait = max(_wait_left(rows.get(ip_key), now), 0.0 if owner_address else _wait_left(rows.get(name_key), now))
    if wait > 0:
        check_password_hash(_dummy_hash(), password or "")
        audit.record(session, AuditAction.AUTH_LOGIN_FAILED, user, object_type="user", actor=name, ip=ip, reason="throttled")
        raise UserError("throttled", _l("Too many failed sign-ins. Try again in %(n)s seconds.",
                                        n=max(1, math.ceil(wait))), status=429)
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        reason = "unknown_user"
    elif not check_password_hash(user.password_hash, password or ""):
        reason = "bad_password"
    else:
        reason = ""
    if reason:
        # The counts are read again in the write transaction they are written in (a request reads
        # without a lock until it writes; see ``db.begin_write``).
        db.begin_write(session)
        rows = _throttle_rows(session, [ip_key, name_key])
        _count_failure(session, rows, ip_key, policy.free_failures, policy, now)
        _count_failure(session, rows, name_key, policy.name_free_failures, policy, now)
        session.execute(delete(LoginThrottle).where(LoginThrottle.updated_at < now - _FORGET_AFTER))
        audit.record(session, AuditAction.AUTH_LOGIN_FAILED, user, object_type="user", actor=name, ip=ip, reason=reason)
        raise UserError("bad_login", _l("Wrong user name or password."), status=401)
    assert user is not None
    if not user.active:
        audit.record(session, AuditAction.AUTH_LOGIN_FAILED, user, actor=user.username, ip=ip, reason="inactive")
        raise UserError("inactive", _l("This account is switched off. Ask the administrator."), status=403)
    for row in rows.values():
        session.delete(row)
    user.last_login_at = now
    user.last_login_ip = ip
    audit.record(session, AuditAction.AUTH_LOGIN, user, actor=user, ip=ip)
    return user


# --- browser sessions known to the server ----------------------------------------------------------

def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def start_session(session: Session, user: User, *, ip: str | None = None) -> str:
    """A new server-side session for ``user``; returns the random key the browser's cookie carries."""
    key = secrets.token_urlsafe(32)
    session.add(UserSession(key_hash=_key_hash(key), user_id=user.id, ip=ip))
    session.flush()
    return key


def user_for_session(session: Session, user_id: str, key: str | None, *, max_age: timedelta) -> User | None:
    """The user a browser session belongs to, if the server still knows the session and it is young enough."""
    if not key or len(key) > 200 or not user_id.isdigit():
        return None
    user = session.scalar(select(User).join(UserSession, UserSession.user_id == User.id).where(
        UserSession.key_hash == _key_hash(key), User.id == int(user_id),
        UserSession.created_at > utcnow() - max_age))
    return user if user is not None and user.active else None


def sign_out(session: Session, user: User, key: str | None) -> None:
    """``user`` signs out of the browser session ``key``."""
    audit.record(session, AuditAction.AUTH_LOGOUT, user, actor=user)
    end_session(session, key)


def rename(session: Session, user: User, full_name: str, *, actor: User | str | None) -> None:
    full_name = full_name.strip()
    if full_name != user.full_name:
        audit.record(session, AuditAction.USER_RENAME, user, actor=actor, before=user.full_name, after=full_name)
        user.full_name = full_name


def end_session(session: Session, key: str | None) -> None:
    if key:
        session.execute(delete(UserSession).where(UserSession.key_hash == _key_hash(key)))


def end_sessions(session: Session, user: User, *, actor: User | str | None = None, reason: str = "") -> int:
    """End every browser session of ``user`` (after a password or role change, or by an administrator)."""
    ended = session.execute(delete(UserSession).where(UserSession.user_id == user.id)).rowcount or 0
    if ended:
        audit.record(session, AuditAction.USER_SESSIONS_END, user, actor=actor, count=ended, reason=reason)
    return ended


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_days() -> int:
    return int(current_app.config.get("TOKEN_DAYS", 365)) if has_app_context() else 365


def token_expiry(row: ApiToken) -> datetime:
    """When a token stops working; one issued before tokens had an expiry lasts TOKEN_DAYS from its creation."""
    return as_utc(row.expires_at) or (as_utc(row.created_at) or utcnow()) + timedelta(days=token_days())


def issue_token(session: Session, user: User, *, actor: User | str | None = None, days: int | None = None) -> str:
    """Create an API token; only its hash is stored, so this is the one time it can be shown."""
    days = token_days() if days is None else days
    if not 1 <= days <= 3650:
        raise UserError("bad_days", _l("A token lasts from 1 to 3650 days."))
    token = "sdk_" + secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=days)
    session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), prefix=token[:10], expires_at=expires))
    session.flush()
    audit.record(session, AuditAction.TOKEN_CREATE, user, actor=actor or user, prefix=token[:10], expires=expires.isoformat())
    return token


def user_for_token(session: Session, token: str) -> User | None:
    if not token or len(token) > 200:
        return None
    # The token, its account and the account's roles in one query: every API request asks this first.
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == _token_hash(token))
                          .options(joinedload(ApiToken.user).joinedload(User.role_rows))).unique().scalar_one_or_none()
    if row is None or row.revoked_at is not None or token_expiry(row) <= utcnow() or not row.user.active:
        return None
    now = utcnow()
    last = as_utc(row.last_used_at)
    if last is None or now - last >= TOKEN_USE_GRANULARITY:
        # After the request's work, in a short transaction of its own: a read never takes the write lock.
        # A row another request is marking just now is left to it (no request waits on this).
        token_id = row.id
        db.after_work(session, lambda later: later.execute(
            update(ApiToken).values(last_used_at=now).where(ApiToken.id.in_(
                select(ApiToken.id).where(ApiToken.id == token_id).with_for_update(skip_locked=True)))))
    return row.user


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def token_state(row: ApiToken) -> str:
    """``active``, ``expired`` or ``revoked``."""
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if token_expiry(row) <= utcnow() else "active"


def revoke_tokens(session: Session, user: User, *, actor: User | str | None = None,
                  token_id: int | None = None) -> int:
    """Revoke one token of ``user`` (by id) or all of them; returns how many were revoked."""
    query = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if token_id is not None:
        query = query.where(ApiToken.id == token_id)
    rows = session.scalars(query).all()
    if token_id is not None and not rows:
        raise NotFound("no_token", _l("%(name)s has no active token number %(id)s.", name=user.username, id=token_id))
    for row in rows:
        row.revoked_at = utcnow()
    if rows:
        audit.record(session, AuditAction.TOKEN_REVOKE, user, actor=actor, count=len(rows), tokens=[r.prefix for r in rows])
    return len(rows)
