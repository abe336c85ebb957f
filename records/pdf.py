"""Printable PDF forms: a heading, a table with repeated column headings, and closing paragraphs.

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
_registered = threading.Lock()


def _register_fonts() -> None:
    with _registered:
        known = set(pdfmetrics.getRegisteredFontNames())
        for name, filename in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf")):
            if name not in known:
                pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


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
    }


def _p(text: object, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape("" if text is None else str(text)).replace("\n", "<br/>"), style)


def _table(form: TableForm, rows: Sequence[Sequence[object]], styles: dict[str, ParagraphStyle],
           width: float) -> Table:
    total = sum(form.widths)
    col_widths = [width * w / total for w in form.widths]
    numbers = [str(i) for i in range(1, len(form.headers) + 1)]
    data = [[_p(h, styles["head"]) for h in form.headers], [_p(n, styles["head"]) for n in numbers]]
    data += [[_p(cell, styles["cell"]) for cell in row] for row in rows]
    table = Table(data, colWidths=col_widths, repeatRows=2)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 1), colors.HexColor("#eef2f5")),
    ]))
    return table


def render(form: TableForm) -> bytes:
    """The form as PDF bytes."""
    _register_fonts()
    styles = _styles()
    buf = io.BytesIO()
    pagesize = landscape(A4) if form.landscape else A4
    doc = SimpleDocTemplate(buf, pagesize=pagesize, leftMargin=15 * mm, rightMargin=12 * mm, topMargin=12 * mm,
                            bottomMargin=12 * mm, title=form.title, author=form.author)
    story: list[object] = [_p(form.title, styles["title"])]
    story += [_p(line, styles["subtitle"]) for line in form.subtitle_lines]
    story.append(Spacer(1, 4 * mm))
    story += [_p(line, styles["base"]) for line in form.before_table]
    if form.sections:
        for heading, rows in form.sections:
            story.append(_p(heading, styles["section"]))
            story.append(_table(form, rows, styles, doc.width))
    else:
        story.append(_table(form, form.rows, styles, doc.width))
    story.append(Spacer(1, 4 * mm))
    story += [_p(line, styles["base"]) for line in form.after_table]
    if form.signatures:
        story.append(Spacer(1, 6 * mm))
        story += [_p(line, styles["sign"]) for line in form.signatures]
    doc.build(story)
    return buf.getvalue()
