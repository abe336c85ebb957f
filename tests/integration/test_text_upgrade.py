"""An existing install after an upgrade: text an older extraction read is read again in the background,
and an index built with an older text analysis is refilled, by themselves after the start; search then
finds the words the old text had lost.

The "old" data folder is made by filing real files and then putting back what the older extraction
gave (the PDF's glyphs in drawing order, with the Kyrgyz letters out of their words) with the older
version number.
"""
from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select, update

from bench.fidelity.pdf import pdfium_text_range
from records import worker
from records.capture import documents, retext
from records.capture.intake.base import EXTRACTION_VERSION
from records.db import session_scope
from records.models import Document, DocumentFile, DocumentText, SystemState
from records.search import indexing
from records.search.base import ANALYSIS_VERSION

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "text"


def file(app: Flask, name: str, data: bytes, title: str) -> int:
    with app.app_context(), session_scope(app) as session:
        filed = documents.file_document(
            app, session, year=2024, index="12-4-13",
            meta=documents.validate_metadata({"doc_type": "report", "title": title, "language": "ky"}),
            upload=documents.Upload(io.BytesIO(data), name), actor=None)
        session.flush()
        return filed.document.id


def make_old(app: Flask, doc_id: int, text: str | None = None) -> None:
    """What an install from before the change holds for this document: version 1 and (optionally) its text."""
    with session_scope(app) as session:
        version = session.scalars(select(DocumentFile).where(DocumentFile.document_id == doc_id)).one()
        version.text_version = 1
        if text is not None:
            session.get(DocumentText, version.id).text = text  # type: ignore[union-attr]


def found(app: Flask, query: str) -> set[int]:
    return {hit.id for hit in indexing.get_index(app).search(query, snippets=False).hits}


def restart(app_config: dict[str, Any]) -> Flask:
    """The upgraded web process starting on the same data folder, with its background thread."""
    from app import create_app

    return create_app(dict(app_config, WORKER="thread"))


def stop(app: Flask) -> None:
    from records.db import get_database

    worker.shutdown(app)
    get_database(app).dispose()


def wait_until_done(app: Flask) -> retext.Status:
    deadline = time.monotonic() + 120  # a guard against hanging, not a speed requirement
    report = retext.status(app)
    while not report.done and time.monotonic() < deadline:
        time.sleep(0.2)
        report = retext.status(app)
    return report


def test_old_text_is_read_again_after_the_start_and_search_finds_the_lost_words(
    app: Flask, app_config: dict[str, Any]
) -> None:
    pdf = (FIXTURES / "ky-russian-font.pdf").read_bytes()
    report = file(app, "report.pdf", pdf, "Кафедранын отчету")
    note = file(app, "note.txt", "Кеңешменин отчету: практика үч жума.".encode(), "Маалымкат")
    gone = file(app, "gone.pdf", (FIXTURES / "word-fallback.pdf").read_bytes(), "Жок кылынган")
    make_old(app, report, pdfium_text_range(FIXTURES / "ky-russian-font.pdf"))
    make_old(app, note)
    make_old(app, gone, "эски текст")
    with session_scope(app) as session:
        session.execute(update(Document).where(Document.id == gone).values(state="destroyed"))
    indexing.reindex(app)
    assert report not in found(app, "Кумтөр") and report not in found(app, '"тең салмактуу"')
    runner = app.test_cli_runner()
    before = runner.invoke(args=["text", "status"])
    assert before.exit_code == 1
    assert f"Text extraction version {EXTRACTION_VERSION}: 0 of 2 file versions up to date, 2 waiting" \
        in before.output
    worker.shutdown(app)

    upgraded = restart(app_config)
    try:
        assert upgraded.test_client().get("/healthz").status_code == 200  # the first request starts the worker
        after = wait_until_done(upgraded)
        assert after.done, after
        for query in ("Кумтөр", "үзгүлтүксүз", "кеңеши", '"тең салмактуу өнүктүрүү"'):
            assert report in found(upgraded, query), query
        assert note in found(upgraded, "кеңешменин")
        with session_scope(upgraded) as session:
            versions = {v.document_id: v for v in session.scalars(select(DocumentFile))}
            assert {d: v.text_version for d, v in versions.items()} == {
                report: EXTRACTION_VERSION, note: EXTRACTION_VERSION, gone: 1}
            # The destroyed document's text did not come back, and nothing of it is indexed.
            assert session.get(DocumentText, versions[gone].id).text == "эски текст"  # type: ignore[union-attr]
            assert session.get(DocumentText, versions[note].id).text == "Кеңешменин отчету: практика үч жума."  # type: ignore[union-attr]
        assert gone not in indexing.get_index(upgraded).ids()
        checked = upgraded.test_cli_runner().invoke(args=["index", "check"])
        assert checked.exit_code == 0, checked.output
        assert "2 of 2 file versions up to date, 0 waiting" in checked.output
    finally:
        stop(upgraded)


def test_an_index_built_with_an_older_analysis_is_refilled_after_the_start(
    app: Flask, app_config: dict[str, Any]
) -> None:
    doc_id = file(app, "note.txt", "Өндүрүштүк практика боюнча келишим.".encode(), "Келишим")
    indexing.sync(app)
    assert doc_id in found(app, "келишим")
    with session_scope(app) as session:
        session.execute(update(SystemState).where(SystemState.key == retext.ANALYSIS_KEY)
                        .values(value=str(ANALYSIS_VERSION - 1)))
    indexing.get_index(app).clear()  # what the older analysis left is unusable to the new one
    worker.shutdown(app)

    upgraded = restart(app_config)
    try:
        assert upgraded.test_client().get("/healthz").status_code == 200
        after = wait_until_done(upgraded)
        assert after.done and after.index_analysis == ANALYSIS_VERSION, after
        assert doc_id in found(upgraded, "келишим")
    finally:
        stop(upgraded)
