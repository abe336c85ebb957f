"""Matching document numbers of a Whoosh query as numpy arrays, for totals, facets and phrases.

A result page needs every matching document only to count it: the total and the facet counts.
Whoosh walks a matcher tree posting by posting in Python for that; here the postings of each term
are read block by block straight into sorted arrays and combined with numpy set operations, and
phrases check positions only for the documents that hold every word of the phrase.

``matching_docnums`` understands the queries ``records.search.whoosh_index.to_whoosh`` builds and
returns ``None`` for anything else, so callers fall back to Whoosh's own matching.
"""
from __future__ import annotations

from datetime import datetime
from functools import reduce
from pickle import loads
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.reading import SegmentReader
from whoosh.system import _INT_SIZE

__all__ = ["DocNums", "matching_docnums", "phrase_terms"]

DocNums = np.ndarray  # sorted, unique segment document numbers (int64)

_EMPTY: DocNums = np.zeros(0, dtype=np.int64)


class _Unsupported(Exception):
    """A query this module does not evaluate; the caller uses Whoosh instead."""


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


def _blocks(reader: SegmentReader, fieldname: str, tbytes: bytes, values: bool) -> list[tuple[DocNums, Any]]:
    """A term's postings as (document numbers, values or None) per block, deletions included."""
    terms = reader._terms  # the segment's term table (whoosh.codec.whoosh3.W3TermsReader)
    if (fieldname, tbytes) not in terms:
        return []
    info = terms.term_info(fieldname, tbytes)
    if info.is_inlined():
        ids, _weights, vals = info.inlined_postings()
        return [(np.asarray(ids, dtype=np.int64), vals if values else None)]
    matcher = terms.matcher(fieldname, tbytes, reader.schema[fieldname].format)
    if not hasattr(matcher, "_read_data"):
        raise _Unsupported(fieldname)
    found: list[tuple[DocNums, Any]] = []
    while True:
        # Block ids are stored as gaps; a cumulative sum decodes a whole block at once.
        matcher._read_data()
        data = matcher._data
        found.append((np.cumsum(np.asarray(data[0], dtype=np.int64)), data[2] if values else None))
        if matcher._lastblock:
            return found
        matcher._goto(matcher._nextoffset)


def _term_docnums(reader: SegmentReader, fieldname: str, text: Any) -> DocNums:
    tbytes = _tbytes(reader, fieldname, text)
    if tbytes is None:
        return _EMPTY
    blocks = _blocks(reader, fieldname, tbytes, values=False)
    if not blocks:
        return _EMPTY
    return blocks[0][0] if len(blocks) == 1 else np.concatenate([ids for ids, _ in blocks])


def _positions(value: bytes) -> list[int]:
    # The Positions format: a count, then the pickled gaps between positions.
    gaps = loads(value[_INT_SIZE:] if value.endswith(b".") else value[_INT_SIZE:] + b".")
    position, found = 0, []
    for gap in gaps:
        position += gap
        found.append(position)
    return found


def _phrase_docnums(reader: SegmentReader, query: wq.Phrase) -> DocNums:
    if query.slop != 1 or not query.words:
        raise _Unsupported(query)
    fieldname = query.fieldname
    field = reader.schema[fieldname] if fieldname in reader.schema else None
    if field is None or not field.format or not field.format.supports("positions"):
        raise _Unsupported(query)
    postings = []
    for word in query.words:
        tbytes = _tbytes(reader, fieldname, word)
        blocks = _blocks(reader, fieldname, tbytes, values=True) if tbytes is not None else []
        if not blocks:
            return _EMPTY
        postings.append(blocks)
    candidates = reduce(lambda a, b: np.intersect1d(a, b, assume_unique=True),
                        [np.concatenate([ids for ids, _ in blocks]) for blocks in postings])
    if len(query.words) == 1 or not candidates.size:
        return candidates
    # Each word's positions in the candidates only, shifted back by the word's place in the phrase:
    # a phrase starts where every word's shifted positions meet.
    starts: list[set[int]] | None = None
    for place, blocks in enumerate(postings):
        shifted: list[set[int]] = []
        for ids, vals in blocks:
            wanted = np.flatnonzero(np.isin(ids, candidates, assume_unique=True))
            for i in wanted.tolist():
                shifted.append({p - place for p in _positions(vals[i])})
        if starts is None:
            starts = shifted
        else:
            for found, more in zip(starts, shifted):
                found &= more
    assert starts is not None
    keep = np.fromiter((bool(found) for found in starts), dtype=bool, count=len(starts))
    return candidates[keep]
