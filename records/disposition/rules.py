"""Disposition rules: which retention governs a case, and where a closed case stands in the expiry list of
a year (destroy, review, transfer, held) and from which year.

The counting rule lives in :mod:`records.retention`; this module applies it to cases. A case closed in
year C under a rule of N years may enter the act of year C + N + 1 or later. Permanent cases are never
destroyed: they go to the archive from the year after closing (usually within three years), with an
inventory. Until-needed (МАЧ/ДМН) and ЭПК-marked cases go to the expert commission's review. A case
under a hold (on the case or on any of its documents) never appears as destroyable or transferable.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from sqlalchemy.orm import Session

from records.disposition.holds import is_held
from records.models import Case
from records.retention import RetentionKind, RetentionParseError, RetentionRule, destruction_due, parse_retention


TRANSFER_FROM_YEARS = 1
TRANSFER_USUAL_YEARS = 3
# An until-needed case is first looked at by the commission a year after closing.
REVIEW_AFTER_YEARS = 1
# How a case kept permanently by its own mark (not by its item's rule) shows its retention.
PERMANENT_TEXT = "Постоянно"


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


def governing_text(override: str | None, item_rule: str, permanent: bool) -> str:
    """The retention that governs a case: its own override, or its item's; a case marked permanent stays
    permanent whatever either says now."""
    text = override or item_rule
    if permanent:
        try:
            if rule_from_text(text).kind is not RetentionKind.PERMANENT:
                return PERMANENT_TEXT
        except RetentionParseError:
            return PERMANENT_TEXT
    return text


def case_rule_text(case: Case) -> str:
    return governing_text(case.retention_override, case.item.retention, case.permanent)


def case_rule(case: Case) -> RetentionRule:
    return rule_from_text(case_rule_text(case))


def retention_ended(rule: RetentionRule, closed_year: int | None) -> int | None:
    """The last year of a period of years counted from the closing (C + N); None when the period never
    ends by itself (permanent, until needed) or has not begun (open case)."""
    if rule.kind is not RetentionKind.YEARS or closed_year is None or rule.years is None:
        return None
    return closed_year + rule.years


def shortens(before: RetentionRule, after: RetentionRule) -> bool:
    """Whether replacing ``before`` by ``after`` lets a case go earlier or without the commission's review."""
    if before.kind is RetentionKind.PERMANENT:
        return after.kind is not RetentionKind.PERMANENT
    if before.kind is RetentionKind.UNTIL_NEEDED:
        return after.kind is RetentionKind.YEARS
    if after.kind is not RetentionKind.YEARS:
        return False
    return (after.years or 0) < (before.years or 0) or (before.epk and not after.epk)


@dataclass(frozen=True)
class Placement:
    """Where a closed case stands in the expiry list of a year, and from which year."""

    list: ListName
    due_year: int
    overdue: bool = False  # a permanent case still here more than three years after closing


def place_case(rule: RetentionRule, closed_year: int | None, year: int, *, held: bool = False,
               review_year: int | None = None) -> Placement | None:
    """The part of the expiry list of ``year`` a case belongs to, or None when it is in none yet.

    A held closed case is always in the held part, with the year it would otherwise be due. Open
    cases are in no part. ``review_year`` is the year the expert commission set when it decided to keep
    the case longer: until then the case is in no part, and from then on it is reviewed again.
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
    if review_year is not None and target is not ListName.TRANSFER:
        due, target = max(due, review_year), ListName.REVIEW
    if held:
        return Placement(ListName.HELD, due)
    if year < due:
        return None
    overdue = target is ListName.TRANSFER and year > closed_year + TRANSFER_USUAL_YEARS
    return Placement(target, due, overdue)


@dataclass(frozen=True)
class CaseDue:
    """A case's standing in the disposition flow, for its page."""

    rule: RetentionRule
    rule_text: str
    due_year: int | None  # first year of an act (destroy), of a review, or of a transfer
    never: str | None  # permanent | until_needed | held | open, as in records.retention.NeverReason
    review: bool
    held: bool
    retention_ended: int | None  # the year the period of years ran out (C + N)


def case_due(session: Session, case: Case) -> CaseDue:
    rule = case_rule(case)
    held = is_held(session, case)
    counted = destruction_due(rule, case.closed_year, held=held)
    placement = place_case(rule, case.closed_year, case.closed_year or 0, held=held, review_year=case.review_year)
    due_year = counted.year if counted.year is not None else (placement.due_year if placement else None)
    if placement is not None and case.review_year is not None:
        due_year = placement.due_year
    return CaseDue(rule=rule, rule_text=case_rule_text(case), due_year=due_year,
                   never=counted.never.value if counted.never else None,
                   review=counted.review or case.review_year is not None, held=held,
                   retention_ended=retention_ended(rule, case.closed_year))
