"""OCR work a person can follow: the page confidence kept with each version, the records officer reading
a scan again, imports showing progress and a summary (also on the status page)."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from records import worker
from records.models import AuditEvent, Document, DocumentFile, DocumentText, Job
from tests import samples

YEAR = date.today().year


def upload(client: Any, path: Path, title: str = "Скан протокола") -> int:
    resp = client.post("/documents/", content_type="multipart/form-data", headers={"Accept": "application/json"},
                       data={"year": str(YEAR), "index": "12-4-7", "doc_type": "protocol", "title": title,
                             "file": (path.open("rb"), path.name)})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return int(resp.get_json()["id"])


@pytest.mark.ocr
def test_scan_keeps_its_confidence_and_the_records_officer_has_it_read_again(
        app: Flask, login_as: Any, db_session: Any, tmp_path: Path, ocr_ready: None) -> None:
    doc_id = upload(login_as("secretary"), samples.make_scan_image(tmp_path, samples.KY_TEXT, dpi=200))
    version = db_session.scalar(select(DocumentFile).where(DocumentFile.document_id == doc_id))
    assert version.text_status == "done" and version.text_method == "ocr"
    assert version.ocr_confidence is not None and 50 < version.ocr_confidence <= 100
    first_confidence = version.ocr_confidence

    officer = login_as("archivist")
    page = officer.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert f"/documents/{doc_id}/ocr" in page and "data-confirm=" in page
    app.config["WORKER"] = "off"  # the reading waits for the worker: the state in between is visible
    resp = officer.post(f"/documents/{doc_id}/ocr")
    assert resp.status_code == 302
    db_session.expire_all()
    version = db_session.get(DocumentFile, version.id)
    assert version.text_status == "pending" and version.document.text_status == "pending"
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "document:ocr"))
    assert event.actor == officer.user.username and event.object_id == str(doc_id)
    assert event.detail["ocr_confidence"] == first_confidence
    # asked twice while waiting: refused, nothing recorded twice
    again = officer.post(f"/documents/{doc_id}/ocr")
    assert again.status_code == 409 and "already waiting" in again.get_data(as_text=True)

    assert worker.run_once(app) == 1
    db_session.expire_all()
    version = db_session.get(DocumentFile, version.id)
    assert version.text_status == "done" and version.ocr_confidence is not None
    assert "Кафедранын" in db_session.get(DocumentText, version.id).text


def test_text_from_the_file_itself_is_not_read_by_ocr(app: Flask, login_as: Any, db_session: Any,
                                                       tmp_path: Path) -> None:
    doc_id = upload(login_as("secretary"), samples.make_docx(tmp_path))
    officer = login_as("archivist")
    assert f"/documents/{doc_id}/ocr" not in officer.get(f"/documents/{doc_id}").get_data(as_text=True)
    resp = officer.post(f"/documents/{doc_id}/ocr")
    assert resp.status_code == 409 and "not from OCR" in resp.get_data(as_text=True)
    assert db_session.scalar(select(Document.text_status).where(Document.id == doc_id)) == "done"
    assert db_session.scalar(select(AuditEvent).where(AuditEvent.action == "document:ocr")) is None


def test_import_shows_progress_and_a_summary_and_the_status_page_reads_it(
        app: Flask, login_as: Any, db_session: Any, tmp_path: Path) -> None:
    folder = tmp_path / "archive" / str(YEAR) / "12-4-7"
    folder.mkdir(parents=True)
    for n in range(3):
        (folder / f"protocol-{n}.txt").write_text(f"Протокол №{n}. Кафедранын отурумунун протоколу.", encoding="utf-8")
    (folder / "copy.txt").write_text("Протокол №0. Кафедранын отурумунун протоколу.", encoding="utf-8")
    (folder / "run.exe").write_bytes(b"MZ" + b"\0" * 200)
    app.config["OCR_LANGS"] = "xyz"  # no such OCR language: the scan cannot be read
    samples.make_scan_image(folder, samples.KY_TEXT, dpi=100, name="scan.png")

    result = app.test_cli_runner().invoke(args=["import", "folder", str(tmp_path / "archive")])
    assert result.exit_code == 1, result.output  # a file was refused
    lines = result.output.splitlines()
    assert "Filing: 6 of 6 (100%)" in " ".join(lines)
    assert any(line.startswith("Filing: 6 of 6 (100%) · ") and " per " in line for line in lines), result.output
    assert "Filed: 4" in result.output and "Skipped as already filed: 1" in result.output
    assert "Refused: 1" in result.output and "  2026/12-4-7/run.exe: ".replace("2026", str(YEAR)) in result.output
    assert "Text could not be read: 1" in result.output
    assert any(line.startswith(f"  {YEAR}/12-4-7/scan.png: ") and "xyz" in line for line in lines), result.output

    job = db_session.scalar(select(Job).where(Job.kind == "import"))
    assert (job.state, job.done, job.total) == ("done", 6, 6)
    assert job.summary == {"filed": 4, "already_filed": 1, "refused": 1}
    assert job.finished_at is not None

    page = login_as("archivist").get("/jobs").get_data(as_text=True)
    assert "Import of an archive" in page and str(tmp_path / "archive") in page
    assert "6 of 6 (100%)" in page and "Files whose text could not be read: 1" in page
