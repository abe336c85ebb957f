"""Cases: one nomenclature item for one year, opened when its first document arrives."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records import audit, nomenclature
from records.errors import Conflict, NotFound, UserError
from records.i18n import _l
from records.models import Case, CaseState, Document, Nomenclature, NomenclatureItem, User


def find_item(session: Session, year: int, index: str) -> NomenclatureItem:
    return _item_of(session, nomenclature.require(session, year), index)


def _item_of(session: Session, nom: Nomenclature, index: str) -> NomenclatureItem:
    year = nom.year
    index = (index or "").strip()
    item = session.scalar(select(NomenclatureItem).where(NomenclatureItem.nomenclature_id == nom.id,
                                                         NomenclatureItem.index == index))
    if item is not None:
        return item
    raise NotFound("unknown_case", _l("The nomenclature of %(year)s has no item %(index)s.", year=year, index=index or "—"))


def current_volume(session: Session, item: NomenclatureItem) -> Case | None:
    return session.scalar(select(Case).where(Case.item_id == item.id).order_by(Case.volume.desc()).limit(1))


def open_case(session: Session, item: NomenclatureItem, *, actor: User | None, today: date | None = None) -> Case:
    """The item's open case for its year, opened now if there is none yet (or the last volume is closed)."""
    last = current_volume(session, item)
    if last is not None and last.state == CaseState.OPEN:
        return last
    year = item.nomenclature.year
    case = Case(item_id=item.id, year=year, index=item.index, volume=(last.volume + 1) if last else 1,
                state=CaseState.OPEN, opened_on=today or date.today())
    session.add(case)
    session.flush()
    audit.record(session, "case:open", case, actor=actor, index=item.index, year=year, volume=case.volume)
    return case


def case_for_filing(session: Session, year: int, index: str, *, actor: User | None) -> Case:
    """The case a new document of ``year`` under ``index`` goes into; the year's nomenclature is drafted from
    the nearest one when it does not exist yet (bringing in an old archive)."""
    # Usually the item's last volume is open: one query finds it through the nomenclature and the item.
    last = session.scalar(
        select(Case).join(NomenclatureItem, NomenclatureItem.id == Case.item_id)
        .join(Nomenclature, Nomenclature.id == NomenclatureItem.nomenclature_id)
        .where(Nomenclature.year == year, NomenclatureItem.index == (index or "").strip())
        .order_by(Case.volume.desc()).limit(1))
    if last is not None and last.state == CaseState.OPEN:
        return last
    nom = nomenclature.for_filing(session, year, actor=actor)
    return open_case(session, _item_of(session, nom, index), actor=actor)


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("no_case", _l("There is no such case."))
    return case


def list_cases(session: Session, year: int) -> list[tuple[Case, int]]:
    """The year's cases in nomenclature order, each with its number of live documents."""
    doc_count = (
        select(func.count(Document.id))
        .where(Document.case_id == Case.id, Document.state == "active")
        .correlate(Case)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Case, doc_count)
        .join(NomenclatureItem, NomenclatureItem.id == Case.item_id)
        .where(Case.year == year)
        .order_by(NomenclatureItem.position, Case.volume)
    ).all()
    return [(case, n) for case, n in rows]


def case_years(session: Session) -> list[int]:
    return list(session.scalars(select(Case.year).distinct().order_by(Case.year.desc())))


def closing_date(year: int, today: date) -> date:
    return min(date(year, 12, 31), today)


def close_case(session: Session, case: Case, *, actor: User | str | None, today: date | None = None) -> None:
    """Close one open case; its retention starts on 1 January after the closing."""
    if case.state != CaseState.OPEN:
        raise Conflict("case_not_open", _l("Case %(index)s of %(year)s is not open.", index=case.index, year=case.year))
    today = today or date.today()
    if case.year > today.year:
        raise UserError("future_year", _l("A case of a future year cannot be closed."))
    case.state = CaseState.CLOSED
    # A case carried over into later years closes when it is closed; any other at the end of its year.
    case.closed_on = today if case.carry_over else closing_date(case.year, today)
    audit.record(session, "case:close", case, actor=actor, index=case.index, year=case.year,
                 closed_on=case.closed_on.isoformat())


def require_kept(case: Case) -> None:
    if case.state in (CaseState.DESTROYED, CaseState.TRANSFERRED):
        raise Conflict("case_gone", _l("Case %(index)s of %(year)s is no longer kept here.",
                                       index=case.index, year=case.year))
