"""Whoosh's BM25F scores of a query for every document of a segment at once, as numpy arrays.

The queries ``records.search.whoosh_fast.matching_docnums`` understands are scored here exactly as
Whoosh scores them (``tests/unit/test_whoosh_scoring.py`` compares the pages), so the search page is
a partial sort of one array instead of a walk over a matcher tree posting by posting.
"""
from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.reading import SegmentReader
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

from records.search.whoosh_fast import (
    EMPTY,
    Blocks,
    ConstantTerms,
    DocNums,
    Unsupported,
    phrase_docnums,
    query_docnums,
    raw_blocks,
    term_bytes,
)
from records.search.whoosh_internals import field_B

__all__ = ["Scored", "SegmentScorer"]

# Whoosh keeps each document's field length as one byte; this is the length each byte stands for.
_LENGTH_OF_BYTE = np.array([byte_to_length(b) if b else 0.0 for b in range(256)], dtype=np.float64)


class Scored:
    """One segment's matches of a query: a mask over its document numbers and each document's score."""

    __slots__ = ("mask", "scores")

    def __init__(self, mask: np.ndarray, scores: np.ndarray) -> None:
        self.mask = mask
        self.scores = scores


class SegmentScorer:
    """Scores the queries ``matching_docnums`` understands over one segment, all documents at once.

    The scores are Whoosh's own, computed the same way: BM25F per term from the searcher's global
    statistics (document frequency, average field length) and the segment's one-byte field lengths,
    the weight of the posting for fields that are not scored, sums over ``And`` and ``Or``, the left
    side's score for ``AndNot``, a constant for date ranges, prefixes and ``Every``, and a phrase
    scored as the sum of its words (as Whoosh scores it). Whoosh walks the postings one at a time
    in Python for this; here each term's postings are read a block at a time into arrays.
    """

    def __init__(self, searcher: Any, reader: SegmentReader, date_keys: DocNums | None,
                 lengths: Any) -> None:
        self.searcher = searcher
        self.reader = reader
        self.size = reader.doc_count_all()
        self.date_keys = date_keys
        self._lengths = lengths  # (fieldname) -> the segment's field-length bytes, uint8 array
        weighting = searcher.weighting
        if type(weighting) is not BM25F:
            raise Unsupported(weighting)
        self.weighting = weighting
        self._cache: dict[Any, Blocks] = {}  # postings read once per search, for a phrase and its words

    def score(self, query: wq.Query) -> Scored:
        """The live matches of ``query`` and their scores; raises ``Unsupported`` (see ``scored``)."""
        found = self._scored(query)
        deleted = self.reader.deleted_docs_set
        if deleted:
            found.mask[np.fromiter(deleted, dtype=np.int64, count=len(deleted))] = False
        return found

    def _empty(self) -> Scored:
        return Scored(np.zeros(self.size, dtype=bool), np.zeros(self.size, dtype=np.float64))

    def _constant(self, docnums: DocNums, score: float) -> Scored:
        found = self._empty()
        found.mask[docnums] = True
        found.scores[docnums] = score
        return found

    def _scored(self, query: wq.Query) -> Scored:
        if isinstance(query, wq.Term):
            return self._term(query.fieldname, query.text, query.boost)
        if isinstance(query, wq.Phrase):
            found = self._sum([self._term(query.fieldname, word, 1.0) for word in query.words], all_of=True)
            found.mask &= self._docnums_mask(query)
            return found
        if isinstance(query, wq.AndNot):
            found = self._scored(query.a)
            found.mask &= ~self._scored(query.b).mask
            return found
        if isinstance(query, wq.And):
            return self._sum([self._scored(child) for child in query.subqueries], all_of=True)
        if isinstance(query, wq.Or):
            if getattr(query, "minmatch", 0) not in (0, 1) or getattr(query, "scale", None):
                raise Unsupported(query)
            return self._sum([self._scored(child) for child in query.subqueries], all_of=False)
        if isinstance(query, ConstantTerms):
            return self._constant(query.union(self.reader), query.score)
        if isinstance(query, wq.Every) and not query.fieldname:
            return self._constant(np.arange(self.size, dtype=np.int64), query.boost)
        if isinstance(query, wq.DateRange):
            return self._constant(query_docnums(query, self.reader, self.date_keys), query.boost)
        if query is wq.NullQuery or isinstance(query, type(wq.NullQuery)):
            return self._empty()
        raise Unsupported(query)

    def _docnums_mask(self, query: wq.Phrase) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        mask[phrase_docnums(self.reader, query, self._cache)] = True
        return mask

    def _sum(self, parts: list[Scored], *, all_of: bool) -> Scored:
        if not parts:
            return self._empty()
        found = parts[0]
        for part in parts[1:]:
            if all_of:
                found.mask &= part.mask
            else:
                found.mask |= part.mask
            found.scores += part.scores
        return found

    def _term(self, fieldname: str, text: Any, boost: float) -> Scored:
        found = self._empty()
        tbytes = term_bytes(self.reader, fieldname, text)
        if tbytes is None:
            return found
        ids, weights = _POSTINGS.get(self.reader, fieldname, tbytes,
                                     lambda: _postings(self.reader, fieldname, tbytes, self._cache))
        if not ids.size:
            return found
        field = self.reader.schema[fieldname]
        if field.scorable:
            searcher, weighting = self.searcher, self.weighting
            idf = searcher.idf(fieldname, tbytes)
            avgfl = searcher.avg_field_length(fieldname) or 1
            B = field_B(weighting, fieldname)  # noqa: N806 - BM25's name
            K1 = weighting.K1  # noqa: N806
            fl = _LENGTH_OF_BYTE[self._lengths(fieldname)[ids]]
            # Whoosh's bm25(), operation for operation, so the scores are the same to the last bit.
            scores = idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * fl / avgfl)))
        else:
            scores = weights
        if boost != 1.0:
            scores = scores * boost
        found.mask[ids] = True
        found.scores[ids] = scores
        return found


class _PostingsCache:
    """Terms' document numbers and weights, decoded once per segment and kept across searches: a segment's
    postings never change (deletions are applied after, from the reader), so the popular terms are not
    decompressed and unpickled again at every search. Bounded in bytes, the least recently used out first;
    the arrays are read-only."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._found: OrderedDict[tuple[str, str, bytes], tuple[DocNums, np.ndarray, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, reader: SegmentReader, fieldname: str, tbytes: bytes,
            read: Callable[[], tuple[DocNums, np.ndarray]]) -> tuple[DocNums, np.ndarray]:
        key = (reader.segment().segid, fieldname, tbytes)
        with self._lock:
            found = self._found.get(key)
            if found is not None:
                self._found.move_to_end(key)
                return found[0], found[1]
        ids, weights = read()
        ids, weights = np.array(ids), np.array(weights)  # copies of their own, never a cached block's arrays
        ids.flags.writeable = weights.flags.writeable = False
        cost = ids.nbytes + weights.nbytes + len(tbytes) + 200
        if cost > self.max_bytes // 8:
            return ids, weights
        with self._lock:
            if key not in self._found:
                self._found[key] = (ids, weights, cost)
                self.size += cost
                while self.size > self.max_bytes:
                    self.size -= self._found.popitem(last=False)[1][2]
        return ids, weights


_POSTINGS = _PostingsCache(32 << 20)


def _postings(reader: SegmentReader, fieldname: str, tbytes: bytes,
              cache: dict[Any, Blocks] | None = None) -> tuple[DocNums, np.ndarray]:
    """A term's document numbers and weights (float64), deletions included."""
    all_ids: list[DocNums] = []
    all_weights: list[np.ndarray] = []
    for ids, weights, _vals in raw_blocks(reader, fieldname, tbytes, cache):
        # As Whoosh's block reader: no weights means 1.0 each, one float is every posting's weight.
        if weights is None:
            all_weights.append(np.ones(ids.size, dtype=np.float64))
        elif isinstance(weights, float):
            all_weights.append(np.full(ids.size, weights, dtype=np.float64))
        elif isinstance(weights, array):
            all_weights.append(np.asarray(weights, dtype=np.float32).astype(np.float64))
        else:  # inlined postings: a tuple of Python floats
            all_weights.append(np.asarray(weights, dtype=np.float64))
        all_ids.append(ids)
    if not all_ids:
        return EMPTY, np.zeros(0, dtype=np.float64)
    if len(all_ids) == 1:
        return all_ids[0], all_weights[0]
    return np.concatenate(all_ids), np.concatenate(all_weights)
