"""A retention period as data: its kind (permanent, years, until no longer needed), the ЭПК mark and the
articles of the standard list; when a case may go (:class:`Due`); and the error of a period that could
not be read. Read, printed and counted in :mod:`.notation` and :mod:`.counting`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# The longest fixed period in the standard lists is 75 years; anything far
# beyond that is a typing slip, not a real retention period.
MIN_YEARS = 1
MAX_YEARS = 100

LANGUAGES = ("ky", "ru", "en")


class RetentionKind(StrEnum):
    """What kind of period a nomenclature item has."""

    PERMANENT = "permanent"
    YEARS = "years"
    UNTIL_NEEDED = "until_needed"


class NeverReason(StrEnum):
    """Why a case has no year from which it may be destroyed."""

    PERMANENT = "permanent"
    UNTIL_NEEDED = "until_needed"
    HELD = "held"
    OPEN = "open"


class RetentionParseError(ValueError):
    """The retention text could not be read.

    ``message`` is a lazy translatable string for the user; ``text`` is what
    was typed.
    """

    def __init__(self, message: Any, text: str) -> None:
        super().__init__(message)
        self.message = message
        self.text = text

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class RetentionRule:
    """A parsed retention period.

    ``source`` (the text as typed) and ``article_text`` (the article references
    as typed, e.g. ``"ст.23,28"``) are kept for display and audit but take no
    part in equality: two spellings of the same period are the same rule.
    """

    kind: RetentionKind
    years: int | None = None
    epk: bool = False
    articles: tuple[str, ...] = ()
    source: str = field(default="", compare=False)
    article_text: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        # Guards against rules built in code (or from stored JSON) that the
        # parser would never produce.
        kind = RetentionKind(self.kind)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "articles", tuple(self.articles))
        if kind is RetentionKind.YEARS:
            if not is_year_count(self.years):
                raise ValueError(
                    f"years must be an int from {MIN_YEARS} to {MAX_YEARS}, got {self.years!r}"
                )
        elif self.years is not None:
            raise ValueError(f"a {kind.value} rule has no years, got {self.years!r}")
        if self.epk and kind is RetentionKind.PERMANENT:
            raise ValueError("a permanent rule cannot carry an ЭПК mark")

    def to_json(self) -> dict[str, Any]:
        """The rule as plain JSON data: ``{"kind", "years", "epk", "articles"}``."""
        return {
            "kind": self.kind.value,
            "years": self.years,
            "epk": self.epk,
            "articles": list(self.articles),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RetentionRule:
        """Rebuild a rule stored with :meth:`to_json`."""
        return cls(
            kind=RetentionKind(data["kind"]),
            years=data.get("years"),
            epk=bool(data.get("epk", False)),
            articles=tuple(str(a) for a in data.get("articles", ())),
        )


@dataclass(frozen=True)
class Due:
    """When a closed case may first go into a destruction act.

    Exactly one of ``year`` and ``never`` is set. ``review`` is true when the
    expert commission must look at the case first (ЭПК mark, or until-needed).
    """

    year: int | None
    never: NeverReason | None
    review: bool


def is_year_count(value: object) -> bool:
    """Whether ``value`` is a whole number of years in the accepted range."""
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and MIN_YEARS <= value <= MAX_YEARS
    )
