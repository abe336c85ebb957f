"""An act's execution is a job on the worker: the request is checked and recorded at once and nothing is
destroyed inside it; the worker destroys the cases with its progress in the job table, shown on the act's
page and on ``/jobs``; a hold placed between the request and the worker stops the job, the page says why,
and the records officer finishes the execution once the hold is released."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from records import disposition, worker
from records.db import session_scope
from records.models import ActStatus, AuditEvent, Case, DisposalAct, Document, Job, JobState
from tests.disposition_steps import TODAY, approved_act, approved_inventory, close, file_doc


@pytest.fixture
def act(app: Flask, tmp_path: Path, make_user: Any) -> dict[str, Any]:
    """An approved act of two 1-year and 2-year cases of 2023 (three documents), with the permanent case
    of 2023 in an approved inventory; the background work runs elsewhere (``flask worker run``)."""
    docs = [file_doc(app, tmp_path, 2023, "12-4-17", "Курстук долбоорлоо боюнча буйрук")[0],
            file_doc(app, tmp_path, 2023, "12-4-17", "Курстук долбоорлоонун графиги")[0],
            file_doc(app, tmp_path, 2023, "12-4-28", "Материалдык база боюнча маалымкат")[0]]
    file_doc(app, tmp_path, 2023, "12-4-7", "Кафедранын отурумунун протоколу")
    close(app, 2023)
    with app.app_context(), session_scope(app) as session:
        cases = {c.index: c.id for c in session.scalars(select(Case).where(Case.year == 2023))}
    people = {"drafter": make_user("archivist").id, "commission": make_user("commission").id,
              "approver": make_user("approver").id}
    approved_inventory(app, [cases["12-4-7"]], **people)
    act_id = approved_act(app, [cases["12-4-17"], cases["12-4-28"]], **people)
    app.config["WORKER"] = "off"
    return {"id": act_id, "docs": docs, "cases": cases}


def _state(app: Flask, act_id: int) -> tuple[str, str | None, int, int | None, int]:
    """The act's status, its job's state, done and total, and how many of its documents are destroyed."""
    with app.app_context(), session_scope(app) as session:
        the_act = session.get(DisposalAct, act_id)
        assert the_act is not None
        job = the_act.job
        destroyed = session.scalar(select(func.count(Document.id)).where(Document.destroyed_by_act_id == act_id))
        return (str(the_act.status), job.state if job else None, job.done if job else 0, job.total if job else None,
                destroyed or 0)


def test_the_request_answers_at_once_and_the_worker_executes(app: Flask, act: dict[str, Any],
                                                             login_as: Any) -> None:
    officer = login_as("archivist")
    resp = officer.post(f"/disposal/acts/{act['id']}/execute", follow_redirects=True)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    # Recorded, queued, nothing destroyed yet: the page says it is being executed and refreshes itself.
    assert _state(app, act["id"]) == (ActStatus.EXECUTING, JobState.RUNNING, 0, 2, 0)
    assert 'id="act-execution"' in page and 'data-state="running"' in page and 'http-equiv="refresh"' in page
    assert 'id="execute-act"' not in page  # no second request while it runs
    with app.app_context(), session_scope(app) as session:
        start = session.scalars(select(AuditEvent).where(AuditEvent.action == "act:execute")).all()
        assert [e.detail["phase"] for e in start] == ["start"] and start[0].actor_id == officer.user.id
    jobs_page = officer.get("/jobs").get_data(as_text=True)
    assert "Execution of a destruction act" in jobs_page and "№ 7 · " in jobs_page

    worker.run_round(app)
    status, job_state, done, total, destroyed = _state(app, act["id"])
    assert (status, job_state, done, total, destroyed) == (ActStatus.EXECUTED, JobState.DONE, 2, 2, 3)
    with app.app_context(), session_scope(app) as session:
        the_act = session.get(DisposalAct, act["id"])
        assert the_act is not None and the_act.executed_by_id == officer.user.id
        assert the_act.job is not None and the_act.job.summary["documents"] == 3
        destroys = session.scalars(select(AuditEvent).where(AuditEvent.action == "case:destroy")).all()
        assert len(destroys) == 2 and {e.actor_id for e in destroys} == {officer.user.id}
    page = officer.get(f"/disposal/acts/{act['id']}").get_data(as_text=True)
    assert 'id="act-execution"' not in page and 'http-equiv="refresh"' not in page and 'id="execute-act"' not in page
    jobs_page = officer.get("/jobs").get_data(as_text=True)
    assert "documents destroyed: 3" in jobs_page
    # A second round finds nothing to do.
    worker.run_round(app)
    assert _state(app, act["id"]) == (ActStatus.EXECUTED, JobState.DONE, 2, 2, 3)


def test_a_hold_placed_before_the_worker_runs_stops_the_job(app: Flask, act: dict[str, Any],
                                                            login_as: Any) -> None:
    officer = login_as("archivist")
    assert officer.post(f"/disposal/acts/{act['id']}/execute").status_code == 302
    # The cases are destroyed in the order of the act: 12-4-17 first; the second is put under a hold.
    held = act["cases"]["12-4-28"]
    assert officer.post(f"/disposal/cases/{held}/hold", data={"reason": "Аудит"}).status_code == 302
    worker.run_round(app)
    assert _state(app, act["id"]) == (ActStatus.EXECUTING, JobState.INTERRUPTED, 1, 2, 2)
    page = officer.get(f"/disposal/acts/{act['id']}").get_data(as_text=True)
    assert 'data-state="interrupted"' in page
    blocker = page.split('id="act-blocker">', 1)[1].split("</p>", 1)[0]
    assert "12-4-28" in blocker and "under a hold" in blocker
    assert 'id="execute-act"' in page and 'http-equiv="refresh"' not in page
    # Another round leaves the stopped job alone; asking again while the hold stands is refused.
    worker.run_round(app)
    assert _state(app, act["id"])[1] == JobState.INTERRUPTED
    assert officer.post(f"/disposal/acts/{act['id']}/execute").status_code == 409

    with app.app_context(), session_scope(app) as session:
        hold_id = next(h.id for h, c in disposition.holds.standing_holds(session) if c.id == held)
    head = login_as("head")
    assert head.post(f"/disposal/holds/{hold_id}/release", data={"reason": "Бүттү"}).status_code == 302
    assert officer.post(f"/disposal/acts/{act['id']}/execute").status_code == 302
    assert _state(app, act["id"]) == (ActStatus.EXECUTING, JobState.RUNNING, 1, 2, 2)
    worker.run_round(app)
    assert _state(app, act["id"]) == (ActStatus.EXECUTED, JobState.DONE, 2, 2, 3)
    with app.app_context(), session_scope(app) as session:
        assert session.scalar(select(func.count(Job.id)).where(Job.kind == "act")) == 2  # the stopped one, the one that finished
        phases = [e.detail["phase"] for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "act:execute")
                                                             .order_by(AuditEvent.id))]
        assert phases == ["start", "done"]


def test_the_api_answers_202_and_the_act_shows_the_job(app: Flask, act: dict[str, Any], api_token: Any) -> None:
    headers = {"Authorization": f"Bearer {api_token('archivist')}"}
    client = app.test_client()
    url = f"/api/v1/acts/{act['id']}"
    resp = client.post(f"{url}/execution", json={}, headers=headers)
    assert resp.status_code == 202, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["status"] == "executing" and not body["already_done"]
    assert {k: body["execution"][k] for k in ("state", "cases_done", "cases", "documents")} == {
        "state": "running", "cases_done": 0, "cases": 2, "documents": 0}
    worker.run_round(app)
    body = client.get(url, headers=headers).get_json()
    assert body["status"] == "executed" and body["execution"]["state"] == "done"
    assert (body["execution"]["cases_done"], body["execution"]["documents"]) == (2, 3)
    again = client.post(f"{url}/execution", json={}, headers=headers)
    assert again.status_code == 200 and again.get_json()["already_done"]
    assert TODAY.isoformat() == body["destroyed_on"]
