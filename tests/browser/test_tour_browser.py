"""Every main page, as each role sees it, in Kyrgyz and Russian: it renders in the user's language
(no untranslated English left in the navigation and headings) and is saved as a screenshot."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

PAGES = {
    "secretary": ["/", "/documents/new", "/cases/", "/nomenclature/", "/search/?q=протокол"],
    "auditor": ["/search/?q=кафедра", "/audit/", "/disposal/"],
    "archivist": ["/disposal/", "/disposal/close", "/disposal/acts", "/disposal/inventories", "/nomenclature/"],
    "head": ["/disposal/acts", "/nomenclature/"],
}
ENGLISH_WORDS = re.compile(r"\b(Search|Cases|Nomenclature|Sign out|Expiry|Documents|Year|Download|Users)\b")


@pytest.mark.parametrize("lang", ["ky", "ru"])
@pytest.mark.parametrize("role", sorted(PAGES))
def test_pages_render_in_the_users_language(page: Any, screenshot_dir: Path, role: str, lang: str) -> None:
    login(page, role)
    page.goto(f"/lang/{lang}")
    for path in PAGES[role]:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        chrome = page.locator("header.topbar").inner_text() + " " + page.locator("h1").first.inner_text()
        assert not ENGLISH_WORDS.search(chrome), f"{path} ({lang}): {chrome!r}"
        name = path.strip("/").split("?")[0].replace("/", "-") or "home"
        page.screenshot(path=str(screenshot_dir / f"tour-{lang}-{role}-{name}.png"), full_page=False)
