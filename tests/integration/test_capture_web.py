"""Filing in the browser's forms, the document page, versions, editing and moving (all audited)."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import select

from records.models import AuditEvent, Document
from tests import samples

YEAR = date.today().year


def upload(client: Any, path: Any, json: bool = True, **fields: Any) -> Any:
    data = {"year": str(YEAR), "index": "12-4-7 — Протоколы", "doc_type": "protocol", "title": "Протокол №3",
            "doc_date": f"{YEAR}-03-01", "number": "3", "agenda": "Практика боюнча келишимдер"}
    data.update(fields)
    data["file"] = (path.open("rb"), path.name)
    headers = {"Accept": "application/json"} if json else {}
    return client.post("/documents/", data=data, headers=headers, content_type="multipart/form-data")


def actions(db_session: Any, doc_id: int) -> list[str]:
    return list(db_session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "document",
                                                                   AuditEvent.object_id == str(doc_id))))


def test_upload_page_and_json_filing(app: Flask, login_as, tmp_path, db_session) -> None:  # type: ignore[no-untyped-def]
    sec = login_as("secretary")
    page = sec.get(f"/documents/new?year={YEAR}").get_data(as_text=True)
    assert "12-4-7 — " in page and 'id="dropzone"' in page
    resp = upload(sec, samples.make_text_pdf(tmp_path))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    doc = db_session.get(Document, body["id"])
    assert doc.case.index == "12-4-7" and doc.details == {"agenda": "Практика боюнча келишимдер"}
    html = sec.get(body["url"]).get_data(as_text=True)
    assert "Протокол №3" in html and "Практика боюнча келишимдер" in html
    assert "document:view" in actions(db_session, doc.id)


def test_refused_upload_in_the_form_says_why(app: Flask, login_as, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sec = login_as("secretary")
    resp = upload(sec, samples.make_exe_as_pdf(tmp_path))
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "type_not_allowed"
    resp = upload(sec, samples.make_exe_as_pdf(tmp_path), json=False)
    assert resp.status_code == 302
    follow = sec.get(resp.headers["Location"]).get_data(as_text=True)
    assert "is a program, not a document, although its name says PDF" in follow


def test_preview_only_for_safe_pdf_and_images(app: Flask, login_as, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sec = login_as("secretary")
    safe = upload(sec, samples.make_text_pdf(tmp_path)).get_json()["id"]
    risky = upload(sec, samples.make_js_pdf(tmp_path), title="JS").get_json()["id"]
    preview = sec.get(f"/documents/{safe}/preview")
    assert preview.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" in preview.headers["Content-Security-Policy"]
    assert preview.headers["X-Content-Type-Options"] == "nosniff"
    forced = sec.get(f"/documents/{risky}/preview")
    assert forced.headers["Content-Disposition"].startswith("attachment")
    page = sec.get(f"/documents/{risky}").get_data(as_text=True)
    assert "/preview" not in page and "never run" in page
    assert f"/documents/{risky}/pages/1.png" in page  # the same picture preview as any PDF


def test_versions_edit_and_move_are_kept_and_audited(app: Flask, login_as, tmp_path, db_session) -> None:  # type: ignore[no-untyped-def]
    sec = login_as("secretary")
    first = samples.make_text_pdf(tmp_path)
    doc_id = upload(sec, first).get_json()["id"]
    second = samples.make_docx(tmp_path)
    resp = sec.post(f"/documents/{doc_id}/versions", data={"file": (second.open("rb"), "v2.docx"), "comment": "signed"},
                    content_type="multipart/form-data")
    assert resp.status_code == 302
    assert sec.get(f"/documents/{doc_id}/file?version=1").data == first.read_bytes()
    assert sec.get(f"/documents/{doc_id}/file").data == second.read_bytes()
    again = sec.post(f"/documents/{doc_id}/versions", data={"file": (second.open("rb"), "v2.docx")},
                     content_type="multipart/form-data")
    assert again.status_code == 409

    # Details and moves are the secretary's; the records officer is refused both.
    archivist = login_as("archivist")
    assert archivist.post(f"/documents/{doc_id}/edit", data={"doc_type": "order", "title": "Y"}).status_code == 403
    assert archivist.post(f"/documents/{doc_id}/move", data={"year": YEAR, "index": "12-4-3"}).status_code == 403
    resp = sec.post(f"/documents/{doc_id}/edit", data={"doc_type": "order", "title": "Буйрук №7",
                                                             "doc_date": f"{YEAR}-04-02", "subject": "Практика"})
    assert resp.status_code == 302
    resp = sec.post(f"/documents/{doc_id}/edit", data={"doc_type": "order", "title": "X", "doc_date": "31.12.2024"})
    assert resp.status_code == 400
    resp = sec.post(f"/documents/{doc_id}/move", data={"year": YEAR, "index": "12-4-3"})
    assert resp.status_code == 302
    db_session.expire_all()
    doc = db_session.get(Document, doc_id)
    assert doc.title == "Буйрук №7" and doc.case.index == "12-4-3" and len(doc.versions) == 2
    assert {"document:file", "document:version", "document:edit", "document:move"} <= set(actions(db_session, doc_id))
    resp = sec.post(f"/documents/{doc_id}/move", data={"year": YEAR, "index": "12-4-77"})
    assert resp.status_code == 404
