"""Year-end closing with its checklist, per-case keeping and overrides, and the transfer of permanent
cases to the archive with their inventory."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from records import cases, nomenclature
from records.db import session_scope
from records.indexing import get_index
from records.models import AuditEvent, Case, Nomenclature
from tests.integration.test_disposal_expiry import close, file_doc


def case_id(app: Flask, index: str, year: int) -> int:
    with app.app_context(), session_scope(app) as session:
        return session.scalar(select(Case.id).where(Case.index == index, Case.year == year))


def test_checklist_then_close_and_roll_over(app: Flask, tmp_path: Path, login_as: Any) -> None:
    officer = login_as("archivist")
    file_doc(app, tmp_path, 2024, "12-4-7", "Протокол №1")
    paper_doc, paper_case = file_doc(app, tmp_path, 2024, "12-4-14", "Отчёт")
    with app.app_context(), session_scope(app) as session:
        empty = cases.open_case(session, cases.find_item(session, 2024, "12-4-29"), actor=None).id
        carried = cases.open_case(session, cases.find_item(session, 2024, "12-4-22"), actor=None).id
    file_doc(app, tmp_path, 2024, "12-4-22", "Аспирант")
    assert officer.post(f"/disposal/cases/{paper_case}/keeping", data={"is_paper": "1"}).status_code == 302
    assert officer.post(f"/disposal/cases/{carried}/keeping", data={"carry_over": "1"}).status_code == 302
    with app.app_context(), session_scope(app) as session:
        assert nomenclature.get(session, 2025) is None

    page = officer.get("/disposal/close?year=2024").get_data(as_text=True)
    assert "data-confirm" in page and 'name="acknowledged"' in page
    refused = officer.post("/disposal/close/2024")
    assert refused.status_code == 409
    with app.app_context(), session_scope(app) as session:
        assert session.get(Case, empty).state == "open"

    assert officer.post("/disposal/close/2024", data={"acknowledged": "1"}).status_code == 302
    with app.app_context(), session_scope(app) as session:
        states = {c.id: (c.state, c.closed_on) for c in session.scalars(select(Case).where(Case.year == 2024))}
        assert states[empty] == ("closed", date(2024, 12, 31)) and states[paper_case][0] == "closed"
        assert states[carried] == ("open", None)
        rolled = nomenclature.get(session, 2025)
        assert rolled is not None and rolled.status == "draft" and rolled.based_on_year == 2024
        assert session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "case:close")) == 3
        close_event = session.scalar(select(AuditEvent).where(AuditEvent.action == "year:close"))
        assert close_event.detail["problems"] == {"empty": [empty], "paper_without_sheets": [paper_case]}

    # The carried-over case closes on its own later; a second closing of 2024 finds nothing to do.
    result = app.test_cli_runner().invoke(args=["cases", "close-year", "2024", "--by", officer.user.username, "--yes"])
    assert result.exit_code == 0 and "Nothing to close" in result.output
    assert officer.post(f"/disposal/cases/{carried}/close").status_code == 302
    with app.app_context(), session_scope(app) as session:
        assert session.get(Case, carried).state == "closed"
        assert session.scalar(select(func.count(Nomenclature.id)).where(Nomenclature.year == 2025)) == 1


def test_close_year_from_the_command_line(app: Flask, tmp_path: Path, make_user: Any) -> None:
    officer = make_user("archivist")
    file_doc(app, tmp_path, 2023, "12-4-7", "Протокол")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["cases", "close-year", "2023", "--by", officer.username], input="")
    assert refused.exit_code != 0 and "Nothing was closed" in refused.output
    secretary = make_user("secretary")
    assert runner.invoke(args=["cases", "close-year", "2023", "--by", secretary.username, "--yes"]).exit_code != 0
    done = runner.invoke(args=["cases", "close-year", "2023", "--by", officer.username, "--yes"])
    assert done.exit_code == 0, done.output
    assert "Closed 1 case(s) of 2023." in done.output
    future = runner.invoke(args=["cases", "close-year", str(date.today().year + 1), "--by", officer.username, "--yes"])
    assert future.exit_code != 0
    listed = runner.invoke(args=["cases", "expiry", "2026", "--format", "json"])
    assert listed.exit_code == 0 and '"transfer"' in listed.output


def test_override_is_audited_and_needs_a_reason(app: Flask, tmp_path: Path, login_as: Any) -> None:
    officer = login_as("archivist")
    _doc, cid = file_doc(app, tmp_path, 2023, "12-4-7", "Протокол")
    close(app, 2023)
    assert officer.post(f"/disposal/cases/{cid}/override", data={"retention": "5 л."}).status_code == 400
    assert officer.post(f"/disposal/cases/{cid}/override", data={"retention": "5 дней", "reason": "x"}).status_code == 400
    ok = officer.post(f"/disposal/cases/{cid}/override", data={"retention": "5 л. ЭПК", "reason": "Комиссия"})
    assert ok.status_code == 302
    page = officer.get(f"/disposal/cases/{cid}").get_data(as_text=True)
    assert "2029" in page and "Комиссия" in page
    with app.app_context(), session_scope(app) as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "case:override"))
        assert event.detail["after"] == "5 л. ЭПК" and event.detail["item_rule"] == "Туруктуу ст.334"
    assert officer.post(f"/disposal/cases/{cid}/override", data={"retention": "", "reason": "Кайра"}).status_code == 302
    with app.app_context(), session_scope(app) as session:
        case = session.get(Case, cid)
        assert case.retention_override is None and case.override_reason is None


def test_transfer_to_the_archive_with_inventory(app: Flask, tmp_path: Path, login_as: Any) -> None:
    from openpyxl import load_workbook
    from pypdf import PdfReader

    officer = login_as("archivist")
    doc_id, protocols = file_doc(app, tmp_path, 2023, "12-4-7", "Кафедранын отурумунун протоколу")
    _d, temporary = file_doc(app, tmp_path, 2023, "12-4-17", "Курстук")
    close(app, 2023)
    assert officer.post(f"/disposal/cases/{protocols}/keeping", data={"is_paper": "1", "sheets": "48"}).status_code == 302
    page = officer.get("/disposal/inventories?year=2025").get_data(as_text=True)
    assert f'value="{protocols}"' in page and f'value="{temporary}"' not in page
    assert officer.post("/disposal/inventories", data={"number": "1", "year": "2025",
                                                       "case_id": [str(temporary)]}).status_code == 409
    assert officer.post("/disposal/inventories", data={"number": "1", "year": "2025",
                                                       "case_id": [str(protocols)]}).status_code == 302
    with app.app_context(), session_scope(app) as session:
        case = session.get(Case, protocols)
        assert case.state == "transferred" and case.inventory_id is not None and case.transferred_at is not None
        inventory_id = case.inventory_id
        assert session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "case:transfer")) == 1
    assert doc_id in set(get_index(app).ids())  # transferred cases stay searchable
    pdf = officer.get(f"/disposal/inventories/{inventory_id}.pdf?lang=ky")
    text = " ".join(" ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.get_data())).pages).split())
    assert "ТИЗМЕГИ № 1" in text and "Кафедранын отурумдарынын протоколдору" in text and "48" in text
    xlsx = officer.get(f"/disposal/inventories/{inventory_id}.xlsx?lang=ru")
    rows = list(load_workbook(io.BytesIO(xlsx.get_data())).active.iter_rows(values_only=True))
    head = rows.index(("№ п/п", "Индекс дела", "Заголовок дела", "Крайние даты", "Количество листов", "Примечание"))
    assert rows[head + 2][:3] == (1, "12-4-7", "Протоколы заседаний кафедры") and rows[head + 2][4] == 48
    # A second transfer of the same case is refused.
    assert officer.post("/disposal/inventories", data={"number": "2", "year": "2025",
                                                       "case_id": [str(protocols)]}).status_code == 409
