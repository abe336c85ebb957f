"""In a real browser: a refused upload is marked as failed (no full progress bar), and a scan's text
status on the filing list and on its page changes by itself when OCR finishes."""
from __future__ import annotations

import base64
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests import samples
from tests.browser.conftest import login

pytestmark = pytest.mark.browser
YEAR = date.today().year


def drop(page: Any, path: Path, mime: str) -> None:
    handle = page.evaluate_handle(
        """([b64, name, mime]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, {type: mime}));
            return dt;
        }""",
        [base64.b64encode(path.read_bytes()).decode(), path.name, mime],
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": handle})


def open_filing_form(page: Any, title: str) -> None:
    login(page, "secretary")
    page.goto(f"/documents/new?year={YEAR}")
    page.fill("input[name=index]", "12-4-7")
    page.fill("input[name=title]", title)


def test_refused_upload_is_marked_failed(page: Any, tmp_path: Path) -> None:
    open_filing_form(page, "Эсеп-фактура")
    drop(page, samples.make_exe_as_pdf(tmp_path), "application/pdf")
    item = page.locator("#upload-list li.fail")
    item.wait_for()
    assert "программа" in item.inner_text() or "program" in item.inner_text()
    assert not item.locator("progress").is_visible()  # no full blue bar that reads as success


@pytest.mark.ocr
def test_ocr_status_updates_without_reload(page: Any, tmp_path: Path, ocr_ready: None) -> None:
    open_filing_form(page, "Сканерленген буйрук")
    drop(page, samples.make_scan_image(tmp_path), "image/png")
    badge = page.locator("#upload-list li.ok .badge")
    badge.wait_for()
    badge.locator("xpath=self::*[not(contains(@class, 'text-pending'))]").wait_for(timeout=90_000)
    page.click("#upload-list li.ok .outcome a")
    page.wait_for_load_state()
    assert page.locator(".badge.text-done").count() == 1
