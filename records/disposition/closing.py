"""Year-end closing: the checklist, closing the year's cases, and the paper facts of a case."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records import audit, nomenclature
from records.cases import closing_date, require_kept
from records.errors import Conflict, UserError
from records.i18n import _l
from records.disposition.rules import governing_text, rule_from_text
from records.models import AuditAction, Case, CaseState, Document, DocumentState, Nomenclature, NomenclatureItem, User
from records.retention import RetentionKind, RetentionParseError


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
                           .where(Document.case_id.in_(list(case_ids)), Document.state == DocumentState.ACTIVE)
                           .group_by(Document.case_id))
    return {cid: n for cid, n in rows}


def closing_checklist(session: Session, year: int) -> Checklist:
    """Open cases of ``year`` (and ones left open from earlier years), with what looks unfinished."""
    year = nomenclature.check_year(year)
    open_cases = list(session.scalars(
        select(Case).join(NomenclatureItem, NomenclatureItem.id == Case.item_id)
        .where(Case.state == CaseState.OPEN, Case.year <= year)
        .order_by(Case.year, NomenclatureItem.position, Case.volume)
    ))
    to_close = [c for c in open_cases if not c.carry_over]
    counts = _document_counts(session, [c.id for c in to_close])
    return Checklist(
        year=year, to_close=to_close, carried_over=[c for c in open_cases if c.carry_over],
        empty=[c for c in to_close if not counts.get(c.id)],
        paper_without_sheets=[c for c in to_close if c.is_paper and not c.sheets],
    )


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
        case.closed_on = closing_date(year, today)
        audit.record(session, AuditAction.CASE_CLOSE, case, actor=actor, index=case.index, year=case.year,
                     closed_on=case.closed_on.isoformat())
    drafted = None
    if nomenclature.get(session, year) is not None and nomenclature.get(session, year + 1) is None:
        nomenclature.copy_to_year(session, year, year + 1, actor=actor if isinstance(actor, User) else None)
        drafted = year + 1
    session.flush()
    audit.record(session, AuditAction.YEAR_CLOSE, object_type="year", object_id=year, actor=actor, year=year,
                 closed=len(checklist.to_close), carried_over=len(checklist.carried_over),
                 problems={"empty": [c.id for c in checklist.empty],
                           "paper_without_sheets": [c.id for c in checklist.paper_without_sheets]},
                 next_nomenclature=drafted)
    return ClosingResult(closed=len(checklist.to_close), carried_over=len(checklist.carried_over),
                         next_nomenclature=drafted)


def update_keeping(session: Session, case: Case, *, actor: User, is_paper: bool, sheets: Any,
                   carry_over: bool) -> None:
    """The paper facts of a case (paper or not, its sheets) and whether it continues into next year."""
    require_kept(case)
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
        audit.record(session, AuditAction.CASE_EDIT, case, actor=actor, index=case.index, year=case.year, changes=changes)


# --- the year-end count of the nomenclature ------------------------------------------------------

@dataclass(frozen=True)
class CategoryCount:
    total: int = 0
    carried_over: int = 0
    epk: int = 0


@dataclass(frozen=True)
class YearEndCount:
    """The closing record of the nomenclature form: cases (volumes) opened in the year by category, each
    with those carried over into next year and those marked ЭПК. Every case counts under the rule that
    governs it (its own override, or its item's; permanent once marked permanent)."""

    permanent: CategoryCount
    over_10_years: CategoryCount
    up_to_10_years: CategoryCount  # includes until-no-longer-needed cases, which the form counts as temporary

    def categories(self) -> list[tuple[str, CategoryCount]]:
        return [("permanent", self.permanent), ("over_10_years", self.over_10_years),
                ("up_to_10_years", self.up_to_10_years)]

    @property
    def total(self) -> int:
        return sum(c.total for _n, c in self.categories())

    @property
    def carried_over(self) -> int:
        return sum(c.carried_over for _n, c in self.categories())

    @property
    def epk(self) -> int:
        return sum(c.epk for _n, c in self.categories())


def year_end_count(session: Session, nom: Nomenclature) -> YearEndCount:
    rows = session.execute(
        select(Case.retention_override, Case.permanent, Case.carry_over, NomenclatureItem.retention)
        .join(NomenclatureItem, NomenclatureItem.id == Case.item_id)
        .where(NomenclatureItem.nomenclature_id == nom.id)
    ).all()
    counts: dict[str, list[int]] = {"permanent": [0, 0, 0], "over_10_years": [0, 0, 0], "up_to_10_years": [0, 0, 0]}
    for override, permanent, carry_over, item_rule in rows:
        try:
            rule = rule_from_text(governing_text(override, item_rule, permanent))
        except RetentionParseError:
            rule = rule_from_text(item_rule)
        if rule.kind is RetentionKind.PERMANENT:
            category = "permanent"
        elif rule.kind is RetentionKind.YEARS and (rule.years or 0) > 10:
            category = "over_10_years"
        else:
            category = "up_to_10_years"
        cell = counts[category]
        cell[0] += 1
        cell[1] += 1 if carry_over else 0
        cell[2] += 1 if rule.epk else 0
    return YearEndCount(**{name: CategoryCount(*values) for name, values in counts.items()})
