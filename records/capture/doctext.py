"""The extracted text of a document as its page shows it: the current version's text and how it was
read."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from records.models import Document, DocumentState, DocumentText, TextStatus

# How the text was read, by the parts of ``DocumentFile.text_method``.
TEXT_LAYER, OCR, BOTH, FILE = "text-layer", "ocr", "text-layer+ocr", "file"


@dataclass(frozen=True)
class ShownText:
    status: str  # TextStatus
    method: str | None  # TEXT_LAYER, OCR, BOTH, FILE; None before any extraction
    confidence: float | None  # OCR: mean word confidence 0-100, when the version carries one
    pages: int | None
    text: str


def shown_text(session: Session, document: Document) -> ShownText | None:
    """The current version's text for the document page; None for a destroyed document or one without
    a file."""
    version = document.current
    if document.state != DocumentState.ACTIVE or version is None:
        return None
    row = session.get(DocumentText, version.id)
    text = row.text if row is not None and version.text_status == TextStatus.DONE else ""
    return ShownText(status=version.text_status, method=_method(version.text_method),
                     confidence=version.ocr_confidence, pages=version.pages, text=text)


def _method(method: str | None) -> str | None:
    if not method:
        return None
    parts = set(method.split("+"))
    if parts == {"pdf-text", "ocr"}:
        return BOTH
    if parts == {"ocr"}:
        return OCR
    if parts == {"pdf-text"}:
        return TEXT_LAYER
    return FILE
