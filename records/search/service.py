"""Retrieval: a search request from the web page or the API, run against the index, checked against
the catalogue, and put on record.

The index answers; the catalogue has the last word: a hit whose document is no longer live (destroyed
a moment ago, before the index caught up) is left out, so destroyed documents never appear. Every
search is an audit event ``search:query`` with the query text, filters and the number of results.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from records import audit
from records.errors import UserError
from records.models import AuditAction, Document, DocumentState
from records.search.base import FACETS, SearchResult, Sort
from records.search.indexing import get_index
from records.search.query import QueryError

__all__ = ["MAX_PAGE", "PER_PAGE", "SearchRequest", "parse_search_request", "search_documents"]

PER_PAGE = 20
MAX_PAGE = 500  # 10 000 results deep; nobody reads further, and deep pages cost the index most
MAX_QUERY_CHARS = 1000
SORTS: tuple[Sort, ...] = ("relevance", "date")


@dataclass(frozen=True)
class SearchRequest:
    """What the user asked for: the query box, the facet values chosen, sort order and page."""

    q: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    sort: Sort = "relevance"
    page: int = 1

    def args(self, **changes: Any) -> dict[str, Any]:
        """URL arguments for this request with some changed (``None`` drops one): for facet and page links."""
        values: dict[str, Any] = {"q": self.q or None, **self.filters,
                                  "sort": self.sort if self.sort != "relevance" else None,
                                  "page": self.page if self.page > 1 else None}
        values.update(changes)
        return {key: value for key, value in values.items() if value not in (None, "")}


def parse_search_request(args: Mapping[str, str]) -> SearchRequest:
    """Read the URL arguments of a search; anything unusable falls back to the default."""
    q = (args.get("q") or "").strip()[:MAX_QUERY_CHARS]
    filters = {name: value.strip() for name in FACETS if (value := (args.get(name) or "")).strip()}
    raw_sort = args.get("sort") or "relevance"
    sort: Sort = raw_sort if raw_sort in SORTS else "relevance"  # type: ignore[assignment]
    try:
        page = min(max(int(args.get("page") or 1), 1), MAX_PAGE)
    except ValueError:
        page = 1
    return SearchRequest(q=q, filters=filters, sort=sort, page=page)


def _live(session: Session, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return set(session.scalars(select(Document.id).where(Document.id.in_(ids), Document.state == DocumentState.ACTIVE)))


def search_documents(app: Flask, session: Session, wanted: SearchRequest, *, actor: Any = None,
                     via: str = "web", snippets: bool = True) -> SearchResult:
    """Run a search for a user allowed to search; raises ``UserError("bad_query")`` for a malformed query."""
    try:
        result = get_index(app).search(wanted.q, filters=wanted.filters, page=wanted.page, per_page=PER_PAGE,
                                       sort=wanted.sort, snippets=snippets)
    except QueryError as exc:
        raise UserError("bad_query", exc.message) from None
    live = _live(session, [hit.id for hit in result.hits])
    stale = [hit for hit in result.hits if hit.id not in live]
    if stale:
        result = SearchResult(total=max(0, result.total - len(stale)),
                              hits=[hit for hit in result.hits if hit.id in live], facets=result.facets)
    audit.record(session, AuditAction.SEARCH_QUERY, object_type="search", actor=actor, query=wanted.q,
                 filters=wanted.filters, sort=wanted.sort, page=wanted.page, results=result.total, via=via)
    return result
