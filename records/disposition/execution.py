"""Execution of an approved destruction act: a job on the worker, idempotent and resumable.

The records officer's request (:func:`request_execution`) is checked and recorded at once: who executes,
how and when the paper cases were destroyed, and a queued job. The worker (the web process's background
thread, or ``flask worker run``) then runs :func:`run_execution`; ``flask acts execute`` runs it in the
foreground. One process at a time runs an act (a session lock on PostgreSQL, a lock file beside SQLite's
data, both released when the process dies), so a crash leaves the job marked running for the next worker
round, or the next start, to finish.

Each case is destroyed in a transaction of its own: its documents become tombstones (metadata kept, state
``destroyed``, the act and the time recorded), the extracted text of their files is deleted, index
deletions go into the outbox, and every blob that no live document holds any more is marked deleted. The
bytes are removed from the blob store only after that commit: a crash in between leaves an orphan blob
already marked deleted in the catalogue, which the next run of the same act (or ``storage gc``) removes.
A second run of a finished act changes nothing. The job's row counts the cases done and what went.
"""
from __future__ import annotations

import fcntl
import io
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

from flask import Flask, has_app_context
from sqlalchemy import delete, exists, select, text, update
from sqlalchemy.orm import Session

from records import audit, jobs
from records.db import get_database, session_scope, utcnow
from records.disposition.acts import check_destroyable, get_act
from records.disposition.holds import held_case_ids
from records.errors import Conflict, UserError
from records.i18n import _, _l
from records.models import (
    ActStatus,
    AuditAction,
    Blob,
    CaseState,
    DestructionMethod,
    DisposalAct,
    DisposalActRow,
    Document,
    DocumentFile,
    DocumentState,
    DocumentText,
    Job,
    JobState,
    TextStatus,
    User,
)
from records.search import indexing

log = logging.getLogger(__name__)
JOB_KIND = "act"  # the kind of the job rows of act executions
_PG_LOCK = 727301  # with the act's id, the session lock of its execution on PostgreSQL


@dataclass
class Execution:
    """What one run of :func:`execute_act` did."""

    act_id: int
    cases: int = 0
    documents: int = 0
    blobs_deleted: int = 0
    blobs_shared: int = 0
    already_done: bool = False


def _destroy_case(session: Session, act: DisposalAct, row: DisposalActRow, actor: User | None,
                  result: Execution) -> set[str]:
    """Turn the case's documents into tombstones; return the blobs no live document holds any more."""
    case = row.case
    now = utcnow()
    docs = list(session.scalars(select(Document).where(Document.case_id == case.id, Document.state == DocumentState.ACTIVE)))
    doc_ids = [d.id for d in docs]
    versions = list(session.scalars(select(DocumentFile).where(DocumentFile.document_id.in_(doc_ids)))) \
        if doc_ids else []
    if versions:
        # The text must not outlive the document.
        session.execute(delete(DocumentText).where(DocumentText.file_id.in_([v.id for v in versions])))
        session.execute(update(DocumentFile)
                        .where(DocumentFile.id.in_([v.id for v in versions]),
                               DocumentFile.text_status == TextStatus.PENDING)
                        .values(text_status=TextStatus.NONE))
    for doc in docs:
        doc.state = DocumentState.DESTROYED
        doc.destroyed_at = now
        doc.destroyed_by_act_id = act.id
        indexing.enqueue(session, doc.id, "delete")
    case.state = CaseState.DESTROYED
    case.destroyed_at = now
    case.destroyed_by_act_id = act.id
    row.executed_at = now
    session.flush()
    released: set[str] = set()
    for sha in sorted({v.sha256 for v in versions}):
        if _has_live_holder(session, sha):
            result.blobs_shared += 1
            continue
        blob = session.get(Blob, sha)
        if blob is not None and blob.deleted_at is None:
            blob.deleted_at = now
        released.add(sha)
    result.cases += 1
    result.documents += len(docs)
    audit.record(session, AuditAction.CASE_DESTROY, case, actor=actor, act_id=act.id, act_number=act.number,
                 index=case.index, year=case.year, documents=doc_ids, blobs_released=sorted(released))
    return released


def _has_live_holder(session: Session, sha256: str) -> bool:
    return bool(session.scalar(select(exists().where(
        DocumentFile.sha256 == sha256, DocumentFile.document_id == Document.id, Document.state == DocumentState.ACTIVE))))


def _delete_bytes(app: Flask, session: Session, shas: Iterable[str], result: Execution) -> None:
    """Remove bytes the catalogue already marked deleted, unless the same bytes came back meanwhile."""
    from records.blobs import get_store
    from records.capture import previews

    store = get_store(app)
    for sha in shas:
        blob = session.get(Blob, sha)
        if blob is not None and blob.deleted_at is None:
            continue  # filed again since: the bytes belong to a live document now
        if _has_live_holder(session, sha):
            continue
        if store.delete(sha):
            result.blobs_deleted += 1
        previews.forget(app, sha)  # the page pictures are a copy of the destroyed content


def _act_blobs_marked_deleted(session: Session, act_id: int) -> list[str]:
    return list(session.scalars(
        select(DocumentFile.sha256).distinct()
        .join(Document, Document.id == DocumentFile.document_id)
        .join(Blob, Blob.sha256 == DocumentFile.sha256)
        .where(Document.destroyed_by_act_id == act_id, Blob.deleted_at.is_not(None))
    ))


def destruction_record(act: DisposalAct, method: str | None, destroyed_on: date | None,
                       today: date | None = None) -> tuple[DestructionMethod, date]:
    """How and when the act's cases are destroyed: paper cases need the method (shredding, or handed for
    recycling) and the date; an act of electronic files only records their deletion today."""
    today = today or date.today()
    if not any(row.case.is_paper for row in act.destroy_rows):
        return DestructionMethod.DELETED, today
    try:
        chosen = DestructionMethod(method or "")
    except ValueError:
        chosen = DestructionMethod.DELETED
    if chosen is DestructionMethod.DELETED:
        raise UserError("no_method", _l("The act lists paper cases: record how they were destroyed (shredded, or "
                                        "handed over for recycling)."))
    if destroyed_on is None:
        raise UserError("no_date", _l("Give the date the paper cases were destroyed."))
    if destroyed_on > today or (act.approved_at is not None and destroyed_on < act.approved_at.date()):
        raise UserError("bad_date", _l("The paper cases are destroyed between the act's approval and today."))
    return chosen, destroyed_on


def request_execution(session: Session, act: DisposalAct, *, actor: User, method: str | None = None,
                      destroyed_on: date | None = None) -> Job | None:
    """Check that ``act`` may be executed now and queue its execution for the worker; returns the job, or
    None when the act was executed already.

    The first request of an approved act records who executes it and ``method`` and ``destroyed_on``, how
    the paper cases went (see :func:`destruction_record`); a request that finishes an interrupted
    execution keeps what the first one recorded. Every case still to destroy is checked again here, so a
    hold placed meanwhile is refused at once, as before anything is destroyed.
    """
    actor_id = actor.id
    if act.status == ActStatus.EXECUTED:
        return None
    if act.status not in (ActStatus.APPROVED, ActStatus.EXECUTING):
        raise Conflict("not_approved", _l("The act must be approved before it is executed."))
    rows = act.destroy_rows
    pending = [r.id for r in rows if r.executed_at is None]
    held = held_case_ids(session, [r.case_id for r in rows])
    for row in rows:
        if row.executed_at is None:
            check_destroyable(session, row.case, act.year, held=held)
    if act.status == ActStatus.APPROVED:
        chosen, on = destruction_record(act, method, destroyed_on)
        act.destruction_method, act.destroyed_on = chosen, on
        act.status = ActStatus.EXECUTING
        act.executed_by_id = actor_id
        audit.record(session, AuditAction.ACT_EXECUTE, act, actor=actor, number=act.number, phase="start",
                     cases=len(pending), method=chosen.value, destroyed_on=on.isoformat())
    return _queue(session, act, done=len(rows) - len(pending), total=len(rows))


def _queue(session: Session, act: DisposalAct, *, done: int, total: int) -> Job:
    """The act's running job, or a new one that goes on from where an interrupted one stopped."""
    previous = act.job
    if previous is not None and previous.state == JobState.RUNNING:
        return previous
    job = Job(kind=JOB_KIND, label=f"№ {act.number} · {act.act_date.isoformat()}", total=total, done=done,
              summary=dict(previous.summary or {}) if previous is not None else {})
    session.add(job)
    act.job = job
    session.flush()
    return job


def queued_acts(session: Session) -> list[int]:
    """Acts whose execution was requested and is not finished: waiting for the worker, running, or cut
    off by a crash (their job is still marked running)."""
    return list(session.scalars(
        select(DisposalAct.id).join(Job, Job.id == DisposalAct.job_id)
        .where(DisposalAct.status == ActStatus.EXECUTING.value, Job.state == JobState.RUNNING.value)
        .order_by(DisposalAct.id)))


@contextmanager
def _turn(app: Flask, act_id: int, *, wait: bool) -> Iterator[bool]:
    """Whether this process may run the act's execution now: one process at a time, on a lock that goes
    with the process if it dies (so a crashed run never blocks the next). ``wait`` waits for the turn."""
    database = get_database(app)
    if database.dialect == "postgresql":
        with database.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")  # a session lock, outside any transaction
            key = {"kind": _PG_LOCK, "act": act_id}
            if wait:
                conn.execute(text("SELECT pg_advisory_lock(:kind, :act)"), key)
                mine = True
            else:
                mine = bool(conn.execute(text("SELECT pg_try_advisory_lock(:kind, :act)"), key).scalar())
            try:
                yield mine
            finally:
                if mine:
                    conn.execute(text("SELECT pg_advisory_unlock(:kind, :act)"), key)
        return
    path = Path(app.config["DATA_DIR"]) / "act-execution.lock"
    with path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def run_execution(app: Flask, act_id: int, *, actor_id: int | None = None, wait: bool = True,
                  stream: TextIO | None = None) -> Execution | None:
    """Destroy everything a requested execution destroys, one case per transaction; safe to run again.

    Runs in sessions of its own (the caller must hold no open transaction on SQLite), as the act's
    executor unless ``actor_id`` says who resumes it. Returns None when ``wait`` is false and another
    process is running the act. Progress goes to the act's job (and to ``stream``, standard error by
    default); a failure marks the job interrupted and is raised.
    """
    with _turn(app, act_id, wait=wait) as mine:
        if not mine:
            return None
        return _run(app, act_id, actor_id, stream)


def _run(app: Flask, act_id: int, actor_id: int | None, stream: TextIO | None) -> Execution:
    result = Execution(act_id=act_id)
    with session_scope(app) as session:
        act = get_act(session, act_id)
        if act.status == ActStatus.EXECUTED:
            result.already_done = True
            return result
        if act.status != ActStatus.EXECUTING or act.job is None:
            raise Conflict("not_requested", _l("The act's execution has not been requested."))
        actor_id = actor_id or act.executed_by_id
        assert actor_id is not None  # recorded with the request
        rows = act.destroy_rows
        pending = [r.id for r in rows if r.executed_at is None]
        job_id, base = act.job.id, Counter(act.job.summary or {})
        label = _("Executing act No. %(number)s", number=act.number)
    progress = jobs.Progress(label, len(rows), app=app, job_id=job_id, stream=stream, save_every=0)
    progress.done = len(rows) - len(pending)

    def advance(cases: int) -> None:
        progress.counts = base + Counter({"documents": result.documents, "files_deleted": result.blobs_deleted,
                                          "files_kept_shared": result.blobs_shared})
        progress.advance(n=cases)

    try:
        for row_id in pending:
            with session_scope(app) as session:
                row = session.get(DisposalActRow, row_id, with_for_update=True)
                assert row is not None
                if row.executed_at is not None:  # another run got here first
                    continue
                act = row.act
                # Checked again per case: a hold placed while the act runs still stops its case.
                check_destroyable(session, row.case, act.year)
                released = _destroy_case(session, act, row, session.get(User, actor_id), result)
            with session_scope(app) as session:
                _delete_bytes(app, session, released, result)
            advance(1)
        with session_scope(app) as session:
            act = session.get(DisposalAct, act_id, with_for_update=True)
            assert act is not None
            # Bytes a crashed run left behind after its commit are removed on every run.
            _delete_bytes(app, session, _act_blobs_marked_deleted(session, act_id), result)
            if act.status != ActStatus.EXECUTED:
                act.status = ActStatus.EXECUTED
                act.executed_at = utcnow()
                act.executed_by_id = act.executed_by_id or actor_id
                audit.record(session, AuditAction.ACT_EXECUTE, act, actor=session.get(User, actor_id), number=act.number,
                             phase="done", cases=result.cases, documents=result.documents,
                             blobs_deleted=result.blobs_deleted, blobs_shared=result.blobs_shared)
    except BaseException:
        progress.finish(interrupted=True)
        raise
    advance(0)
    progress.finish()
    return result


def execute_act(app: Flask, act_id: int, *, actor_id: int, method: str | None = None,
                destroyed_on: date | None = None, stream: TextIO | None = None) -> Execution:
    """Request the act's execution and run it here, in the foreground (``flask acts execute``); safe to
    run again, and it finishes an interrupted execution. Waits while another process runs the act."""
    with session_scope(app) as session:
        actor = session.get(User, actor_id)
        assert actor is not None
        request_execution(session, get_act(session, act_id), actor=actor, method=method, destroyed_on=destroyed_on)
    result = run_execution(app, act_id, actor_id=actor_id, stream=stream)
    assert result is not None  # it waited for its turn
    if result.documents:
        from records import worker

        worker.kick(app)
    return result


def run_queued(app: Flask) -> int:
    """The worker's part: run every requested execution no other process is running; returns how many
    acts it ran. A failure (a hold placed meanwhile, say) leaves its act interrupted, for the records
    officer to finish from the act's page, and does not stop the others."""
    with session_scope(app) as session:
        act_ids = queued_acts(session)
    ran = 0
    # The background thread has no app context; the job's label and the audit need one.
    with app.app_context() if act_ids and not has_app_context() else nullcontext():
        for act_id in act_ids:
            try:
                result = run_execution(app, act_id, wait=False, stream=io.StringIO())
            except Exception:
                log.exception("the execution of act %s stopped", act_id)
                continue
            ran += result is not None
    return ran


def progress(act: DisposalAct) -> dict[str, object] | None:
    """What the act's page and the API show of its execution: the job's state (``running``,
    ``stalled``, ``interrupted``, ``done``), cases done of all, and what was destroyed so far."""
    if act.job is None:
        return None
    described = jobs.describe(act.job)
    summary = act.job.summary or {}
    running = act.status == ActStatus.EXECUTING and described["state"] == JobState.RUNNING
    return {"state": described["state"], "running": running, "cases_done": act.job.done, "cases": act.job.total,
            "percent": described["percent"], "documents": summary.get("documents", 0),
            "files_deleted": summary.get("files_deleted", 0),
            "files_kept_shared": summary.get("files_kept_shared", 0),
            "started_at": act.job.started_at, "finished_at": act.job.finished_at}


def blocker(session: Session, act: DisposalAct) -> str | None:
    """Why an interrupted execution cannot go on now (a case put under a hold, say), or None."""
    if act.status != ActStatus.EXECUTING:
        return None
    rows = [r for r in act.destroy_rows if r.executed_at is None]
    held = held_case_ids(session, [r.case_id for r in rows])
    for row in rows:
        try:
            check_destroyable(session, row.case, act.year, held=held)
        except UserError as exc:
            return str(exc.message)
    return None
