"""The search index interface the rest of the application talks to.

The application feeds plain ``IndexDoc`` records (it owns the database; the
index never reads it) and gets ``SearchResult`` back. Backends are chosen by a
URL-like string: ``whoosh:///abs/dir`` is the default, single-server one.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import unquote, urlsplit

__all__ = ["FACETS", "FILTERS", "Hit", "IndexDoc", "SearchIndex", "SearchResult", "Sort", "open_index"]

Sort = Literal["relevance", "date"]
FACETS = ("year", "index", "type")
FILTERS = ("year", "index", "type", "lang")


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
    def add(self, docs: Iterable[IndexDoc]) -> None:
        """Insert or replace documents by id."""

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


def open_index(url: str) -> SearchIndex:
    """Open (creating if missing) the index a configuration URL names."""
    parts = urlsplit(url)
    if parts.scheme == "whoosh":
        path = unquote(parts.path)
        if parts.netloc or not path.startswith("/"):
            raise ValueError(f"search index URL needs an absolute path, like whoosh:///var/lib/sandyk/index: {url!r}")
        # Imported here so a deployment on another backend never loads Whoosh.
        from records.search.whoosh_index import open_whoosh_index

        return open_whoosh_index(path)
    raise ValueError(f"unsupported search index URL: {url!r}")
