"""The installation itself: settings, facts about it, the index outbox, progress of long work, and the
rows of the PostgreSQL full-text search backend."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from records.db import Base
from records.models.columns import EnumText, created_at


class SystemState(Base):
    """Facts about the installation as a whole, by key: the text analysis the index was built with."""

    __tablename__ = "system_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class Setting(Base):
    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = created_at()
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))



class IndexTask(Base):
    """Durable outbox of index changes, written in the same transaction as the catalogue change.

    Whatever commits here is applied to the search index after the commit; a crash in between leaves
    the row, and the next start (or ``flask index sync``) applies it.
    """

    __tablename__ = "index_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(Integer, index=True)
    op: Mapped[str] = mapped_column(String(8))  # upsert | delete
    created_at: Mapped[datetime] = created_at()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class JobState(StrEnum):
    RUNNING = "running"
    DONE = "done"
    INTERRUPTED = "interrupted"


class Job(Base):
    """Progress of a long piece of work (a bulk import, reading the text of scans, an index rebuild),
    written as it goes so that people elsewhere (the web pages) can follow it."""

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)  # import | text | reindex
    label: Mapped[str] = mapped_column(String(500), default="")  # what it works on: a folder, a manifest
    state: Mapped[JobState] = mapped_column(EnumText(JobState), default=JobState.RUNNING)
    total: Mapped[int | None] = mapped_column(Integer)  # None while unknown
    done: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = created_at()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # counts by outcome


# A tsvector on PostgreSQL; the table exists on SQLite too (one schema everywhere) but stays empty there.
_TSVECTOR = TSVECTOR().with_variant(Text(), "sqlite")


class SearchEntry(Base):
    """One document as the PostgreSQL full-text search backend (``INDEX_URL=postgres-fts:``) holds it.

    Derived data, rebuilt by ``index reindex``: the vectors are built in Python by the same Kyrgyz/
    Russian analysis as the Whoosh index, so both backends match the same word forms.
    """

    __tablename__ = "search_entry"
    __table_args__ = (
        Index("ix_search_entry_stems", "stems", postgresql_using="gin"),
        Index("ix_search_entry_words", "words", postgresql_using="gin"),
        Index("ix_search_entry_counterparty_stems", "counterparty_stems", postgresql_using="gin"),
        Index("ix_search_entry_pairs", "pairs", postgresql_using="gin"),
        # Field conditions and date order without reading the table.
        Index("ix_search_entry_year", "year"),
        Index("ix_search_entry_case_index", "case_index"),
        Index("ix_search_entry_doc_type", "doc_type"),
        Index("ix_search_entry_doc_date", "doc_date"),
        Index("ix_search_entry_number", "number"),
    )

    document_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(Text)
    case_index: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    doc_type: Mapped[str] = mapped_column(String(16))
    doc_date: Mapped[date | None] = mapped_column(Date)
    number: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    excerpt: Mapped[str] = mapped_column(Text)  # the beginning of the text, for snippets
    stems: Mapped[str] = mapped_column(_TSVECTOR)  # stemmed words of title (weight A) and content
    words: Mapped[str] = mapped_column(_TSVECTOR)  # folded, unstemmed words with positions: phrases, prefixes
    counterparty_stems: Mapped[str] = mapped_column(_TSVECTOR)
    # Title and the text's first words (stems and folded words): what the first ranking pass reads, so
    # the large vectors are read only for the best candidates. Kept in the row (PostgreSQL storage MAIN,
    # set by migration 0017), where the scan that finds the matches reads it at no extra cost.
    head: Mapped[str] = mapped_column(_TSVECTOR, default="")
    # Every two successive folded words as one term ('окуу планы'), without positions: a phrase is
    # found through the index alone, without reading the positions of ``words`` row by row.
    pairs: Mapped[str] = mapped_column(_TSVECTOR, default="")
