"""The yearly expiry list over a real catalogue: every item of the shipped nomenclature, two closing
years, holds (on a case, on a document, released), overrides, and every year asked; then its page,
CSV, XLSX, PDF (Cyrillic extracted back) and the API."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from records import cases, disposition, nomenclature
from records.capture import documents
from records.db import session_scope
from records.disposition.rules import ListName
from records.models import Case, User
from tests.disposition_steps import close, file_doc
from tests.factories import OVERRIDES_2023, SHIPPED_2023


@dataclass
class Catalogue:
    by_key: dict[tuple[str, int], int]  # (index, year) -> case id
    held: set[int]
    overrides: dict[int, str]
    doc_case: int


@pytest.fixture
def catalogue(app: Flask, tmp_path: Path, make_user: Any) -> Catalogue:
    officer, second = make_user("archivist"), make_user("head")
    doc_id, doc_case = file_doc(app, tmp_path, 2023, "12-4-17", "Курстук долбоор")
    with app.app_context(), session_scope(app) as session:
        for year in (2021, 2023):
            nom = nomenclature.ensure_shipped(session, year)
            for item in nom.items:
                cases.open_case(session, item, actor=None, today=date(year, 2, 1))
    close(app, 2021)
    close(app, 2023)
    with app.app_context(), session_scope(app) as session:
        by_key = {(c.index, c.year): c.id for c in session.scalars(select(Case))}
        actor = session.get(User, officer.id)
        held = set()
        # A hold on a case, a hold on one document (freezing its case), and a released hold.
        disposition.holds.place_hold(session, case=session.get(Case, by_key[("12-4-8", 2021)]), reason="Аудит",
                            requested_by="Ректорат", actor=actor)
        held.add(by_key[("12-4-8", 2021)])
        disposition.holds.place_hold(session, document=documents.get_document(session, doc_id), reason="Талаш",
                            requested_by="Юрист", actor=actor)
        held.add(doc_case)
        released = disposition.holds.place_hold(session, case=session.get(Case, by_key[("12-4-14", 2021)]),
                                       reason="Текшерүү", requested_by="", actor=actor)
        disposition.holds.release_hold(session, released, reason="Бүттү", actor=actor)
        # Shorter rules (5 years -> 1 year; until needed -> 75 years) wait for a second person's approval;
        # longer ones (ЭПК added, permanent) apply at once.
        overrides = {by_key[("12-4-9", 2023)]: "1 г. ЭПК ст.17", by_key[("12-4-13", 2021)]: "5 л. ЭПК",
                     by_key[("12-4-6", 2021)]: "Постоянно", by_key[("12-4-1", 2023)]: "75 лет"}
        for case_id, text in overrides.items():
            case = session.get(Case, case_id)
            applied = disposition.overrides.set_override(session, case, retention=text, reason="Комиссиянын чечими",
                                                         actor=actor)
            assert applied == (text in ("5 л. ЭПК", "Постоянно")), text
            if not applied:
                disposition.overrides.approve_override(session, case, actor=session.get(User, second.id))
    return Catalogue(by_key=by_key, held=held, overrides=overrides, doc_case=doc_case)


def expected(cat: Catalogue, retention_of: dict[int, str], closed_of: dict[int, int], asked: int) -> dict[str, set[int]]:
    """What each part must hold, from the hand-written tables of due years (for closing in 2023)."""
    parts: dict[str, set[int]] = {name.value: set() for name in ListName}
    for case_id, text in retention_of.items():
        target, due_2023 = {**SHIPPED_2023, **OVERRIDES_2023}[cat.overrides.get(case_id, text)]
        due = due_2023 + closed_of[case_id] - 2023
        if case_id in cat.held:
            parts[ListName.HELD.value].add(case_id)
        elif asked >= due:
            parts[target.value].add(case_id)
    return parts


def test_every_rule_closing_year_hold_and_override_in_every_asked_year(app: Flask, catalogue: Catalogue) -> None:
    with app.app_context(), session_scope(app) as session:
        all_cases = list(session.scalars(select(Case)))
        retention_of = {c.id: c.item.retention for c in all_cases}
        closed_of = {c.id: c.closed_on.year for c in all_cases}
        assert len(all_cases) == 58 and set(closed_of.values()) == {2021, 2023}
        for asked in range(2021, 2037):
            report = disposition.expiry.expiry_list(session, asked)
            got = {name.value: {r.case_id for r in rows} for name, rows in report.parts()}
            assert got == expected(catalogue, retention_of, closed_of, asked), asked


def test_the_edges_named_in_the_rules(app: Flask, catalogue: Catalogue) -> None:
    one_year = catalogue.by_key[("12-4-17", 2023)]
    five_year = catalogue.by_key[("12-4-18", 2023)]
    with app.app_context(), session_scope(app) as session:
        # 12-4-17 of 2023 is held through its document; release it to see the plain rule.
        officer = session.scalar(select(User).where(User.username.like("archivist%")))
        for hold, _case in disposition.holds.standing_holds(session):
            if hold.document_id is not None:
                disposition.holds.release_hold(session, hold, reason="done", actor=officer)
        ids = lambda y: {r.case_id for r in disposition.expiry.expiry_list(session, y).destroy}  # noqa: E731
        assert one_year not in ids(2024) and one_year in ids(2025)
        assert five_year not in ids(2028) and five_year in ids(2029)


def test_rows_carry_what_the_reports_print(app: Flask, catalogue: Catalogue) -> None:
    with app.app_context(), session_scope(app) as session:
        report = disposition.expiry.expiry_list(session, 2026)
        held = {r.case_id: r for r in report.held}
        row = held[catalogue.doc_case]
        assert (row.index, row.year, row.documents, row.due_year) == ("12-4-17", 2023, 1, 2025)
        override = next(r for r in report.review if r.case_id == catalogue.by_key[("12-4-9", 2023)])
        assert override.overridden and override.retention == "1 г. ЭПК ст.17"
        assert all(r.documents == 0 for r in report.destroy)


def test_page_and_files_in_kyrgyz_and_russian(app: Flask, catalogue: Catalogue, login_as: Any) -> None:
    from openpyxl import load_workbook
    from pypdf import PdfReader

    client = login_as("auditor")
    page = client.get("/disposal/?year=2026")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-part="destroy"' in html and 'data-part="held"' in html
    assert 'name="case_id"' not in html  # an auditor reads the list but drafts nothing

    ru_csv = client.get("/disposal/expiry/2026.csv?lang=ru")
    text = ru_csv.get_data().decode("utf-8-sig")
    assert ru_csv.mimetype == "text/csv" and text.splitlines()[0].startswith("Раздел,Индекс дела,Год,Заголовок дела")
    assert "Дела под запретом уничтожения,12-4-17,2023" in text
    assert "Год истечения срока хранения,Год наступления срока" in text.splitlines()[0]
    held_row = next(line for line in text.splitlines() if line.startswith("Дела под запретом уничтожения,12-4-17,2023"))
    assert held_row.endswith(",2024,2025,1")  # the year the term ended (C + N), then the first year of an act
    transfer_row = next(line for line in text.splitlines() if ",12-4-4,2021," in line)
    assert ",,2022 (" in transfer_row  # a permanent case: no year the term ended

    xlsx = client.get("/disposal/expiry/2026.xlsx?lang=ky")
    book = load_workbook(io.BytesIO(xlsx.get_data()))
    assert book.sheetnames == ["Жок кылууга", "ЭК кароосуна", "Архивге өткөрүүгө", "Тыюу салынган"]
    held_rows = list(book["Тыюу салынган"].iter_rows(values_only=True))
    assert held_rows[2][:3] == ("№", "Иштин индекси", "Жыл")
    assert any(r[1] == "12-4-17" for r in held_rows[3:])

    for lang, words in {"ky": ["Сактоо мөөнөтү бүткөн иштердин тизмеси", "Университеттин архивине",
                               "Кафедранын отурумдарынын протоколдору"],
                        "ru": ["Перечень дел с истекшими сроками хранения", "Протоколы заседаний кафедры"]}.items():
        resp = client.get(f"/disposal/expiry/2026.pdf?lang={lang}")
        assert resp.mimetype == "application/pdf"
        extracted = " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(resp.get_data())).pages)
        flat = " ".join(extracted.split())
        for word in words:
            assert word in flat, (lang, word)


def test_api_json_and_csv(app: Flask, catalogue: Catalogue, api_token: Any) -> None:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token('archivist')}"}
    body = client.get("/api/v1/reports/expiry?year=2026&lang=ru", headers=headers).get_json()
    assert set(body) == {"year", "destroy", "review", "transfer", "held"}
    held = {(r["index"], r["year"]): r for r in body["held"]}
    assert held[("12-4-17", 2023)] | {"case_id": 0} == {
        "case_id": 0, "index": "12-4-17", "year": 2023, "volume": 1, "title": "Документы по организации курсового проектирования",
        "retention": "1 год, ст. 424", "due_year": 2025, "retention_ended": 2024, "documents": 1, "closed_year": 2023}
    assert ("12-4-8", 2021) in held
    destroy = {(r["index"], r["year"]) for r in body["destroy"]}
    assert ("12-4-5", 2021) in destroy and ("12-4-5", 2023) not in destroy  # 3 years: 2025 / 2027
    csv_resp = client.get("/api/v1/reports/expiry?year=2026&format=csv", headers=headers)
    lines = csv_resp.get_data(as_text=True).splitlines()
    assert lines[0] == "list,case_id,index,year,title,retention,due_year,documents"
    assert sum(1 for line in lines[1:] if line.startswith("destroy,")) == len(body["destroy"])
    bad = client.get("/api/v1/reports/expiry?year=2026&format=xml", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_format"
    assert client.get("/api/v1/reports/expiry?year=2026", headers={
        "Authorization": f"Bearer {api_token('secretary')}"}).status_code == 403
