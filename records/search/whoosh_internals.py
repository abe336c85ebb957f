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

Segments built in other processes (``unlocked_segment_writer``, ``finish_segment``,
``commit_with_segments``): ``SegmentWriter(_lk=False)``, ``._finalize_segment``, ``._finish``,
``._merge_segments``, ``._close_segment``, ``._commit_toc`` and ``._added``, as Whoosh's own
multi-process writer (``whoosh.multiproc``) uses them. A rebuild writes segments on every core, each
in a folder of its own, and one process lists them in the index (``records.search.whoosh_build``):
10,000 documents in 85.5 s on two processes against 155 s on one, on a quiet two-core machine
(``bench/reindex_bench.py --processes``).

Compact term table (``CompactCodec``, ``CompactTermInfo``, ``DocumentWriter``, ``_TermTableWriter``):
``W3FieldWriter._tindex``, ``._fieldmap``, ``._postfile``, ``._codec``; ``W3Codec._blocklimit``,
``._compression``, ``._inlinelimit``; ``W3TermInfo``'s attributes (``_df``, ``_weight``,
``_maxweight``, ``_minlength``, ``_maxlength``, ``_minid``, ``_maxid``, ``_offset``, ``_length``,
``_inlined``); ``OrderedHashWriter``'s ``index``, ``buckets``, ``lastkey`` and ``HashWriter``'s
``hashtype``; ``W3TermsReader._tindex``, ``._keycoder``, ``._keydecoder``; ``W3FieldCursor``'s
``_pos``, ``_datapos``, ``_datalen``; ``SegmentWriter.add_document`` (copied, taking a field's postings
of a document in one piece) with ``_check_state``, ``_doc_boost``, ``_field_boost``, ``_check_fields``,
``perdocwriter``, ``docnum``. Whoosh's entry is a 23-byte header plus the inlined postings pickled;
the compact one is flags and varints: on 10,000 documents of the reindex benchmark the index went
from 3.24x to 1.74x the text, and writing a segment's terms from about 36 s to 24 s of profiled time
per 2,000 documents. Search results are byte-identical (``bench/search_bench.py --dump``).

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
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from heapq import merge
from importlib.metadata import version
from itertools import groupby, repeat
from operator import itemgetter, sub
from typing import Any

import numpy as np
from whoosh import collectors
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldCursor,
    W3FieldWriter,
    W3PostingsWriter,
    W3TermInfo,
    W3TermsReader,
)
from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.filetables import HashWriter, OrderedHashWriter, _lengths
from whoosh.filedb.structfile import StructFile
from whoosh.util.numlists import GrowableArray
from whoosh.matching import ListMatcher
from whoosh.reading import SegmentReader, TermNotFound
from whoosh.scoring import BM25F
from whoosh.system import _FLOAT_SIZE, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

__all__ = [
    "WHOOSH_VERSION", "CompactCodec", "CompactTermInfo", "ConstantMatcher", "DocumentWriter", "InliningCodec", "MappedFile", "MappedStorage", "PostingBuffer",
    "TopCollector", "commit_with_segments", "each_block", "field_B", "field_length_bytes", "finish_segment",
    "installed_whoosh_version", "merge_segment_into", "postings_blocks", "prefix_terms", "run_frequencies",
    "segment_postings", "term_info", "term_info_from_entry", "unlocked_segment_writer",
]

WHOOSH_VERSION = "2.7.5"  # the release every name above was read in; pinned in pyproject.toml

Posting = tuple[str, bytes, int, float, bytes]  # field, term, document number, weight, value
# One term's postings: field, term, document numbers, weights, values
TermPostings = tuple[str, bytes, list[int], list[float], list[bytes]]


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


# Compact term table entries (``CompactCodec``) ------------------------------------------------------------

def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_SMALL = [_varint(n) for n in range(1 << 14)]  # one or two bytes: almost every number an entry holds


def _varints(numbers: Any) -> bytes:
    small = _SMALL
    return b"".join([small[n] if n < 16384 else _varint(n) for n in numbers])


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    byte = data[pos]
    if byte < 0x80:
        return byte, pos + 1
    n, shift = 0, 0
    while True:
        byte = data[pos]
        pos += 1
        n |= (byte & 0x7F) << shift
        if byte < 0x80:
            return n, pos
        shift += 7


_F32 = struct.Struct("<f")
_INLINED, _WHOLE_WEIGHTS, _HAS_VALUES, _HAS_LENGTHS = 1, 2, 4, 8


class CompactTermInfo(_TermInfo):
    """A term table entry in a few bytes, where Whoosh's takes a 23-byte header and pickles inlined postings.

    Flags, the document frequency, the weights (whole numbers as varints, which every weight of this
    schema is: a count times a boost of 1; else 32-bit floats, as Whoosh keeps them), then either the
    inlined postings (document numbers as gaps, values length-prefixed) or the postings' place in the
    postings file. A term in one document takes about a tenth of Whoosh's entry.
    """

    def to_bytes(self) -> bytes:
        inlined = self._inlined
        total, top = self._weight, self._maxweight
        weights = inlined[1] if inlined is not None else ()
        whole = total == int(total) and top == int(top) and all(w == int(w) for w in weights)
        lengths = self._minlength not in (None, 0) or self._maxlength
        flags = ((_INLINED if inlined is not None else 0) | (_WHOLE_WEIGHTS if whole else 0)
                 | (_HAS_VALUES if inlined is not None and inlined[2] else 0) | (_HAS_LENGTHS if lengths else 0))
        head = bytes((flags,))
        if lengths:
            head += _varint(self._df) + (_varints((int(total), int(top))) if whole else _F32.pack(total) + _F32.pack(top))
            head += bytes((length_to_byte(self._minlength), length_to_byte(self._maxlength)))
            numbers: list[int] = []
        elif whole:
            numbers = [self._df, int(total), int(top)]
        else:
            head += _varint(self._df) + _F32.pack(total) + _F32.pack(top)
            numbers = []
        if inlined is None:
            numbers += (self._minid, self._maxid, self._offset, self._length)
            return head + _varints(numbers)
        ids, _, values = inlined
        last = 0
        for docnum in ids:
            numbers.append(docnum - last)
            last = docnum
        if whole:
            numbers += map(int, weights)
            out = head + _varints(numbers)
        else:
            out = head + _varints(numbers) + b"".join(map(_F32.pack, weights))
        if values:
            small = _SMALL
            out += b"".join([small[len(v)] + v if len(v) < 16384 else _varint(len(v)) + v for v in values])
        return out

    @classmethod
    def from_bytes(cls, data: bytes) -> CompactTermInfo:
        info = cls()
        flags = data[0]
        df, pos = _read_varint(data, 1)
        info._df = df
        whole = flags & _WHOLE_WEIGHTS
        if whole:
            total, pos = _read_varint(data, pos)
            top, pos = _read_varint(data, pos)
            info._weight, info._maxweight = float(total), float(top)
        else:
            info._weight, info._maxweight = _F32.unpack_from(data, pos)[0], _F32.unpack_from(data, pos + 4)[0]
            pos += 8
        if flags & _HAS_LENGTHS:
            info._minlength, info._maxlength = byte_to_length(data[pos]), byte_to_length(data[pos + 1])
            pos += 2
        else:  # as Whoosh's entry reads back without length statistics
            info._minlength = info._maxlength = 0
        if flags & _INLINED:
            ids = []
            last = 0
            for _ in range(df):
                gap, pos = _read_varint(data, pos)
                last += gap
                ids.append(last)
            if whole:
                weights = []
                for _ in range(df):
                    weight, pos = _read_varint(data, pos)
                    weights.append(float(weight))
            else:
                weights = [_F32.unpack_from(data, pos + 4 * i)[0] for i in range(df)]
                pos += 4 * df
            values = []
            if flags & _HAS_VALUES:
                for _ in range(df):
                    size, pos = _read_varint(data, pos)
                    values.append(bytes(data[pos:pos + size]))
                    pos += size
            info._inlined = (tuple(ids), tuple(weights), tuple(values))
            info._minid, info._maxid = ids[0], ids[-1]
        else:
            info._minid, pos = _read_varint(data, pos)
            info._maxid, pos = _read_varint(data, pos)
            info._offset, pos = _read_varint(data, pos)
            info._length, pos = _read_varint(data, pos)
        return info

    @staticmethod
    def doc_frequency_of(data: bytes) -> int:
        return _read_varint(data, 1)[0]


_WHOLE_INLINED = bytes((_INLINED | _WHOLE_WEIGHTS,))
_WHOLE_INLINED_VALUES = bytes((_INLINED | _WHOLE_WEIGHTS | _HAS_VALUES,))


def inlined_entry(ids: list[int], weights: list[float], values: list[bytes]) -> bytes | None:
    """The ``CompactTermInfo`` entry of a term whose few postings are inlined, made straight from them;
    ``None`` unless every weight is a whole number from 0 to 16,383 (then the entry goes the general way).

    Nearly every term of a segment is one of these (the long tail of words in one or a few documents),
    so the object, the float array and the flag logic of the general way are skipped here. The bytes are
    the same (``tests/unit/test_whoosh_compact.py`` compares them).
    """
    counts = list(map(int, weights))
    top = max(counts)
    if counts != weights or top >= 16384 or min(counts) < 0:
        return None
    small = _SMALL
    present = list(filter(None, values))
    total = sum(counts)
    parts = [_WHOLE_INLINED_VALUES if present else _WHOLE_INLINED, small[len(ids)],
             small[total] if total < 16384 else _varint(total), small[top]]
    gaps = map(sub, ids, (0, *ids[:-1]))
    parts += map(small.__getitem__, gaps) if ids[-1] < 16384 else map(_varint, gaps)
    parts += map(small.__getitem__, counts)
    for value in present:
        parts.append(small[len(value)] if len(value) < 16384 else _varint(len(value)))
        parts.append(value)
    return b"".join(parts)


def single_entry(docnum: int, weight: float, value: bytes) -> bytes | None:
    """``inlined_entry`` of a term in one document (most terms of a segment), without building lists."""
    count = int(weight)
    if count != weight or not 0 <= count < 16384 or not 0 <= docnum < 16384 or len(value) >= 16384:
        return None
    small = _SMALL
    counted = small[count]
    if value:
        return b"".join((_WHOLE_INLINED_VALUES, b"\x01", counted, counted, small[docnum], counted,
                         small[len(value)], value))
    return b"".join((_WHOLE_INLINED, b"\x01", counted, counted, small[docnum], counted))


class _TermTableWriter(OrderedHashWriter):  # type: ignore[misc]
    """Whoosh's ordered hash file (the term table), written through a buffer and hashed with CRC-32.

    ``OrderedHashWriter.add`` makes three writes, a ``tell`` and an MD5 digest per term; here a term is
    appended to a buffer, and the hash is ``zlib.crc32``, which the file's header names (hash type 1),
    so Whoosh's reader hashes lookups the same way. Keys must still come in increasing order. The
    positions of the keys and the 256 hash tables are written in one piece each, as the same bytes
    Whoosh writes (``HashWriter._write_hashes``, ``GrowableArray.to_file``).
    """

    def __init__(self, dbfile: Any) -> None:
        HashWriter.__init__(self, dbfile, hashtype=1)
        self.index = GrowableArray("H")
        self._positions = array("q")
        self.lastkey = b""
        self._buffer = bytearray()
        self._position = dbfile.tell()

    def add(self, key: bytes, value: bytes) -> None:
        position = self._position
        self._positions.append(position)
        hashed = zlib.crc32(key)
        self.buckets[hashed & 255].append((hashed, position))
        record = _lengths.pack(len(key), len(value)) + key + value
        self._buffer += record
        self._position = position + len(record)
        if len(self._buffer) > 1 << 20:
            self._flush()

    def _flush(self) -> None:
        self.dbfile.write(bytes(self._buffer))
        self._buffer.clear()

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        self._flush()
        self.index = _positions_array(self._positions)
        super().close()

    def _write_hashes(self) -> None:
        dbfile = self.dbfile
        for entries in self.buckets:
            numslots = 2 * len(entries)
            self.directory.append((dbfile.tell(), numslots))
            # Open addressing, as Whoosh's: the slot the hash names, else the next free one.
            taken = bytearray(numslots)
            slots = []
            for hashval, _ in entries:
                slot = (hashval >> 8) % numslots
                while taken[slot]:
                    slot = (slot + 1) % numslots
                taken[slot] = 1
                slots.append(slot)
            table = np.zeros(numslots, dtype=_HASH_SLOT)
            if entries:
                found = np.array(entries, dtype=np.int64)
                table["hash"][slots] = found[:, 0]
                table["position"][slots] = found[:, 1]
            dbfile.write(table.tobytes())


# A hash table slot as Whoosh packs it (``whoosh.filedb.filetables._pointer``, "!Iq"): hash, key position.
_HASH_SLOT = np.dtype([("hash", ">u4"), ("position", ">i8")])


def _positions_array(positions: array[int]) -> GrowableArray:
    """The key positions as the ``GrowableArray`` Whoosh's writer grows them into: the smallest of its
    types that holds the last (largest) position."""
    grown = GrowableArray("H")
    if positions and positions[-1] >= 2**16:
        grown._retype(positions[-1])
    grown.array = array(grown.typecode, positions)
    return grown


class _CompactFieldWriter(W3FieldWriter):  # type: ignore[misc]
    """Writes a segment's term table and postings a term at a time (``PostingBuffer.terms``): a term in
    fewer than the inline limit of documents becomes one compact entry, a longer one Whoosh's blocks
    (the stock block format, pickled with the current protocol), without a call per posting."""

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        super().__init__(codec, storage, segment)
        # The stock writer has written nothing to its table yet but the header: start the table again.
        dbfile = self._tindex.dbfile
        dbfile.seek(self._tindex.startoffset)
        self._tindex = _TermTableWriter(dbfile)
        self._fieldmap = self._tindex.extras["fieldmap"] = {}

    def add_postings(self, schema: Schema, lengths: Any, items: Any) -> None:
        codec = self._codec
        inline_below, limit, level = codec._inlinelimit, codec._blocklimit, codec._compression
        tindex_add, fieldmap = self._tindex.add, self._fieldmap
        postfile = self._postfile
        prefixes: dict[str, bytes] = {}

        def prefix_of(fieldname: str) -> bytes:
            if fieldname not in fieldmap:
                fieldmap[fieldname] = len(fieldmap)
            prefix = prefixes[fieldname] = pack_ushort(fieldmap[fieldname])
            return prefix

        def add_term(fieldname: str, key: bytes, ids: list[int], weights: list[float], values: list[bytes]) -> None:
            if len(ids) < inline_below:
                entry = inlined_entry(ids, weights, values)
                if entry is None:
                    entry = general_entry(ids, weights, values).to_bytes()
            else:
                info = general_entry(ids, weights, None)
                start = postfile.tell()
                _write_blocks(postfile, ids, array("f", weights), values,
                              schema[fieldname].format.fixed_value_size(), limit, level)
                info._offset, info._length = start, postfile.tell() - start
                entry = info.to_bytes()
            tindex_add(key, entry)

        if isinstance(items, _Postings) and not items.buffer.merging:
            # The writer's own documents alone (a new segment): most terms are in one document.
            for fieldname, text, flat in items.buffer.flat_terms():
                key = (prefixes.get(fieldname) or prefix_of(fieldname)) + text
                if len(flat) == 3:
                    entry = single_entry(flat[0], flat[1], flat[2])
                    if entry is not None:
                        tindex_add(key, entry)
                        continue
                add_term(fieldname, key, flat[0::3], flat[1::3], flat[2::3])
            return
        terms = items.terms() if isinstance(items, _Postings) else _grouped(items)
        for fieldname, text, ids, weights, values in terms:
            add_term(fieldname, (prefixes.get(fieldname) or prefix_of(fieldname)) + text, ids, weights, values)


def general_entry(ids: list[int], weights: list[float], inlined_values: list[bytes] | None) -> CompactTermInfo:
    """A term's entry the general way: with its postings inlined when ``inlined_values`` are given, else
    for postings written to the postings file (whose place the caller fills in)."""
    info = CompactTermInfo()
    stored = array("f", weights)  # 32-bit floats, as Whoosh's postings writer stores them
    info._df = len(ids)
    info._weight = sum(stored)
    info._maxweight = max(weights)  # as given, as Whoosh's postings writer keeps it
    info._minlength, info._maxlength = None, 0
    info._minid, info._maxid = ids[0], ids[-1]
    if inlined_values is not None:
        info._inlined = (tuple(ids), tuple(stored), tuple(v for v in inlined_values if v))
    return info


def _write_blocks(postfile: Any, ids: Any, weights: Any, values: Any, fixedsize: int | None, limit: int,
                  level: int) -> None:
    """One term's postings as Whoosh 3 blocks (``W3PostingsWriter._write_block``, in bulk)."""
    postfile.write(WHOOSH3_HEADER_MAGIC)
    count = len(ids)
    for start in range(0, count, limit):
        end = min(start + limit, count)
        block_ids = ids[start:end]
        block_weights = weights[start:end]
        gaps = tuple(map(sub, block_ids, (0, *block_ids[:-1])))
        first = block_weights[0]
        if block_weights.count(1.0) == end - start:
            mini_weights: Any = None
        elif block_weights.count(first) == end - start:
            mini_weights = first
        else:
            mini_weights = tuple(block_weights)
        block_values = values[start:end]
        if fixedsize is None or fixedsize < 0:
            mini_values: Any = tuple(filter(None, block_values))  # Whoosh keeps no empty value
        elif fixedsize == 0:
            mini_values = None
        else:
            mini_values = b"".join(block_values)
        databytes = pickle.dumps((gaps, mini_weights, mini_values), pickle.HIGHEST_PROTOCOL)
        if level:
            databytes = zlib.compress(databytes, level)
        infobytes = pickle.dumps((end - start, block_ids[-1], max(block_weights), level, 0, 0), 2)
        size = len(infobytes) + len(databytes)
        postfile.write_int(-size if end == count else size)
        postfile.write(infobytes)
        postfile.write(databytes)


def _grouped(postings: Iterator[Posting]) -> Iterator[tuple[str, bytes, list[int], list[float], list[bytes]]]:
    """Postings in term order, one tuple per term."""
    for (fieldname, text), group in groupby(postings, key=itemgetter(0, 1)):
        rows = list(group)
        yield fieldname, text, [r[2] for r in rows], [r[3] for r in rows], [r[4] for r in rows]


class _CompactTermsReader(W3TermsReader):  # type: ignore[misc]
    """Whoosh's terms reader, decoding ``CompactTermInfo`` entries."""

    def items(self) -> Iterator[tuple[tuple[str, bytes], CompactTermInfo]]:
        decode, keydecoder = CompactTermInfo.from_bytes, self._keydecoder
        return ((keydecoder(key), decode(value)) for key, value in self._tindex.items())

    def items_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[tuple[str, bytes], CompactTermInfo]]:
        decode, keydecoder = CompactTermInfo.from_bytes, self._keydecoder
        return ((keydecoder(key), decode(value))
                for key, value in self._tindex.items_from(self._keycoder(fieldname, prefix)))

    def term_info(self, fieldname: str, tbytes: bytes) -> CompactTermInfo:
        try:
            return CompactTermInfo.from_bytes(self._tindex[self._keycoder(fieldname, tbytes)])
        except KeyError:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}") from None

    # As Whoosh's: a missing term raises KeyError here, which the segment reader turns into 0.
    def frequency(self, fieldname: str, tbytes: bytes) -> float:
        return CompactTermInfo.from_bytes(self._tindex[self._keycoder(fieldname, tbytes)]).weight()  # type: ignore[no-any-return]

    def doc_frequency(self, fieldname: str, tbytes: bytes) -> int:
        return CompactTermInfo.doc_frequency_of(self._tindex[self._keycoder(fieldname, tbytes)])

    def cursor(self, fieldname: str, fieldobj: Any) -> Any:
        return _CompactFieldCursor(self._tindex, fieldname, self._keycoder, self._keydecoder, fieldobj)


class _CompactFieldCursor(W3FieldCursor):  # type: ignore[misc]
    def term_info(self) -> CompactTermInfo | None:
        if self._pos is None:
            return None
        return CompactTermInfo.from_bytes(self._tindex.dbfile.get(self._datapos, self._datalen))


class CompactCodec(InliningCodec):  # type: ignore[misc]
    """``InliningCodec`` with compact term table entries (``CompactTermInfo``) and postings written a
    term at a time. Segments written before by ``InliningCodec`` keep being read as they are."""

    __module__ = "records.search.whoosh_index"

    def field_writer(self, storage: Any, segment: Any) -> W3FieldWriter:
        return _CompactFieldWriter(self, storage, segment)

    def terms_reader(self, storage: Any, segment: Any) -> W3TermsReader:
        filename = segment.make_filename(self.TERMS_EXT)
        return _CompactTermsReader(self, storage.open_file(filename), storage.file_length(filename),
                                   segment.open_file(storage, self.POSTS_EXT))


class DocumentWriter(SegmentWriter):  # type: ignore[misc]
    """Whoosh's segment writer, taking each field's postings of a document in one piece.

    ``add_document`` is Whoosh's (``SegmentWriter.add_document``, copied), except that a field with a
    ``document_postings`` method that returns postings for the value (``AnalyzedText`` with a document's
    words) hands them to the ``PostingBuffer`` as three lists, instead of one generator step, tuple and
    call per posting. Other fields, and stored values, lengths and columns, go Whoosh's way.
    """

    def add_document(self, **fields: Any) -> None:
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        pool = self.pool
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    fieldboost = self._field_boost(fields, fieldname, docboost)
                    whole = getattr(field, "document_postings", None)
                    postings = whole(value) if whole is not None else None
                    if postings is not None:
                        texts, frequencies, weights, values = postings
                        if fieldboost != 1.0:
                            weights = [weight * fieldboost for weight in weights]
                        pool.add_document(fieldname, docnum, texts, weights, values)
                        if field.scorable:
                            length = sum(frequencies)
                    else:
                        scorable = field.scorable
                        for tbytes, freq, weight, vbytes in field.index(value):
                            if scorable:
                                length += freq
                            pool.add((fieldname, tbytes, docnum, weight * fieldboost, vbytes))
                stored = fields.get(f"_stored_{fieldname}", value)
                perdocwriter.add_field(fieldname, field, stored if field.stored else None, length)
                column = field.column_type
                if column and stored is not None:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(stored))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1


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
        self._streams: list[Iterator[TermPostings]] = []
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

    def add_document(self, fieldname: str, docnum: int, texts: list[bytes], weights: list[float],
                     values: list[bytes]) -> None:
        """One document's postings of one field: a term each, in any order."""
        terms = self._terms.get(fieldname)
        if terms is None:
            terms = self._terms[fieldname] = {}
        get = terms.get
        for text, weight, value in zip(texts, weights, values):
            found = get(text)
            if found is None:
                terms[text] = [docnum, weight, value]
            else:
                found += (docnum, weight, value)

    def add_segment(self, reader: SegmentReader, postings: Iterator[TermPostings]) -> None:
        self._readers.append(reader)
        self._streams.append(postings)

    def iter_postings(self) -> _Postings:
        return _Postings(self)

    @property
    def merging(self) -> bool:
        """Whether segments are merged into the new one (else it holds the writer's own documents alone)."""
        return bool(self._streams)

    def flat_terms(self) -> Iterator[tuple[str, bytes, list[Any]]]:
        """The writer's own terms in term order, each with its flat postings list (document, weight,
        value, document, ...), each list handed out once and then freed."""
        for fieldname in sorted(self._terms):
            terms = self._terms.pop(fieldname)
            for text in sorted(terms):
                yield fieldname, text, terms.pop(text)

    def _own_terms(self) -> Iterator[TermPostings]:
        for fieldname, text, flat in self.flat_terms():
            yield fieldname, text, flat[0::3], flat[1::3], flat[2::3]

    def terms(self) -> Iterator[TermPostings]:
        """Every term's postings, in term order: the writer's own documents' and the merged segments'."""
        if not self._streams:
            yield from self._own_terms()
            return
        # Each source lists a term once; the sources' document numbers do not overlap (the writer's own
        # documents come first, each merged segment's after the one before), so a term's lists are
        # joined in the order of their first document.
        sources = [self._own_terms(), *self._streams]
        current: TermPostings | None = None
        for term in merge(*sources, key=lambda t: (t[0], t[1], t[2][0])):
            if current is not None and current[:2] == term[:2]:
                current[2].extend(term[2])
                current[3].extend(term[3])
                current[4].extend(term[4])
                continue
            if current is not None:
                yield current
            current = (term[0], term[1], list(term[2]), list(term[3]), list(term[4]))
        if current is not None:
            yield current

    def postings(self) -> Iterator[Posting]:
        """The same postings one by one, as Whoosh's pool hands them out."""
        for fieldname, text, ids, weights, values in self.terms():
            for docnum, weight, value in zip(ids, weights, values):
                yield fieldname, text, docnum, weight, value

    def cleanup(self) -> None:
        for reader in self._readers:
            reader.close()
        self._readers.clear()
        self._streams.clear()
        self._terms.clear()


class _Postings:
    """What ``PostingBuffer.iter_postings`` hands the field writer: postings one by one for Whoosh's
    writer, a term at a time for ``_CompactFieldWriter``."""

    def __init__(self, buffer: PostingBuffer) -> None:
        self.buffer = buffer

    def __iter__(self) -> Iterator[Posting]:
        return self.buffer.postings()

    def terms(self) -> Iterator[TermPostings]:
        return self.buffer.terms()


def merge_segment_into(writer: SegmentWriter, segment: Any) -> None:
    """``SegmentWriter.add_reader`` without copying the postings into memory (needs a ``PostingBuffer``)."""
    reader = SegmentReader(writer.storage, writer.schema, segment)
    start = writer.docnum
    fieldnames = set(writer.schema.names()) | {name for name in reader.indexed_field_names() if name in writer.schema}
    docmap = writer.write_per_doc(fieldnames, reader)
    writer.pool.add_segment(reader, segment_postings(reader, writer.schema, start, docmap))
    writer._added = True


def segment_postings(reader: SegmentReader, schema: Schema, start: int,
                     docmap: dict[int, int] | None) -> Iterator[TermPostings]:
    """A segment's postings a term at a time, in term order, renumbered for the segment being written,
    deleted ones left out (a term left with none is skipped).

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
        ids: list[int] = []
        weights: list[float] = []
        values: list[bytes] = []
        for block_ids, block_weights, block_values in blocks:
            # A postings list of a field without values keeps none at all (an empty tuple).
            for docnum, weight, value in zip(block_ids, block_weights, block_values or repeat(b"")):
                if deleted and docnum in deleted:
                    continue
                ids.append(start + docnum if docmap is None else docmap[docnum])
                weights.append(weight)
                values.append(value or b"")
        if ids:
            yield fieldname, text, ids, weights, values


# -- segments built in other processes ------------------------------------------------------------------


def unlocked_segment_writer(ix: Any, codec: Any) -> SegmentWriter:
    """A writer of one new segment of ``ix`` that takes no lock: it is finished by ``finish_segment``
    and never writes ``ix``'s table of contents (``SegmentWriter(_lk=False)``, as Whoosh's own
    multi-process writer uses it). ``commit_with_segments`` then lists the segment in another index."""
    return DocumentWriter(ix, _lk=False, codec=codec, compound=False)


def finish_segment(writer: SegmentWriter) -> Any:
    """Write the segment's files (``_finalize_segment``) and drop the writer's temporary files (``_finish``)."""
    segment = writer._finalize_segment()
    writer._finish()
    return segment


def commit_with_segments(writer: SegmentWriter, mergetype: Any, segments: list[Any],
                         before_toc: Any) -> None:
    """``SegmentWriter.commit`` that also lists ``segments`` (finished by ``finish_segment``) in the new
    table of contents; ``before_toc`` runs first, to move their files into the index's folder.

    The merge policy sees the index's segments only, as in a stock commit (``_merge_segments``);
    what the writer itself holds (merged segments) becomes one more segment (``_finalize_segment``);
    ``_commit_toc`` writes the table of contents and deletes files no segment lists any more.
    """
    final = writer._merge_segments(mergetype, False, True)
    if writer._added:
        final.append(writer._finalize_segment())
    else:
        writer._close_segment()
    before_toc()
    writer._commit_toc(final + list(segments))
    writer._finish()


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


class TermRun(dict[bytes, bytes]):
    """A run of term table entries (``prefix_terms``): term bytes -> the entry, undecoded, and how the
    segment's codec decodes an entry."""

    def __init__(self, compact: bool) -> None:
        super().__init__()
        self.compact = compact

    def info(self, entry: bytes) -> W3TermInfo:
        return CompactTermInfo.from_bytes(entry) if self.compact else W3TermInfo.from_bytes(entry)

    def doc_frequency(self, entry: bytes) -> int:
        return CompactTermInfo.doc_frequency_of(entry) if self.compact else _DOC_FREQ.unpack_from(entry, _DOC_FREQ_AT)[0]


def prefix_terms(reader: Any, fieldname: str, prefix: str) -> TermRun | None:
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
    found = TermRun(isinstance(terms, _CompactTermsReader))
    if start is None:
        return found
    # The first key past the prefix's run; UTF-8 never holds a 0xff byte, so the last byte can grow.
    stop = tindex.closest_key_pos(key[:-1] + bytes([key[-1] + 1])) if key[-1] < 0xFF else None
    data = tindex.dbfile.get(start, (tindex.endofdata if stop is None else stop) - start)
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


def run_frequencies(run: TermRun) -> dict[bytes, int]:
    """The document frequency of every term of a term table run (``prefix_terms``)."""
    doc_frequency = run.doc_frequency
    return {text: doc_frequency(entry) for text, entry in run.items()}


def term_info_from_entry(run: TermRun, entry: bytes) -> W3TermInfo:
    """The term info of one term table entry of a run (``prefix_terms``)."""
    return run.info(entry)


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
