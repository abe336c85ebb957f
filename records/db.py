"""The database: declarative base, engine set-up per backend, and one session per request.

Services flush and never commit; the request boundary commits (see ``app.py``), and any error
rolls back. Background work opens its own sessions with :func:`session_scope`.

A request reads before it writes. Its session starts each transaction as a plain read (``BEGIN
DEFERRED`` on SQLite, which takes no lock) and becomes a writer at its first write: :func:`begin_write`
ends the read and opens ``BEGIN IMMEDIATE``, which queues behind other writers instead of failing
(SQLite cannot upgrade a read that another writer has overtaken). Requests that change things enter
the write phase before their view runs, so their reads and writes stay one serialised transaction;
an upload enters it only after its file is spooled, checked and read (``reads_first``). Writes that
a read causes (the audit event of a search or a view, the API token's last use) wait in
:func:`after_work` and go to the database in one short transaction once the work is done.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, SessionTransaction, sessionmaker

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def as_utc(at: datetime) -> datetime: ...
@overload
def as_utc(at: None) -> None: ...
def as_utc(at: datetime | None) -> datetime | None:
    """``at`` as an aware time: SQLite hands back naive datetimes, which were stored as UTC."""
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


_SQLITE_BEGIN = "sandyk_sqlite_begin"


def pool_size(config: Mapping[str, Any]) -> int:
    """Connections an engine keeps open: ``DB_POOL_SIZE``, or (0) enough for every request thread of the
    process to hold two at once (a request's own, and the PostgreSQL search's statement, which runs on
    a connection of its own) and for the background work. A connection given back to a full pool is
    closed, and PostgreSQL starts a new server process for each one opened: a pool smaller than what
    the threads use together opens and closes connections all the time under load (about 14 ms each,
    measured, and the new connection's first statement is planned with cold caches)."""
    configured = int(config.get("DB_POOL_SIZE") or 0)
    return configured if configured > 0 else 2 * int(config.get("THREADS") or 8) + 2


def make_engine(url: str, pool: int = 5) -> Engine:
    if url.startswith("sqlite"):
        # Pooled connections: closing the last connection to a WAL database checkpoints it, which would
        # cost every short transaction a disk flush. A pooled connection is used by one thread at a time.
        engine = create_engine(url, pool_size=5, max_overflow=10,
                               connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # The sqlite3 module's own transaction handling is switched off so that BEGIN is issued by
            # SQLAlchemy (below): BEGIN IMMEDIATE for writers, which queue on the lock instead of failing
            # with "database is locked" when two requests upgrade read locks at once, and BEGIN DEFERRED
            # for the read phase of a request (see ``begin_write``).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            # FULL: a commit is on disk before it returns, so a filing the user saw succeed survives a
            # power cut (NORMAL would keep the database whole but could lose the last commits). In WAL
            # mode that is one flush of the log per commit.
            cur.execute("PRAGMA synchronous=FULL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
            options = conn.get_execution_options()
            if options.get("isolation_level") != "AUTOCOMMIT":
                conn.exec_driver_sql(f"BEGIN {options.get(_SQLITE_BEGIN, 'IMMEDIATE')}")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=pool, max_overflow=10)


class Database:
    """Engine and session factory bound to one Flask app."""

    def __init__(self, url: str, pool: int = 5) -> None:
        self.url = url
        self.engine = make_engine(url, pool)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        # Sessions of requests (and imports): each transaction starts as a read and turns into a write at its
        # first write.
        self.reads_first_sessionmaker = sessionmaker(self.engine.execution_options(**{_SQLITE_BEGIN: "DEFERRED"}),
                                                   expire_on_commit=False, info={"reads_first": True})
        event.listen(self.reads_first_sessionmaker, "before_flush", _write_before_flush)
        event.listen(self.reads_first_sessionmaker, "do_orm_execute", _write_before_dml)
        event.listen(self.reads_first_sessionmaker, "after_transaction_end", _read_again)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()


def init_app(app: Flask) -> Database:
    database = Database(app.config["DATABASE_URL"], pool_size(app.config))
    app.extensions["sandyk.db"] = database

    @app.teardown_request
    @app.teardown_appcontext
    def _close_session(exc: BaseException | None) -> None:
        session: Session | None = g.pop("_db_session", None)
        if session is not None:
            if exc is not None or session.in_transaction():
                # Anything not committed at the boundary is abandoned.
                session.rollback()
            session.close()
        g.pop("_db_failed", None)

    return database


def get_database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["sandyk.db"]


# Where a request's work comes from, stated once on its session for the audit trail (``audit.record``).
CLIENT_IP = "client_ip"


def session() -> Session:
    """The session of the current request or app context."""
    if "_db_session" not in g:
        database = get_database()
        if has_request_context():
            g._db_session = database.reads_first_sessionmaker()
            g._db_session.info[CLIENT_IP] = request.remote_addr
        else:
            g._db_session = database.sessionmaker()
    return g._db_session


def begin_write(sess: Session) -> None:
    """Make the session's transaction a writer's, if it is not one already.

    On SQLite a read transaction is ended (it wrote nothing) and ``BEGIN IMMEDIATE`` opens the write,
    waiting its turn behind other writers. What was read before stays in the session; whatever the
    write depends on is to be read again after this call. PostgreSQL needs nothing: its transactions
    write without an upgrade."""
    info = sess.info
    if not info.get("reads_first") or info.get("writing"):
        return
    info["writing"] = True
    conn = sess.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("COMMIT")
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def add_or_find(sess: Session, row: T, find: Callable[[], T | None]) -> tuple[T, bool]:
    """Add ``row`` (a year's nomenclature, a case's first volume: rows under a unique key that two
    transactions may both find missing and both add), or, when another transaction has just added the
    same key, the row it added. Returns the row and whether it is the one added here.

    The insert runs in a savepoint, so losing the race leaves the rest of the transaction as it was. The
    write begins before the savepoint: on SQLite :func:`begin_write` ends the read transaction, which
    would take a savepoint opened in it along."""
    begin_write(sess)
    if sess.connection().get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        sess.add(row)  # no transaction to keep whole, and no savepoint outside one
        sess.flush()
        return row, True
    try:
        with sess.begin_nested():
            sess.add(row)
            sess.flush()
    except IntegrityError:
        found = find()  # read again: the other transaction's row is committed by now
        if found is None:
            raise  # a different constraint failed
        return found, False
    return row, True


def release_reads(sess: Session) -> None:
    """End a request's read transaction before slow work, so it holds no snapshot meanwhile. A session
    that writes already keeps its transaction."""
    if sess.info.get("reads_first") and not sess.info.get("writing") and not (sess.new or sess.dirty or sess.deleted):
        sess.commit()
        sess.expire_all()  # what was read is read again, in the transaction that follows


def _write_before_flush(sess: Session, _context: Any, _instances: Any) -> None:
    begin_write(sess)


def _write_before_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        begin_write(state.session)


def _read_again(sess: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        sess.info["writing"] = False


def reads_first(view: F) -> F:
    """Mark a view that changes things but does slow work first (an upload): its request reads without
    a lock until the view's service calls :func:`begin_write`."""
    view.reads_first = True  # type: ignore[attr-defined]
    return view


def enter_write_phase(app: Flask) -> None:
    """Before a view runs: requests that change things write from their first query, as one transaction,
    unless the view reads first."""
    if request.method in SAFE_METHODS:
        return
    view = app.view_functions.get(request.endpoint or "")
    if view is not None and not getattr(view, "reads_first", False):
        begin_write(session())


def reading_request(sess: Session) -> bool:
    """Whether ``sess`` is the session of a request that only reads (GET, HEAD) and has not written."""
    return (has_request_context() and request.method in SAFE_METHODS and g.get("_db_session") is sess
            and not sess.info.get("writing"))


def after_work(sess: Session, write: Callable[[Session], Any]) -> None:
    """A write that a read causes: during a request that has not written, it waits until the request's
    work is done (:func:`write_after_work`); otherwise it is written now, in the session's transaction.
    ``write`` may run in another request's thread (see ``_GroupWriter``): it must carry its values
    (who, from where) rather than look them up from the request."""
    if has_request_context() and g.get("_db_session") is sess and not sess.info.get("writing"):
        g.setdefault("_db_after_work", []).append(write)
    else:
        write(sess)


def write_after_work(app: Flask) -> None:
    """Write what the request's reads left to write, in a short transaction, before the answer goes."""
    writes = g.pop("_db_after_work", None)
    if writes:
        writer = app.extensions.get("sandyk.group_writer")
        if writer is None:
            writer = app.extensions.setdefault("sandyk.group_writer", _GroupWriter(app))
        writer.write(writes)


class _GroupWriter:
    """Group commit of what reads leave to write: the requests that finish while one such transaction
    is being written and flushed to disk have theirs written together in the next one, so many
    concurrent readers cost one flush, not one each. Each request still waits for its own writes to
    be committed; if a group fails, each request's writes are tried on their own."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.cond = threading.Condition()
        self.waiting: list[_Writes] = []
        self.busy = False

    def write(self, writes: list[Callable[[Session], Any]]) -> None:
        mine = _Writes(writes)
        with self.cond:
            self.waiting.append(mine)
            while not mine.done and self.busy:
                self.cond.wait()
            if mine.done:
                mine.raise_error()
                return
            self.busy = True  # this thread writes the group
            group, self.waiting = self.waiting, []
        try:
            self._commit(group)
        finally:
            with self.cond:
                self.busy = False
                self.cond.notify_all()
        mine.raise_error()

    def _commit(self, group: list[_Writes]) -> None:
        try:
            with session_scope(self.app) as sess:
                for item in group:
                    for write in item.writes:
                        write(sess)
        except Exception:
            if len(group) == 1:
                group[0].error = sys.exc_info()[1]
            else:
                for item in group:  # one request's failure must not fail the others
                    try:
                        with session_scope(self.app) as sess:
                            for write in item.writes:
                                write(sess)
                    except Exception as exc:
                        item.error = exc
        for item in group:
            item.done = True


@dataclass
class _Writes:
    writes: list[Callable[[Session], Any]]
    done: bool = False
    error: BaseException | None = None

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error


@contextmanager
def session_scope(app: Flask | None = None, *, reads_first: bool = False) -> Iterator[Session]:
    """A session of its own, committed on success, for CLI and background work. With ``reads_first``
    its transactions begin as reads and become writes at the first write (see :func:`begin_write`),
    as a request's do."""
    database = get_database(app)
    sess = database.reads_first_sessionmaker() if reads_first else database.sessionmaker()
    try:
        yield sess
        sess.commit()
    except BaseException:
        sess.rollback()
        raise
    finally:
        sess.close()
