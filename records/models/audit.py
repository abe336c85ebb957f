"""The audit trail's rows and the names of the actions it records."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from records.db import Base
from records.models.columns import created_at


class AuditAction(StrEnum):
    """What an audit event records, as ``area:verb``. The strings are stored and hashed into the chain:
    never change one; add a new member instead. Their wording for people is in ``records.audit_words``."""

    ACT_AGREE = "act:agree"
    ACT_APPROVE = "act:approve"
    ACT_DRAFT = "act:draft"
    ACT_EXECUTE = "act:execute"
    ACT_REJECT = "act:reject"

    AUDIT_EXPORT = "audit:export"
    AUDIT_KEYED = "audit:keyed"
    AUDIT_VERIFY = "audit:verify"
    AUDIT_VIEW = "audit:view"

    AUTH_LOGIN = "auth:login"
    AUTH_LOGIN_FAILED = "auth:login_failed"
    AUTH_LOGOUT = "auth:logout"

    BACKUP_CREATE = "backup:create"
    BACKUP_RESTORE = "backup:restore"

    CASE_CLOSE = "case:close"
    CASE_DESTROY = "case:destroy"
    CASE_EDIT = "case:edit"
    CASE_OPEN = "case:open"
    CASE_OPEN_VOLUME = "case:open_volume"
    CASE_OVERRIDE = "case:override"
    CASE_OVERRIDE_REJECT = "case:override_reject"
    CASE_OVERRIDE_REQUEST = "case:override_request"
    CASE_REVIEW = "case:review"
    CASE_TRANSFER = "case:transfer"

    DOCUMENT_DOWNLOAD = "document:download"
    DOCUMENT_EDIT = "document:edit"
    DOCUMENT_FILE = "document:file"
    DOCUMENT_MOVE = "document:move"
    DOCUMENT_OCR = "document:ocr"
    DOCUMENT_PREVIEW = "document:preview"
    DOCUMENT_VERSION = "document:version"
    DOCUMENT_VIEW = "document:view"

    HOLD_PLACE = "hold:place"
    HOLD_RELEASE = "hold:release"

    IMPORT_RUN = "import:run"

    INVENTORY_AGREE = "inventory:agree"
    INVENTORY_APPROVE = "inventory:approve"
    INVENTORY_CREATE = "inventory:create"
    INVENTORY_DRAFT = "inventory:draft"
    INVENTORY_PACKAGE = "inventory:package"
    INVENTORY_REJECT = "inventory:reject"
    INVENTORY_TRANSFER = "inventory:transfer"

    NOMENCLATURE_APPROVE = "nomenclature:approve"
    NOMENCLATURE_CREATE = "nomenclature:create"
    NOMENCLATURE_EDIT_ITEM = "nomenclature:edit_item"
    NOMENCLATURE_IMPORT = "nomenclature:import"

    REPORT_EXPORT = "report:export"
    REPORT_INSPECTION = "report:inspection"
    REPORT_VIEW = "report:view"

    SEARCH_QUERY = "search:query"

    SETTINGS_ORGANISATION = "settings:organisation"

    STORAGE_GC = "storage:gc"
    STORAGE_VERIFY = "storage:verify"

    TOKEN_CREATE = "token:create"
    TOKEN_REVOKE = "token:revoke"

    USER_ACTIVATE = "user:activate"
    USER_CREATE = "user:create"
    USER_DEACTIVATE = "user:deactivate"
    USER_PASSWORD = "user:password"
    USER_RENAME = "user:rename"
    USER_ROLES = "user:roles"
    USER_SESSIONS_END = "user:sessions_end"
    USER_UNLOCK = "user:unlock"

    YEAR_CLOSE = "year:close"


class AuditEvent(Base):
    """An append-only, hash-chained record of who did what to which object, from where."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_action_at", "action", "at"),
        Index("ix_audit_event_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = created_at()
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no FK: events outlive accounts
    actor: Mapped[str] = mapped_column(String(64), default="")
    # Plain text, not the enum: the trail must read (and verify) whatever was stored, even a forged name.
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
