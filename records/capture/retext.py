"""Bringing the text of documents already filed up to the product's current ways of reading and
analysing text, in the background.

Two versions say what "current" is:

- ``EXTRACTION_VERSION`` (``records/capture/intake/base.py``): how text is read out of files. Every file version
  records the version its text was extracted with (``DocumentFile.text_version``). Versions of
  older extractions are read again by the background worker, a small batch at a time after the files
  waiting for their first extraction, and their documents re-indexed; start-up and requests never
  wait for it. ``EXTRACTION_CHANGES`` names the extraction methods each version changed, so a
  version is only read again when its method changed since (a scan read by OCR is not OCRed again
  because text layers are now read differently).
- ``ANALYSIS_VERSION`` (``records/search/base.py``): how indexed text is cut into words and stemmed. The
  version the index was built with is kept in the database (``SystemState``); on the first use of
  the index in a process an older one queues every live document for re-indexing, which the
  background sync applies while search answers from what is indexed meanwhile.

Change either by adding a version there. ``flask --app app text status`` shows the progress.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from records.capture.intake.base import EXTRACTION_VERSION, Extraction, needs_reading
from records.db import session_scope
from records.models import Document, DocumentFile, DocumentState, DocumentText, SystemState, TextStatus
from records.search import indexing
from records.search.base import ANALYSIS_VERSION, SearchIndex

log = logging.getLogger(__name__)

# Re-extractions per round of the worker, so files waiting for their first text never wait long.
BATCH = 10
ANALYSIS_KEY = "index.analysis_version"
_FINAL = (TextStatus.DONE, TextStatus.NONE)
_analysis_lock = threading.Lock()


# --- extraction --------------------------------------------------------------


def stale_files(app: Flask, limit: int = BATCH) -> list[int]:
    """Ids of file versions of live documents whose text an older extraction made, oldest first."""
    with session_scope(app) as session:
        return list(session.scalars(
            select(DocumentFile.id).join(Document, Document.id == DocumentFile.document_id)
            .where(DocumentFile.text_version < EXTRACTION_VERSION, DocumentFile.text_status.in_(_FINAL),
                   Document.state == DocumentState.ACTIVE)
            .order_by(DocumentFile.id).limit(limit)))


def reextract_one(app: Flask, file_id: int) -> bool:
    """Read one file version again with today's extraction (or only record that nothing changed for
    it); False when it was no longer stale."""
    from records.capture import documents
    from records.capture.intake import FileCheck
    from records.worker import _local_copy

    with session_scope(app) as session:
        version = session.get(DocumentFile, file_id)
        if version is None or version.text_version >= EXTRACTION_VERSION or version.text_status not in _FINAL:
            return False
        since, sha256 = version.text_version, version.sha256
        if not needs_reading(version.text_method, since):
            version.text_version = EXTRACTION_VERSION
            return True
        check = FileCheck(kind=version.kind, mime=version.mime, active_content=version.active_content,
                          is_image=version.kind in {"jpeg", "png", "tiff"}, needs_ocr=True)
    tmp_dir = Path(app.config["DATA_DIR"]) / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    path, is_copy = _local_copy(app, sha256, tmp_dir)
    try:
        result = documents.extract_file_text(app, path, check)
    finally:
        if is_copy:
            path.unlink(missing_ok=True)
    with session_scope(app) as session:
        # Only the extraction that finds the version still as it was read it saves its text.
        claimed = session.execute(
            update(DocumentFile).where(DocumentFile.id == file_id, DocumentFile.text_version == since)
            .values(text_version=EXTRACTION_VERSION))
        if claimed.rowcount != 1:
            return False
        version = session.get(DocumentFile, file_id)
        document = session.get(Document, version.document_id) if version is not None else None
        if version is None or document is None or document.state != DocumentState.ACTIVE:
            return True  # destroyed meanwhile: its text must not come back
        if result.status == "failed":
            # Keep the text that was there; the technical note says why it was not renewed.
            log.warning("re-extraction of file %s failed: %s", file_id, result.error)
            version.text_error = result.error
            return True
        store_text(session, version, result)
        if document.current is version:
            document.text_status = version.text_status
            indexing.enqueue(session, document.id)
    return True


def store_text(session: Session, version: DocumentFile, result: Extraction) -> None:
    """Save what an extraction of a file version found: its status and method, and its text."""
    from records.capture import documents

    documents._apply_extraction(version, result)
    text_row = session.get(DocumentText, version.id)
    if text_row is None:
        session.add(DocumentText(file_id=version.id, text=result.text))
    else:
        text_row.text = result.text


def run_batch(app: Flask, limit: int = BATCH) -> int:
    """Bring up to ``limit`` file versions to today's extraction; returns how many were handled."""
    done = 0
    for file_id in stale_files(app, limit):
        try:
            done += reextract_one(app, file_id)
        except Exception:  # one unreadable blob must not stop the others; it is tried again next start
            log.exception("re-extraction of file %s failed", file_id)
    return done


# --- analysis ----------------------------------------------------------------


def check_analysis(app: Flask, index: SearchIndex) -> bool:
    """Queue every live document for re-indexing when the index was built with another analysis;
    True when it did. Several processes may start together: one of them records the new version and
    queues the documents."""
    with _analysis_lock, session_scope(app) as session:
        recorded = _recorded_analysis(session)
        if recorded == ANALYSIS_VERSION:
            return False
        if recorded is None:
            # Not recorded: a new install, or an index from before versions were recorded, built with
            # analysis 1. An empty index holds nothing of an older analysis.
            # Another process starting at the same moment may record it first; then it is that one's job.
            dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            added = session.execute(dialect_insert(SystemState).values(key=ANALYSIS_KEY, value=str(ANALYSIS_VERSION))
                                    .on_conflict_do_nothing(index_elements=["key"]))
            if added.rowcount != 1 or ANALYSIS_VERSION == 1 or index.doc_count() == 0:
                return False
        else:
            changed = session.execute(
                update(SystemState).where(SystemState.key == ANALYSIS_KEY, SystemState.value == str(recorded))
                .values(value=str(ANALYSIS_VERSION)))
            if changed.rowcount != 1:
                return False
        log.warning("the search index was built with text analysis %s, now %s: re-indexing every document "
                    "in the background", recorded, ANALYSIS_VERSION)
        indexing.enqueue_all(session)
        return True


def _recorded_analysis(session: Session) -> int | None:
    value = session.scalar(select(SystemState.value).where(SystemState.key == ANALYSIS_KEY))
    return int(value) if value is not None and value.isdigit() else None


# --- progress ----------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    extraction_version: int
    current: int  # file versions of live documents read by today's extraction (or waiting for a first one)
    stale: int  # file versions of live documents still holding an older extraction's text
    analysis_version: int
    index_analysis: int | None  # what the index was built with, as recorded
    index_pending: int  # index changes waiting to be applied

    @property
    def done(self) -> bool:
        return self.stale == 0 and self.index_analysis == self.analysis_version and self.index_pending == 0


def status(app: Flask) -> Status:
    with session_scope(app) as session:
        live = (select(DocumentFile.text_version, DocumentFile.text_status)
                .join(Document, Document.id == DocumentFile.document_id).where(Document.state == DocumentState.ACTIVE)
                .subquery())
        stale = session.scalar(select(func.count()).select_from(live).where(
            live.c.text_version < EXTRACTION_VERSION, live.c.text_status.in_(_FINAL))) or 0
        total = session.scalar(select(func.count()).select_from(live)) or 0
        return Status(extraction_version=EXTRACTION_VERSION, current=total - stale, stale=stale,
                      analysis_version=ANALYSIS_VERSION, index_analysis=_recorded_analysis(session),
                      index_pending=indexing.pending(session))
