"""The web interface as people meet it: page pictures instead of embedded PDFs, each role's home page,
live text status, the audit trail in words, human file sizes, the favicon, first sign-in with a
generated password, and a second server on a busy port."""
from __future__ import annotations

import io
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from flask import Flask
from PIL import Image
from sqlalchemy import select

from records import audit
from records.capture import previews
from records.models import AuditAction, Document, User
from tests import samples
from tests.integration.server_process import FLASK, ROOT, server_env


def upload(client: Any, path: Path, **fields: str) -> Any:
    data = {"year": fields.pop("year", "2026"), "index": fields.pop("index", "12-4-7"), "doc_type": "protocol",
            "title": fields.pop("title", path.name), **fields, "file": (path.open("rb"), path.name)}
    return client.post("/documents/", data=data, content_type="multipart/form-data",
                       headers={"Accept": "application/json"})


def dark_share(png: bytes) -> float:
    img = Image.open(io.BytesIO(png)).convert("L")
    hist = img.histogram()
    return sum(hist[:128]) / (img.width * img.height)


def test_pdf_page_is_a_picture_with_its_text_and_no_embedded_viewer(app: Flask, login_as: Any, tmp_path: Path) -> None:
    sec = login_as("secretary")
    doc = upload(sec, samples.make_text_pdf(tmp_path)).get_json()["id"]
    html = sec.get(f"/documents/{doc}").get_data(as_text=True)
    assert "<iframe" not in html and "<embed" not in html and "<object" not in html
    assert f"/documents/{doc}/pages/1.png" in html and "Page 1 of 1" in html
    page = sec.get(f"/documents/{doc}/pages/1.png?version=1")
    assert page.status_code == 200 and page.mimetype == "image/png"
    img = Image.open(io.BytesIO(page.data))
    assert img.width == previews.SIZES["page"]
    assert 0.002 < dark_share(page.data) < 0.2  # lines of text on white, not an empty or black pane
    thumb = sec.get(f"/documents/{doc}/pages/1.png?size=thumb")
    assert Image.open(io.BytesIO(thumb.data)).width == previews.SIZES["thumb"]
    assert sec.get(f"/documents/{doc}/pages/2.png").status_code == 404
    assert sec.get(f"/documents/{doc}/pages/1.png?size=poster").status_code == 404
    cached = list(previews.cache_root(app).glob("*/*/page-1.png"))
    assert len(cached) == 1


def test_active_content_pdf_gets_the_same_picture_preview(app: Flask, login_as: Any, tmp_path: Path) -> None:
    sec = login_as("secretary")
    doc = upload(sec, samples.make_js_pdf(tmp_path), title="JS").get_json()["id"]
    page = sec.get(f"/documents/{doc}/pages/1.png")
    assert page.status_code == 200 and page.mimetype == "image/png"


def test_multi_page_tiff_is_shown_page_by_page(app: Flask, login_as: Any, tmp_path: Path) -> None:
    sec = login_as("secretary")
    doc = upload(sec, samples.make_tiff(tmp_path)).get_json()["id"]
    html = sec.get(f"/documents/{doc}?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in html and f"/documents/{doc}/pages/2.png" in html
    assert sec.get(f"/documents/{doc}/pages/2.png").status_code == 200


def test_unreadable_file_shows_a_blank_thumbnail_and_says_so(app: Flask, login_as: Any, tmp_path: Path) -> None:
    sec = login_as("secretary")
    doc = upload(sec, samples.make_truncated_pdf(tmp_path)).get_json()
    if "id" not in doc:  # refused at the door: nothing to preview
        return
    thumb = sec.get(f"/documents/{doc['id']}/pages/1.png?size=thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/svg+xml"


def test_page_bomb_is_rendered_within_the_pixel_limit(app: Flask, tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "huge.pdf"
    pdf = canvas.Canvas(str(path), pagesize=(14000, 14000))  # the largest page PDF allows, about 5 m wide
    pdf.drawString(100, 100, "x")
    pdf.save()
    out = tmp_path / "out.png"
    done = subprocess.run([sys.executable, "-m", "records.capture.render_page", str(path), "pdf", "1",
                           "2000", str(previews.MAX_PIXELS), str(out)], cwd=ROOT, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    with Image.open(out) as img:
        assert img.width * img.height <= previews.MAX_PIXELS


def test_document_without_picture_points_to_its_text(app: Flask, login_as: Any, tmp_path: Path) -> None:
    sec = login_as("secretary")
    doc = upload(sec, samples.make_docx(tmp_path)).get_json()["id"]
    html = sec.get(f"/documents/{doc}").get_data(as_text=True)
    assert "not shown as pictures" in html and 'href="#text"' in html


def test_status_endpoint_and_human_sizes(app: Flask, login_as: Any, tmp_path: Path) -> None:
    sec = login_as("secretary")
    path = samples.make_txt(tmp_path, text="Кафедранын протоколу")
    doc = upload(sec, path).get_json()
    status = sec.get(doc["status_url"]).get_json()
    assert status["id"] == doc["id"] and status["text_status"] in {"pending", "done"}
    assert status["label"]
    sec.set_cookie("lang", "ru")
    html = sec.get(f"/documents/{doc['id']}").get_data(as_text=True)
    size = path.stat().st_size
    assert f"{size} байт" in html and "KB" not in html


def test_filesize_filter_in_each_language(app: Flask) -> None:
    from flask_babel import force_locale

    from records.views.main import filesize

    with app.test_request_context():
        with force_locale("ru"):
            assert filesize(12) == "12 байт"
            assert filesize(1_258_291) == "1,2\u00a0МБ"
        with force_locale("en"):
            assert filesize(1) == "1 byte"
            assert filesize(20 * 1024) == "20\u00a0KB"


def test_home_page_shows_each_role_its_work(app: Flask, login_as: Any, tmp_path: Path, db_session: Any) -> None:
    sec = login_as("secretary")
    doc = upload(sec, samples.make_txt(tmp_path), title="Протокол без даты").get_json()["id"]
    home = sec.get("/").get_data(as_text=True)
    assert "Your recent filings" in home and "Documents without a date" in home
    assert f'/documents/{doc}/edit' in home  # the undated document, with the way to add its date
    auditor = login_as("auditor")
    auditor.get("/search/", query_string={"q": "протокол"})
    home = auditor.get("/").get_data(as_text=True)
    assert 'name="q"' in home and "протокол</a>" in home and "Audit trail" in home
    home = login_as("archivist").get("/").get_data(as_text=True)
    assert "Year-end closing of" in home and "Reviews due" in home and "Paper cases without a sheet count" in home
    home = login_as("head").get("/").get_data(as_text=True)
    assert "Waiting for you" in home and "Nomenclature" in home
    for role in ("commission", "approver"):
        home = login_as(role).get("/").get_data(as_text=True)
        assert "Waiting for you" in home and "Nothing is waiting for you." in home and "All destruction acts" in home
    with app.app_context():
        from records.db import session_scope

        with session_scope(app) as session:
            audit.record(session, AuditAction.AUDIT_VERIFY, actor="cli", via="cli", events=10, problems=0)
    home = login_as("admin").get("/").get_data(as_text=True)
    assert "Checks and backups" in home and "unbroken" in home and "never" in home  # no backup yet


def test_audit_trail_reads_as_sentences_with_links(app: Flask, login_as: Any, tmp_path: Path) -> None:
    sec = login_as("secretary")
    doc = upload(sec, samples.make_txt(tmp_path), title="Буйрук №7").get_json()["id"]
    sec.get(f"/documents/{doc}")
    html = login_as("auditor").get("/audit/").get_data(as_text=True)
    assert "opened a document" in html and "filed a document" in html
    assert f'<a href="/documents/{doc}">Буйрук №7</a>' in html
    assert "<details>" in html  # raw details only on demand
    ru = login_as("auditor")
    ru.set_cookie("lang", "ru")
    assert "подшил(а) документ" in ru.get("/audit/").get_data(as_text=True)
    inspection = ru.get("/audit/inspection", query_string={"format": "csv"}).get_data(as_text=True)
    header, *rows = inspection.lstrip("\ufeff").splitlines()
    assert header.startswith("Кто,Действие,") and any("открыл(а) документ" in row for row in rows)


def test_favicon_is_answered(app: Flask, client: Any) -> None:
    resp = client.get("/favicon.ico")
    try:
        assert resp.status_code == 200 and resp.data[:4] == b"\x00\x00\x01\x00"
    finally:
        resp.close()


def test_generated_admin_password_must_be_changed_first(app: Flask, client: Any, db_session: Any) -> None:
    from records import accounts
    from tests.conftest import PASSWORD, do_login

    with app.app_context():  # the audit trail's key belongs to the app
        user = accounts.create_user(db_session, "firstadmin", PASSWORD, ["admin"])
        user.password_changed_at = None  # what setup does with a generated password
        db_session.commit()
    do_login(client, "firstadmin")
    resp = client.get("/admin/users")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/account/password")
    done = client.post("/account/password", data={"current": PASSWORD, "new": "a-new-secret-42",
                                                  "repeat": "a-new-secret-42"})
    assert done.status_code == 302
    assert client.get("/admin/users").status_code == 200
    db_session.expire_all()
    assert db_session.scalar(select(User).where(User.username == "firstadmin")).password_changed_at is not None


def test_second_server_on_a_busy_port_says_so_in_one_line(app: Flask) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = subprocess.run([FLASK, "--app", "app", "serve", "--port", str(port)], cwd=ROOT, env=server_env(app),
                              capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot listen on" in lines[0] and "Traceback" not in done.stderr


def test_destroyed_document_does_not_claim_searchable_text(app: Flask, login_as: Any, tmp_path: Path,
                                                           db_session: Any) -> None:
    sec = login_as("secretary")
    doc_id = upload(sec, samples.make_txt(tmp_path)).get_json()["id"]
    doc = db_session.get(Document, doc_id)
    doc.state = "destroyed"
    db_session.commit()
    html = sec.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "searchable" not in html and "destroyed with the document" in html


def test_picture_cache_keeps_the_most_recently_used_within_its_limit(app: Flask, login_as: Any,
                                                                     tmp_path: Path) -> None:
    import os

    sec = login_as("secretary")
    first = upload(sec, samples.make_text_pdf(tmp_path)).get_json()["id"]
    second = upload(sec, samples.make_scan_image(tmp_path), title="scan").get_json()["id"]
    for doc in (first, second):
        assert sec.get(f"/documents/{doc}/pages/1.png").status_code == 200
    pictures = sorted(previews.cache_root(app).glob("*/*/*.png"), key=lambda p: p.stat().st_mtime)
    assert len(pictures) == 2
    for age, path in enumerate(pictures):
        os.utime(path, (1_000_000 + age, 1_000_000 + age))
    newest = pictures[-1]
    app.config["PREVIEW_CACHE_MB"] = newest.stat().st_size / 2**20  # room for one picture only
    assert previews.trim(app) == 1
    assert [p for p in previews.cache_root(app).glob("*/*/*.png")] == [newest]
    previews.forget(app, newest.parent.name)
    assert not newest.parent.exists()


def test_expiry_pdf_headers_keep_their_words_whole() -> None:
    from pypdf import PdfReader

    from records.disposition import reports
    from records.disposition.expiry import ExpiryList

    for lang, word in (("ky", "Документтер"), ("ru", "Документов")):
        text = PdfReader(io.BytesIO(reports.expiry_pdf(ExpiryList(year=2026), lang))).pages[0].extract_text()
        assert word in text.split(), (lang, text[:300])
