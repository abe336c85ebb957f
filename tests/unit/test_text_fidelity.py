"""Text that keeps every letter: real LibreOffice exports of Kyrgyz text (``tests/fixtures/text``, made
once by ``python -m bench.fidelity.corpus --fixtures tests/fixtures/text``) read word for word as poppler's
``pdftotext`` and LibreOffice's own text conversion read them.

In these PDFs ө, ү, ң come from a fallback font (the document's font lacks them), drawn as separate
runs after the rest of each line.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.fidelity.corpus import FIXTURE_OFFICE, FIXTURE_PDFS, PARTS, typed_words
from bench.fidelity.pdf import pdfium_text_range as drawing_order_text  # PDFium text in drawing order
from bench.fidelity.words import compare, words
from records.capture.intake import check_file, extract_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "text"
KYRGYZ_LETTER_WORDS = ("өнүктүрүү", "үзгүлтүксүз", "кеңеши", "тең", "Кумтөр", "өндүрүштүк", "төмөнкүлөр",
                       "өнөктөштүктү", "көбөйтүү")


def extract(path: Path) -> str:
    result = extract_text(path, check_file(path, path.name))
    assert result.status == "done", result.error
    return result.text


@pytest.mark.parametrize("name", FIXTURE_PDFS)
def test_office_pdfs_read_every_word_pdftotext_reads_and_glue_none(name: str) -> None:
    path = FIXTURES / name
    reference = (FIXTURES / f"{name}.pdftotext.txt").read_text(encoding="utf-8")
    match = compare(extract(path), reference, typed_words())
    assert match.found_pct >= 99.0, match.lost
    assert match.glued == []


@pytest.mark.parametrize("name", FIXTURE_PDFS)
def test_kyrgyz_letters_from_a_fallback_font_stay_inside_their_words(name: str) -> None:
    text = extract(FIXTURES / name)
    present = set(words(text))
    assert [w for w in KYRGYZ_LETTER_WORDS if w.lower() in words(drawing_order_text(FIXTURES / name))
            and w.lower() not in present] == []
    found = [w for w in KYRGYZ_LETTER_WORDS if w.lower() in present]
    assert len(found) >= 3, found
    # No letter of those is left alone, as drawing order leaves "ң" at the end of the line.
    assert not re.search(r"(?<!\w)[өүң](?!\w)", text.lower())


def test_the_fixture_shows_the_fallback_problem_in_drawing_order() -> None:
    """Reading glyphs in the order they are drawn loses many words here: what the reading-order
    extraction is for."""
    path = FIXTURES / "ky-russian-font.pdf"
    reference = (FIXTURES / "ky-russian-font.pdf.pdftotext.txt").read_text(encoding="utf-8")
    drawn = drawing_order_text(path)
    assert compare(drawn, reference).found_pct < 95
    assert "Кумт р" in drawn and "Кумтөр" not in drawn
    assert "Кумтөр" in extract(path)


def test_two_columns_keep_their_lines_in_reading_order() -> None:
    text = " ".join(extract(FIXTURES / "ky-fallback-columns.pdf").split())
    assert "кафедранын илимий багыттарын тең салмактуу өнүктүрүү" in text
    assert "университеттин студенттик кеңеши менен өнөктөштүктү өнүктүрүү" in text


@pytest.mark.parametrize("name", FIXTURE_OFFICE)
def test_office_files_read_what_libreoffice_reads_and_their_other_parts(name: str) -> None:
    path = FIXTURES / name
    text = extract(path)
    reference = (FIXTURES / f"{name}.libreoffice.txt").read_text(encoding="utf-8")
    match = compare(text, reference, typed_words())
    assert match.found_pct >= 99.0, match.lost
    assert match.glued == []
    assert "\u00ad" not in text  # soft hyphens are gone, so "стратегиясы" is one word again
    assert "стратегиясы" in text
    flat = " ".join(words(text))
    missing = [part for part, line in PARTS.items() if " ".join(words(line)) not in flat]
    assert missing == []
    assert "Катчы:\tТөлөгөнова Айгүл\t2024-01-15" in text


def test_a_page_with_a_font_but_no_text_needs_ocr(tmp_path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan-with-font.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setFont("Helvetica", 11)
    pdf.drawString(50, 800, "Протокол №5 кафедранын отурумунун")  # a real text page
    pdf.showPage()
    pdf.setFont("Helvetica", 11)
    pdf.drawString(50, 40, " .")  # a scan whose page carries a font and a stray dot
    pdf.showPage()
    pdf.save()
    assert check_file(path, path.name).needs_ocr is True


def test_a_pdf_with_text_on_every_page_needs_no_ocr() -> None:
    path = FIXTURES / "ky-russian-font.pdf"
    assert check_file(path, path.name).needs_ocr is False
