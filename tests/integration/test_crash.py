"""Crash safety: a server killed with SIGKILL in the middle of an upload leaves a state that the next
start plus one repair command (``storage gc``) makes consistent, with nothing lost that was
acknowledged."""
from __future__ import annotations

import hashlib
import json
import socket
import time
import urllib.request
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from records.blobs import get_store
from records.models import Document
from tests.integration.server_process import Server, consistency_problems, multipart, run_cli

YEAR = date.today().year
FIELDS = {"index": "12-4-7", "year": str(YEAR), "doc_type": "protocol", "title": "Протокол"}


def upload(server: Server, token: str, name: str, content: bytes) -> dict[str, Any]:
    body, ctype = multipart(FIELDS, name, content)
    req = urllib.request.Request(server.url + "/api/v1/documents", data=body, method="POST",
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": ctype})
    with urllib.request.urlopen(req, timeout=60) as resp:
        assert resp.status == 201
        return json.loads(resp.read())


def start_upload(server: Server, token: str, content: bytes, send: int) -> socket.socket:
    """Send the headers and the first ``send`` bytes of an upload, then leave it hanging."""
    body, ctype = multipart(FIELDS, "big.txt", content)
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    head = (f"POST /api/v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    sock.sendall(head + body[:send])
    return sock


def big_text(n_lines: int, salt: str) -> bytes:
    return "".join(f"{salt} кафедранын отурумунун протоколу №{i}\n" for i in range(n_lines)).encode()


@pytest.mark.slow
def test_sigkill_during_uploads_loses_nothing_acknowledged(app: Flask, api_token: Any, db_session: Any) -> None:
    token = api_token("secretary")
    server = Server(app).start()
    acknowledged: list[dict[str, Any]] = []
    try:
        for i in range(3):
            acknowledged.append(upload(server, token, f"doc{i}.txt", big_text(50, f"kept{i}")))
        # Killed while the body is still arriving.
        content = big_text(200_000, "half")
        sock = start_upload(server, token, content, send=len(content) // 2)
        time.sleep(0.3)
        server.kill()
        sock.close()

        # Killed as soon as the whole body has arrived: while it is spooled, checked, extracted or stored.
        server = Server(app).start()
        acknowledged.append(upload(server, token, "after-restart.txt", big_text(50, "kept-after")))
        whole = big_text(300_000, "whole")
        sock = start_upload(server, token, whole, send=len(whole) + 10_000)
        time.sleep(0.2)
        server.kill()
        sock.close()

        # The next start finishes what was committed; one repair command removes the leftovers.
        server = Server(app).start()
        acknowledged.append(upload(server, token, "last.txt", big_text(50, "kept-last")))
        time.sleep(0.5)
    finally:
        server.stop()
    gc = run_cli(app, "storage", "gc", "--older-than", "0")
    assert gc.returncode == 0, gc.stderr
    sync = run_cli(app, "index", "sync")
    assert sync.returncode == 0, sync.stderr

    assert consistency_problems(app, db_session) == []
    store = get_store(app)
    for body in acknowledged:
        document = db_session.get(Document, body["id"])
        assert document is not None and document.state == "active"
        with store.open(body["sha256"]) as fh:
            assert hashlib.sha256(fh.read()).hexdigest() == body["sha256"]
    filed = db_session.scalars(select(Document.id)).all()
    assert len(filed) in (len(acknowledged), len(acknowledged) + 1)  # the second killed upload may have committed
    verify = run_cli(app, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
