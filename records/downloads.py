"""Serving files: stored files always with their stored type, never sniffed by the browser, inline only
for PDF and images without active content, under a Content-Security-Policy that runs nothing; and
generated files (forms, exports, packages) as attachments.

File names go into ``Content-Disposition`` through Flask's ``send_file``, which writes an ASCII
``filename`` and, for any other name, the RFC 6266 ``filename*`` (a Cyrillic inventory number or an
uploaded file's Kyrgyz name survives the trip, and the header stays encodable under waitress).
"""
from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from flask import Flask, Response, current_app, request, send_file
from sqlalchemy.orm import Session

from records import audit, db
from records.blobs import get_store
from records.capture import documents, previews
from records.models import AuditAction, Document, DocumentFile

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INLINE_KINDS = {"pdf", "jpeg", "png"}
# A preview may show the file and nothing else: no scripts, no forms, no navigation.
PREVIEW_CSP = "default-src 'none'; img-src 'self'; object-src 'self'; plugin-types application/pdf; sandbox"


def can_preview(version: DocumentFile) -> bool:
    return version.kind in INLINE_KINDS and not version.active_content


class _StoredStream:
    """A stored file's bytes, opened at the first read and closed as soon as the last byte is read (or
    when the response is closed or dropped): a response never read (a 304) opens nothing, and one
    read to the end leaves nothing open, on any server. It offers no seek, so servers stream
    it forward and a Range is served by skipping ahead."""

    def __init__(self, open_stream: Callable[[], BinaryIO], size: int) -> None:
        self._open = open_stream
        self._stream: BinaryIO | None = None
        self._size = size
        self._position = 0
        self._done = False

    def read(self, size: int = -1) -> bytes:
        if self._done:
            return b""
        if self._stream is None:
            self._stream = self._open()
        data = self._stream.read(size)
        self._position += len(data)
        if not data or self._position >= self._size:
            self.close()
        return data

    def close(self) -> None:
        self._done = True
        if self._stream is not None:
            self._stream.close()

    # A response dropped half-read without being closed (a test client does that) still closes the file.
    __del__ = close


def send_data(data: bytes | str, filename: str, mimetype: str) -> Response:
    """A generated file as an attachment; text goes out as UTF-8 with a byte order mark (for Excel)."""
    body = data.encode("utf-8-sig") if isinstance(data, str) else data
    resp = send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True, download_name=filename,
                     max_age=0)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def page_picture(app: Flask, session: Session, document: Document, number: int | None, page: int, size: str, *,
                 actor: Any) -> tuple[DocumentFile, Path | None]:
    """A page of a live document's version (the current one without ``number``) as a PNG, None when it
    has none; looking at the first page at reading size is looking at the document, and is recorded."""
    documents.require_live(document)
    version = documents.get_version(document, number)
    if size != "thumb" and page == 1:
        audit.record(session, AuditAction.DOCUMENT_PREVIEW, document, actor=actor, version=version.version,
                     sha256=version.sha256)
    return version, previews.page_png(app, version, page, size)


def send_version(document: Document, number: int | None, *, inline: bool, actor: Any, via: str = "web") -> Any:
    documents.require_live(document)
    version = documents.get_version(document, number)
    inline = inline and can_preview(version)
    store = get_store(current_app._get_current_object())
    store.size(version.sha256)  # BlobNotFound now, before any header is sent
    audit.record(db.session(), AuditAction.DOCUMENT_PREVIEW if inline else AuditAction.DOCUMENT_DOWNLOAD, document,
                 actor=actor, version=version.version, sha256=version.sha256, via=via)

    resp = send_file(_StoredStream(lambda: store.open(version.sha256), version.size), mimetype=version.mime, as_attachment=not inline,
                     download_name=version.original_filename, etag=version.sha256, conditional=False)
    resp.content_length = version.size
    # Content addressing makes the hash a strong validator: conditional and Range requests are served.
    resp = resp.make_conditional(request, accept_ranges=True, complete_length=version.size)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = PREVIEW_CSP if inline else "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
