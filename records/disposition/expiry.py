"""The yearly expiry list: what may be destroyed, reviewed by the expert commission, transferred to the
archive in a year, and what is held."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import String, and_, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from records import nomenclature
from records.disposition.holds import held_case_ids
from records.disposition.rules import ListName, Placement, governing_text, place_case, retention_ended, rule_from_text
from records.models import Case, CaseState, Document, DocumentState, NomenclatureItem
from records.retention import RetentionKind, RetentionParseError, RetentionRule


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

    @property
    def retention_ended(self) -> int | None:
        """The year the period ran out (C + N); None for permanent and until-needed cases."""
        return retention_ended(self.rule, self.closed_year)

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
        Case.permanent.is_(True),
        Case.review_year.is_not(None),
        and_(item.retention_kind == RetentionKind.YEARS, or_(*by_years) if by_years else False),
        and_(item.retention_kind != RetentionKind.YEARS, Case.closed_on < date(year, 1, 1)),
    )


def expiry_list(session: Session, year: int) -> ExpiryList:
    """The expiry list of ``year`` over all closed cases of the catalogue."""
    year = nomenclature.check_year(year)
    held = held_case_ids(session)
    item = NomenclatureItem
    periods = [n for n in session.scalars(select(item.retention_years).distinct()
                                          .where(item.retention_kind == RetentionKind.YEARS)) if n]
    # Narrow in SQL to what may be in some part this year; the rule itself is applied below, so that
    # overrides (free text) and the exact counting stay in one place.
    maybe_due = _closed_before_sql(year, periods)
    if held:
        maybe_due = or_(maybe_due, Case.id.in_(sorted(held)))
    documents = (select(func.count(Document.id))
                 .where(Document.case_id == Case.id, Document.state == DocumentState.ACTIVE)
                 .correlate(Case).scalar_subquery())
    # Plain rows through the connection: the list can run to tens of thousands of cases, and ORM row
    # processing would cost more than the query itself.
    rows = session.connection().execute(
        select(Case.id, Case.index, Case.year, Case.volume, type_coerce(Case.closed_on, String), Case.retention_override,
               Case.item_id, Case.permanent, Case.review_year, documents)
        .join(item, item.id == Case.item_id)
        .where(Case.state == CaseState.CLOSED, Case.closed_on.is_not(None), maybe_due)
        .order_by(Case.year, item.position, Case.volume)
    ).all()
    items = {i.id: i for i in session.connection().execute(
        select(item.id, item.retention, item.title_ky, item.title_ru, item.title_en, item.note)
        .where(item.id.in_(select(Case.item_id).where(Case.state == CaseState.CLOSED).distinct()))
    )}
    result = ExpiryList(year=year)
    # Few distinct (rule, closing year, held) combinations recur across many cases: place each once.
    placements: dict[tuple[str, int, bool, int | None], tuple[list[ExpiryRow], Placement, RetentionRule] | None] = {}
    for case_id, index, case_year, volume, closed_on, override, item_id, permanent, review_year, n_docs in rows:
        it = items[item_id]
        text = governing_text(override, it.retention, bool(permanent))
        is_held = case_id in held
        # The closing date as ISO text (SQLite) or a date (PostgreSQL): its year is its first four digits,
        # read without parsing a date object per row.
        closed_year = int(str(closed_on)[:4])
        key = (text, closed_year, is_held, review_year)
        if key not in placements:
            try:
                rule = rule_from_text(text)
            except RetentionParseError:  # an override is validated when set; an item rule on import
                placements[key] = None
                continue
            placement = place_case(rule, closed_year, year, held=is_held, review_year=review_year)
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
                "retention_ended": r.retention_ended, "documents": r.documents, "closed_year": r.closed_year}

    body: dict[str, Any] = {"year": report.year}
    for name, rows in report.parts():
        body[name.value] = [row(r) for r in rows]
    return body
