"""Several processes over one PostgreSQL database: a commit in one wakes the workers of the others
(LISTEN/NOTIFY), so a change made through one app server is searchable through another at once."""
from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest

from records import worker
from records.db import get_database, session_scope
from records.search import indexing

pytestmark = pytest.mark.postgres
# Every process of one install keys the audit chain with the same key (README, "Several app servers").
AUDIT_KEY = "test-audit-key-shared-by-every-server"


def _app(pg_url: str, data: Path):  # type: ignore[no-untyped-def]
    from app import create_app

    return create_app({"DATABASE_URL": pg_url, "DATA_DIR": str(data), "SECRET_KEY": "test", "WORKER": "off"})


@pytest.fixture
def two_apps(pg_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    first, second = _app(pg_url, tmp_path / "a"), _app(pg_url, tmp_path / "b")
    yield first, second
    with get_database(first).engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM index_task")
    for app in (first, second):
        get_database(app).dispose()


def test_a_commit_in_one_process_wakes_the_listener_of_another(two_apps) -> None:  # type: ignore[no-untyped-def]
    writer, reader = two_apps
    wake, stop = threading.Event(), threading.Event()
    thread = worker.start_listener(reader, wake, stop)
    assert thread is not None
    try:
        assert wake.wait(10), "the listener wakes once when it starts listening"
        wake.clear()

        with session_scope(writer) as session:
            indexing.enqueue(session, 424242)
            indexing.enqueue(session, 424243)  # one notification per transaction is enough
        # The listener never polls: only the notification sent at the commit can set the event.
        assert wake.wait(10), "a commit with index work wakes the other process"
        wake.clear()

        with pytest.raises(RuntimeError), session_scope(writer) as session:
            indexing.enqueue(session, 424244)
            raise RuntimeError("rolled back")
        assert not wake.wait(1.5), "a rolled-back transaction notifies nobody"
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def test_sqlite_has_no_listener(tmp_path: Path) -> None:
    from app import create_app

    app = create_app({"DATA_DIR": str(tmp_path), "SECRET_KEY": "test", "WORKER": "off"})
    assert worker.start_listener(app, threading.Event(), threading.Event()) is None


def test_db_check_warns_about_settings_that_slow_searches(pg_url: str) -> None:
    from sqlalchemy import create_engine

    from records.search.pg_index import tuning_warnings

    small = create_engine(pg_url.replace("options=-c", "options=-cwork_mem%3D1MB%20-c"))
    ample = create_engine(pg_url.replace("options=-c", "options=-cwork_mem%3D64MB%20-c"))
    try:
        assert any(w.startswith("work_mem is 1 MB") for w in tuning_warnings(small))
        assert not any(w.startswith("work_mem") for w in tuning_warnings(ample))
    finally:
        small.dispose()
        ample.dispose()


def test_a_postgresql_pool_keeps_a_connection_for_each_thread_and_its_search(pg_url: str, tmp_path: Path) -> None:
    """A connection given back to a full pool is closed; under load a pool smaller than what the threads
    hold at once (a request's own connection and its search's) would open and close them all the time."""
    from app import create_app

    app = create_app({"DATABASE_URL": pg_url, "DATA_DIR": str(tmp_path), "SECRET_KEY": "test", "WORKER": "off",
                      "THREADS": 6})
    configured = create_app({"DATABASE_URL": pg_url, "DATA_DIR": str(tmp_path), "SECRET_KEY": "test",
                             "WORKER": "off", "DB_POOL_SIZE": 3})
    try:
        assert get_database(app).engine.pool.size() == 2 * 6 + 2
        assert get_database(configured).engine.pool.size() == 3
    finally:
        get_database(app).dispose()
        get_database(configured).dispose()


# -- the scale-out configuration, whole: two app servers and two workers, one PostgreSQL, one S3 store --


@pytest.fixture
def s3_url(s3_endpoint: str) -> str:
    from tests.conftest import S3_BUCKET, S3_REGION

    return f"s3://{S3_BUCKET}/scaleout-{uuid.uuid4().hex}?endpoint_url={s3_endpoint}&region={S3_REGION}"


@pytest.fixture(params=["postgres-fts"])
def scaleout_app(request: pytest.FixtureRequest, app_config: dict, s3_url: str):  # type: ignore[no-untyped-def]
    """The test app on PostgreSQL with the PostgreSQL search index and the S3 store (the SQLite
    combination is deselected, as for the other PostgreSQL-index tests)."""
    app_config.update({"INDEX_URL": request.param, "BLOB_STORE_URL": s3_url, "WORKER": "off",
                       "AUDIT_KEY": AUDIT_KEY})
    return request.getfixturevalue("app")


@pytest.mark.slow
def test_two_servers_and_two_workers_file_and_search_with_nothing_lost_or_doubled(
        scaleout_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import json
    import os
    import subprocess
    import time
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import func, select

    from records import accounts
    from records.blobs import get_store
    from records.models import Document, DocumentFile, IndexTask
    from records.search.indexing import get_index
    from tests.integration.server_process import FLASK, ROOT, Server, multipart

    app = scaleout_app
    pg_url, s3_url = app.config["DATABASE_URL"], app.config["BLOB_STORE_URL"]
    with session_scope(app) as session:
        user = accounts.create_user(session, "scaleout-secretary", "correct-horse-7", ["secretary", "auditor"],
                                    actor="test")
        session.flush()
        token = accounts.issue_token(session, user, actor="test")

    def env(name: str) -> dict[str, str]:
        return {**os.environ, "SANDYK_DATA_DIR": str(tmp_path / name), "SANDYK_DATABASE_URL": pg_url,
                "SANDYK_BLOB_STORE_URL": s3_url, "SANDYK_INDEX_URL": "postgres-fts:", "SANDYK_WORKER": "off",
                "SANDYK_SECRET_KEY": "test-secret", "SANDYK_AUDIT_KEY": AUDIT_KEY,
                "SANDYK_THREADS": "4"}

    class _Server(Server):
        def __init__(self, name: str) -> None:
            super().__init__(app)
            self.name = name

        def start(self, timeout: float = 60) -> Server:
            import tests.integration.server_process as sp

            original = sp.server_env
            sp.server_env = lambda _app: env(self.name)  # type: ignore[assignment]
            try:
                return super().start(timeout)
            finally:
                sp.server_env = original

    servers = [_Server("web-1").start(), _Server("web-2").start()]
    # Idle rounds an hour apart: only the notifications of the servers' commits can wake the workers.
    workers = [subprocess.Popen([FLASK, "--app", "app", "worker", "run", "--interval", "3600"], cwd=ROOT,
                                env=env(f"worker-{n}"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
               for n in (1, 2)]
    try:
        def call(server: Server, path: str, body: bytes | None = None, ctype: str | None = None) -> dict:
            request = urllib.request.Request(server.url + path, data=body, method="POST" if body else "GET")
            request.add_header("Authorization", f"Bearer {token}")
            if ctype:
                request.add_header("Content-Type", ctype)
            with urllib.request.urlopen(request, timeout=60) as resp:
                return json.loads(resp.read())

        def file_one(n: int) -> int:
            word = f"scaleoutword{n:03d}"
            body, ctype = multipart({"index": "12-4-7", "year": "2026", "doc_type": "protocol",
                                     "title": f"Протокол {n}", "doc_date": "2026-02-01"},
                                    f"protocol-{n}.txt", f"Кафедранын отурумунун протоколу {word}.\n".encode())
            return int(call(servers[n % 2], "/api/v1/documents", body, ctype)["id"])

        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(file_one, range(24)))
        assert len(set(ids)) == 24

        deadline = time.monotonic() + 90
        missing = set(range(24))
        while missing and time.monotonic() < deadline:
            for n in sorted(missing):
                found = call(servers[(n + 1) % 2], f"/api/v1/search?q=scaleoutword{n:03d}")
                if [hit["id"] for hit in found["results"]] == [ids[n]]:
                    missing.discard(n)
            time.sleep(0.2)
        assert not missing, f"not searchable through the other server: {sorted(missing)}"

        with session_scope(app) as session:
            assert session.scalar(select(func.count()).select_from(Document)) == 24
            assert session.scalar(select(func.count()).select_from(IndexTask)) == 0
            shas = set(session.scalars(select(DocumentFile.sha256)))
        assert len(shas) == 24
        stored = {info.sha256 for info in get_store(app).iter_blobs()}
        assert shas == stored
        assert get_index(app).ids() == set(ids)
        for proc in workers:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
    finally:
        for proc in workers:
            proc.terminate()
            proc.wait(30)
            if proc.stderr is not None:
                proc.stderr.close()
        for server in servers:
            server.stop()
