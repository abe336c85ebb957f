"""Text out of an accepted file, for the search index and the document's catalogue card.

``extract_text`` never raises for bad content: a file that resists gives
status "failed" with a technical note, a file with nothing to read (a blank
scan) gives "none". Time is checked between pages and rows; external
programs (catdoc, tesseract) are killed at their own timeouts.

PDF and images are read here (text layer, then OCR of the pages without one); office files in
:mod:`.office`, plain text in :mod:`.plaintext`; the extraction under way is an
:class:`~.extract_job.ExtractJob`.
"""
from __future__ import annotations

import math
import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

from records.capture.intake import office, pdflayer, plaintext
from records.capture.intake.base import Extraction, FileCheck, Limits
from records.capture.intake.extract_job import ExtractJob, OutOfTime, Result
from records.capture.intake.ocr import DEFAULT_LANGS, OcrError
from records.capture.intake.plaintext import decode_text

__all__ = ["decode_text", "extract_text", "normalise_text"]

_MAX_RENDER_PIXELS = 40_000_000


def extract_text(
    path: Path, check: FileCheck, limits: Limits = Limits(), ocr_langs: str = DEFAULT_LANGS,
    ocr_workers: int | None = None,
) -> Extraction:
    """Extract the text of a file that ``check_file`` accepted (scanned pages read in parallel by the
    OCR pool of ``ocr_workers``, by default one per core)."""
    job = ExtractJob(Path(path), check, limits, ocr_langs, time.monotonic() + limits.extract_timeout_s, ocr_workers)
    extractor = _EXTRACTORS.get(check.kind)
    if extractor is None:
        return Extraction("failed", method="", error=f"no text extractor for {check.kind!r}")
    try:
        text, pages, method = extractor(job)
    except OutOfTime:
        return Extraction("failed", method=check.kind, error=f"extraction took longer than {limits.extract_timeout_s} s")
    except OcrError as exc:
        return Extraction("failed", method="ocr", error=str(exc))
    except Exception as exc:  # any library failure on hostile or broken content
        return Extraction("failed", method=check.kind, error=f"{type(exc).__name__}: {exc}"[:500])
    text = normalise_text(text)[: limits.max_text_chars]
    return Extraction("done" if text.strip() else "none", text=text, pages=pages, method=method,
                      confidence=job.confidence())


def normalise_text(text: str) -> str:
    """NFC (so ө typed two ways matches), no NULs or soft hyphens (which word processors leave inside
    words), Unix newlines, no trailing spaces."""
    text = unicodedata.normalize("NFC", text).replace("\x00", "").replace("\u00ad", "")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- PDF ---------------------------------------------------------------------


def _pdf(job: ExtractJob) -> Result:
    """Text layer through PDFium (several times faster than pure-Python parsing); pages without a
    text layer are rendered from the same document and read by OCR."""
    try:
        document = _open_pdfium(job.path)
    except Exception:  # PDFium refuses some files that pypdf can still read
        return _pdf_pypdf(job)

    def layer(index: int) -> str:
        page = document[index]  # type: ignore[index]
        try:
            textpage = page.get_textpage()
            try:
                return pdflayer.page_text(textpage)
            finally:
                textpage.close()
        finally:
            page.close()

    try:
        count = min(len(document), job.limits.max_pages)  # type: ignore[arg-type]
        return _read_pages(job, count, layer, lambda index: document)
    finally:
        document.close()  # type: ignore[attr-defined]


def _pdf_pypdf(job: ExtractJob) -> Result:
    from pypdf import PdfReader

    reader = PdfReader(job.path, strict=False)
    if reader.is_encrypted:
        reader.decrypt("")
    rendered: list[object] = []

    def renderer(_index: int) -> object:
        if not rendered:
            rendered.append(_open_pdfium(job.path))
        return rendered[0]

    try:
        count = min(len(reader.pages), job.limits.max_pages)
        return _read_pages(job, count, lambda index: reader.pages[index].extract_text() or "", renderer)
    finally:
        for document in rendered:
            document.close()  # type: ignore[attr-defined]


def _read_pages(job: ExtractJob, count: int, layer: Callable[[int], str], renderer: Callable[[int], object]) -> Result:
    """Each page's text layer, or OCR of the rendered page where the layer holds (almost) no text.

    Pages are rendered here, in order, and read by the OCR pool in parallel; their texts are put back
    in page order."""
    texts: list[str] = [""] * count
    scanned: list[int] = []
    methods: set[str] = set()
    total = 0

    def scans() -> Iterator[object]:
        nonlocal total
        for index in range(count):
            job.tick()
            text = layer(index)
            if pdflayer.has_text(text):
                methods.add("pdf-text")
                texts[index] = text
                total += len(text)
            else:
                methods.add("ocr")
                scanned.append(index)
                yield _render_pdf_page(renderer(index), index, job.limits.ocr_dpi)
            if total >= job.limits.max_text_chars:
                break

    for number, text in enumerate(job.ocr(scans())):
        texts[scanned[number]] = text  # the generator noted the page's index before yielding its image
        total += len(text)
    return "\n\n".join(texts), count, "+".join(sorted(methods, key=["pdf-text", "ocr"].index)) or "pdf-text"


def _open_pdfium(path: Path) -> object:
    import pypdfium2

    return pypdfium2.PdfDocument(str(path), password="")


def _render_pdf_page(document: object, index: int, dpi: int) -> object:
    page = document[index]  # type: ignore[index]
    try:
        width, height = page.get_size()
        scale = dpi / 72
        # Oversized pages (plans, posters) are rendered smaller rather than exhausting memory.
        if width * height * scale * scale > _MAX_RENDER_PIXELS:
            scale = math.sqrt(_MAX_RENDER_PIXELS / (width * height))
        bitmap = page.render(scale=scale, grayscale=True)
        return bitmap.to_pil()
    finally:
        page.close()


# --- images ------------------------------------------------------------------


def _image(job: ExtractJob) -> Result:
    from PIL import Image, ImageSequence

    def frames(image: Image.Image) -> Iterator[object]:
        for number, frame in enumerate(ImageSequence.Iterator(image)):
            if number >= job.limits.max_pages:
                break
            yield frame.copy()

    with Image.open(job.path) as image:
        texts = list(job.ocr(frames(image)))
    return "\n\n".join(texts), len(texts), "ocr"


_EXTRACTORS: dict[str, Callable[[ExtractJob], Result]] = {
    "pdf": _pdf,
    "jpeg": _image,
    "png": _image,
    "tiff": _image,
    "docx": office.docx,
    "doc": office.doc,
    "odt": office.odf,
    "ods": office.odf,
    "rtf": office.rtf,
    "xlsx": office.xlsx,
    "xls": office.xls,
    "txt": plaintext.txt,
}
