"""Disposition: holds, destruction acts and their rows, and inventories of cases handed to the archive."""
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
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.db import Base
from records.models.columns import EnumText, created_at

if TYPE_CHECKING:
    from records.models.cases import Case
    from records.models.people import User
    from records.models.system import Job


class ActStatus(StrEnum):
    DRAFT = "draft"  # drawn up by the records officer
    AGREED = "agreed"  # agreed by the expert commission (ЭК) in a protocol
    APPROVED = "approved"  # approved by the head of the organisation
    EXECUTING = "executing"
    EXECUTED = "executed"
    REJECTED = "rejected"


class InventoryStatus(StrEnum):
    DRAFT = "draft"
    AGREED = "agreed"
    APPROVED = "approved"
    TRANSFERRED = "transferred"  # its cases were handed to the university archive
    REJECTED = "rejected"


class ReviewDecision(StrEnum):
    """The expert commission's decision on an until-needed or ЭПК-marked case."""

    DESTROY = "destroy"
    EXTEND = "extend"  # keep N more years, then review again
    PERMANENT = "permanent"


class DestructionMethod(StrEnum):
    SHREDDING = "shredding"  # paper, shredded on site
    RECYCLING = "recycling"  # paper, handed over for recycling
    DELETED = "deleted"  # electronic files deleted



class Hold(Base):
    """A legal or audit hold on a case or a single document."""

    __tablename__ = "hold"
    __table_args__ = (
        CheckConstraint("(case_id IS NOT NULL) OR (document_id IS NOT NULL)", name="has_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(300), default="")
    placed_at: Mapped[datetime] = created_at()
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    release_reason: Mapped[str | None] = mapped_column(Text)


class DisposalAct(Base):
    """An act on selecting documents for destruction: kept for ever with its rows."""

    __tablename__ = "disposal_act"
    __table_args__ = (UniqueConstraint("number", "act_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    act_date: Mapped[date] = mapped_column(Date)
    year: Mapped[int] = mapped_column(Integer)  # the year whose expiry list the act was drawn from
    status: Mapped[ActStatus] = mapped_column(EnumText(ActStatus), default=ActStatus.DRAFT)
    note: Mapped[str] = mapped_column(Text, default="")
    drafted_at: Mapped[datetime] = created_at()
    drafted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    executed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    executed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # The expert commission's agreement: its protocol's number and date, who recorded it and when.
    protocol_number: Mapped[str | None] = mapped_column(String(32))
    protocol_date: Mapped[date | None] = mapped_column(Date)
    agreed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # How and when the paper cases were destroyed, recorded at execution; stored as "" until then.
    destruction_method: Mapped[DestructionMethod | None] = mapped_column(
        EnumText(DestructionMethod, Text(), empty=""), nullable=False, default="")
    destroyed_on: Mapped[date | None] = mapped_column(Date)
    # The job that executes the act on the worker (its progress, and whether it runs or stopped).
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id"))

    rows: Mapped[list[DisposalActRow]] = relationship(
        back_populates="act", order_by="DisposalActRow.position", cascade="all, delete-orphan"
    )
    drafted_by: Mapped[User] = relationship(foreign_keys=[drafted_by_id])
    agreed_by: Mapped[User | None] = relationship(foreign_keys=[agreed_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    executed_by: Mapped[User | None] = relationship(foreign_keys=[executed_by_id])
    job: Mapped[Job | None] = relationship()

    @property
    def destroy_rows(self) -> list[DisposalActRow]:
        """The rows the act destroys: all but the cases the commission decided to keep."""
        return [row for row in self.rows if row.destroys]


class DisposalActRow(Base):
    """One case in an act, with what the standard form prints, frozen when the act was drafted."""

    __tablename__ = "disposal_act_row"
    __table_args__ = (UniqueConstraint("act_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    act_id: Mapped[int] = mapped_column(ForeignKey("disposal_act.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    heading: Mapped[str] = mapped_column(Text)
    date_range: Mapped[str] = mapped_column(String(64), default="")
    # The heading in both languages of the paper form, frozen with the row so that the act prints the
    # same whichever language it is printed in and however the nomenclature item is edited later.
    heading_ky: Mapped[str] = mapped_column(Text, default="")
    heading_ru: Mapped[str] = mapped_column(Text, default="")
    case_index: Mapped[str] = mapped_column(String(32))
    case_year: Mapped[int] = mapped_column(Integer)
    volumes: Mapped[int] = mapped_column(Integer, default=1)
    retention: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    executed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # An until-needed or ЭПК-marked case needs the expert commission's decision (a ReviewDecision) at the
    # act's agreement; only "destroy" lets it be destroyed. ``extend_years`` goes with "extend".
    review: Mapped[bool] = mapped_column(Boolean, default=False)
    decision: Mapped[ReviewDecision | None] = mapped_column(EnumText(ReviewDecision))
    extend_years: Mapped[int | None] = mapped_column(Integer)

    act: Mapped[DisposalAct] = relationship(back_populates="rows")
    case: Mapped[Case] = relationship()

    @property
    def destroys(self) -> bool:
        return not self.review or self.decision == ReviewDecision.DESTROY


class ArchiveInventory(Base):
    """An inventory of permanent cases: drafted, agreed by the expert commission, approved by the head of
    the organisation, then its cases are handed to the university archive. Its cases point to it."""

    __tablename__ = "archive_inventory"
    __table_args__ = (UniqueConstraint("number", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)  # the year it was drawn up
    inventory_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[InventoryStatus] = mapped_column(EnumText(InventoryStatus), default=InventoryStatus.DRAFT)
    created_at: Mapped[datetime] = created_at()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    protocol_number: Mapped[str | None] = mapped_column(String(32))
    protocol_date: Mapped[date | None] = mapped_column(Date)
    agreed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    transferred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    transferred_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    agreed_by: Mapped[User | None] = relationship(foreign_keys=[agreed_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    transferred_by: Mapped[User | None] = relationship(foreign_keys=[transferred_by_id])
