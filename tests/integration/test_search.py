"""Searching through the web page and the JSON API: inflected forms, facets that narrow, sorting and
pages, friendly errors, audit of every search, archived cases in and destroyed documents out.

Runs on each database backend, and on PostgreSQL also with the PostgreSQL full-text index.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import select

from records.db import session_scope
from records.models import AuditEvent, Case, CaseState, Document
from records.search import indexing
from tests.factories import SearchFixture, both_index_engines, indexed_file_doc  # noqa: F401  (fixtures)


def search_events(db_session: Any) -> list[AuditEvent]:
    db_session.expire_all()
    return list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == "search:query")
                                   .order_by(AuditEvent.id)))


def test_search_page_finds_inflected_forms_and_links_to_the_document(
    login_as: Any, file_doc: SearchFixture, db_session: Any
) -> None:
    doc_id = file_doc("Кафедранын отурумунун протоколу №5",
                      "Өндүрүштүк практика боюнча келишимдердин аткарылышы каралды.", doc_date="2023-09-04")
    file_doc("Буйрук", "Стипендия жөнүндө буйрук.", doc_type="order")
    client = login_as("auditor")
    for form in ("келишим", "келишимдер", "КЕЛИШИМДИН"):
        page = client.get("/search/", query_string={"q": form}).get_data(as_text=True)
        assert f'href="/documents/{doc_id}"' in page, form
        assert "<mark>келишимдердин</mark>" in page
        assert "Стипендия" not in page
    assert "12-4-7 · 2023" in page and "2023-09-04" in page
    events = search_events(db_session)
    assert [(e.detail["query"], e.detail["results"], e.detail["via"]) for e in events] == [
        ("келишим", 1, "web"), ("келишимдер", 1, "web"), ("КЕЛИШИМДИН", 1, "web")]
    assert events[0].actor == client.user.username


def test_bare_search_page_shows_the_box_and_records_nothing(login_as: Any, db_session: Any) -> None:
    page = login_as("secretary").get("/search/")
    assert page.status_code == 200 and 'name="q"' in page.get_data(as_text=True)
    assert search_events(db_session) == []


def test_facets_narrow_the_search_when_clicked(login_as: Any, file_doc: SearchFixture) -> None:
    file_doc("Протокол 2023", "кафедра отчет", year=2023)
    wanted = file_doc("Келишим 2024", "кафедра келишим", year=2024, index="12-4-12", doc_type="contract")
    client = login_as("auditor")
    page = client.get("/search/", query_string={"q": "кафедра"}).get_data(as_text=True)
    assert "2 documents found" in page
    links = dict(re.findall(r'<a href="(/search/\?[^"]+)">([^<]+)</a>', page))
    year_link = next(href for href, label in links.items() if label == "2024")
    narrowed = client.get(year_link.replace("&amp;", "&")).get_data(as_text=True)
    assert "1 document found" in narrowed and f'href="/documents/{wanted}"' in narrowed
    assert "Протокол 2023" not in narrowed
    type_link = next(href for href, label in links.items() if label == "Practice contract")
    assert "type=contract" in type_link


def test_bad_query_gets_a_friendly_message_not_an_error(login_as: Any, api_token: Any, app: Flask,
                                                        db_session: Any) -> None:
    resp = login_as("auditor").get("/search/", query_string={"q": '"протокол'})
    assert resp.status_code == 400
    assert "Close the quotation mark" in resp.get_data(as_text=True)
    api = app.test_client().get("/api/v1/search", query_string={"q": "author:x"},
                                headers={"Authorization": f"Bearer {api_token('auditor')}"})
    assert api.status_code == 400
    error = api.get_json()["error"]
    assert error["code"] == "bad_query" and "Accepted fields" in error["message"]
    assert search_events(db_session) == []


def test_brackets_alone_are_a_bad_query_not_everything(login_as: Any, api_token: Any, app: Flask,
                                                       file_doc: SearchFixture) -> None:
    file_doc("Протокол", "кафедра", doc_type="protocol")
    page = login_as("auditor").get("/search/", query_string={"q": "((("})
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "no word to look for" in html and "document found" not in html
    api = app.test_client().get("/api/v1/search", query_string={"q": "((("},
                                headers={"Authorization": f"Bearer {api_token('auditor')}"})
    assert api.status_code == 400 and api.get_json()["error"]["code"] == "bad_query"


def test_api_returns_results_and_facets_and_is_on_record(app: Flask, api_token: Any, file_doc: SearchFixture,
                                                         db_session: Any) -> None:
    doc_id = file_doc("Договор о практике", "Договор с ОсОО «Кумтөр Голд Компани» о практике студентов.",
                      index="12-4-12", doc_type="contract", doc_date="2023-02-01", counterparty="Кумтөр Голд",
                      number="15")
    file_doc("Протокол", "кафедра", doc_type="protocol")
    headers = {"Authorization": f"Bearer {api_token('auditor')}"}
    body = app.test_client().get("/api/v1/search", query_string={"q": "договоры", "year": "2023"},
                                 headers=headers).get_json()
    assert body["total"] == 1 and body["page"] == 1
    (result,) = body["results"]
    assert {k: v for k, v in result.items() if k != "snippet"} == {
        "id": doc_id, "title": "Договор о практике", "index": "12-4-12", "year": 2023, "doc_type": "contract",
        "doc_date": "2023-02-01"}
    assert "<mark>Договор</mark>" in result["snippet"]
    assert body["facets"] == {"year": {"2023": 1}, "index": {"12-4-12": 1}, "type": {"contract": 1}}
    narrowed = app.test_client().get("/api/v1/search", query_string={"q": "counterparty:Кумтөр", "type": "protocol"},
                                     headers=headers).get_json()
    assert narrowed["total"] == 0
    (last,) = search_events(db_session)[-1:]
    assert last.detail["query"] == "counterparty:Кумтөр" and last.detail["filters"] == {"type": "protocol"}
    assert last.detail["results"] == 0 and last.detail["via"] == "api"


def test_sort_by_date_and_pages(app: Flask, api_token: Any, file_doc: SearchFixture) -> None:
    for day in range(1, 24):
        file_doc(f"Отчет {day}", "отчет", doc_type="report", doc_date=f"2023-03-{day:02d}")
    headers = {"Authorization": f"Bearer {api_token('head')}"}

    def page(number: int) -> list[str]:
        body = app.test_client().get("/api/v1/search", query_string={"q": "отчет", "sort": "date", "page": number},
                                     headers=headers).get_json()
        assert body["total"] == 23
        return [r["doc_date"] for r in body["results"]]

    first, second = page(1), page(2)
    assert len(first) == 20 and len(second) == 3
    assert first + second == [f"2023-03-{day:02d}" for day in range(23, 0, -1)]


def test_destroyed_documents_never_appear_and_leave_the_index(app: Flask, login_as: Any, file_doc: SearchFixture,
                                                              db_session: Any) -> None:
    kept = file_doc("Протокол 1", "жыйынтык")
    gone = file_doc("Протокол 2", "жыйынтык")
    document = db_session.get(Document, gone)
    document.state = "destroyed"  # as a disposal act does, before the index has caught up
    db_session.flush()
    page = login_as("auditor").get("/search/", query_string={"q": "жыйынтык"}).get_data(as_text=True)
    assert f'href="/documents/{kept}"' in page and f'href="/documents/{gone}"' not in page
    with app.app_context(), session_scope(app) as session:
        indexing.enqueue(session, gone)
    indexing.sync(app)
    assert gone not in indexing.get_index(app).ids()
    assert indexing.check(app).clean


def test_archived_cases_are_searched(login_as: Any, file_doc: SearchFixture, db_session: Any) -> None:
    closed = file_doc("Протокол", "архивдеги иш", year=2021)
    transferred = file_doc("Буйрук", "архивдеги иш", year=2020, index="12-4-3", doc_type="order")
    for doc_id, state in ((closed, CaseState.CLOSED), (transferred, CaseState.TRANSFERRED)):
        case = db_session.get(Case, db_session.get(Document, doc_id).case_id)
        case.state, case.closed_on = state, date(case.year, 12, 31)
    db_session.flush()
    page = login_as("auditor").get("/search/", query_string={"q": "архив*"}).get_data(as_text=True)
    assert f'href="/documents/{closed}"' in page and f'href="/documents/{transferred}"' in page


def test_titles_and_snippets_are_escaped(login_as: Any, file_doc: SearchFixture) -> None:
    file_doc("<script>alert(1)</script> протокол", "<img src=x onerror=alert(1)> протокол")
    page = login_as("auditor").get("/search/", query_string={"q": "протокол"}).get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page and "&lt;img src=x" in page


def test_search_needs_the_search_permission(app: Flask, login_as: Any, api_token: Any, db_session: Any) -> None:
    assert login_as("admin").get("/search/", query_string={"q": "протокол"}).status_code == 403
    resp = app.test_client().get("/api/v1/search", query_string={"q": "протокол"},
                                 headers={"Authorization": f"Bearer {api_token('admin')}"})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"
    assert search_events(db_session) == []
