"""Cases: one nomenclature item for one year, opened when its first document arrives."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records import audit, db, nomenclature
from records.errors import Conflict, NotFound, UserError
from records.i18n import _l
from records.models import AuditAction, Case, CaseState, Document, DocumentState, Nomenclature, NomenclatureItem, User
from records.retention import RetentionKind


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


def _last_volume(session: Session, year: int, index: str) -> Case | None:
    """The last volume of the item's case of ``year``, if there is one: usually there is, and one query
    finds it through the nomenclature and the item."""
    return session.scalar(
        select(Case).join(NomenclatureItem, NomenclatureItem.id == Case.item_id)
        .join(Nomenclature, Nomenclature.id == NomenclatureItem.nomenclature_id)
        .where(Nomenclature.year == year, NomenclatureItem.index == (index or "").strip())
        .order_by(Case.volume.desc()).limit(1))


def check_filing_target(session: Session, year: int, index: str) -> None:
    """Refuse, by reading only (before an upload is spooled and read), an item that
    :func:`case_for_filing` would not find (in the year's nomenclature, or the nearest one a missing
    year's draft would be made from) and a case that takes no documents (:func:`require_open`)."""
    last = _last_volume(session, year, index)
    if last is not None:
        require_open(last)
        return
    nom = nomenclature.get(session, year) or nomenclature.nearest(session, year)
    if nom is None:
        return  # an empty catalogue: the shipped table is drafted, and checked, when filing
    if session.scalar(select(NomenclatureItem.id).where(NomenclatureItem.nomenclature_id == nom.id,
                                                        NomenclatureItem.index == (index or "").strip())) is None:
        raise NotFound("unknown_case", _l("The nomenclature of %(year)s has no item %(index)s.", year=year,
                                          index=(index or "").strip() or "—"))


def current_volume(session: Session, item: NomenclatureItem) -> Case | None:
    return session.scalar(select(Case).where(Case.item_id == item.id).order_by(Case.volume.desc()).limit(1))


def _opened_on(year: int, today: date, doc_date: date | None) -> date:
    """A case of this year opens today; one of a past year (brought in from an old archive) opens on the
    date of the document that opens it, or on 1 January of its year when that document has no date."""
    if year >= today.year:
        return today
    if doc_date is not None and doc_date.year == year:
        return doc_date
    return date(year, 1, 1)


def open_case(session: Session, item: NomenclatureItem, *, actor: User | None, today: date | None = None,
              doc_date: date | None = None) -> Case:
    """The item's case for its year: its last volume, or the first one, opened now when there is none yet.

    A closed, transferred or destroyed last volume is returned as it is (it takes no documents, see
    :func:`require_open`); a new volume of it is opened only by :func:`open_new_volume`.
    """
    last = current_volume(session, item)
    if last is not None:
        return last
    year = item.nomenclature.year
    case = Case(item_id=item.id, year=year, index=item.index, volume=1, state=CaseState.OPEN,
                opened_on=_opened_on(year, today or date.today(), doc_date),
                permanent=item.retention_kind == RetentionKind.PERMANENT)
    case, opened = db.add_or_find(session, case, lambda: current_volume(session, item))
    if not opened:
        return case  # opened at the same moment by another filing
    audit.record(session, AuditAction.CASE_OPEN, case, actor=actor, index=item.index, year=year, volume=case.volume)
    return case


def open_new_volume(session: Session, case: Case, *, reason: str, actor: User, today: date | None = None) -> Case:
    """Open the next volume of a case whose last volume no longer takes documents: a records officer's
    explicit decision, with its reason on record."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise UserError("no_reason", _l("Write why a new volume of this case is opened."))
    last = current_volume(session, case.item)
    assert last is not None  # ``case`` itself is a volume of the item
    if last.state == CaseState.OPEN:
        raise Conflict("case_open", _l("Case %(index)s of %(year)s is open: file into it.", index=last.index,
                                       year=last.year))
    today = today or date.today()
    volume = Case(item_id=last.item_id, year=last.year, index=last.index, volume=last.volume + 1,
                  state=CaseState.OPEN, opened_on=today, permanent=last.permanent,
                  retention_override=last.retention_override, override_reason=last.override_reason)
    session.add(volume)
    session.flush()
    audit.record(session, AuditAction.CASE_OPEN_VOLUME, volume, actor=actor, index=volume.index, year=volume.year,
                 volume=volume.volume, previous_state=str(last.state), reason=reason)
    return volume


def require_open(case: Case) -> None:
    """Refuse to file into (or move into) a case that is closed, transferred or destroyed."""
    if case.state == CaseState.OPEN:
        return
    messages = {
        CaseState.CLOSED: _l("Case %(index)s of %(year)s is closed and takes no new documents. A records officer "
                             "may open a new volume of it, giving the reason.", index=case.index, year=case.year),
        CaseState.TRANSFERRED: _l("Case %(index)s of %(year)s was handed to the archive and takes no new "
                                  "documents.", index=case.index, year=case.year),
        CaseState.DESTROYED: _l("Case %(index)s of %(year)s was destroyed under an act and takes no new "
                                "documents.", index=case.index, year=case.year),
    }
    raise Conflict("case_closed", messages[CaseState(case.state)])


def case_for_filing(session: Session, year: int, index: str, *, actor: User | None,
                    doc_date: date | None = None) -> Case:
    """The case a new document of ``year`` under ``index`` goes into (its last volume, opened when there is
    none); the year's nomenclature is drafted from the nearest one when it does not exist yet (bringing in
    an old archive). The caller checks with :func:`require_open` that the case takes documents."""
    last = _last_volume(session, year, index)
    if last is not None:
        return last
    nom = nomenclature.for_filing(session, year, actor=actor)
    return open_case(session, _item_of(session, nom, index), actor=actor, doc_date=doc_date)


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("no_case", _l("There is no such case."))
    return case


def list_cases(session: Session, year: int) -> list[tuple[Case, int]]:
    """The year's cases in nomenclature order, each with its number of live documents."""
    doc_count = (
        select(func.count(Document.id))
        .where(Document.case_id == Case.id, Document.state == DocumentState.ACTIVE)
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
    audit.record(session, AuditAction.CASE_CLOSE, case, actor=actor, index=case.index, year=case.year,
                 closed_on=case.closed_on.isoformat())


def require_kept(case: Case) -> None:
    if case.state in (CaseState.DESTROYED, CaseState.TRANSFERRED):
        raise Conflict("case_gone", _l("Case %(index)s of %(year)s is no longer kept here.",
                                       index=case.index, year=case.year))
