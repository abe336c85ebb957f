"""The web surface keeps its promises: CSRF on state-changing forms, security headers, careful
cookies, login lockout, a password policy, no stack traces or SQL shown to users, polite size limits,
files served only as attachments or sandboxed previews, and a full disk answered without residue."""
from __future__ import annotations

import errno
import io
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from records import accounts
from records.db import session_scope
from records.errors import UserError
from records.models import Blob, Document
from tests import samples
from tests.conftest import PASSWORD, do_login

YEAR = date.today().year


def _upload(client: Any, token: str, path: Path) -> Any:
    return client.post("/api/v1/documents", data={
        "index": "12-4-7", "year": str(YEAR), "doc_type": "protocol", "title": "Протокол",
        "file": (path.open("rb"), path.name)}, headers={"Authorization": f"Bearer {token}"},
        content_type="multipart/form-data")


def _leftovers(app: Flask) -> list[Path]:
    data = Path(app.config["DATA_DIR"])
    return [p for p in list((data / "tmp").rglob("*")) + list((data / "blobs").rglob("*")) if p.is_file()]


def test_forms_without_csrf_token_are_refused(app: Flask, make_user: Any) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user("secretary")
    client = app.test_client()
    resp = do_login(client, user.username)
    assert resp.status_code == 400  # no token: not even a login is accepted
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    ok = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    assert ok.status_code == 302
    assert client.post("/logout").status_code == 400  # signed in, still no token: refused


def test_security_headers(client: Any) -> None:
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors" in csp
    assert "'unsafe-inline'" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in resp.headers


def test_session_cookie_is_httponly_and_samesite(app: Flask, make_user: Any) -> None:
    user = make_user("auditor")
    resp = do_login(app.test_client(), user.username)
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_cookie_is_secure_and_hsts_sent_over_https(app_config: dict[str, Any]) -> None:
    from app import create_app
    from records.cli import setup_data
    from records.db import get_database

    https_app = create_app({**app_config, "HTTPS": True})
    setup_data(https_app, echo=False)
    try:
        resp = do_login(https_app.test_client(), "admin")
        assert resp.status_code == 302
        assert "Secure" in resp.headers["Set-Cookie"]
        assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        if get_database(https_app).dialect == "postgresql":
            from tests.conftest import _truncate_all

            _truncate_all(https_app)
        get_database(https_app).dispose()


@pytest.mark.parametrize("weak", ["short-1", "onlyletterslong", "12345678901234", "aaaaaaaaaaab1"])
def test_password_policy(app: Flask, weak: str) -> None:
    with app.app_context(), session_scope(app) as session, pytest.raises(UserError) as caught:
        accounts.create_user(session, "weakling", weak, ["secretary"], min_length=10)
    assert caught.value.code == "weak_password"


def test_no_stack_traces_or_sql_to_users(app: Flask, login_as: Any, api_token: Any) -> None:
    def boom() -> Any:
        raise OperationalError("SELECT password_hash FROM user", {}, Exception("disk I/O error"))

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    page = app.test_client().get("/boom")
    assert page.status_code == 500
    body = page.get_data(as_text=True)
    assert "Traceback" not in body and "SELECT" not in body and "password_hash" not in body
    api = app.test_client().get("/api/v1/boom", headers={"Authorization": f"Bearer {api_token('auditor')}"})
    assert api.status_code == 500 and api.get_json()["error"]["code"] == "server_error"
    assert "SELECT" not in api.get_data(as_text=True)


def test_oversized_requests_are_answered_politely(app_config: dict[str, Any], app: Flask, api_token: Any) -> None:
    token = api_token("secretary")
    too_big = app.config["MAX_CONTENT_LENGTH"] + 1
    body = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n'
            + b"x" * too_big + b"\r\n--b--\r\n")
    api = app.test_client().post("/api/v1/documents", data=body, headers={"Authorization": f"Bearer {token}"},
                                 content_type="multipart/form-data; boundary=b")
    assert api.status_code == 413 and api.get_json()["error"]["code"] == "too_large"
    page = app.test_client().post("/login", data={"username": "x" * too_big})
    assert page.status_code == 413 and "larger than allowed" in page.get_data(as_text=True)
    assert _leftovers(app) == []


def test_files_are_served_as_attachments_and_previews_are_sandboxed(app: Flask, client: Any, api_token: Any,
                                                                    login_as: Any, tmp_path: Path) -> None:
    body = _upload(client, api_token("secretary"), samples.make_text_pdf(tmp_path)).get_json()
    reader = login_as("auditor")
    download = reader.get(f"/documents/{body['id']}/file")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    preview = reader.get(f"/documents/{body['id']}/preview")
    assert preview.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" in preview.headers["Content-Security-Policy"]
    assert preview.headers["X-Content-Type-Options"] == "nosniff"


def _refuse_writes_after(limit: int) -> Any:
    class FullDisk(io.FileIO):
        written = 0

        def write(self, data: Any) -> int:
            FullDisk.written += len(data)
            if FullDisk.written > limit:
                raise OSError(errno.ENOSPC, "No space left on device")
            return super().write(data)

    return FullDisk


def test_full_disk_while_spooling_answers_507_and_leaves_nothing(app: Flask, client: Any, api_token: Any,
                                                                 tmp_path: Path, db_session: Any,
                                                                 monkeypatch: Any) -> None:
    import storage.spool

    full = _refuse_writes_after(1000)
    real_fdopen = storage.spool.os.fdopen

    def fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode:
            return io.BufferedWriter(full(fd, "wb"))
        return real_fdopen(fd, mode, *args, **kwargs)

    monkeypatch.setattr(storage.spool.os, "fdopen", fdopen)
    resp = _upload(client, api_token("secretary"), samples.make_text_pdf(tmp_path))
    assert resp.status_code == 507, resp.get_data(as_text=True)
    assert resp.get_json()["error"]["code"] == "storage_full"
    assert _leftovers(app) == []
    assert db_session.scalar(select(func.count()).select_from(Document)) == 0


@pytest.mark.parametrize("where", ["linking the spooled file", "copying where links are not supported"])
def test_full_disk_while_storing_the_blob_answers_507_and_leaves_nothing(app: Flask, client: Any, api_token: Any,
                                                                         tmp_path: Path, db_session: Any,
                                                                         monkeypatch: Any, where: str) -> None:
    import storage.filesystem

    def copy_until_full(src: Any, dst: Any, chunk_size: int = 1 << 20) -> Any:
        dst.write(src.read(100))  # part of the file reaches the disk, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    def refuse_link(errno_: int) -> Any:
        def link(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
            raise OSError(errno_, "refused")
        return link

    if where == "linking the spooled file":  # the new folder entry needs a block the disk lacks
        monkeypatch.setattr(storage.filesystem.os, "link", refuse_link(errno.ENOSPC))
    else:  # a mount without hard links: the spooled file is copied, and the disk fills meanwhile
        monkeypatch.setattr(storage.filesystem.os, "link", refuse_link(errno.EPERM))
        monkeypatch.setattr(storage.filesystem, "copy_hashing", copy_until_full)
    resp = _upload(client, api_token("secretary"), samples.make_text_pdf(tmp_path))
    assert resp.status_code == 507, resp.get_data(as_text=True)
    assert resp.get_json()["error"]["code"] == "storage_full"
    assert _leftovers(app) == []
    assert db_session.scalar(select(func.count()).select_from(Blob)) == 0
