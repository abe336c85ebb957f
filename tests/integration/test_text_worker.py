"""Text extraction after the upload: the web process alone brings scans to a final state; failures
are recorded and retried by a command."""
from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from records.models import DocumentFile
from records.search.indexing import get_index
from tests import samples


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["WORKER"] = "thread"
    return app_config


def _post(client: Any, token: str, path: Any) -> Any:
    return client.post("/api/v1/documents", headers={"Authorization": f"Bearer {token}"},
                       content_type="multipart/form-data",
                       data={"file": (path.open("rb"), path.name), "index": "12-4-19", "doc_type": "sac",
                             "title": "МАК отчету", "doc_date": "2024-06-20", "year": "2024"})


@pytest.mark.ocr
def test_scan_is_pending_then_done_by_the_web_process_alone(app: Flask, client, api_token, tmp_path, ocr_ready) -> None:  # type: ignore[no-untyped-def]
    token = api_token("secretary")
    resp = _post(client, token, samples.make_scan_image(tmp_path, samples.RU_TEXT))
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["text_status"] == "pending"
    doc_id = body["id"]
    deadline = time.monotonic() + 120  # a failure guard, not a speed requirement
    status = "pending"
    while status == "pending" and time.monotonic() < deadline:
        time.sleep(0.5)
        status = client.get(f"/api/v1/documents/{doc_id}", headers={"Authorization": f"Bearer {token}"}).get_json()["text_status"]
    assert status == "done"
    # The text is committed first; the worker applies its index task just after, in the same round.
    found: list[int] = []
    while doc_id not in found and time.monotonic() < deadline:
        found = [h.id for h in get_index(app).search("договор", snippets=False).hits]
        if doc_id not in found:
            time.sleep(0.2)
    assert doc_id in found


def test_failed_extraction_is_recorded_and_retried(app: Flask, client, api_token, tmp_path, db_session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from records.capture.intake.base import Extraction

    app.config["WORKER"] = "off"  # the command does the work here
    calls = {"n": 0}

    def broken(*_a: Any, **_k: Any) -> Extraction:
        calls["n"] += 1
        return Extraction(status="failed", error="tesseract missing")

    monkeypatch.setattr("records.capture.documents.extract_text", broken)
    token = api_token("secretary")
    resp = _post(client, token, samples.make_text_pdf(tmp_path))
    assert resp.status_code == 201 and resp.get_json()["text_status"] == "failed"
    assert get_index(app).search("заседание", snippets=False).total == 0
    monkeypatch.undo()
    result = app.test_cli_runner().invoke(args=["text", "retry"])
    assert result.exit_code == 0, result.output
    assert "Retried 1" in result.output
    db_session.expire_all()
    version = db_session.scalar(select(DocumentFile))
    assert version.text_status == "done" and version.document.text_status == "done"
    doc_id = resp.get_json()["id"]
    assert doc_id in [h.id for h in get_index(app).search("заседание", snippets=False).hits]
