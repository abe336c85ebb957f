"""In a real browser: the document page shows the text read from an office-exported Kyrgyz PDF, and the
filter box marks the places a word occurs, counts them, and steps through them with Enter."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import dropped_file, login

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "text" / "ky-russian-font.pdf"


def file_pdf(page: Any, title: str) -> None:
    page.goto("/documents/new?year=2024")
    page.fill("input[name=index]", "12-4-13")
    page.fill("input[name=title]", title)
    page.fill("input[name=doc_date]", "2024-01-15")
    handle = dropped_file(page, FIXTURE.read_bytes(), "report.pdf", "application/pdf")
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": handle})
    page.locator("#upload-list li.ok .outcome a").wait_for()
    page.click("#upload-list li.ok .outcome a")
    page.wait_for_load_state()


def test_text_section_finds_and_marks_words_in_the_text(page: Any, screenshot_dir: Path) -> None:
    from playwright.sync_api import expect

    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    loaded: dict[str, int] = {}
    page.on("response", lambda response: loaded.__setitem__(response.url.rsplit("/", 1)[-1], response.status))
    login(page, "secretary")
    file_pdf(page, "Кафедранын отчету: текст бөлүмү")
    section = page.locator("section.doc-text")
    # The page in the product's default language, Kyrgyz.
    assert "PDF файлдын текст катмарынан окулду." in section.locator(".doc-text-how").inner_text()
    body = section.locator("#doc-text-body")
    assert "«Кумтөр Голд Компани»" in body.inner_text()
    assert body.locator("mark").count() == 0

    page.fill("#doc-text-filter", "өнүктүрүү")
    expect(section.locator("#doc-text-count")).to_have_text(re.compile(r"^Табылды: \d+$"))
    marks = body.locator("mark")
    total = marks.count()
    assert total >= 3
    assert all(m.lower() == "өнүктүрүү" for m in marks.all_inner_texts())
    assert section.locator("#doc-text-count").inner_text() == f"Табылды: {total}"
    assert body.locator("mark.current").inner_text().lower() == "өнүктүрүү"
    first = marks.nth(0).evaluate("m => m.classList.contains('current')")
    page.press("#doc-text-filter", "Enter")
    assert first and marks.nth(1).evaluate("m => m.classList.contains('current')")
    page.screenshot(path=str(screenshot_dir / "document-text.png"), full_page=True)

    page.fill("#doc-text-filter", "тең салмактуу")  # a phrase whose ң came from a fallback font
    expect(body.locator("mark")).to_have_count(1)
    page.fill("#doc-text-filter", "жоктугу")
    expect(section.locator("#doc-text-count")).to_have_text("Тексттен табылган жок.")
    assert body.locator("mark").count() == 0
    page.fill("#doc-text-filter", "")
    expect(section.locator("#doc-text-count")).to_have_text("")
    assert "«Кумтөр Голд Компани»" in body.inner_text()
    assert errors == []
    assert loaded.get("doctext.js") == 200 and loaded.get("doctext.css") == 200
