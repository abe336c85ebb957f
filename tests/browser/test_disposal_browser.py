"""In a real browser, four people: the records officer closes a past year and drafts a destruction act
from the expiry list (a paper case, and an until-needed case for the commission); a commission member
records the protocol and the decision; the head of the organisation approves; a second records officer
executes it with the method and date of destruction. The act downloads as PDF with readable Cyrillic."""
from __future__ import annotations

import io
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import login

pytestmark = pytest.mark.browser
PAST = 2023
YEAR = date.today().year


def _pdf_text(path: str) -> str:
    from pypdf import PdfReader

    with open(path, "rb") as fh:
        reader = PdfReader(io.BytesIO(fh.read()))
    return " ".join(" ".join(p.extract_text() or "" for p in reader.pages).split())


def _file_past_document(page: Any, index: str, title: str) -> None:
    """File a document into 2023 through the filing form's endpoint, as the form would."""
    page.goto(f"/documents/new?year={PAST}")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    resp = page.request.post("/documents/", multipart={
        "csrf_token": token, "year": str(PAST), "index": index, "doc_type": "other", "title": title,
        "doc_date": f"{PAST}-04-02",
        "file": {"name": "order.txt", "mimeType": "text/plain", "buffer": f"{title} {uuid.uuid4().hex}".encode()},
    })
    assert resp.ok, resp.text()


def _as(browser: Any, live_server: str, username: str, locale: str = "ru-RU") -> Any:
    context = browser.new_context(base_url=live_server, locale=locale, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm question of irreversible forms
    login(page, username)
    return page


def test_act_drafted_agreed_approved_and_executed_by_four_people(browser: Any, live_server: str, page: Any,
                                                                  screenshot_dir: Path) -> None:
    login(page, "secretary")
    _file_past_document(page, "12-4-17", "Курстук долбоорлоо боюнча буйрук")
    _file_past_document(page, "12-4-2", "Жогорку органдардын токтому")
    page.context.clear_cookies()

    login(page, "archivist")
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"/disposal/close?year={PAST}")
    if page.locator("input[name=acknowledged]").count():
        page.check("input[name=acknowledged]")
    if page.locator("form[data-confirm] button[type=submit]").count():
        page.click("form[data-confirm] button[type=submit]")
        page.wait_for_load_state()

    page.goto(f"/disposal/?year={YEAR}")
    destroy, review = page.locator('table[data-part="destroy"]'), page.locator('table[data-part="review"]')
    assert "12-4-17" in destroy.inner_text() and "12-4-2" in review.inner_text()
    # The 12-4-17 case of 2023 is kept on paper.
    destroy.locator("tr", has_text="12-4-17").filter(has_text=str(PAST)).first.locator("a").click()
    page.check("input[name=is_paper]")
    page.click("form[action$='/keeping'] button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"/disposal/?year={YEAR}")
    page.screenshot(path=str(screenshot_dir / "expiry-list.png"), full_page=True)
    for box in page.locator("input[name=case_id]").all():
        box.set_checked(False)
    for part, index in (("destroy", "12-4-17"), ("review", "12-4-2")):
        row = page.locator(f'table[data-part="{part}"] tr', has_text=index).filter(has_text=str(PAST)).first
        row.locator("input[name=case_id]").check()
    number = f"B-{uuid.uuid4().hex[:6]}"
    page.fill("input[name=number]", number)
    page.fill("input[name=act_date]", date.today().isoformat())
    page.click("#draft-act button[type=submit]")
    page.wait_for_url("**/disposal/acts/*")
    act_url = page.url
    assert page.locator("#approve-act").count() == 0 and page.locator("#agree-act").count() == 0

    commission = _as(browser, live_server, "commission", "ky-KG")
    commission.goto(act_url)
    commission.fill("#agree-act input[name=protocol_number]", "3")
    commission.fill("#agree-act input[name=protocol_date]", date.today().isoformat())
    commission.check("#agree-act input[type=radio][value=destroy]")
    commission.screenshot(path=str(screenshot_dir / "act-agreement.png"), full_page=True)
    commission.click("#agree-act button[type=submit]")
    commission.wait_for_load_state()
    assert "3" in commission.locator("#act-protocol").inner_text()
    commission.context.close()

    approver = _as(browser, live_server, "approver")
    approver.goto(act_url)
    approver.click("#approve-act button[type=submit]")
    approver.wait_for_load_state()
    assert approver.locator("#execute-act").count() == 0  # the approver does not execute
    approver.context.close()

    executor = _as(browser, live_server, "archivist2")
    executor.goto(act_url)
    executor.check("#execute-act input[value=shredding]")
    executor.fill("#execute-act input[name=destroyed_on]", date.today().isoformat())
    executor.click("#execute-act button[type=submit]")
    executor.wait_for_load_state()
    assert executor.locator("#act-method").count() == 1  # how and when: recorded with the request
    # The worker destroys the cases; the page refreshes itself while it runs, until the act is executed.
    deadline = time.monotonic() + 60
    while executor.locator("#act-execution").count():
        assert time.monotonic() < deadline, "the act's execution did not finish within a minute"
        executor.wait_for_timeout(500)
        executor.reload()
    assert executor.locator("#act-status").inner_text() == "исполнен"
    destroyed = executor.locator("#act-rows tr[data-case] td.no-print").all_inner_texts()
    assert len(destroyed) == 2 and all(destroyed) and executor.locator("#execute-act").count() == 0
    executor.screenshot(path=str(screenshot_dir / "act-executed.png"), full_page=True)
    executor.context.close()

    page.goto(act_url)
    assert page.locator("#act-rows tr[data-case]").count() == 2
    with page.expect_download() as act_pdf:
        page.click('a[data-download="act-pdf-ru"]')
    text = _pdf_text(act_pdf.value.path())
    assert "АКТ о выделении к уничтожению документов, не подлежащих хранению" in text
    assert number in text and "Документы по организации курсового проектирования" in text
    with page.expect_download() as act_pdf_ky:
        page.click('a[data-download="act-pdf-ky"]')
    text = _pdf_text(act_pdf_ky.value.path())
    assert "жок кылууга бөлүп чыгаруу жөнүндө АКТ" in text and number in text
    page.screenshot(path=str(screenshot_dir / "act.png"), full_page=True)
