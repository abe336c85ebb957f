"""The Whoosh index's fields: the schema, how a document becomes field values, and the layout check.

A document's words are split once for every text field (``DocumentWords``) and indexed by
``AnalyzedText`` without running the analyzer again; positions are packed numbers
(``PackedPositions``) so a block of them reads as one array. Both go through Whoosh's public
field and format API (``FieldType.index``, ``Format.encode``/``decode_*``);
``tests/unit/test_whoosh_write_path.py`` checks that the postings are the analyzers' own.
"""
from __future__ import annotations

import sys
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from itertools import accumulate
from functools import lru_cache
from typing import Any

import numpy as np
from whoosh import formats
from whoosh.fields import DATETIME, ID, NUMERIC, STORED, TEXT, Schema
from whoosh.system import pack_uint

from records.search.analysis import exact_analyzer, fold, folded_words, normalize_number, stemming_analyzer
from records.search.analysis import stems as word_stems
from records.search.base import SNIPPET_SOURCE_CHARS, IndexDoc

__all__ = ["REBUILD_TERM_CACHE", "SNIPPET_SOURCE_CHARS", "AnalyzedText", "DocumentWords", "PackedPositions",
           "build_schema", "document_fields", "normalize_case_index", "rebuild_term_cache", "same_layout",
           "searchable_text", "set_term_cache"]

PICKLED_IN = "records.search.whoosh_index"  # where the index files look up the classes they name
# A C array of unsigned ints is the packed positions' bytes here:
_PACKS_LITTLE_U4 = sys.byteorder == "little" and array("I").itemsize == 4


class DocumentWords:
    """The folded words of one document, split once and handed to every field that indexes them."""

    __slots__ = ("_terms", "counts", "words")

    def __init__(self, text: str) -> None:
        self.words = folded_words(unicodedata.normalize("NFC", text))
        self.counts = Counter(self.words)  # in the order of first occurrence
        self._terms: list[bytes] | None = None

    @property
    def terms(self) -> list[bytes]:
        """The distinct words as the unstemmed fields' terms (UTF-8), in ``counts``' order."""
        if self._terms is None:
            self._terms = [word.encode("utf-8") for word in self.counts]
        return self._terms

    def packed_positions(self) -> list[bytes]:
        """Each distinct word's positions as ``PackedPositions`` encodes them, in ``counts``' order.

        A stable sort of the positions by word gives every word's positions in increasing order, one
        after the other, so the words are numbered and sorted once instead of appended to one list each.
        """
        number = dict(zip(self.counts, range(len(self.counts))))
        numbers = np.fromiter(map(number.__getitem__, self.words), dtype=np.intp, count=len(self.words))
        packed = np.argsort(numbers, kind="stable").astype("<u4").tobytes()
        ends = list(accumulate(count * 4 for count in self.counts.values()))
        return [packed[start:end] for start, end in zip([0, *ends], ends)]


class PackedPositions(formats.Positions):  # type: ignore[misc]
    """A word's positions in a document as little-endian 32-bit numbers.

    Whoosh's own format pickles each document's list of position gaps, so checking a phrase meant
    unpickling one list per document; packed, the positions of a whole postings block are joined and
    read as one array (``records.search.whoosh_fast``). Whoosh's own phrase matching decodes them too.
    """

    # Every index's table of contents pickles this class by name; indexes have always named it in
    # ``records.search.whoosh_index`` (which imports it), so files stay the same whichever version wrote them.
    __module__ = PICKLED_IN

    def encode(self, poslist: Iterable[int]) -> bytes:
        if _PACKS_LITTLE_U4:  # a C array of unsigned ints is these bytes here, and five times quicker
            return array("I", poslist).tobytes()
        return np.asarray(list(poslist), dtype="<u4").tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return np.frombuffer(valuestring, dtype="<u4").tolist()  # type: ignore[no-any-return]

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 4

    def decode_weight(self, valuestring: bytes) -> float:
        return self.decode_frequency(valuestring) * self.field_boost  # type: ignore[no-any-return]


# A word's stems as the stemmed fields' terms (UTF-8), for documents' postings. Held in a plain dict
# emptied when full rather than a least-recently-used cache: a rebuild meets every word of the corpus
# in turn, which evicts an LRU cache smaller than the vocabulary before the words come round again.
# A stream longer than one segment (a rebuild) raises the bound to ``REBUILD_TERM_CACHE`` for its
# duration (``rebuild_term_cache``).
_TERMS: dict[str, tuple[bytes, ...]] = {}
TERM_CACHE = 200_000
REBUILD_TERM_CACHE = 1_000_000  # about 150 MB
_TERMS_LIMIT = [TERM_CACHE]


def set_term_cache(words: int) -> None:
    """Remember up to ``words`` words' terms from now on (emptying what is remembered)."""
    _TERMS_LIMIT[0] = words
    _TERMS.clear()


@contextmanager
def rebuild_term_cache() -> Iterator[None]:
    """Remember ``REBUILD_TERM_CACHE`` words' terms meanwhile; afterwards the usual bound, emptied."""
    set_term_cache(REBUILD_TERM_CACHE)
    try:
        yield
    finally:
        set_term_cache(TERM_CACHE)


def _word_terms(word: str) -> tuple[bytes, ...]:
    terms = _TERMS.get(word)
    if terms is None:
        if len(_TERMS) >= _TERMS_LIMIT[0]:
            _TERMS.clear()
        terms = _TERMS[word] = tuple(stem.encode("utf-8") for stem in word_stems(word))
    return terms


class AnalyzedText(TEXT):  # type: ignore[misc]
    """A text field that also takes ``DocumentWords``, indexing them without running the analyzer again.

    The postings are the ones the field's analyzer would give: a stemmed field (frequencies, no
    positions) counts every stem of every word; an unstemmed one with positions lists each word's
    positions. Strings still go through the analyzer, so queries and small fields are unchanged.
    """

    # Every index's table of contents pickles this class by name; indexes have always named it in
    # ``records.search.whoosh_index`` (which imports it), so files stay the same whichever version wrote them.
    __module__ = PICKLED_IN

    def document_postings(self, value: Any) -> tuple[list[bytes], list[int], list[float], list[bytes]] | None:
        """A document's postings of this field as (terms, frequencies, weights, values): what ``index``
        yields, in one piece (``records.search.whoosh_internals.DocumentWriter``); ``None`` for a string,
        which the analyzer indexes."""
        if not isinstance(value, DocumentWords):
            return None
        boost = self.format.field_boost
        if self.analyzer.stemming:
            counts: dict[bytes, int] = {}
            known, get = _TERMS.get, counts.get
            for word, count in value.counts.items():
                for term in known(word) or _word_terms(word):
                    counts[term] = get(term, 0) + count
            postings = [frequency_posting(count, boost) for count in counts.values()]
            return (list(counts), list(counts.values()),
                    [weight for weight, _ in postings], [packed for _, packed in postings])
        if not self.format.supports("positions"):
            # Which documents hold a word, nothing more (prefix matching).
            size = len(value.counts)
            return value.terms, [1] * size, [boost] * size, [b""] * size
        if isinstance(self.format, PackedPositions):
            frequencies = list(value.counts.values())
            return value.terms, frequencies, [count * boost for count in frequencies], value.packed_positions()
        positions: dict[str, list[int]] = {}
        for position, word in enumerate(value.words):
            found = positions.get(word)
            if found is None:
                positions[word] = [position]
            else:
                found.append(position)
        encode = self.format.encode
        frequencies = [len(places) for places in positions.values()]
        return ([word.encode("utf-8") for word in positions], frequencies,
                [frequency_posting(count, boost)[0] for count in frequencies],
                [encode(places) for places in positions.values()])

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        postings = self.document_postings(value)
        if postings is None:
            yield from super().index(value, **kwargs)
            return
        yield from zip(*postings)


def _words_field() -> AnalyzedText:
    field = AnalyzedText(analyzer=exact_analyzer(), phrase=False)
    field.format = formats.Existence()
    field.scorable = False
    return field


def _exact_field() -> AnalyzedText:
    field = AnalyzedText(analyzer=exact_analyzer(), phrase=True)
    field.format = PackedPositions()
    return field


def build_schema() -> Schema:
    """The one Whoosh schema. An index written with another layout is rebuilt (see ``IndexLayoutChanged``)."""
    stemmed = stemming_analyzer()
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        title=TEXT(analyzer=stemmed, stored=True, phrase=False),
        # title + text + counterparty + number + index + file names, stemmed:
        content=AnalyzedText(analyzer=stemmed, phrase=False),
        # the same words unstemmed, with positions, for phrases:
        exact=_exact_field(),
        # and once more without positions, for prefixes (reading which documents hold a word is then
        # not slowed down by its positions):
        words=_words_field(),
        counterparty=TEXT(analyzer=stemmed, phrase=False),
        case_index=ID(stored=True, sortable=True),
        year=ID(stored=True, sortable=True),
        doc_type=ID(stored=True, sortable=True),
        number=ID,
        language=ID,
        doc_date=DATETIME(stored=True),
        # the date as a day number, 0 when unknown, so undated documents sort last:
        date_key=NUMERIC(int, bits=32, sortable=True),
        excerpt=STORED,
    )


def normalize_case_index(value: str) -> str:
    return "".join(value.split())


def searchable_text(doc: IndexDoc) -> str:
    """What the ``content``, ``exact`` and ``words`` fields index: title, text, counterparty, number,
    index and file names."""
    text = unicodedata.normalize("NFC", doc.text)
    return "\n".join(
        part for part in (doc.title, text, doc.counterparty, doc.number, doc.case_index, *doc.filenames) if part
    )


def document_fields(doc: IndexDoc) -> dict[str, Any]:
    """The field values of ``doc``; the three text fields share one ``DocumentWords``."""
    text = unicodedata.normalize("NFC", doc.text)
    analyzed = DocumentWords(searchable_text(doc))
    fields: dict[str, Any] = {
        "id": str(doc.id),
        "title": doc.title,
        "content": analyzed,
        "exact": analyzed,
        "words": analyzed,
        "case_index": normalize_case_index(doc.case_index),
        "year": str(doc.year),
        "doc_type": fold(doc.doc_type),
        "excerpt": text[:SNIPPET_SOURCE_CHARS],
        "date_key": doc.doc_date.toordinal() if doc.doc_date is not None else 0,
    }
    if doc.counterparty:
        fields["counterparty"] = doc.counterparty
    if doc.number:
        fields["number"] = normalize_number(doc.number)
    if doc.language:
        fields["language"] = fold(doc.language)
    if doc.doc_date is not None:
        fields["doc_date"] = datetime(doc.doc_date.year, doc.doc_date.month, doc.doc_date.day)
    return fields


def same_layout(found: Schema, expected: Schema) -> bool:
    return set(found.names()) == set(expected.names()) and all(
        type(found[name]) is type(expected[name]) and type(found[name].format) is type(expected[name].format)
        for name in expected.names()
    )


@lru_cache(maxsize=4096)
def frequency_posting(count: int, boost: float) -> tuple[float, bytes]:
    """The weight and the value of a posting of ``count`` occurrences, as objects shared by every such
    posting: a writer holds millions of postings until it commits, most of them with small counts."""
    return count * boost, pack_uint(count)
