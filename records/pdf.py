"""Printable PDF forms: a header (the organisation on the left, an approval block on the right), a title,
a table with repeated column headings, and closing parts (paragraphs, two-column blocks, signature lines).

Column headings never split a word: their font shrinks until the longest word of every heading fits its
column, and columns are sized by the forms so that it does at the usual size.

The DejaVu Sans fonts ship in ``static/fonts`` and are embedded in every PDF, so Kyrgyz and Russian
text (including ө, ү, ң) prints and extracts correctly on any machine, with or without system fonts.
"""
from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
LEFT_MARGIN, RIGHT_MARGIN = 15 * mm, 12 * mm
FRAME_PADDING = 6.0  # reportlab's frames keep this much inside each margin
_registered = threading.Lock()


def _register_fonts() -> None:
    with _registered:
        known = set(pdfmetrics.getRegisteredFontNames())
        for name, filename in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf")):
            if name not in known:
                pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


@dataclass(frozen=True)
class Lines:
    """Paragraphs after the table; ``bold`` sets the first line in bold (a block's heading)."""

    lines: Sequence[str]
    bold: bool = False


@dataclass(frozen=True)
class Columns:
    """Two blocks side by side (an agreement block on the left, a signature on the right)."""

    left: Sequence[str]
    right: Sequence[str]


@dataclass(frozen=True)
class Signatures:
    """Signature lines: position, a line to sign on, the name; each followed by a line for the date."""

    rows: Sequence[tuple[str, str]]
    date_label: str = ""
    hint: str = ""  # printed small under the line: "подпись", "колу"


@dataclass(frozen=True)
class Grid:
    """A second, smaller table with ruled cells (the nomenclature's year-end record)."""

    headers: Sequence[str]
    rows: Sequence[Sequence[object]]
    widths: Sequence[float]  # relative column widths


Part = Lines | Columns | Signatures | Grid


@dataclass
class TableForm:
    """One standard form: what goes above, in, and below its table."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[object]]
    widths: Sequence[float]  # relative column widths
    subtitle_lines: Sequence[str] = ()
    before_table: Sequence[str] = ()
    after_table: Sequence[str] = ()
    signatures: Sequence[str] = ()
    landscape: bool = True
    author: str = ""
    sections: Sequence[tuple[str, Sequence[Sequence[object]]]] = field(default_factory=list)
    heading_left: Sequence[str] = ()  # the organisation, the fond, top left
    corner: Sequence[str] = ()  # the approval block (УТВЕРЖДАЮ ...), top right
    closing: Sequence[Part] = ()  # what follows the table and ``after_table``


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=11)
    return {
        "base": base,
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "head": ParagraphStyle("head", parent=base, fontName=FONT_BOLD, fontSize=8, leading=10, alignment=1),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=13, leading=16, alignment=1,
                                spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10, leading=13, alignment=1),
        "section": ParagraphStyle("section", parent=base, fontName=FONT_BOLD, fontSize=10, leading=13,
                                  spaceBefore=8, spaceAfter=4),
        "sign": ParagraphStyle("sign", parent=base, fontSize=10, leading=18),
        "block": ParagraphStyle("block", parent=base, fontSize=10, leading=13),
        "block_bold": ParagraphStyle("block_bold", parent=base, fontName=FONT_BOLD, fontSize=10, leading=13),
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=8, alignment=1,
                                textColor=colors.HexColor("#444444")),
    }


HEAD_SIZES = (8.0, 7.5, 7.0, 6.5, 6.0)
CELL_PADDING = 3.0


def header_size(headers: Sequence[str], col_widths: Sequence[float]) -> float | None:
    """The largest heading font size at which every word of every heading fits its column, or None."""
    for size in HEAD_SIZES:
        if all(pdfmetrics.stringWidth(word, FONT_BOLD, size) <= width - 2 * CELL_PADDING
               for text, width in zip(headers, col_widths, strict=True) for word in str(text).split()):
            return size
    return None


def _p(text: object, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape("" if text is None else str(text)).replace("\n", "<br/>"), style)


def _table(form: TableForm, rows: Sequence[Sequence[object]], styles: dict[str, ParagraphStyle],
           width: float) -> Table:
    col_widths = column_widths(form, width)
    _register_fonts()
    size = header_size(form.headers, col_widths) or HEAD_SIZES[-1]
    head = ParagraphStyle("head_fit", parent=styles["head"], fontSize=size, leading=size + 2)
    numbers = [str(i) for i in range(1, len(form.headers) + 1)]
    data = [[_p(h, head) for h in form.headers], [_p(n, styles["head"]) for n in numbers]]
    data += [[_p(cell, styles["cell"]) for cell in row] for row in rows]
    table = Table(data, colWidths=col_widths, repeatRows=2)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 1), colors.HexColor("#eef2f5")),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ]))
    return table


def page_width(form: TableForm) -> float:
    """The width of the printed area of the form's page."""
    pagesize = landscape(A4) if form.landscape else A4
    return pagesize[0] - LEFT_MARGIN - RIGHT_MARGIN - 2 * FRAME_PADDING


def column_widths(form: TableForm, width: float | None = None) -> list[float]:
    width = page_width(form) if width is None else width
    total = sum(form.widths)
    return [width * w / total for w in form.widths]


def _plain(rows: Sequence[Sequence[object]], col_widths: Sequence[float], top: bool = True) -> Table:
    """A borderless table for layout (header blocks, signature lines)."""
    table = Table(rows, colWidths=list(col_widths))
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP" if top else "BOTTOM"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
    ]))
    return table


def _block(lines: Sequence[str], styles: dict[str, ParagraphStyle], bold: bool = False) -> list[Paragraph]:
    return [_p(line, styles["block_bold"] if bold and n == 0 else styles["block"]) for n, line in enumerate(lines)]


def _part(part: Part, styles: dict[str, ParagraphStyle], width: float) -> list[object]:
    if isinstance(part, Lines):
        return [Spacer(1, 3 * mm), *_block(part.lines, styles, part.bold)]
    if isinstance(part, Grid):
        total = sum(part.widths)
        col_widths = [width * w / total for w in part.widths]
        data = [[_p(h, styles["head"]) for h in part.headers]]
        data += [[_p(cell, styles["cell"]) for cell in row] for row in part.rows]
        grid = Table(data, colWidths=col_widths, repeatRows=1)
        grid.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                  ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f5"))]))
        return [Spacer(1, 2 * mm), grid]
    if isinstance(part, Columns):
        return [Spacer(1, 5 * mm), _plain([[_block(part.left, styles, True), _block(part.right, styles, True)]],
                                          [width / 2, width / 2])]
    rows: list[list[object]] = []
    for position, name in part.rows:
        rows.append([_p(position, styles["block"]), _p("_" * 18, styles["block"]), _p(name, styles["block"])])
        rows.append(["", _p(part.hint, styles["small"]), ""])
        if part.date_label:
            rows.append([_p(part.date_label, styles["block"]), "", ""])
    return [Spacer(1, 5 * mm), _plain(rows, [width * 0.45, width * 0.25, width * 0.30], top=False)]


def render(form: TableForm) -> bytes:
    """The form as PDF bytes."""
    _register_fonts()
    styles = _styles()
    buf = io.BytesIO()
    pagesize = landscape(A4) if form.landscape else A4
    doc = SimpleDocTemplate(buf, pagesize=pagesize, leftMargin=LEFT_MARGIN, rightMargin=RIGHT_MARGIN,
                            topMargin=12 * mm, bottomMargin=12 * mm, title=form.title, author=form.author)
    width = page_width(form)
    story: list[object] = []
    if form.heading_left or form.corner:
        left = width * (0.55 if form.landscape else 0.5)
        story.append(_plain([[_block(form.heading_left, styles), _block(form.corner, styles, True)]],
                            [left, width - left]))
        story.append(Spacer(1, 5 * mm))
    story.append(_p(form.title, styles["title"]))
    story += [_p(line, styles["subtitle"]) for line in form.subtitle_lines]
    story.append(Spacer(1, 4 * mm))
    story += [_p(line, styles["base"]) for line in form.before_table]
    if form.sections:
        for heading, rows in form.sections:
            story.append(_p(heading, styles["section"]))
            story.append(_table(form, rows, styles, width))
    else:
        story.append(_table(form, form.rows, styles, width))
    story.append(Spacer(1, 4 * mm))
    story += [_p(line, styles["base"]) for line in form.after_table]
    if form.signatures:
        story.append(Spacer(1, 6 * mm))
        story += [_p(line, styles["sign"]) for line in form.signatures]
    for part in form.closing:
        story += _part(part, styles, width)
    doc.build(story)
    return buf.getvalue()
