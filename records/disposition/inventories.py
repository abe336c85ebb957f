"""Inventories of permanent cases and their transfer to the university archive."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from records import audit, nomenclature
from records.db import utcnow
from records.disposition.holds import held_case_ids
from records.disposition.rules import MAX_NUMBER, case_rule, place_case
from records.errors import Conflict, NotFound, UserError
from records.i18n import _l
from records.models import ArchiveInventory, Case, CaseState, NomenclatureItem, User
from records.retention import RetentionKind


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


def transfer_cases(session: Session, *, number: str, year: int, case_ids: Iterable[int], actor: User,
                   note: str = "") -> ArchiveInventory:
    """Draw up the inventory of permanent cases handed to the archive, and mark them transferred.

    Transferred cases keep their documents, files and index entries: they stay searchable.
    """
    number = " ".join((number or "").split())
    if not number or len(number) > MAX_NUMBER:
        raise UserError("bad_number", _l("Give the inventory a number (up to %(n)s characters).", n=MAX_NUMBER))
    year = nomenclature.check_year(year)
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
    for case in cases:
        name = {"index": case.index, "year": case.year}
        if case.state != CaseState.CLOSED:
            raise Conflict("not_closed", _l("Case %(index)s of %(year)s is not a closed case kept here.", **name))
        if case_rule(case).kind is not RetentionKind.PERMANENT:
            raise Conflict("not_permanent", _l("Case %(index)s of %(year)s is not kept permanently.", **name))
        if case.id in held:
            raise Conflict("held", _l("Case %(index)s of %(year)s is under a hold.", **name))
        placement = place_case(case_rule(case), case.closed_year, year)
        if placement is None:
            raise Conflict("not_due", _l("Case %(index)s of %(year)s closed too recently to be transferred.", **name))
    inventory = ArchiveInventory(number=number, year=year, created_by_id=actor.id, note=" ".join(note.split()))
    session.add(inventory)
    session.flush()
    now = utcnow()
    for case in cases:
        case.state = CaseState.TRANSFERRED
        case.transferred_at = now
        case.inventory_id = inventory.id
        audit.record(session, "case:transfer", case, actor=actor, index=case.index, year=case.year,
                     inventory_id=inventory.id, inventory_number=number)
    audit.record(session, "inventory:create", inventory, actor=actor, number=number, year=year, cases=ids)
    return inventory
