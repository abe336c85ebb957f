"""Documents, the versions of their files, the stored blobs those point to, and their extracted text."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.capture.intake.base import EXTRACTION_VERSION
from records.db import Base
from records.models.columns import EnumText, created_at

if TYPE_CHECKING:
    from records.models.cases import Case
    from records.models.people import User


class DocType(StrEnum):
    PROTOCOL = "protocol"
    ORDER = "order"
    CONTRACT = "contract"
    SAC = "sac"
    REPORT = "report"
    OTHER = "other"


class DocumentState(StrEnum):
    ACTIVE = "active"
    DESTROYED = "destroyed"  # kept as a tombstone, its files gone


class TextStatus(StrEnum):
    NONE = "none"  # the file opened but holds no text (a blank scan)
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class Blob(Base):
    """A stored file, by content. Several documents may share one blob."""

    __tablename__ = "blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mime: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = created_at()
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when no live document refers to the blob any more and its bytes were removed.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Document(Base):
    __tablename__ = "document"
    __table_args__ = (Index("ix_document_case_state", "case_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    doc_type: Mapped[DocType] = mapped_column(EnumText(DocType))
    title: Mapped[str] = mapped_column(Text)
    doc_date: Mapped[date | None] = mapped_column(Date)
    number: Mapped[str | None] = mapped_column(String(64))
    counterparty: Mapped[str | None] = mapped_column(String(300))
    language: Mapped[str | None] = mapped_column(String(8))
    # Fields that depend on the document type (agenda, subject, validity, SAC kind, programme...).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[DocumentState] = mapped_column(EnumText(DocumentState), default=DocumentState.ACTIVE)
    text_status: Mapped[TextStatus] = mapped_column(EnumText(TextStatus), default=TextStatus.PENDING)
    created_at: Mapped[datetime] = created_at()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    destroyed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    destroyed_by_act_id: Mapped[int | None] = mapped_column(ForeignKey("disposal_act.id"))

    case: Mapped[Case] = relationship(back_populates="documents")
    versions: Mapped[list[DocumentFile]] = relationship(
        back_populates="document", order_by="DocumentFile.version", cascade="all, delete-orphan"
    )
    created_by: Mapped[User | None] = relationship()

    @property
    def current(self) -> DocumentFile | None:
        return self.versions[-1] if self.versions else None


class DocumentFile(Base):
    """One version of a document's file."""

    __tablename__ = "document_file"
    __table_args__ = (UniqueConstraint("document_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mime: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    original_filename: Mapped[str] = mapped_column(String(255))
    active_content: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_at: Mapped[datetime] = created_at()
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    text_status: Mapped[TextStatus] = mapped_column(EnumText(TextStatus), default=TextStatus.PENDING)
    text_method: Mapped[str | None] = mapped_column(String(32))
    text_error: Mapped[str | None] = mapped_column(Text)
    text_attempts: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int | None] = mapped_column(Integer)
    # OCR: tesseract's mean word confidence over the pages it read (0-100); None without OCR.
    ocr_confidence: Mapped[float | None] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(Text, default="")
    # The text extraction version its text came from (see ``EXTRACTION_CHANGES``); rows from before
    # versions were recorded hold 1.
    text_version: Mapped[int] = mapped_column(Integer, default=EXTRACTION_VERSION, server_default="1")

    document: Mapped[Document] = relationship(back_populates="versions")


class DocumentText(Base):
    """Extracted text of a file version, kept apart so document rows stay small."""

    __tablename__ = "document_text"

    file_id: Mapped[int] = mapped_column(ForeignKey("document_file.id", ondelete="CASCADE"), primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")
