"""In a real browser: close a past year, produce the yearly expiry list, draft a destruction act from
it, have another person approve it, and download the act and the list as PDF with readable Cyrillic."""
from __future__ import annotations

import io
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import close_year_and_list, login

pytestmark = pytest.mark.browser
PAST = 2023
YEAR = date.today().year


def _pdf_text(path: str) -> str:
    from pypdf import PdfReader

    with open(path, "rb") as fh:
        reader = PdfReader(io.BytesIO(fh.read()))
    return " ".join(" ".join(p.extract_text() or "" for p in reader.pages).split())


def _file_past_document(page: Any) -> None:
    """File a 1-year document into 2023 through the filing form's endpoint, as the form would."""
    login(page, "secretary")
    page.goto(f"/documents/new?year={PAST}")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    resp = page.request.post("/documents/", multipart={
        "csrf_token": token, "year": str(PAST), "index": "12-4-17", "doc_type": "other",
        "title": "Курстук долбоорлоо боюнча буйрук", "doc_date": f"{PAST}-04-02",
        "file": {"name": "order.txt", "mimeType": "text/plain",
                 "buffer": f"Курстук долбоорлоо боюнча буйрук {uuid.uuid4().hex}".encode()},
    })
    assert resp.ok, resp.text()


def test_yearly_list_and_act_as_pdf(browser: Any, live_server: str, page: Any, screenshot_dir: Path) -> None:
    _file_past_document(page)
    page.context.clear_cookies()

    login(page, "archivist")
    destroy = close_year_and_list(page, PAST, YEAR)
    assert "12-4-17" in destroy.inner_text()
    page.screenshot(path=str(screenshot_dir / "expiry-list.png"), full_page=True)
    with page.expect_download() as listed:
        page.click('a[data-download="pdf-ky"]')
    text = _pdf_text(listed.value.path())
    assert "Сактоо мөөнөтү бүткөн иштердин тизмеси" in text and "Курстук долбоорлоону уюштуруу" in text

    # Only the 2023 case of 12-4-17 goes into the act.
    row = destroy.locator("tr", has_text="12-4-17").filter(has_text=str(PAST)).first
    row.locator("input[name=case_id]").check()
    number = f"B-{uuid.uuid4().hex[:6]}"
    page.fill("input[name=number]", number)
    page.fill("input[name=act_date]", date.today().isoformat())
    page.click("#draft-act button[type=submit]")
    page.wait_for_url("**/disposal/acts/*")
    act_url = page.url

    head = browser.new_context(base_url=live_server, locale="ru-RU")
    head_page = head.new_page()
    head_page.on("dialog", lambda dialog: dialog.accept())
    login(head_page, "head")
    head_page.goto(act_url)
    head_page.click("form[action$='/approve'] button[type=submit]")
    head_page.wait_for_load_state()
    assert head_page.locator("#act-status").inner_text().strip() != ""
    head.close()

    page.goto(act_url)
    with page.expect_download() as act_pdf:
        page.click('a[data-download="act-pdf-ru"]')
    text = _pdf_text(act_pdf.value.path())
    assert "АКТ о выделении к уничтожению документов, не подлежащих хранению" in text
    assert number in text and "Документы по организации курсового проектирования" in text
    with page.expect_download() as act_pdf_ky:
        page.click('a[data-download="act-pdf-ky"]')
    text = _pdf_text(act_pdf_ky.value.path())
    assert "жок кылууга бөлүп чыгаруу жөнүндө АКТ" in text and "Бекитемин, кафедра башчысы" in text
    page.screenshot(path=str(screenshot_dir / "act.png"), full_page=True)
