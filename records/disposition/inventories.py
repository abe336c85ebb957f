"""Inventories of permanent cases and the transfer of their cases to the university archive.

The records officer drafts an inventory of closed permanent cases; the expert commission agrees it in a
protocol; the head of the organisation approves it (never its drafter); then the records officer hands
its cases to the archive. A destruction act of a year is approved only once every permanent case of that
year is in an approved inventory (:func:`outside_approved_inventories`).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from records import accounts, audit
from records.db import utcnow
from records.disposition.holds import held_case_ids
from records.disposition.papers import MAX_NUMBER, check_agreement, clean_number
from records.disposition.rules import case_rule, place_case
from records.errors import Conflict, Forbidden, NotFound, UserError
from records.i18n import _l
from records.models import ArchiveInventory, AuditAction, Case, CaseState, InventoryStatus, NomenclatureItem, User
from records.permissions import Paper
from records.retention import RetentionKind

# An inventory in one of these states still lists its cases; a rejected one lists none.
_LISTING = (InventoryStatus.DRAFT, InventoryStatus.AGREED, InventoryStatus.APPROVED,
            InventoryStatus.TRANSFERRED)
_APPROVED = (InventoryStatus.APPROVED, InventoryStatus.TRANSFERRED)


def list_inventories(session: Session) -> list[ArchiveInventory]:
    return list(session.scalars(select(ArchiveInventory).order_by(ArchiveInventory.year.desc(),
                                                                  ArchiveInventory.id.desc())))


def get_inventory(session: Session, inventory_id: int) -> ArchiveInventory:
    inventory = session.get(ArchiveInventory, inventory_id)
    if inventory is None:
        raise NotFound("no_inventory", _l("There is no such inventory."))
    return inventory


def inventory_cases(session: Session, inventory: ArchiveInventory) -> list[Case]:
    return list(session.scalars(
        select(Case).join(NomenclatureItem, NomenclatureItem.id == Case.item_id)
        .where(Case.inventory_id == inventory.id).order_by(Case.year, NomenclatureItem.position, Case.volume)
    ))


def listed_case_ids(session: Session, case_ids: Iterable[int]) -> set[int]:
    """Those of ``case_ids`` an inventory (drafted, agreed, approved or transferred) already lists."""
    ids = list(case_ids)
    if not ids:
        return set()
    listing = select(ArchiveInventory.id).where(ArchiveInventory.status.in_(_LISTING))
    return set(session.scalars(select(Case.id).where(Case.id.in_(ids), Case.inventory_id.in_(listing))))


def outside_approved_inventories(session: Session, years: Sequence[int]) -> list[Case]:
    """Closed permanent cases of ``years`` that no approved inventory lists yet."""
    if not years:
        return []
    approved = select(ArchiveInventory.id).where(ArchiveInventory.status.in_(_APPROVED))
    return list(session.scalars(
        select(Case).where(Case.permanent.is_(True), Case.year.in_(list(years)),
                           Case.state.in_([CaseState.CLOSED, CaseState.TRANSFERRED]),
                           or_(Case.inventory_id.is_(None), Case.inventory_id.not_in(approved)))
        .order_by(Case.year, Case.index, Case.volume)
    ))


def _check_listable(case: Case, year: int, held: set[int]) -> None:
    name = {"index": case.index, "year": case.year}
    if case.state != CaseState.CLOSED:
        raise Conflict("not_closed", _l("Case %(index)s of %(year)s is not a closed case kept here.", **name))
    if case_rule(case).kind is not RetentionKind.PERMANENT:
        raise Conflict("not_permanent", _l("Case %(index)s of %(year)s is not kept permanently.", **name))
    if case.id in held:
        raise Conflict("held", _l("Case %(index)s of %(year)s is under a hold.", **name))
    if place_case(case_rule(case), case.closed_year, year) is None:
        raise Conflict("not_due", _l("Case %(index)s of %(year)s closed too recently to be transferred.", **name))


def draft_inventory(session: Session, *, number: str, inventory_date: date, case_ids: Iterable[int], actor: User,
                    note: str = "", today: date | None = None) -> ArchiveInventory:
    """Draw up the inventory of closed permanent cases for the commission's agreement."""
    number = clean_number(number, _l("Give the inventory a number (up to %(n)s characters).", n=MAX_NUMBER))
    if inventory_date > (today or date.today()):
        raise UserError("future_date", _l("An inventory cannot be dated in the future."))
    year = inventory_date.year
    ids = sorted({int(c) for c in case_ids})
    if not ids:
        raise UserError("no_cases", _l("Choose at least one case for the inventory."))
    if session.scalar(select(ArchiveInventory.id).where(ArchiveInventory.number == number,
                                                        ArchiveInventory.year == year)):
        raise Conflict("inventory_exists", _l("An inventory No. %(number)s of %(year)s already exists.",
                                              number=number, year=year))
    cases = list(session.scalars(select(Case).where(Case.id.in_(ids))))
    if len(cases) != len(ids):
        raise NotFound("no_case", _l("There is no such case."))
    held = held_case_ids(session, ids)
    listed = listed_case_ids(session, ids)
    for case in cases:
        _check_listable(case, year, held)
        if case.id in listed:
            raise Conflict("in_other_inventory", _l("Case %(index)s of %(year)s is already in another inventory.",
                                                    index=case.index, year=case.year))
    inventory = ArchiveInventory(number=number, year=year, inventory_date=inventory_date,
                                 status=InventoryStatus.DRAFT, created_by_id=actor.id, note=" ".join(note.split()))
    session.add(inventory)
    session.flush()
    for case in cases:
        case.inventory_id = inventory.id
    audit.record(session, AuditAction.INVENTORY_DRAFT, inventory, actor=actor, number=number, year=year, cases=ids)
    return inventory


def agree_inventory(session: Session, inventory: ArchiveInventory, *, protocol_number: Any,
                    protocol_date: date | None, actor: User, today: date | None = None) -> None:
    flags, number, on = check_agreement(
        inventory.status == InventoryStatus.DRAFT, inventory.created_by_id, actor, protocol_number, protocol_date,
        today=today, not_draft=_l("Only a draft inventory can be agreed."),
        self_agreement=_l("The inventory must be agreed by someone other than its drafter."))
    inventory.protocol_number, inventory.protocol_date = number, on
    inventory.status = InventoryStatus.AGREED
    inventory.agreed_by_id, inventory.agreed_at = actor.id, utcnow()
    audit.record(session, AuditAction.INVENTORY_AGREE, inventory, actor=actor, number=inventory.number, protocol=number,
                 protocol_date=on.isoformat(), **flags)


def approve_inventory(session: Session, inventory: ArchiveInventory, *, actor: User) -> None:
    if inventory.created_by_id == actor.id:
        raise Forbidden("self_approval", _l("The inventory must be approved by someone other than its drafter."))
    if inventory.status != InventoryStatus.AGREED:
        raise Conflict("not_agreed", _l("Only an inventory agreed by the expert commission can be approved."))
    flags = accounts.approval_flags(actor, Paper.DISPOSAL)
    inventory.status = InventoryStatus.APPROVED
    inventory.approved_by_id, inventory.approved_at = actor.id, utcnow()
    audit.record(session, AuditAction.INVENTORY_APPROVE, inventory, actor=actor, number=inventory.number,
                 cases=[c.id for c in inventory_cases(session, inventory)], **flags)


def reject_inventory(session: Session, inventory: ArchiveInventory, *, actor: User, reason: str) -> None:
    """Send a draft or agreed inventory back; its cases become free for another inventory."""
    if inventory.status not in (InventoryStatus.DRAFT, InventoryStatus.AGREED):
        raise Conflict("not_draft", _l("Only an inventory not yet approved can be rejected."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise UserError("no_reason", _l("Write why the inventory is rejected."))
    listed = inventory_cases(session, inventory)
    for case in listed:
        case.inventory_id = None
    inventory.status = InventoryStatus.REJECTED
    inventory.note = f"{inventory.note}\n{reason}".strip()
    audit.record(session, AuditAction.INVENTORY_REJECT, inventory, actor=actor, number=inventory.number, reason=reason,
                 cases=[c.id for c in listed])


def transfer_inventory(session: Session, inventory: ArchiveInventory, *, actor: User) -> list[Case]:
    """Hand the cases of an approved inventory to the university archive.

    Transferred cases keep their documents, files and index entries: they stay searchable.
    """
    if inventory.status != InventoryStatus.APPROVED:
        raise Conflict("not_approved", _l("Only the cases of an approved inventory can be handed to the archive."))
    listed = inventory_cases(session, inventory)
    held = held_case_ids(session, [c.id for c in listed])
    for case in listed:
        if case.id in held:
            raise Conflict("held", _l("Case %(index)s of %(year)s is under a hold.", index=case.index,
                                      year=case.year))
    now = utcnow()
    for case in listed:
        case.state = CaseState.TRANSFERRED
        case.transferred_at = now
        audit.record(session, AuditAction.CASE_TRANSFER, case, actor=actor, index=case.index, year=case.year,
                     inventory_id=inventory.id, inventory_number=inventory.number)
    inventory.status = InventoryStatus.TRANSFERRED
    inventory.transferred_by_id, inventory.transferred_at = actor.id, now
    audit.record(session, AuditAction.INVENTORY_TRANSFER, inventory, actor=actor, number=inventory.number,
                 cases=[c.id for c in listed])
    return listed


def inventory_json(session: Session, inventory: ArchiveInventory) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    def person(user: User | None) -> str | None:
        return user.username if user is not None else None

    return {
        "id": inventory.id, "number": inventory.number, "year": inventory.year,
        "date": when(inventory.inventory_date), "status": str(inventory.status), "note": inventory.note,
        "drafted_by": person(inventory.created_by), "protocol_number": inventory.protocol_number,
        "protocol_date": when(inventory.protocol_date), "agreed_by": person(inventory.agreed_by),
        "agreed_at": when(inventory.agreed_at), "approved_by": person(inventory.approved_by),
        "approved_at": when(inventory.approved_at), "transferred_at": when(inventory.transferred_at),
        "cases": [{"case_id": c.id, "index": c.index, "year": c.year, "volume": c.volume, "state": str(c.state),
                   "sheets": c.sheets} for c in inventory_cases(session, inventory)],
    }
