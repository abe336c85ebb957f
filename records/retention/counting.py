"""The counting rule of the disposition flow: retention runs from 1 January after the year a case was
closed, and a case goes into the destruction act of the first year after its period, unless it is
permanent, kept until no longer needed, held or still open.
"""
from __future__ import annotations

from records.retention.rule import Due, NeverReason, RetentionKind, RetentionRule


def needs_review(rule: RetentionRule) -> bool:
    """Whether the expert commission must look at a case before it may go."""
    return rule.epk or rule.kind is RetentionKind.UNTIL_NEEDED


def destruction_due(
    rule: RetentionRule, closed_year: int | None, *, held: bool = False
) -> Due:
    """The first year whose destruction act may list a case under ``rule``.

    Retention runs from 1 January after the closing year, so a case closed in
    ``C`` with ``N`` years is due in ``C + N + 1``. When there is no such year
    the reason is, in order of precedence: ``held`` (a hold stops everything),
    then the rule itself (``permanent``, ``until_needed``: true however long
    the case has been closed), then ``open`` (not closed yet).
    """
    review = needs_review(rule)
    if held:
        return Due(year=None, never=NeverReason.HELD, review=review)
    if rule.kind is RetentionKind.PERMANENT:
        return Due(year=None, never=NeverReason.PERMANENT, review=review)
    if rule.kind is RetentionKind.UNTIL_NEEDED:
        return Due(year=None, never=NeverReason.UNTIL_NEEDED, review=review)
    if closed_year is None:
        return Due(year=None, never=NeverReason.OPEN, review=review)
    assert rule.years is not None  # guaranteed by RetentionRule.__post_init__
    return Due(year=closed_year + rule.years + 1, never=None, review=review)


def may_destroy_in(
    rule: RetentionRule,
    closed_year: int | None,
    act_year: int,
    *,
    held: bool = False,
) -> bool:
    """Whether the destruction act drawn up in ``act_year`` may list the case.

    An ЭПК-marked case is listed too once its period has run: the act is
    itself the commission's review and needs its approval; ``Due.review``
    tells the disposal service to present such cases for that review.
    """
    due = destruction_due(rule, closed_year, held=held)
    return due.year is not None and act_year >= due.year
