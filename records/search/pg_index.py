"""The PostgreSQL full-text search backend, for installs where several app servers share one database.

Chosen with ``INDEX_URL=postgres-fts:``. It implements the same ``SearchIndex`` interface as the Whoosh
index on the ``search_entry`` table (``records.models.SearchEntry``). PostgreSQL's own dictionaries know
no Kyrgyz, so nothing is analysed in the database: the vectors and queries are written here from the
output of ``records.search.analysis`` (the 'simple' configuration's job, done in Python), and a query
word meets exactly the stems the Whoosh backend would give it.

- ``stems``: every stem of every word, the title's at weight A so title matches rank first;
- ``words``: the folded words unstemmed, with positions, for "phrases" and ``prefix*``;
- ``counterparty_stems``: stems of the counterparty, for ``counterparty:``.
Snippets come from the stored beginning of the text, as with Whoosh.
"""
from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from itertools import islice
from typing import Any

from flask import Flask
from sqlalchemy import ColumnElement, Select, and_, case, cast, delete, false, func, literal, not_, or_, select, true
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR, insert
from sqlalchemy.engine import Engine

from records.db import get_database
from records.models import SearchEntry
from records.search.analysis import analyze_exact, fold, normalize_number, stems, words
from records.search.base import FACETS, FILTERS, Hit, IndexDoc, SearchResult, Sort
from records.search.highlight import Highlighter, snippet
from records.search.query import And, DateRange, FieldTerm, MatchAll, Node, Not, Or, Phrase, Prefix, Word, parse_query

__all__ = ["PgIndex", "tsquery_literal", "tsvector_literal"]

SNIPPET_SOURCE_CHARS = 4000
BATCH_SIZE = 200
MAX_RESULT_WINDOW = 10_000
# PostgreSQL keeps word positions up to 16383 and at most 256 positions per lexeme; later ones
# are dropped, which only affects phrase matching deep inside very long texts.
_MAX_POSITION = 16383
_MAX_POSITIONS_PER_TERM = 256

_COLUMNS = {"year": SearchEntry.year, "index": SearchEntry.case_index, "type": SearchEntry.doc_type,
            "lang": SearchEntry.language, "number": SearchEntry.number}


def _quote(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(positions: dict[str, list[int]], weight: str = "") -> str:
    """The text form of a tsvector: ``'term':1,5A 'other':2A``."""
    parts = []
    for term, found in positions.items():
        kept = sorted(set(found))[:_MAX_POSITIONS_PER_TERM]
        parts.append(_quote(term) + ":" + ",".join(f"{pos}{weight}" for pos in kept))
    return " ".join(parts)


def tsquery_literal(terms: Iterable[str], operator: str = "|") -> str:
    return f" {operator} ".join(_quote(term) for term in terms)


def _positions(text: str, *, stemmed: bool, start: int = 1) -> tuple[dict[str, list[int]], int]:
    """Terms of ``text`` with their word positions (every stem of a word at the word's position)."""
    found: dict[str, list[int]] = defaultdict(list)
    pos = start
    for pos, (word, _, _) in enumerate(words(unicodedata.normalize("NFC", text)), start):
        at = min(pos, _MAX_POSITION)
        for term in stems(word) if stemmed else (word,):
            found[term].append(at)
    return found, pos + 1


def _row(doc: IndexDoc) -> dict[str, Any]:
    text = unicodedata.normalize("NFC", doc.text)
    body = "\n".join(part for part in (text, doc.counterparty, doc.number, doc.case_index, *doc.filenames) if part)
    title_stems, after_title = _positions(doc.title, stemmed=True)
    body_stems, _ = _positions(body, stemmed=True, start=after_title)
    exact, _ = _positions(doc.title + "\n" + body, stemmed=False)
    counterparty, _ = _positions(doc.counterparty or "", stemmed=True)
    stems_vector = " ".join(part for part in (tsvector_literal(title_stems, "A"), tsvector_literal(body_stems)) if part)
    return {
        "document_id": doc.id,
        "title": doc.title,
        "case_index": "".join(doc.case_index.split()),
        "year": doc.year,
        "doc_type": fold(doc.doc_type),
        "doc_date": doc.doc_date,
        "number": normalize_number(doc.number) if doc.number else None,
        "language": fold(doc.language) if doc.language else None,
        "excerpt": text[:SNIPPET_SOURCE_CHARS],
        "stems": stems_vector,
        "words": tsvector_literal(exact),
        "counterparty_stems": tsvector_literal(counterparty),
    }


def _matches(column: Any, query: str) -> ColumnElement[bool]:
    return column.op("@@")(cast(literal(query), TSQUERY))


def _any_stem(word: str) -> str:
    return "(" + tsquery_literal(stems(word)) + ")"


def _phrase(found: list[str]) -> str:
    return tsquery_literal(found, "<->")


class _Translator:
    """Turns the query tree into a WHERE clause, collecting what ranks the hits."""

    def __init__(self) -> None:
        self.rank_stems: list[str] = []
        self.rank_words: list[str] = []

    def __call__(self, node: Node, *, negated: bool = False) -> ColumnElement[bool]:  # noqa: PLR0911
        if isinstance(node, MatchAll):
            return true()
        if isinstance(node, Word):
            found = [word for word, _, _ in words(unicodedata.normalize("NFC", node.text))]
            if len(found) > 1:  # "12-4-7": one typed token that splits means those words together
                query = _phrase(found)
                self._rank(self.rank_words, query, negated)
                return _matches(SearchEntry.words, query)
            query = _any_stem(found[0])
            self._rank(self.rank_stems, query, negated)
            return _matches(SearchEntry.stems, query)
        if isinstance(node, Phrase):
            query = _phrase(analyze_exact(node.text))
            self._rank(self.rank_words, query, negated)
            return _matches(SearchEntry.words, query)
        if isinstance(node, Prefix):
            query = _quote(node.text) + ":*"
            self._rank(self.rank_words, query, negated)
            return _matches(SearchEntry.words, query)
        if isinstance(node, FieldTerm):
            if node.field == "counterparty":
                found = [word for word, _, _ in words(unicodedata.normalize("NFC", node.value))]
                return _matches(SearchEntry.counterparty_stems, " & ".join(_any_stem(word) for word in found))
            value: Any = int(node.value) if node.field == "year" else node.value
            return _COLUMNS[node.field] == value
        if isinstance(node, DateRange):
            conditions = [SearchEntry.doc_date.is_not(None)]
            if node.start is not None:
                conditions.append(SearchEntry.doc_date >= node.start)
            if node.end is not None:
                conditions.append(SearchEntry.doc_date <= node.end)
            return and_(*conditions)
        if isinstance(node, Or):
            return or_(*(self(child, negated=negated) for child in node.nodes))
        if isinstance(node, And):
            return and_(*(self(child, negated=negated) for child in node.nodes))
        if isinstance(node, Not):
            return not_(self(node.node, negated=True))
        raise TypeError(f"cannot translate {node!r}")

    @staticmethod
    def _rank(target: list[str], query: str, negated: bool) -> None:
        if not negated:
            target.append(query)

    def rank(self) -> ColumnElement[float]:
        parts: list[ColumnElement[float]] = []
        if self.rank_stems:
            query = cast(literal(" | ".join(f"({q})" for q in self.rank_stems)), TSQUERY)
            parts.append(func.ts_rank(SearchEntry.stems, query))
        if self.rank_words:
            query = cast(literal(" | ".join(f"({q})" for q in self.rank_words)), TSQUERY)
            parts.append(func.ts_rank(SearchEntry.words, query))
        if not parts:
            return literal(0.0)
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        return total


def _filters(filters: dict[str, str]) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    for name, raw in filters.items():
        if name not in FILTERS:
            raise ValueError(f"unknown search filter {name!r}; accepted: {', '.join(FILTERS)}")
        if name == "year":
            if not str(raw).isdigit():
                found.append(false())
                continue
            found.append(SearchEntry.year == int(raw))
        elif name == "index":
            found.append(SearchEntry.case_index == "".join(str(raw).split()))
        else:
            found.append(_COLUMNS[name] == fold(str(raw)))
    return found


class PgIndex:
    """The search index in the application's PostgreSQL database."""

    def __init__(self, app: Flask) -> None:
        database = get_database(app)
        if database.dialect != "postgresql":
            raise ValueError("INDEX_URL postgres-fts: needs the database to be PostgreSQL (SANDYK_DATABASE_URL)")
        self.engine: Engine = database.engine

    def add(self, docs: Iterable[IndexDoc]) -> None:
        iterator = iter(docs)
        while batch := list(islice(iterator, BATCH_SIZE)):
            latest = {doc.id: _row(doc) for doc in batch}  # the last version of a repeated id wins
            rows = list(latest.values())
            statement = insert(SearchEntry).values(
                [{**row, **{name: cast(literal(row[name]), TSVECTOR)
                            for name in ("stems", "words", "counterparty_stems")}} for row in rows]
            )
            updated = {column: statement.excluded[column] for column in rows[0] if column != "document_id"}
            with self.engine.begin() as conn:
                conn.execute(statement.on_conflict_do_update(index_elements=["document_id"], set_=updated))

    def delete(self, ids: Iterable[int]) -> None:
        wanted = [int(doc_id) for doc_id in ids]
        if wanted:
            with self.engine.begin() as conn:
                conn.execute(delete(SearchEntry).where(SearchEntry.document_id.in_(wanted)))

    def clear(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(SearchEntry))

    def ids(self) -> set[int]:
        with self.engine.connect() as conn:
            return set(conn.scalars(select(SearchEntry.document_id)))

    def doc_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(SearchEntry)) or 0)

    def search(
        self,
        query: str,
        *,
        filters: dict[str, str] | None = None,
        page: int = 1,
        per_page: int = 20,
        sort: Sort = "relevance",
        snippets: bool = True,
    ) -> SearchResult:
        node = parse_query(query)
        if sort not in ("relevance", "date"):
            raise ValueError(f"unknown sort {sort!r}")
        page, per_page = max(1, page), max(1, per_page)
        offset = (page - 1) * per_page
        limit = max(0, min(offset + per_page, MAX_RESULT_WINDOW) - offset)
        translate = _Translator()
        where = and_(translate(node), *_filters(filters or {}))
        rank = translate.rank().label("rank")
        order: list[Any] = [rank.desc(), SearchEntry.document_id]
        if sort == "date":
            order = [case((SearchEntry.doc_date.is_(None), 1), else_=0), SearchEntry.doc_date.desc(), *order]
        page_query: Select[Any] = (
            select(SearchEntry.document_id, SearchEntry.title, SearchEntry.case_index, SearchEntry.year,
                   SearchEntry.doc_type, SearchEntry.doc_date, SearchEntry.excerpt, rank)
            .where(where).order_by(*order).offset(offset).limit(limit)
        )
        highlighter = Highlighter.for_query(node) if snippets else None
        with self.engine.connect() as conn:
            total = int(conn.scalar(select(func.count()).select_from(SearchEntry).where(where)) or 0)
            rows = conn.execute(page_query).all() if limit and offset < total else []
            facets = {name: self._facet(conn, name, where) for name in FACETS}
        hits = [
            Hit(id=row.document_id, score=float(row.rank or 0.0), title=row.title, case_index=row.case_index,
                year=row.year, doc_type=row.doc_type, doc_date=row.doc_date,
                snippet=snippet(row.excerpt, highlighter) if highlighter is not None else "")
            for row in rows
        ]
        return SearchResult(total=total, hits=hits, facets=facets)

    @staticmethod
    def _facet(conn: Any, name: str, where: ColumnElement[bool]) -> dict[str, int]:
        column = _COLUMNS[name]
        counts = {str(value): int(count) for value, count in
                  conn.execute(select(column, func.count()).where(where).group_by(column)) if value not in (None, "")}
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def close(self) -> None:
        """Nothing to close: connections belong to the application's engine."""
