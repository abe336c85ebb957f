"""Matching document numbers of a Whoosh query as numpy arrays, for totals, facets and phrases.

A result page needs every matching document only to count it: the total and the facet counts.
Whoosh walks a matcher tree posting by posting in Python for that; here the postings of each term
are read block by block straight into sorted arrays (``records.search.whoosh_internals``, the one
module that reaches into Whoosh's block format) and combined with numpy set operations, and
phrases check positions only for the documents that hold every word of the phrase.

``matching_docnums`` understands the queries ``records.search.whoosh_query.to_whoosh`` builds and
returns ``None`` for anything else, so callers fall back to Whoosh's own matching.

Prefix queries are cheap here too: ``prefix_frequencies`` reads the document frequency of every term
starting with a prefix straight from a segment's term table (without decoding the postings kept there),
and ``ConstantTerms`` matches a set of terms with one constant score from the same arrays, so a page of
prefix hits is never scored posting by posting.
"""
from __future__ import annotations

from datetime import datetime
from functools import reduce
from itertools import chain
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.matching import NullMatcher
from whoosh.reading import IndexReader, SegmentReader
from whoosh.scoring import WeightScorer

from records.search.whoosh_internals import (
    ConstantMatcher,
    postings_blocks,
    prefix_terms,
    run_frequencies,
    term_info,
    term_info_from_entry,
)

__all__ = ["EMPTY", "Blocks", "ConstantTerms", "DocNums", "Unsupported", "matching_docnums", "phrase_docnums",
           "phrase_terms", "prefix_frequencies", "query_docnums", "raw_blocks", "term_bytes"]

DocNums = np.ndarray  # sorted, unique segment document numbers (int64)

EMPTY: DocNums = np.zeros(0, dtype=np.int64)


class Unsupported(Exception):
    """A query this module does not evaluate; the caller uses Whoosh instead."""


def matching_docnums(query: wq.Query, reader: Any, date_keys: DocNums | None = None) -> DocNums | None:
    """The live documents of one segment matching ``query``, or ``None`` when the query is not understood.

    ``date_keys`` is the segment's ``date_key`` column (needed for date ranges).
    """
    if not isinstance(reader, SegmentReader):
        return None
    try:
        found = query_docnums(query, reader, date_keys)
    except Unsupported:
        return None
    deleted = reader.deleted_docs_set
    if deleted and found.size:
        found = np.setdiff1d(found, np.fromiter(deleted, dtype=np.int64, count=len(deleted)), assume_unique=True)
    return found


def phrase_terms(query: wq.Query) -> wq.Query:
    """``query`` with each phrase replaced by the conjunction of its words.

    Whoosh scores a phrase as the sum of its words' scores, so this query ranks the documents that
    contain the phrase exactly as the phrase query does; restricted to them, it gives the same page
    without checking positions.
    """
    if isinstance(query, wq.Phrase):
        terms = [wq.Term(query.fieldname, word) for word in query.words]
        return terms[0] if len(terms) == 1 else wq.And(terms, boost=query.boost)
    if isinstance(query, wq.AndNot):
        return wq.AndNot(phrase_terms(query.a), phrase_terms(query.b))
    if isinstance(query, (wq.And, wq.Or)):
        return type(query)([phrase_terms(child) for child in query.subqueries], boost=query.boost)
    return query


def query_docnums(query: wq.Query, reader: SegmentReader, date_keys: DocNums | None) -> DocNums:
    if isinstance(query, wq.Term):
        return _term_docnums(reader, query.fieldname, query.text)
    if isinstance(query, ConstantTerms):
        return query.union(reader)
    if isinstance(query, wq.Phrase):
        return phrase_docnums(reader, query)
    if isinstance(query, wq.AndNot):
        return np.setdiff1d(query_docnums(query.a, reader, date_keys), query_docnums(query.b, reader, date_keys),
                            assume_unique=True)
    if isinstance(query, wq.And):
        parts = [query_docnums(child, reader, date_keys) for child in query.subqueries]
        return reduce(lambda a, b: np.intersect1d(a, b, assume_unique=True), sorted(parts, key=len)) if parts \
            else EMPTY
    if isinstance(query, wq.Or):
        if getattr(query, "minmatch", 0) not in (0, 1):
            raise Unsupported(query)
        parts = [query_docnums(child, reader, date_keys) for child in query.subqueries]
        return np.unique(np.concatenate(parts)) if parts else EMPTY
    if isinstance(query, wq.Every) and not query.fieldname:
        return np.arange(reader.doc_count_all(), dtype=np.int64)
    if query is wq.NullQuery or isinstance(query, type(wq.NullQuery)):
        return EMPTY
    if isinstance(query, wq.DateRange) and query.fieldname == "doc_date" and date_keys is not None:
        if query.startexcl or query.endexcl:
            raise Unsupported(query)
        # ``date_key`` is the day number of the document date, 0 when there is none; the range's ends are
        # whole days, so comparing days is the same as comparing the stored datetimes.
        mask = date_keys > 0
        start, end = getattr(query, "startdate", None), getattr(query, "enddate", None)
        if (start is not None and not isinstance(start, datetime)) or (end is not None and not isinstance(end, datetime)):
            raise Unsupported(query)
        if start is not None:
            mask &= date_keys >= start.toordinal()
        if end is not None:
            mask &= date_keys <= end.toordinal()
        return np.flatnonzero(mask).astype(np.int64)
    raise Unsupported(query)


def term_bytes(reader: SegmentReader, fieldname: str, text: Any) -> bytes | None:
    if fieldname not in reader.schema:
        return None
    if isinstance(text, bytes):
        return text
    try:
        return reader.schema[fieldname].to_bytes(text)  # type: ignore[no-any-return]
    except ValueError:
        return None


Blocks = list[tuple[DocNums, Any, Any]]  # per postings block: document numbers, weights as stored, values


def raw_blocks(reader: SegmentReader, fieldname: str, tbytes: bytes, cache: dict[Any, Blocks] | None = None,
               info: Any = None) -> Blocks:
    """A term's postings block by block, deletions included; ``cache`` keeps them for the rest of a search.

    ``info`` is the term's entry of the term table when the caller already has it (``prefix_terms``),
    which saves looking the term up again.
    """
    if cache is not None:
        found = cache.get((fieldname, tbytes))
        if found is not None:
            return found
    if info is None:
        info = term_info(reader, fieldname, tbytes)  # one lookup
    found = [] if info is None else postings_blocks(reader, fieldname, tbytes, info)
    if found is None:
        raise Unsupported(fieldname)
    if cache is not None:
        cache[fieldname, tbytes] = found
    return found


def _blocks(reader: SegmentReader, fieldname: str, tbytes: bytes, values: bool,
            cache: dict[Any, Blocks] | None = None) -> list[tuple[DocNums, Any]]:
    """A term's postings as (document numbers, values or None) per block, deletions included."""
    return [(ids, vals if values else None) for ids, _weights, vals in raw_blocks(reader, fieldname, tbytes, cache)]


def _term_docnums(reader: SegmentReader, fieldname: str, text: Any, info: Any = None) -> DocNums:
    tbytes = term_bytes(reader, fieldname, text)
    if tbytes is None:
        return EMPTY
    blocks = raw_blocks(reader, fieldname, tbytes, info=info)
    if not blocks:
        return EMPTY
    return blocks[0][0] if len(blocks) == 1 else np.concatenate([ids for ids, _, _ in blocks])


def _members(sorted_set: DocNums, values: DocNums) -> np.ndarray:
    """Whether each of ``values`` is in ``sorted_set`` (sorted, unique): a binary search each."""
    if not sorted_set.size:
        return np.zeros(values.size, dtype=bool)
    places = np.searchsorted(sorted_set, values)
    places[places == sorted_set.size] = 0
    return sorted_set[places] == values  # type: ignore[no-any-return]


def _sorted_intersection(a: DocNums, b: DocNums) -> DocNums:
    """The common values of two sorted unique arrays, the smaller one searched in the larger.

    ``np.intersect1d`` sorts both together; for a phrase's position keys (a million at a time for
    common words) the binary searches of the smaller array cost a fraction of that.
    """
    small, large = (a, b) if a.size <= b.size else (b, a)
    return small[_members(large, small)]


def phrase_docnums(reader: SegmentReader, query: wq.Phrase, cache: dict[Any, Blocks] | None = None) -> DocNums:
    if query.slop != 1 or not query.words:
        raise Unsupported(query)
    fieldname = query.fieldname
    field = reader.schema[fieldname] if fieldname in reader.schema else None
    if field is None or type(field.format).__name__ != "PackedPositions":
        raise Unsupported(query)
    postings = []
    for word in query.words:
        tbytes = term_bytes(reader, fieldname, word)
        blocks = _blocks(reader, fieldname, tbytes, values=True, cache=cache) if tbytes is not None else []
        if not blocks:
            return EMPTY
        postings.append(blocks)
    candidates = reduce(lambda a, b: np.intersect1d(a, b, assume_unique=True),
                        [np.concatenate([ids for ids, _ in blocks]) for blocks in postings])
    if len(query.words) == 1 or not candidates.size:
        return candidates
    # Each word's positions in the candidates, shifted back by the word's place in the phrase, as one
    # array of (document, start) keys: a phrase starts where the keys of every word meet.
    starts: DocNums | None = None
    for place, blocks in enumerate(postings):
        ids = blocks[0][0] if len(blocks) == 1 else np.concatenate([ids for ids, _ in blocks])
        values = list(chain.from_iterable(vals for _, vals in blocks))
        # Packed positions (``PackedPositions``), four bytes each: one document's run after another.
        counts = np.fromiter(map(len, values), dtype=np.int64, count=len(values)) // 4
        shifted = np.frombuffer(b"".join(values), dtype="<u4").astype(np.int64) - place
        # A word before the start of the text cannot begin the phrase there; only candidates count.
        keep = np.repeat(_members(candidates, ids), counts) & (shifted >= 0)
        # Documents ascend and each one's positions ascend, so the keys come sorted and unique.
        keys = (np.repeat(ids, counts)[keep] << 32) | shifted[keep]
        starts = keys if starts is None else _sorted_intersection(starts, keys)
    assert starts is not None
    found = starts >> 32
    return found[np.concatenate(([True], found[1:] != found[:-1]))] if found.size else found


# -- prefixes ---------------------------------------------------------------------------------------------

def prefix_frequencies(reader: IndexReader, fieldname: str, prefix: str) -> dict[bytes, int]:
    """Every term of ``fieldname`` in one segment starting with ``prefix``, with its document frequency.

    Frequencies count deleted documents until their segment is merged, as Whoosh's do.
    """
    run = prefix_terms(reader, fieldname, prefix)
    if run is not None:
        return run_frequencies(run)
    if fieldname not in reader.schema:
        return {}
    return {text: info.doc_frequency() for text, info in reader.iter_prefix(fieldname, prefix.encode("utf-8"))}


class ConstantTerms(wq.Query):  # type: ignore[misc]
    """Documents holding any of ``texts`` in ``fieldname``, each scored ``score`` however many it holds.

    What a bounded prefix expands to: scoring fifty terms with BM25 costs a walk over every posting
    of every term, and the terms' frequencies say little about how well a document answers a prefix.
    Documents tie, so Whoosh orders them by document number. Matching reads the terms' postings as
    arrays, once per segment and query object (counting and the page share them).
    """

    def __init__(self, fieldname: str, texts: tuple[str, ...], score: float = 1.0,
                 runs: list[tuple[Any, dict[bytes, bytes]]] | None = None) -> None:
        self.fieldname = fieldname
        self.texts = texts
        self.score = score
        self.boost = 1.0
        self._found: dict[int, tuple[Any, DocNums]] = {}
        # Per segment reader, the term table entries of every term the query was expanded from
        # (``prefix_terms``): a term missing from a segment's run is not in that segment at all.
        self._runs = {id(reader): (reader, run) for reader, run in runs or ()}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.fieldname!r}, {self.texts!r}, score={self.score!r})"

    def __eq__(self, other: object) -> bool:
        return (type(other) is type(self) and other.fieldname == self.fieldname  # type: ignore[attr-defined]
                and other.texts == self.texts and other.score == self.score)  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self.fieldname, self.texts, self.score))

    def union(self, reader: SegmentReader) -> DocNums:
        """The segment's documents holding any of the terms, deletions included; read once per reader."""
        # Keyed by the reader object itself (kept alive alongside), so a reused id() cannot mislead.
        cached = self._found.get(id(reader))
        if cached is not None and cached[0] is reader:
            return cached[1]
        known = self._runs.get(id(reader))
        if known is not None and known[0] is reader:
            run = known[1]
            entries = [(text, run.get(text.encode("utf-8"))) for text in self.texts]
            parts = [_term_docnums(reader, self.fieldname, text, info=term_info_from_entry(run, entry))
                     for text, entry in entries if entry is not None]
        else:
            parts = [_term_docnums(reader, self.fieldname, text) for text in self.texts]
        found = np.unique(np.concatenate(parts)) if parts else EMPTY
        self._found[id(reader)] = (reader, found)
        return found

    def estimate_size(self, ixreader: IndexReader) -> int:
        if isinstance(ixreader, SegmentReader):
            return int(self.union(ixreader).size)
        return sum(ixreader.doc_frequency(self.fieldname, text) for text in self.texts)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        reader = searcher.reader()
        found = matching_docnums(self, reader)
        if found is None:
            # Not a single segment: let Whoosh match the terms, still with one score.
            return wq.ConstantScoreQuery(wq.Or([wq.Term(self.fieldname, text) for text in self.texts]),
                                         self.score).matcher(searcher, context)
        if not found.size:
            return NullMatcher()
        return ConstantMatcher(found.tolist(), all_weights=self.score, scorer=WeightScorer(self.score))
