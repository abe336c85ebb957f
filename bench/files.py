"""Turning corpus documents into the files a department actually files: text PDFs (DejaVu embedded, so
Kyrgyz letters survive), Word documents and scanned pages (an image of the text, read only by OCR)."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

FONT_PATH = Path(__file__).resolve().parents[1] / "static" / "fonts" / "DejaVuSans.ttf"
KINDS = ("pdf", "docx", "scan")
_LINE_CHARS = 90


def _lines(doc: dict[str, Any], width: int = _LINE_CHARS) -> list[str]:
    lines: list[str] = []
    for paragraph in doc["text"].splitlines():
        lines.extend(textwrap.wrap(paragraph, width) or [""])
    return lines


def write_pdf(doc: dict[str, Any], path: Path) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(FONT_PATH)))
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setTitle(doc["title"])
    y = 800.0
    pdf.setFont("DejaVuSans", 10)
    for line in _lines(doc):
        if y < 50:
            pdf.showPage()
            pdf.setFont("DejaVuSans", 10)
            y = 800.0
        pdf.drawString(40, y, line)
        y -= 14
    pdf.showPage()
    pdf.save()
    return path


def write_docx(doc: dict[str, Any], path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(doc["title"], level=1)
    for paragraph in doc["text"].splitlines():
        document.add_paragraph(paragraph)
    document.save(str(path))
    return path


def write_scan(doc: dict[str, Any], path: Path, dpi: int = 200, max_lines: int = 40) -> Path:
    """One scanned A4 page (PNG, greyscale) with the beginning of the text, large enough for OCR."""
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    size = int(dpi * 0.16)
    font = ImageFont.truetype(str(FONT_PATH), size)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    margin = int(dpi * 0.7)
    chars = max(20, int((width - 2 * margin) / (size * 0.58)))
    y = margin
    for line in _lines(doc, chars)[:max_lines]:
        draw.text((margin, y), line, font=font, fill=0)
        y += int(size * 1.5)
    page.save(path, "PNG", dpi=(dpi, dpi))
    return path


WRITERS = {"pdf": (write_pdf, ".pdf"), "docx": (write_docx, ".docx"), "scan": (write_scan, ".png")}


def write_document(doc: dict[str, Any], kind: str, folder: Path, stem: str) -> Path:
    writer, suffix = WRITERS[kind]
    return writer(doc, Path(folder) / f"{stem}{suffix}")
