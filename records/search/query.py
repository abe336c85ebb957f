"""The one-box query language: user text -> a small, backend-neutral tree.

What a user may type (everything else is an ordinary word):

- ``протокол кафедра``: every word is required;
- ``протокол OR буйрук``: either side (OR binds tighter than the implicit AND);
- ``-келишим``, ``-"ички аудит"``, ``-type:order``: exclude;
- ``"отурумунун протоколу"`` (also «...», “...”): the exact words, in order;
- ``келиш*``: words starting with at least two given letters;
- fields: ``index:12-4-7``, ``year:2023``, ``type:protocol``, ``number:15``,
  ``counterparty:Кумтөр`` (or ``counterparty:"Кумтөр Голд"``), ``lang:ky``,
  ``date:2023-01-01..2023-06-30`` (either end may be left open; a single date
  means that day). Kyrgyz and Russian field names work too (``жыл:``, ``год:``...).

Search backends (Whoosh, PostgreSQL) translate the tree; none of their own
syntax reaches users. Mistakes raise ``QueryError`` carrying a translatable
message that says what is accepted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal, TypeAlias

from records.i18n import _l
from records.search.analysis import fold, normalize_number

__all__ = [
    "MAX_CLAUSES",
    "And",
    "DateRange",
    "FieldName",
    "FieldTerm",
    "MatchAll",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "Prefix",
    "QueryError",
    "Word",
    "parse_query",
]

MAX_CLAUSES = 64
MIN_PREFIX_LETTERS = 2
LANGUAGES = ("ky", "ru", "en")

FieldName = Literal["index", "year", "type", "number", "counterparty", "lang"]


class QueryError(ValueError):
    """The query cannot be understood; ``message`` is a lazy, translatable text."""

    def __init__(self, message: object) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class Word:
    """A word as typed; backends analyse it (stemming) themselves."""

    text: str


@dataclass(frozen=True)
class Phrase:
    """Words that must appear exactly and in this order."""

    text: str


@dataclass(frozen=True)
class Prefix:
    """Any word starting with ``text`` (already folded)."""

    text: str


@dataclass(frozen=True)
class FieldTerm:
    """An exact field value, already normalised; ``counterparty`` is analysed like words."""

    field: FieldName
    value: str


@dataclass(frozen=True)
class DateRange:
    """Document date within ``start``..``end``, both inclusive, either open."""

    start: date | None
    end: date | None


@dataclass(frozen=True)
class Not:
    node: Node


@dataclass(frozen=True)
class Or:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class And:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class MatchAll:
    """An empty query: every document (filters may still narrow it)."""


Node: TypeAlias = Word | Phrase | Prefix | FieldTerm | DateRange | Not | Or | And | MatchAll

_QUOTES = {'"': '"', "«": "»", "“": "”", "„": "“"}
_CLOSING = frozenset(_QUOTES.values())
_FIELD = re.compile(r"^([^\W\d_]+):(.*)$", re.DOTALL)
_HAS_WORD = re.compile(r"[^\W_]")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_FIELD_NAMES: dict[str, str] = {
    "index": "index", "индекс": "index",
    "year": "year", "год": "year", "жыл": "year",
    "type": "type", "тип": "type", "түр": "type",
    "number": "number", "номер": "number",
    "counterparty": "counterparty", "контрагент": "counterparty",
    "lang": "lang", "язык": "lang", "тил": "lang",
    "date": "date", "дата": "date",
}
_ACCEPTED_FIELDS = "index, year, type, number, counterparty, lang, date"


@dataclass(frozen=True)
class _Chunk:
    kind: Literal["word", "phrase", "field", "or"]
    text: str
    negated: bool = False
    field: str = ""


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """Return the quoted text opening at ``start`` and the index after its end."""
    closer = _QUOTES[text[start]]
    end = text.find(closer, start + 1)
    if end < 0 and closer != '"':
        end = text.find('"', start + 1)
    if end < 0:
        raise QueryError(_l('Close the quotation mark: put a phrase between two quotes, like "meeting protocol".'))
    return text[start + 1 : end], end + 1


def _scan(text: str) -> list[_Chunk]:
    chunks: list[_Chunk] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated = text[i] == "-" and i + 1 < n and not text[i + 1].isspace()
        if negated:
            i += 1
        if text[i] in _QUOTES:
            phrase, i = _read_quoted(text, i)
            chunks.append(_Chunk("phrase", phrase, negated))
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] not in _QUOTES and text[i] not in _CLOSING:
            i += 1
        raw = text[start:i]
        field = _FIELD.match(raw)
        if field and field.group(2) == "" and i < n and text[i] in _QUOTES:
            value, i = _read_quoted(text, i)
            chunks.append(_Chunk("field", value, negated, field.group(1)))
        elif field and field.group(2):
            chunks.append(_Chunk("field", field.group(2), negated, field.group(1)))
        elif raw == "OR" and not negated:
            chunks.append(_Chunk("or", raw))
        elif raw:
            chunks.append(_Chunk("word", raw, negated))
        elif i < n and text[i] in _CLOSING:
            i += 1  # a stray closing quote carries no meaning
    return chunks


def _parse_date(value: str) -> date:
    try:
        if not _ISO_DATE.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise QueryError(
            _l("“%(value)s” is not a date. Write dates as YYYY-MM-DD, for example date:2023-01-01..2023-06-30.",
               value=value)
        ) from None


def _date_range(value: str) -> DateRange:
    if ".." not in value:
        day = _parse_date(value)
        return DateRange(day, day)
    first, _, last = value.partition("..")
    if not first and not last:
        raise QueryError(_l("Give at least one date in the range, for example date:2023-01-01.. or date:..2023-06-30."))
    start = _parse_date(first) if first else None
    end = _parse_date(last) if last else None
    if start and end and start > end:
        raise QueryError(_l("The date range starts after it ends. Write the earlier date first."))
    return DateRange(start, end)


def _field(chunk: _Chunk) -> Node:
    name = _FIELD_NAMES.get(fold(chunk.field))
    value = chunk.text.strip()
    if name is None:
        raise QueryError(
            _l("Unknown search field “%(name)s”. Accepted fields: %(fields)s.", name=chunk.field, fields=_ACCEPTED_FIELDS)
        )
    if not value:
        raise QueryError(_l("Give a value after “%(name)s:”.", name=chunk.field))
    if name == "date":
        return _date_range(value)
    if name == "year":
        if not re.fullmatch(r"\d{4}", value):
            raise QueryError(
                _l("“%(value)s” is not a year. Write the year with four digits, for example year:2023.", value=value)
            )
        return FieldTerm("year", value)
    if name == "lang":
        if fold(value) not in LANGUAGES:
            raise QueryError(_l("Unknown language “%(value)s”. Accepted: ky, ru, en.", value=value))
        return FieldTerm("lang", fold(value))
    if name == "number":
        return FieldTerm("number", normalize_number(value))
    if name == "counterparty":
        if not _HAS_WORD.search(value):
            raise QueryError(_l("Give a value after “%(name)s:”.", name=chunk.field))
        return FieldTerm("counterparty", value)
    if name == "index":
        return FieldTerm("index", re.sub(r"\s+", "", value))
    return FieldTerm("type", fold(value))


def _term(chunk: _Chunk) -> Node | None:
    """The node for one word, phrase or field chunk; None when it holds no word."""
    if chunk.kind == "field":
        return _field(chunk)
    if chunk.kind == "phrase":
        return Phrase(chunk.text) if _HAS_WORD.search(chunk.text) else None
    if chunk.text.endswith("*"):
        stem = chunk.text.rstrip("*")
        if not re.fullmatch(r"[^\W_]*", stem):
            raise QueryError(_l("Only a single word can end with “*”, for example келиш*."))
        if len(stem) < MIN_PREFIX_LETTERS:
            raise QueryError(_l("Put at least two letters before “*”."))
        return Prefix(fold(stem))
    return Word(chunk.text) if _HAS_WORD.search(chunk.text) else None


def _or_misuse() -> QueryError:
    return QueryError(_l("Put a word on each side of OR, for example протокол OR буйрук."))


def parse_query(text: str) -> Node:
    """Parse one-box query text; raises ``QueryError`` for anything malformed."""
    groups: list[list[Node]] = []
    negated_groups: list[bool] = []
    joining = False
    for chunk in _scan(text):
        if chunk.kind == "or":
            if joining or not groups:
                raise _or_misuse()
            joining = True
            continue
        node = _term(chunk)
        if node is None:
            continue
        if joining:
            if chunk.negated or negated_groups[-1]:
                raise QueryError(_l("A word with a minus cannot be part of OR."))
            groups[-1].append(node)
            joining = False
        else:
            groups.append([node])
            negated_groups.append(chunk.negated)
    if joining:
        raise _or_misuse()
    if sum(len(group) for group in groups) > MAX_CLAUSES:
        raise QueryError(_l("The query is too long; use at most %(limit)s words.", limit=MAX_CLAUSES))
    if not groups:
        if text.strip():
            # Only brackets or signs (``(((``): searching for "everything" would mislead.
            raise QueryError(_l("The query has no word to look for. Write words, a phrase in quotes or a "
                                "field such as year:2023; brackets are not needed."))
        return MatchAll()
    if all(negated_groups):
        raise QueryError(_l("Add at least one word to look for; words with a minus only exclude."))
    nodes = [
        Not(group[0]) if negated else (group[0] if len(group) == 1 else Or(tuple(group)))
        for group, negated in zip(groups, negated_groups, strict=True)
    ]
    return nodes[0] if len(nodes) == 1 else And(tuple(nodes))
