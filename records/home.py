"""What is waiting for each person: the home page's cards, by role.

Roles are compared as strings so that roles added later (``commission``, ``approver``) find their card
as soon as they exist. Each card is a small query; none of them loads a whole table.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.disposition.closing import Checklist, closing_checklist
from records.disposition.expiry import expiry_list
from records.models import (
    ActStatus,
    ArchiveInventory,
    AuditAction,
    AuditEvent,
    Case,
    CaseState,
    DisposalAct,
    Document,
    DocumentState,
    InventoryStatus,
    Nomenclature,
    NomenclatureStatus,
    TextStatus,
    User,
)

LIMIT = 8
# The step of an act or an inventory that waits for each role: the expert commission agrees drafts, the
# head of the organisation approves what the commission agreed.
WAITING_STEP = {"commission": (ActStatus.DRAFT, InventoryStatus.DRAFT),
                "approver": (ActStatus.AGREED, InventoryStatus.AGREED)}


@dataclass
class Home:
    """The cards of one person's home page; a card is shown when its field is not None."""

    recent_filings: list[Document] | None = None
    failed_text: list[Document] | None = None
    undated: list[Document] | None = None
    undated_total: int = 0
    recent_searches: list[str] | None = None
    recent_events: list[AuditEvent] | None = None
    checklist: Checklist | None = None
    expiry: dict[str, int] | None = None
    acts_by_state: dict[str, int] | None = None
    paper_without_sheets: list[Case] | None = None
    acts_waiting: list[DisposalAct] | None = None
    inventories_waiting: list[ArchiveInventory] | None = None
    nomenclatures_waiting: list[Nomenclature] | None = None
    users: dict[str, int] | None = None
    checks: dict[str, AuditEvent | None] = field(default_factory=dict)


def _live_documents(session: Session, *where: Any, order: Any, limit: int = LIMIT) -> list[Document]:
    return list(session.scalars(select(Document).where(Document.state == DocumentState.ACTIVE, *where)
                                .order_by(order).limit(limit)))


def _last_event(session: Session, action: str) -> AuditEvent | None:
    return session.scalar(select(AuditEvent).where(AuditEvent.action == action)
                          .order_by(AuditEvent.id.desc()).limit(1))


def for_user(session: Session, user: User, *, today: date | None = None) -> Home:
    today = today or date.today()
    roles = {str(role) for role in user.roles}
    home = Home()
    if "secretary" in roles:
        home.recent_filings = _live_documents(session, Document.created_by_id == user.id,
                                              order=Document.id.desc())
        home.failed_text = _live_documents(session, Document.text_status == TextStatus.FAILED, order=Document.id.desc())
        home.undated = _live_documents(session, Document.doc_date.is_(None), order=Document.id.desc())
        home.undated_total = session.scalar(select(func.count(Document.id)).where(
            Document.state == DocumentState.ACTIVE, Document.doc_date.is_(None))) or 0
    if "auditor" in roles:
        searches = session.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.SEARCH_QUERY,
                                                            AuditEvent.actor_id == user.id)
                                   .order_by(AuditEvent.id.desc()).limit(40))
        seen: list[str] = []
        for event in searches:
            q = str((event.detail or {}).get("query") or "").strip()
            if q and q not in seen:
                seen.append(q)
        home.recent_searches = seen[:LIMIT]
        home.recent_events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(LIMIT)))
    if "archivist" in roles:
        home.checklist = closing_checklist(session, today.year - 1)
        report = expiry_list(session, today.year)
        home.expiry = {name.value: len(rows) for name, rows in report.parts()}
        home.acts_by_state = dict(session.execute(select(DisposalAct.status, func.count(DisposalAct.id))
                                                  .group_by(DisposalAct.status)).tuples().all())
        home.paper_without_sheets = list(session.scalars(
            select(Case).where(Case.is_paper.is_(True), Case.sheets.is_(None),
                               Case.state.in_([CaseState.OPEN, CaseState.CLOSED]))
            .order_by(Case.year.desc(), Case.index).limit(LIMIT)))
    waiting = [WAITING_STEP[role] for role in sorted(roles & WAITING_STEP.keys())]
    if waiting:
        home.acts_waiting = list(session.scalars(select(DisposalAct).where(
            DisposalAct.status.in_([act for act, _ in waiting])).order_by(DisposalAct.act_date)))
        home.inventories_waiting = list(session.scalars(select(ArchiveInventory).where(
            ArchiveInventory.status.in_([inventory for _, inventory in waiting])).order_by(ArchiveInventory.id)))
    if "head" in roles:
        home.nomenclatures_waiting = list(session.scalars(select(Nomenclature).where(
            Nomenclature.status == NomenclatureStatus.DRAFT).order_by(Nomenclature.year)))
    if "admin" in roles:
        rows = session.execute(select(User.active, func.count(User.id)).group_by(User.active)).tuples().all()
        home.users = {"active": sum(n for active, n in rows if active), "inactive": sum(n for active, n in rows if not active)}
        home.checks = {action: _last_event(session, action)
                       for action in (AuditAction.BACKUP_CREATE, AuditAction.AUDIT_VERIFY, AuditAction.STORAGE_VERIFY)}
    return home
