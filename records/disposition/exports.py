"""The papers people look at or take away: the expiry list, an act's or inventory's standard form, the
nomenclature's form, an inventory's hand-over package. Each is made here and put on the audit trail as
it is handed out, whoever asks (a page, the API, the command line)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from records import audit
from records.disposition import expiry, forms, handover
from records.models import ArchiveInventory, AuditAction, DisposalAct, Nomenclature
from storage import BlobStore


def expiry_list(session: Session, year: int, *, actor: Any, **export: Any) -> expiry.ExpiryList:
    """The year's expiry list; shown on a page, or exported when ``export`` names the ``format`` (and the
    ``lang`` or ``via`` it went out in)."""
    report = expiry.expiry_list(session, year)
    action = AuditAction.REPORT_EXPORT if export else AuditAction.REPORT_VIEW
    audit.record(session, action, object_type="expiry_list", object_id=report.year, actor=actor, year=report.year,
                 **export)
    return report


def act_form(session: Session, act: DisposalAct, fmt: str, lang: str, *, actor: Any, **via: Any) -> bytes:
    audit.record(session, AuditAction.REPORT_EXPORT, act, actor=actor, format=fmt, lang=lang, **via)
    return forms.act_form(session, act, fmt, lang)


def inventory_form(session: Session, inventory: ArchiveInventory, fmt: str, lang: str, *, actor: Any,
                   **via: Any) -> bytes:
    audit.record(session, AuditAction.REPORT_EXPORT, inventory, actor=actor, format=fmt, lang=lang, **via)
    return forms.inventory_form(session, inventory, fmt, lang)


def nomenclature_form(session: Session, nom: Nomenclature, lang: str, *, actor: Any) -> bytes:
    audit.record(session, AuditAction.REPORT_EXPORT, nom, actor=actor, format="pdf", lang=lang)
    return forms.nomenclature_form(session, nom, lang)


def package(session: Session, store: BlobStore, inventory: ArchiveInventory, out_dir: Path, *,
            actor: Any) -> handover.Package:
    """The inventory's hand-over package for the archive (BagIt, ZIP), built and recorded."""
    built = handover.build_package(session, store, inventory, out_dir)
    audit.record(session, AuditAction.INVENTORY_PACKAGE, inventory, actor=actor, number=inventory.number,
                 cases=built.cases, files=built.files, bytes=built.payload_bytes)
    return built
