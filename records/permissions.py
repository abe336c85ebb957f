"""Roles and what each may do. Views and API endpoints ask for a permission, never for a role."""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SECRETARY = "secretary"
    AUDITOR = "auditor"
    ARCHIVIST = "archivist"
    HEAD = "head"
    COMMISSION = "commission"
    APPROVER = "approver"


class Perm(StrEnum):
    VIEW_RECORDS = "view_records"  # nomenclature, cases, document metadata
    READ_FILES = "read_files"  # preview and download files
    SEARCH = "search"
    FILE_DOCUMENTS = "file_documents"  # upload, new versions
    EDIT_DOCUMENTS = "edit_documents"  # metadata, moving between cases
    MANAGE_NOMENCLATURE = "manage_nomenclature"  # edit items, import, copy to next year
    APPROVE_NOMENCLATURE = "approve_nomenclature"
    MANAGE_CASES = "manage_cases"  # close years, sheet counts, carry-over, overrides
    MANAGE_HOLDS = "manage_holds"
    VIEW_REPORTS = "view_reports"  # expiry lists, inventories, acts
    DRAFT_ACTS = "draft_acts"
    AGREE_ACTS = "agree_acts"  # the expert commission: protocols and decisions on acts and inventories
    APPROVE_ACTS = "approve_acts"  # the head of the organisation: acts and inventories
    APPROVE_OVERRIDES = "approve_overrides"  # the second person for an override that shortens retention
    EXECUTE_ACTS = "execute_acts"
    TRANSFER_CASES = "transfer_cases"
    VIEW_AUDIT = "view_audit"
    MANAGE_USERS = "manage_users"
    MANAGE_SYSTEM = "manage_system"
    MANAGE_TEXT = "manage_text"  # read scans again by OCR, follow imports and text extraction


_READ = {Perm.VIEW_RECORDS, Perm.READ_FILES, Perm.SEARCH}

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset({Perm.VIEW_RECORDS, Perm.MANAGE_USERS, Perm.MANAGE_SYSTEM, Perm.VIEW_AUDIT}),
    Role.SECRETARY: frozenset(_READ | {Perm.FILE_DOCUMENTS, Perm.EDIT_DOCUMENTS}),
    Role.AUDITOR: frozenset(_READ | {Perm.VIEW_REPORTS, Perm.VIEW_AUDIT}),
    Role.ARCHIVIST: frozenset(
        _READ
        | {
            Perm.MANAGE_NOMENCLATURE,
            Perm.MANAGE_CASES,
            Perm.MANAGE_HOLDS,
            Perm.VIEW_REPORTS,
            Perm.DRAFT_ACTS,
            Perm.EXECUTE_ACTS,
            Perm.TRANSFER_CASES,
            Perm.MANAGE_TEXT,
            Perm.APPROVE_OVERRIDES,
        }
    ),
    Role.HEAD: frozenset(_READ | {Perm.APPROVE_NOMENCLATURE, Perm.VIEW_REPORTS, Perm.MANAGE_HOLDS,
                                  Perm.APPROVE_OVERRIDES}),
    Role.COMMISSION: frozenset(_READ | {Perm.VIEW_REPORTS, Perm.AGREE_ACTS}),
    Role.APPROVER: frozenset(_READ | {Perm.VIEW_REPORTS, Perm.APPROVE_ACTS}),
}


class Paper(StrEnum):
    """The kinds of paper that one person drafts and another approves."""

    NOMENCLATURE = "nomenclature"
    DISPOSAL = "disposal"  # destruction acts and inventories of permanent cases


# Who drafts and who agrees or approves each kind of paper. Nobody may hold roles of both sides of the
# same paper (four eyes), unless the setting ALLOW_COMBINED_ROLES lets a very small office do so.
DUTIES: dict[Paper, tuple[frozenset[Role], frozenset[Role]]] = {
    Paper.NOMENCLATURE: (frozenset({Role.ARCHIVIST}), frozenset({Role.HEAD})),
    Paper.DISPOSAL: (frozenset({Role.ARCHIVIST}), frozenset({Role.COMMISSION, Role.APPROVER})),
}


def combined_duties(roles: set[str] | frozenset[str]) -> list[Paper]:
    """The papers for which ``roles`` would let one person both draft and approve."""
    return [paper for paper, (drafting, approving) in DUTIES.items() if drafting & roles and approving & roles]


def permissions_for(roles: set[str] | frozenset[str]) -> frozenset[Perm]:
    perms: set[Perm] = set()
    for role in roles:
        try:
            perms |= ROLE_PERMISSIONS[Role(role)]
        except ValueError:
            continue
    return frozenset(perms)
