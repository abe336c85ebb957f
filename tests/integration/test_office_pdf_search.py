"""Kyrgyz PDFs exported from an office suite are found through search by their ө/ү/ң words and by
phrases running across them (fixtures: ``tests/fixtures/text``, real LibreOffice exports whose Kyrgyz
letters come from a fallback font)."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import Flask

from records.capture import documents
from records.db import session_scope
from records.search import indexing
from tests.factories import both_index_engines  # noqa: F401  (the app_config fixture: both index engines)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "text"


def file_pdf(app: Flask, name: str, title: str) -> int:
    with app.app_context(), session_scope(app) as session:
        filed = documents.file_document(
            app, session, year=2024, index="12-4-13",
            meta=documents.validate_metadata({"doc_type": "report", "title": title, "doc_date": "2024-01-15",
                                              "language": "ky"}),
            upload=documents.Upload(io.BytesIO((FIXTURES / name).read_bytes()), name), actor=None,
        )
        session.flush()
        doc_id = filed.document.id
    indexing.sync(app)
    return doc_id


def hits(client: Any, token: str, query: str) -> list[int]:
    response = client.get("/api/v1/search", query_string={"q": query}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [hit["id"] for hit in response.get_json()["results"]]


def test_office_exported_kyrgyz_pdfs_are_found_by_their_kyrgyz_words_and_phrases(app: Flask, api_token: Any) -> None:
    report = file_pdf(app, "ky-russian-font.pdf", "Кафедранын отчету")
    columns = file_pdf(app, "ky-fallback-columns.pdf", "Кафедранын отчету, эки мамыча")
    client, token = app.test_client(), api_token("auditor")
    for word in ("Кумтөр", "үзгүлтүксүз", "өнүктүрүү", "төмөнкүлөр", "өндүрүштүк"):
        assert report in hits(client, token, word), word
    assert set(hits(client, token, "кеңеши")) >= {report, columns}
    for phrase in ('"тең салмактуу өнүктүрүү"', '"студенттик кеңеши менен өнөктөштүктү"',
                   '"Кумтөр Голд Компани"'):
        assert report in hits(client, token, phrase), phrase
    assert columns in hits(client, token, '"багыттарын тең салмактуу"')
