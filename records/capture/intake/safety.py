"""The gate every uploaded file passes: is it what it claims, allowed, intact and harmless?

``check_file`` decides from the bytes alone and never unpacks more than a
bounded prefix of any member, so bombs are judged by their declared sizes
and ratios rather than by inflating them.

PDF and images are inspected here; office files in :mod:`.office_safety`.
"""
from __future__ import annotations

import re
import time
import warnings
from pathlib import Path

from records.capture.intake import office_safety
from records.capture.intake.base import (
    DEFAULT_ALLOWED,
    IMAGE_KINDS,
    READ_CHUNK,
    FileCheck,
    Limits,
    Refusal,
    Verdict,
    accepted_types_label,
    refuse,
    refuse_program,
)
from records.capture.intake.filetypes import KIND_MIME, kind_from_filename, sniff
from records.capture.intake.pdflayer import pages_without_text

_PDF_ACTIVE_NAMES = frozenset(
    {"/JS", "/JavaScript", "/Launch", "/EmbeddedFiles", "/EmbeddedFile", "/RichMedia", "/XFA"}
)
_PDF_ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/ImportData", "/RichMediaExecute"})
_PDF_ACTIVE_RAW = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)(?![A-Za-z0-9])")
_PDF_MAX_OBJECTS = 500_000


def check_file(
    path: Path,
    filename: str,
    allowed: frozenset[str] = DEFAULT_ALLOWED,
    limits: Limits = Limits(),
) -> FileCheck:
    """Judge an uploaded file; return what it is or raise Refusal saying why it is not accepted.

    ``filename`` is the name the user gave; it is only compared with what the
    bytes say, to catch a file pretending to be something else.
    """
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise refuse("empty")
    if size > limits.max_bytes:
        raise refuse("too_large", limit=limits.max_bytes // 2**20)

    kind, mime = sniff(path)
    if kind == "exe":
        raise refuse_program(kind_from_filename(filename), allowed)
    if kind not in allowed:
        raise refuse("type_not_allowed", types=accepted_types_label(allowed))
    claimed = kind_from_filename(filename)
    if claimed is not None and claimed != kind:
        raise refuse("type_mismatch", claimed=claimed.upper(), actual=kind.upper())

    inspect = _INSPECTORS.get(kind, _inspect_nothing)
    active, needs_ocr = inspect(path, limits)
    return FileCheck(
        kind=kind,
        mime=KIND_MIME.get(kind, mime),
        active_content=active,
        is_image=kind in IMAGE_KINDS,
        needs_ocr=needs_ocr,
    )


def _inspect_nothing(path: Path, limits: Limits) -> Verdict:
    return False, False


# --- PDF ---------------------------------------------------------------------


def _inspect_pdf(path: Path, limits: Limits) -> Verdict:
    from pypdf import PdfReader

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise refuse("encrypted")
        pages = len(reader.pages)
        if pages > limits.max_pages:
            raise refuse("too_many_pages", limit=limits.max_pages)
        if pages == 0:
            raise refuse("damaged")
        needs_ocr: bool | None = any(not _pdf_page_has_fonts(page) for page in reader.pages)
        if not needs_ocr:
            # A font on every page, but a page may still carry no real text (a scan with a stray
            # page number or an empty text object): that page needs OCR too, so the file goes to
            # the background worker.
            needs_ocr = pages_without_text(path, pages, time.monotonic() + limits.extract_timeout_s / 10)
        active = _pdf_raw_active(path) or _pdf_graph_active(reader)
    except Refusal:
        raise
    except Exception as exc:  # pypdf signals broken files with many exception types
        if type(exc).__name__ in {"FileNotDecryptedError", "DependencyError"}:
            raise refuse("encrypted") from exc
        raise refuse("damaged") from exc
    return active, needs_ocr


def _pdf_page_has_fonts(page: object) -> bool:
    resources = page.get("/Resources")  # type: ignore[attr-defined]
    if resources is None:
        return False
    fonts = resources.get_object().get("/Font")
    return bool(fonts is not None and len(fonts.get_object()) > 0)


def _pdf_raw_active(path: Path) -> bool:
    """Cheap first pass over the raw bytes; catches uncompressed objects."""
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(READ_CHUNK * 16):
            if _PDF_ACTIVE_RAW.search(tail + chunk):
                return True
            tail = chunk[-32:]
    return False


def _pdf_graph_active(reader: object) -> bool:
    """Walk every object reachable from the trailer; catches compressed and #-escaped names."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    stack: list[object] = [reader.trailer]  # type: ignore[attr-defined]
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            node = node.get_object()
        visited += 1
        if visited > _PDF_MAX_OBJECTS:
            return True  # too intricate to vouch for: treat as active, serve as download only
        if isinstance(node, DictionaryObject):
            if _PDF_ACTIVE_NAMES.intersection(node.keys()):
                return True
            if node.get("/S") in _PDF_ACTIVE_ACTIONS or node.get("/Subtype") == "/FileAttachment":
                return True
            stack.extend(value for name, value in node.items() if name != "/Parent")
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return False


# --- images ------------------------------------------------------------------


def _inspect_image(path: Path, limits: Limits) -> Verdict:
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as image:
                frames = getattr(image, "n_frames", 1)
                if frames > limits.max_pages:
                    raise refuse("too_many_pages", limit=limits.max_pages)
                width, height = image.size
                if width * height > limits.max_image_pixels:
                    raise refuse("inflates_too_much")
                image.load()
        except Refusal:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise refuse("inflates_too_much") from exc
        except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError... for bad data
            raise refuse("damaged") from exc
    return False, True


_INSPECTORS = {
    "pdf": _inspect_pdf,
    "jpeg": _inspect_image,
    "png": _inspect_image,
    "tiff": _inspect_image,
    "docx": office_safety.inspect_docx,
    "xlsx": office_safety.inspect_xlsx,
    "odt": office_safety.inspect_odf,
    "ods": office_safety.inspect_odf,
    "doc": office_safety.inspect_doc,
    "xls": office_safety.inspect_xls,
    "rtf": office_safety.inspect_rtf,
}
