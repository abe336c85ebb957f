"""The search index interface the rest of the application talks to.

The application feeds plain ``IndexDoc`` records (it owns the database; the
index never reads it) and gets ``SearchResult`` back. Backends are chosen here, and only here, by a
URL-like string: ``whoosh:///abs/dir`` is the default, single-server one; ``postgres-fts:`` keeps the
index in the application's PostgreSQL database, for several servers.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["FACETS", "FILTERS", "MAX_RESULT_WINDOW", "SNIPPET_SOURCE_CHARS", "Hit", "IndexDoc", "SearchIndex",
           "SearchResult", "Sort", "open_index"]

Sort = Literal["relevance", "date"]
FACETS = ("year", "index", "type")
FILTERS = ("year", "index", "type", "lang")
# Snippets are cut from the first this many characters of a document's text, which every backend keeps.
SNIPPET_SOURCE_CHARS = 4000
# The deepest hit a page may reach; deeper paging is no use to anyone.
MAX_RESULT_WINDOW = 10_000


@dataclass
class IndexDoc:
    """What the index needs to know about one document."""

    id: int
    title: str
    text: str
    case_index: str
    year: int
    doc_type: str
    doc_date: date | None
    number: str | None
    counterparty: str | None
    language: str | None
    filenames: list[str] = field(default_factory=list)
    version: int | None = None


@dataclass
class Hit:
    """One result; ``snippet`` is HTML-safe (escaped text, ``<mark>`` around matches)."""

    id: int
    score: float
    title: str
    case_index: str
    year: int
    doc_type: str
    doc_date: date | None
    snippet: str


@dataclass
class SearchResult:
    """One page of hits, the total, and facet counts over the whole result set."""

    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]


class SearchIndex(Protocol):
    def add(self, docs: Iterable[IndexDoc], *, processes: int = 1, expected: int | None = None) -> None:
        """Insert or replace documents by id; a backend may use up to ``processes`` processes for a
        long stream (a rebuild), which holds about ``expected`` documents when the caller knows."""

    def delete(self, ids: Iterable[int]) -> None:
        """Remove documents; unknown ids are ignored."""

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
        """Run a one-box query (see ``records.search.query``); raises ``QueryError``."""

    def ids(self) -> set[int]:
        """Every document id in the index, to compare with the database."""

    def clear(self) -> None:
        """Remove every document."""

    def doc_count(self) -> int:
        """How many documents the index holds."""


# Version of the analysis of indexed text (tokens, stems). An index built with another is refilled
# from the catalogue in the background (``records/capture/retext.py``): bump it when the analysis changes.
# 2: the Kyrgyz stemmer follows harmony, assimilation and voicing and cuts to stems of its lexicon;
#    Kyrgyz words get no Russian stem.
ANALYSIS_VERSION = 2


class IndexLayoutChanged(Exception):
    """The index at ``path`` was written with another layout; it must be rebuilt from the catalogue."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"the search index at {path} was written with an older layout and must be rebuilt")
        self.path = path


def open_index(url: str, app: Flask | None = None) -> SearchIndex:
    """Open (creating if missing) the index a configuration URL names. ``postgres-fts:`` lives in the
    database of ``app``. Each backend is imported only when chosen, so a deployment never loads the
    other's libraries."""
    if url.startswith("postgres"):
        if app is None:
            raise ValueError(f"the search index {url!r} lives in the application's database: give the app")
        from records.search.pg_index import PgIndex

        return PgIndex(app)
    parts = urlsplit(url)
    if parts.scheme == "whoosh":
        path = unquote(parts.path)
        if parts.netloc or not path.startswith("/"):
            raise ValueError(f"search index URL needs an absolute path, like whoosh:///var/lib/sandyk/index: {url!r}")
        from records.search.whoosh_index import open_whoosh_index

        return open_whoosh_index(path)
    raise ValueError(f"unsupported search index URL: {url!r}")
