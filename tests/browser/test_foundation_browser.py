"""In a real browser: sign in, switch the language, see the nomenclature with its rules; file a protocol
by drag and drop and find it in its case."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests import samples
from tests.browser.conftest import dropped_file, login

pytestmark = pytest.mark.browser
YEAR = date.today().year


def test_login_switch_language_and_see_nomenclature(page: Any, screenshot_dir: Path) -> None:
    login(page, "auditor")
    page.goto(f"/nomenclature/?year={YEAR}")
    assert page.locator("html").get_attribute("lang") == "ky"
    row = page.locator('tr[data-index="12-4-7"]')
    assert "Туруктуу" in row.inner_text()
    page.screenshot(path=str(screenshot_dir / "nomenclature-ky.png"), full_page=False)

    page.click('a[data-lang="ru"]')
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("tr[data-index]").count() == 29
    assert "Постоянно, ст. 334" in page.locator('tr[data-index="12-4-7"]').inner_text()
    assert "5 лет, ст. 343" in page.locator('tr[data-index="12-4-8"]').inner_text()
    assert "1 год" in page.locator('tr[data-index="12-4-17"]').inner_text()
    assert "До минования надобности" in page.locator('tr[data-index="12-4-1"]').inner_text()
    page.screenshot(path=str(screenshot_dir / "nomenclature-ru.png"), full_page=False)

    page.click('a[data-lang="en"]')
    page.wait_for_load_state()
    assert "Permanent, art. 334" in page.locator('tr[data-index="12-4-7"]').inner_text()


def test_file_a_protocol_by_drag_and_drop(page: Any, tmp_path: Path, screenshot_dir: Path) -> None:
    login(page, "secretary")
    page.goto(f"/documents/new?year={YEAR}")
    page.fill("input[name=index]", "12-4-7")
    page.fill("input[name=title]", "Кафедранын отурумунун протоколу №5")
    page.fill("input[name=number]", "5")
    page.fill("input[name=doc_date]", f"{YEAR}-01-15")
    pdf = samples.make_text_pdf(tmp_path)
    # A DataTransfer holding the file inside the page, dropped on the drop zone.
    handle = dropped_file(page, pdf.read_bytes(), "protocol-5.pdf", "application/pdf")
    page.dispatch_event("#dropzone", "dragenter", {"dataTransfer": handle})
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": handle})
    outcome = page.locator("#upload-list li.ok .outcome a")
    outcome.wait_for()
    assert "12-4-7" in outcome.inner_text()
    assert page.locator("#upload-list progress").first.get_attribute("value") == "100"
    page.screenshot(path=str(screenshot_dir / "upload-done.png"))
    outcome.click()
    page.wait_for_load_state()
    assert "Кафедранын отурумунун протоколу №5" in page.locator("h1").inner_text()
    page.click("header.form-head a")  # to the case
    page.wait_for_load_state()
    assert "Кафедранын отурумунун протоколу №5" in page.locator("table.list").inner_text()
    page.screenshot(path=str(screenshot_dir / "case-with-protocol.png"), full_page=True)
