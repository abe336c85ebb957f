"""File names of downloads under the production server (waitress): a Cyrillic inventory number and a
Kyrgyz uploaded file name travel in ``Content-Disposition`` as RFC 6266 ``filename*``, the header stays
encodable, and stored files answer Range and conditional requests."""
from __future__ import annotations

import http.cookiejar
import io
import re
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask
from pypdf import PdfReader

from records import disposition
from records.capture import documents
from records.db import session_scope
from records.models import User
from tests.integration.server_process import Server

KYRGYZ_NAME = "Кафедранын отуруму №5 (көчүрмө).txt"


def _arrange(app: Flask, tmp_path: Path, officer: Any) -> tuple[int, int]:
    """A permanent case of 2023, closed, with one document filed under a Kyrgyz name, listed in
    inventory 1-П (a draft); returns (inventory id, document id)."""
    path = tmp_path / "upload.txt"
    path.write_text("Кафедранын отурумунун протоколу, 2023-жыл", encoding="utf-8")
    with app.app_context(), session_scope(app) as session, path.open("rb") as fh:
        filed = documents.file_document(
            app, session, year=2023, index="12-4-7",
            meta=documents.validate_metadata({"doc_type": "protocol", "title": "Протокол №5",
                                              "doc_date": "2023-03-01"}),
            upload=documents.Upload(fh, KYRGYZ_NAME), actor=None)
        doc_id, case_id = filed.document.id, filed.document.case_id
    with app.app_context(), session_scope(app) as session:
        disposition.closing.close_year(session, 2023, actor="test", acknowledged=True, today=date(2024, 1, 10))
    with app.app_context(), session_scope(app) as session:
        inventory = disposition.inventories.draft_inventory(session, number="1-П", inventory_date=date(2025, 2, 3),
                                                            case_ids=[case_id], actor=session.get(User, officer.id))
        session.flush()
        return inventory.id, doc_id


def _signed_in(server: Server, username: str, password: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(server.url + "/login", timeout=30) as resp:
        token = re.search(r'name="csrf_token" value="([^"]+)"', resp.read().decode())
    assert token is not None
    body = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token.group(1)})
    with opener.open(server.url + "/login", data=body.encode(), timeout=30) as resp:
        assert resp.status == 200 and "/login" not in resp.url
    return opener


def _filename_star(header: str) -> str:
    match = re.search(r"filename\*=UTF-8''([^;]+)", header)
    assert match is not None, header
    return urllib.parse.unquote(match.group(1))


def test_cyrillic_download_names_under_waitress(app: Flask, tmp_path: Path, make_user: Any,
                                                api_token: Any) -> None:
    officer = make_user("archivist", "secretary")
    inventory_id, doc_id = _arrange(app, tmp_path, officer)
    token = api_token("auditor")
    server = Server(app).start()
    try:
        opener = _signed_in(server, officer.username, "correct-horse-7")
        for fmt in ("pdf", "xlsx"):
            with opener.open(f"{server.url}/disposal/inventories/{inventory_id}.{fmt}?lang=ru", timeout=60) as resp:
                assert resp.status == 200
                header = resp.headers["Content-Disposition"]
                body = resp.read()
            assert header.startswith("attachment")
            assert _filename_star(header) == f"inventory-2025-1-П-ru.{fmt}"
            if fmt == "pdf":  # the whole form arrives: its text reads back
                text = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
                assert "ОПИСЬ № 1-П" in text and "Протоколы заседаний кафедры" in text
        assert body[:2] == b"PK"

        auth = {"Authorization": f"Bearer {token}"}
        url = f"{server.url}/api/v1/documents/{doc_id}/file"
        with urllib.request.urlopen(urllib.request.Request(url, headers=auth), timeout=30) as resp:
            whole = resp.read()
            header = resp.headers["Content-Disposition"]
            etag = resp.headers["ETag"]
        assert _filename_star(header) == KYRGYZ_NAME and header.startswith("attachment")
        assert whole.decode("utf-8") == "Кафедранын отурумунун протоколу, 2023-жыл"
        ranged = urllib.request.Request(url, headers={**auth, "Range": "bytes=0-19"})
        with urllib.request.urlopen(ranged, timeout=30) as resp:
            assert resp.status == 206 and resp.read() == whole[:20]
        again = urllib.request.Request(url, headers={**auth, "If-None-Match": etag})
        try:
            urllib.request.urlopen(again, timeout=30)
            raise AssertionError("a repeated download with the same ETag must answer 304")
        except urllib.error.HTTPError as exc:
            assert exc.code == 304
    finally:
        server.stop()
