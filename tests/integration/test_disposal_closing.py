"""Year-end closing with its checklist, per-case keeping and overrides, and the transfer of permanent
cases to the archive with their inventory."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from records import cases, disposition, nomenclature
from records.db import session_scope
from records.models import AuditEvent, Case, Nomenclature
from records.search.indexing import get_index
from tests.disposition_steps import close, created_id, file_doc, web_draft_inventory


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
    _doc, cid = file_doc(app, tmp_path, 2023, "12-4-14", "Отчёт")  # 5 years
    close(app, 2023)
    assert officer.post(f"/disposal/cases/{cid}/override", data={"retention": "10 л."}).status_code == 400
    assert officer.post(f"/disposal/cases/{cid}/override", data={"retention": "5 дней", "reason": "x"}).status_code == 400
    ok = officer.post(f"/disposal/cases/{cid}/override", data={"retention": "10 л. ЭПК", "reason": "Комиссия"})
    assert ok.status_code == 302  # longer: applies at once
    page = officer.get(f"/disposal/cases/{cid}").get_data(as_text=True)
    assert "2034" in page and "Комиссия" in page
    assert '<dd id="retention-ended">2033</dd>' in page  # C + N, the year the period ran out
    with app.app_context(), session_scope(app) as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "case:override"))
        assert event.detail["after"] == "10 л. ЭПК" and event.detail["item_rule"] == "5-ж. ст.413"
    # Back to the item's rule shortens it (10 years and the review -> 5 years): a second person approves.
    assert officer.post(f"/disposal/cases/{cid}/override", data={"retention": "", "reason": "Кайра"}).status_code == 302
    with app.app_context(), session_scope(app) as session:
        case = session.get(Case, cid)
        assert case.retention_override == "10 л. ЭПК" and case.pending_override == ""
    assert officer.post(f"/disposal/cases/{cid}/override/approve").status_code == 403  # not their own request
    second = login_as("archivist")
    assert "override-approval" in second.get(f"/disposal/cases/{cid}").get_data(as_text=True)
    assert second.post(f"/disposal/cases/{cid}/override/approve").status_code == 302
    with app.app_context(), session_scope(app) as session:
        case = session.get(Case, cid)
        assert case.retention_override is None and case.override_reason is None and case.pending_override is None
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "case:override")
                                .order_by(AuditEvent.id.desc())).first()
        assert event.actor == second.user.username and event.detail["requested_by"] == officer.user.id


def test_permanent_cases_stay_permanent_whatever_is_edited(app: Flask, tmp_path: Path, login_as: Any) -> None:
    """No override and no edit of the item makes a permanent case destroyable; a shorter rule on a held case
    is refused; a turned-down request changes nothing."""
    officer, head = login_as("archivist"), login_as("head")
    _doc, permanent = file_doc(app, tmp_path, 2023, "12-4-7", "Протокол")
    _doc, five = file_doc(app, tmp_path, 2023, "12-4-14", "Отчёт")
    close(app, 2023)
    refused = officer.post(f"/disposal/cases/{permanent}/override", data={"retention": "1 г.", "reason": "Ката"})
    assert refused.status_code == 409 and "permanently" in refused.get_data(as_text=True)
    # The item's rule edited to one year: its permanent case stays permanent.
    with app.app_context(), session_scope(app) as session:
        item_id = session.get(Case, permanent).item_id
    edit = officer.post(f"/nomenclature/items/{item_id}/edit", data={
        "title_ky": "Протоколдор", "title_ru": "Протоколы", "title_en": "Minutes", "retention": "1 г.", "note": ""})
    assert edit.status_code in (200, 302), edit.get_data(as_text=True)
    with app.app_context(), session_scope(app) as session:
        case = session.get(Case, permanent)
        assert case.item.retention == "1 г." and case.permanent
        assert permanent not in {r.case_id for r in disposition.expiry.expiry_list(session, 2030).destroy}
        assert permanent in {r.case_id for r in disposition.expiry.expiry_list(session, 2030).transfer}
    assert officer.post("/disposal/acts", data={"number": "1", "act_date": date.today().isoformat(),
                                                "case_id": [str(permanent)]}).status_code == 409
    # A held case takes no shorter rule; a request turned down leaves the rule as it was.
    assert head.post(f"/disposal/cases/{five}/hold", data={"reason": "Аудит"}).status_code == 302
    assert officer.post(f"/disposal/cases/{five}/override", data={"retention": "1 г.", "reason": "x"}).status_code == 409
    with app.app_context(), session_scope(app) as session:
        hold = disposition.holds.active_holds(session, session.get(Case, five))[0]
        disposition.holds.release_hold(session, hold, reason="Бүттү", actor=session.get(type(head.user), head.user.id))
    assert officer.post(f"/disposal/cases/{five}/override", data={"retention": "1 г.", "reason": "x"}).status_code == 302
    assert head.post(f"/disposal/cases/{five}/override/reject").status_code == 302
    with app.app_context(), session_scope(app) as session:
        case = session.get(Case, five)
        assert case.retention_override is None and case.pending_override is None
        assert session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "case:override_reject")) == 1


def test_transfer_to_the_archive_with_inventory(app: Flask, tmp_path: Path, login_as: Any) -> None:
    from openpyxl import load_workbook
    from pypdf import PdfReader

    officer, commission, approver = login_as("archivist"), login_as("commission"), login_as("approver")
    doc_id, protocols = file_doc(app, tmp_path, 2023, "12-4-7", "Кафедранын отурумунун протоколу")
    _d, temporary = file_doc(app, tmp_path, 2023, "12-4-17", "Курстук")
    close(app, 2023)
    assert officer.post(f"/disposal/cases/{protocols}/keeping", data={"is_paper": "1", "sheets": "48"}).status_code == 302
    page = officer.get("/disposal/inventories?year=2025").get_data(as_text=True)
    assert f'value="{protocols}"' in page and f'value="{temporary}"' not in page
    assert web_draft_inventory(officer, [temporary], "1").status_code == 409
    inventory_id = created_id(web_draft_inventory(officer, [protocols], "1"))
    # Drafted is not transferred: the commission agrees, the approver approves, then the cases go.
    assert officer.post(f"/disposal/inventories/{inventory_id}/transfer").status_code == 409
    assert approver.post(f"/disposal/inventories/{inventory_id}/approve").status_code == 409
    assert commission.post(f"/disposal/inventories/{inventory_id}/agree",
                           data={"protocol_number": "", "protocol_date": date.today().isoformat()}).status_code == 400
    assert commission.post(f"/disposal/inventories/{inventory_id}/agree",
                           data={"protocol_number": "4", "protocol_date": date.today().isoformat()}).status_code == 302
    assert approver.post(f"/disposal/inventories/{inventory_id}/approve").status_code == 302
    with app.app_context(), session_scope(app) as session:
        assert session.get(Case, protocols).state == "closed"
    assert officer.post(f"/disposal/inventories/{inventory_id}/transfer").status_code == 302
    with app.app_context(), session_scope(app) as session:
        case = session.get(Case, protocols)
        assert case.state == "transferred" and case.inventory_id == inventory_id and case.transferred_at is not None
        assert session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "case:transfer")) == 1
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "archive_inventory")))
        assert {"inventory:draft", "inventory:agree", "inventory:approve", "inventory:transfer"} <= actions
    assert doc_id in set(get_index(app).ids())  # transferred cases stay searchable
    pdf = officer.get(f"/disposal/inventories/{inventory_id}.pdf?lang=ky")
    text = " ".join(" ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.get_data())).pages).split())
    assert "Туруктуу сактоодогу иштердин" in text and "48" in text
    xlsx = officer.get(f"/disposal/inventories/{inventory_id}.xlsx?lang=ru")
    rows = list(load_workbook(io.BytesIO(xlsx.get_data())).active.iter_rows(values_only=True))
    assert any(r[1] == "12-4-7" and 48 in r for r in rows)
    # A second inventory of the same case is refused.
    assert web_draft_inventory(officer, [protocols], "2").status_code == 409
    # A Cyrillic inventory number reaches the file name (RFC 6266).
    _d, more = file_doc(app, tmp_path, 2023, "12-4-19", "МАК")
    close(app, 2023)
    cyrillic = created_id(web_draft_inventory(officer, [more], "2-П"))
    named = officer.get(f"/disposal/inventories/{cyrillic}.pdf?lang=ru")
    assert "filename*=UTF-8''inventory-" in named.headers["Content-Disposition"]
