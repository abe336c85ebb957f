"""The query tree of the one-box language (``records.search.query``) as Whoosh queries.

Words match any of their stems in the text and, boosted, in the title; a typed token that splits
("12-4-7") is a phrase; a prefix expands to its ``PREFIX_EXPANSION_LIMIT`` (50) most frequent words,
read from the segments' term tables, all scored alike (``ConstantTerms``).
"""
from __future__ import annotations

import heapq
import unicodedata
from collections import Counter
from datetime import date, datetime

from whoosh import query as wq
from whoosh.reading import IndexReader

from records.search.analysis import analyze_exact, fold
from records.search.analysis import stems as word_stems
from records.search.analysis import words as text_words
from records.search.base import FILTERS
from records.search.query import And, DateRange, FieldTerm, MatchAll, Node, Not, Or, Phrase, Prefix, Word
from records.search.whoosh_fast import ConstantTerms, prefix_frequencies
from records.search.whoosh_internals import prefix_terms, run_frequencies
from records.search.whoosh_schema import normalize_case_index

__all__ = ["PREFIX_EXPANSION_LIMIT", "TITLE_BOOST", "filters_query", "prefix_query", "to_whoosh"]

PREFIX_EXPANSION_LIMIT = 50  # words a prefix expands to, the most frequent first
TITLE_BOOST = 2.0

_FILTER_FIELDS = {"year": "year", "index": "case_index", "type": "doc_type", "lang": "language"}
_TERM_FIELDS = {"index": "case_index", "year": "year", "type": "doc_type", "number": "number", "lang": "language"}


def _any_stem(fieldname: str, word: str, boost: float = 1.0) -> wq.Query:
    return wq.Or([wq.Term(fieldname, stem, boost=boost) for stem in word_stems(word)])


def _words_query(text: str) -> wq.Query:
    found = [word for word, _, _ in text_words(unicodedata.normalize("NFC", text))]
    if len(found) > 1:
        # "12-4-7", "окуу-усулдук": one typed token that splits means those words together.
        return wq.Phrase("exact", found)
    word = found[0]
    return wq.Or([_any_stem("content", word), _any_stem("title", word, TITLE_BOOST)])


def prefix_query(prefix: str, reader: IndexReader) -> wq.Query:
    # Bounded like Elasticsearch's max_expansions: a two-letter prefix must not become a query over
    # thousands of terms. The most frequent words are kept (ties by the word), as those are what a
    # prefix is typed for; the rare ones would each add a posting walk for a handful of documents.
    frequencies: Counter[bytes] = Counter()
    runs = []
    for leaf, _ in reader.leaf_readers():
        run = prefix_terms(leaf, "words", prefix)
        if run is None:  # not a segment of this codec
            frequencies.update(prefix_frequencies(leaf, "words", prefix))
        else:
            frequencies.update(run_frequencies(run))
            runs.append((leaf, run))
    common = heapq.nsmallest(PREFIX_EXPANSION_LIMIT, frequencies.items(), key=lambda item: (-item[1], item[0]))
    if not common:
        return wq.NullQuery
    return ConstantTerms("words", tuple(sorted(term.decode("utf-8") for term, _ in common)), runs=runs)


def _field_query(node: FieldTerm) -> wq.Query:
    if node.field == "counterparty":
        words = [word for word, _, _ in text_words(unicodedata.normalize("NFC", node.value))]
        return wq.And([_any_stem("counterparty", word) for word in words])
    value = normalize_case_index(node.value) if node.field == "index" else node.value
    return wq.Term(_TERM_FIELDS[node.field], value)


def _day(value: date | None) -> datetime | None:
    return None if value is None else datetime(value.year, value.month, value.day)


def to_whoosh(node: Node, reader: IndexReader) -> wq.Query:
    """Translate a parsed query; ``reader`` supplies prefix expansions."""
    if isinstance(node, MatchAll):
        return wq.Every()
    if isinstance(node, Word):
        return _words_query(node.text)
    if isinstance(node, Phrase):
        found = analyze_exact(node.text)
        return wq.Term("exact", found[0]) if len(found) == 1 else wq.Phrase("exact", found)
    if isinstance(node, Prefix):
        return prefix_query(node.text, reader)
    if isinstance(node, FieldTerm):
        return _field_query(node)
    if isinstance(node, DateRange):
        return wq.DateRange("doc_date", _day(node.start), _day(node.end))
    if isinstance(node, Or):
        return wq.Or([to_whoosh(child, reader) for child in node.nodes])
    if isinstance(node, And):
        wanted = [to_whoosh(child, reader) for child in node.nodes if not isinstance(child, Not)]
        unwanted = [to_whoosh(child.node, reader) for child in node.nodes if isinstance(child, Not)]
        required = wq.And(wanted) if len(wanted) > 1 else wanted[0]
        return wq.AndNot(required, wq.Or(unwanted)) if unwanted else required
    # A lone Not cannot come from parse_query; it would match nothing useful.
    raise TypeError(f"cannot translate {node!r}")


def filters_query(filters: dict[str, str]) -> list[wq.Query]:
    queries: list[wq.Query] = []
    for name, value in filters.items():
        if name not in FILTERS:
            raise ValueError(f"unknown search filter {name!r}; accepted: {', '.join(FILTERS)}")
        if name == "index":
            value = normalize_case_index(value)
        elif name in ("type", "lang"):
            value = fold(value)
        queries.append(wq.Term(_FILTER_FIELDS[name], str(value)))
    return queries
