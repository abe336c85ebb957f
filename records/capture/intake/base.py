"""Shared vocabulary of file intake: limits, the verdict on a file, refusals, extraction results.

Kept apart from the checking and extraction code so views, services and
background jobs can import the types without pulling in the parsers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from records.i18n import _l

DEFAULT_ALLOWED: frozenset[str] = frozenset(
    {"pdf", "docx", "doc", "odt", "rtf", "txt", "xlsx", "xls", "ods", "jpeg", "png", "tiff"}
)

IMAGE_KINDS: frozenset[str] = frozenset({"jpeg", "png", "tiff"})

# Versions of text extraction -> the extraction methods (``Extraction.method``; a file's method may join
# several with "+") whose text each changed. Every file version records the version its text came
# from; older ones are read again in the background (``records/capture/retext.py``). Version 1 is every
# extraction made before versions were recorded. Add a version when extraction changes.
EXTRACTION_CHANGES: dict[int, frozenset[str]] = {
    1: frozenset(),
    # PDF text layers in reading order by glyph position (Kyrgyz letters from fallback fonts);
    # DOCX/ODT/RTF headers, footers, footnotes, text boxes and content controls; no soft hyphens.
    2: frozenset({"pdf-text", "docx", "odt", "rtf"}),
    # OCR with the Kyrgyz model alone (the Russian one read ө ү ң as о у н), pages turned straight first,
    # and each page's confidence kept.
    3: frozenset({"ocr"}),
}
EXTRACTION_VERSION = max(EXTRACTION_CHANGES)


def needs_reading(method: str | None, since: int) -> bool:
    """Whether text extracted by ``method`` with extraction version ``since`` reads differently today."""
    parts = set((method or "").split("+"))
    return any(parts & changed for version, changed in EXTRACTION_CHANGES.items() if version > since)


@dataclass(frozen=True)
class Limits:
    """Ceilings that keep one hostile or huge file from exhausting the server."""

    max_bytes: int = 100 * 2**20
    max_unzipped_bytes: int = 500 * 2**20
    max_zip_ratio: int = 100
    max_zip_members: int = 10_000
    max_pages: int = 500
    ocr_timeout_s: int = 120
    extract_timeout_s: int = 300
    max_text_chars: int = 5_000_000
    # Compression ratios are only judged above this size: small XML parts of
    # ordinary documents legitimately compress very well.
    zip_ratio_floor_bytes: int = 2**20
    max_image_pixels: int = 120_000_000
    # One XML part of an office file (a DOCX body, a sheet, ODF content): larger ones are refused, so
    # no upload costs minutes and gigabytes of parsing while within the zip ratio limit.
    max_xml_bytes: int = 32 * 2**20
    ocr_dpi: int = 300


@dataclass(frozen=True)
class FileCheck:
    """What the bytes of an accepted file are, and how the app must treat it."""

    kind: str
    mime: str
    # PDFs with scripts, launch actions or embedded files are kept but must
    # only ever be served as downloads, never rendered inline.
    active_content: bool = False
    is_image: bool = False
    # True: at least part of the content is pictures of text; None: unknown.
    needs_ocr: bool | None = None


REFUSAL_CODES: frozenset[str] = frozenset(
    {
        "empty",
        "too_large",
        "type_not_allowed",
        "type_mismatch",
        "encrypted",
        "damaged",
        "inflates_too_much",
        "macros",
        "executable_content",
        "xml_entities",
        "too_many_pages",
    }
)


class Refusal(Exception):
    """A file the records office will not accept; ``message`` is shown to the uploader."""

    def __init__(self, code: str, message: object) -> None:
        if code not in REFUSAL_CODES:
            raise ValueError(f"unknown refusal code {code!r}")
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


@dataclass
class Extraction:
    """Text found in a file. ``error`` is a technical note for the log, not for end users."""

    status: Literal["done", "none", "failed"]
    text: str = ""
    pages: int | None = None
    method: str = ""
    error: str | None = None
    confidence: float | None = None  # OCR: mean word confidence of the pages read, 0-100


def accepted_types_label(allowed: frozenset[str]) -> str:
    """The accepted kinds as users know them from file names: "DOC, DOCX, JPEG, ..."."""
    return ", ".join(kind.upper() for kind in sorted(allowed))


def refuse(code: str, **params: object) -> Refusal:
    """Build the refusal for ``code`` with its user-facing message."""
    return Refusal(code, _message(code, params))


def refuse_program(claimed: str | None, allowed: frozenset[str]) -> Refusal:
    """A program is refused as what it is, and a name that claims a document type is pointed out."""
    types = accepted_types_label(allowed)
    if claimed and claimed != "exe":
        return Refusal("type_not_allowed", _l(
            "This file is a program, not a document, although its name says %(claimed)s. Programs are never "
            "accepted; check where the file came from. Accepted types: %(types)s.", claimed=claimed.upper(),
            types=types))
    return Refusal("type_not_allowed", _l("This file is a program, not a document. Programs are not accepted. "
                                          "Accepted types: %(types)s.", types=types))


def _message(code: str, params: dict[str, object]) -> object:
    # One branch per code so every msgid stays a literal for the extractor.
    if code == "empty":
        return _l("The file is empty. Please choose a file that has content.")
    if code == "too_large":
        return _l("The file is too large. Files up to %(limit)s MB are accepted.", **params)
    if code == "type_not_allowed":
        return _l("This type of file is not accepted. Accepted types: %(types)s.", **params)
    if code == "type_mismatch":
        return _l(
            "The file name says %(claimed)s, but the file is %(actual)s. "
            "Please rename it or choose the right file.",
            **params,
        )
    if code == "encrypted":
        return _l("The file is protected by a password. Please upload it without the password.")
    if code == "damaged":
        return _l("The file is damaged and cannot be opened. Please upload a complete copy.")
    if code == "inflates_too_much":
        return _l(
            "The file unpacks to far more data than a document needs. "
            "Please save it again and upload the new copy."
        )
    if code == "macros":
        return _l("The file contains macros. Please save it as a document without macros (DOCX, XLSX, ODT, ODS).")
    if code == "executable_content":
        return _l("The file contains programs or embedded objects. Please upload the document without them.")
    if code == "xml_entities":
        return _l("The file contains unsafe XML declarations. Please save it again in an office program.")
    if code == "too_many_pages":
        return _l("The file has too many pages. Files up to %(limit)s pages are accepted.", **params)
    raise ValueError(code)


# What the inspection of one kind of file found: active content, and whether its text needs OCR (None
# when that is only known once its text is read).
Verdict = tuple[bool, bool | None]
READ_CHUNK = 64 * 2**10  # bytes read at a time when a file's raw bytes are scanned
