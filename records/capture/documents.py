"""Capture: filing documents into cases.

upload -> spool to a temp file (size limit, SHA-256 while streaming) -> type and safety from the
bytes -> duplicate lookup -> blob stored by hash (in a thread of its own) -> text read now (outside any
transaction), or later by the background worker for anything that needs OCR -> catalogue rows, text,
audit event and index task in one short write transaction, once the blob is synced. Until that last
step the request holds no lock, so no other request waits on a file's work. Anything refused before
the catalogue rows are written leaves nothing behind; a blob written for a transaction that then fails
is an orphan that ``storage gc`` collects. What is said about the document is checked in
:mod:`records.capture.metadata`.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from records import audit, cases, db
from records.blobs import get_store
from records.capture.intake import Extraction, FileCheck, Limits, Refusal, check_file, extract_text, ooxml
# ``documents.validate_metadata`` and ``documents.parse_date`` are how callers name them.
from records.capture.metadata import Metadata, clean_text, parse_date, safe_filename, validate_metadata  # noqa: F401
from records.db import utcnow
from records.errors import Conflict, NotFound, UserError
from records.i18n import _l
from records.models import (
    AuditAction,
    Blob,
    Case,
    Document,
    DocumentFile,
    DocumentState,
    DocumentText,
    TextStatus,
    User,
)
from records.search import indexing
from storage import BlobStore, SpooledUpload, UploadTooLarge, spool_upload

ZIP_KINDS = frozenset({"docx", "xlsx", "odt", "ods"})
# Office files with more XML than this are read by the background worker: a few seconds of parsing
# the uploader need not wait for.
INLINE_XML_BYTES = 8 * 2**20


@dataclass
class Upload:
    stream: BinaryIO
    filename: str


@dataclass
class Filed:
    document: Document
    version: DocumentFile


def limits_for(app: Flask) -> Limits:
    return Limits(max_bytes=app.config["MAX_UPLOAD_BYTES"], ocr_timeout_s=app.config["OCR_TIMEOUT"])


def extract_file_text(app: Flask, path: Path, check: FileCheck) -> Extraction:
    """The text of an accepted file with this install's limits, OCR languages and OCR pool."""
    return extract_text(path, check, limits_for(app), app.config["OCR_LANGS"], app.config["OCR_WORKERS"] or None)


@dataclass
class Accepted:
    """A file that passed the checks, spooled on local disk, with its text if found at once."""

    spool: SpooledUpload
    storing: _Storing
    check: FileCheck
    filename: str
    text_status: str
    text: str = ""
    text_method: str | None = None
    text_error: str | None = None
    pages: int | None = None
    ocr_confidence: float | None = None

    @property
    def path(self) -> Path:
        return self.spool.path

    @property
    def sha256(self) -> str:
        return self.spool.sha256

    @property
    def size(self) -> int:
        return self.spool.size

    def stored(self) -> None:
        """Wait until the blob is durably in the store; raises what storing it raised."""
        self.storing.wait()

    def discard(self) -> None:
        self.storing.join()  # the spool file is in use until then
        self.spool.discard()


class _Storing:
    """A blob being put into the store in a thread of its own, so that waiting for the disk (the
    file and folder syncs) overlaps the reading of the text and the writing of the catalogue rows."""

    def __init__(self, store: BlobStore, spool: SpooledUpload) -> None:
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(store, spool), name="sandyk-store-blob")
        self._thread.start()

    def _run(self, store: BlobStore, spool: SpooledUpload) -> None:
        try:
            store.put_spooled(spool)
        except BaseException as exc:  # handed to the waiting thread
            self._error = exc

    def join(self) -> None:
        self._thread.join()

    def wait(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error


def accept_file(app: Flask, upload: Upload) -> Accepted:
    """Spool and check. Raises UserError for every refusal, leaving no file. The text is read by
    :func:`read_text`, once the caller knows the file is wanted."""
    tmp_dir = Path(app.config["DATA_DIR"]) / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    limits = limits_for(app)
    try:
        spooled = spool_upload(upload.stream, tmp_dir, limits.max_bytes)
    except UploadTooLarge:
        raise UserError("too_large", _l("The file is too large. Files up to %(limit)s MB are accepted.",
                                        limit=limits.max_bytes // 2**20), status=413) from None
    except OSError:
        raise UserError("storage_full", _l("The file could not be saved: the server's disk is full or failing. "
                                           "Nothing was filed; please tell the administrator."), status=507) from None
    filename = safe_filename(upload.filename)
    try:
        check = check_file(spooled.path, filename, frozenset(app.config["ALLOWED_TYPES"]), limits)
        # The accepted bytes go to the blob store now, while their text is read and their rows are
        # written; the filing waits for them before its caller commits. (A filing that fails after
        # this leaves an orphan blob for ``storage gc``.)
        storing = _Storing(get_store(app), spooled)
    except Refusal as exc:
        spooled.discard()
        raise UserError(exc.code, exc.message, status=413 if exc.code == "too_large" else 422) from None
    except BaseException:
        spooled.discard()
        raise
    return Accepted(spool=spooled, storing=storing, check=check, filename=filename, text_status=TextStatus.PENDING)


def read_text(app: Flask, accepted: Accepted) -> None:
    """The text of an accepted file, read now unless that takes long: scans, and PDFs with pages that
    carry no text layer (OCR takes seconds a page), and office files with much XML wait for the
    background worker, with their text pending. Runs outside any transaction."""
    if app.config["WORKER"] != "inline" and not _reads_quickly(accepted.path, accepted.check):
        return
    _apply_extraction(accepted, extract_file_text(app, accepted.path, accepted.check))


def _reads_quickly(path: Path, check: FileCheck) -> bool:
    if check.needs_ocr is not False:
        return False
    return check.kind not in ZIP_KINDS or ooxml.package_xml_bytes(path) <= INLINE_XML_BYTES


def _apply_extraction(target: Any, result: Any) -> None:
    target.text_status = {"done": TextStatus.DONE, "none": TextStatus.NONE}.get(result.status, TextStatus.FAILED)
    target.text = result.text
    target.text_method = result.method or None
    target.text_error = result.error
    target.pages = result.pages
    target.ocr_confidence = result.confidence


def where_stored(session: Session, sha256: str) -> list[Document]:
    """Live documents that already hold these exact bytes."""
    holders = select(DocumentFile.document_id).where(DocumentFile.sha256 == sha256)
    return list(session.scalars(
        select(Document).where(Document.id.in_(holders), Document.state == DocumentState.ACTIVE).order_by(Document.id)
    ))


def _duplicate_error(found: list[Document]) -> Conflict:
    where = "; ".join(f"{d.case.index}/{d.case.year} №{d.id} «{d.title}»" for d in found[:5])
    return Conflict("duplicate", _l("This file is already filed: %(where)s.", where=where),
                    existing=[{"id": d.id, "index": d.case.index, "year": d.case.year, "title": d.title} for d in found])


def _blob_row(session: Session, accepted: Accepted, blob: Blob | None) -> None:
    """The catalogue row of the accepted bytes (``blob``: the row as it is, if any), whose file is being
    stored meanwhile (``Accepted.stored`` waits for it; the filing functions do, before they return and
    their caller commits)."""
    if blob is None:
        session.add(Blob(sha256=accepted.sha256, size=accepted.size, mime=accepted.check.mime))
        session.flush()  # written before any version row that refers to it (no relationship orders them)
    elif blob.deleted_at is not None:
        blob.deleted_at = None  # the same bytes came back after a destruction


def _version_row(accepted: Accepted, number: int, actor: User | None, comment: str = "") -> DocumentFile:
    return DocumentFile(
        version=number, sha256=accepted.sha256, size=accepted.size, mime=accepted.check.mime,
        kind=accepted.check.kind, original_filename=accepted.filename, active_content=accepted.check.active_content,
        uploaded_by_id=getattr(actor, "id", None), text_status=accepted.text_status, text_method=accepted.text_method,
        text_error=accepted.text_error, pages=accepted.pages, ocr_confidence=accepted.ocr_confidence,
        comment=clean_text(comment, 500),
    )


def _new_version(session: Session, document: Document, accepted: Accepted, number: int, actor: User | None,
                 comment: str = "") -> DocumentFile:
    version = _version_row(accepted, number, actor, comment)
    document.versions.append(version)
    session.flush()
    session.add(DocumentText(file_id=version.id, text=accepted.text))
    document.text_status = version.text_status
    return version


def file_document(app: Flask, session: Session, *, year: Any, index: str, meta: Metadata, upload: Upload,
                  actor: User | None, allow_duplicate: bool = False) -> Filed:
    """File a new document into the case of ``index`` for ``year`` (opened when needed).

    The file is spooled, checked, looked up among the filed ones and read before the session writes
    anything (a request's session holds no lock until then, see ``db.begin_write``)."""
    year_int = cases.nomenclature.check_year(year)
    cases.check_filing_target(session, year_int, index)
    accepted = accept_file(app, upload)
    try:
        if not allow_duplicate:
            _refuse_duplicate(session, accepted.sha256)
        db.release_reads(session)
        read_text(app, accepted)
        db.begin_write(session)
        case = cases.case_for_filing(session, year_int, index, actor=actor, doc_date=meta.doc_date)
        cases.require_open(case)
        blob = session.get(Blob, accepted.sha256)
        # Looked up again under the writer's lock: the same bytes may have been filed meanwhile.
        if blob is not None and not allow_duplicate:
            _refuse_duplicate(session, accepted.sha256)
        _blob_row(session, accepted, blob)
        # Built whole before the one flush that writes the document and its first version.
        version = _version_row(accepted, 1, actor)
        document = Document(case_id=case.id, doc_type=meta.doc_type, title=meta.title, doc_date=meta.doc_date,
                            number=meta.number, counterparty=meta.counterparty, language=meta.language,
                            details=meta.details, created_by_id=getattr(actor, "id", None),
                            text_status=version.text_status, versions=[version])
        session.add(document)
        session.flush()
        session.add(DocumentText(file_id=version.id, text=accepted.text))
        _note_dates(case, meta.doc_date)
        indexing.enqueue(session, document.id)
        audit.record(session, AuditAction.DOCUMENT_FILE, document, actor=actor, case=f"{case.index}/{case.year}",
                     sha256=accepted.sha256, size=accepted.size, filename=accepted.filename, type=accepted.check.kind)
        accepted.stored()  # the blob and its folder entries are synced before the caller commits
        return Filed(document, version)
    finally:
        accepted.discard()


def _refuse_duplicate(session: Session, sha256: str) -> None:
    # Without a blob row no version (whose sha256 is a foreign key to it) holds these bytes.
    if session.get(Blob, sha256) is not None and (found := where_stored(session, sha256)):
        raise _duplicate_error(found)


def _note_dates(case: Case, when: date | None) -> None:
    if when is None:
        return
    if case.first_doc_date is None or when < case.first_doc_date:
        case.first_doc_date = when
    if case.last_doc_date is None or when > case.last_doc_date:
        case.last_doc_date = when


def add_version(app: Flask, session: Session, document: Document, upload: Upload, *, actor: User | None,
                comment: str = "") -> DocumentFile:
    """A new version of a document's file; the earlier ones stay, each downloadable."""
    require_live(document)
    accepted = accept_file(app, upload)
    try:
        _refuse_same_version(document, accepted)
        db.release_reads(session)
        read_text(app, accepted)
        db.begin_write(session)
        # Read again under the writer's lock: another version may have come meanwhile.
        session.refresh(document)
        require_live(document)
        _refuse_same_version(document, accepted)
        _blob_row(session, accepted, session.get(Blob, accepted.sha256))
        version = _new_version(session, document, accepted, len(document.versions) + 1, actor, comment)
        document.updated_at = utcnow()
        indexing.enqueue(session, document.id)
        audit.record(session, AuditAction.DOCUMENT_VERSION, document, actor=actor, version=version.version,
                     sha256=accepted.sha256, filename=accepted.filename)
        accepted.stored()  # the blob and its folder entries are synced before the caller commits
        return version
    finally:
        accepted.discard()


def _refuse_same_version(document: Document, accepted: Accepted) -> None:
    if any(v.sha256 == accepted.sha256 for v in document.versions):
        raise Conflict("same_version", _l("This file is already a version of this document."))


def require_live(document: Document) -> None:
    if document.state != DocumentState.ACTIVE:
        raise Conflict("destroyed", _l("This document was destroyed under a disposal act."))


def get_document(session: Session, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound("no_document", _l("There is no such document."))
    return document


def open_document(session: Session, document_id: int, *, actor: Any, **via: Any) -> Document:
    """A document someone opens (its page, or its record through the API): the reading goes on the trail."""
    document = get_document(session, document_id)
    audit.record(session, AuditAction.DOCUMENT_VIEW, document, actor=actor, **via)
    return document


def _described(document: Document) -> dict[str, Any]:
    """The metadata a user can change, as the audit trail records it."""
    return {"doc_type": document.doc_type, "title": document.title,
            "doc_date": document.doc_date.isoformat() if document.doc_date else None,
            "number": document.number, "counterparty": document.counterparty, "language": document.language,
            "details": document.details}


def update_metadata(session: Session, document: Document, meta: Metadata, *, actor: User | None) -> dict[str, Any]:
    require_live(document)
    before = _described(document)
    document.doc_type, document.title, document.doc_date = meta.doc_type, meta.title, meta.doc_date
    document.number, document.counterparty, document.language = meta.number, meta.counterparty, meta.language
    document.details = meta.details
    after = _described(document)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changes:
        document.updated_at = utcnow()
        _note_dates(document.case, meta.doc_date)
        indexing.enqueue(session, document.id)
        audit.record(session, AuditAction.DOCUMENT_EDIT, document, actor=actor, changes=changes)
    return changes


def move_document(session: Session, document: Document, *, year: Any, index: str, actor: User | None) -> Case:
    require_live(document)
    source = document.case
    target = cases.case_for_filing(session, cases.nomenclature.check_year(year), index, actor=actor)
    cases.require_open(target)
    if target.id == source.id:
        return target
    document.case_id = target.id
    document.case = target
    document.updated_at = utcnow()
    _note_dates(target, document.doc_date)
    indexing.enqueue(session, document.id)
    audit.record(session, AuditAction.DOCUMENT_MOVE, document, actor=actor, source=f"{source.index}/{source.year}",
                 target=f"{target.index}/{target.year}")
    return target


OCR_KINDS = frozenset({"pdf", "jpeg", "png", "tiff"})


def _scanned(version: DocumentFile | None) -> bool:
    """A scan, or a PDF whose text did not come from its text layer alone."""
    if version is None or version.kind not in OCR_KINDS:
        return False
    return version.kind != "pdf" or version.text_method != "pdf-text"


def can_read_again(version: DocumentFile | None) -> bool:
    """Whether OCR can read this version again (a scan not already waiting for it)."""
    return _scanned(version) and version.text_status != TextStatus.PENDING  # type: ignore[union-attr]


def read_text_again(session: Session, document: Document, *, actor: User | None) -> DocumentFile:
    """Send the current version back to the background worker to be read again by OCR (after the OCR
    settings or languages changed, say). The text it has stays searchable until the new one replaces it."""
    require_live(document)
    version = document.current
    if version is None or not _scanned(version):
        raise Conflict("not_scanned", _l("This document's text comes from the file itself, not from OCR."))
    if version.text_status == TextStatus.PENDING:
        raise Conflict("text_pending", _l("This document is already waiting to be read."))
    before = {"text_status": version.text_status, "ocr_confidence": version.ocr_confidence}
    version.text_status, version.text_attempts, version.text_error = TextStatus.PENDING, 0, None
    document.text_status = TextStatus.PENDING
    indexing.enqueue(session, document.id)  # also wakes the background worker after the commit
    audit.record(session, AuditAction.DOCUMENT_OCR, document, actor=actor, version=version.version, **before)
    return version


def get_version(document: Document, number: int | None) -> DocumentFile:
    if not document.versions:
        raise NotFound("no_file", _l("This document has no file."))
    if number is None:
        return document.versions[-1]
    for version in document.versions:
        if version.version == number:
            return version
    raise NotFound("no_version", _l("This document has no version %(n)s.", n=number))


def document_json(document: Document) -> dict[str, Any]:
    current = document.current
    return {
        "id": document.id,
        "title": document.title,
        "doc_type": document.doc_type,
        "doc_date": document.doc_date.isoformat() if document.doc_date else None,
        "number": document.number,
        "counterparty": document.counterparty,
        "language": document.language,
        "details": document.details,
        "state": document.state,
        "case": {"id": document.case.id, "index": document.case.index, "year": document.case.year},
        "sha256": current.sha256 if current else None,
        "mime": current.mime if current else None,
        "size": current.size if current else None,
        "filename": current.original_filename if current else None,
        "text_status": document.text_status,
        "versions": [{"version": v.version, "sha256": v.sha256, "size": v.size, "mime": v.mime,
                      "filename": v.original_filename, "uploaded_at": v.uploaded_at.isoformat(),
                      "text_status": v.text_status} for v in document.versions],
        "created_at": document.created_at.isoformat(),
    }
