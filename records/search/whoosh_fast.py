"""Matching document numbers of a Whoosh query as numpy arrays, for totals, facets and phrases.

A result page needs every matching document only to count it: the total and the facet counts.
Whoosh walks a matcher tree posting by posting in Python for that; here the postings of each term
are read block by block straight into sorted arrays and combined with numpy set operations, and
phrases check positions only for the documents that hold every word of the phrase.

``matching_docnums`` understands the queries ``records.search.whoosh_index.to_whoosh`` builds and
returns ``None`` for anything else, so callers fall back to Whoosh's own matching.

Prefix queries are cheap here too: ``prefix_frequencies`` reads the document frequency of every term
starting with a prefix straight from a segment's term table (without decoding the postings kept there),
and ``ConstantTerms`` matches a set of terms with one constant score from the same arrays, so a page of
prefix hits is never scored posting by posting.
"""
from __future__ import annotations

import struct
import threading
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import reduce
from itertools import chain
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3TermInfo
from whoosh.filedb.filetables import _lengths
from whoosh.matching import ListMatcher, NullMatcher
from whoosh.reading import IndexReader, SegmentReader, TermNotFound
from whoosh.scoring import BM25F, WeightScorer
from whoosh.util.numeric import byte_to_length
from whoosh.system import _FLOAT_SIZE

__all__ = ["ConstantTerms", "DocNums", "Scored", "SegmentScorer", "Unsupported", "each_block", "matching_docnums",
           "phrase_terms", "prefix_frequencies", "prefix_terms", "run_frequencies"]

DocNums = np.ndarray  # sorted, unique segment document numbers (int64)

_EMPTY: DocNums = np.zeros(0, dtype=np.int64)


class _Unsupported(Exception):
    """A query this module does not evaluate; the caller uses Whoosh instead."""


Unsupported = _Unsupported


def matching_docnums(query: wq.Query, reader: Any, date_keys: DocNums | None = None) -> DocNums | None:
    """The live documents of one segment matching ``query``, or ``None`` when the query is not understood.

    ``date_keys`` is the segment's ``date_key`` column (needed for date ranges).
    """
    if not isinstance(reader, SegmentReader):
        return None
    try:
        found = _docnums(query, reader, date_keys)
    except _Unsupported:
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


def _docnums(query: wq.Query, reader: SegmentReader, date_keys: DocNums | None) -> DocNums:
    if isinstance(query, wq.Term):
        return _term_docnums(reader, query.fieldname, query.text)
    if isinstance(query, ConstantTerms):
        return query.union(reader)
    if isinstance(query, wq.Phrase):
        return _phrase_docnums(reader, query)
    if isinstance(query, wq.AndNot):
        return np.setdiff1d(_docnums(query.a, reader, date_keys), _docnums(query.b, reader, date_keys),
                            assume_unique=True)
    if isinstance(query, wq.And):
        parts = [_docnums(child, reader, date_keys) for child in query.subqueries]
        return reduce(lambda a, b: np.intersect1d(a, b, assume_unique=True), sorted(parts, key=len)) if parts \
            else _EMPTY
    if isinstance(query, wq.Or):
        if getattr(query, "minmatch", 0) not in (0, 1):
            raise _Unsupported(query)
        parts = [_docnums(child, reader, date_keys) for child in query.subqueries]
        return np.unique(np.concatenate(parts)) if parts else _EMPTY
    if isinstance(query, wq.Every) and not query.fieldname:
        return np.arange(reader.doc_count_all(), dtype=np.int64)
    if query is wq.NullQuery or isinstance(query, type(wq.NullQuery)):
        return _EMPTY
    if isinstance(query, wq.DateRange) and query.fieldname == "doc_date" and date_keys is not None:
        if query.startexcl or query.endexcl:
            raise _Unsupported(query)
        # ``date_key`` is the day number of the document date, 0 when there is none; the range's ends are
        # whole days, so comparing days is the same as comparing the stored datetimes.
        mask = date_keys > 0
        start, end = getattr(query, "startdate", None), getattr(query, "enddate", None)
        if (start is not None and not isinstance(start, datetime)) or (end is not None and not isinstance(end, datetime)):
            raise _Unsupported(query)
        if start is not None:
            mask &= date_keys >= start.toordinal()
        if end is not None:
            mask &= date_keys <= end.toordinal()
        return np.flatnonzero(mask).astype(np.int64)
    raise _Unsupported(query)


def _tbytes(reader: SegmentReader, fieldname: str, text: Any) -> bytes | None:
    if fieldname not in reader.schema:
        return None
    if isinstance(text, bytes):
        return text
    try:
        return reader.schema[fieldname].to_bytes(text)  # type: ignore[no-any-return]
    except ValueError:
        return None


Blocks = list[tuple[DocNums, Any, Any]]  # per postings block: document numbers, weights as stored, values


def _raw_blocks(reader: SegmentReader, fieldname: str, tbytes: bytes, cache: dict[Any, Blocks] | None = None,
                info: Any = None) -> Blocks:
    """A term's postings block by block, deletions included; ``cache`` keeps them for the rest of a search.

    ``info`` is the term's entry of the term table when the caller already has it (``prefix_terms``),
    which saves looking the term up again.
    """
    if cache is not None:
        found = cache.get((fieldname, tbytes))
        if found is not None:
            return found
    terms = reader._terms  # the segment's term table (whoosh.codec.whoosh3.W3TermsReader)
    if info is None:
        try:
            info = terms.term_info(fieldname, tbytes)  # one lookup; a missing term raises
        except TermNotFound:
            info = None
    found = []
    if info is not None:
        if info.is_inlined():
            ids, weights, vals = info.inlined_postings()
            found.append((np.asarray(ids, dtype=np.int64), weights, vals))
        else:
            matcher = terms._codec.postings_reader(terms._postfile, info, reader.schema[fieldname].format,
                                                   term=(fieldname, tbytes))
            if not hasattr(matcher, "_read_data"):
                raise _Unsupported(fieldname)
            for block in each_block(matcher):
                # Block ids are stored as gaps; a cumulative sum decodes a whole block at once.
                block._read_data()
                data = block._data
                found.append((np.cumsum(np.asarray(data[0], dtype=np.int64)), data[1], data[2]))
    if cache is not None:
        cache[fieldname, tbytes] = found
    return found


def each_block(matcher: Any) -> Iterator[Any]:
    """Whoosh's block reader (``W3LeafMatcher``) positioned on each block of its postings list in turn."""
    while True:
        yield matcher
        if matcher._lastblock:
            return
        matcher._goto(matcher._nextoffset)


def _blocks(reader: SegmentReader, fieldname: str, tbytes: bytes, values: bool,
            cache: dict[Any, Blocks] | None = None) -> list[tuple[DocNums, Any]]:
    """A term's postings as (document numbers, values or None) per block, deletions included."""
    return [(ids, vals if values else None) for ids, _weights, vals in _raw_blocks(reader, fieldname, tbytes, cache)]


def _term_docnums(reader: SegmentReader, fieldname: str, text: Any, info: Any = None) -> DocNums:
    tbytes = _tbytes(reader, fieldname, text)
    if tbytes is None:
        return _EMPTY
    blocks = _raw_blocks(reader, fieldname, tbytes, info=info)
    if not blocks:
        return _EMPTY
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


def _phrase_docnums(reader: SegmentReader, query: wq.Phrase, cache: dict[Any, Blocks] | None = None) -> DocNums:
    if query.slop != 1 or not query.words:
        raise _Unsupported(query)
    fieldname = query.fieldname
    field = reader.schema[fieldname] if fieldname in reader.schema else None
    if field is None or type(field.format).__name__ != "PackedPositions":
        raise _Unsupported(query)
    postings = []
    for word in query.words:
        tbytes = _tbytes(reader, fieldname, word)
        blocks = _blocks(reader, fieldname, tbytes, values=True, cache=cache) if tbytes is not None else []
        if not blocks:
            return _EMPTY
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

_DOC_FREQ = struct.Struct("!I")
_DOC_FREQ_AT = 1 + _FLOAT_SIZE  # W3TermInfo's header: flags byte, total weight, then the document frequency
_FIELD_NUMBER_SIZE = 2  # a term table key is the field's number (unsigned short) then the term's bytes


def prefix_terms(reader: IndexReader, fieldname: str, prefix: str) -> dict[bytes, bytes] | None:
    """Every term of ``fieldname`` in one segment starting with ``prefix``, with its term table entry.

    The terms of a prefix are one contiguous run of the segment's term table; it is read in one piece
    and split into keys and entries, nothing decoded. Whoosh's own term iteration unpickles the postings
    inlined in every entry, which costs several times more for a short prefix; looking each term up
    afterwards costs a hash probe per term. ``None`` when ``reader`` is not a segment of this codec.
    """
    terms = getattr(reader, "_terms", None)
    tindex = getattr(terms, "_tindex", None)
    if not isinstance(reader, SegmentReader) or not hasattr(tindex, "closest_key_pos") or fieldname not in reader.schema:
        return None
    key = terms._keycoder(fieldname, prefix.encode("utf-8"))
    start = tindex.closest_key_pos(key)
    if start is None:
        return {}
    # The first key past the prefix's run; UTF-8 never holds a 0xff byte, so the last byte can grow.
    stop = tindex.closest_key_pos(key[:-1] + bytes([key[-1] + 1])) if key[-1] < 0xFF else None
    data = tindex.dbfile.get(start, (tindex.endofdata if stop is None else stop) - start)
    found: dict[bytes, bytes] = {}
    unpack_lengths = _lengths.unpack_from
    pos, end = 0, len(data)
    while pos < end:
        keylen, datalen = unpack_lengths(data, pos)
        pos += _lengths.size
        entry = data[pos:pos + keylen]
        pos += keylen
        if not entry.startswith(key):
            break  # only when the run reaches the end of the table
        found[bytes(entry[_FIELD_NUMBER_SIZE:])] = data[pos:pos + datalen]
        pos += datalen
    return found


def run_frequencies(run: dict[bytes, bytes]) -> dict[bytes, int]:
    """The document frequency of every term of a term table run (``prefix_terms``)."""
    unpack_df = _DOC_FREQ.unpack_from
    return {text: unpack_df(entry, _DOC_FREQ_AT)[0] for text, entry in run.items()}


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


class _ConstantMatcher(ListMatcher):  # type: ignore[misc]
    """Sorted document numbers with one score. Whoosh's list matcher skips one document at a time;
    here a skip is a binary search, and once the score cannot enter the page the rest is skipped at once."""

    def skip_to(self, id: int) -> None:  # noqa: A002 - Whoosh's name
        self._i = bisect_left(self._ids, id, self._i)

    def skip_to_quality(self, minquality: float) -> int:
        if self._i < len(self._ids) and self._all_weights <= minquality:
            self._i = len(self._ids)
            return 1
        return 0


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

    def _terms(self, phrases: bool = True) -> Any:
        for text in self.texts:
            yield self.fieldname, text

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
            parts = [_term_docnums(reader, self.fieldname, text, info=W3TermInfo.from_bytes(entry))
                     for text, entry in entries if entry is not None]
        else:
            parts = [_term_docnums(reader, self.fieldname, text) for text in self.texts]
        found = np.unique(np.concatenate(parts)) if parts else _EMPTY
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
        return _ConstantMatcher(found.tolist(), all_weights=self.score, scorer=WeightScorer(self.score))


# -- scoring --------------------------------------------------------------------------------------------

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
            raise _Unsupported(weighting)
        self.weighting = weighting
        self._cache: dict[Any, Blocks] = {}  # postings read once per search, for a phrase and its words

    def score(self, query: wq.Query) -> Scored:
        """The live matches of ``query`` and their scores; raises ``_Unsupported`` (see ``scored``)."""
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
                raise _Unsupported(query)
            return self._sum([self._scored(child) for child in query.subqueries], all_of=False)
        if isinstance(query, ConstantTerms):
            return self._constant(query.union(self.reader), query.score)
        if isinstance(query, wq.Every) and not query.fieldname:
            return self._constant(np.arange(self.size, dtype=np.int64), query.boost)
        if isinstance(query, wq.DateRange):
            return self._constant(_docnums(query, self.reader, self.date_keys), query.boost)
        if query is wq.NullQuery or isinstance(query, type(wq.NullQuery)):
            return self._empty()
        raise _Unsupported(query)

    def _docnums_mask(self, query: wq.Phrase) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        mask[_phrase_docnums(self.reader, query, self._cache)] = True
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
        tbytes = _tbytes(self.reader, fieldname, text)
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
            B = weighting._field_B.get(fieldname, weighting.B)  # noqa: N806 - BM25's name
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
    for ids, weights, _vals in _raw_blocks(reader, fieldname, tbytes, cache):
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
        return _EMPTY, np.zeros(0, dtype=np.float64)
    if len(all_ids) == 1:
        return all_ids[0], all_weights[0]
    return np.concatenate(all_ids), np.concatenate(all_weights)
