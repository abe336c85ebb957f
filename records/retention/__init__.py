"""Retention periods of the nomenclature as data, and the rule that counts them.

A records officer types the retention column of the nomenclature the way the
paper forms write it, in Kyrgyz or Russian (``Токтом ст.334``, ``5-ж. ст.343``,
``5 л. ЭПК``, ``МАЧ``). :func:`parse_retention` turns that text into a
:class:`RetentionRule`; :func:`format_retention` prints a rule back in Kyrgyz,
Russian or English; :func:`destruction_due` and :func:`may_destroy_in` apply
the counting rule of the disposition flow.

Read in this order: :mod:`.rule` (the rule as data), :mod:`.notation` (the
notation typed and printed, with its table), :mod:`.counting` (from which year
a closed case may go).
"""
from __future__ import annotations

from records.retention.counting import destruction_due, may_destroy_in, needs_review
from records.retention.notation import format_retention, parse_retention, russian_years
from records.retention.rule import (
    MAX_YEARS,
    MIN_YEARS,
    Due,
    NeverReason,
    RetentionKind,
    RetentionParseError,
    RetentionRule,
)

__all__ = [
    "MAX_YEARS",
    "MIN_YEARS",
    "Due",
    "NeverReason",
    "RetentionKind",
    "RetentionParseError",
    "RetentionRule",
    "destruction_due",
    "format_retention",
    "may_destroy_in",
    "needs_review",
    "parse_retention",
    "russian_years",
]
