"""The README's role table says what each role can do; the code must grant exactly that. And no role
set may put one person on both sides of four eyes."""
from __future__ import annotations

import re
from pathlib import Path

from records.permissions import DUTIES, ROLE_PERMISSIONS, Paper, Perm, Role, combined_duties

README = Path(__file__).resolve().parents[2] / "README.md"

# How the README's "can" column says each permission.
PHRASES = {
    Perm.VIEW_RECORDS: "see the catalogue",
    Perm.READ_FILES: "open and download files",
    Perm.SEARCH: "search",
    Perm.FILE_DOCUMENTS: "file documents",
    Perm.EDIT_DOCUMENTS: "edit details and move documents",
    Perm.MANAGE_NOMENCLATURE: "keep the nomenclature",
    Perm.APPROVE_NOMENCLATURE: "approve the nomenclature",
    Perm.MANAGE_CASES: "close the year",
    Perm.MANAGE_HOLDS: "place holds",
    Perm.VIEW_REPORTS: "read reports",
    Perm.DRAFT_ACTS: "draft destruction acts",
    Perm.AGREE_ACTS: "agree destruction acts and inventories",
    Perm.APPROVE_ACTS: "approve destruction acts",
    Perm.APPROVE_OVERRIDES: "approve a shorter retention",
    Perm.EXECUTE_ACTS: "execute approved acts",
    Perm.TRANSFER_CASES: "transfer permanent cases",
    Perm.VIEW_AUDIT: "read the audit trail",
    Perm.MANAGE_USERS: "manage users and roles",
    Perm.MANAGE_SYSTEM: "backups",
    Perm.MANAGE_TEXT: "have scans read again",
}


def readme_roles() -> dict[str, str]:
    """CLI role name -> the "can" cell, from the table under "Who does what"."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Who does what", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        match = re.match(r"^\|[^|]*\(`([a-z]+)`\)\s*\|(.*)\|\s*$", line)
        if match:
            rows[match.group(1)] = match.group(2).strip().lower()
    return rows


def test_every_permission_has_its_phrase() -> None:
    assert set(PHRASES) == set(Perm), "a new permission needs its phrase here and in the README's role table"


def test_readme_role_table_matches_the_code() -> None:
    rows = readme_roles()
    assert set(rows) == {r.value for r in Role}, "the README's role table must list every role, and only those"
    differences = []
    for role, granted in ROLE_PERMISSIONS.items():
        said = {perm for perm, phrase in PHRASES.items() if phrase in rows[role.value]}
        if said != set(granted):
            differences.append(f"{role.value}: README says {sorted(said - granted)} more and "
                               f"{sorted(set(granted) - said)} less than the code")
    assert not differences, "\n".join(differences)


def test_the_records_officer_no_longer_edits_or_moves_documents() -> None:
    assert Perm.EDIT_DOCUMENTS not in ROLE_PERMISSIONS[Role.ARCHIVIST]
    assert Perm.EDIT_DOCUMENTS in ROLE_PERMISSIONS[Role.SECRETARY]


def test_drafting_and_approving_roles_follow_the_permissions() -> None:
    """Whoever may draft or approve a paper appears on that side of DUTIES."""
    sides = {Paper.NOMENCLATURE: (Perm.MANAGE_NOMENCLATURE, Perm.APPROVE_NOMENCLATURE),
             Paper.DISPOSAL: (Perm.DRAFT_ACTS, Perm.APPROVE_ACTS)}
    for paper, (drafts, approves) in sides.items():
        drafting, approving = DUTIES[paper]
        for role, granted in ROLE_PERMISSIONS.items():
            assert drafts not in granted or role in drafting, (paper, role)
            assert approves not in granted or role in approving, (paper, role)
    assert combined_duties({"archivist", "head"}) and combined_duties({"archivist", "approver"})
    assert combined_duties({"archivist", "commission"})
    assert not combined_duties({"archivist", "auditor", "secretary"}) and not combined_duties({"head", "approver"})
