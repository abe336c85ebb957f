"""A long stream of documents (a rebuild) written into the Whoosh index on every core.

Analysing a document and writing its postings is Python work, one core per process. A rebuild
therefore hands its documents, a segment's worth at a time (``SEGMENT_DOCS`` documents or
``SEGMENT_CHARS`` characters), to a pool of processes. Each writes a complete segment into a folder
of its own, outside the index, taking no lock. The calling process then takes the index's write lock
for a moment per segment, in the stream's order: it deletes the segment's documents from the index
(an older version, or a copy a sync added meanwhile), runs the merge policy, moves the segment's files
into the index's folder and writes the new table of contents. Until then the segment is invisible;
if anything fails, what was listed stays a valid index and the work folders are removed (or, after a
crash, by the next rebuild).

Only a few segments are in flight at once (one per process and one waiting), so memory stays bounded
however long the stream: each process holds one segment's postings (about 600 MB for 2,000 documents
of 20 KB), and the calling process keeps only the ids of the segments in flight.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex

from records.search.base import IndexDoc
from records.search.whoosh_internals import (
    PostingBuffer,
    commit_with_segments,
    finish_segment,
    unlocked_segment_writer,
)
from records.search.whoosh_schema import REBUILD_TERM_CACHE, build_schema, document_fields, set_term_cache
from records.search.whoosh_writing import BATCH_SIZE, acquire_writer, new_codec, tiered_merge

__all__ = ["BUILD_LOCK_TIMEOUT", "WORK_PREFIX", "build", "default_processes", "even_segments", "segment_chunks"]


WORK_PREFIX = ".building-"  # work folders inside the index's folder; Whoosh's file cleaning skips dot names
# A rebuild waits longer than a sync for the write lock: a sync writing a large batch may hold it a while.
BUILD_LOCK_TIMEOUT = 300.0


def default_processes() -> int:
    """One process per core available to this one."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def even_segments(expected: int | None, max_docs: int, processes: int) -> int:
    """Documents per segment for a stream of about ``expected`` documents: at most ``max_docs``, in a
    number of segments that is a multiple of ``processes``, so they are written in full rounds (five
    segments of 2,000 on two processes took three rounds, the last with one process idle; six of
    1,667 take three full ones)."""
    if not expected or expected <= max_docs:
        return max_docs
    segments = -(-expected // max_docs)
    segments = -(-segments // processes) * processes
    return -(-expected // segments)


def segment_chunks(docs: Iterable[IndexDoc], max_docs: int, max_chars: int,
                   batch: int = BATCH_SIZE) -> Iterator[list[IndexDoc]]:
    """The stream cut into segments of at most ``max_docs`` documents or ``max_chars`` characters of text.

    An id repeated within a segment keeps its last version; a segment ends where the next document's
    id is already in it from an earlier batch, so the later version goes to a later segment (which
    replaces the earlier one when it is listed).
    """
    iterator = iter(docs)
    chunk: dict[int, IndexDoc] = {}
    chars = 0
    while read := list(islice(iterator, min(batch, max_docs - len(chunk)) or batch)):  # full up to max_docs
        latest = {doc.id: doc for doc in read}
        if chunk and (not chunk.keys().isdisjoint(latest) or len(chunk) >= max_docs or chars >= max_chars):
            yield list(chunk.values())
            chunk, chars = {}, 0
        chunk.update(latest)
        chars += sum(len(doc.text) for doc in latest.values())
    if chunk:
        yield list(chunk.values())


# -- in each building process -----------------------------------------------------------------------------

_staging: FileIndex | None = None


def _start_worker(folder: str, indexname: str) -> None:
    global _staging
    path = Path(folder) / f"p{os.getpid()}"
    path.mkdir(parents=True, exist_ok=True)
    # An empty index of the same schema: its writers number documents from 0 and know the fields.
    _staging = FileStorage(str(path)).create_index(build_schema(), indexname=indexname)
    set_term_cache(REBUILD_TERM_CACHE)  # this process lives for the rebuild
    try:
        os.nice(5)  # the web pages of this machine come first
    except OSError:
        pass


def _write_segment(docs: list[IndexDoc]) -> tuple[Any, str, list[str]]:
    """Write ``docs`` as one new segment in this process's folder: (the segment, the folder, its files)."""
    assert _staging is not None
    # A segment's postings are a few million lists and tuples that live until it is written: the cycle
    # collector would walk them again and again as they grow (a sixth of the time). None of them forms
    # a cycle, so it is paused while the segment is written, and what cycles there are go afterwards
    # (one full collection: walking only the youngest generation was measured no quicker).
    gc.disable()
    writer = unlocked_segment_writer(_staging, new_codec())
    buffer = PostingBuffer.install(writer)
    try:
        for doc in docs:
            writer.add_document(**document_fields(doc))
        segment = finish_segment(writer)
    except BaseException:
        writer.cancel()
        raise
    finally:
        buffer.cleanup()
        gc.enable()
        gc.collect()
    folder = _staging.storage.folder
    prefix = segment.segment_id() + "."
    return segment, folder, sorted(name for name in os.listdir(folder) if name.startswith(prefix))


# -- in the calling process -------------------------------------------------------------------------------


def _remove_abandoned(index_path: Path) -> None:
    """Work folders left by a rebuild whose process is gone (killed mid-way)."""
    for folder in index_path.glob(WORK_PREFIX + "*"):
        pid = folder.name[len(WORK_PREFIX):]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _delete_earlier(writer: Any, ids: list[int], known: dict[str, dict[str, int]]) -> None:
    """Mark ``ids`` deleted wherever the index holds them: an earlier version, or a copy a sync added.

    Each segment's ids are read once from its ``id`` column and kept in ``known`` for the rest of the
    rebuild (a segment never changes), instead of a term lookup per id and segment at every listing.
    """
    wanted = {str(doc_id) for doc_id in ids}
    with writer.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            segment = leaf.segment()
            if segment is None:  # an empty index reads as one empty leaf
                continue
            found = known.get(segment.segment_id())
            if found is None:
                column = leaf.column_reader("id")
                found = known[segment.segment_id()] = {column[n]: n for n in range(leaf.doc_count_all())}
            for doc_id in wanted & found.keys():
                segment.delete_document(found[doc_id])


def _list_segment(ix: FileIndex, index_path: Path, ids: list[int], result: tuple[Any, str, list[str]],
                  known: dict[str, dict[str, int]]) -> None:
    segment, folder, files = result
    writer, postings = acquire_writer(ix, BUILD_LOCK_TIMEOUT)

    def move_files() -> None:
        for name in files:
            os.replace(os.path.join(folder, name), index_path / name)

    try:
        _delete_earlier(writer, ids, known)
        commit_with_segments(writer, tiered_merge, [segment], move_files)
    except BaseException:
        if not writer.is_closed:
            writer.cancel()
        raise
    finally:
        postings.cleanup()


def build(ix: FileIndex, index_path: Path, chunks: Iterable[list[IndexDoc]], processes: int) -> None:
    """Write ``chunks`` (``segment_chunks``) into ``ix`` (at ``index_path``) as one segment each, on
    ``processes`` processes, replacing earlier versions of their documents."""
    _remove_abandoned(index_path)
    work = index_path / f"{WORK_PREFIX}{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    # Started afresh rather than forked: the calling process holds database connections and threads.
    context = multiprocessing.get_context("spawn")
    try:
        with context.Pool(processes, initializer=_start_worker, initargs=(str(work), ix.indexname)) as pool:
            pending: deque[tuple[list[int], Any]] = deque()
            known: dict[str, dict[str, int]] = {}  # segment -> its documents' ids -> numbers
            for chunk in chunks:
                # Only the ids stay here: the documents' text is the building process's to hold.
                pending.append(([doc.id for doc in chunk], pool.apply_async(_write_segment, (chunk,))))
                del chunk
                # Listed in the stream's order, so a later version of a document replaces an earlier one.
                while len(pending) > processes:
                    ids, result = pending.popleft()
                    _list_segment(ix, index_path, ids, result.get(), known)
            while pending:
                ids, result = pending.popleft()
                _list_segment(ix, index_path, ids, result.get(), known)
    finally:
        shutil.rmtree(work, ignore_errors=True)
