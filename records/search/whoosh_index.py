"""The Whoosh search index: the default backend, for a single application server.

Everything Whoosh-specific lives here: the schema (``build_schema``), one index
object per folder and process (``open_whoosh_index``), a searcher reused until
the index changes, a writer that waits briefly for another process's lock
and never hides an error, and the translation of the query tree
(``records.search.query``) into Whoosh queries.

Only what a result page needs is stored: title, index, year, type, date and
the first ``SNIPPET_SOURCE_CHARS`` characters of the text for snippets.

Writing is tuned for long, inflected documents: a document's words are split
once for every text field (``DocumentWords``), postings are grouped by term in
memory instead of Whoosh's sort-and-spill pool, short postings lists live in
the term table (``InliningCodec``), blocks are pickled with the current
protocol, positions are packed numbers (``PackedPositions``), and segments
merge by size level (``_tiered_merge``), streaming the merged postings rather
than re-sorting them.

Reading: the queries the one-box language gives are matched and scored for all
documents at once with arrays (``records.search.whoosh_fast.SegmentScorer``,
Whoosh's BM25F to the last bit); the page is a partial sort of the scores, and
the total and the facet counts come from the same matches and per-segment
column values read once. Anything else falls back to Whoosh's own matchers.
An index written with another layout is replaced and refilled from the
catalogue (``recreate_whoosh_index``, called by ``records.search.indexing``).

A prefix (``келиш*``) matches the ``PREFIX_EXPANSION_LIMIT`` (50) words of the
index that start so and occur in the most documents, all with one constant
score: a document found only through a rarer word of that prefix is neither
shown nor counted. Prefix hits tie with each other, so among them the order is
the index's document order (sorting by date orders them by date, then so).
"""
from __future__ import annotations

import heapq
import math
import mmap
import pickle
import threading
import time
import unicodedata
import weakref
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from itertools import islice, repeat
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import collectors, formats, sorting
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3PostingsWriter,
    W3TermInfo,
)
from whoosh.fields import DATETIME, ID, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.index import FileIndex
from whoosh.reading import IndexReader, SegmentReader
from whoosh.searching import Searcher
from whoosh.system import pack_uint
from whoosh.util.numeric import length_to_byte
from whoosh.writing import CLEAR, IndexWriter, LockError, SegmentWriter

from records.search.analysis import (
    analyze_exact,
    exact_analyzer,
    fold,
    folded_words,
    normalize_number,
    stemming_analyzer,
)
from records.search.analysis import stems as word_stems
from records.search.analysis import words as text_words
from records.search.base import (FACETS, FILTERS, MAX_RESULT_WINDOW, SNIPPET_SOURCE_CHARS, Hit, IndexDoc,
                                 IndexLayoutChanged, SearchResult, Sort)
from records.search.highlight import Highlighter, snippet
from records.search.query import And, DateRange, FieldTerm, MatchAll, Node, Not, Or, Phrase, Prefix, Word, parse_query
from records.search.whoosh_fast import (
    ConstantTerms,
    Scored,
    SegmentScorer,
    Unsupported,
    each_block,
    matching_docnums,
    phrase_terms,
    prefix_frequencies,
    prefix_terms,
    run_frequencies,
)

__all__ = [
    "BATCH_SIZE",
    "LOCK_TIMEOUT",
    "MERGE_FACTOR",
    "PREFIX_EXPANSION_LIMIT",
    "SNIPPET_SOURCE_CHARS",
    "WhooshIndex",
    "build_schema",
    "open_whoosh_index",
    "recreate_whoosh_index",
    "to_whoosh",
]

PREFIX_EXPANSION_LIMIT = 50  # words a prefix expands to, the most frequent first
BATCH_SIZE = 500
INLINE_POSTINGS = 8  # a term in at most this many documents of a segment keeps its postings in the term table
MERGE_FACTOR = 10
MAX_MERGE_DOCS = 50_000  # a larger merge would hold the write lock for minutes
LOCK_TIMEOUT = 10.0
TITLE_BOOST = 2.0

_FILTER_FIELDS = {"year": "year", "index": "case_index", "type": "doc_type", "lang": "language"}
_FACET_FIELDS = {"year": "year", "index": "case_index", "type": "doc_type"}
_TERM_FIELDS = {"index": "case_index", "year": "year", "type": "doc_type", "number": "number", "lang": "language"}


class DocumentWords:
    """The folded words of one document, split once and handed to every field that indexes them."""

    __slots__ = ("counts", "words")

    def __init__(self, text: str) -> None:
        self.words = folded_words(unicodedata.normalize("NFC", text))
        self.counts = Counter(self.words)


class PackedPositions(formats.Positions):  # type: ignore[misc]
    """A word's positions in a document as little-endian 32-bit numbers.

    Whoosh's own format pickles each document's list of position gaps, so checking a phrase meant
    unpickling one list per document; packed, the positions of a whole postings block are joined and
    read as one array (``records.search.whoosh_fast``). Whoosh's own phrase matching decodes them too.
    """

    def encode(self, poslist: Iterable[int]) -> bytes:
        return np.asarray(list(poslist), dtype="<u4").tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return np.frombuffer(valuestring, dtype="<u4").tolist()  # type: ignore[no-any-return]

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 4

    def decode_weight(self, valuestring: bytes) -> float:
        return self.decode_frequency(valuestring) * self.field_boost  # type: ignore[no-any-return]


class AnalyzedText(TEXT):  # type: ignore[misc]
    """A text field that also takes ``DocumentWords``, indexing them without running the analyzer again.

    The postings are the ones the field's analyzer would give: a stemmed field (frequencies, no
    positions) counts every stem of every word; an unstemmed one with positions lists each word's
    positions. Strings still go through the analyzer, so queries and small fields are unchanged.
    """

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        if not isinstance(value, DocumentWords):
            yield from super().index(value, **kwargs)
            return
        boost = self.format.field_boost
        if self.analyzer.stemming:
            counts: Counter[str] = Counter()
            for word, count in value.counts.items():
                for stem in word_stems(word):
                    counts[stem] += count
            for stem, count in counts.items():
                yield stem.encode("utf-8"), count, count * boost, pack_uint(count)
            return
        if not self.format.supports("positions"):
            # Which documents hold a word, nothing more (prefix matching).
            for word in value.counts:
                yield word.encode("utf-8"), 1, boost, b""
            return
        positions: dict[str, list[int]] = {}
        for position, word in enumerate(value.words):
            found = positions.get(word)
            if found is None:
                positions[word] = [position]
            else:
                found.append(position)
        encode = self.format.encode
        for word, places in positions.items():
            yield word.encode("utf-8"), len(places), len(places) * boost, encode(places)


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


def _document_fields(doc: IndexDoc) -> dict[str, Any]:
    text = unicodedata.normalize("NFC", doc.text)
    searchable = "\n".join(
        part for part in (doc.title, text, doc.counterparty, doc.number, doc.case_index, *doc.filenames) if part
    )
    analyzed = DocumentWords(searchable)
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


def _any_stem(fieldname: str, word: str, boost: float = 1.0) -> wq.Query:
    return wq.Or([wq.Term(fieldname, stem, boost=boost) for stem in word_stems(word)])


def _words_query(text: str) -> wq.Query:
    found = [word for word, _, _ in text_words(unicodedata.normalize("NFC", text))]
    if len(found) > 1:
        # "12-4-7", "окуу-усулдук": one typed token that splits means those words together.
        return wq.Phrase("exact", found)
    word = found[0]
    return wq.Or([_any_stem("content", word), _any_stem("title", word, TITLE_BOOST)])


def _prefix_query(prefix: str, reader: IndexReader) -> wq.Query:
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
        return _prefix_query(node.text, reader)
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


def _filters_query(filters: dict[str, str]) -> list[wq.Query]:
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


# -- writing: codec, posting buffer, merge policy ---------------------------------------------------------


class _TermInfo(W3TermInfo):  # type: ignore[misc]
    # Whoosh's postings writer calls ``set_inline``, a name its term info lacks (only ``set_inlined``),
    # which is why inlining never happens with the default limit of 1.
    def set_inline(self, ids: Any, weights: Any, values: Any) -> None:
        self.set_inlined(ids, weights, values)


class _FieldWriter(W3FieldWriter):  # type: ignore[misc]
    def start_term(self, btext: bytes) -> None:
        if self._postwriter is None:
            raise RuntimeError("start_term called before start_field")
        self._btext = btext
        self._postwriter.start_postings(self._fieldobj.format, _TermInfo())


class _PostingsWriter(W3PostingsWriter):  # type: ignore[misc]
    """Whoosh's postings writer, pickling each block with the current pickle protocol.

    Whoosh pickles blocks with protocol 2, in which every bytes value (a document's positions) becomes
    a call to ``codecs.encode`` of a Latin-1 string on reading: most of the time of reading a block of
    positions. Any protocol reads back with the same ``pickle.loads``, so the stock reader still works.
    """

    def _write_block(self, last: bool = False) -> None:
        # Whoosh's W3PostingsWriter._write_block, but for the protocol of the block data.
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data = (self._mini_ids(), self._mini_weights(), self._mini_values())
        databytes = pickle.dumps(data, pickle.HIGHEST_PROTOCOL)
        comp = self._compression
        if comp:
            databytes = zlib.compress(databytes, comp)
        ids = self._ids
        infobytes = pickle.dumps((len(ids), ids[-1], self._maxweight, comp, length_to_byte(self._minlength),
                                  length_to_byte(self._maxlength)), 2)
        blocklength = len(infobytes) + len(databytes)
        self._postfile.write_int(-blocklength if last else blocklength)
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


class InliningCodec(W3Codec):  # type: ignore[misc]
    """Whoosh's codec, keeping short postings lists in the term table.

    Most terms of a long-tailed vocabulary occur in a handful of documents; by default each gets a
    pickled, compressed block of its own in the postings file. Kept in the term table instead, they
    cost no block, no zlib call and no seek, writing or reading. Segments written with it are read by
    the stock reader (inlined postings are part of Whoosh's format).
    """

    # Per-term shortest/longest field lengths only tighten Whoosh's score upper bounds; gathering them
    # costs a column lookup per posting written. Without them the bounds stay valid, scores are unchanged.
    length_stats = False

    def __init__(self) -> None:
        super().__init__(inlinelimit=INLINE_POSTINGS + 1)  # Whoosh inlines below the limit

    def field_writer(self, storage: Any, segment: Any) -> W3FieldWriter:
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        return _PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids, compression=self._compression,
                               inlinelimit=self._inlinelimit)


def _codec() -> W3Codec:
    return InliningCodec()


class _PostingBuffer:
    """The postings of one writer, in place of Whoosh's external-sort pool.

    Whoosh's pool keeps every posting as a tuple, sorts them all, spills sorted runs through pickle to
    temporary files and merges them back. Here the postings of the writer's own documents are grouped by
    term as they arrive (documents arrive in number order, so each term's list is already sorted) and
    only the terms are sorted. Segments merged into the new one are not copied in: their postings are
    streamed from the open segment readers and merged in order while the new segment is written.
    """

    def __init__(self) -> None:
        self._terms: dict[tuple[str, bytes], list[Any]] = {}
        self._streams: list[Iterator[tuple[str, bytes, int, float, bytes]]] = []
        self._readers: list[SegmentReader] = []

    def add(self, item: tuple[str, bytes, int, float, bytes]) -> None:
        fieldname, text, docnum, weight, value = item
        found = self._terms.get((fieldname, text))
        if found is None:
            self._terms[fieldname, text] = [docnum, weight, value]
        else:
            found += (docnum, weight, value)

    def add_segment(self, reader: SegmentReader, postings: Iterator[tuple[str, bytes, int, float, bytes]]) -> None:
        self._readers.append(reader)
        self._streams.append(postings)

    def _own(self) -> Iterator[tuple[str, bytes, int, float, bytes]]:
        terms = self._terms
        for key in sorted(terms):
            fieldname, text = key
            flat = terms.pop(key)  # written once, then freed
            for i in range(0, len(flat), 3):
                yield fieldname, text, flat[i], flat[i + 1], flat[i + 2]

    def iter_postings(self) -> Iterator[tuple[str, bytes, int, float, bytes]]:
        if not self._streams:
            return self._own()
        # Document numbers never repeat across the sources, so tuples never compare past them.
        return heapq.merge(self._own(), *self._streams)

    def cleanup(self) -> None:
        for reader in self._readers:
            reader.close()
        self._readers.clear()
        self._streams.clear()
        self._terms.clear()


def _segment_level(doc_count: int) -> int:
    return int(math.log(max(doc_count, 1), MERGE_FACTOR))


def _tiered_merge(writer: SegmentWriter, segments: list[Any]) -> list[Any]:
    """Merge policy: when ``MERGE_FACTOR`` segments share a size level (1-9, 10-99, 100-999 documents ...),
    merge that level into the segment being written; never build a segment above ``MAX_MERGE_DOCS``.

    Every document is then rewritten about log(N) / log(MERGE_FACTOR) times, and an index holds at most
    ``MERGE_FACTOR - 1`` segments per level. Whoosh's default policy re-sorts every merged posting
    through its pool, which made a bulk load slower and larger the bigger the index grew.
    """
    levels: dict[int, list[Any]] = {}
    for segment in segments:
        levels.setdefault(_segment_level(segment.doc_count_all()), []).append(segment)
    chosen: list[Any] = []
    for level in sorted(levels):
        group = levels[level]
        if len(group) >= MERGE_FACTOR and sum(seg.doc_count() for seg in group) <= MAX_MERGE_DOCS:
            chosen = group
            break
    if not chosen:
        return segments
    for segment in chosen:
        _merge_into(writer, segment)
    return [segment for segment in segments if segment not in chosen]


def _merge_into(writer: SegmentWriter, segment: Any) -> None:
    """``SegmentWriter.add_reader`` without copying the postings into memory."""
    reader = SegmentReader(writer.storage, writer.schema, segment)
    start = writer.docnum
    fieldnames = set(writer.schema.names()) | {name for name in reader.indexed_field_names() if name in writer.schema}
    docmap = writer.write_per_doc(fieldnames, reader)
    writer.pool.add_segment(reader, _segment_postings(reader, writer.schema, start, docmap))
    writer._added = True


def _segment_postings(
    reader: SegmentReader, schema: Schema, start: int, docmap: dict[int, int] | None
) -> Iterator[tuple[str, bytes, int, float, bytes]]:
    """A segment's postings in term order, renumbered for the segment being written, deleted ones left out.

    Read a block at a time in the term table's own order: ``reader.postings`` would look every term up
    in the table again and hand out each posting through four matcher calls. Values are ``b""`` where a
    field keeps none (Whoosh's readers give ``None`` or ``""``, which the postings writer refuses).
    """
    terms = reader._terms  # the segment's term table (whoosh.codec.whoosh3.W3TermsReader)
    deleted = reader.deleted_docs_set
    for (fieldname, text), info in terms.items():
        if fieldname not in schema:
            continue
        if info.is_inlined():
            blocks: Iterator[tuple[Any, Any, Any]] = iter([info.inlined_postings()])
        else:
            blocks = _stored_blocks(terms._codec.postings_reader(terms._postfile, info, reader.schema[fieldname].format,
                                                                 term=(fieldname, text)))
        for ids, weights, values in blocks:
            # A postings list of a field without values keeps none at all (an empty tuple).
            for docnum, weight, value in zip(ids, weights, values or repeat(b"")):
                if deleted and docnum in deleted:
                    continue
                yield fieldname, text, start + docnum if docmap is None else docmap[docnum], weight, value or b""


def _stored_blocks(matcher: Any) -> Iterator[tuple[Any, Any, Any]]:
    """Each block of a postings list as (document numbers, weights, values), decoded by Whoosh's block reader."""
    for block in each_block(matcher):
        block._read_ids()
        block._read_weights()
        block._read_values()
        yield block._ids, block._weights, block._values


def _open_or_create(path: Path) -> FileIndex:
    path.mkdir(parents=True, exist_ok=True)
    if whoosh_index.exists_in(str(path)):
        ix = whoosh_index.open_dir(str(path))
    else:
        from whoosh.filedb.filestore import FileStorage

        storage = FileStorage(str(path))
        # Two processes starting together must not both create the index.
        lock = storage.lock("CREATELOCK")
        lock.acquire(blocking=True)
        try:
            if whoosh_index.exists_in(str(path)):
                ix = whoosh_index.open_dir(str(path))
            else:
                ix = whoosh_index.create_in(str(path), build_schema())
        finally:
            lock.release()
    if not _same_layout(ix.schema, build_schema()):
        raise IndexLayoutChanged(path)
    return ix


def _same_layout(found: Schema, expected: Schema) -> bool:
    return set(found.names()) == set(expected.names()) and all(
        type(found[name]) is type(expected[name]) and type(found[name].format) is type(expected[name].format)
        for name in expected.names()
    )


class _MappedFile(StructFile):  # type: ignore[misc]
    """A segment file read through a read-only memory map.

    Reading a term's entry or a postings block is a handful of small reads at known offsets
    (``get``); on a plain file each is a seek and a buffered read, on a map it is one slice.
    """

    def __init__(self, mapped: mmap.mmap, name: str, **kwargs: Any) -> None:
        super().__init__(mapped, name=name, **kwargs)
        self._map = mapped

    def get(self, position: int, length: int) -> bytes:
        return self._map[position:position + length]


class _MappedStorage(FileStorage):  # type: ignore[misc]
    """The index folder as searchers read it: every nonempty file memory-mapped.

    Only searchers read through it. Writers and merges keep plain files, so a merge does not count
    the pages of the segments it reads as its own resident memory. A searcher's mapped pages are the
    page cache's, shared between processes and given back under memory pressure.
    """

    def open_file(self, name: str, **kwargs: Any) -> StructFile:
        with open(self._fpath(name), "rb") as file:
            try:
                mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
            except ValueError:  # an empty file cannot be mapped
                return super().open_file(name, **kwargs)
        return _MappedFile(mapped, name=name, **kwargs)


def recreate_whoosh_index(path: str | Path) -> WhooshIndex:
    """Replace whatever index is at ``path`` with an empty one of the current layout (under the write lock,
    so no writer of the old layout is midway) and return the process's index object for it."""
    key = Path(path).resolve()
    key.mkdir(parents=True, exist_ok=True)
    from whoosh.filedb.filestore import FileStorage

    lock = FileStorage(str(key)).lock("WRITELOCK")
    if not lock.acquire(blocking=False):
        raise LockError(f"the search index at {key} is being written by another process")
    try:
        with _INDEXES_LOCK:
            found = _INDEXES.pop(key, None)
            if found is not None:
                found.close()
            whoosh_index.create_in(str(key), build_schema())
            index = _INDEXES[key] = WhooshIndex(key)
    finally:
        lock.release()
    # The old layout's segment files are no longer listed; Whoosh deletes them at the next commit.
    return index


class _HeldSearcher:
    """The shared searcher of one index object."""

    def __init__(self) -> None:
        self.searcher: Searcher | None = None

    def close(self) -> None:
        if self.searcher is not None:
            self.searcher.close()
            self.searcher = None


class WhooshIndex:
    """A Whoosh index in one folder; use ``open_whoosh_index`` to share one per process."""

    def __init__(self, path: str | Path, *, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self._ix = _open_or_create(self.path)
        # The same index, opened for searchers through memory maps (writers use ``_ix``).
        self._reading = FileIndex(_MappedStorage(str(self.path)), schema=self._ix.schema,
                                  indexname=self._ix.indexname)
        # Whoosh does not promise thread safety for a searcher; reads here are
        # short, so threads take turns on one shared, refreshed searcher.
        self._lock = threading.RLock()
        self._held = _HeldSearcher()
        # Segment files are open files and maps: an index object dropped without ``close`` still closes them.
        weakref.finalize(self, self._held.close)
        # (segment id, field) -> column values; segments never change their documents, only deletions.
        self._columns: dict[tuple[str, str], tuple[np.ndarray, list[Any]]] = {}

    # -- writing -------------------------------------------------------------

    def _acquire_writer(self) -> IndexWriter:
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.02
        while True:
            try:
                # Separate segment files, not one compound file: Whoosh memory-maps compound files, so
                # a merge read every page of the merged segments into the process's resident memory,
                # and assembling one copied the whole segment once more.
                writer = self._ix.writer(codec=_codec(), compound=False)
            except LockError:
                # Another process (or thread) is writing; wait briefly, then give up loudly.
                if time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
                continue
            writer.pool = _PostingBuffer()
            return writer

    @contextmanager
    def _writing(self, **commit_args: Any) -> Iterator[IndexWriter]:
        writer = self._acquire_writer()
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise
        try:
            writer.commit(**(commit_args or {"mergetype": _tiered_merge}))
        finally:
            writer.pool.cleanup()

    def add(self, docs: Iterable[IndexDoc]) -> None:
        iterator = iter(docs)
        while batch := list(islice(iterator, BATCH_SIZE)):
            # The last version of a repeated id wins: a writer cannot replace a
            # document it added itself before committing.
            latest = {doc.id: doc for doc in batch}
            with self._writing() as writer:
                for doc in latest.values():
                    writer.update_document(**_document_fields(doc))

    def delete(self, ids: Iterable[int]) -> None:
        wanted = [str(doc_id) for doc_id in ids]
        if not wanted:
            return
        with self._writing() as writer:
            for doc_id in wanted:
                writer.delete_by_term("id", doc_id)

    def clear(self) -> None:
        with self._writing(mergetype=CLEAR):
            pass

    # -- reading -------------------------------------------------------------

    def _fresh_searcher(self) -> Searcher:
        """The shared searcher, reopened when any process has committed since.

        Not ``Searcher.refresh()``: Whoosh's reader reuse adds the previous reader's segments that the
        new generation no longer lists, so a refreshed searcher can still see deleted documents or
        cleared segments. Opening afresh costs a TOC read and reopening segment files, only after a change.
        """
        current = self._held.searcher
        if current is not None and current.up_to_date():
            return current
        if current is not None:
            current.close()
            self._held.searcher = None
        self._held.searcher = searcher = self._reading.searcher()
        return searcher

    def doc_count(self) -> int:
        with self._lock:
            return int(self._fresh_searcher().doc_count())

    def ids(self) -> set[int]:
        with self._lock:
            reader = self._fresh_searcher().reader()
            if reader.doc_count() == 0:
                return set()  # an empty index has no columns to read
            column = reader.column_reader("id")
            return {int(column[docnum]) for docnum in reader.all_doc_ids()}

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
        page, per_page = max(1, page), max(1, per_page)
        offset = (page - 1) * per_page
        sortedby = None
        if sort == "date":
            sortedby = [sorting.FieldFacet("date_key", reverse=True), sorting.ScoreFacet()]
        elif sort != "relevance":
            raise ValueError(f"unknown sort {sort!r}")
        highlighter = Highlighter.for_query(node) if snippets else None
        with self._lock:
            searcher = self._fresh_searcher()
            main = to_whoosh(node, searcher.reader())
            extra = _filters_query(filters or {})
            whole = wq.And([main, *extra]) if extra else main
            limit = min(offset + per_page, MAX_RESULT_WINDOW)
            leaves = [(leaf.reader(), leaf_offset) for leaf, leaf_offset in searcher.leaf_searchers()]
            scored = self._scored(whole, searcher, leaves)
            if scored is not None:
                matched = [(reader, np.flatnonzero(found.mask)) for (reader, _), found in zip(leaves, scored)]
                ranked = _rank(leaves, scored, limit, self._date_keys if sort == "date" else None)
                hits = [self._stored_hit(searcher, docnum, score, highlighter)
                        for docnum, score in ranked[offset:limit]]
                total, counts = self._count(matched)
                return SearchResult(total=total, hits=hits, facets=counts)
            matched = self._matching(whole, [reader for reader, _ in leaves])
            if matched is not None and _has_phrase(whole):
                # Phrases checked on the matching arrays; the page ranks only those documents, by their words'
                # scores (what a phrase scores), so no position is read twice.
                allowed = _global_docnums(leaves, matched)
                # (Whoosh reads an empty filter as no filter.)
                results = _top(searcher, phrase_terms(whole), max(limit, 1), sortedby, allowed) if allowed else []
            elif matched is not None:
                # The page alone first: with nothing else to fill, Whoosh skips blocks that cannot reach the top.
                # Whoosh's own exclusion can let an excluded document through (its AndNot matcher skipping
                # postings blocks), so a query that excludes is held to the documents counted.
                allowed = _global_docnums(leaves, matched) if _has_exclusion(whole) else None
                results = _top(searcher, whole, max(limit, 1), sortedby, allowed) if allowed is None or allowed else []
            elif _has_phrase(whole):
                # Positions are checked per document either way: one pass scores, counts and records.
                recorder = _Recorder(searcher.collector(limit=max(limit, 1), sortedby=sortedby, optimize=False))
                searcher.search_with_collector(whole, recorder)
                results = recorder.results()
                matched = [(reader, np.asarray(docnums, dtype=np.int64)) for reader, docnums in recorder.matched]
            else:
                results = _top(searcher, whole, max(limit, 1), sortedby, None)
                matched = [(leaf.reader(), np.fromiter(whole.docs(leaf), dtype=np.int64))
                           for leaf, _ in searcher.leaf_searchers()]
            hits = [self._hit(hit, highlighter) for hit in results[offset:limit]] if offset < limit else []
            total, counts = self._count(matched)
            return SearchResult(total=total, hits=hits, facets=counts)

    def _matching(self, query: wq.Query, readers: list[IndexReader]) -> list[tuple[IndexReader, np.ndarray]] | None:
        """Each segment's matching document numbers as arrays, or ``None`` when Whoosh must match the query."""
        matched = []
        for reader in readers:
            docnums = matching_docnums(query, reader, self._date_keys(reader))
            if docnums is None:
                return None
            matched.append((reader, docnums))
        return matched

    def _scored(self, query: wq.Query, searcher: Searcher,
                leaves: list[tuple[IndexReader, int]]) -> list[Scored] | None:
        """Every segment's matches of ``query`` with their scores, or ``None`` when Whoosh must score it."""
        found: list[Scored] = []
        for reader, _ in leaves:
            if not isinstance(reader, SegmentReader):
                return None
            segid = reader.segment().segid
            try:
                scorer = SegmentScorer(searcher, reader, self._date_keys(reader),
                                       lambda fieldname, r=reader, s=segid: self._lengths(r, s, fieldname))
                found.append(scorer.score(query))
            except Unsupported:
                return None
        return found

    def _date_keys(self, reader: IndexReader) -> np.ndarray | None:
        segment = reader.segment()
        if segment is None or not reader.doc_count_all():
            return None
        return self._column(reader, segment.segid, "date_key")[0]

    def _lengths(self, reader: SegmentReader, segid: str, fieldname: str) -> np.ndarray:
        """The one-byte field lengths of a segment's documents, read once per segment."""
        key = (segid, f"_{fieldname}_len")
        found = self._columns.get(key)
        if found is None:
            column = reader._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
            size = reader.doc_count_all()
            codes = np.zeros(size, dtype=np.uint8) if column is None else \
                np.fromiter((column[docnum] for docnum in range(size)), dtype=np.uint8, count=size)
            found = self._columns[key] = (codes, [])
        return found[0]

    @staticmethod
    def _stored_hit(searcher: Searcher, docnum: int, score: float, highlighter: Highlighter | None) -> Hit:
        return _hit_of(searcher.stored_fields(docnum), score, highlighter)

    def _count(self, matched: list[tuple[IndexReader, np.ndarray]]) -> tuple[int, dict[str, dict[str, int]]]:
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
                codes, values = self._column(reader, segid, _FACET_FIELDS[name])
                for code, count in enumerate(np.bincount(codes[docnums], minlength=len(values)).tolist()):
                    if count:
                        tallies[name][values[code]] += count
        for key in [key for key in self._columns if key[0] not in live]:
            del self._columns[key]  # a segment merged away or cleared
        return total, {name: _facet_counts(tally) for name, tally in tallies.items()}

    def _column(self, reader: IndexReader, segid: str, fieldname: str) -> tuple[np.ndarray, list[Any]]:
        """A sortable field of one segment as an array of codes per document and the value of each code,
        read once per segment (segments never change their documents, only deletions). Integer columns
        are their own codes."""
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

    @staticmethod
    def _hit(hit: Any, highlighter: Highlighter | None) -> Hit:
        # Sorted by date, Whoosh gives the sort key instead of a score.
        return _hit_of(hit.fields(), float(hit.score) if isinstance(hit.score, int | float) else 0.0, highlighter)

    def close(self) -> None:
        with self._lock:
            self._held.close()


class _TopCollector(collectors.TopCollector):  # type: ignore[misc]
    """Whoosh's top-N collector, skipping as soon as the page is full.

    Whoosh raises the score a document needs only when one replaces another on the page, so while
    every match ties (a prefix's constant score) nothing is ever skipped and each match is collected
    one by one. A full page already sets that bar: a tie never displaces an earlier document.
    """

    def _collect(self, global_docnum: int, score: float) -> float:
        result = super()._collect(global_docnum, score)
        if len(self.items) >= self.limit:
            self.minscore = self.items[0][0]
        return result  # type: ignore[no-any-return]


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


def _rank(leaves: list[tuple[IndexReader, int]], scored: list[Scored], limit: int,
          date_keys: Any = None) -> list[tuple[int, float]]:
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


def _top(searcher: Searcher, query: wq.Query, limit: int, sortedby: Any, allowed: set[int] | None) -> Any:
    """The first ``limit`` results of ``query`` (only ``allowed`` documents, when given)."""
    if sortedby is None and limit < searcher.doc_count():
        collector: collectors.Collector = _TopCollector(limit)
        if allowed is not None:
            collector = collectors.FilterCollector(collector, allowed)
    else:
        collector = searcher.collector(limit=limit, sortedby=sortedby, filter=allowed)
    searcher.search_with_collector(query, collector)
    return collector.results()


def _global_docnums(leaves: list[tuple[IndexReader, int]], matched: list[tuple[IndexReader, np.ndarray]]) -> set[int]:
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


_INDEXES: dict[Path, WhooshIndex] = {}
_INDEXES_LOCK = threading.Lock()


def open_whoosh_index(path: str | Path) -> WhooshIndex:
    """The process-wide index object for ``path`` (created on first use)."""
    key = Path(path).resolve()
    with _INDEXES_LOCK:
        found = _INDEXES.get(key)
        if found is None:
            found = _INDEXES[key] = WhooshIndex(key)
        return found
