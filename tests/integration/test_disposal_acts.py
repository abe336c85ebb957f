"""The destruction act from draft to execution: agreed by the expert commission, approved by another
person after the inventory of permanent cases of its years, files gone from the store (except bytes a
kept document shares), the index clean, tombstones and the act kept, a second run harmless, an
interrupted run finished by running it again; permanent and held cases never enter."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from records import disposition
from records.blobs import get_store
from records.capture import documents
from records.db import session_scope
from records.models import ActStatus, AuditEvent, Blob, Case, DisposalAct, Document, DocumentFile, DocumentText
from records.search.indexing import get_index
from tests import samples
from tests.disposition_steps import (
    TODAY,
    approved_act,
    approved_inventory,
    close,
    created_id,
    file_doc,
    web_agree_act,
    web_approved_inventory,
    web_draft_act,
)



def post_doc(client: Any, token: str, tmp_path: Path, index: str, text: str, **extra: str) -> dict[str, Any]:
    path = samples.make_txt(tmp_path, text, name=f"{abs(hash(text))}.txt")
    data = {"index": index, "year": "2023", "doc_type": "other", "title": text[:60], "doc_date": "2023-05-04",
            **extra, "file": (path.open("rb"), path.name)}
    resp = client.post("/api/v1/documents", data=data, headers={"Authorization": f"Bearer {token}"},
                       content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.get_json()


def add_version(app: Flask, tmp_path: Path, doc_id: int, text: str) -> str:
    path = samples.make_txt(tmp_path, text, name="v2.txt")
    with app.app_context(), session_scope(app) as session, path.open("rb") as fh:
        version = documents.add_version(app, session, documents.get_document(session, doc_id),
                                        documents.Upload(fh, path.name), actor=None)
        return version.sha256


def count(app: Flask, stmt: Any) -> int:
    with app.app_context(), session_scope(app) as session:
        return session.scalar(stmt) or 0


def act_of(app: Flask, act_id: int) -> DisposalAct:
    with app.app_context(), session_scope(app) as session:
        act = session.get(DisposalAct, act_id)
        assert act is not None
        _ = [r.case for r in act.rows]
        session.expunge_all()
        return act


@pytest.fixture
def filed(app: Flask, tmp_path: Path, api_token: Any) -> dict[str, Any]:
    """2023: two documents (one with two versions) in a 1-year case, one in a 2-year case, and the
    same bytes as one of them kept in a permanent case; the year closed."""
    token = api_token("secretary")
    client = app.test_client()
    shared_text = "Келишимдин көчүрмөсү: ишкана менен келишим"
    one = post_doc(client, token, tmp_path, "12-4-17", "Курстук долбоорлоо боюнча буйрук")
    two = post_doc(client, token, tmp_path, "12-4-17", shared_text)
    three = post_doc(client, token, tmp_path, "12-4-28", "Материалдык база боюнча маалымкат")
    kept = post_doc(client, token, tmp_path, "12-4-7", shared_text, allow_duplicate="1")
    v2 = add_version(app, tmp_path, one["id"], "Курстук долбоорлоо боюнча буйрук, оңдолгон")
    close(app, 2023)
    with app.app_context(), session_scope(app) as session:
        ids = {c.index: c.id for c in session.scalars(select(Case).where(Case.year == 2023))}
    return {"doomed": [one["id"], two["id"], three["id"]], "kept": kept["id"], "shared": two["sha256"],
            "own": {one["sha256"], v2, three["sha256"]}, "cases": ids}


def draft(client: Any, case_ids: list[int], number: str = "1") -> Any:
    return web_draft_act(client, case_ids, number)


def test_draft_approve_execute_and_run_again(app: Flask, filed: dict[str, Any], login_as: Any) -> None:
    store, index = get_store(app), get_index(app)
    doomed_cases = [filed["cases"]["12-4-17"], filed["cases"]["12-4-28"]]
    assert set(filed["doomed"]) | {filed["kept"]} <= set(index.ids())
    assert all(store.exists(sha) for sha in filed["own"] | {filed["shared"]})

    app.config["ALLOW_COMBINED_ROLES"] = True  # a very small office: one person drafts and approves
    officer = login_as("archivist", "approver")  # may draft and approve, but never their own act
    commission, approver = login_as("commission"), login_as("approver")
    act_id = created_id(draft(officer, doomed_cases))
    assert approver.post(f"/disposal/acts/{act_id}/approve").status_code == 409  # not agreed yet
    assert officer.post(f"/disposal/acts/{act_id}/execute").status_code == 409  # not approved yet
    assert web_agree_act(commission, act_id, protocol="").status_code == 400
    assert web_agree_act(commission, act_id, on=date(TODAY.year + 1, 1, 1)).status_code == 400
    assert act_of(app, act_id).status == ActStatus.DRAFT
    assert web_agree_act(commission, act_id, protocol="5").status_code == 302
    agreed = act_of(app, act_id)
    assert (agreed.status, agreed.protocol_number, agreed.agreed_by_id) == (ActStatus.AGREED, "5", commission.user.id)
    assert officer.post(f"/disposal/acts/{act_id}/approve").status_code == 403  # the drafter
    # The permanent case of 2023 is in no approved inventory yet.
    refused = approver.post(f"/disposal/acts/{act_id}/approve")
    assert refused.status_code == 409 and "12-4-7" in refused.get_data(as_text=True)
    web_approved_inventory(officer, commission, approver, [filed["cases"]["12-4-7"]])
    assert approver.post(f"/disposal/acts/{act_id}/approve").status_code == 302
    approved = act_of(app, act_id)
    assert approved.status == ActStatus.APPROVED and approved.approved_by_id == approver.user.id

    resp = officer.post(f"/disposal/acts/{act_id}/execute")
    assert resp.status_code == 302
    # The tests' worker runs inline, after the request's commit: the job is done when the answer comes
    # (test_act_execution_job follows it with the worker elsewhere).
    act = act_of(app, act_id)
    assert act.status == ActStatus.EXECUTED and act.executed_at is not None and act.executed_by_id == officer.user.id
    assert act.destruction_method == "deleted" and act.destroyed_on == TODAY  # electronic files only
    assert all(r.executed_at is not None for r in act.rows)
    assert [(r.case_index, r.case_year, r.heading_ky) for r in act.rows] == [
        ("12-4-17", 2023, "Курстук долбоорлоону уюштуруу боюнча документтер"),
        ("12-4-28", 2023, "Кафедранын материалдык-техникалык базасы боюнча документтер")]

    # Files gone, except the bytes a kept document still holds.
    assert not any(store.exists(sha) for sha in filed["own"])
    assert store.exists(filed["shared"])
    with app.app_context(), session_scope(app) as session:
        assert all(session.get(Blob, sha).deleted_at is not None for sha in filed["own"])
        assert session.get(Blob, filed["shared"]).deleted_at is None
        # Tombstones: what was there, which act, when; no text survives.
        for doc_id in filed["doomed"]:
            doc = session.get(Document, doc_id)
            assert (doc.state, doc.destroyed_by_act_id) == ("destroyed", act_id) and doc.destroyed_at is not None
            assert doc.title and doc.versions
            assert session.scalar(select(func.count()).select_from(DocumentText)
                                  .join(DocumentFile, DocumentFile.id == DocumentText.file_id)
                                  .where(DocumentFile.document_id == doc_id)) == 0
        for case_id in doomed_cases:
            case = session.get(Case, case_id)
            assert (case.state, case.destroyed_by_act_id) == ("destroyed", act_id)
        kept = session.get(Document, filed["kept"])
        assert kept.state == "active" and session.get(DocumentText, kept.current.id).text
    # The index holds the kept document only.
    ids = set(index.ids())
    assert filed["kept"] in ids and not ids & set(filed["doomed"])
    reader = app.test_client()
    tomb = reader.get(f"/api/v1/documents/{filed['doomed'][0]}",
                      headers={"Authorization": f"Bearer {_token(app, officer)}"}).get_json()
    assert tomb["state"] == "destroyed" and len(tomb["versions"]) == 2

    events = {a: count(app, select(func.count(AuditEvent.id)).where(AuditEvent.action == a))
              for a in ("act:draft", "act:agree", "act:approve", "act:execute", "case:destroy")}
    assert events == {"act:draft": 1, "act:agree": 1, "act:approve": 1, "act:execute": 2, "case:destroy": 2}

    # The printed act.
    from pypdf import PdfReader

    pdf = officer.get(f"/disposal/acts/{act_id}.pdf?lang=ru")
    text = " ".join(" ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.get_data())).pages).split())
    assert "АКТ о выделении к уничтожению документов" in text and "Документы по организации курсового" in text
    ky = officer.get(f"/disposal/acts/{act_id}.pdf?lang=ky")
    text = " ".join(" ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(ky.get_data())).pages).split())
    assert "жок кылууга бөлүп чыгаруу" in text and "Кафедранын материалдык" in text

    # A second run changes nothing.
    again = officer.post(f"/disposal/acts/{act_id}/execute", follow_redirects=True)
    assert again.status_code == 200
    assert count(app, select(func.count(AuditEvent.id)).where(AuditEvent.action.like("act:execute"))) == 2
    assert act_of(app, act_id).executed_at == act.executed_at
    assert store.exists(filed["shared"])


def _token(app: Flask, client: Any) -> str:
    from records import accounts

    with app.app_context(), session_scope(app) as session:
        return accounts.issue_token(session, session.get(type(client.user), client.user.id), actor="test")


def test_interrupted_execution_finishes_when_run_again(app: Flask, filed: dict[str, Any], make_user: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    drafter, commission, approver = make_user("archivist"), make_user("commission"), make_user("approver")
    officer = make_user("archivist")
    doomed_cases = [filed["cases"]["12-4-17"], filed["cases"]["12-4-28"]]
    people = {"drafter": drafter.id, "commission": commission.id, "approver": approver.id}
    approved_inventory(app, [filed["cases"]["12-4-7"]], **people)
    act_id = approved_act(app, doomed_cases, **people)

    # First run: the catalogue of the first case commits, then the process dies before its bytes go.
    real_delete = disposition.execution._delete_bytes
    monkeypatch.setattr(disposition.execution, "_delete_bytes", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("power cut")))
    with pytest.raises(RuntimeError):
        disposition.execution.execute_act(app, act_id, actor_id=officer.id)
    monkeypatch.setattr(disposition.execution, "_delete_bytes", real_delete)
    half = act_of(app, act_id)
    assert half.status == ActStatus.EXECUTING
    assert [r.executed_at is not None for r in half.rows] == [True, False]
    store = get_store(app)
    assert any(store.exists(sha) for sha in filed["own"])  # marked deleted in the catalogue, bytes still here

    runner = app.test_cli_runner()
    result = runner.invoke(args=["acts", "execute", str(act_id), "--by", officer.username])
    assert result.exit_code == 0, result.output
    done = act_of(app, act_id)
    assert done.status == ActStatus.EXECUTED and all(r.executed_at for r in done.rows)
    assert not any(store.exists(sha) for sha in filed["own"]) and store.exists(filed["shared"])
    assert count(app, select(func.count(AuditEvent.id)).where(AuditEvent.action == "case:destroy")) == 2
    again = runner.invoke(args=["acts", "execute", str(act_id), "--by", officer.username])
    assert again.exit_code == 0 and "already executed" in again.output


def test_permanent_and_held_cases_never_enter_or_leave(app: Flask, filed: dict[str, Any], login_as: Any,
                                                       tmp_path: Path) -> None:
    officer, head = login_as("archivist"), login_as("head")
    commission, approver = login_as("commission"), login_as("approver")
    permanent = filed["cases"]["12-4-7"]
    web_approved_inventory(officer, commission, approver, [permanent])
    one_year, two_year = filed["cases"]["12-4-17"], filed["cases"]["12-4-28"]

    refused = draft(officer, [one_year, permanent])
    assert refused.status_code == 409 and "permanently" in refused.get_data(as_text=True)
    # Not yet due: a 5-year case of 2023 only from 2029.
    _doc, five_year = file_doc(app, tmp_path, 2022, "12-4-14", "Отчёт")
    close(app, 2022)
    assert draft(officer, [five_year]).status_code == 409

    # Held at draft time.
    assert officer.post(f"/disposal/cases/{two_year}/hold", data={"reason": "Аудит", "requested_by": "ректор"}).status_code == 302
    assert draft(officer, [one_year, two_year]).status_code == 409
    # Held after drafting: approval refused.
    resp = draft(officer, [one_year])
    act_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    with app.app_context(), session_scope(app) as session:
        doc = session.scalar(select(Document).where(Document.case_id == one_year))
        doc_id = doc.id
    assert head.post(f"/disposal/documents/{doc_id}/hold", data={"reason": "Талаш"}).status_code == 302
    assert web_agree_act(commission, act_id).status_code == 302
    refused = approver.post(f"/disposal/acts/{act_id}/approve")
    assert refused.status_code == 409 and "hold" in refused.get_data(as_text=True)
    assert act_of(app, act_id).status == ActStatus.AGREED
    # Released, approved, then held again before execution: nothing is destroyed.
    with app.app_context(), session_scope(app) as session:
        hold_id = next(h.id for h, c in disposition.holds.standing_holds(session) if c.id == one_year)
    assert head.post(f"/disposal/holds/{hold_id}/release", data={"reason": "Бүттү"}).status_code == 302
    assert approver.post(f"/disposal/acts/{act_id}/approve").status_code == 302
    assert officer.post(f"/disposal/cases/{one_year}/hold", data={"reason": "Жаңы аудит"}).status_code == 302
    assert officer.post(f"/disposal/acts/{act_id}/execute").status_code == 409
    with app.app_context(), session_scope(app) as session:
        assert session.get(Case, one_year).state == "closed"
        assert session.get(Document, doc_id).state == "active"
    assert act_of(app, act_id).status == ActStatus.APPROVED
    # A case already in a live act cannot go into a second one.
    assert draft(officer, [one_year], number="2").status_code == 409
    # The expiry list shows the held cases apart.
    page = officer.get(f"/disposal/?year={TODAY.year}").get_data(as_text=True)
    held_part = page.split('data-part="held"')[1]
    assert "12-4-17" in held_part and "12-4-28" in held_part
