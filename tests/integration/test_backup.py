"""Backup and restore: a backup written while the app runs restores into an empty data folder with
every document, version, tombstone, act and audit event, the files bit for bit, the index rebuilt
and the audit chain verifying."""
from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text

from records import audit
from records.blobs import get_store
from records.db import Base, get_database, session_scope
from records.models import AuditAction, DestructionMethod, DisposalAct, DisposalActRow, Document
from records.search.indexing import get_index
from tests import samples
from tests.conftest import PG_DEFAULT, migrated_pg_schema

YEAR = date.today().year
# Rows the restore itself adds or moves: compared separately.
CHANGING = {"audit_event", "setting"}


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """Like the shared fixture, but PostgreSQL gets a schema of this test alone, so that it can be
    emptied and restored into."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "data" / "sandyk.db"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    request.getfixturevalue("pg_url")  # skips visibly when there is no server
    with migrated_pg_schema(os.environ.get("SANDYK_TEST_PG_URL", PG_DEFAULT), "sandyk_backup") as url:
        yield url


def _post(client: Any, token: str, path: Path, **extra: str) -> dict[str, Any]:
    resp = client.post("/api/v1/documents", data={
        "index": "12-4-7", "year": str(YEAR), "doc_type": "protocol", "title": "Протокол", **extra,
        "file": (path.open("rb"), path.name)}, headers={"Authorization": f"Bearer {token}"},
        content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _arrange(app: Flask, client: Any, api_token: Any, make_user: Any, tmp_path: Path) -> None:
    token = api_token("secretary")
    kept = [_post(client, token, samples.make_txt(tmp_path, text=f"Келишим №{i} ишкана менен", name=f"k{i}.txt"),
                  title=f"Келишим №{i}") for i in range(3)]
    _post(client, token, samples.make_text_pdf(tmp_path))
    head = make_user("head")
    with app.app_context(), session_scope(app) as session:
        from records.capture import documents

        doc = session.get(Document, kept[0]["id"])
        with samples.make_docx(tmp_path).open("rb") as second:
            documents.add_version(app, session, doc, documents.Upload(second, "v2.docx"), actor=None)
        # A destroyed document is kept as a tombstone, with the act that destroyed it.
        act = DisposalAct(number="1", act_date=date(YEAR, 1, 20), year=YEAR, status="executed",
                          drafted_by_id=head.id, destruction_method=DestructionMethod.SHREDDING)
        victim = session.get(Document, kept[2]["id"])
        act.rows.append(DisposalActRow(case_id=victim.case_id, position=1, heading="Протоколдор",
                                       case_index="12-4-7", case_year=YEAR, retention="5 л."))
        session.add(act)
        session.flush()
        victim.state, victim.destroyed_by_act_id = "destroyed", act.id
        audit.record(session, AuditAction.ACT_EXECUTE, act, actor="test")
    with app.app_context():
        from records import worker

        worker.run_once(app)


def _dump(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    rows = {}
    with get_database(app).engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns)
            rows[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
    return rows


def _read(app: Flask, sha256: str) -> bytes:
    with get_store(app).open(sha256) as fh:
        return fh.read()


def _restored_app(tmp_path: Path, source: Flask) -> Flask:
    from app import create_app

    config = {"TESTING": True, "DATA_DIR": str(tmp_path / "restored"), "SECRET_KEY": "test-secret",
              "WORKER": "inline", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
    if get_database(source).dialect == "postgresql":
        config["DATABASE_URL"] = source.config["DATABASE_URL"]
    return create_app(config)


def _empty_source_database(app: Flask) -> None:
    """For PostgreSQL the restore goes back into the same (now empty) schema."""
    database = get_database(app)
    if database.dialect == "postgresql":
        with database.engine.begin() as conn:
            schema = conn.scalar(text("SELECT current_schema()"))
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        database.dispose()


def test_round_trip_restores_everything(app: Flask, client: Any, api_token: Any, make_user: Any,
                                        tmp_path: Path) -> None:
    _arrange(app, client, api_token, make_user, tmp_path)
    before = _dump(app)
    files_before = {sha: _read(app, sha) for sha, *_ in before["blob"]}
    dest = tmp_path / "backup"
    result = app.test_cli_runner().invoke(args=["backup", "create", str(dest)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    assert all(f"blobs/{sha[:2]}/{sha[2:4]}/{sha}" in manifest["files"] for sha in files_before)

    _empty_source_database(app)
    restored = _restored_app(tmp_path, app)
    try:
        result = restored.test_cli_runner().invoke(args=["backup", "restore", str(dest)])
        assert result.exit_code == 0, result.output
        after = _dump(restored)
        for table, rows in before.items():
            if table not in CHANGING:
                assert after[table] == rows, table
        # Every event came back unchanged; the restore added its own after them.
        assert after["audit_event"][:len(before["audit_event"])] == before["audit_event"]
        assert [r for r in after["audit_event"][len(before["audit_event"]):]][-1][4] == "backup:restore"
        assert {sha: _read(restored, sha) for sha in files_before} == files_before
        with restored.app_context(), session_scope(restored) as session:
            live = set(session.scalars(select(Document.id).where(Document.state == "active")))
            assert len(live) == 3
            assert session.scalar(select(DisposalAct.destruction_method)) == DestructionMethod.SHREDDING
        assert get_index(restored).ids() == live
        verify = restored.test_cli_runner().invoke(args=["audit", "verify"])
        assert verify.exit_code == 0, verify.output
        fixity = restored.test_cli_runner().invoke(args=["storage", "verify"])
        assert fixity.exit_code == 0, fixity.output
    finally:
        get_database(restored).dispose()


def test_restore_refuses_a_folder_in_use_and_a_damaged_backup(app: Flask, client: Any, api_token: Any,
                                                              tmp_path: Path) -> None:
    _post(client, api_token("secretary"), samples.make_text_pdf(tmp_path))
    dest = tmp_path / "backup"
    assert app.test_cli_runner().invoke(args=["backup", "create", str(dest)]).exit_code == 0
    again = app.test_cli_runner().invoke(args=["backup", "create", str(dest)])
    assert again.exit_code != 0 and "not empty" in again.output
    in_use = app.test_cli_runner().invoke(args=["backup", "restore", str(dest)])
    assert in_use.exit_code != 0 and "empty" in in_use.output
    blob = next((dest / "blobs").rglob("*/*/*"))
    os.chmod(blob, 0o644)
    blob.write_bytes(blob.read_bytes() + b"x")
    damaged = app.test_cli_runner().invoke(args=["backup", "restore", str(dest)])
    assert damaged.exit_code != 0 and "damaged" in damaged.output and blob.name in damaged.output


def test_backup_while_documents_are_filed(app: Flask, client: Any, api_token: Any, tmp_path: Path,
                                          backend: str) -> None:
    token = api_token("secretary")
    paths = [samples.make_txt(tmp_path, text=f"Буйрук №{i}", name=f"b{i}.txt") for i in range(8)]
    errors: list[str] = []

    def keep_filing() -> None:
        for path in paths:
            resp = app.test_client().post("/api/v1/documents", data={
                "index": "12-4-7", "year": str(YEAR), "doc_type": "order", "title": path.stem,
                "file": (path.open("rb"), path.name)}, headers={"Authorization": f"Bearer {token}"},
                content_type="multipart/form-data")
            if resp.status_code != 201:
                errors.append(resp.get_data(as_text=True))

    worker = threading.Thread(target=keep_filing)
    worker.start()
    result = app.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "backup")])
    worker.join()
    assert result.exit_code == 0 and not errors, (result.output, errors)
    # Whatever the snapshot caught, each of its documents has its file in the backup.
    if backend == "sqlite":
        import sqlite3

        conn = sqlite3.connect(tmp_path / "backup" / "database.sqlite3")
        shas = {r[0] for r in conn.execute("SELECT sha256 FROM document_file")}
        conn.close()
        stored = {p.name for p in (tmp_path / "backup" / "blobs").rglob("*") if p.is_file()}
        assert shas <= stored

