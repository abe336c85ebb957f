"""The records model: nomenclatures and their items, cases, documents and their files, people, holds,
disposal acts, archive inventories, and the audit trail, one module per subject; every name is
importable from here.

Times are timezone-aware UTC. Rows that record history (audit events, acts and their rows, destroyed
documents kept as tombstones) are never deleted by the application. States are stored as the plain
strings of their enum (see ``columns.EnumText``) and read back as its members.
"""
from __future__ import annotations

from records.models.audit import AuditAction, AuditEvent
from records.models.cases import (
    Case,
    CaseState,
    Nomenclature,
    NomenclatureItem,
    NomenclatureStatus,
)
from records.models.disposition import (
    ActStatus,
    ArchiveInventory,
    DestructionMethod,
    DisposalAct,
    DisposalActRow,
    Hold,
    InventoryStatus,
    ReviewDecision,
)
from records.models.documents import (
    Blob,
    DocType,
    Document,
    DocumentFile,
    DocumentState,
    DocumentText,
    TextStatus,
)
from records.models.people import ApiToken, LoginThrottle, User, UserRole, UserSession
from records.models.system import (
    IndexTask,
    Job,
    JobState,
    SearchEntry,
    Setting,
    SystemState,
)

__all__ = [
    "ActStatus", "ApiToken", "ArchiveInventory", "AuditAction", "AuditEvent", "Blob", "Case", "CaseState",
    "DestructionMethod", "DisposalAct", "DisposalActRow", "DocType", "Document", "DocumentFile", "DocumentState",
    "DocumentText", "Hold", "IndexTask", "InventoryStatus", "Job", "JobState", "LoginThrottle", "Nomenclature",
    "NomenclatureItem", "NomenclatureStatus", "ReviewDecision", "SearchEntry", "Setting", "SystemState",
    "TextStatus", "User", "UserRole", "UserSession",
]
