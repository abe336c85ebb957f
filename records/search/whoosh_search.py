"""One search on a Whoosh searcher: the page of hits, the total and the facet counts.

``choose_path`` picks one of three ways to run the query, fastest first:

1. ``page_from_scores``: every segment is matched and scored with arrays
   (``records.search.whoosh_scoring``, Whoosh's BM25F to the last bit); the page is a partial sort
   of the scores. This is the way of every query the one-box language gives on this index.
2. ``page_of_matches``: the matches are found with arrays, but Whoosh scores the page (another
   weighting, say).
3. ``page_by_whoosh``: Whoosh's own matchers do everything (a segment of another codec).

Whichever way, the total and the facet counts come from each segment's matching document numbers
and its column values, read once per segment (``SegmentColumns``).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import numpy as np
from whoosh import collectors, sorting
from whoosh import query as wq
from whoosh.reading import IndexReader, SegmentReader
from whoosh.searching import Searcher

from records.search.base import FACETS, Hit, SearchResult, Sort
from records.search.highlight import Highlighter, snippet
from records.search.query import Node
from records.search.whoosh_fast import Unsupported, matching_docnums, phrase_terms
from records.search.whoosh_internals import TopCollector, field_length_bytes
from records.search.whoosh_scoring import Scored, SegmentScorer

__all__ = ["MAX_RESULT_WINDOW", "SegmentColumns", "Window", "choose_path", "page_by_whoosh", "page_from_scores",
           "page_of_matches", "match_segments", "run_search", "score_segments"]

MAX_RESULT_WINDOW = 10_000  # deepest hit a page may reach; deeper paging is no use to anyone

_FACET_FIELDS = {"year": "year", "index": "case_index", "type": "doc_type"}

Leaves = list[tuple[IndexReader, int]]  # each segment's reader and the global number of its first document
Matched = list[tuple[IndexReader, np.ndarray]]  # each segment's reader and its matching document numbers
Page = tuple[list[Hit], Matched]
ExecutionPath = Callable[[Searcher, wq.Query, Leaves, "Window"], Page]


@dataclass(frozen=True)
class Window:
    """Which hits make the page, in which order, and how their snippets are made."""

    offset: int
    limit: int
    by_date: bool
    highlighter: Highlighter | None

    @classmethod
    def of(cls, node: Node, page: int, per_page: int, sort: Sort, snippets: bool) -> Window:
        if sort not in ("relevance", "date"):
            raise ValueError(f"unknown sort {sort!r}")
        page, per_page = max(1, page), max(1, per_page)
        offset = (page - 1) * per_page
        return cls(offset=offset, limit=min(offset + per_page, MAX_RESULT_WINDOW), by_date=sort == "date",
                   highlighter=Highlighter.for_query(node) if snippets else None)

    @property
    def sortedby(self) -> list[sorting.FacetType] | None:
        return [sorting.FieldFacet("date_key", reverse=True), sorting.ScoreFacet()] if self.by_date else None


class SegmentColumns:
    """Column values of segments, read once per segment (segments never change their documents, only
    deletions) and forgotten when their segment is merged away."""

    def __init__(self) -> None:
        # (segment id, field) -> an array of codes per document and the value of each code
        self._columns: dict[tuple[str, str], tuple[np.ndarray, list[Any]]] = {}

    def date_keys(self, reader: IndexReader) -> np.ndarray | None:
        segment = reader.segment()
        if segment is None or not reader.doc_count_all():
            return None
        return self.column(reader, segment.segid, "date_key")[0]

    def lengths(self, reader: SegmentReader, segid: str, fieldname: str) -> np.ndarray:
        """The one-byte field lengths of a segment's documents."""
        key = (segid, f"_{fieldname}_len")
        found = self._columns.get(key)
        if found is None:
            found = self._columns[key] = (field_length_bytes(reader, fieldname), [])
        return found[0]

    def column(self, reader: IndexReader, segid: str, fieldname: str) -> tuple[np.ndarray, list[Any]]:
        """A sortable field of one segment as codes per document and the value of each code. Integer
        columns are their own codes."""
        key = (segid, fieldname)
        found = self._columns.get(key)
        if found is None:
            column = list(reader.column_reader(fieldname))
            if all(isinstance(value, int) for value in column):
                found = (np.asarray(column, dtype=np.int64), [])
            else:
                distinct: dict[Any, int] = {}
                codes = np.fromiter((distinct.setdefault(value, len(distinct)) for value in column),
                                    dtype=np.int64, count=len(column))
                found = (codes, list(distinct))
            self._columns[key] = found
        return found

    def count(self, matched: Matched) -> tuple[int, dict[str, dict[str, int]]]:
        """The total and the facet counts of the matching documents, segment by segment."""
        total = 0
        tallies: dict[str, Counter[Any]] = {name: Counter() for name in FACETS}
        live: set[str] = set()
        for reader, docnums in matched:
            segment = reader.segment()
            if segment is None:
                continue  # an empty index: no segment, no columns
            segid = segment.segid
            live.add(segid)
            if not docnums.size:
                continue
            total += int(docnums.size)
            for name in FACETS:
                codes, values = self.column(reader, segid, _FACET_FIELDS[name])
                for code, count in enumerate(np.bincount(codes[docnums], minlength=len(values)).tolist()):
                    if count:
                        tallies[name][values[code]] += count
        for key in [key for key in self._columns if key[0] not in live]:
            del self._columns[key]  # a segment merged away or cleared
        return total, {name: _facet_counts(tally) for name, tally in tallies.items()}


def run_search(searcher: Searcher, query: wq.Query, window: Window, columns: SegmentColumns) -> SearchResult:
    leaves = [(leaf.reader(), offset) for leaf, offset in searcher.leaf_searchers()]
    path = choose_path(searcher, query, leaves, columns)
    hits, matched = path(searcher, query, leaves, window)
    total, counts = columns.count(matched)
    return SearchResult(total=total, hits=hits, facets=counts)


def choose_path(searcher: Searcher, query: wq.Query, leaves: Leaves, columns: SegmentColumns) -> ExecutionPath:
    """The fastest way that can run ``query`` on these segments (see the module's docstring)."""
    scored = score_segments(searcher, query, leaves, columns)
    if scored is not None:
        return partial(page_from_scores, scored, columns)
    matched = match_segments(query, leaves, columns)
    if matched is not None:
        return partial(page_of_matches, matched)
    return page_by_whoosh


def page_from_scores(scored: list[Scored], columns: SegmentColumns,
                     searcher: Searcher, query: wq.Query, leaves: Leaves, window: Window) -> Page:
    matched = [(reader, np.flatnonzero(found.mask)) for (reader, _), found in zip(leaves, scored)]
    ranked = _rank(leaves, scored, window.limit, columns.date_keys if window.by_date else None)
    hits = [_hit_of(searcher.stored_fields(docnum), score, window.highlighter)
            for docnum, score in ranked[window.offset:window.limit]]
    return hits, matched


def page_of_matches(matched: Matched, searcher: Searcher, query: wq.Query, leaves: Leaves, window: Window) -> Page:
    if _has_phrase(query):
        # Phrases checked on the matching arrays; the page ranks only those documents, by their words'
        # scores (what a phrase scores), so no position is read twice.
        allowed = _global_docnums(leaves, matched)
        # (Whoosh reads an empty filter as no filter.)
        results = _top(searcher, phrase_terms(query), window, allowed) if allowed else []
    else:
        # The page alone first: with nothing else to fill, Whoosh skips blocks that cannot reach the top.
        # Whoosh's own exclusion can let an excluded document through (its AndNot matcher skipping
        # postings blocks), so a query that excludes is held to the documents counted.
        allowed = _global_docnums(leaves, matched) if _has_exclusion(query) else None
        results = _top(searcher, query, window, allowed) if allowed is None or allowed else []
    return _hits(results, window), matched


def page_by_whoosh(searcher: Searcher, query: wq.Query, leaves: Leaves, window: Window) -> Page:
    if _has_phrase(query):
        # Positions are checked per document either way: one pass scores, counts and records.
        recorder = _Recorder(searcher.collector(limit=max(window.limit, 1), sortedby=window.sortedby,
                                                optimize=False))
        searcher.search_with_collector(query, recorder)
        results = recorder.results()
        matched = [(reader, np.asarray(docnums, dtype=np.int64)) for reader, docnums in recorder.matched]
    else:
        results = _top(searcher, query, window, None)
        matched = [(leaf.reader(), np.fromiter(query.docs(leaf), dtype=np.int64))
                   for leaf, _ in searcher.leaf_searchers()]
    return _hits(results, window), matched


def score_segments(searcher: Searcher, query: wq.Query, leaves: Leaves, columns: SegmentColumns) -> list[Scored] | None:
    """Every segment's matches of ``query`` with their scores, or ``None`` when Whoosh must score it."""
    found: list[Scored] = []
    for reader, _ in leaves:
        if not isinstance(reader, SegmentReader):
            return None
        segid = reader.segment().segid
        try:
            scorer = SegmentScorer(searcher, reader, columns.date_keys(reader),
                                   lambda fieldname, r=reader, s=segid: columns.lengths(r, s, fieldname))
            found.append(scorer.score(query))
        except Unsupported:
            return None
    return found


def match_segments(query: wq.Query, leaves: Leaves, columns: SegmentColumns) -> Matched | None:
    """Each segment's matching document numbers as arrays, or ``None`` when Whoosh must match the query."""
    matched = []
    for reader, _ in leaves:
        docnums = matching_docnums(query, reader, columns.date_keys(reader))
        if docnums is None:
            return None
        matched.append((reader, docnums))
    return matched


def _rank(leaves: Leaves, scored: list[Scored], limit: int, date_keys: Any = None) -> list[tuple[int, float]]:
    """The first ``limit`` matches as (global document number, score): by score, or by date (newest first,
    undated last) then score when ``date_keys`` (reader -> the segment's day numbers) is given; ties in
    document order, as Whoosh orders them."""
    docnums = np.concatenate([offset + np.flatnonzero(found.mask) for (_, offset), found in zip(leaves, scored)])
    scores = np.concatenate([found.scores[found.mask] for found in scored])
    keys = [docnums, -scores]
    if date_keys is not None:
        days = np.concatenate([date_keys(reader)[found.mask] if found.mask.any() else np.zeros(0, dtype=np.int64)
                               for (reader, _), found in zip(leaves, scored)])
        keys.append(-days)
    if docnums.size > limit:
        # Only documents that can reach the page are sorted: those at or above the page's last primary key.
        primary = keys[-1]
        bar = np.partition(primary, limit - 1)[limit - 1]
        keep = primary <= bar
        keys = [key[keep] for key in keys]
        docnums, scores = docnums[keep], scores[keep]
    order = np.lexsort(keys)[:limit]
    return list(zip(docnums[order].tolist(), scores[order].tolist()))


def _top(searcher: Searcher, query: wq.Query, window: Window, allowed: set[int] | None) -> Any:
    """The first results of ``query`` up to the window's end (only ``allowed`` documents, when given)."""
    limit, sortedby = max(window.limit, 1), window.sortedby
    if sortedby is None and limit < searcher.doc_count():
        collector: collectors.Collector = TopCollector(limit)
        if allowed is not None:
            collector = collectors.FilterCollector(collector, allowed)
    else:
        collector = searcher.collector(limit=limit, sortedby=sortedby, filter=allowed)
    searcher.search_with_collector(query, collector)
    return collector.results()


def _hits(results: Any, window: Window) -> list[Hit]:
    if window.offset >= window.limit:
        return []
    # Sorted by date, Whoosh gives the sort key instead of a score.
    return [_hit_of(hit.fields(), float(hit.score) if isinstance(hit.score, int | float) else 0.0, window.highlighter)
            for hit in results[window.offset:window.limit]]


def _hit_of(stored: dict[str, Any], score: float, highlighter: Highlighter | None) -> Hit:
    """A result from a document's stored fields."""
    when = stored.get("doc_date")
    return Hit(
        id=int(stored["id"]),
        score=score,
        title=stored["title"],
        case_index=stored["case_index"],
        year=int(stored["year"]),
        doc_type=stored["doc_type"],
        doc_date=when.date() if isinstance(when, datetime) else None,
        snippet=snippet(stored.get("excerpt", ""), highlighter) if highlighter is not None else "",
    )


def _global_docnums(leaves: Leaves, matched: Matched) -> set[int]:
    return {offset + docnum for (_, offset), (_, docnums) in zip(leaves, matched) for docnum in docnums.tolist()}


def _has_exclusion(query: wq.Query) -> bool:
    if isinstance(query, wq.AndNot):
        return True
    return any(_has_exclusion(child) for child in query.children())


def _has_phrase(query: wq.Query) -> bool:
    if isinstance(query, wq.Phrase):
        return True
    return any(_has_phrase(child) for child in query.children())


class _Recorder(collectors.WrappingCollector):  # type: ignore[misc]
    """Passes every match to the wrapped collector and keeps its number, segment by segment."""

    def __init__(self, child: collectors.Collector) -> None:
        super().__init__(child)
        self.matched: list[tuple[IndexReader, list[int]]] = []
        self._current: list[int] = []

    def set_subsearcher(self, subsearcher: Searcher, offset: int) -> None:
        super().set_subsearcher(subsearcher, offset)
        self._current = []
        self.matched.append((subsearcher.reader(), self._current))

    def collect(self, sub_docnum: int) -> Any:
        self._current.append(sub_docnum)
        return self.child.collect(sub_docnum)


def _facet_counts(groups: dict[Any, int]) -> dict[str, int]:
    counts = {
        (key.decode("utf-8") if isinstance(key, bytes) else str(key)): int(count)
        for key, count in groups.items()
        if key not in (None, b"", "")
    }
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
