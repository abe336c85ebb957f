"""Writing the Whoosh index: a writer that waits briefly for another's lock, and the merge policy.

Postings are grouped by term in memory instead of Whoosh's sort-and-spill pool and written a term at
a time; short postings lists live in the term table in a compact encoding, blocks are pickled with the
current protocol (``CompactCodec`` and ``PostingBuffer`` in ``records.search.whoosh_internals``), and segments merge by size level
(``tiered_merge``), streaming the merged postings rather than re-sorting them.
"""
from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from whoosh.index import FileIndex
from whoosh.writing import IndexWriter, LockError, SegmentWriter

from records.search.whoosh_internals import CompactCodec, DocumentWriter, PostingBuffer, merge_segment_into

__all__ = ["BATCH_SIZE", "INLINE_POSTINGS", "LOCK_TIMEOUT", "MAX_MERGE_DOCS", "MERGE_FACTOR", "acquire_writer",
           "new_codec", "tiered_merge", "writing"]

BATCH_SIZE = 500
INLINE_POSTINGS = 8  # a term in at most this many documents of a segment keeps its postings in the term table
MERGE_FACTOR = 10
MAX_MERGE_DOCS = 50_000  # a larger merge would hold the write lock for minutes
LOCK_TIMEOUT = 10.0


def _segment_level(doc_count: int) -> int:
    return int(math.log(max(doc_count, 1), MERGE_FACTOR))


def tiered_merge(writer: SegmentWriter, segments: list[Any]) -> list[Any]:
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
        merge_segment_into(writer, segment)
    return [segment for segment in segments if segment not in chosen]


def new_codec() -> CompactCodec:
    """The codec every new segment is written with."""
    return CompactCodec(inline_below=INLINE_POSTINGS + 1)


def acquire_writer(ix: FileIndex, lock_timeout: float) -> tuple[IndexWriter, PostingBuffer]:
    """The index's writer, with a ``PostingBuffer`` as its pool, once the write lock is free (at most
    ``lock_timeout`` seconds of waiting, then ``LockError``)."""
    deadline = time.monotonic() + lock_timeout
    delay = 0.02
    while True:
        try:
            # Separate segment files, not one compound file: Whoosh memory-maps compound files, so
            # a merge read every page of the merged segments into the process's resident memory,
            # and assembling one copied the whole segment once more.
            writer = DocumentWriter(ix, codec=new_codec(), compound=False)
        except LockError:
            # Another process (or thread) is writing; wait briefly, then give up loudly.
            if time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
            continue
        return writer, PostingBuffer.install(writer)


@contextmanager
def writing(ix: FileIndex, lock_timeout: float, **commit_args: Any) -> Iterator[IndexWriter]:
    """A writer committed when the block ends (merging by ``tiered_merge`` unless told otherwise),
    cancelled when it raises."""
    writer, postings = acquire_writer(ix, lock_timeout)
    try:
        yield writer
    except BaseException:
        writer.cancel()
        raise
    try:
        writer.commit(**(commit_args or {"mergetype": tiered_merge}))
    finally:
        postings.cleanup()
