"""The disposition flow as the archive expects it, through the pages: the expert commission's decisions on
until-needed cases (destroy, keep longer, make permanent), approval only after the inventory of the
act's years, paper cases destroyed with a method and a date; closed cases stay closed; a past year's case
opens on its documents' date; the year-end count by category; the organisation's details."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from records import disposition, nomenclature
from records.db import session_scope
from records.models import ActStatus, AuditEvent, Case, DisposalAct, Document
from tests.disposition_steps import (
    TODAY,
    api_file,
    close,
    created_id,
    file_doc,
    web_agree_act,
    web_approved_inventory,
    web_draft_act,
)


@pytest.fixture
def closed_2023(app: Flask, tmp_path: Path) -> dict[str, int]:
    """Closed 2023 cases: one year (12-4-17), two years on paper (12-4-28), three until-needed (12-4-2, -3,
    -12) and a permanent one (12-4-7)."""
    ids = {index: file_doc(app, tmp_path, 2023, index, f"Документ {index}")[1]
           for index in ("12-4-17", "12-4-28", "12-4-2", "12-4-3", "12-4-12", "12-4-7")}
    with app.app_context(), session_scope(app) as session:
        session.get(Case, ids["12-4-28"]).is_paper = True
    close(app, 2023)
    return ids


def _case(app: Flask, case_id: int) -> Case:
    with app.app_context(), session_scope(app) as session:
        case = session.get(Case, case_id)
        session.expunge(case)
        return case


def test_commission_decides_each_reviewed_case_and_paper_is_destroyed_with_a_method(
        app: Flask, closed_2023: dict[str, int], login_as: Any) -> None:
    officer, commission, approver = login_as("archivist"), login_as("commission"), login_as("approver")
    c = closed_2023
    refused = web_draft_act(officer, [c["12-4-17"], c["12-4-7"]])
    assert refused.status_code == 409 and "permanently" in refused.get_data(as_text=True)
    act_id = created_id(web_draft_act(officer, [c["12-4-17"], c["12-4-28"], c["12-4-2"], c["12-4-3"], c["12-4-12"]]))
    page = commission.get(f"/disposal/acts/{act_id}").get_data(as_text=True)
    assert f'name="decision-{c["12-4-2"]}"' in page and f'name="decision-{c["12-4-17"]}"' not in page
    assert 'data-confirm=' in page

    # Every until-needed case needs a decision; "keep longer" needs its years.
    missing = web_agree_act(commission, act_id, {c["12-4-2"]: "destroy", c["12-4-3"]: "destroy"})
    assert missing.status_code == 400 and "12-4-12" in missing.get_data(as_text=True)
    no_years = web_agree_act(commission, act_id, {c["12-4-2"]: "destroy", c["12-4-3"]: "extend",
                                                  c["12-4-12"]: "permanent"})
    assert no_years.status_code == 400
    assert approver.post(f"/disposal/acts/{act_id}/approve").status_code == 409  # not agreed
    assert web_agree_act(commission, act_id, {c["12-4-2"]: "destroy", c["12-4-3"]: "extend:3",
                                              c["12-4-12"]: "permanent"}, protocol="7").status_code == 302
    assert _case(app, c["12-4-3"]).review_year == TODAY.year + 3
    assert _case(app, c["12-4-12"]).permanent

    # The case the commission made permanent joins the permanent case of 2023: both in an approved inventory.
    refused = approver.post(f"/disposal/acts/{act_id}/approve")
    assert refused.status_code == 409 and "2023" in refused.get_data(as_text=True)
    web_approved_inventory(officer, commission, approver, [c["12-4-7"], c["12-4-12"]])
    assert approver.post(f"/disposal/acts/{act_id}/approve").status_code == 302

    # Paper cases: the method and the date first.
    assert officer.post(f"/disposal/acts/{act_id}/execute").status_code == 400
    assert officer.post(f"/disposal/acts/{act_id}/execute",
                        data={"method": "shredding", "destroyed_on": date(TODAY.year + 1, 1, 1).isoformat()}
                        ).status_code == 400
    done = officer.post(f"/disposal/acts/{act_id}/execute",
                        data={"method": "recycling", "destroyed_on": TODAY.isoformat()})
    assert done.status_code == 302
    with app.app_context(), session_scope(app) as session:
        act = session.get(DisposalAct, act_id)
        assert (act.status, act.destruction_method, act.destroyed_on) == (ActStatus.EXECUTED, "recycling", TODAY)
        assert {r.case_id for r in act.destroy_rows} == {c["12-4-17"], c["12-4-28"], c["12-4-2"]}
        states = {i: session.get(Case, c[i]).state for i in ("12-4-17", "12-4-28", "12-4-2", "12-4-3", "12-4-12")}
        assert states == {"12-4-17": "destroyed", "12-4-28": "destroyed", "12-4-2": "destroyed",
                          "12-4-3": "closed", "12-4-12": "closed"}
        reviews = session.scalars(select(AuditEvent).where(AuditEvent.action == "case:review")).all()
        assert sorted(e.detail["decision"] for e in reviews) == ["destroy", "extend", "permanent"]
        assert all(e.detail["protocol"] == "7" for e in reviews)
        # Kept longer: out of the review until the year the commission set; permanent: due for transfer.
        review = lambda y: {r.case_id for r in disposition.expiry.expiry_list(session, y).review}  # noqa: E731
        assert c["12-4-3"] not in review(TODAY.year + 2) and c["12-4-3"] in review(TODAY.year + 3)
        assert c["12-4-12"] in {r.case_id for r in disposition.expiry.expiry_list(session, TODAY.year).transfer}
    page = officer.get(f"/disposal/acts/{act_id}").get_data(as_text=True)
    assert 'id="act-method"' in page and 'id="act-protocol"' in page
    # One the commission made permanent never goes into an act; a destroyed case takes no documents.
    assert web_draft_act(officer, [c["12-4-12"]], number="2").status_code == 409
    secretary = login_as("secretary")
    with app.app_context(), session_scope(app) as session:
        kept_doc = session.scalar(select(Document.id).where(Document.case_id == c["12-4-3"]))
    moved = secretary.post(f"/documents/{kept_doc}/move", data={"index": "12-4-17", "year": "2023"})
    assert moved.status_code == 409 and "destroyed" in moved.get_data(as_text=True)


def test_closed_cases_take_no_documents_until_a_new_volume_is_opened(
        app: Flask, closed_2023: dict[str, int], login_as: Any, api_token: Any, tmp_path: Path) -> None:
    client, token = app.test_client(), api_token("secretary")
    secretary = login_as("secretary")
    refused = api_file(client, token, tmp_path, "12-4-17", 2023)
    body = refused.get_json()
    assert refused.status_code == 409 and body["error"]["code"] == "case_closed"
    assert "closed" in body["error"]["message"]
    with app.app_context(), session_scope(app) as session:
        assert session.scalar(select(func.count(Case.id)).where(Case.index == "12-4-17", Case.year == 2023)) == 1
    # An earlier year's case that is still open takes documents; moving one into a closed case is refused.
    filed = api_file(client, token, tmp_path, "12-4-5", 2024)
    assert filed.status_code == 201, filed.get_data(as_text=True)
    moved = secretary.post(f"/documents/{filed.get_json()['id']}/move", data={"index": "12-4-17", "year": "2023"})
    assert moved.status_code == 409
    # A new volume is the records officer's explicit act, with a reason.
    officer = login_as("archivist")
    assert secretary.post(f"/disposal/cases/{closed_2023['12-4-17']}/volume", data={"reason": "x"}).status_code == 403
    assert officer.post(f"/disposal/cases/{closed_2023['12-4-17']}/volume", data={"reason": ""}).status_code == 400
    opened = officer.post(f"/disposal/cases/{closed_2023['12-4-17']}/volume", data={"reason": "Кеч келген буйрук"})
    assert opened.status_code == 302
    again = api_file(client, token, tmp_path, "12-4-17", 2023)
    assert again.status_code == 201
    with app.app_context(), session_scope(app) as session:
        volume = session.get(Document, again.get_json()["id"]).case
        assert (volume.volume, volume.state) == (2, "open")
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "case:open_volume"))
        assert event.detail["reason"] == "Кеч келген буйрук" and event.actor == officer.user.username


def test_a_past_years_case_opens_on_its_documents_date(app: Flask, api_token: Any, tmp_path: Path) -> None:
    client, token = app.test_client(), api_token("secretary")
    assert api_file(client, token, tmp_path, "12-4-7", 2019, doc_date="2019-03-05").status_code == 201
    assert api_file(client, token, tmp_path, "12-4-8", 2019).status_code == 201
    assert api_file(client, token, tmp_path, "12-4-9", TODAY.year, doc_date=f"{TODAY.year}-01-02").status_code == 201
    with app.app_context(), session_scope(app) as session:
        opened = {c.index: c.opened_on for c in session.scalars(select(Case))}
    assert opened == {"12-4-7": date(2019, 3, 5), "12-4-8": date(2019, 1, 1), "12-4-9": TODAY}


def test_year_end_count_by_category_with_overrides_carry_overs_and_epk(app: Flask, tmp_path: Path,
                                                                       login_as: Any) -> None:
    officer = login_as("archivist")
    ids = {index: file_doc(app, tmp_path, 2024, index, index)[1]
           for index in ("12-4-7", "12-4-14", "12-4-15", "12-4-13", "12-4-2", "12-4-25")}
    for index, rule in {"12-4-14": "Постоянно", "12-4-13": "15 л.", "12-4-15": "5 л. ЭПК"}.items():
        assert officer.post(f"/disposal/cases/{ids[index]}/override", data={"retention": rule, "reason": "ЭК"}
                            ).status_code == 302
    for index in ("12-4-2", "12-4-13"):
        assert officer.post(f"/disposal/cases/{ids[index]}/keeping", data={"carry_over": "1"}).status_code == 302
    with app.app_context(), session_scope(app) as session:
        count = disposition.closing.year_end_count(session, nomenclature.require(session, 2024))
        got = {name: (n.total, n.carried_over, n.epk) for name, n in count.categories()}
    assert got == {"permanent": (2, 0, 0), "over_10_years": (1, 1, 0), "up_to_10_years": (3, 1, 1)}
    assert (count.total, count.carried_over, count.epk) == (6, 2, 1)
    page = officer.get("/nomenclature/?year=2024").get_data(as_text=True)
    row = page.split('data-category="over_10_years"')[1].split("</tr>")[0]
    assert [cell.split("<")[0] for cell in row.split('class="num">')[1:]] == ["1", "1", "0"]


def test_organisation_details_are_kept_and_audited(app: Flask, login_as: Any) -> None:
    admin = login_as("admin")
    assert admin.get("/admin/organisation").status_code == 200
    saved = admin.post("/admin/organisation", data={
        "name": "Кыргыз кен-металлургия институту", "fond_number": "Ф-12", "approver_position": "Ректор",
        "approver_name": "А. Асанов", "commission_chair": "Б. Бакиров", "department": "Кен иштери кафедрасы"})
    assert saved.status_code == 302
    assert admin.post("/admin/organisation", data={"name": "x" * 301}).status_code == 400
    with app.app_context(), session_scope(app) as session:
        org = disposition.organisation.details(session)
        assert (org.fond_number, org.approver_name, org.commission_chair) == ("Ф-12", "А. Асанов", "Б. Бакиров")
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "settings:organisation"))
        assert event.detail["changes"]["fond_number"] == ["", "Ф-12"]
    assert "Ф-12" in admin.get("/admin/organisation").get_data(as_text=True)


def test_new_roles_from_the_command_line(app: Flask) -> None:
    runner = app.test_cli_runner()
    for role in ("commission", "approver"):
        result = runner.invoke(args=["users", "create", f"{role}1", "--role", role], input="a-long-password-1\n")
        assert result.exit_code == 0 and role in result.output, result.output
    with app.app_context(), session_scope(app) as session:
        from records.models import User

        user = session.scalar(select(User).where(User.username == "approver1"))
        assert user is not None and user.roles == {"approver"}


def test_the_act_pages_download_links_give_what_they_say(app: Flask, closed_2023: dict[str, int],
                                                         login_as: Any) -> None:
    import re

    officer = login_as("archivist")
    act_id = created_id(web_draft_act(officer, [closed_2023["12-4-17"]]))
    page = officer.get(f"/disposal/acts/{act_id}").get_data(as_text=True)
    links = dict((name, href.replace("&amp;", "&")) for href, name in
                 re.findall(r'href="([^"]+)" data-download="(act-(?:pdf|xlsx)-(?:ky|ru))"', page))
    assert set(links) == {"act-pdf-ky", "act-pdf-ru", "act-xlsx-ky", "act-xlsx-ru"}
    for name, href in links.items():
        resp = officer.get(href)
        assert resp.status_code == 200, name
        if "pdf" in name:
            assert resp.mimetype == "application/pdf" and resp.get_data().startswith(b"%PDF"), name
        else:
            assert resp.get_data().startswith(b"PK"), name
