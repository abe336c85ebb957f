"""Shared fixtures: an isolated app per test on each database backend, users of every role, a
logged-in client, API tokens.

The database backends come from ``--backends`` (default ``sqlite,postgresql``). PostgreSQL is the
server named by ``SANDYK_TEST_PG_URL`` (default: the local server, database ``test``); each test
session works in a schema of its own, so parallel runs never meet. Where no server answers, the
PostgreSQL half is skipped with a visible reason, unless ``SANDYK_TEST_REQUIRE_PG=1`` makes that
an error (CI sets it).
"""
from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "correct-horse-7"
S3_BUCKET = "sandyk-test-blobs"
S3_REGION = "us-east-1"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backends", default=os.environ.get("SANDYK_TEST_BACKENDS", "sqlite,postgresql"),
                     help="comma-separated database backends to run database tests on")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        backends = [b.strip() for b in metafunc.config.getoption("--backends").split(",") if b.strip()]
        metafunc.parametrize("backend", backends, scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop combinations that cannot exist: the PostgreSQL search index over a SQLite catalogue."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("backend") == "sqlite" and "postgres-fts" in params.values():
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _pg_schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def ocr_ready() -> None:
    """Skip (visibly) where tesseract with Kyrgyz and Russian data is missing; CI makes that an error."""
    from records.capture.intake import ocr_available

    if not ocr_available():
        if os.environ.get("SANDYK_TEST_REQUIRE_OCR") == "1":
            pytest.fail("OCR is required but tesseract with kir+rus data is not installed")
        pytest.skip("tesseract is not installed; OCR tests need it with kir and rus data")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A migrated PostgreSQL schema of this test session."""
    base = os.environ.get("SANDYK_TEST_PG_URL", PG_DEFAULT)
    try:
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # no server here: say so visibly
        if os.environ.get("SANDYK_TEST_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL is required but not reachable at {base}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {base}: {type(exc).__name__}")
    admin.dispose()
    with migrated_pg_schema(base, "sandyk_test") as url:
        yield url


@contextmanager
def migrated_pg_schema(base: str, prefix: str) -> Iterator[str]:
    """A new PostgreSQL schema migrated to head, dropped afterwards; yields its database URL."""
    from records import migrate

    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _pg_schema_url(base, schema)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database migrated to head once, copied for every test."""
    from records import migrate

    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


def _truncate_all(app: Flask) -> None:
    from records.db import Base, get_database

    engine = get_database(app).engine
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "data" / "sandyk.db"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    if backend == "postgresql":
        return request.getfixturevalue("pg_url")
    raise pytest.UsageError(f"unknown backend {backend}")


@pytest.fixture
def app_config(tmp_path: Path, database_url: str) -> dict[str, Any]:
    """Settings of the test app; a test may change them before asking for ``app``."""
    return {
        "TESTING": True,
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "ADMIN_PASSWORD": PASSWORD,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "WORKER": "inline",
        # Pages in English unless a test chooses a language (the product's default is Kyrgyz).
        "DEFAULT_LANGUAGE": "en",
    }


@pytest.fixture
def app(app_config: dict[str, Any], backend: str) -> Iterator[Flask]:
    from app import create_app
    from records.cli import setup_data

    flask_app = create_app(app_config)
    flask_app.config.update({k: v for k, v in app_config.items() if k in {"TESTING", "WTF_CSRF_ENABLED"}})
    setup_data(flask_app, echo=False)
    try:
        yield flask_app
    finally:
        from records import worker
        from records.db import get_database

        worker.shutdown(flask_app)
        if backend == "postgresql":
            _truncate_all(flask_app)
        get_database(flask_app).dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Any]:
    """A session for arranging and checking data around requests.

    It runs in autocommit mode, so it never holds a lock or an old snapshot while the app works,
    and each query sees what the requests committed (call ``expire_all()`` to reload objects).
    """
    from sqlalchemy.orm import Session

    from records.db import get_database

    engine = get_database(app).engine.execution_options(isolation_level="AUTOCOMMIT")
    with Session(engine, expire_on_commit=False) as session:
        yield session
        session.flush()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., Any]:
    """Create a user with the given roles; returns the detached User."""
    from records import accounts
    from records.db import session_scope

    counter = iter(range(1, 10_000))

    def factory(*roles: str, username: str | None = None, password: str = PASSWORD) -> Any:
        name = username or f"{(roles or ('user',))[0]}{next(counter)}"
        with app.app_context(), session_scope(app) as session:
            user = accounts.create_user(session, name, password, list(roles), full_name=name.title(),
                                        actor="test")
            session.flush()
            session.expunge(user)
        return user

    return factory


def do_login(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    return client.post("/login", data={"username": username, "password": password})


@pytest.fixture
def login_as(app: Flask, make_user: Callable[..., Any]) -> Callable[..., FlaskClient]:
    """A fresh client signed in as a new user of the given role(s)."""
    def factory(*roles: str) -> FlaskClient:
        user = make_user(*roles)
        c = app.test_client()
        resp = do_login(c, user.username)
        assert resp.status_code == 302, resp.get_data(as_text=True)
        c.user = user  # type: ignore[attr-defined]
        return c

    return factory


@pytest.fixture
def api_token(app: Flask, make_user: Callable[..., Any]) -> Callable[..., str]:
    """A bearer token for a new user of the given role(s)."""
    from records import accounts
    from records.db import session_scope

    def factory(*roles: str) -> str:
        user = make_user(*roles)
        with app.app_context(), session_scope(app) as session:
            return accounts.issue_token(session, session.get(type(user), user.id), actor="test")

    return factory


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local S3-compatible server with one empty bucket, for this module."""
    import boto3
    from moto.server import ThreadedMotoServer

    nowhere = tmp_path_factory.mktemp("aws") / "absent"
    with pytest.MonkeyPatch.context() as mp:
        # Dummy credentials, and no developer's real AWS config leaking in.
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", S3_REGION)
        mp.setenv("AWS_CONFIG_FILE", str(nowhere))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(nowhere))
        for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
            mp.delenv(name, raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            boto3.client("s3", endpoint_url=endpoint, region_name=S3_REGION).create_bucket(Bucket=S3_BUCKET)
            yield endpoint
        finally:
            server.stop()
