"""Crash safety of disposition: the process executing an act killed with SIGKILL in the middle leaves a
state that is finished with every destroyed case's bytes gone, the kept ones intact, the index clean and
the audit chain whole. Two ways: the worker (``flask worker run``) killed after the records officer asked
for the execution on the web, finished by the web server's worker when it starts again; and ``flask acts
execute`` killed, finished by running the same command again."""
from __future__ import annotations

import io
import signal
import subprocess
import time
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from records import disposition
from records.blobs import get_store
from records.capture import documents
from records.db import session_scope
from records.models import ActStatus, DisposalActRow, Document, JobState
from tests.disposition_steps import approved_act, approved_inventory
from tests.integration.server_process import FLASK, ROOT, Server, consistency_problems, run_cli, server_env

YEARS = (2012, 2013, 2014)
# Items with a number of years (no ЭПК): their cases closed in YEARS are all due for destruction now.
ITEMS = ("12-4-5", "12-4-6", "12-4-8", "12-4-9", "12-4-11", "12-4-13", "12-4-14", "12-4-15", "12-4-16",
         "12-4-17", "12-4-18", "12-4-20", "12-4-24", "12-4-28", "12-4-29")


def _file(app: Flask, year: int, index: str, content: bytes, actor: Any) -> None:
    with app.app_context(), session_scope(app) as session:
        documents.file_document(app, session, year=year, index=index,
                                meta=documents.validate_metadata({"doc_type": "other", "title": f"{index} {year}"}),
                                upload=documents.Upload(io.BytesIO(content), "note.txt"), actor=actor)


@pytest.mark.slow
@pytest.mark.parametrize("killed", ["worker", "cli"])
def test_sigkill_in_the_middle_of_an_act_is_completed(app: Flask, make_user: Any, login_as: Any, db_session: Any,
                                                      killed: str) -> None:
    drafter, officer = make_user("archivist"), make_user("archivist")
    people = {"drafter": drafter.id, "commission": make_user("commission").id, "approver": make_user("approver").id}
    for year in YEARS:
        for index in ITEMS:
            _file(app, year, index, f"Акт {year} {index}: кафедранын иш кагазы\n".encode() * 20, "test")
    kept = b"Permanent protocol: kept for ever\n" * 10
    _file(app, YEARS[0], "12-4-7", kept, "test")
    with app.app_context(), session_scope(app) as session:
        for year in YEARS:
            disposition.closing.close_year(session, year, actor="test", acknowledged=True)
    with app.app_context(), session_scope(app) as session:
        due = disposition.expiry.expiry_list(session, date.today().year)
        case_ids = [row.case_id for row in due.destroy]
        permanent = [row.case_id for row in due.transfer]
        assert len(case_ids) == len(YEARS) * len(ITEMS)
    approved_inventory(app, permanent, **people)
    act_id = approved_act(app, case_ids, number="1", **people)
    synced = run_cli(app, "index", "sync")
    assert synced.returncode == 0, synced.stderr

    if killed == "worker":
        app.config["WORKER"] = "off"  # the request is recorded; the worker process executes
        client = login_as("archivist")
        officer = client.user
        assert client.post(f"/disposal/acts/{act_id}/execute").status_code == 302
        assert disposition.acts.get_act(db_session, act_id).status == ActStatus.EXECUTING
        command = ["worker", "run", "--interval", "0.2"]
    else:
        command = ["acts", "execute", str(act_id), "--by", officer.username]
    proc = subprocess.Popen([FLASK, "--app", "app", *command], cwd=ROOT, env=server_env(app),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Let the process run in slices of a few milliseconds, and kill it as soon as a first case of the
    # act has been committed: it dies in the middle of the act, whatever the machine's speed.
    executed = 0
    deadline = time.monotonic() + 300  # a guard against a hung child, not a speed requirement
    proc.send_signal(signal.SIGSTOP)
    while executed == 0 and proc.poll() is None and time.monotonic() < deadline:
        proc.send_signal(signal.SIGCONT)
        time.sleep(0.003)
        proc.send_signal(signal.SIGSTOP)
        executed = db_session.scalar(select(func.count()).select_from(DisposalActRow)
                                     .where(DisposalActRow.act_id == act_id, DisposalActRow.executed_at.is_not(None)))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    db_session.expire_all()
    rows = db_session.scalars(select(DisposalActRow).where(DisposalActRow.act_id == act_id)).all()
    done = sum(1 for r in rows if r.executed_at is not None)
    assert 0 < done < len(rows), "the process must have been killed part-way through the act"
    act = disposition.acts.get_act(db_session, act_id)
    assert act.status == ActStatus.EXECUTING
    assert act.job is not None and act.job.state == JobState.RUNNING  # nobody said it stopped

    if killed == "worker":
        # The web server starting again: its worker finishes the act before anything else.
        server = Server(app).start()
        try:
            deadline = time.monotonic() + 300
            while disposition.acts.get_act(db_session, act_id).status != ActStatus.EXECUTED:
                assert time.monotonic() < deadline, "the restarted worker did not finish the act"
                time.sleep(0.2)
                db_session.expire_all()
        finally:
            server.stop()
    else:
        again = run_cli(app, "acts", "execute", str(act_id), "--by", officer.username)
        assert again.returncode == 0, again.stderr
    assert run_cli(app, "index", "sync").returncode == 0
    db_session.expire_all()
    act = disposition.acts.get_act(db_session, act_id)
    assert act.status == ActStatus.EXECUTED and act.executed_by_id == officer.id
    assert act.job is not None and (act.job.state, act.job.done, act.job.total) == (JobState.DONE, len(rows), len(rows))
    destroyed = db_session.scalars(select(Document).where(Document.state == "destroyed")).all()
    assert len(destroyed) == len(rows)
    store = get_store(app)
    assert not any(store.exists(v.sha256) for d in destroyed for v in d.versions)
    live = db_session.scalars(select(Document).where(Document.state == "active")).all()
    assert [d.case.index for d in live] == ["12-4-7"] and store.exists(live[0].versions[0].sha256)
    with app.app_context():
        assert consistency_problems(app, db_session) == []
    verify = run_cli(app, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    third = run_cli(app, "acts", "execute", str(act_id), "--by", officer.username)
    assert third.returncode == 0 and "already executed" in third.stdout
