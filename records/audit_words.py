"""The audit trail in people's words: what each action means, and what its object is called, in the
reader's language, with a link where the object can be opened. The stored events stay as they are."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from records.i18n import _, _l
from records.models import AuditAction, AuditEvent, Case, DisposalAct, Document, User

ACTION_LABELS: dict[AuditAction, Any] = {
    AuditAction.AUTH_LOGIN: _l("signed in"),
    AuditAction.AUTH_LOGIN_FAILED: _l("failed to sign in"),
    AuditAction.AUTH_LOGOUT: _l("signed out"),
    AuditAction.DOCUMENT_FILE: _l("filed a document"),
    AuditAction.DOCUMENT_VERSION: _l("added a new version of a document"),
    AuditAction.DOCUMENT_VIEW: _l("opened a document"),
    AuditAction.DOCUMENT_PREVIEW: _l("looked at the pages of a document"),
    AuditAction.DOCUMENT_DOWNLOAD: _l("downloaded a document"),
    AuditAction.DOCUMENT_EDIT: _l("changed the details of a document"),
    AuditAction.DOCUMENT_MOVE: _l("moved a document to another case"),
    AuditAction.SEARCH_QUERY: _l("searched"),
    AuditAction.CASE_OPEN: _l("opened a case"),
    AuditAction.CASE_CLOSE: _l("closed a case"),
    AuditAction.CASE_EDIT: _l("changed how a case is kept"),
    AuditAction.CASE_OVERRIDE: _l("changed the retention of a case"),
    AuditAction.CASE_TRANSFER: _l("transferred a case to the archive"),
    AuditAction.CASE_DESTROY: _l("destroyed the documents of a case"),
    AuditAction.YEAR_CLOSE: _l("closed the year"),
    AuditAction.HOLD_PLACE: _l("placed a hold"),
    AuditAction.HOLD_RELEASE: _l("released a hold"),
    AuditAction.ACT_DRAFT: _l("drew up a destruction act"),
    AuditAction.ACT_APPROVE: _l("approved a destruction act"),
    AuditAction.ACT_REJECT: _l("rejected a destruction act"),
    AuditAction.ACT_EXECUTE: _l("carried out a destruction act"),
    AuditAction.INVENTORY_CREATE: _l("made an archive transfer inventory"),
    AuditAction.NOMENCLATURE_CREATE: _l("created a nomenclature"),
    AuditAction.NOMENCLATURE_IMPORT: _l("imported a nomenclature"),
    AuditAction.NOMENCLATURE_EDIT_ITEM: _l("changed a nomenclature item"),
    AuditAction.NOMENCLATURE_APPROVE: _l("approved a nomenclature"),
    AuditAction.REPORT_VIEW: _l("opened a report"),
    AuditAction.REPORT_EXPORT: _l("exported a report"),
    AuditAction.REPORT_INSPECTION: _l("made an inspection report"),
    AuditAction.AUDIT_VIEW: _l("read the audit trail"),
    AuditAction.AUDIT_EXPORT: _l("exported the audit trail"),
    AuditAction.AUDIT_VERIFY: _l("verified the audit trail"),
    AuditAction.STORAGE_VERIFY: _l("verified the stored files"),
    AuditAction.STORAGE_GC: _l("removed unused stored files"),
    AuditAction.BACKUP_CREATE: _l("made a backup"),
    AuditAction.BACKUP_RESTORE: _l("restored a backup"),
    AuditAction.IMPORT_RUN: _l("imported documents"),
    AuditAction.USER_CREATE: _l("created an account"),
    AuditAction.USER_RENAME: _l("renamed an account"),
    AuditAction.USER_ROLES: _l("changed the roles of an account"),
    AuditAction.USER_PASSWORD: _l("changed a password"),
    AuditAction.USER_ACTIVATE: _l("enabled an account"),
    AuditAction.USER_DEACTIVATE: _l("disabled an account"),
    AuditAction.USER_UNLOCK: _l("unlocked an account"),
    AuditAction.TOKEN_CREATE: _l("issued an API token"),
    AuditAction.TOKEN_REVOKE: _l("revoked an API token"),
}

AREA_LABELS: dict[str, Any] = {
    "auth": _l("Signing in"),
    "document": _l("Documents"),
    "search": _l("Search"),
    "case": _l("Cases"),
    "year": _l("Year-end closing"),
    "hold": _l("Holds"),
    "act": _l("Destruction acts"),
    "inventory": _l("Archive transfer"),
    "nomenclature": _l("Nomenclature"),
    "report": _l("Reports"),
    "audit": _l("Audit trail"),
    "storage": _l("Storage"),
    "backup": _l("Backups"),
    "import": _l("Import"),
    "user": _l("Accounts"),
    "token": _l("API tokens"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def area_label(area: str) -> str:
    label = AREA_LABELS.get(area)
    return str(label) if label is not None else area


@dataclass(frozen=True)
class Line:
    """One event as a sentence: who, did what, to what (with a link when it can be opened)."""

    event: AuditEvent
    who: str
    what: str
    target: str
    url: str | None
    via: str


def _ids(events: Iterable[AuditEvent], object_type: str) -> list[int]:
    out = []
    for ev in events:
        if ev.object_type == object_type and (ev.object_id or "").isdigit():
            out.append(int(ev.object_id or 0))
    return out


def describe(session: Session, events: list[AuditEvent]) -> list[Line]:
    """Sentences for a page of events; names are looked up once per page, not once per event."""
    docs = {d.id: d.title for d in session.scalars(select(Document).where(Document.id.in_(_ids(events, "document"))))}
    cases = {c.id: f"{c.index} · {c.year}" for c in session.scalars(select(Case).where(Case.id.in_(_ids(events, "case"))))}
    acts = {a.id: a.number for a in session.scalars(select(DisposalAct).where(DisposalAct.id.in_(_ids(events, "disposal_act"))))}
    user_ids = set(_ids(events, "user")) | {ev.actor_id for ev in events if ev.actor_id}
    users = {u.id: (u.full_name or u.username) for u in session.scalars(select(User).where(User.id.in_(user_ids)))}
    from records.permissions import Perm
    from records.web import can

    reports = can(Perm.VIEW_REPORTS)  # acts and the expiry list are linked only for those who may open them
    lines = []
    for ev in events:
        oid = int(ev.object_id) if (ev.object_id or "").isdigit() else None
        detail = ev.detail or {}
        target, url = "", None
        if ev.object_type == "document" and oid is not None:
            target = docs.get(oid) or _("document No. %(id)s", id=oid)
            url = url_for("documents.show", document_id=oid)
        elif ev.object_type == "case" and oid is not None:
            target = cases.get(oid) or _("case No. %(id)s", id=oid)
            url = url_for("cases.show", case_id=oid)
        elif ev.object_type == "disposal_act" and oid is not None:
            target = _("act No. %(number)s", number=acts.get(oid, oid))
            url = url_for("disposal.act", act_id=oid) if reports else None
        elif ev.object_type == "user" and oid is not None:
            target = users.get(oid) or str(detail.get("username") or oid)
        elif ev.action == AuditAction.SEARCH_QUERY:
            target = "“%s”" % detail.get("query", "") if detail.get("query") else _("everything")
        elif ev.object_type in ("nomenclature", "nomenclature_item") and detail.get("year"):
            target = _("nomenclature of %(year)s", year=detail["year"])
            if detail.get("index"):
                target += f", {detail['index']}"
            url = url_for("nomenclature.show", year=detail["year"])
        elif ev.object_type == "expiry_list" and detail.get("year"):
            target = _("the expiry list of %(year)s", year=detail["year"])
            url = url_for("disposal.expiry", year=detail["year"]) if reports else None
        elif ev.object_type == "year" and detail.get("year"):
            target = str(detail["year"])
        elif ev.object_type == "hold" and detail.get("index"):
            target = _("hold on %(index)s", index=detail["index"])
        elif ev.object_type == "archive_inventory" and detail.get("number"):
            target = _("inventory No. %(number)s", number=detail["number"])
        elif ev.object_type and ev.object_type not in ("search",):
            target = f"{ev.object_type} {ev.object_id or ''}".strip()
        who = users.get(ev.actor_id or 0) or ev.actor or _("the system")
        if ev.actor == "cli":
            who = _("the server (command line)")
        via = {"api": _("through the API"), "cli": _("from the command line")}.get(str(detail.get("via", "")), "")
        lines.append(Line(event=ev, who=who, what=action_label(ev.action), target=target, url=url, via=via))
    return lines
