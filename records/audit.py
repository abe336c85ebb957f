"""The audit trail: every significant action becomes an append-only event chained by SHA-256.

Each event's hash covers its own content and the previous event's hash, so editing, inserting or
deleting any event breaks the chain from that point on, which :func:`verify_chain` reports.
Deleting the newest events leaves a shorter chain that is still whole, so every append also moves a
checkpoint of the chain head (last id, hash and event count, in the ``setting`` table, written in the
same transaction); verification compares the end of the chain with it.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from records import db
from records.db import utcnow
from records.models import AuditEvent, Setting

GENESIS = "0" * 64
HEAD_KEY = "audit_chain_head"


def _canonical_time(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(prev_hash: str, *, at: datetime, actor_id: int | None, actor: str, action: str,
               object_type: str | None, object_id: str | None, detail: dict[str, Any], ip: str | None) -> str:
    payload = json.dumps(
        [prev_hash, _canonical_time(at), actor_id, actor, action, object_type, object_id, detail, ip],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _lock_chain(session: Session) -> None:
    """Serialise writers of the chain so two transactions never link to the same predecessor."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(727100)"))
    # On SQLite the writer's transaction (BEGIN IMMEDIATE, see ``record``) already serialises writers.


def record(session: Session, action: str, obj: Any = None, *, object_type: str | None = None,
           object_id: Any = None, actor: Any = None, ip: str | None = None, **detail: Any) -> AuditEvent | None:
    """Append an event. ``obj`` may be a model instance (its table name and id are used).

    The event of a read (a search, a view, a download) is appended once the read is done, in a short
    transaction of its own, so the chain's lock is never held while the read's work runs; ``None`` is
    returned then."""
    if db.reading_request(session):
        db.after_work(session, lambda later: record(later, action, obj, object_type=object_type, object_id=object_id,
                                                    actor=actor, ip=ip, **detail))
        return None
    db.begin_write(session)  # the chain head is read under the writer's lock
    if obj is not None:
        object_type = object_type or getattr(obj, "__tablename__", type(obj).__name__.lower())
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    if ip is None and has_request_context():
        ip = request.remote_addr
    actor_id = getattr(actor, "id", None)
    actor_name = getattr(actor, "username", None) or (actor if isinstance(actor, str) else "")
    detail = json.loads(json.dumps(detail, ensure_ascii=False, default=str))  # what is hashed is what is stored

    _lock_chain(session)
    head = _read_head(session)
    # The checkpoint moves with every append, in the same transaction and under the chain lock, so it
    # names the newest event. Without one (none yet, or removed: verification reports that), the
    # newest event is looked up.
    checkpoint = head.value if head is not None and isinstance(head.value, dict) else {}
    prev = checkpoint.get("hash") or session.scalar(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS
    count = int(checkpoint.get("count", 0)) + 1
    at = utcnow()
    oid = None if object_id is None else str(object_id)
    event = AuditEvent(
        at=at, actor_id=actor_id, actor=actor_name, action=action, object_type=object_type, object_id=oid,
        detail=detail, ip=ip, prev_hash=prev,
        hash=event_hash(prev, at=at, actor_id=actor_id, actor=actor_name, action=action,
                        object_type=object_type, object_id=oid, detail=detail, ip=ip),
    )
    session.add(event)
    session.flush()  # for the event's id
    _move_head(session, head, event, count)
    return event


def _read_head(session: Session) -> Setting | None:
    """The chain-head checkpoint as the database holds it now: re-read, since a session may outlive a
    commit. A checkpoint an earlier append in this transaction moved is written first; other pending
    changes wait for the event's own flush."""
    held = session.identity_map.get(session.identity_key(Setting, (HEAD_KEY,)))
    if (held is not None and held in session.dirty) or any(isinstance(obj, Setting) for obj in session.new):
        session.flush()
    with session.no_autoflush:
        return session.scalars(
            select(Setting).where(Setting.key == HEAD_KEY).execution_options(populate_existing=True)
        ).one_or_none()


def _move_head(session: Session, head: Setting | None, event: AuditEvent, count: int) -> None:
    """Point the checkpoint at the new head; runs under the chain lock, like the append itself.
    Written with the rest of the transaction (the next flush or the commit)."""
    value = {"id": event.id, "hash": event.hash, "count": count}
    if head is None:
        session.add(Setting(key=HEAD_KEY, value=value, updated_at=event.at))
    else:
        head.value = value
        head.updated_at = event.at


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    # "altered" | "broken_link" | "truncated" (events after the last one are gone) |
    # "count" (events missing or added with the links rewritten) | "no_checkpoint"
    problem: str
    expected: str
    found: str


def verify_chain(session: Session, batch: int = 1000) -> Iterator[ChainProblem]:
    """Walk the whole chain in id order, yielding every place where it does not hold."""
    prev = GENESIS
    last_id = 0
    count = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            yield from _check_head(session, last_id, prev, count)
            return
        count += len(rows)
        for ev in rows:
            if ev.prev_hash != prev:
                yield ChainProblem(ev.id, "broken_link", prev, ev.prev_hash)
            computed = event_hash(ev.prev_hash, at=ev.at, actor_id=ev.actor_id, actor=ev.actor,
                                  action=ev.action, object_type=ev.object_type, object_id=ev.object_id,
                                  detail=ev.detail, ip=ev.ip)
            if computed != ev.hash:
                yield ChainProblem(ev.id, "altered", computed, ev.hash)
            prev = ev.hash
            last_id = ev.id
        session.expunge_all()


def _check_head(session: Session, last_id: int, last_hash: str, count: int) -> Iterator[ChainProblem]:
    """Compare where the chain ends with the checkpoint the last append left."""
    head = session.get(Setting, HEAD_KEY)
    value = head.value if head is not None and isinstance(head.value, dict) else None
    if value is None:
        if count:
            yield ChainProblem(last_id, "no_checkpoint", "checkpoint", "none")
        return
    if value.get("id") != last_id or value.get("hash") != last_hash:
        yield ChainProblem(int(value.get("id") or 0), "truncated", str(value.get("hash")), last_hash)
    elif value.get("count") != count:
        yield ChainProblem(last_id, "count", str(value.get("count")), str(count))
