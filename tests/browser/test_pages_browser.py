"""What people see, checked in Chromium: every page reachable from the navigation, for every role in
Kyrgyz and Russian, loads without a console error, a Content-Security-Policy violation, a failed request
or a page wider than a 1366 px screen, and the top bar stays on one line; a text PDF's preview shows its page; and every irreversible form
asks first and does nothing when the question is dismissed.

One login per role for the whole session (its cookies are reused); ``SANDYK_SCREENSHOTS`` keeps a
screenshot of each page at 1366 px, and with ``SANDYK_SCREENSHOTS_PHONE=1`` also at 390 px.
"""
from __future__ import annotations

import io
import os
import re
import uuid
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests import samples
from tests.browser.conftest import PASSWORD, close_year_and_list

pytestmark = pytest.mark.browser
YEAR = date.today().year
PAST = 2022  # a year of its own: other browser tests draw acts from 2023
ROLES = ("secretary", "auditor", "archivist", "head", "commission", "approver", "admin")
PER_KIND = 3  # pages of one kind visited (three documents, three cases...)
WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
LONG_NAME = ("Кафедранын_отурумунун_протоколу_" * 10)[:319] + ".docx"  # 324 characters
# Links the crawler does not follow: they leave, sign out, switch language or download a file.
SKIP = re.compile(r"/logout|/lang/|/file\b|/preview\b|\.(pdf|xlsx|csv|png)(\?|$)|/export|print=1")
# Forms whose step cannot be undone: each must ask first.
IRREVERSIBLE = re.compile(r"/(close|approve|agree|refuse|execute|release|override|move|reject|transfer)(/|$)")
# Record Content-Security-Policy violations where the page can see them, before any page script runs.
CSP_PROBE = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || ''));
});
"""


def _login_state(browser: Any, base: str, username: str) -> dict[str, Any]:
    context = browser.new_context(base_url=base)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture(scope="session")
def logins(browser: Any, live_server: str) -> dict[str, dict[str, Any]]:
    return {role: _login_state(browser, live_server, role) for role in ROLES}


class Watch:
    """Everything a page did wrong while it was open."""

    def __init__(self, page: Any, base: str) -> None:
        self.problems: list[str] = []
        self.base = base
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"script error: {exc}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _console(self, msg: Any) -> None:
        if msg.type == "error":
            self.problems.append(f"console: {msg.text}")

    def _failed(self, request: Any) -> None:
        if "ERR_ABORTED" not in (request.failure or ""):  # a navigation that replaced the page
            self.problems.append(f"request failed: {request.url} {request.failure}")

    def _response(self, response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.problems.append(f"{response.status} for {response.request.resource_type} {response.url}")


def _context(browser: Any, base: str, state: dict[str, Any] | None, lang: str, viewport: dict[str, int]) -> Any:
    context = browser.new_context(base_url=base, storage_state=state, viewport=viewport, locale="ky-KG")
    context.add_cookies([{"name": "lang", "value": lang, "url": base}])
    context.add_init_script(CSP_PROBE)
    return context


def _check_page(page: Any, watch: Watch, where: str) -> list[str]:
    page.wait_for_load_state("load")
    problems = [f"{where}: {p}" for p in watch.problems]
    watch.problems.clear()
    problems += [f"{where}: CSP violation {v}" for v in page.evaluate("window.__csp || []")]
    if page.viewport_size["width"] >= WIDE["width"]:
        middles = page.eval_on_selector_all(
            "header.topbar a, header.topbar strong, header.topbar button",
            "els => els.map(e => { const r = e.getBoundingClientRect(); return (r.top + r.bottom) / 2; })")
        if middles and max(middles) - min(middles) > 12:
            problems.append(f"{where}: the top bar wraps onto a second line")
    width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    if width[0] > width[1] + 1:
        problems.append(f"{where}: the page is {width[0]} px wide on a {width[1]} px screen")
    return problems


def _shot(page: Any, name: str) -> None:
    target = os.environ.get("SANDYK_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)


def _pattern(path: str) -> str:
    """Pages of one kind are visited once: /documents/7 and /documents/9 are the same page."""
    return re.sub(r"\d+", "N", urlsplit(path).path) + ("?q" if "q=" in path else "")


def _links(page: Any, base: str, scope: str) -> list[str]:
    selector = ", ".join(f"{part.strip()} a[href]" for part in scope.split(","))
    hrefs = page.eval_on_selector_all(selector, "els => els.map(a => a.href)")
    out = []
    for href in hrefs:
        if not href.startswith(base) or SKIP.search(href) or "#" in href:
            continue
        out.append(href[len(base):])
    return out


def crawl(browser: Any, base: str, state: dict[str, Any] | None, lang: str, label: str,
          viewport: dict[str, int] = WIDE, limit: int = 45) -> tuple[list[str], list[str]]:
    """Visit the home page, every page its navigation links to, and the pages those link to."""
    context = _context(browser, base, state, lang, viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    watch = Watch(page, base)
    problems: list[str] = []
    seen: dict[str, int] = {}
    visited: list[str] = []
    # The home page, and a search with results (its thumbnails) where the role may search.
    queue = ["/", "/search/?q=протокол"] if state else ["/login"]
    depth = {path: 0 for path in queue}
    try:
        while queue and len(visited) < limit:
            path = queue.pop(0)
            kind = _pattern(path)
            seen[kind] = seen.get(kind, 0) + 1
            if seen[kind] > PER_KIND:
                continue
            response = page.goto(path)
            status = response.status if response else 0
            if status == 403 and path.startswith("/search/") and depth[path] == 0:
                page.wait_for_load_state("load")
                watch.problems.clear()
                continue  # this role does not search
            if status >= 400:
                problems.append(f"{path}: answered {status}")
            problems += _check_page(page, watch, f"{label} {path}")
            visited.append(path)
            _shot(page, f"{label}-{kind.strip('/').replace('/', '-').replace('?', '') or 'home'}-{seen[kind]}")
            if depth[path] < 2:
                scope = "header, main" if depth[path] == 0 else "main"
                for link in _links(page, base, scope):
                    if link not in depth:
                        depth[link] = depth[path] + 1
                        queue.append(link)
    finally:
        context.close()
    return visited, problems


@pytest.fixture(scope="session")
def office(browser: Any, live_server: str, logins: dict[str, dict[str, Any]],
           tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Documents of every kind a page shows (a text PDF, a long-named file, a past case in a draft act)."""
    tmp = tmp_path_factory.mktemp("office")
    context = browser.new_context(base_url=live_server, storage_state=logins["secretary"])
    page = context.new_page()
    page.goto(f"/documents/new?year={YEAR}")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")

    def file(year: int, index: str, title: str, name: str, data: bytes, mime: str, doc_date: str = "") -> int:
        resp = page.request.post("/documents/", headers={"Accept": "application/json"}, multipart={
            "csrf_token": token, "year": str(year), "index": index, "doc_type": "other", "title": title,
            "doc_date": doc_date, "file": {"name": name, "mimeType": mime, "buffer": data}})
        assert resp.status == 201, resp.text()
        return int(resp.json()["id"])

    pdf = samples.make_text_pdf(tmp)
    ids = {
        "pdf": file(YEAR, "12-4-7", "Кафедранын отурумунун протоколу", "protocol.pdf", pdf.read_bytes(),
                    "application/pdf", f"{YEAR}-01-15"),
        "long": file(YEAR, "12-4-7", "Узун аталыштагы файл", LONG_NAME, samples.make_docx(tmp).read_bytes(),
                     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        "past": file(PAST, "12-4-17", "Курстук долбоорлоо боюнча буйрук", "order.txt",
                     f"Курстук долбоорлоо {uuid.uuid4().hex}".encode(), "text/plain", f"{PAST}-04-02"),
    }
    context.close()

    # The records officer closes the past year and draws up an act for the head to approve.
    context = browser.new_context(base_url=live_server, storage_state=logins["archivist"])
    page = context.new_page()
    destroy = close_year_and_list(page, PAST, YEAR)
    destroy.locator("tr", has_text="12-4-17").filter(has_text=str(PAST)).first.locator("input[name=case_id]").check()
    page.fill("input[name=number]", f"W-{uuid.uuid4().hex[:6]}")
    page.fill("input[name=act_date]", date.today().isoformat())
    page.click("#draft-act button[type=submit]")
    page.wait_for_url("**/disposal/acts/*")
    ids["act_url"] = urlsplit(page.url).path
    context.close()
    return ids


@pytest.mark.parametrize("lang", ["ky", "ru"])
@pytest.mark.parametrize("role", ROLES)
def test_every_page_loads_cleanly_at_1366(browser: Any, live_server: str, logins: dict[str, Any],
                                          office: dict[str, Any], role: str, lang: str) -> None:
    visited, problems = crawl(browser, live_server, logins[role], lang, f"{lang}-{role}")
    assert len(visited) >= 3, visited
    assert not problems, "\n".join(problems)
    if os.environ.get("SANDYK_SCREENSHOTS_PHONE") == "1":
        _, on_phone = crawl(browser, live_server, logins[role], lang, f"phone-{lang}-{role}", viewport=PHONE)
        assert not on_phone, "\n".join(on_phone)


def test_sign_in_page_loads_cleanly(browser: Any, live_server: str) -> None:
    visited, problems = crawl(browser, live_server, None, "ru", "ru-anonymous")
    assert visited[0] == "/login" and not problems, problems


def test_text_pdf_preview_shows_the_page(browser: Any, live_server: str, logins: dict[str, Any],
                                         office: dict[str, Any]) -> None:
    from PIL import Image

    context = _context(browser, live_server, logins["auditor"], "ky", WIDE)
    page = context.new_page()
    page.goto(f"/documents/{office['pdf']}")
    img = page.locator(".viewer-pane img")
    img.wait_for()
    page.wait_for_function("document.querySelector('.viewer-pane img').naturalWidth > 0")
    box = img.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 400
    shot = Image.open(io.BytesIO(img.screenshot())).convert("L")
    top = shot.crop((0, 0, shot.width, shot.height // 5))  # the first lines of the page
    dark = sum(top.histogram()[:128]) / (top.width * top.height)
    assert dark > 0.005, f"the preview looks empty ({dark:.4f} dark pixels)"
    # Zoom in and out without a reload.
    page.click("[data-viewer-zoom='1']")
    page.wait_for_function("document.querySelector('.viewer-pane img').getBoundingClientRect().width > %d" % (box["width"] + 50))
    context.close()


# Tables whose right edge is past their card's: a table must scroll inside its card, never stick out.
TABLES_OUT = """() => [...document.querySelectorAll('.card table')].filter(t => {
  const card = t.closest('.card');
  let shown = t;  // what is seen of it: itself, or the box it scrolls in
  for (let el = t; el !== card; el = el.parentElement) {
    if (getComputedStyle(el).overflowX !== 'visible') { shown = el; break; }
  }
  return shown.getBoundingClientRect().right > card.getBoundingClientRect().right + 1;
}).map(t => (t.closest('section, div') || t).className + ' > table.' + t.className)"""


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1366", "390"])
def test_document_versions_fit_their_card(browser: Any, live_server: str, logins: dict[str, Any],
                                          office: dict[str, Any], viewport: dict[str, int]) -> None:
    context = _context(browser, live_server, logins["secretary"], "ru", viewport)
    page = context.new_page()
    for kind in ("pdf", "long"):
        page.goto(f"/documents/{office[kind]}")
        page.wait_for_load_state("load")
        _shot(page, f"document-versions-{kind}-{viewport['width']}")
        assert page.evaluate(TABLES_OUT) == [], kind
        width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1] + 1, (kind, width)
    context.close()


def _fill_required(form: Any) -> None:
    form.evaluate("""f => f.querySelectorAll('input[required], textarea[required], select[required]').forEach(el => {
        if (el.type === 'checkbox') { el.checked = true; return; }
        if (el.value) { return; }
        if (el.type === 'number') { el.value = el.min || '1'; }
        else if (el.type === 'date') { el.value = new Date().toISOString().slice(0, 10); }
        else if (el.tagName === 'SELECT') { el.selectedIndex = el.options.length - 1; }
        else { el.value = 'x'; }
    })""")


@pytest.mark.parametrize(("role", "pages"), [
    ("archivist", ["/disposal/close?year={past1}", "{case}", "/nomenclature/", "{act}", "/disposal/inventories"]),
    ("commission", ["{act}"]),
    ("head", ["/nomenclature/", "{case}"]),
    ("secretary", ["/documents/{pdf}"]),
])
def test_irreversible_forms_ask_and_do_nothing_when_dismissed(browser: Any, live_server: str,
                                                              logins: dict[str, Any], office: dict[str, Any],
                                                              role: str, pages: list[str]) -> None:
    context = _context(browser, live_server, logins[role], "ru", WIDE)
    page = context.new_page()
    # The case page of the current year's protocol case, reached from its document.
    page.goto(f"/documents/{office['pdf']}")
    case_url = page.locator("header.form-head a").first.get_attribute("href") or ""
    case_id = case_url.rstrip("/").rsplit("/", 1)[-1]
    asked: list[str] = []
    posted: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: posted.append(request.url) if request.method == "POST" else None)
    checked = 0
    for template in pages:
        path = template.format(past1=YEAR - 1, case=f"/disposal/cases/{case_id}", act=office["act_url"], **office)
        page.goto(path)
        forms = page.locator("form[method=post]")
        for i in range(forms.count()):
            form = forms.nth(i)
            action = form.get_attribute("action") or ""
            if not IRREVERSIBLE.search(action):
                continue
            assert form.get_attribute("data-confirm"), f"{path}: the form {action} does not ask first"
            button = form.locator("button[type=submit], button:not([type])").first
            if not button.is_visible():
                continue
            _fill_required(form)
            asked.clear()
            posted.clear()
            before = page.url
            button.click()
            page.wait_for_timeout(300)
            assert asked and re.search(r"[а-яё]", asked[0], re.I), f"{path}: {action} did not ask in Russian"
            assert posted == [] and page.url == before, f"{path}: {action} went ahead after 'Cancel'"
            checked += 1
    context.close()
    assert checked >= 1
