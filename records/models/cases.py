"""The file plan: a year's nomenclature, its items, and the cases opened from them."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.db import Base
from records.models.columns import EnumText, created_at
from records.retention import RetentionKind

if TYPE_CHECKING:
    from records.models.documents import Document
    from records.models.people import User


class NomenclatureStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"


class CaseState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    TRANSFERRED = "transferred"  # handed to the university archive
    DESTROYED = "destroyed"


class Nomenclature(Base):
    """The department's file plan for one year."""

    __tablename__ = "nomenclature"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    status: Mapped[NomenclatureStatus] = mapped_column(EnumText(NomenclatureStatus), default=NomenclatureStatus.DRAFT)
    created_at: Mapped[datetime] = created_at()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    based_on_year: Mapped[int | None] = mapped_column(Integer)

    items: Mapped[list[NomenclatureItem]] = relationship(
        back_populates="nomenclature", order_by="NomenclatureItem.position", cascade="all, delete-orphan"
    )
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])


class NomenclatureItem(Base):
    __tablename__ = "nomenclature_item"
    __table_args__ = (UniqueConstraint("nomenclature_id", "index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nomenclature_id: Mapped[int] = mapped_column(ForeignKey("nomenclature.id", ondelete="CASCADE"))
    index: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer)
    title_ky: Mapped[str] = mapped_column(Text, default="")
    title_ru: Mapped[str] = mapped_column(Text, default="")
    title_en: Mapped[str] = mapped_column(Text, default="")
    # The retention exactly as the records officer wrote it, and its parsed form for reports.
    retention: Mapped[str] = mapped_column(String(100))
    retention_kind: Mapped[RetentionKind] = mapped_column(EnumText(RetentionKind))
    retention_years: Mapped[int | None] = mapped_column(Integer)
    epk: Mapped[bool] = mapped_column(Boolean, default=False)
    articles: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    not_to_state_archive: Mapped[bool] = mapped_column(Boolean, default=False)

    nomenclature: Mapped[Nomenclature] = relationship(back_populates="items")
    cases: Mapped[list[Case]] = relationship(back_populates="item", order_by="Case.volume")

    def title(self, lang: str) -> str:
        return getattr(self, f"title_{lang}", "") or self.title_ru or self.title_ky or self.title_en


class Case(Base):
    """One nomenclature item for one year (one volume of it)."""

    __tablename__ = "case"
    __table_args__ = (
        UniqueConstraint("item_id", "volume"),
        Index("ix_case_year_state", "year", "state"),
        CheckConstraint("volume >= 1", name="volume_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("nomenclature_item.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    index: Mapped[str] = mapped_column(String(32), index=True)
    volume: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[CaseState] = mapped_column(EnumText(CaseState), default=CaseState.OPEN)
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    first_doc_date: Mapped[date | None] = mapped_column(Date)
    last_doc_date: Mapped[date | None] = mapped_column(Date)
    is_paper: Mapped[bool] = mapped_column(Boolean, default=False)
    sheets: Mapped[int | None] = mapped_column(Integer)
    carry_over: Mapped[bool] = mapped_column(Boolean, default=False)
    # A per-case rule that replaces the item's, with the reason it was given.
    retention_override: Mapped[str | None] = mapped_column(String(100))
    override_reason: Mapped[str | None] = mapped_column(Text)
    # An override that would shorten the retention waits here until a second person approves it.
    pending_override: Mapped[str | None] = mapped_column(String(100))
    pending_override_reason: Mapped[str | None] = mapped_column(Text)
    pending_override_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    pending_override_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set once the case is kept permanently (by its item's rule when it was opened or later, by an override,
    # or by the expert commission) and never cleared: no later edit makes a permanent case destroyable.
    permanent: Mapped[bool] = mapped_column(Boolean, default=False)
    # The year the expert commission looks at the case again, after deciding to keep it N more years.
    review_year: Mapped[int | None] = mapped_column(Integer)
    transferred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    inventory_id: Mapped[int | None] = mapped_column(ForeignKey("archive_inventory.id"))
    destroyed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    destroyed_by_act_id: Mapped[int | None] = mapped_column(ForeignKey("disposal_act.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    item: Mapped[NomenclatureItem] = relationship(back_populates="cases")
    documents: Mapped[list[Document]] = relationship(back_populates="case", order_by="Document.id")

    @property
    def closed_year(self) -> int | None:
        return self.closed_on.year if self.closed_on else None
