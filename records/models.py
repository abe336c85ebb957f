"""The records model: nomenclatures and their items, cases, documents and their files, people, holds,
disposal acts, archive inventories, and the audit trail.

Times are timezone-aware UTC. Rows that record history (audit events, acts and their rows, destroyed
documents kept as tombstones) are never deleted by the application.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
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
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.capture.intake.base import EXTRACTION_VERSION
from records.db import Base, utcnow


class NomenclatureStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"


class CaseState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    TRANSFERRED = "transferred"  # handed to the university archive
    DESTROYED = "destroyed"


class DocType(StrEnum):
    PROTOCOL = "protocol"
    ORDER = "order"
    CONTRACT = "contract"
    SAC = "sac"
    REPORT = "report"
    OTHER = "other"


class TextStatus(StrEnum):
    NONE = "none"  # the file opened but holds no text (a blank scan)
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


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


def _dt() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)


class User(Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = _dt()
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Where the last successful sign-in came from: the owner is not slowed down by a stranger's failures.
    last_login_ip: Mapped[str | None] = mapped_column(String(64))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> set[str]:
        return {row.role for row in self.role_rows}

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    user: Mapped[User] = relationship(back_populates="role_rows")


class UserSession(Base):
    """A signed-in browser session, known to the server: the cookie carries a random key whose SHA-256
    is kept here. Signing out, a password change and a role change delete the rows, so a copied cookie
    stops working at once."""

    __tablename__ = "user_session"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = _dt()
    ip: Mapped[str | None] = mapped_column(String(64))


class LoginThrottle(Base):
    """Failed sign-ins counted per client address (``ip:…``) and per name tried (``name:…``), with the
    time before which the next attempt is not checked. Rows are forgotten a day after the last failure."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    wait_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = _dt()


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # Only the SHA-256 of the token is kept; the token itself is shown once.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = _dt()
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Tokens issued before expiry existed have none stored: they expire TOKEN_DAYS after creation.
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class Nomenclature(Base):
    """The department's file plan for one year."""

    __tablename__ = "nomenclature"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(16), default=NomenclatureStatus.DRAFT)
    created_at: Mapped[datetime] = _dt()
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
    retention_kind: Mapped[str] = mapped_column(String(16))
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
    state: Mapped[str] = mapped_column(String(16), default=CaseState.OPEN)
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


class Blob(Base):
    """A stored file, by content. Several documents may share one blob."""

    __tablename__ = "blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mime: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = _dt()
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when no live document refers to the blob any more and its bytes were removed.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Document(Base):
    __tablename__ = "document"
    __table_args__ = (Index("ix_document_case_state", "case_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    doc_type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    doc_date: Mapped[date | None] = mapped_column(Date)
    number: Mapped[str | None] = mapped_column(String(64))
    counterparty: Mapped[str | None] = mapped_column(String(300))
    language: Mapped[str | None] = mapped_column(String(8))
    # Fields that depend on the document type (agenda, subject, validity, SAC kind, programme...).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="active")  # active | destroyed
    text_status: Mapped[str] = mapped_column(String(16), default=TextStatus.PENDING)
    created_at: Mapped[datetime] = _dt()
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
    uploaded_at: Mapped[datetime] = _dt()
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    text_status: Mapped[str] = mapped_column(String(16), default=TextStatus.PENDING)
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


class SystemState(Base):
    """Facts about the installation as a whole, by key: the text analysis the index was built with."""

    __tablename__ = "system_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class IndexTask(Base):
    """Durable outbox of index changes, written in the same transaction as the catalogue change.

    Whatever commits here is applied to the search index after the commit; a crash in between leaves
    the row, and the next start (or ``flask index sync``) applies it.
    """

    __tablename__ = "index_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(Integer, index=True)
    op: Mapped[str] = mapped_column(String(8))  # upsert | delete
    created_at: Mapped[datetime] = _dt()
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
    state: Mapped[str] = mapped_column(String(16), default=JobState.RUNNING)
    total: Mapped[int | None] = mapped_column(Integer)  # None while unknown
    done: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = _dt()
    updated_at: Mapped[datetime] = _dt()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # counts by outcome


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
    placed_at: Mapped[datetime] = _dt()
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
    status: Mapped[str] = mapped_column(String(16), default=ActStatus.DRAFT)
    note: Mapped[str] = mapped_column(Text, default="")
    drafted_at: Mapped[datetime] = _dt()
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
    # How and when the paper cases were destroyed (a DestructionMethod), recorded at execution.
    destruction_method: Mapped[str] = mapped_column(Text, default="")
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
    decision: Mapped[str | None] = mapped_column(String(16))
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
    status: Mapped[str] = mapped_column(String(16), default=InventoryStatus.DRAFT)
    created_at: Mapped[datetime] = _dt()
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


class AuditEvent(Base):
    """An append-only, hash-chained record of who did what to which object, from where."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_action_at", "action", "at"),
        Index("ix_audit_event_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = _dt()
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no FK: events outlive accounts
    actor: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class Setting(Base):
    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = _dt()
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


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
    # the large vectors are read only for the best candidates.
    head: Mapped[str] = mapped_column(_TSVECTOR, default="")
