"""No request waits on another request's work: reads run without the write lock (and, on PostgreSQL,
without the API token's row lock), an upload holds no lock while its file is read, a duplicate is
recognised before its text is read, and the write that a read causes (its audit event, the token's
last use) follows the work in a short transaction of its own."""
from __future__ import annotations

import io
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text

from records import db
from records.capture import documents
from records.capture.intake import extract_text as real_extract_text
from records.db import get_database, session_scope
from records.models import ApiToken, AuditEvent
from records.search import indexing
from tests import samples
from tests.conftest import PASSWORD

YEAR = date.today().year


def _file_text(app: Flask, title: str, body: str, index: str = "12-4-7") -> int:
    with app.app_context(), session_scope(app) as session:
        filed = documents.file_document(
            app, session, year=YEAR, index=index,
            meta=documents.validate_metadata({"doc_type": "protocol", "title": title, "language": "ky"}),
            upload=documents.Upload(io.BytesIO(body.encode()), "text.txt"), actor=None, allow_duplicate=True)
        session.flush()
        doc_id = filed.document.id
    indexing.sync(app)
    return doc_id


@contextmanager
def _writer_elsewhere(app: Flask, backend: str, token_id: int | None = None) -> Iterator[None]:
    """Another transaction that writes meanwhile: SQLite's write lock, or on PostgreSQL the API token's row."""
    if backend == "sqlite":
        conn = sqlite3.connect(get_database(app).engine.url.database, timeout=0, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.rollback()
            conn.close()
    else:
        with get_database(app).engine.connect() as conn:
            conn.execute(text("SELECT id FROM api_token WHERE id = :id FOR UPDATE"), {"id": token_id})
            try:
                yield
            finally:
                conn.rollback()


def _in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(call()), daemon=True)
    thread.start()
    return thread, out


def test_reads_are_answered_while_another_transaction_writes(
    app: Flask, backend: str, api_token: Any, db_session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc_id = _file_text(app, "Кафедранын протоколу", "Өндүрүштүк практика боюнча келишим")
    token = api_token("archivist")
    headers = {"Authorization": f"Bearer {token}"}
    token_id = db_session.scalar(select(ApiToken.id).order_by(ApiToken.id.desc()).limit(1))
    searched = threading.Event()
    index_type = type(indexing.get_index(app))
    real_search = index_type.search

    def search_and_tell(self: Any, *args: Any, **kwargs: Any) -> Any:
        searched.set()
        return real_search(self, *args, **kwargs)

    monkeypatch.setattr(index_type, "search", search_and_tell)
    client = app.test_client()
    with _writer_elsewhere(app, backend, token_id):
        assert client.get("/healthz").status_code == 200
        search, found = _in_thread(lambda: app.test_client().get("/api/v1/search", query_string={"q": "келишим"},
                                                                 headers=headers))
        view, viewed = _in_thread(lambda: app.test_client().get(f"/api/v1/documents/{doc_id}", headers=headers))
        # The search itself runs while the other transaction still writes.
        assert searched.wait(20)
        if backend == "postgresql":
            # Nothing of theirs waits on the token's row: both are answered before it is free.
            search.join(20)
            view.join(20)
            assert found and viewed
    search.join(60)
    view.join(60)
    assert found[0].status_code == 200 and found[0].get_json()["total"] == 1
    assert viewed[0].status_code == 200
    # Each read is audited, after its work, and the chain holds.
    actions = db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] in (["search:query", "document:view"], ["document:view", "search:query"])
    with app.app_context(), session_scope(app) as session:
        from records import audit

        assert list(audit.verify_chain(session)) == []
    # The token's last use is written once its row is free (a row being written elsewhere is skipped).
    assert client.get("/api/v1/search", query_string={"q": "практика"}, headers=headers).status_code == 200
    assert db_session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token_id)) is not None


def test_token_last_use_is_written_at_most_once_a_minute(app: Flask, api_token: Any, db_session: Any) -> None:
    token = api_token("archivist")
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    assert client.get("/api/v1/search", query_string={"q": "x"}, headers=headers).status_code == 200
    first = db_session.scalar(select(ApiToken.last_used_at).order_by(ApiToken.id.desc()).limit(1))
    assert first is not None
    assert client.get("/api/v1/search", query_string={"q": "y"}, headers=headers).status_code == 200
    db_session.expire_all()
    assert db_session.scalar(select(ApiToken.last_used_at).order_by(ApiToken.id.desc()).limit(1)) == first


def test_an_upload_holds_no_lock_while_its_text_is_read(
    app: Flask, backend: str, api_token: Any, db_session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = api_token("secretary")
    seen: list[str] = []

    def extract_and_look(*args: Any, **kwargs: Any) -> Any:
        if backend == "sqlite":
            # Another writer gets the lock at once (timeout 0) while this upload's text is read.
            conn = sqlite3.connect(get_database(app).engine.url.database, timeout=0, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.rollback()
                seen.append("free")
            except sqlite3.OperationalError as exc:
                seen.append(str(exc))
            finally:
                conn.close()
        else:
            # The request's own transaction holds no lock of the audit chain.
            held = db.session().scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                            "AND pid = pg_backend_pid()"))
            seen.append("free" if held == 0 else f"{held} advisory locks held")
        return real_extract_text(*args, **kwargs)

    monkeypatch.setattr(documents, "extract_text", extract_and_look)
    docx = samples.make_docx(app.config["DATA_DIR"], name="first.docx")
    # Into a case not opened yet: opening it is audited, under the chain's lock on PostgreSQL.
    resp = app.test_client().post(
        "/api/v1/documents", headers={"Authorization": f"Bearer {token}"},
        data={"index": "12-4-9", "year": str(YEAR), "doc_type": "protocol", "title": "Протокол",
              "file": (docx.open("rb"), "first.docx")})
    assert resp.status_code == 201, resp.get_json()
    assert seen == ["free"]
    actions = db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(2)).all()
    assert sorted(actions) == ["case:open", "document:file"]


def test_a_file_sent_again_is_refused_as_a_duplicate_before_its_text_is_read(
    app: Flask, api_token: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = api_token("secretary")
    docx = samples.make_docx(app.config["DATA_DIR"], name="same.docx")
    calls: list[int] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real_extract_text(*args, **kwargs)

    monkeypatch.setattr(documents, "extract_text", counting)

    def send() -> Any:
        return app.test_client().post(
            "/api/v1/documents", headers={"Authorization": f"Bearer {token}"},
            data={"index": "12-4-7", "year": str(YEAR), "doc_type": "protocol", "title": "Протокол",
                  "file": (docx.open("rb"), "same.docx")})

    assert send().status_code == 201
    assert len(calls) == 1
    again = send()
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "duplicate"
    assert len(calls) == 1


def test_a_pdf_of_pages_with_fonts_but_no_text_is_left_to_the_background_ocr(tmp_path: Any) -> None:
    from records.capture.intake import check_file

    path = samples.make_font_only_pdf(tmp_path, pages=3)
    assert check_file(path, "scan.pdf").needs_ocr is True
    # A PDF with its text stays with the request.
    assert check_file(samples.make_text_pdf(tmp_path), "text.pdf").needs_ocr is False


@pytest.fixture
def one_login_at_once(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["LOGINS_AT_ONCE"] = 1
    return app_config


def test_sign_ins_beyond_the_limit_are_asked_to_come_back_at_once(
    one_login_at_once: Any, app: Flask, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from records import accounts

    user = make_user("secretary")
    checking, release = threading.Event(), threading.Event()
    real_check = accounts.check_password_hash

    def slow_check(*args: Any) -> bool:
        checking.set()
        release.wait(30)
        return real_check(*args)

    monkeypatch.setattr(accounts, "check_password_hash", slow_check)
    first, answers = _in_thread(lambda: app.test_client().post(
        "/login", data={"username": user.username, "password": PASSWORD}))
    try:
        assert checking.wait(20)
        refused = app.test_client().post("/login", data={"username": user.username, "password": "wrong-password"})
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
        # The health check and other pages do not wait for the sign-in being checked.
        assert app.test_client().get("/healthz").status_code == 200
    finally:
        release.set()
        first.join(30)
    assert answers[0].status_code == 302
    again = app.test_client().post("/login", data={"username": user.username, "password": PASSWORD})
    assert again.status_code == 302


def test_reads_finishing_together_are_audited_each_under_its_own_user(
    app: Flask, login_as: Any, db_session: Any
) -> None:
    from records import audit

    doc_id = _file_text(app, "Кафедранын протоколу", "Өндүрүштүк практика боюнча келишим")
    clients = [login_as("auditor"), login_as("secretary")]
    start = threading.Barrier(8)

    def view(client: Any) -> int:
        start.wait(20)
        return sum(client.get(f"/documents/{doc_id}").status_code == 200 for _ in range(5))

    threads = [_in_thread(lambda c=clients[n % 2]: view(c)) for n in range(8)]
    for thread, _ in threads:
        thread.join(120)
    assert [out[0] for _, out in threads] == [5] * 8
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "document:view")).all()
    by_actor = {c.user.username: 0 for c in clients}  # type: ignore[attr-defined]
    for event in events:
        by_actor[event.actor] += 1
        assert event.actor_id is not None and event.ip == "127.0.0.1" and event.object_id == str(doc_id)
    assert by_actor == {c.user.username: 20 for c in clients}  # type: ignore[attr-defined]
    with app.app_context(), session_scope(app) as session:
        assert list(audit.verify_chain(session)) == []
