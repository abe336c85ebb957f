"""Text out of an accepted file, for the search index and the document's catalogue card.

``extract_text`` never raises for bad content: a file that resists gives
status "failed" with a technical note, a file with nothing to read (a blank
scan) gives "none". Time is checked between pages and rows; external
programs (catdoc, tesseract) are killed at their own timeouts.
"""
from __future__ import annotations

import functools
import io
import math
import re
import subprocess
import time
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from records.capture.intake import ooxml, pdflayer
from records.capture.intake.base import Extraction, FileCheck, Limits
from records.capture.intake.ocr import DEFAULT_LANGS, OcrError, PageText, ocr_page, pool

_MAX_RENDER_PIXELS = 40_000_000


class _OutOfTime(Exception):
    pass


@dataclass
class _Job:
    path: Path
    check: FileCheck
    limits: Limits
    langs: str
    deadline: float

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise _OutOfTime

    def remaining(self) -> float:
        return max(self.deadline - time.monotonic(), 1.0)

    ocr_workers: int | None = None
    ocr_pages: list[PageText] = field(default_factory=list)

    def _read_page(self, image: object) -> PageText:
        self.tick()
        timeout = min(float(self.limits.ocr_timeout_s), self.remaining())
        return ocr_page(image, self.langs, timeout_s=timeout, dpi=self.limits.ocr_dpi)  # type: ignore[arg-type]

    def ocr(self, images: Iterable[object]) -> Iterator[str]:
        """The text of each page image, in order, read in parallel by the OCR pool."""
        for page in pool(self.ocr_workers).map(self._read_page, images):  # type: ignore[arg-type]
            self.ocr_pages.append(page)
            yield page.text

    def confidence(self) -> float | None:
        """The mean word confidence of the pages read by OCR (each page weighted by its words)."""
        scored = [page for page in self.ocr_pages if page.confidence is not None]
        words = sum(page.words for page in scored)
        if not words:
            return None
        return round(sum(page.confidence * page.words for page in scored) / words, 1)  # type: ignore[operator]


Result = tuple[str, int | None, str]  # text, pages, method


def extract_text(
    path: Path, check: FileCheck, limits: Limits = Limits(), ocr_langs: str = DEFAULT_LANGS,
    ocr_workers: int | None = None,
) -> Extraction:
    """Extract the text of a file that ``check_file`` accepted (scanned pages read in parallel by the
    OCR pool of ``ocr_workers``, by default one per core)."""
    job = _Job(Path(path), check, limits, ocr_langs, time.monotonic() + limits.extract_timeout_s, ocr_workers)
    extractor = _EXTRACTORS.get(check.kind)
    if extractor is None:
        return Extraction("failed", method="", error=f"no text extractor for {check.kind!r}")
    try:
        text, pages, method = extractor(job)
    except _OutOfTime:
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


def _collect(parts: Iterable[str], job: _Job) -> str:
    """Join parts until the character limit; stops pulling from a lazy source at the limit."""
    out: list[str] = []
    total = 0
    for part in parts:
        out.append(part)
        total += len(part) + 1
        if total >= job.limits.max_text_chars:
            break
    return "\n".join(out)


# --- PDF ---------------------------------------------------------------------


def _pdf(job: _Job) -> Result:
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


def _pdf_pypdf(job: _Job) -> Result:
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


def _read_pages(job: _Job, count: int, layer: Callable[[int], str], renderer: Callable[[int], object]) -> Result:
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


def _image(job: _Job) -> Result:
    from PIL import Image, ImageSequence

    def frames(image: Image.Image) -> Iterator[object]:
        for number, frame in enumerate(ImageSequence.Iterator(image)):
            if number >= job.limits.max_pages:
                break
            yield frame.copy()

    with Image.open(job.path) as image:
        texts = list(job.ocr(frames(image)))
    return "\n\n".join(texts), len(texts), "ocr"


# --- word processing ---------------------------------------------------------


def _docx(job: _Job) -> Result:
    """Body paragraphs and tables in order (with the text boxes anchored in them, and content
    controls), then the headers and footers of every section, then the footnotes and endnotes. The
    body is streamed (see ``ooxml.iter_body``: one block in memory at a time, capped in size); the
    other parts are read each from its own part, capped too; all with python-docx's element classes."""
    with zipfile.ZipFile(job.path) as archive:
        partname = ooxml.main_part_name(archive)
        references: list[str] = []

        def blocks() -> Iterator[str]:
            for element in ooxml.iter_body(archive, partname, job.limits.max_xml_bytes):
                references.extend(ooxml.header_footer_references(element))
                yield from _docx_element(element, job)
            for part in (ooxml.related_parts(archive, partname, references, job.limits.max_xml_bytes)
                         + ooxml.notes(archive, partname, job.limits.max_xml_bytes)):
                yield from _docx_blocks(part, job)

        return _collect(blocks(), job), None, "docx"


def _docx_blocks(story: object, job: _Job) -> Iterator[str]:
    """Paragraphs and tables of a story in order, with those in content controls (``w:sdt``), and
    after each paragraph the text boxes drawn in it."""
    blocks, _ = _docx_queries()
    for element in blocks(story):
        yield from _docx_element(element, job)


def _docx_element(element: object, job: _Job) -> Iterator[str]:
    """The text of one paragraph (then of the text boxes drawn in it), table or content control."""
    from docx.oxml.table import CT_Tbl
    from docx.oxml.text.paragraph import CT_P
    from docx.table import Table

    job.tick()
    _, text_boxes = _docx_queries()
    if isinstance(element, CT_P):
        yield element.text
        for box in text_boxes(element):
            yield from _docx_blocks(box, job)
    elif isinstance(element, CT_Tbl):
        yield from _docx_table(Table(element, None))  # type: ignore[arg-type]
    elif getattr(element, "tag", "") == _W_SDT:
        content = element.find(_W_SDT_CONTENT)  # type: ignore[attr-defined]
        if content is not None:
            yield from _docx_blocks(content, job)


_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W_SDT, _W_SDT_CONTENT = f"{{{_W_NS}}}sdt", f"{{{_W_NS}}}sdtContent"


@functools.cache
def _docx_queries() -> tuple[Callable[[object], list[object]], Callable[[object], list[object]]]:
    from lxml import etree

    namespaces = {"w": _W_NS, "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006"}
    blocks = etree.XPath("./w:p | ./w:tbl | ./w:sdt", namespaces=namespaces)
    # Word writes each text box twice: DrawingML, and VML under mc:Fallback for older readers.
    text_boxes = etree.XPath(".//w:txbxContent[not(ancestor::mc:Fallback)]", namespaces=namespaces)
    return blocks, text_boxes  # type: ignore[return-value]


def _docx_table(table: object) -> Iterator[str]:
    for row in table.rows:  # type: ignore[attr-defined]
        cells: list[str] = []
        for cell in row.cells:
            # Merged cells repeat the same object; keep its text once.
            if not cells or cell.text != cells[-1]:
                cells.append(cell.text)
        yield "\t".join(cells)


def _doc(job: _Job) -> Result:
    try:
        result = subprocess.run(
            ["catdoc", "-d", "utf-8", "-w", str(job.path)],
            capture_output=True,
            timeout=job.remaining(),
            check=False,
        )
    except FileNotFoundError as exc:
        raise RuntimeError("catdoc is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise _OutOfTime from exc
    if result.returncode != 0:
        raise RuntimeError(f"catdoc failed: {result.stderr.decode('utf-8', 'replace').strip()[:200]}")
    return result.stdout.decode("utf-8", "replace"), None, "catdoc"


_ODF_NS_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_ODF_NS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"


def _odf(job: _Job) -> Result:
    from defusedxml.ElementTree import iterparse

    paragraph_tags = {f"{{{_ODF_NS_TEXT}}}p", f"{{{_ODF_NS_TEXT}}}h"}
    cell_tag = f"{{{_ODF_NS_TABLE}}}table-cell"
    row_tag = f"{{{_ODF_NS_TABLE}}}table-row"

    def lines(stream: object) -> Iterator[str]:
        row: list[str] = []
        depth = 0  # inside a table cell, paragraphs belong to the cell
        for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=True):
            if element.tag == cell_tag:
                depth += 1 if event == "start" else -1
                if event == "end":
                    row.append(" ".join(_odf_text(p) for p in element.iter() if p.tag in paragraph_tags))
                    element.clear()
            elif event == "end" and element.tag == row_tag:
                job.tick()
                if any(row):
                    yield "\t".join(row).rstrip("\t")
                row = []
                element.clear()
            elif event == "end" and element.tag in paragraph_tags and depth == 0:
                yield _odf_text(element)
                element.clear()

    def parts(archive: zipfile.ZipFile) -> Iterator[str]:
        with archive.open("content.xml") as content:
            yield from lines(content)
        # A text document's headers and footers live in its master pages, in styles.xml. (A
        # spreadsheet's hold only sheet names and page numbers.)
        if job.check.kind == "odt" and "styles.xml" in archive.namelist():
            with archive.open("styles.xml") as styles:
                yield from lines(styles)

    with zipfile.ZipFile(job.path) as archive:
        text = _collect(parts(archive), job)
    return text, None, job.check.kind


def _odf_text(element: object) -> str:
    """Text of an ODF paragraph, expanding the space, tab and line-break elements."""
    parts: list[str] = [element.text or ""]  # type: ignore[attr-defined]
    for child in element:  # type: ignore[attr-defined]
        local = child.tag.rsplit("}", 1)[-1]
        if local == "s":
            parts.append(" " * int(child.get(f"{{{_ODF_NS_TEXT}}}c", "1")))
        elif local == "tab":
            parts.append("\t")
        elif local == "line-break":
            parts.append("\n")
        else:
            parts.append(_odf_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


_RTF_CODEPAGE = re.compile(rb"\\ansicpg(\d+)")
# Groups striprtf skips as destinations but which hold the document's own text: headers, footers,
# footnotes, and text boxes (a shape's instructions hold its text; its picture fallback stays
# skipped). Renamed to a word striprtf does not know, so their text is read.
_RTF_PARTS = re.compile(r"\{(?:\\\*)?\\(?:header[lrf]?|footer[lrf]?|footnote|shp|shpinst|shptxt)(?![a-z])\s?")


def _rtf(job: _Job) -> Result:
    from striprtf.striprtf import rtf_to_text

    raw = job.path.read_bytes()
    match = _RTF_CODEPAGE.search(raw[:4096])
    # RTF from Russian and Kyrgyz Word declares 1251; without a declaration 1251 is still the best guess here.
    encoding = f"cp{int(match.group(1))}" if match else "cp1251"
    try:
        "".encode(encoding)
    except LookupError:
        encoding = "cp1251"
    source = _RTF_PARTS.sub(r"{\\sandykpart ", raw.decode(encoding, errors="replace"))
    return rtf_to_text(source, encoding=encoding, errors="replace"), None, "rtf"


# --- spreadsheets ------------------------------------------------------------


def _xlsx(job: _Job) -> Result:
    import openpyxl

    # A file object, not a path: openpyxl refuses paths without an .xlsx extension, and spooled
    # uploads have none.
    with warnings.catch_warnings(), job.path.open("rb") as handle:
        warnings.simplefilter("ignore")  # openpyxl warns about unsupported extensions it skips
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        try:

            def rows() -> Iterator[str]:
                for sheet in book.worksheets:
                    yield sheet.title
                    for number, values in enumerate(sheet.iter_rows(values_only=True)):
                        if number % 200 == 0:
                            job.tick()
                        line = "\t".join(_cell_text(v) for v in values).rstrip("\t")
                        if line:
                            yield line

            text = _collect(rows(), job)
            sheets = len(book.worksheets)
        finally:
            book.close()
    return text, sheets, "xlsx"


def _xls(job: _Job) -> Result:
    import xlrd

    book = xlrd.open_workbook(str(job.path), on_demand=True, logfile=io.StringIO())
    try:

        def rows() -> Iterator[str]:
            for index in range(book.nsheets):
                sheet = book.sheet_by_index(index)
                yield sheet.name
                for number in range(sheet.nrows):
                    if number % 200 == 0:
                        job.tick()
                    line = "\t".join(_cell_text(v) for v in sheet.row_values(number)).rstrip("\t")
                    if line:
                        yield line
                book.unload_sheet(index)

        text = _collect(rows(), job)
        sheets = book.nsheets
    finally:
        book.release_resources()
    return text, sheets, "xls"


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\t", " ").replace("\n", " ")


# --- plain text --------------------------------------------------------------


def _txt(job: _Job) -> Result:
    # Four bytes per character is the worst case of any encoding we decode.
    with job.path.open("rb") as handle:
        data = handle.read(job.limits.max_text_chars * 4)
    return decode_text(data), None, "txt"


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def decode_text(data: bytes) -> str:
    """Decode plain text: BOM first, then UTF-8, then cp1251 when it reads as Cyrillic, then a guess."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(encoding, errors="replace")
            # "юя"/"яю" in cp1251 are the bytes of a UTF-16 mark: such a file read as UTF-16 is
            # rubbish in other scripts, so the mark is believed only when the text reads as text.
            if encoding == "utf-8" or _reads_as_text(text):
                return text
            break
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A text cut at the read limit may end inside a character.
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return data[: exc.start].decode("utf-8")
    if _reads_as_cp1251(data):
        return data.decode("cp1251", errors="replace")
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        return str(best)
    return data.decode("cp1251", errors="replace")


def _reads_as_text(text: str) -> bool:
    """Whether decoded text is mostly in the scripts of this office (Latin, Cyrillic), spaces and
    punctuation."""
    usual = sum(1 for ch in text if ch < "\u0250" or "\u0400" <= ch <= "\u052f" or "\u2000" <= ch <= "\u206f"
                or ch in "№\ufeff")
    return usual >= 0.9 * len(text)


def _reads_as_cp1251(data: bytes) -> bool:
    """Whether non-UTF-8 bytes look like Cyrillic in cp1251: most high bytes are its letters.

    KOI8-R puts Cyrillic letters in the same byte range and cannot be told
    apart reliably from short or all-capitals text; Windows cp1251 is what
    this office's computers write, so it wins.
    """
    high = sum(1 for b in data if b >= 0x80)
    letters = sum(1 for b in data if b >= 0xC0 or b in (0xA8, 0xB8))
    return letters >= 2 and letters >= 0.8 * high and 0x98 not in data


_EXTRACTORS: dict[str, Callable[[_Job], Result]] = {
    "pdf": _pdf,
    "jpeg": _image,
    "png": _image,
    "tiff": _image,
    "docx": _docx,
    "doc": _doc,
    "odt": _odf,
    "ods": _odf,
    "rtf": _rtf,
    "xlsx": _xlsx,
    "xls": _xls,
    "txt": _txt,
}
