"""The PostgreSQL full-text search backend, for installs where several app servers share one database.

Chosen with ``INDEX_URL=postgres-fts:``. It implements the same ``SearchIndex`` interface as the Whoosh
index on the ``search_entry`` table (``records.models.SearchEntry``). PostgreSQL's own dictionaries know
no Kyrgyz, so nothing is analysed in the database: the vectors and queries are written here from the
output of ``records.search.analysis`` (the 'simple' configuration's job, done in Python), and a query
word meets exactly the stems the Whoosh backend would give it.

- ``stems``: every stem of every word, the title's at weight A so title matches rank first;
- ``words``: the folded words unstemmed, with positions, for ``prefix*`` and phrases of three words or more;
- ``pairs``: every two successive folded words as one short term (a 48-bit hash of the two), without
  positions: a phrase is found through the index (its pairs), so its words' positions are read only to
  check a phrase of three words or more, on the rows that hold all its pairs;
- ``counterparty_stems``: stems of the counterparty, for ``counterparty:``.
Snippets come from the stored beginning of the text, as with Whoosh.
"""
from __future__ import annotations

import base64
import hashlib
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from itertools import islice
from typing import Any

from flask import Flask
from sqlalchemy import ColumnElement, Select, and_, case, cast, delete, false, func, literal, or_, select, text, true
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR, insert
from sqlalchemy.engine import Engine

from records.db import get_database
from records.models import SearchEntry
from records.search.analysis import analyze_exact, fold, normalize_number, stems, words
from records.search.base import (FACETS, FILTERS, MAX_RESULT_WINDOW, SNIPPET_SOURCE_CHARS, Hit, IndexDoc, SearchResult,
                                 Sort)
from records.search.highlight import Highlighter, snippet
from records.search.query import And, DateRange, FieldTerm, MatchAll, Node, Not, Or, Phrase, Prefix, Word, parse_query

__all__ = ["PgIndex", "tsquery_literal", "tsvector_literal"]

BATCH_SIZE = 200
# Relevance ranks at most this many candidates with the full vectors, chosen by the head vector.
RANK_WINDOW = 100
# Date order: the rows of the page's dates are ranked among this many more, for ties on a date.
DATE_TIE_SLACK = 200
# The head vector holds the title and this many words of the text after it.
HEAD_WORDS = 60
# PostgreSQL keeps word positions up to 16383 and at most 256 positions per lexeme; later ones
# are dropped, which only affects phrase matching deep inside very long texts.
_MAX_POSITION = 16383
_MAX_POSITIONS_PER_TERM = 256

_COLUMNS = {"year": SearchEntry.year, "index": SearchEntry.case_index, "type": SearchEntry.doc_type,
            "lang": SearchEntry.language, "number": SearchEntry.number}


def _quote(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(positions: dict[str, list[int]], weight: str = "") -> str:
    """The text form of a tsvector: ``'term':1,5A 'other':2A``; a term without positions stands alone."""
    parts = []
    for term, found in positions.items():
        kept = sorted(set(found))[:_MAX_POSITIONS_PER_TERM]
        parts.append(_quote(term) + (":" + ",".join(f"{pos}{weight}" for pos in kept) if kept else ""))
    return " ".join(parts)


def pair_terms(found: list[str]) -> list[str]:
    """The terms of ``pairs`` for words in this order: each word with the next, as 8 characters (48 bits
    of a hash of the two: a fraction of the size of the words themselves, and two different pairs in one
    document share a term about once in 10^11 documents)."""
    return [base64.urlsafe_b64encode(hashlib.blake2b(f"{first} {second}".encode(), digest_size=6).digest()).decode()
            for first, second in zip(found, found[1:])]


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
    in_order = [word for word, _, _ in words(unicodedata.normalize("NFC", doc.title + "\n" + body))]
    counterparty, _ = _positions(doc.counterparty or "", stemmed=True)
    stems_vector = " ".join(part for part in (tsvector_literal(title_stems, "A"), tsvector_literal(body_stems)) if part)
    return {**_head(doc.title, body, title_stems), **{
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
        "pairs": tsvector_literal(dict.fromkeys(pair_terms(in_order), [])),
        "counterparty_stems": tsvector_literal(counterparty),
    }}


def _head(title: str, body: str, title_stems: dict[str, list[int]]) -> dict[str, str]:
    """The small vector the first ranking pass reads: the title (weight A) and the first ``HEAD_WORDS``
    words of the text, each word with its stems and its folded form, at the positions the full vectors
    give them (so a phrase ranks there as it does in ``words``)."""
    head: dict[str, list[int]] = defaultdict(list)
    title_words, after_title = _positions(title, stemmed=False)
    title_part = {term: title_stems.get(term, []) + title_words.get(term, []) for term in {*title_stems, *title_words}}
    for pos, (word, _, _) in enumerate(islice(words(body), HEAD_WORDS), after_title):
        for term in {*stems(word), word}:
            head[term].append(pos)
    vector = " ".join(part for part in (tsvector_literal(title_part, "A"), tsvector_literal(head)) if part)
    return {"head": vector}


def _matches(column: Any, query: str) -> ColumnElement[bool]:
    return column.op("@@")(cast(literal(query), TSQUERY))


def _any_stem(word: str) -> str:
    return "(" + tsquery_literal(stems(word)) + ")"


def _phrase(found: list[str]) -> str:
    return tsquery_literal(found, "<->")


def _phrase_condition(columns: Any, found: list[str]) -> ColumnElement[bool]:
    """Rows holding the words of ``found`` one after another. Two words are one term of ``pairs``, which
    the index answers alone; a longer phrase takes the rows holding all its pairs from that index and
    checks the positions in ``words`` on those rows only."""
    if len(found) < 2:
        return _matches(columns.words, _phrase(found))
    holds_pairs = _matches(columns.pairs, tsquery_literal(pair_terms(found), "&"))
    if len(found) == 2:
        return holds_pairs
    return and_(holds_pairs, _matches(columns.words, _phrase(found)))


_ENTRIES = SearchEntry.__table__


class _Translator:
    """Turns the query tree into a WHERE clause over ``table`` (the search table or an alias of it),
    collecting what ranks the hits.

    Words, phrases and prefixes become ``@@`` conditions the GIN indexes answer. A negated part becomes
    an anti-join (``document_id NOT IN`` the ids the index finds for it): ``NOT (vector @@ query)`` would
    be evaluated row by row, reading every stored vector."""

    def __init__(self, table: Any = _ENTRIES) -> None:
        self.table = table
        self.rank_stems: list[str] = []
        self.rank_words: list[str] = []

    def __call__(self, node: Node, *, negated: bool = False) -> ColumnElement[bool]:  # noqa: PLR0911
        columns = self.table.c
        if isinstance(node, MatchAll):
            return true()
        if isinstance(node, Word):
            found = [word for word, _, _ in words(unicodedata.normalize("NFC", node.text))]
            if len(found) > 1:  # "12-4-7": one typed token that splits means those words together
                self._rank(self.rank_words, _phrase(found), negated)
                return _phrase_condition(columns, found)
            query = _any_stem(found[0])
            self._rank(self.rank_stems, query, negated)
            return _matches(columns.stems, query)
        if isinstance(node, Phrase):
            found = analyze_exact(node.text)
            self._rank(self.rank_words, _phrase(found), negated)
            return _phrase_condition(columns, found)
        if isinstance(node, Prefix):
            query = _quote(node.text) + ":*"
            self._rank(self.rank_words, query, negated)
            return _matches(columns.words, query)
        if isinstance(node, FieldTerm):
            if node.field == "counterparty":
                found = [word for word, _, _ in words(unicodedata.normalize("NFC", node.value))]
                return _matches(columns.counterparty_stems, " & ".join(_any_stem(word) for word in found))
            value: Any = int(node.value) if node.field == "year" else node.value
            return columns[_COLUMNS[node.field].key] == value
        if isinstance(node, DateRange):
            conditions = [columns.doc_date.is_not(None)]
            if node.start is not None:
                conditions.append(columns.doc_date >= node.start)
            if node.end is not None:
                conditions.append(columns.doc_date <= node.end)
            return and_(*conditions)
        if isinstance(node, Or):
            return or_(*(self(child, negated=negated) for child in node.nodes))
        if isinstance(node, And):
            return and_(*(self(child, negated=negated) for child in node.nodes))
        if isinstance(node, Not):
            inner_table = _ENTRIES.alias()
            inner = _Translator(inner_table)
            excluded = select(inner_table.c.document_id).where(inner(node.node, negated=True))
            return columns.document_id.not_in(excluded)
        raise TypeError(f"cannot translate {node!r}")

    @staticmethod
    def _rank(target: list[str], query: str, negated: bool) -> None:
        if not negated:
            target.append(query)

    @property
    def ranked(self) -> bool:
        return bool(self.rank_stems or self.rank_words)

    def rank(self, table: Any, *, first_pass: bool = False) -> ColumnElement[float]:
        """The score of a row: ``ts_rank`` of the stems and words the query looks for. The first pass
        reads only the small ``head`` vector (title and the text's beginning, stems and words)."""
        parts: list[ColumnElement[float]] = []
        for queries, column in ((self.rank_stems, table.c.stems), (self.rank_words, table.c.words)):
            if queries:
                query = cast(literal(" | ".join(f"({q})" for q in queries)), TSQUERY)
                parts.append(func.ts_rank(table.c.head if first_pass else column, query))
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


def _value_counts(matched: Any) -> Any:
    """The total and the facets in one aggregation: a JSON array of ``[year, index, type, count]`` for each
    combination of the facet columns among the matched rows, which ``_totals`` adds up. One pass over the
    matches, grouping by few combinations, instead of a count and one grouping per facet (measured on a
    word in 19,700 of 20,000 documents: 16 ms instead of 19 ms for this part)."""
    columns = [matched.c[_COLUMNS[name].key] for name in FACETS]
    grouped = select(*columns, func.count().label("n")).group_by(*columns).subquery()
    return (select(func.coalesce(func.json_agg(func.json_build_array(*grouped.c)), text("'[]'::json")))
            .scalar_subquery())


def _totals(combinations: list[list[Any]]) -> tuple[int, dict[str, dict[str, int]]]:
    """The total and each facet's value -> count (most first, then by value) from ``_value_counts``."""
    total = 0
    counts: dict[str, dict[str, int]] = {name: defaultdict(int) for name in FACETS}
    for *values, n in combinations:
        total += int(n)
        for name, value in zip(FACETS, values, strict=True):
            if value not in (None, ""):
                counts[name][str(value)] += int(n)
    return total, {name: dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))
                   for name, found in counts.items()}


def _statement(node: Node, filters: dict[str, str], offset: int, limit: int, sort: Sort) -> Select[Any]:
    """One statement for one search: the matching rows once (a materialised CTE of their ids and
    facet columns, found through the indexes without reading the stored vectors where the query
    allows), the total and the facets from it (one grouping), and the page: ranked among a bounded set of candidates
    (the best ``RANK_WINDOW`` by the small ``head`` vector), so the large vectors are read for at most
    that many rows, not for every match."""
    translate = _Translator()
    where = and_(translate(node), *_filters(filters))
    first_pass = sort != "date" and translate.ranked
    # The first pass ranks each match as the index scan reads its row (the head vector is stored in
    # the row itself), rather than joining the whole table again.
    matched = (select(SearchEntry.document_id, SearchEntry.year, SearchEntry.case_index, SearchEntry.doc_type,
                      SearchEntry.doc_date,
                      *([translate.rank(_ENTRIES, first_pass=True).label("first_rank")] if first_pass else []))
               .where(where).cte("matched").prefix_with("MATERIALIZED"))
    summary = select(_value_counts(matched).label("combinations")).subquery("summary")

    window = max(RANK_WINDOW, offset + limit)
    entries = _ENTRIES.alias("entry")
    if sort == "date":
        undated = case((matched.c.doc_date.is_(None), 1), else_=0)
        candidates = (select(matched.c.document_id).order_by(undated, matched.c.doc_date.desc(),
                                                              matched.c.document_id)
                      .limit(offset + limit + DATE_TIE_SLACK))
    elif first_pass:
        candidates = (select(matched.c.document_id).order_by(matched.c.first_rank.desc(), matched.c.document_id)
                      .limit(window))
    else:
        candidates = select(matched.c.document_id).order_by(matched.c.document_id).limit(offset + limit)
    rank = (translate.rank(entries) if translate.ranked else literal(0.0)).label("rank")
    order: list[Any] = [rank.desc(), entries.c.document_id]
    if sort == "date":
        order = [case((entries.c.doc_date.is_(None), 1), else_=0), entries.c.doc_date.desc(), *order]
    page = (
        select(entries.c.document_id, entries.c.title, entries.c.case_index, entries.c.year, entries.c.doc_type,
               entries.c.doc_date, entries.c.excerpt, rank)
        .where(entries.c.document_id.in_(candidates.scalar_subquery()))
        .order_by(*order).offset(offset).limit(limit)
    ).subquery("page")
    return (select(summary, page).select_from(summary.outerjoin(page, true()))
            .order_by(*([page.c.doc_date.is_(None), page.c.doc_date.desc()] if sort == "date" else []),
                      page.c.rank.desc(), page.c.document_id))


# Below these, searches spill their candidate sets to disk or read the indexes from disk.
MIN_WORK_MEM_KB = 16 * 1024
MIN_SHARED_BUFFERS_KB = 256 * 1024


def tuning_warnings(engine: Engine) -> list[str]:
    """What in the PostgreSQL server's settings would slow searches down, as sentences to print
    (``flask db check``); empty when the settings are reasonable for the search table's size."""
    with engine.connect() as conn:
        settings = {name: int(value) for name, value in conn.execute(text(
            "SELECT name, setting::bigint * CASE unit WHEN '8kB' THEN 8 WHEN 'kB' THEN 1 WHEN 'MB' THEN 1024 "
            "ELSE 1 END FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem')"))}
        index_kb = int(conn.execute(text(
            "SELECT coalesce(sum(pg_relation_size(indexrelid)), 0) / 1024 FROM pg_index "
            "WHERE indrelid = to_regclass('search_entry')")).scalar() or 0)
    warnings = []
    if settings.get("work_mem", 0) < MIN_WORK_MEM_KB:
        warnings.append(f"work_mem is {settings.get('work_mem', 0) // 1024} MB; searches sort and hash their "
                        f"candidates in it: set at least {MIN_WORK_MEM_KB // 1024} MB.")
    wanted = max(MIN_SHARED_BUFFERS_KB, index_kb)
    if settings.get("shared_buffers", 0) < wanted:
        warnings.append(f"shared_buffers is {settings.get('shared_buffers', 0) // 1024} MB; the search indexes "
                        f"take {index_kb // 1024} MB: set at least {wanted // 1024} MB (a quarter of the "
                        f"server's memory is the usual choice).")
    return warnings


def explain(index: PgIndex, query: str, *, filters: dict[str, str] | None = None, page: int = 1,
            per_page: int = 20, sort: Sort = "relevance") -> list[str]:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of the statement a search runs (for the benchmark and tuning)."""
    statement = _statement(parse_query(query), filters or {}, (page - 1) * per_page, per_page, sort)
    compiled = statement.compile(dialect=index.engine.dialect, compile_kwargs={"literal_binds": True})
    with index.engine.connect() as conn:
        _prefer_indexes(conn)
        return [row[0] for row in conn.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}"))]


def _prefer_indexes(conn: Any) -> None:
    """Find matches through the GIN indexes even when most documents match. The planner would then
    choose a sequential scan, which evaluates ``@@`` row by row and so reads (and decompresses) every
    stored vector; a bitmap scan of the index reads none of them for plain words. Measured on 3,000
    documents: 2-3x faster for every kind of query.

    And no JIT compilation: a search that must read the whole table (no words: a facet or a date range
    alone, or only excluded words) keeps its sequential scan, whose cost the setting above makes huge, so
    the planner would compile the statement, at about 240 ms, for a statement that runs in 40 ms
    (measured at 20,000 documents). For this search's transaction only, in one round trip."""
    conn.execute(text("SELECT set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)"))


class PgIndex:
    """The search index in the application's PostgreSQL database."""

    def __init__(self, app: Flask) -> None:
        database = get_database(app)
        if database.dialect != "postgresql":
            raise ValueError("INDEX_URL postgres-fts: needs the database to be PostgreSQL (SANDYK_DATABASE_URL)")
        self.engine: Engine = database.engine

    def add(self, docs: Iterable[IndexDoc], *, processes: int = 1, expected: int | None = None) -> None:
        # One process: ``processes`` and ``expected`` are for the Whoosh backend's rebuild.
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
        statement = _statement(node, filters or {}, offset, max(limit, 1), sort)
        highlighter = Highlighter.for_query(node) if snippets else None
        with self.engine.connect() as conn:
            _prefer_indexes(conn)
            rows = conn.execute(statement).all()
        total, facets = _totals(rows[0].combinations or [])
        hits = [
            Hit(id=row.document_id, score=float(row.rank or 0.0), title=row.title, case_index=row.case_index,
                year=row.year, doc_type=row.doc_type, doc_date=row.doc_date,
                snippet=snippet(row.excerpt, highlighter) if highlighter is not None else "")
            for row in rows if row.document_id is not None and limit
        ]
        return SearchResult(total=total, hits=hits, facets=facets)

    def close(self) -> None:
        """Nothing to close: connections belong to the application's engine."""
