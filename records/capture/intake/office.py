"""Text of office files: word processing (DOCX streamed, DOC through catdoc, ODT/ODS, RTF) and
spreadsheets (XLSX, XLS), with headers, footers, notes and text boxes where the format has them.
Dispatched from :func:`records.capture.intake.extract.extract_text`.
"""
from __future__ import annotations

import functools
import io
import re
import subprocess
import warnings
import zipfile
from collections.abc import Callable, Iterator

from records.capture.intake import ooxml
from records.capture.intake.extract_job import ExtractJob, OutOfTime, Result, collect


# --- word processing ---------------------------------------------------------


def docx(job: ExtractJob) -> Result:
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

        return collect(blocks(), job), None, "docx"


def _docx_blocks(story: object, job: ExtractJob) -> Iterator[str]:
    """Paragraphs and tables of a story in order, with those in content controls (``w:sdt``), and
    after each paragraph the text boxes drawn in it."""
    blocks, _ = _docx_queries()
    for element in blocks(story):
        yield from _docx_element(element, job)


def _docx_element(element: object, job: ExtractJob) -> Iterator[str]:
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


def doc(job: ExtractJob) -> Result:
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
        raise OutOfTime from exc
    if result.returncode != 0:
        raise RuntimeError(f"catdoc failed: {result.stderr.decode('utf-8', 'replace').strip()[:200]}")
    return result.stdout.decode("utf-8", "replace"), None, "catdoc"


_ODF_NS_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_ODF_NS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"


def odf(job: ExtractJob) -> Result:
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
        text = collect(parts(archive), job)
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


def rtf(job: ExtractJob) -> Result:
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


def xlsx(job: ExtractJob) -> Result:
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

            text = collect(rows(), job)
            sheets = len(book.worksheets)
        finally:
            book.close()
    return text, sheets, "xlsx"


def xls(job: ExtractJob) -> Result:
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

        text = collect(rows(), job)
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
