"""The audit trail: every significant action becomes an append-only event in a keyed hash chain.

Each event's hash is an HMAC-SHA256, under a key kept outside the database (``<data>/audit_key`` or
the AUDIT_KEY setting), of its own content and the previous event's hash. Editing, inserting or
deleting any event breaks the chain from that point on, which :func:`verify_chain` reports, and
someone who can write the database but not read the key cannot forge a chain that verifies.
Deleting the newest events leaves a shorter chain that is still whole, so every append also moves a
checkpoint of the chain head (last id, hash and event count): in the ``setting`` table, in the same
transaction, and after the commit also in an append-only file of the data folder
(``<data>/audit_checkpoints``, flushed to disk), which a wiped table, a deleted tail with a moved
database checkpoint, or a replaced database cannot match.

Chains begun before the key existed hold plain SHA-256 events; they verify up to the first keyed
event, recorded as ``audit:keyed`` when the switch happened, and every event after it must be keyed.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event as sa_event
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from records import db
from records.config import secret_key
from records.db import as_utc, get_database, utcnow
from records.models import AuditAction, AuditEvent, Setting

GENESIS = "0" * 64
HEAD_KEY = "audit_chain_head"
KEY_FILE = "audit_key"
CHECKPOINT_FILE = "audit_checkpoints"
_PENDING = "audit_checkpoint_pending"
_TAIL_BYTES = 1 << 20  # checkpoints may land a little out of order; the newest is among the last lines


class AuditSeal:
    """What keeps the chain honest outside the database: the key and the checkpoint file of a data folder."""

    def __init__(self, data_dir: Path, configured_key: str = "") -> None:
        self.data_dir = data_dir
        self.configured_key = configured_key
        self.checkpoint_path = data_dir / CHECKPOINT_FILE
        self._key: bytes | None = None
        self._lock = threading.Lock()

    @property
    def key(self) -> bytes:
        if self._key is None:
            self._key = secret_key(self.data_dir, self.configured_key, KEY_FILE).encode("utf-8")
        return self._key

    def forget_key(self) -> None:
        """Read the key again at next use (after a restore put the backup's key in place)."""
        self._key = None

    def append(self, checkpoint: dict[str, Any]) -> None:
        """Add a checkpoint line and flush it to disk (O_APPEND: processes sharing the folder never mix lines)."""
        line = (json.dumps(checkpoint, separators=(",", ":")) + "\n").encode("utf-8")
        with self._lock:
            fd = os.open(self.checkpoint_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)

    def newest(self) -> dict[str, Any] | None:
        """The checkpoint with the highest event id in the file, or None when there is no file."""
        try:
            with self.checkpoint_path.open("rb") as fh:
                size = fh.seek(0, os.SEEK_END)
                fh.seek(max(0, size - _TAIL_BYTES))
                tail = fh.read()
        except FileNotFoundError:
            return None
        best: dict[str, Any] | None = None
        for raw in tail.splitlines():
            try:
                item = json.loads(raw)
            except ValueError:
                continue  # the first line of the tail may be cut; a torn last line is the crash's
            if isinstance(item, dict) and isinstance(item.get("id"), int) and (best is None or item["id"] > best["id"]):
                best = item
        return best if best is not None else {"id": 0, "hash": GENESIS, "count": 0}


def init_app(app: Flask) -> AuditSeal:
    seal = AuditSeal(Path(app.config["DATA_DIR"]), app.config.get("AUDIT_KEY", ""))
    app.extensions["sandyk.audit"] = seal
    # Sessions carry the seal, so appends work in background threads without an app context.
    database = get_database(app)
    for maker in [v for v in vars(database).values() if isinstance(v, sessionmaker)]:
        maker.configure(info={**maker.kw.get("info", {}), "audit_seal": seal})
    # Sessions made some other way on the same engine (with other options too) share its pool.
    _SEALS_BY_POOL[database.engine.pool] = seal
    return seal


_SEALS_BY_POOL: weakref.WeakKeyDictionary[Any, AuditSeal] = weakref.WeakKeyDictionary()


def seal_of(session: Session | None = None, app: Flask | None = None) -> AuditSeal:
    if session is not None:
        if "audit_seal" in session.info:
            return session.info["audit_seal"]  # type: ignore[no-any-return]
        pool = getattr(session.get_bind(), "pool", None)
        seal = _SEALS_BY_POOL.get(pool) if pool is not None else None
        if seal is not None:
            return seal
    return (app or current_app).extensions["sandyk.audit"]  # type: ignore[no-any-return]


@sa_event.listens_for(Session, "after_commit")
def _write_file_checkpoint(session: Session) -> None:
    # After the commit only: a checkpoint of a transaction that rolled back would name an event that
    # never existed. A crash in between leaves the file one step behind, which verification accepts.
    pending = session.info.pop(_PENDING, None)
    if pending is not None:
        seal_of(session).append(pending)


@sa_event.listens_for(Session, "after_rollback")
def _drop_file_checkpoint(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _canonical_time(at: datetime) -> str:
    return as_utc(at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(prev_hash: str, *, at: datetime, actor_id: int | None, actor: str, action: str,
               object_type: str | None, object_id: str | None, detail: dict[str, Any], ip: str | None,
               key: bytes | None = None) -> str:
    """HMAC-SHA256 of the event under ``key``; plain SHA-256 without one (events from before the key)."""
    payload = json.dumps(
        [prev_hash, _canonical_time(at), actor_id, actor, action, object_type, object_id, detail, ip],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str,
    ).encode("utf-8")
    if key is None:
        return hashlib.sha256(payload).hexdigest()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class _Actor:
    id: int
    username: str


def _locked_head(session: Session) -> Setting | None:
    """The chain-head checkpoint, read under the lock that serialises writers of the chain, so two
    transactions never link to the same predecessor.

    On PostgreSQL the checkpoint's row is the lock: it is read ``FOR UPDATE``, which waits for the writer
    holding it and then returns the version that writer committed, in one round trip (the lock is held
    while the append's statements go back and forth, so every round trip under it counts). Where there
    is no checkpoint yet (a new chain, or one whose checkpoint was removed), there is no row to lock:
    such writers take turns on an advisory lock and read again, and the first to commit creates the row
    that the writers after it lock. On SQLite the writer's transaction (BEGIN IMMEDIATE, see ``record``)
    already serialises writers."""
    head = _read_head(session)
    if head is None and session.get_bind().dialect.name == "postgresql":
        # Keyed by the schema too: installs (or test runs) sharing one database never wait on each other.
        session.execute(text("SELECT pg_advisory_xact_lock(727100, hashtext(current_schema()))"))
        head = _read_head(session)
    return head


def record(session: Session, action: AuditAction, obj: Any = None, *, actor: Any, ip: str | None = None,
           object_type: str | None = None, object_id: Any = None, **detail: Any) -> AuditEvent | None:
    """Append an event. ``obj`` may be a model instance (its table name and id are used).

    ``actor`` is who did it: an account, a name (``"cli"``), or None for the system. ``ip`` is the
    client's address; without one, the address the request's session was opened for (``db.session``
    states it once, since services know who acts but not from where), if any. Nothing is read from the
    request or the signed-in user behind the caller's back.

    The event of a read (a search, a view, a download) is appended once the read is done, in a short
    transaction of its own, so the chain's lock is never held while the read's work runs; ``None`` is
    returned then. The events of the reads whose writes are grouped into one such transaction are
    appended together when it commits (:func:`_append_queued`): the chain is locked and its head read
    once for all of them, and they are inserted in one statement."""
    action = AuditAction(action)  # a name the trail does not know is refused before anything is written
    if ip is None:
        ip = session.info.get(db.CLIENT_IP)
    if obj is not None:
        object_type = object_type or getattr(obj, "__tablename__", type(obj).__name__.lower())
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    if db.reading_request(session):
        # Written later, maybe from another request's thread: who, what and from where are taken now.
        if getattr(actor, "is_authenticated", False):
            actor = _Actor(actor.id, actor.username)
        later = _Pending(action, actor or "", ip, object_type, object_id, detail)
        db.after_work(session, lambda sess: sess.info.setdefault(_QUEUED, []).append(later))
        return None
    return _append_all(session, [_Pending(action, actor, ip, object_type, object_id, detail)])


@dataclass(frozen=True)
class _Pending:
    """An event to append: what ``record`` was given."""

    action: AuditAction
    actor: Any
    ip: str | None
    object_type: str | None
    object_id: Any
    detail: dict[str, Any]


_QUEUED = "audit_queued_events"


@sa_event.listens_for(Session, "before_commit")
def _append_queued(session: Session) -> None:
    """Append the events queued in this transaction (the grouped writes of reads), all at once."""
    queued = session.info.pop(_QUEUED, None)
    if queued:
        _append_all(session, queued)


@sa_event.listens_for(Session, "after_rollback")
def _drop_queued(session: Session) -> None:
    session.info.pop(_QUEUED, None)


def _append_all(session: Session, pending: list[_Pending]) -> AuditEvent:
    """Link ``pending`` to the chain in this order, under the chain's lock, and move the checkpoint
    once, to the last of them (which is returned). The events are flushed together: one INSERT."""
    db.begin_write(session)  # the chain head is read under the writer's lock
    key = seal_of(session).key

    head = _locked_head(session)
    # The checkpoint moves with every append, in the same transaction and under the chain lock, so it
    # names the newest event. Without one (none yet, or removed: verification reports that), the
    # newest event is looked up.
    checkpoint = head.value if head is not None and isinstance(head.value, dict) else {}
    prev = checkpoint.get("hash") or session.scalar(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS
    count = int(checkpoint.get("count", 0))
    events: list[AuditEvent] = []
    if prev != GENESIS and not checkpoint.get("keyed"):
        # A chain begun before the key existed: say where the keyed part begins.
        events.append(_event(key, prev, actor_id=None, actor_name="system", action=AuditAction.AUDIT_KEYED,
                             object_type=None, oid=None, detail={"hash": "hmac-sha256", "plain_events": count},
                             ip=None))
        prev = events[-1].hash
    for item in pending:
        actor = item.actor
        if actor is not None and not isinstance(actor, str) and not getattr(actor, "is_authenticated", True):
            actor = None  # an anonymous visitor
        actor_name = getattr(actor, "username", None) or (actor if isinstance(actor, str) else "")
        # What is hashed is what is stored.
        detail = json.loads(json.dumps(item.detail, ensure_ascii=False, default=str))
        events.append(_event(key, prev, actor_id=getattr(actor, "id", None), actor_name=actor_name,
                             action=item.action, object_type=item.object_type,
                             oid=None if item.object_id is None else str(item.object_id), detail=detail, ip=item.ip))
        prev = events[-1].hash
    session.add_all(events)
    session.flush()  # for the ids: inserted in this order, so the ids follow the links
    last, count = events[-1], count + len(events)
    session.info[_PENDING] = {"id": last.id, "hash": last.hash, "count": count}
    _move_head(session, head, last, count)
    return last


def _event(key: bytes, prev: str, *, actor_id: int | None, actor_name: str, action: AuditAction,
           object_type: str | None, oid: str | None, detail: dict[str, Any], ip: str | None) -> AuditEvent:
    at = utcnow()
    name = action.value  # the plain string is what is stored and hashed
    return AuditEvent(
        at=at, actor_id=actor_id, actor=actor_name, action=name, object_type=object_type, object_id=oid,
        detail=detail, ip=ip, prev_hash=prev,
        hash=event_hash(prev, at=at, actor_id=actor_id, actor=actor_name, action=name,
                        object_type=object_type, object_id=oid, detail=detail, ip=ip, key=key),
    )


def _read_head(session: Session) -> Setting | None:
    """The chain-head checkpoint as the database holds it now: re-read, since a session may outlive a
    commit. A checkpoint an earlier append in this transaction moved is written first; other pending
    changes wait for the event's own flush."""
    held = session.identity_map.get(session.identity_key(Setting, (HEAD_KEY,)))
    if (held is not None and held in session.dirty) or any(isinstance(obj, Setting) for obj in session.new):
        session.flush()
    with session.no_autoflush:
        return session.scalars(
            select(Setting).where(Setting.key == HEAD_KEY).with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()


def _move_head(session: Session, head: Setting | None, event: AuditEvent, count: int) -> Setting:
    """Point the checkpoint at the new head; runs under the chain lock, like the append itself.
    Written with the rest of the transaction (the next flush or the commit)."""
    value = {"id": event.id, "hash": event.hash, "count": count, "keyed": True}
    if head is None:
        head = Setting(key=HEAD_KEY, value=value, updated_at=event.at)
        session.add(head)
    else:
        head.value = value
        head.updated_at = event.at
    return head


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    # "altered" | "broken_link" | "truncated" (events after the last one are gone) |
    # "count" (events missing or added with the links rewritten) | "no_checkpoint" |
    # "file_truncated" | "file_mismatch" | "file_count": the same, against the checkpoint file
    problem: str
    expected: str
    found: str


def verify_chain(session: Session, batch: int = 1000, seal: AuditSeal | None = None) -> Iterator[ChainProblem]:
    """Walk the whole chain in id order, yielding every place where it does not hold: against itself,
    the database checkpoint and the newest checkpoint of this data folder's file."""
    seal = seal or seal_of(session)
    key = seal.key
    in_file = seal.newest()
    at_file: tuple[str, int] | None = None  # hash of the file's event and the count up to it, once seen
    prev = GENESIS
    last_id = 0
    count = 0
    plain_allowed = True  # plain SHA-256 events only before the first keyed one
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            yield from _check_head(session, last_id, prev, count)
            if in_file is not None:
                yield from _check_file(in_file, at_file, last_id, prev)
            return
        for ev in rows:
            count += 1
            if ev.prev_hash != prev:
                yield ChainProblem(ev.id, "broken_link", prev, ev.prev_hash)
            fields = dict(at=ev.at, actor_id=ev.actor_id, actor=ev.actor, action=ev.action,
                          object_type=ev.object_type, object_id=ev.object_id, detail=ev.detail, ip=ev.ip)
            keyed = event_hash(ev.prev_hash, key=key, **fields)
            if hmac.compare_digest(keyed, ev.hash):
                plain_allowed = False
            elif not (plain_allowed and event_hash(ev.prev_hash, **fields) == ev.hash):
                yield ChainProblem(ev.id, "altered", keyed, ev.hash)
            if in_file is not None and ev.id == in_file["id"]:
                at_file = (ev.hash, count)
            prev = ev.hash
            last_id = ev.id
        session.expunge_all()


def _check_file(in_file: dict[str, Any], at_file: tuple[str, int] | None, last_id: int,
                last_hash: str) -> Iterator[ChainProblem]:
    """Compare the chain with the newest checkpoint the file holds: that event must be there, with the
    same hash and the same number of events up to it."""
    file_id, file_hash, file_count = int(in_file["id"]), str(in_file.get("hash")), in_file.get("count")
    if file_id == 0:
        return
    if at_file is None:
        problem = "file_truncated" if file_id > last_id else "file_mismatch"
        yield ChainProblem(file_id, problem, file_hash, last_hash if file_id > last_id else "none")
    elif at_file[0] != file_hash:
        yield ChainProblem(file_id, "file_mismatch", file_hash, at_file[0])
    elif at_file[1] != file_count:
        yield ChainProblem(file_id, "file_count", str(file_count), str(at_file[1]))


VERIFIED_KEY = "audit_verified"


def note_verification(session: Session, *, events: int, problems: int) -> None:
    """Remember when ``audit verify`` last ran and what it found (the administrator's home page shows it)."""
    row = session.get(Setting, VERIFIED_KEY)
    value = {"at": utcnow().isoformat(), "events": events, "problems": problems}
    if row is None:
        session.add(Setting(key=VERIFIED_KEY, value=value))
    else:
        row.value = value
        row.updated_at = utcnow()


def last_verification(session: Session) -> dict[str, Any] | None:
    row = session.get(Setting, VERIFIED_KEY)
    return row.value if row is not None and isinstance(row.value, dict) else None


def chain_status(session: Session, seal: AuditSeal | None = None) -> dict[str, Any]:
    """What the two checkpoints say (for the verify command's summary)."""
    seal = seal or seal_of(session)
    head = session.get(Setting, HEAD_KEY)
    value = head.value if head is not None and isinstance(head.value, dict) else {}
    return {"count": value.get("count", 0), "file": seal.newest(), "file_path": str(seal.checkpoint_path)}


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
