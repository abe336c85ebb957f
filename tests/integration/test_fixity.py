"""Fixity: ``storage verify`` finds a flipped byte, a missing file and an orphan, and resumes an
interrupted run; ``storage gc`` removes orphans and stale temporary files after the grace period only."""
from __future__ import annotations

import hashlib
import os
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from records import fixity
from records.blobs import get_store
from records.models import Blob
from tests import samples

YEAR = date.today().year


def _file_docs(client: Any, token: str, tmp_path: Path, n: int) -> list[str]:
    shas = []
    for i in range(n):
        path = samples.make_txt(tmp_path, name=f"doc{i}.txt")
        path.write_text(f"Протокол №{i} кафедранын отурумунун {i}", encoding="utf-8")
        resp = client.post("/api/v1/documents", data={
            "index": "12-4-7", "year": str(YEAR), "doc_type": "protocol", "title": f"Протокол №{i}",
            "file": (path.open("rb"), path.name)}, headers={"Authorization": f"Bearer {token}"},
            content_type="multipart/form-data")
        assert resp.status_code == 201, resp.get_json()
        shas.append(resp.get_json()["sha256"])
    return shas


def _blob_path(app: Flask, sha256: str) -> Path:
    path = get_store(app).local_path(sha256)
    assert path is not None
    return path


def _orphan(app: Flask, tmp_path: Path, content: bytes, age_hours: float = 0) -> str:
    src = tmp_path / f"orphan-{hashlib.md5(content).hexdigest()}"
    src.write_bytes(content)
    sha = hashlib.sha256(content).hexdigest()
    get_store(app).put(src, sha)
    if age_hours:
        stamp = time.time() - age_hours * 3600
        os.utime(_blob_path(app, sha), (stamp, stamp))
    return sha


@pytest.fixture
def filed(app: Flask, client: Any, api_token: Any, tmp_path: Path) -> list[str]:
    return _file_docs(client, api_token("secretary"), tmp_path, 3)


def test_clean_store_verifies(app: Flask, filed: list[str], db_session: Any) -> None:
    result = app.test_cli_runner().invoke(args=["storage", "verify"])
    assert result.exit_code == 0, result.output
    assert "Checked 3 files" in result.output and "intact" in result.output
    assert all(b.verified_at is not None for b in db_session.scalars(select(Blob)))


def test_flipped_byte_is_reported(app: Flask, filed: list[str]) -> None:
    path = _blob_path(app, filed[1])
    os.chmod(path, 0o640)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    result = app.test_cli_runner().invoke(args=["storage", "verify"])
    assert result.exit_code == 1
    assert f"CORRUPTED {filed[1]}" in result.output
    assert filed[0] not in result.output and filed[2] not in result.output


def test_missing_and_orphaned_files_are_reported(app: Flask, filed: list[str], tmp_path: Path) -> None:
    os.unlink(_blob_path(app, filed[0]))
    orphan = _orphan(app, tmp_path, b"left behind by a crash")
    result = app.test_cli_runner().invoke(args=["storage", "verify"])
    assert result.exit_code == 1
    assert f"MISSING {filed[0]}" in result.output and f"ORPHANED {orphan}" in result.output


def test_an_interrupted_run_resumes(app: Flask, filed: list[str], db_session: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(fixity, "BATCH", 1)
    seen: list[int] = []

    def stop_after_two(n: int) -> None:
        seen.append(n)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fixity.verify_storage(app, progress=stop_after_two)
    # The first batch was remembered before the interruption.
    verified = [b for b in db_session.scalars(select(Blob)) if b.verified_at is not None]
    assert len(verified) == 1
    result = app.test_cli_runner().invoke(args=["storage", "verify"])
    assert result.exit_code == 0, result.output
    assert "Resuming" in result.output and "Checked 2 files" in result.output
    # A finished run is not resumed: the next one checks everything again.
    again = app.test_cli_runner().invoke(args=["storage", "verify"])
    assert "Checked 3 files" in again.output and "Resuming" not in again.output


def test_gc_deletes_old_orphans_and_temp_files_only(app: Flask, filed: list[str], tmp_path: Path) -> None:
    old = _orphan(app, tmp_path, b"old orphan", age_hours=30)
    young = _orphan(app, tmp_path, b"young orphan")
    tmp_dir = Path(app.config["DATA_DIR"]) / "tmp"
    stale, fresh = tmp_dir / ".tmp-upload-stale", tmp_dir / ".tmp-upload-fresh"
    stale.write_bytes(b"partial")
    fresh.write_bytes(b"partial")
    stamp = time.time() - 30 * 3600
    os.utime(stale, (stamp, stamp))
    dry = app.test_cli_runner().invoke(args=["storage", "gc", "--dry-run"])
    assert old in dry.output and get_store(app).exists(old)
    result = app.test_cli_runner().invoke(args=["storage", "gc"])
    assert result.exit_code == 0, result.output
    store = get_store(app)
    assert not store.exists(old) and store.exists(young)
    assert all(store.exists(sha) for sha in filed)
    assert not stale.exists() and fresh.exists()
    # With no grace period the young leftovers go too, and the documents' files still stay.
    app.test_cli_runner().invoke(args=["storage", "gc", "--older-than", "0"])
    assert not store.exists(young) and not fresh.exists()
    assert all(store.exists(sha) for sha in filed)
    verify = app.test_cli_runner().invoke(args=["storage", "verify"])
    assert verify.exit_code == 0, verify.output
