"""The document page shows the extracted text with how it was read, to those who may read the files,
and never for a destroyed document."""
from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select, update

from records.capture import documents
from records.db import session_scope
from records.models import Document, DocumentFile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "text"


def file(app: Flask, name: str) -> int:
    with app.app_context(), session_scope(app) as session:
        filed = documents.file_document(
            app, session, year=2024, index="12-4-13",
            meta=documents.validate_metadata({"doc_type": "report", "title": "Кафедранын отчету", "language": "ky"}),
            upload=documents.Upload(io.BytesIO((FIXTURES / name).read_bytes()), name), actor=None)
        session.flush()
        return filed.document.id


def text_section(page: str) -> str:
    start = page.find('<section class="card doc-text"')
    return html.unescape(page[start:page.index("</section>", start)]) if start >= 0 else ""


def test_the_page_shows_the_text_and_how_it_was_read(app: Flask, login_as: Any) -> None:
    pdf = file(app, "ky-russian-font.pdf")
    docx = file(app, "ky-office.docx")
    client = login_as("auditor")
    section = text_section(client.get(f"/documents/{pdf}").get_data(as_text=True))
    assert "Read from the PDF's text layer." in section
    assert "«Кумтөр Голд Компани»\nЖАК" in section
    assert 'id="doc-text-filter"' in section
    section = text_section(client.get(f"/documents/{docx}").get_data(as_text=True))
    assert "Read from the file." in section and "Текст кутучасы: бөлүмдүн өкүлү Төлөгөнов Үсөн" in section


def test_text_read_partly_by_ocr_says_so(app: Flask, login_as: Any) -> None:
    doc_id = file(app, "ky-russian-font.pdf")
    with session_scope(app) as session:
        session.execute(update(DocumentFile).where(DocumentFile.document_id == doc_id)
                        .values(text_method="pdf-text+ocr"))
    section = text_section(login_as("secretary").get(f"/documents/{doc_id}").get_data(as_text=True))
    assert "pages without one recognised from their images (OCR)" in section


def test_ocr_confidence_is_shown_when_the_version_carries_one(app: Flask, login_as: Any) -> None:
    doc_id = file(app, "ky-russian-font.pdf")
    with session_scope(app) as session:
        session.execute(update(DocumentFile).where(DocumentFile.document_id == doc_id)
                        .values(text_method="ocr", ocr_confidence=87.4))
    section = text_section(login_as("secretary").get(f"/documents/{doc_id}").get_data(as_text=True))
    assert "Recognised from the page images (OCR)." in section and "OCR confidence 87%" in section


def test_no_text_for_those_who_may_not_read_files_nor_for_destroyed_documents(app: Flask, login_as: Any) -> None:
    doc_id = file(app, "ky-russian-font.pdf")
    admin_page = login_as("admin").get(f"/documents/{doc_id}").get_data(as_text=True)
    assert admin_page and text_section(admin_page) == "" and "Кумтөр Голд" not in admin_page
    with session_scope(app) as session:
        session.execute(update(Document).where(Document.id == doc_id).values(state="destroyed"))
        assert session.scalars(select(DocumentFile.id).where(DocumentFile.document_id == doc_id)).all()
    page = login_as("auditor").get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "This document was destroyed" in page
    assert text_section(page) == "" and "Кумтөр Голд" not in page
