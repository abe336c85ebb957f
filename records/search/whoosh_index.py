"""The Whoosh search index: the default backend, for a single application server.

One index object per folder and process (``open_whoosh_index``), a searcher reused until the index
changes, a writer that waits briefly for another process's lock and never hides an error. The rest
of the backend, by subject:

- ``whoosh_schema``: the fields, and how a document becomes their values;
- ``whoosh_query``: the query tree (``records.search.query``) as Whoosh queries;
- ``whoosh_writing``: the writer, the codec and the merge policy;
- ``whoosh_search``: running a search (page, total, facets), with array matching and scoring from
  ``whoosh_fast`` and ``whoosh_scoring``;
- ``whoosh_internals``: everything that uses Whoosh's private API, listed and explained there.

Only what a result page needs is stored: title, index, year, type, date and the first
``SNIPPET_SOURCE_CHARS`` characters of the text for snippets. An index written with another layout
is replaced and refilled from the catalogue (``recreate_whoosh_index``, called by
``records.search.indexing``).

A prefix (``келиш*``) matches the ``PREFIX_EXPANSION_LIMIT`` (50) words of the index that start so
and occur in the most documents, all with one constant score: a document found only through a rarer
word of that prefix is neither shown nor counted. Prefix hits tie with each other, so among them the
order is the index's document order (sorting by date orders them by date, then so).
"""
from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from itertools import chain, islice
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex
from whoosh.searching import Searcher
from whoosh.writing import CLEAR, LockError

from records.search.base import IndexDoc, IndexLayoutChanged, SearchResult, Sort
from records.search.query import parse_query
from records.search.whoosh_build import build, even_segments, segment_chunks
from records.search.whoosh_internals import CompactCodec, InliningCodec, MappedStorage
from records.search.whoosh_query import PREFIX_EXPANSION_LIMIT, filters_query, to_whoosh
from records.search.whoosh_schema import (
    SNIPPET_SOURCE_CHARS,
    AnalyzedText,
    PackedPositions,
    build_schema,
    document_fields,
    rebuild_term_cache,
    same_layout,
)
from records.search.whoosh_search import SegmentColumns, Window, run_search
from records.search.whoosh_writing import BATCH_SIZE, LOCK_TIMEOUT, MERGE_FACTOR, writing

# Most one commit writes (``add``): memory grows with the text held in the writer's postings until the
# commit, and every segment repeats the common words in its own term table.
SEGMENT_DOCS = 2000
SEGMENT_CHARS = 40_000_000

# Classes every index's table of contents names in this module (pickled schema and segment codec):
# they stay importable from here, or no index written before would open.
PICKLED_CLASSES = (AnalyzedText, PackedPositions, InliningCodec, CompactCodec)

__all__ = [
    "BATCH_SIZE",
    "LOCK_TIMEOUT",
    "MERGE_FACTOR",
    "PICKLED_CLASSES",
    "PREFIX_EXPANSION_LIMIT",
    "SEGMENT_CHARS",
    "SEGMENT_DOCS",
    "SNIPPET_SOURCE_CHARS",
    "WhooshIndex",
    "build_schema",
    "open_whoosh_index",
    "recreate_whoosh_index",
    "to_whoosh",
]


def _open_or_create(path: Path) -> FileIndex:
    path.mkdir(parents=True, exist_ok=True)
    if whoosh_index.exists_in(str(path)):
        ix = whoosh_index.open_dir(str(path))
    else:
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
    if not same_layout(ix.schema, build_schema()):
        raise IndexLayoutChanged(path)
    return ix


def recreate_whoosh_index(path: str | Path) -> WhooshIndex:
    """Replace whatever index is at ``path`` with an empty one of the current layout (under the write lock,
    so no writer of the old layout is midway) and return the process's index object for it."""
    key = Path(path).resolve()
    key.mkdir(parents=True, exist_ok=True)
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
        self._reading = FileIndex(MappedStorage(str(self.path)), schema=self._ix.schema,
                                  indexname=self._ix.indexname)
        # Whoosh does not promise thread safety for a searcher; reads here are
        # short, so threads take turns on one shared, refreshed searcher.
        self._lock = threading.RLock()
        self._held = _HeldSearcher()
        # Segment files are open files and maps: an index object dropped without ``close`` still closes them.
        weakref.finalize(self, self._held.close)
        self._columns = SegmentColumns()

    # -- writing -------------------------------------------------------------

    def add(self, docs: Iterable[IndexDoc], *, processes: int = 1, expected: int | None = None) -> None:
        """Insert or replace ``docs``, one commit (one new segment) per ``SEGMENT_DOCS`` documents or
        ``SEGMENT_CHARS`` characters of text, whichever comes first.

        A long stream (a rebuild) thus becomes a few large segments: every segment writes its own term
        table, so small ones repeat the common words again and again, and are merged (written again) soon.
        With ``processes`` above 1 the segments are written by that many processes at once
        (``records.search.whoosh_build``), in segments evened out so that, for a stream of about
        ``expected`` documents, no process is left writing the last one alone.
        """
        if processes > 1:
            # Each process holds one segment's postings (smaller segments would save memory, but repeat the
            # common words in more term tables and leave more to merge: 2.00x the text instead of 1.74x at
            # 10,000 documents with half-size segments).
            chunks = segment_chunks(docs, even_segments(expected, SEGMENT_DOCS, processes), SEGMENT_CHARS, BATCH_SIZE)
            first = list(islice(chunks, 2))
            if len(first) > 1:
                build(self._ix, self.path, chain(first, chunks), processes)
                return
            docs = first[0] if first else []  # one segment: not worth starting processes
        iterator = iter(docs)
        batch = list(islice(iterator, BATCH_SIZE))
        with ExitStack() as stack:
            rebuilding = False
            while batch:
                batch = self._write_segment(batch, iterator)
                if batch and not rebuilding:  # longer than a segment: a rebuild
                    stack.enter_context(rebuild_term_cache())
                    rebuilding = True

    def _write_segment(self, batch: list[IndexDoc], iterator: Iterator[IndexDoc]) -> list[IndexDoc]:
        """Commit ``batch`` and what follows from ``iterator`` as one segment, up to its bounds; returns
        the batch that did not fit."""
        with writing(self._ix, self.lock_timeout) as writer:
            written: set[int] = set()
            chars = 0
            while batch and len(written) < SEGMENT_DOCS and chars < SEGMENT_CHARS:
                # The last version of a repeated id wins: a writer cannot replace a
                # document it added itself before committing, so the next writer does.
                latest = {doc.id: doc for doc in batch}
                if not written.isdisjoint(latest):
                    break
                for doc in latest.values():
                    writer.update_document(**document_fields(doc))
                    chars += len(doc.text)
                written.update(latest)
                batch = list(islice(iterator, BATCH_SIZE))
        return batch

    def delete(self, ids: Iterable[int]) -> None:
        wanted = [str(doc_id) for doc_id in ids]
        if not wanted:
            return
        with writing(self._ix, self.lock_timeout) as writer:
            for doc_id in wanted:
                writer.delete_by_term("id", doc_id)

    def clear(self) -> None:
        with writing(self._ix, self.lock_timeout, mergetype=CLEAR):
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
        window = Window.of(node, page, per_page, sort, snippets)
        with self._lock:
            searcher = self._fresh_searcher()
            main = to_whoosh(node, searcher.reader())
            extra = filters_query(filters or {})
            return run_search(searcher, wq.And([main, *extra]) if extra else main, window, self._columns)

    def close(self) -> None:
        with self._lock:
            self._held.close()


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
