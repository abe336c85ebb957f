"""The database: declarative base, engine set-up per backend, and one session per request.

Services flush and never commit; the request boundary commits (see ``app.py``), and any error
rolls back. Background work opens its own sessions with :func:`session_scope`.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Flask, current_app, g
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

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


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # Pooled connections: closing the last connection to a WAL database checkpoints it, which would
        # cost every short transaction a disk flush. A pooled connection is used by one thread at a time.
        engine = create_engine(url, pool_size=5, max_overflow=10,
                               connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # The sqlite3 module's own transaction handling is switched off so that BEGIN is issued by
            # SQLAlchemy (below) as BEGIN IMMEDIATE: writers queue on the lock instead of failing with
            # "database is locked" when two requests upgrade read locks at once.
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
            if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


class Database:
    """Engine and session factory bound to one Flask app."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()


def init_app(app: Flask) -> Database:
    database = Database(app.config["DATABASE_URL"])
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


def session() -> Session:
    """The session of the current request or app context."""
    if "_db_session" not in g:
        g._db_session = get_database().sessionmaker()
    return g._db_session


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A session of its own, committed on success, for CLI and background work."""
    sess = get_database(app).sessionmaker()
    try:
        yield sess
        sess.commit()
    except BaseException:
        sess.rollback()
        raise
    finally:
        sess.close()
