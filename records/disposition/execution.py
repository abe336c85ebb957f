"""Execution of an approved destruction act: idempotent and resumable.

Each case is destroyed in a transaction of its own: its documents become tombstones (metadata kept, state
``destroyed``, the act and the time recorded), the extracted text of their files is deleted, index
deletions go into the outbox, and every blob that no live document holds any more is marked deleted. The
bytes are removed from the blob store only after that commit: a crash in between leaves an orphan blob
already marked deleted in the catalogue, which the next run of the same act (or ``storage gc``) removes.
A second run of a finished act changes nothing.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask import Flask
from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from records import audit
from records.db import session_scope, utcnow
from records.disposition.acts import check_destroyable, get_act
from records.disposition.holds import held_case_ids
from records.errors import Conflict, UserError
from records.i18n import _l
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
    TextStatus,
    User,
)
from records.search import indexing


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


def execute_act(app: Flask, act_id: int, *, actor_id: int, method: str | None = None,
                destroyed_on: date | None = None) -> Execution:
    """Destroy everything an approved act destroys, one case per transaction; safe to run again.

    ``method`` and ``destroyed_on`` record how the paper cases went (see :func:`destruction_record`); a
    run that resumes an interrupted one keeps what the first run recorded. Runs in sessions of its own
    (the caller must hold no open transaction on SQLite).
    """
    result = Execution(act_id=act_id)
    with session_scope(app) as session:
        act = get_act(session, act_id)
        actor = session.get(User, actor_id)
        if act.status == ActStatus.EXECUTED:
            result.already_done = True
            pending: list[int] = []
        else:
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
                act.destruction_method, act.destroyed_on = chosen.value, on
                act.status = ActStatus.EXECUTING
                act.executed_by_id = actor_id
                audit.record(session, AuditAction.ACT_EXECUTE, act, actor=actor, number=act.number, phase="start",
                             cases=len(pending), method=chosen.value, destroyed_on=on.isoformat())
    for row_id in pending:
        with session_scope(app) as session:
            row = session.get(DisposalActRow, row_id)
            assert row is not None
            if row.executed_at is not None:  # another run got here first
                continue
            act = row.act
            # Checked again per case: a hold placed while the act runs still stops its case.
            check_destroyable(session, row.case, act.year)
            released = _destroy_case(session, act, row, session.get(User, actor_id), result)
        with session_scope(app) as session:
            _delete_bytes(app, session, released, result)
    with session_scope(app) as session:
        act = get_act(session, act_id)
        # Bytes a crashed run left behind after its commit are removed on every run.
        _delete_bytes(app, session, _act_blobs_marked_deleted(session, act_id), result)
        if act.status != ActStatus.EXECUTED:
            act.status = ActStatus.EXECUTED
            act.executed_at = utcnow()
            act.executed_by_id = act.executed_by_id or actor_id
            audit.record(session, AuditAction.ACT_EXECUTE, act, actor=session.get(User, actor_id), number=act.number,
                         phase="done", cases=result.cases, documents=result.documents,
                         blobs_deleted=result.blobs_deleted, blobs_shared=result.blobs_shared)
    if result.documents:
        from records import worker

        worker.kick(app)
    return result
