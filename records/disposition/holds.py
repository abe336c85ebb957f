"""Holds: a legal, audit or accreditation hold freezes a case (or one document, and with it its case)
against destruction and transfer for as long as it stands."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from records import audit
from records.db import utcnow
from records.errors import Conflict, NotFound, UserError
from records.i18n import _l
from records.models import AuditAction, Case, CaseState, Document, DocumentState, Hold, User


def held_case_ids(session: Session, case_ids: Iterable[int] | None = None) -> set[int]:
    """Cases under a standing hold, on the case itself or on any of its documents."""
    direct = select(Hold.case_id).where(Hold.released_at.is_(None), Hold.case_id.is_not(None))
    via_documents = (select(Document.case_id).join(Hold, Hold.document_id == Document.id)
                     .where(Hold.released_at.is_(None)))
    if case_ids is not None:
        ids = list(case_ids)
        direct = direct.where(Hold.case_id.in_(ids))
        via_documents = via_documents.where(Document.case_id.in_(ids))
    return {cid for cid in session.scalars(direct.union(via_documents)) if cid is not None}


def is_held(session: Session, case: Case) -> bool:
    return bool(held_case_ids(session, [case.id]))


def active_holds(session: Session, case: Case) -> list[Hold]:
    """Standing holds on the case and on its documents."""
    doc_ids = select(Document.id).where(Document.case_id == case.id)
    return list(session.scalars(
        select(Hold).where(Hold.released_at.is_(None),
                           or_(Hold.case_id == case.id, Hold.document_id.in_(doc_ids)))
        .order_by(Hold.placed_at)
    ))


def place_hold(session: Session, *, reason: str, requested_by: str, actor: User, case: Case | None = None,
               document: Document | None = None) -> Hold:
    """Freeze a case, or one document (and with it its case), against destruction and transfer."""
    reason = " ".join((reason or "").split())
    requested_by = " ".join((requested_by or "").split())[:300]
    if not reason:
        raise UserError("no_reason", _l("Write the reason for the hold (the audit, dispute or review)."))
    if (case is None) == (document is None):
        raise UserError("hold_target", _l("A hold is placed on one case or one document."))
    target_case = case if case is not None else document.case  # type: ignore[union-attr]
    if target_case.state == CaseState.DESTROYED or (document is not None and document.state != DocumentState.ACTIVE):
        raise Conflict("destroyed", _l("A destroyed record cannot be held."))
    hold = Hold(case_id=case.id if case is not None else None,
                document_id=document.id if document is not None else None,
                reason=reason, requested_by=requested_by, placed_by_id=actor.id)
    session.add(hold)
    session.flush()
    audit.record(session, AuditAction.HOLD_PLACE, hold, actor=actor, case_id=target_case.id, index=target_case.index,
                 year=target_case.year, document_id=hold.document_id, reason=reason, requested_by=requested_by)
    return hold


def release_hold(session: Session, hold: Hold, *, reason: str, actor: User) -> None:
    if hold.released_at is not None:
        raise Conflict("released", _l("This hold was already released."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise UserError("no_reason", _l("Write why the hold is released."))
    hold.released_at = utcnow()
    hold.released_by_id = actor.id
    hold.release_reason = reason
    audit.record(session, AuditAction.HOLD_RELEASE, hold, actor=actor, case_id=hold.case_id, document_id=hold.document_id,
                 reason=reason)


def get_hold(session: Session, hold_id: int) -> Hold:
    hold = session.get(Hold, hold_id)
    if hold is None:
        raise NotFound("no_hold", _l("There is no such hold."))
    return hold


def standing_holds(session: Session) -> list[tuple[Hold, Case]]:
    """Every standing hold with the case it freezes (a document's hold freezes the document's case)."""
    rows = session.execute(
        select(Hold, Case)
        .outerjoin(Document, Document.id == Hold.document_id)
        .join(Case, Case.id == func.coalesce(Hold.case_id, Document.case_id))
        .where(Hold.released_at.is_(None)).order_by(Hold.placed_at.desc())
    ).all()
    return [(hold, case) for hold, case in rows]
