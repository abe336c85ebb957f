"""Browser tests: a real server process (waitress, SQLite, files and index on disk) on a fresh data
folder, driven by Debian's Chromium through Playwright.

Users ``admin``, ``secretary``, ``auditor``, ``archivist``, ``archivist2``, ``head``, ``head2``, ``commission``
and ``approver`` exist with the password
``correct-horse-7``. Skipped with a visible reason where Chromium or Playwright is missing, unless
``SANDYK_TEST_REQUIRE_BROWSER=1`` (CI) makes that an error.
"""
from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-7"
USERS = {"secretary": "secretary", "auditor": "auditor", "archivist": "archivist", "archivist2": "archivist",
         "head": "head", "head2": "head", "commission": "commission", "approver": "approver"}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _missing(reason: str) -> None:
    if os.environ.get("SANDYK_TEST_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required but {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("live-data")
    env = dict(os.environ, SANDYK_DATA_DIR=str(data), SANDYK_ADMIN_PASSWORD=PASSWORD, SANDYK_WORKER="thread",
               SANDYK_PASSWORD_MIN_LENGTH="8", PYTHONWARNINGS="ignore")
    for key in ("SANDYK_DATABASE_URL", "SANDYK_INDEX_URL", "SANDYK_BLOB_STORE_URL"):
        env.pop(key, None)
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run(flask + ["setup"], cwd=ROOT, env=env, check=True, capture_output=True)
    for name, role in USERS.items():
        subprocess.run(flask + ["users", "create", name, "--role", role], cwd=ROOT, env=env, check=True,
                       input=PASSWORD + "\n", text=True, capture_output=True)
    port = _free_port()
    log = open(data / "server.log", "wb")
    proc = subprocess.Popen(flask + ["serve", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        # A guard against a server that never comes up, not a speed requirement: `serve` runs `setup`
        # first, which takes a while on a busy machine.
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start: "
                                       + (data / "server.log").read_text(errors="replace")) from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = _chromium()
    if path is None:
        _missing("Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed (pip install -e .[test])")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, accept_downloads=True, locale="ky-KG",
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def login(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def close_year_and_list(page: Any, year: int, expiry_year: int) -> Any:
    """As the records officer (accepting the confirmation): close ``year``, then open the expiry list of
    ``expiry_year`` with nothing ticked; returns its "destroy" table."""
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"/disposal/close?year={year}")
    if page.locator("input[name=acknowledged]").count():
        page.check("input[name=acknowledged]")
    if page.locator("form[data-confirm] button[type=submit]").count():
        page.click("form[data-confirm] button[type=submit]")
        page.wait_for_load_state()
    page.goto(f"/disposal/?year={expiry_year}")
    destroy = page.locator('table[data-part="destroy"]')
    for box in destroy.locator("input[name=case_id]").all():
        box.set_checked(False)
    return destroy


def dropped_file(page: Any, data: bytes, name: str, mime: str) -> Any:
    """A DataTransfer holding the file, built inside the page, to drop on the upload drop zone."""
    return page.evaluate_handle(
        """([b64, name, mime]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, {type: mime}));
            return dt;
        }""",
        [base64.b64encode(data).decode(), name, mime],
    )


@pytest.fixture
def screenshot_dir() -> Path:
    """Where screenshots go (SANDYK_SCREENSHOTS, else a temp folder), for people to look at."""
    target = Path(os.environ.get("SANDYK_SCREENSHOTS", "/tmp/sandyk-screenshots"))
    target.mkdir(parents=True, exist_ok=True)
    return target
