"""The audit page, its CSV export and the inspection report; and every action the issue names
becomes an event with who, when, what, on which object and from which address."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from records import accounts, audit, disposition
from records.capture import documents
from records.db import session_scope
from records.models import AuditAction, AuditEvent, Case, Document
from tests import samples
from tests.conftest import PASSWORD, do_login

YEAR = date.today().year


def _actions(db_session: Any) -> list[tuple[str, str, str | None, str | None]]:
    db_session.expire_all()
    return [(e.action, e.actor, e.object_id, e.ip) for e in db_session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def _file(client: Any, token: str, path: Any, **extra: str) -> dict[str, Any]:
    data = {"index": "12-4-7", "year": str(YEAR), "doc_type": "protocol", "title": "Протокол №5",
            "doc_date": f"{YEAR}-01-15", "file": (path.open("rb"), path.name), **extra}
    resp = client.post("/api/v1/documents", data=data, headers={"Authorization": f"Bearer {token}"},
                       content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_every_named_action_is_an_event(app: Flask, client: Any, make_user: Any, api_token: Any, login_as: Any,
                                        db_session: Any, tmp_path: Any) -> None:
    secretary = make_user("secretary", username="sekretar")
    # login, failed login, logout
    assert do_login(client, "sekretar", "wrong-password-1").status_code == 401
    assert do_login(client, "sekretar", PASSWORD).status_code == 302
    # upload, view, download (API); preview and search (web)
    token = api_token("secretary")
    body = _file(client, token, samples.make_text_pdf(tmp_path))
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/documents/{body['id']}", headers=auth).status_code == 200
    assert client.get(f"/api/v1/documents/{body['id']}/file", headers=auth).status_code == 200
    assert client.get(f"/documents/{body['id']}/preview").status_code == 200
    assert client.get("/search/", query_string={"q": "протокол"}).status_code == 200
    assert client.post("/logout").status_code == 302
    # metadata change, move, hold, user and role changes (services)
    with app.app_context(), session_scope(app) as session:
        document = session.get(Document, body["id"])
        user = session.get(type(secretary), secretary.id)
        documents.update_metadata(session, document, documents.validate_metadata(
            {"doc_type": "protocol", "title": "Протокол №6"}), actor=user)
        documents.move_document(session, document, year=YEAR, index="12-4-1", actor=user)
        archivist = accounts.create_user(session, "arhivist", PASSWORD, ["archivist"], actor="test")
        accounts.set_roles(session, archivist, ["archivist", "auditor"], actor=user)
        disposition.holds.place_hold(session, reason="accreditation", requested_by="ministry", actor=archivist,
                            case=session.get(Case, document.case_id))
    events = _actions(db_session)
    actions = {a for a, *_ in events}
    for needed in ("auth:login_failed", "auth:login", "auth:logout", "document:file", "document:view",
                   "document:download", "document:preview", "search:query", "document:edit", "document:move",
                   "user:create", "user:roles", "hold:place"):
        assert needed in actions, f"{needed} was not recorded; recorded: {sorted(actions)}"
    # who and from where
    login = next(e for e in events if e[0] == "auth:login" and e[1] == "sekretar")
    assert login[3] == "127.0.0.1"
    download = next(e for e in events if e[0] == "document:download")
    assert download[2] == str(body["id"])
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def _seed(app: Flask) -> None:
    with app.app_context(), session_scope(app) as session:
        for i in range(60):
            audit.record(session, AuditAction.DOCUMENT_VIEW, object_type="document", object_id=i % 3, actor="aliya",
                         ip="10.1.1.1")
        audit.record(session, AuditAction.SEARCH_QUERY, actor="bakyt", query="келишим")
        audit.record(session, AuditAction.DOCUMENT_DOWNLOAD, object_type="document", object_id=7, actor="bakyt")
        audit.record(session, AuditAction.NOMENCLATURE_APPROVE, object_type="nomenclature", object_id=1, actor="bakyt")


def test_audit_page_filters_and_pages(app: Flask, login_as: Any) -> None:
    _seed(app)
    auditor = login_as("auditor")
    page = auditor.get("/audit/", query_string={"person": "aliya"}).get_data(as_text=True)
    assert "60 events" in page and "bakyt" not in page.split("<tbody>")[1]
    page2 = auditor.get("/audit/", query_string={"person": "aliya", "page": 2}).get_data(as_text=True)
    assert "Page 2 of 2" in page2
    only = auditor.get("/audit/", query_string={"object": "document:7"}).get_data(as_text=True)
    assert "1 events" in only and "document:download" in only
    area = auditor.get("/audit/", query_string={"action": "search:"}).get_data(as_text=True)
    assert "1 events" in area and "келишим" in area
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    none = auditor.get("/audit/", query_string={"since": tomorrow}).get_data(as_text=True)
    assert "0 events" in none
    bad = auditor.get("/audit/", query_string={"since": "yesterday"})
    assert bad.status_code == 400


def test_csv_export_is_filtered_and_recorded(app: Flask, login_as: Any, db_session: Any) -> None:
    _seed(app)
    auditor = login_as("auditor")
    resp = auditor.get("/audit/export.csv", query_string={"person": "bakyt"})
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/csv")
    assert resp.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:5] == ["id", "at", "actor", "actor_id", "action"]
    assert sorted(r[4] for r in rows[1:]) == ["document:download", "nomenclature:approve", "search:query"]
    exported = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "audit:export"))
    assert exported.actor == auditor.user.username and exported.detail["filters"] == {"person": "bakyt"}


def test_csv_cells_cannot_become_formulas(app: Flask, login_as: Any) -> None:
    with app.app_context(), session_scope(app) as session:
        audit.record(session, AuditAction.SEARCH_QUERY, actor="bakyt", query="=HYPERLINK(\"http://evil\")")
    resp = login_as("admin").get("/audit/export.csv", query_string={"action": "search:query"})
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert all(not cell.startswith("=") for row in rows for cell in row)


def test_inspection_report_lists_who_saw_what(app: Flask, login_as: Any) -> None:
    _seed(app)
    auditor = login_as("auditor")
    page = auditor.get("/audit/inspection").get_data(as_text=True)
    assert "«келишим»" in page and "document 7" in page
    assert "nomenclature:approve" not in page  # a change, not an access
    resp = auditor.get("/audit/inspection", query_string={"format": "csv"})
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    views = {r[2]: int(r[3]) for r in rows[1:] if r[0] == "aliya"}
    assert views == {"document 0": 20, "document 1": 20, "document 2": 20}
    future = (date.today() + timedelta(days=3)).isoformat()
    empty = auditor.get("/audit/inspection", query_string={"since": future, "until": future})
    assert "Nobody searched" in empty.get_data(as_text=True)
    backwards = auditor.get("/audit/inspection", query_string={"since": future, "until": "2020-01-01"})
    assert backwards.status_code == 400


def test_reading_the_trail_is_on_record(app: Flask, login_as: Any, db_session: Any) -> None:
    auditor = login_as("auditor")
    auditor.get("/audit/", query_string={"action": "auth:"})
    auditor.get("/audit/inspection")
    events = {e.action: e for e in db_session.scalars(select(AuditEvent))}
    assert events["audit:view"].actor == auditor.user.username
    assert events["report:inspection"].actor == auditor.user.username


def test_only_admin_and_auditor_see_the_trail(login_as: Any) -> None:
    for role, status in (("admin", 200), ("auditor", 200), ("secretary", 403), ("archivist", 403), ("head", 403)):
        assert login_as(role).get("/audit/").status_code == status, role
