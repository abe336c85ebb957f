"""In a real browser: an auditor searches with an inflected form, narrows by a year facet, opens the
document and downloads its file."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import dropped_file, login

pytestmark = pytest.mark.browser

WORD = "жаңыкелишим"  # a word no other browser test files


def file_by_drop(page: Any, year: int, title: str, text: str, name: str) -> None:
    page.goto(f"/documents/new?year={year}")
    page.fill("input[name=index]", "12-4-15")
    page.fill("input[name=title]", title)
    page.fill("input[name=doc_date]", f"{year}-03-01")
    handle = dropped_file(page, text.encode("utf-8"), name, "text/plain")
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": handle})
    page.locator("#upload-list li.ok .outcome a").wait_for()


def search_until_found(page: Any, query: str, expected: int) -> None:
    """The server's worker indexes right after the commit, in the background: look again until it has."""
    deadline = time.monotonic() + 20
    while True:
        page.goto(f"/search/?q={query}")
        if page.locator("li.hit").count() >= expected or time.monotonic() > deadline:
            return
        time.sleep(0.2)


def test_search_narrow_by_facet_open_and_download(page: Any, tmp_path: Path, screenshot_dir: Path) -> None:
    login(page, "secretary")
    file_by_drop(page, 2023, f"{WORD} ишкана менен 2023", f"Практика боюнча {WORD}дердин шарттары.", "k2023.txt")
    file_by_drop(page, 2024, f"{WORD} ишкана менен 2024", f"Практика боюнча {WORD}дин шарттары.", "k2024.txt")
    page.click("form.inline button.link")  # sign out
    page.wait_for_url("**/login**")

    login(page, "auditor")
    page.goto("/")
    page.click("nav.mainnav a[href='/search/']")
    page.wait_for_url("**/search/")
    search_until_found(page, f"{WORD}дер", 2)  # an inflected form finds both
    assert page.locator("li.hit").count() == 2
    assert page.locator("li.hit mark").count() >= 2
    page.screenshot(path=str(screenshot_dir / "search-results.png"), full_page=True)

    page.click("section.facet[data-facet=year] a:text-is('2023')")
    page.wait_for_load_state()
    assert page.locator("li.hit").count() == 1
    assert "2023" in page.locator("li.hit").inner_text()
    assert "year=2023" in page.url

    page.click("li.hit a.hit-title")
    page.wait_for_load_state()
    assert f"{WORD} ишкана менен 2023" in page.locator("h1").inner_text()
    with page.expect_download() as info:
        page.click("a.button[download]")
    download = info.value
    assert download.suggested_filename == "k2023.txt"
    saved = tmp_path / "downloaded.txt"
    download.save_as(saved)
    assert f"{WORD}дердин" in saved.read_text(encoding="utf-8")
