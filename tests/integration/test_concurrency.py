"""Concurrency: 20 uploads from 4 processes at once against one server all end up filed, each file
stored once, indexed and audited, and the audit chain stays whole."""
from __future__ import annotations

import hashlib
import multiprocessing
import time
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from records.blobs import get_store
from records.models import AuditEvent, Blob, Document, DocumentFile
from tests.integration.server_process import Server, consistency_problems, post_document, run_cli

YEAR = date.today().year
PROCESSES, EACH = 4, 5
# The same bytes sent by every process (with allow_duplicate): four documents, one stored file.
SHARED = "".join(f"Кафедранын отурумунун протоколу №{i} бардыгы үчүн бир файл\n" for i in range(40)).encode()


def _send(url: str, token: str, name: str, content: bytes, **extra: str) -> tuple[int, dict[str, Any]]:
    fields = {"index": "12-4-7", "year": str(YEAR), "doc_type": "protocol", "title": name, **extra}
    return post_document(url, token, fields, name, content)


def _client(url: str, token: str, proc: int, start: float) -> list[tuple[int, dict[str, Any]]]:
    time.sleep(max(0.0, start - time.time()))  # all processes begin together
    results = [_send(url, token, f"shared-{proc}.txt", SHARED, allow_duplicate="1")]
    for i in range(EACH - 1):
        content = "".join(f"Буйрук №{proc}-{i}-{n}: ишкана менен келишим\n" for n in range(30)).encode()
        results.append(_send(url, token, f"order-{proc}-{i}.txt", content))
    return results


@pytest.mark.slow
def test_twenty_uploads_from_four_processes(app: Flask, api_token: Any, db_session: Any) -> None:
    token = api_token("secretary")
    server = Server(app).start()
    try:
        start = time.time() + 0.5
        with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
            batches = pool.starmap(_client, [(server.url, token, p, start) for p in range(PROCESSES)])
        results = [r for batch in batches for r in batch]
        assert [status for status, _body in results] == [201] * PROCESSES * EACH, results
        # Let the background worker of the server catch up with the index.
        deadline = time.time() + 30
        while time.time() < deadline and run_cli(app, "index", "check").returncode != 0:
            time.sleep(0.5)
    finally:
        server.stop()

    ids = {body["id"] for _s, body in results}
    assert len(ids) == PROCESSES * EACH
    docs = db_session.scalars(select(Document).where(Document.id.in_(ids))).all()
    assert len(docs) == PROCESSES * EACH
    versions = db_session.scalars(select(DocumentFile)).all()
    shas = [v.sha256 for v in versions]
    assert shas.count(hashlib.sha256(SHARED).hexdigest()) == PROCESSES
    blobs = db_session.scalars(select(Blob.sha256)).all()
    assert sorted(blobs) == sorted(set(shas))  # each file stored once
    stored = [info.sha256 for info in get_store(app).iter_blobs()]
    assert sorted(stored) == sorted(set(shas))
    filed = db_session.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "document:file")).all()
    assert sorted(map(int, filed)) == sorted(ids)
    assert consistency_problems(app, db_session) == []
    verify = run_cli(app, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
