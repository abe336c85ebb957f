"""Serving stored files: always the stored type, never sniffed by the browser, inline only for
PDF and images without active content, under a Content-Security-Policy that runs nothing."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, current_app

from records import audit, db, documents
from records.blobs import get_store
from records.models import Document, DocumentFile

INLINE_KINDS = {"pdf", "jpeg", "png"}
# A preview may show the file and nothing else: no scripts, no forms, no navigation.
PREVIEW_CSP = "default-src 'none'; img-src 'self'; object-src 'self'; plugin-types application/pdf; sandbox"


def can_preview(version: DocumentFile) -> bool:
    return version.kind in INLINE_KINDS and not version.active_content


def _disposition(kind: str, filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode("ascii").replace('"', "_").replace("?", "_")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def send_version(document: Document, number: int | None, *, inline: bool, via: str = "web") -> Any:
    documents.require_live(document)
    version = documents.get_version(document, number)
    inline = inline and can_preview(version)
    store = get_store(current_app._get_current_object())
    stream = store.open(version.sha256)
    audit.record(db.session(), "document:preview" if inline else "document:download", document,
                 version=version.version, sha256=version.sha256, via=via)

    def generate() -> Any:
        with stream:
            while chunk := stream.read(256 * 1024):
                yield chunk

    resp = Response(generate(), mimetype=version.mime, direct_passthrough=True)
    resp.headers["Content-Length"] = str(version.size)
    resp.headers["Content-Disposition"] = _disposition("inline" if inline else "attachment", version.original_filename)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = PREVIEW_CSP if inline else "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["ETag"] = f'"{version.sha256}"'
    return resp
