"""Every use of Whoosh's private API by the search index, in one place.

The Whoosh backend (``whoosh_index`` and the ``whoosh_*`` modules it is split into) uses Whoosh's
public API and this module, nothing else of Whoosh's insides. It was written against
``whoosh-reloaded`` ``WHOOSH_VERSION`` (pinned in pyproject.toml; ``tests/unit/test_whoosh_internals.py``
fails on any other version). After an upgrade, read the names below in the new release's
``whoosh/codec/whoosh3.py``, ``whoosh/writing.py``, ``whoosh/matching/mcore.py``,
``whoosh/collectors.py``, ``whoosh/filedb/`` and ``whoosh/scoring.py``, then run the differential
tests (``tests/unit/test_whoosh_scoring.py``, ``test_whoosh_write_path.py``, ``test_whoosh_index.py``).

Private names used, where, and what each buys. Figures: best of five, on the index
``bench/search_bench.py --docs 2000`` builds (20 KB Kyrgyz/Russian documents, two shared cores):

Writing (``InliningCodec``, ``PostingBuffer``, ``merge_segment_into``):

- ``W3Codec._blocklimit``, ``._compression``, ``._inlinelimit``: the stock settings, passed on to the
  subclassed postings writer.
- ``W3FieldWriter._postwriter``, ``._fieldobj``, ``._btext`` (``_FieldWriter.start_term``): hands the
  postings writer a term info that has ``set_inline``; Whoosh calls ``set_inline`` on a
  ``W3TermInfo`` that only has ``set_inlined``, so stock Whoosh never inlines. Inlined short postings
  lists (most of a long-tailed vocabulary) cost no block, no zlib call and no seek.
- ``W3PostingsWriter._write_block`` (copied) with ``_blockcount``, ``_postfile``, ``_terminfo``,
  ``_mini_ids``, ``_mini_weights``, ``_mini_values``, ``_compression``, ``_ids``, ``_maxweight``,
  ``_minlength``, ``_maxlength``, ``_new_block``: the copy differs in one argument, the pickle
  protocol of the block data (current instead of 2). With protocol 2 every bytes value (a
  document's positions) unpickles through ``codecs.encode`` of a Latin-1 string: a block of 128
  documents' positions reads in 506 us with protocol 2, 123 us with protocol 5. The stock reader
  reads either protocol.
- ``Codec.length_stats = False``: per-term shortest/longest field lengths cost a column lookup per
  posting written and only tighten score bounds; scores are unchanged.
- ``SegmentWriter.pool`` (replaced by ``PostingBuffer``, which speaks the pool's ``add``,
  ``iter_postings``, ``cleanup``) and ``SegmentWriter._added``: Whoosh's pool sorts every posting as
  a tuple and spills sorted runs through pickle; grouping by term in memory and streaming merged
  segments' postings (instead of ``add_reader`` copying them into the pool) kept bulk loads from
  slowing down as the index grew.

Reading postings (``term_info``, ``postings_blocks``, ``each_block``, ``stored_blocks``):

- ``SegmentReader._terms`` (the ``W3TermsReader``), its ``_codec`` and ``_postfile``: a term's
  postings read without building a scoring matcher, and a segment's terms walked in table order.
- ``W3LeafMatcher._lastblock``, ``._nextoffset``, ``._goto``, ``._read_data``, ``._data``,
  ``._read_ids``, ``._read_weights``, ``._read_values``, ``._ids``, ``._weights``, ``._values``:
  a block of postings taken whole (ids as gaps, weights, values) into numpy arrays, where the public
  matcher hands out one posting per four method calls: a term in all 2,000 documents reads in
  0.31 ms, 1.48 ms through ``reader.postings``. Array scoring, counting and facets rest on it.

Prefixes (``prefix_terms``, ``run_frequencies``, ``term_info_from_entry``):

- ``W3TermsReader._tindex`` (an ``OrderedHashReader``) with ``closest_key_pos``, ``dbfile``,
  ``endofdata``, ``W3TermsReader._keycoder``, ``whoosh.filedb.filetables._lengths``: the run of
  term table entries of a prefix read in one piece; Whoosh's own ``iter_prefix`` unpickles the
  postings inlined in every entry: the frequencies of ``ка*`` take 5.0 ms, 15.4 ms through it.
- ``whoosh.system._FLOAT_SIZE`` and the ``W3TermInfo`` byte layout (flags, total weight, document
  frequency): the document frequency read from an entry without decoding it.

Scoring (``field_B``, ``field_length_bytes``):

- ``BM25F._field_B``: the field's B, so the array scorer gives Whoosh's scores to the last bit.
- ``SegmentReader._perdoc._cached_reader`` and ``LENGTHS_COLUMN``: a segment's one-byte field
  lengths, read once into an array.

Matchers and collectors (``ConstantMatcher``, ``TopCollector``):

- ``ListMatcher._i``, ``._ids``, ``._all_weights``: skipping by binary search, and skipping the rest
  at once when a constant score cannot enter the page (prefix queries).
- ``TopCollector._collect``, ``.items``, ``.minscore``, ``.limit``: a full page of tied scores
  skips the rest; Whoosh raises the bar only when a document displaces another, so a prefix's
  constant-score matches were otherwise collected one by one.

Files (``MappedStorage``): ``FileStorage._fpath`` and a ``StructFile`` subclass whose ``get`` slices
a read-only memory map: a term entry or postings block is one slice instead of a seek and a read.

Outside this module the backend subclasses only Whoosh's documented extension points (a field's
``index``, a format's ``encode``/``decode_*``, a ``Query``, a wrapping collector's ``collect``) and
reads a few public but undocumented attributes: ``SegmentReader.deleted_docs_set``,
``Segment.segid``, ``FileIndex.indexname``. ``InliningCodec`` (like the schema's field and format
classes) is pickled into every index's table of contents under ``records.search.whoosh_index``.
"""
from __future__ import annotations

import mmap
import pickle
import struct
import zlib
from bisect import bisect_left
from collections.abc import Iterator
from heapq import merge
from importlib.metadata import version
from itertools import repeat
from typing import Any

import numpy as np
from whoosh import collectors
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3PostingsWriter,
    W3TermInfo,
)
from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.filetables import _lengths
from whoosh.filedb.structfile import StructFile
from whoosh.matching import ListMatcher
from whoosh.reading import SegmentReader, TermNotFound
from whoosh.scoring import BM25F
from whoosh.system import _FLOAT_SIZE
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

__all__ = [
    "WHOOSH_VERSION", "ConstantMatcher", "InliningCodec", "MappedFile", "MappedStorage", "PostingBuffer",
    "TopCollector", "each_block", "field_B", "field_length_bytes", "installed_whoosh_version",
    "merge_segment_into", "postings_blocks", "prefix_terms", "run_frequencies", "segment_postings",
    "term_info", "term_info_from_entry",
]

WHOOSH_VERSION = "2.7.5"  # the release every name above was read in; pinned in pyproject.toml

Posting = tuple[str, bytes, int, float, bytes]  # field, term, document number, weight, value


def installed_whoosh_version() -> str:
    return version("whoosh-reloaded")


# -- writing ----------------------------------------------------------------------------------------------


class _TermInfo(W3TermInfo):  # type: ignore[misc]
    # Whoosh's postings writer calls ``set_inline``, a name its term info lacks (only ``set_inlined``).
    def set_inline(self, ids: Any, weights: Any, values: Any) -> None:
        self.set_inlined(ids, weights, values)


class _FieldWriter(W3FieldWriter):  # type: ignore[misc]
    def start_term(self, btext: bytes) -> None:
        if self._postwriter is None:
            raise RuntimeError("start_term called before start_field")
        self._btext = btext
        self._postwriter.start_postings(self._fieldobj.format, _TermInfo())


class _PostingsWriter(W3PostingsWriter):  # type: ignore[misc]
    """Whoosh's postings writer, pickling each block's data with the current pickle protocol."""

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
    """Whoosh's codec, keeping postings lists shorter than ``inline_below`` in the term table.

    Segments written with it are read by the stock reader (inlined postings are part of the format).
    """

    # Every index's table of contents pickles this class by name; indexes have always named it in
    # ``records.search.whoosh_index`` (which imports it), so files stay the same whichever version wrote them.
    __module__ = "records.search.whoosh_index"

    length_stats = False

    def __init__(self, inline_below: int) -> None:
        super().__init__(inlinelimit=inline_below)

    def field_writer(self, storage: Any, segment: Any) -> W3FieldWriter:
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        return _PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids, compression=self._compression,
                               inlinelimit=self._inlinelimit)


class PostingBuffer:
    """The postings of one writer, in place of Whoosh's external-sort pool (``SegmentWriter.pool``).

    The postings of the writer's own documents are grouped by term as they arrive (documents arrive in
    number order, so each term's list is already sorted) and only the terms are sorted. Segments merged
    into the new one are not copied in: their postings are streamed from the open segment readers and
    merged in order while the new segment is written.
    """

    def __init__(self) -> None:
        # Field name -> term -> flat postings list (document, weight, value, document, ...): no key tuple
        # per term, as a rebuild's segment buffers close to a million terms.
        self._terms: dict[str, dict[bytes, list[Any]]] = {}
        self._streams: list[Iterator[Posting]] = []
        self._readers: list[SegmentReader] = []

    @classmethod
    def install(cls, writer: SegmentWriter) -> PostingBuffer:
        """A new buffer, made the pool of ``writer``."""
        writer.pool = buffer = cls()
        return buffer

    def add(self, item: Posting) -> None:
        fieldname, text, docnum, weight, value = item
        terms = self._terms.get(fieldname)
        if terms is None:
            terms = self._terms[fieldname] = {}
        found = terms.get(text)
        if found is None:
            terms[text] = [docnum, weight, value]
        else:
            found += (docnum, weight, value)

    def add_segment(self, reader: SegmentReader, postings: Iterator[Posting]) -> None:
        self._readers.append(reader)
        self._streams.append(postings)

    def _own(self) -> Iterator[Posting]:
        for fieldname in sorted(self._terms):
            terms = self._terms.pop(fieldname)
            for text in sorted(terms):
                flat = terms.pop(text)  # written once, then freed
                for i in range(0, len(flat), 3):
                    yield fieldname, text, flat[i], flat[i + 1], flat[i + 2]

    def iter_postings(self) -> Iterator[Posting]:
        if not self._streams:
            return self._own()
        # Document numbers never repeat across the sources, so tuples never compare past them.
        return merge(self._own(), *self._streams)

    def cleanup(self) -> None:
        for reader in self._readers:
            reader.close()
        self._readers.clear()
        self._streams.clear()
        self._terms.clear()


def merge_segment_into(writer: SegmentWriter, segment: Any) -> None:
    """``SegmentWriter.add_reader`` without copying the postings into memory (needs a ``PostingBuffer``)."""
    reader = SegmentReader(writer.storage, writer.schema, segment)
    start = writer.docnum
    fieldnames = set(writer.schema.names()) | {name for name in reader.indexed_field_names() if name in writer.schema}
    docmap = writer.write_per_doc(fieldnames, reader)
    writer.pool.add_segment(reader, segment_postings(reader, writer.schema, start, docmap))
    writer._added = True


def segment_postings(reader: SegmentReader, schema: Schema, start: int,
                     docmap: dict[int, int] | None) -> Iterator[Posting]:
    """A segment's postings in term order, renumbered for the segment being written, deleted ones left out.

    Read a block at a time in the term table's own order: ``reader.postings`` would look every term up
    in the table again and hand out each posting through four matcher calls. Values are ``b""`` where a
    field keeps none (Whoosh's readers give ``None`` or ``""``, which the postings writer refuses).
    """
    terms = reader._terms
    deleted = reader.deleted_docs_set
    for (fieldname, text), info in terms.items():
        if fieldname not in schema:
            continue
        if info.is_inlined():
            blocks: Iterator[tuple[Any, Any, Any]] = iter([info.inlined_postings()])
        else:
            blocks = stored_blocks(terms._codec.postings_reader(terms._postfile, info, reader.schema[fieldname].format,
                                                                term=(fieldname, text)))
        for ids, weights, values in blocks:
            # A postings list of a field without values keeps none at all (an empty tuple).
            for docnum, weight, value in zip(ids, weights, values or repeat(b"")):
                if deleted and docnum in deleted:
                    continue
                yield fieldname, text, start + docnum if docmap is None else docmap[docnum], weight, value or b""


# -- reading postings -------------------------------------------------------------------------------------


def each_block(matcher: Any) -> Iterator[Any]:
    """Whoosh's block reader (``W3LeafMatcher``) positioned on each block of its postings list in turn."""
    while True:
        yield matcher
        if matcher._lastblock:
            return
        matcher._goto(matcher._nextoffset)


def stored_blocks(matcher: Any) -> Iterator[tuple[Any, Any, Any]]:
    """Each block of a postings list as (document numbers, weights, values), decoded by Whoosh's block reader."""
    for block in each_block(matcher):
        block._read_ids()
        block._read_weights()
        block._read_values()
        yield block._ids, block._weights, block._values


def term_info(reader: SegmentReader, fieldname: str, tbytes: bytes) -> W3TermInfo | None:
    """A term's entry of a segment's term table, ``None`` when the segment lacks the term."""
    try:
        return reader._terms.term_info(fieldname, tbytes)
    except TermNotFound:
        return None


def postings_blocks(reader: SegmentReader, fieldname: str, tbytes: bytes,
                    info: W3TermInfo) -> list[tuple[np.ndarray, Any, Any]] | None:
    """A term's postings as (document numbers, weights as stored, values) per block, deletions included;
    ``None`` when the segment is not of the Whoosh 3 codec."""
    if info.is_inlined():
        ids, weights, vals = info.inlined_postings()
        return [(np.asarray(ids, dtype=np.int64), weights, vals)]
    terms = reader._terms
    matcher = terms._codec.postings_reader(terms._postfile, info, reader.schema[fieldname].format,
                                           term=(fieldname, tbytes))
    if not hasattr(matcher, "_read_data"):
        return None
    found = []
    for block in each_block(matcher):
        block._read_data()
        data = block._data
        # Block ids are stored as gaps; a cumulative sum decodes a whole block at once.
        found.append((np.cumsum(np.asarray(data[0], dtype=np.int64)), data[1], data[2]))
    return found


# -- prefixes ---------------------------------------------------------------------------------------------

_DOC_FREQ = struct.Struct("!I")
_DOC_FREQ_AT = 1 + _FLOAT_SIZE  # W3TermInfo's header: flags byte, total weight, then the document frequency
_FIELD_NUMBER_SIZE = 2  # a term table key is the field's number (unsigned short) then the term's bytes


def prefix_terms(reader: Any, fieldname: str, prefix: str) -> dict[bytes, bytes] | None:
    """Every term of ``fieldname`` in one segment starting with ``prefix``, with its term table entry.

    The terms of a prefix are one contiguous run of the segment's term table; it is read in one piece
    and split into keys and entries, nothing decoded. ``None`` when ``reader`` is not a segment of this
    codec.
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


def term_info_from_entry(entry: bytes) -> W3TermInfo:
    """The term info of one term table entry of a run (``prefix_terms``)."""
    return W3TermInfo.from_bytes(entry)


# -- scoring ----------------------------------------------------------------------------------------------


def field_B(weighting: BM25F, fieldname: str) -> float:  # noqa: N802 - BM25's name
    """BM25F's B for one field (a per-field setting, else the global one)."""
    return weighting._field_B.get(fieldname, weighting.B)  # type: ignore[no-any-return]


def field_length_bytes(reader: SegmentReader, fieldname: str) -> np.ndarray:
    """The one-byte field lengths of a segment's documents (zeros when the field has none)."""
    column = reader._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    size = reader.doc_count_all()
    if column is None:
        return np.zeros(size, dtype=np.uint8)
    return np.fromiter((column[docnum] for docnum in range(size)), dtype=np.uint8, count=size)


# -- matchers and collectors ------------------------------------------------------------------------------


class ConstantMatcher(ListMatcher):  # type: ignore[misc]
    """Sorted document numbers with one score. Whoosh's list matcher skips one document at a time;
    here a skip is a binary search, and once the score cannot enter the page the rest is skipped at once."""

    def skip_to(self, id: int) -> None:  # noqa: A002 - Whoosh's name
        self._i = bisect_left(self._ids, id, self._i)

    def skip_to_quality(self, minquality: float) -> int:
        if self._i < len(self._ids) and self._all_weights <= minquality:
            self._i = len(self._ids)
            return 1
        return 0


class TopCollector(collectors.TopCollector):  # type: ignore[misc]
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


# -- files ------------------------------------------------------------------------------------------------


class MappedFile(StructFile):  # type: ignore[misc]
    """A segment file read through a read-only memory map: each ``get`` is one slice."""

    def __init__(self, mapped: mmap.mmap, name: str, **kwargs: Any) -> None:
        super().__init__(mapped, name=name, **kwargs)
        self._map = mapped

    def get(self, position: int, length: int) -> bytes:
        return self._map[position:position + length]


class MappedStorage(FileStorage):  # type: ignore[misc]
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
        return MappedFile(mapped, name=name, **kwargs)
