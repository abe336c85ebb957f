"""The Whoosh search index: the default backend, for a single application server.

Everything Whoosh-specific lives here: the schema (``build_schema``), one index
object per folder and process (``open_whoosh_index``), a searcher reused until
the index changes, a writer that waits briefly for another process's lock
and never hides an error, and the translation of the query tree
(``records.search.query``) into Whoosh queries.

Only what a result page needs is stored: title, index, year, type, date and
the first ``SNIPPET_SOURCE_CHARS`` characters of the text for snippets.
"""
from __future__ import annotations

import threading
import time
import unicodedata
import heapq
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh import sorting
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import DATETIME, ID, NUMERIC, STORED, TEXT, Schema
from whoosh.index import FileIndex
from whoosh.reading import IndexReader, SegmentReader
from whoosh.searching import Searcher
from whoosh.system import pack_uint
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
from records.search.base import FACETS, FILTERS, Hit, IndexDoc, SearchResult, Sort
from records.search.highlight import Highlighter, snippet
from records.search.query import (
    And,
    DateRange,
    FieldTerm,
    MatchAll,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    Word,
    parse_query,
)

__all__ = [
    "BATCH_SIZE",
    "LOCK_TIMEOUT",
    "PREFIX_EXPANSION_LIMIT",
    "SNIPPET_SOURCE_CHARS",
    "WhooshIndex",
    "build_schema",
    "open_whoosh_index",
    "to_whoosh",
]

SNIPPET_SOURCE_CHARS = 4000
PREFIX_EXPANSION_LIMIT = 200
BATCH_SIZE = 500
LOCK_TIMEOUT = 10.0
MAX_RESULT_WINDOW = 10_000  # deepest hit a page may reach; deeper paging is no use to anyone
TITLE_BOOST = 2.0

_FILTER_FIELDS = {"year": "year", "index": "case_index", "type": "doc_type", "lang": "language"}
_FACET_FIELDS = {"year": "year", "index": "case_index", "type": "doc_type"}
_TERM_FIELDS = {"index": "case_index", "year": "year", "type": "doc_type", "number": "number", "lang": "language"}


class DocumentWords:
    """The folded words of one document, split once and handed to every field that indexes them."""

    __slots__ = ("counts", "words")

    def __init__(self, text: str) -> None:
        self.words = folded_words(text)
        self.counts = Counter(self.words)


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


def build_schema() -> Schema:
    """The one Whoosh schema; a change here needs a reindex."""
    stemmed = stemming_analyzer()
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        title=TEXT(analyzer=stemmed, stored=True, phrase=False),
        # title + text + counterparty + number + index + file names, stemmed:
        content=AnalyzedText(analyzer=stemmed, phrase=False),
        # the same words unstemmed, with positions, for phrases and prefixes:
        exact=AnalyzedText(analyzer=exact_analyzer(), phrase=True),
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
    # Bounded like Elasticsearch's max_expansions: a two-letter prefix must not
    # become a query over thousands of terms.
    terms = [term.decode("utf-8") for term in islice(reader.expand_prefix("exact", prefix), PREFIX_EXPANSION_LIMIT)]
    if not terms:
        return wq.NullQuery
    return wq.Or([wq.Term("exact", term) for term in terms])


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
    if set(ix.schema.names()) != set(build_schema().names()):
        raise RuntimeError(f"search index at {path} has an older layout; rebuild it with the reindex command")
    return ix


class WhooshIndex:
    """A Whoosh index in one folder; use ``open_whoosh_index`` to share one per process."""

    def __init__(self, path: str | Path, *, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self._ix = _open_or_create(self.path)
        # Whoosh does not promise thread safety for a searcher; reads here are
        # short, so threads take turns on one shared, refreshed searcher.
        self._lock = threading.RLock()
        self._searcher: Searcher | None = None

    # -- writing -------------------------------------------------------------

    def _acquire_writer(self) -> IndexWriter:
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.02
        while True:
            try:
                return self._ix.writer()
            except LockError:
                # Another process (or thread) is writing; wait briefly, then give up loudly.
                if time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    @contextmanager
    def _writing(self, **commit_args: Any) -> Iterator[IndexWriter]:
        writer = self._acquire_writer()
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise
        writer.commit(**commit_args)

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
        current = self._searcher
        if current is not None and current.up_to_date():
            return current
        if current is not None:
            current.close()
            self._searcher = None
        self._searcher = self._ix.searcher()
        return self._searcher

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
        facets = {name: sorting.FieldFacet(_FACET_FIELDS[name]) for name in FACETS}
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
            results = searcher.search(
                whole, limit=max(limit, 1), sortedby=sortedby, groupedby=facets, maptype=sorting.Count, terms=False
            )
            hits = [self._hit(hit, highlighter) for hit in results[offset:limit]] if offset < limit else []
            return SearchResult(
                total=len(results),
                hits=hits,
                facets={name: _facet_counts(results.groups(name)) for name in FACETS},
            )

    @staticmethod
    def _hit(hit: Any, highlighter: Highlighter | None) -> Hit:
        stored = hit.fields()
        when = stored.get("doc_date")
        return Hit(
            id=int(stored["id"]),
            # Sorted by date, Whoosh gives the sort key instead of a score.
            score=float(hit.score) if isinstance(hit.score, int | float) else 0.0,
            title=stored["title"],
            case_index=stored["case_index"],
            year=int(stored["year"]),
            doc_type=stored["doc_type"],
            doc_date=when.date() if isinstance(when, datetime) else None,
            snippet=snippet(stored.get("excerpt", ""), highlighter) if highlighter is not None else "",
        )

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None


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
