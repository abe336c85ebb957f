"""Disposition: year-end closing, due dates, holds, the yearly expiry list, destruction acts and their
execution, and the transfer of permanent cases to the university archive.

The counting rule lives in :mod:`records.retention`; this module applies it to the catalogue. A case
closed in year C under a rule of N years may enter the act of year C + N + 1 or later. Permanent cases
are never destroyed: they go to the archive from the year after closing (usually within three years),
with an inventory. Until-needed (МАЧ/ДМН) and ЭПК-marked cases go to the expert commission's review;
the commission's decision to destroy one is a destruction act like any other, approved by the head of
department. A case under a hold (on the case or on any of its documents) is frozen: it never appears
as destroyable or transferable, and is listed apart.

Execution of an approved act is idempotent and resumable. Each case is destroyed in a transaction of
its own: its documents become tombstones (metadata kept, state ``destroyed``, the act and the time
recorded), the extracted text of their files is deleted, index deletions go into the outbox, and every
blob that no live document holds any more is marked deleted. The bytes are removed from the blob store
only after that commit: a crash in between leaves an orphan blob already marked deleted in the
catalogue, which the next run of the same act (or ``storage gc``) removes. A second run of a finished
act changes nothing.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any

from flask import Flask
from sqlalchemy import String, and_, delete, exists, func, or_, select, type_coerce, update
from sqlalchemy.orm import Session

from records import accounts, audit, indexing, nomenclature
from records.db import session_scope, utcnow
from records.errors import Conflict, Forbidden, NotFound, UserError
from records.i18n import _l
from records.models import (
    ActStatus,
    ArchiveInventory,
    Blob,
    Case,
    CaseState,
    DisposalAct,
    DisposalActRow,
    Document,
    DocumentFile,
    DocumentText,
    Hold,
    NomenclatureItem,
    TextStatus,
    User,
)
from records.permissions import Paper
from records.retention import (
    RetentionKind,
    RetentionParseError,
    RetentionRule,
    destruction_due,
    parse_retention,
)

# Permanent cases go to the university archive from the year after closing, usually within three years.
TRANSFER_FROM_YEARS = 1
TRANSFER_USUAL_YEARS = 3
# An until-needed case is first looked at by the commission a year after closing.
REVIEW_AFTER_YEARS = 1
MAX_NUMBER = 32


class ListName(StrEnum):
    """The four parts of the yearly expiry list."""

    DESTROY = "destroy"
    REVIEW = "review"
    TRANSFER = "transfer"
    HELD = "held"


# --- rules and placement -------------------------------------------------------------------------

@lru_cache(maxsize=512)
def rule_from_text(text: str) -> RetentionRule:
    """The parsed rule of a retention text (cached: a catalogue has a few dozen distinct texts)."""
    return parse_retention(text)


def case_rule_text(case: Case) -> str:
    """The retention that governs a case: its own override, or its nomenclature item's."""
    return case.retention_override or case.item.retention


def case_rule(case: Case) -> RetentionRule:
    return rule_from_text(case_rule_text(case))


@dataclass(frozen=True)
class Placement:
    """Where a closed case stands in the expiry list of a year, and from which year."""

    list: ListName
    due_year: int
    overdue: bool = False  # a permanent case still here more than three years after closing


def place_case(rule: RetentionRule, closed_year: int | None, year: int, *, held: bool = False) -> Placement | None:
    """The part of the expiry list of ``year`` a case belongs to, or None when it is in none yet.

    A held closed case is always in the held part, with the year it would otherwise be due. Open
    cases are in no part.
    """
    if closed_year is None:
        return None
    if rule.kind is RetentionKind.PERMANENT:
        due, target = closed_year + TRANSFER_FROM_YEARS, ListName.TRANSFER
    elif rule.kind is RetentionKind.UNTIL_NEEDED:
        due, target = closed_year + REVIEW_AFTER_YEARS, ListName.REVIEW
    else:
        counted = destruction_due(rule, closed_year)
        assert counted.year is not None  # a rule of years always has a due year
        due, target = counted.year, (ListName.REVIEW if counted.review else ListName.DESTROY)
    if held:
        return Placement(ListName.HELD, due)
    if year < due:
        return None
    overdue = target is ListName.TRANSFER and year > closed_year + TRANSFER_USUAL_YEARS
    return Placement(target, due, overdue)


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


@dataclass(frozen=True)
class CaseDue:
    """A case's standing in the disposition flow, for its page."""

    rule: RetentionRule
    rule_text: str
    due_year: int | None  # first year of an act (destroy), of a review, or of a transfer
    never: str | None  # permanent | until_needed | held | open, as in records.retention.NeverReason
    review: bool
    held: bool


def case_due(session: Session, case: Case) -> CaseDue:
    rule = case_rule(case)
    held = is_held(session, case)
    counted = destruction_due(rule, case.closed_year, held=held)
    placement = place_case(rule, case.closed_year, case.closed_year or 0, held=held)
    return CaseDue(rule=rule, rule_text=case_rule_text(case),
                   due_year=counted.year if counted.year is not None else (placement.due_year if placement else None),
                   never=counted.never.value if counted.never else None, review=counted.review, held=held)


# --- the expiry list -----------------------------------------------------------------------------

@dataclass(slots=True)
class ExpiryRow:
    """One case in the expiry list, with what the reports print."""

    case_id: int
    index: str
    year: int
    volume: int
    closed_year: int
    title_ky: str
    title_ru: str
    title_en: str
    retention: str  # as written (the case's override, or its item's rule)
    rule: RetentionRule
    due_year: int
    documents: int
    note: str
    overridden: bool
    overdue: bool

    def title(self, lang: str) -> str:
        return getattr(self, f"title_{lang}", "") or self.title_ru or self.title_ky or self.title_en


@dataclass
class ExpiryList:
    """The yearly expiry list: what may be destroyed, reviewed, transferred in ``year``, and what is held."""

    year: int
    destroy: list[ExpiryRow] = field(default_factory=list)
    review: list[ExpiryRow] = field(default_factory=list)
    transfer: list[ExpiryRow] = field(default_factory=list)
    held: list[ExpiryRow] = field(default_factory=list)

    def parts(self) -> list[tuple[ListName, list[ExpiryRow]]]:
        return [(ListName.DESTROY, self.destroy), (ListName.REVIEW, self.review),
                (ListName.TRANSFER, self.transfer), (ListName.HELD, self.held)]


def _closed_before_sql(year: int, periods: Iterable[int]) -> Any:
    """Cases whose item's period may have run by ``year``, in SQL that an index on dates can serve.

    closed_year + N + 1 <= year  <=>  closed_on < 1 January of (year - N); written per distinct N of the
    catalogue so that no date function runs per row.
    """
    item = NomenclatureItem
    by_years = [and_(item.retention_years == n, Case.closed_on < date(max(year - n, 1), 1, 1)) for n in periods]
    return or_(
        Case.retention_override.is_not(None),
        and_(item.retention_kind == RetentionKind.YEARS.value, or_(*by_years) if by_years else False),
        and_(item.retention_kind != RetentionKind.YEARS.value, Case.closed_on < date(year, 1, 1)),
    )


def expiry_list(session: Session, year: int) -> ExpiryList:
    """The expiry list of ``year`` over all closed cases of the catalogue."""
    year = nomenclature.check_year(year)
    held = held_case_ids(session)
    item = NomenclatureItem
    periods = [n for n in session.scalars(select(item.retention_years).distinct()
                                          .where(item.retention_kind == RetentionKind.YEARS.value)) if n]
    # Narrow in SQL to what may be in some part this year; the rule itself is applied below, so that
    # overrides (free text) and the exact counting stay in one place.
    maybe_due = _closed_before_sql(year, periods)
    if held:
        maybe_due = or_(maybe_due, Case.id.in_(sorted(held)))
    documents = (select(func.count(Document.id))
                 .where(Document.case_id == Case.id, Document.state == "active")
                 .correlate(Case).scalar_subquery())
    # Plain rows through the connection: the list can run to tens of thousands of cases, and ORM row
    # processing would cost more than the query itself.
    rows = session.connection().execute(
        select(Case.id, Case.index, Case.year, Case.volume, type_coerce(Case.closed_on, String), Case.retention_override,
               Case.item_id, documents)
        .join(item, item.id == Case.item_id)
        .where(Case.state == CaseState.CLOSED.value, Case.closed_on.is_not(None), maybe_due)
        .order_by(Case.year, item.position, Case.volume)
    ).all()
    items = {i.id: i for i in session.connection().execute(
        select(item.id, item.retention, item.title_ky, item.title_ru, item.title_en, item.note)
        .where(item.id.in_(select(Case.item_id).where(Case.state == CaseState.CLOSED.value).distinct()))
    )}
    result = ExpiryList(year=year)
    # Few distinct (rule, closing year, held) combinations recur across many cases: place each once.
    placements: dict[tuple[str, int, bool], tuple[list[ExpiryRow], Placement, RetentionRule] | None] = {}
    for case_id, index, case_year, volume, closed_on, override, item_id, n_docs in rows:
        it = items[item_id]
        text = override or it.retention
        is_held = case_id in held
        # The closing date as ISO text (SQLite) or a date (PostgreSQL): its year is its first four digits,
        # read without parsing a date object per row.
        closed_year = int(str(closed_on)[:4])
        key = (text, closed_year, is_held)
        if key not in placements:
            try:
                rule = rule_from_text(text)
            except RetentionParseError:  # an override is validated when set; an item rule on import
                placements[key] = None
                continue
            placement = place_case(rule, closed_year, year, held=is_held)
            placements[key] = None if placement is None else (getattr(result, placement.list.value), placement, rule)
        placed = placements[key]
        if placed is None:
            continue
        target, placement, rule = placed
        target.append(ExpiryRow(
            case_id, index, case_year, volume, closed_year, it.title_ky, it.title_ru, it.title_en, text, rule,
            placement.due_year, n_docs or 0, it.note or "", override is not None, placement.overdue,
        ))
    return result


def expiry_json(report: ExpiryList, lang: str) -> dict[str, Any]:
    from records.retention import format_retention

    def row(r: ExpiryRow) -> dict[str, Any]:
        return {"case_id": r.case_id, "index": r.index, "year": r.year, "volume": r.volume,
                "title": r.title(lang), "retention": format_retention(r.rule, lang), "due_year": r.due_year,
                "documents": r.documents, "closed_year": r.closed_year}

    body: dict[str, Any] = {"year": report.year}
    for name, rows in report.parts():
        body[name.value] = [row(r) for r in rows]
    return body


# --- year-end closing ----------------------------------------------------------------------------

@dataclass
class Checklist:
    """What the records officer should see before closing a year."""

    year: int
    to_close: list[Case]
    carried_over: list[Case]
    empty: list[Case]  # to be closed but holding no document
    paper_without_sheets: list[Case]

    @property
    def problems(self) -> int:
        return len(self.empty) + len(self.paper_without_sheets)


def _document_counts(session: Session, case_ids: Sequence[int]) -> dict[int, int]:
    if not case_ids:
        return {}
    rows = session.execute(select(Document.case_id, func.count(Document.id))
                           .where(Document.case_id.in_(list(case_ids)), Document.state == "active")
                           .group_by(Document.case_id))
    return {cid: n for cid, n in rows}


def closing_checklist(session: Session, year: int) -> Checklist:
    """Open cases of ``year`` (and ones left open from earlier years), with what looks unfinished."""
    year = nomenclature.check_year(year)
    open_cases = list(session.scalars(
        select(Case).join(NomenclatureItem, NomenclatureItem.id == Case.item_id)
        .where(Case.state == CaseState.OPEN.value, Case.year <= year)
        .order_by(Case.year, NomenclatureItem.position, Case.volume)
    ))
    to_close = [c for c in open_cases if not c.carry_over]
    counts = _document_counts(session, [c.id for c in to_close])
    return Checklist(
        year=year, to_close=to_close, carried_over=[c for c in open_cases if c.carry_over],
        empty=[c for c in to_close if not counts.get(c.id)],
        paper_without_sheets=[c for c in to_close if c.is_paper and not c.sheets],
    )


def _closing_date(year: int, today: date) -> date:
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
    case.closed_on = today if case.carry_over else _closing_date(case.year, today)
    audit.record(session, "case:close", case, actor=actor, index=case.index, year=case.year,
                 closed_on=case.closed_on.isoformat())


@dataclass(frozen=True)
class ClosingResult:
    closed: int
    carried_over: int
    next_nomenclature: int | None  # the year drafted by the roll-over, if it was drafted now


def check_closable_year(year: int, today: date | None = None) -> int:
    year = nomenclature.check_year(year)
    if year > (today or date.today()).year:
        raise UserError("future_year", _l("The year %(year)s has not begun yet and cannot be closed.", year=year))
    return year


def close_year(session: Session, year: int, *, actor: User | str | None, acknowledged: bool = False,
               today: date | None = None) -> ClosingResult:
    """Close every open case of ``year`` (and older) except those carried over, then draft next year's
    nomenclature from this one when it does not exist yet.

    When the checklist finds problems, nothing happens until the records officer acknowledges them.
    """
    today = today or date.today()
    year = check_closable_year(year, today)
    checklist = closing_checklist(session, year)
    if checklist.problems and not acknowledged:
        raise Conflict("checklist", _l("The checklist found %(n)s problem(s); look at them and confirm to close "
                                       "the year anyway.", n=checklist.problems))
    for case in checklist.to_close:
        case.state = CaseState.CLOSED
        # A case left open from an earlier year closes now, so its retention starts from now.
        case.closed_on = _closing_date(year, today)
        audit.record(session, "case:close", case, actor=actor, index=case.index, year=case.year,
                     closed_on=case.closed_on.isoformat())
    drafted = None
    if nomenclature.get(session, year) is not None and nomenclature.get(session, year + 1) is None:
        nomenclature.copy_to_year(session, year, year + 1, actor=actor if isinstance(actor, User) else None)
        drafted = year + 1
    session.flush()
    audit.record(session, "year:close", object_type="year", object_id=year, actor=actor, year=year,
                 closed=len(checklist.to_close), carried_over=len(checklist.carried_over),
                 problems={"empty": [c.id for c in checklist.empty],
                           "paper_without_sheets": [c.id for c in checklist.paper_without_sheets]},
                 next_nomenclature=drafted)
    return ClosingResult(closed=len(checklist.to_close), carried_over=len(checklist.carried_over),
                         next_nomenclature=drafted)


def _require_kept(case: Case) -> None:
    if case.state in (CaseState.DESTROYED, CaseState.TRANSFERRED):
        raise Conflict("case_gone", _l("Case %(index)s of %(year)s is no longer kept here.",
                                       index=case.index, year=case.year))


def update_keeping(session: Session, case: Case, *, actor: User, is_paper: bool, sheets: Any,
                   carry_over: bool) -> None:
    """The paper facts of a case (paper or not, its sheets) and whether it continues into next year."""
    _require_kept(case)
    value: int | None
    if sheets in (None, ""):
        value = None
    else:
        try:
            value = int(str(sheets).strip())
        except ValueError:
            raise UserError("bad_sheets", _l("The number of sheets must be a whole number.")) from None
        if not 0 < value <= 100_000:
            raise UserError("bad_sheets", _l("The number of sheets must be between 1 and 100000."))
    if carry_over and case.state != CaseState.OPEN:
        raise Conflict("case_not_open", _l("Only an open case can continue into next year."))
    before = {"is_paper": case.is_paper, "sheets": case.sheets, "carry_over": case.carry_over}
    case.is_paper, case.sheets, case.carry_over = is_paper, value, carry_over
    after = {"is_paper": case.is_paper, "sheets": case.sheets, "carry_over": case.carry_over}
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changes:
        audit.record(session, "case:edit", case, actor=actor, index=case.index, year=case.year, changes=changes)


def set_override(session: Session, case: Case, *, retention: str, reason: str, actor: User) -> None:
    """Give one case a rule of its own (or, with an empty ``retention``, return it to its item's rule)."""
    _require_kept(case)
    reason = " ".join((reason or "").split())
    if not reason:
        raise UserError("no_reason", _l("Write the reason for changing this case's retention."))
    text = " ".join((retention or "").split())
    if text:
        try:
            rule_from_text(text)
        except RetentionParseError as exc:
            raise UserError("bad_retention", exc.message) from None
    before = case.retention_override
    case.retention_override = text or None
    case.override_reason = reason if text else None
    audit.record(session, "case:override", case, actor=actor, index=case.index, year=case.year,
                 before=before, after=case.retention_override, item_rule=case.item.retention, reason=reason)


# --- holds ---------------------------------------------------------------------------------------

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
    if target_case.state == CaseState.DESTROYED or (document is not None and document.state != "active"):
        raise Conflict("destroyed", _l("A destroyed record cannot be held."))
    hold = Hold(case_id=case.id if case is not None else None,
                document_id=document.id if document is not None else None,
                reason=reason, requested_by=requested_by, placed_by_id=actor.id)
    session.add(hold)
    session.flush()
    audit.record(session, "hold:place", hold, actor=actor, case_id=target_case.id, index=target_case.index,
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
    audit.record(session, "hold:release", hold, actor=actor, case_id=hold.case_id, document_id=hold.document_id,
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


# --- destruction acts ----------------------------------------------------------------------------

def get_act(session: Session, act_id: int) -> DisposalAct:
    act = session.get(DisposalAct, act_id)
    if act is None:
        raise NotFound("no_act", _l("There is no such act."))
    return act


def list_acts(session: Session) -> list[DisposalAct]:
    return list(session.scalars(select(DisposalAct).order_by(DisposalAct.act_date.desc(), DisposalAct.id.desc())))


def _date_range(case: Case) -> str:
    if case.first_doc_date and case.last_doc_date:
        first, last = case.first_doc_date.strftime("%d.%m.%Y"), case.last_doc_date.strftime("%d.%m.%Y")
        return first if first == last else f"{first} – {last}"
    return str(case.year)


def _check_destroyable(session: Session, case: Case, act_year: int, *, held: set[int] | None = None) -> None:
    """Refuse a case that may not be destroyed under an act of ``act_year``: not closed, permanent,
    held, or not yet due."""
    name = {"index": case.index, "year": case.year}
    if case.state != CaseState.CLOSED:
        raise Conflict("not_closed", _l("Case %(index)s of %(year)s is not a closed case kept here.", **name))
    rule = case_rule(case)
    if rule.kind is RetentionKind.PERMANENT:
        raise Conflict("permanent", _l("Case %(index)s of %(year)s is kept permanently and can never be destroyed.",
                                       **name))
    is_case_held = case.id in held if held is not None else is_held(session, case)
    if is_case_held:
        raise Conflict("held", _l("Case %(index)s of %(year)s is under a hold and cannot be destroyed.", **name))
    placement = place_case(rule, case.closed_year, act_year)
    if placement is None or placement.list not in (ListName.DESTROY, ListName.REVIEW):
        raise Conflict("not_due", _l("Case %(index)s of %(year)s is not due for destruction in %(act_year)s.",
                                     act_year=act_year, **name))


def _in_other_act(session: Session, case_ids: list[int]) -> set[int]:
    return set(session.scalars(
        select(DisposalActRow.case_id).join(DisposalAct, DisposalAct.id == DisposalActRow.act_id)
        .where(DisposalActRow.case_id.in_(case_ids), DisposalAct.status != ActStatus.REJECTED.value)
    ))


def draft_act(session: Session, *, number: str, act_date: date, case_ids: Iterable[int], actor: User,
              note: str = "", today: date | None = None) -> DisposalAct:
    """Draw up an act from cases of the expiry list of the act's year (destroy and review parts)."""
    number = " ".join((number or "").split())
    if not number or len(number) > MAX_NUMBER:
        raise UserError("bad_number", _l("Give the act a number (up to %(n)s characters).", n=MAX_NUMBER))
    today = today or date.today()
    if act_date > today:
        raise UserError("future_date", _l("An act cannot be dated in the future."))
    ids = sorted({int(c) for c in case_ids})
    if not ids:
        raise UserError("no_cases", _l("Choose at least one case for the act."))
    if session.scalar(select(DisposalAct.id).where(DisposalAct.number == number, DisposalAct.act_date == act_date)):
        raise Conflict("act_exists", _l("An act No. %(number)s of this date already exists.", number=number))
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(ids)))}
    missing = [i for i in ids if i not in cases]
    if missing:
        raise NotFound("no_case", _l("There is no such case."))
    held = held_case_ids(session, ids)
    for case in cases.values():
        _check_destroyable(session, case, act_date.year, held=held)
    taken = _in_other_act(session, ids)
    if taken:
        case = cases[min(taken)]
        raise Conflict("in_other_act", _l("Case %(index)s of %(year)s is already in another act.",
                                          index=case.index, year=case.year))
    act = DisposalAct(number=number, act_date=act_date, year=act_date.year, status=ActStatus.DRAFT,
                      note=" ".join((note or "").split()), drafted_by_id=actor.id)
    ordered = sorted(cases.values(), key=lambda c: (c.year, c.item.position, c.volume))
    for position, case in enumerate(ordered, start=1):
        act.rows.append(DisposalActRow(
            case_id=case.id, position=position, heading=case.item.title("ru"),
            heading_ky=case.item.title("ky"), heading_ru=case.item.title("ru"), date_range=_date_range(case),
            case_index=case.index if case.volume == 1 else f"{case.index} (т. {case.volume})",
            case_year=case.year, volumes=1, retention=case_rule_text(case), note=case.note or "",
        ))
    session.add(act)
    session.flush()
    audit.record(session, "act:draft", act, actor=actor, number=number, act_date=act_date.isoformat(),
                 cases=[r.case_id for r in act.rows])
    return act


def approve_act(session: Session, act: DisposalAct, *, actor: User) -> None:
    """The head of department's approval; the drafter may not approve their own act."""
    if act.status != ActStatus.DRAFT:
        raise Conflict("not_draft", _l("Only a draft act can be approved."))
    if act.drafted_by_id == actor.id:
        raise Forbidden("self_approval", _l("The act must be approved by someone other than its drafter."))
    flags = accounts.approval_flags(actor, Paper.DISPOSAL)
    held = held_case_ids(session, [r.case_id for r in act.rows])
    for row in act.rows:
        _check_destroyable(session, row.case, act.year, held=held)
    act.status = ActStatus.APPROVED
    act.approved_by_id = actor.id
    act.approved_at = utcnow()
    audit.record(session, "act:approve", act, actor=actor, number=act.number, cases=[r.case_id for r in act.rows],
                 **flags)


def reject_act(session: Session, act: DisposalAct, *, actor: User, reason: str) -> None:
    """Send a draft back: the act is kept, and its cases become free for another act."""
    if act.status != ActStatus.DRAFT:
        raise Conflict("not_draft", _l("Only a draft act can be rejected."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise UserError("no_reason", _l("Write why the act is rejected."))
    act.status = ActStatus.REJECTED
    act.note = f"{act.note}\n{reason}".strip()
    audit.record(session, "act:reject", act, actor=actor, number=act.number, reason=reason)


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
    docs = list(session.scalars(select(Document).where(Document.case_id == case.id, Document.state == "active")))
    doc_ids = [d.id for d in docs]
    versions = list(session.scalars(select(DocumentFile).where(DocumentFile.document_id.in_(doc_ids)))) \
        if doc_ids else []
    if versions:
        # The text must not outlive the document.
        session.execute(delete(DocumentText).where(DocumentText.file_id.in_([v.id for v in versions])))
        session.execute(update(DocumentFile)
                        .where(DocumentFile.id.in_([v.id for v in versions]),
                               DocumentFile.text_status == TextStatus.PENDING.value)
                        .values(text_status=TextStatus.NONE.value))
    for doc in docs:
        doc.state = "destroyed"
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
    audit.record(session, "case:destroy", case, actor=actor, act_id=act.id, act_number=act.number,
                 index=case.index, year=case.year, documents=doc_ids, blobs_released=sorted(released))
    return released


def _has_live_holder(session: Session, sha256: str) -> bool:
    return bool(session.scalar(select(exists().where(
        DocumentFile.sha256 == sha256, DocumentFile.document_id == Document.id, Document.state == "active"))))


def _delete_bytes(app: Flask, session: Session, shas: Iterable[str], result: Execution) -> None:
    """Remove bytes the catalogue already marked deleted, unless the same bytes came back meanwhile."""
    from records import previews
    from records.blobs import get_store

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


def execute_act(app: Flask, act_id: int, *, actor_id: int) -> Execution:
    """Destroy everything an approved act lists, one case per transaction; safe to run again.

    Runs in sessions of its own (the caller must hold no open transaction on SQLite).
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
            pending = [r.id for r in act.rows if r.executed_at is None]
            held = held_case_ids(session, [r.case_id for r in act.rows])
            for row in act.rows:
                if row.executed_at is None:
                    _check_destroyable(session, row.case, act.year, held=held)
            if act.status == ActStatus.APPROVED:
                act.status = ActStatus.EXECUTING
                act.executed_by_id = actor_id
                audit.record(session, "act:execute", act, actor=actor, number=act.number, phase="start",
                             cases=len(pending))
    for row_id in pending:
        with session_scope(app) as session:
            row = session.get(DisposalActRow, row_id)
            assert row is not None
            if row.executed_at is not None:  # another run got here first
                continue
            act = row.act
            # Checked again per case: a hold placed while the act runs still stops its case.
            _check_destroyable(session, row.case, act.year)
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
            audit.record(session, "act:execute", act, actor=session.get(User, actor_id), number=act.number,
                         phase="done", cases=result.cases, documents=result.documents,
                         blobs_deleted=result.blobs_deleted, blobs_shared=result.blobs_shared)
    if result.documents:
        from records import worker

        worker.kick(app)
    return result


# --- transfer to the archive ---------------------------------------------------------------------

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
