"""The hand-over package of an inventory: what the university archive receives with the permanent cases,
as a BagIt bag (RFC 8493) it can ingest and check on its side.

The bag holds, under ``data/``:

- ``inventory/``: the inventory's standard form in Kyrgyz and Russian, PDF and XLSX;
- ``cases/<index>_<year>[_t<volume>]/``: every version of every document of every listed case, as stored;
- ``metadata/catalogue.csv`` and ``catalogue.json``: the catalogue's record of the cases, documents and files
  (headings, retention, dates, numbers, counterparties, the path of each file in the bag and its SHA-256).

Its manifest is SHA-256, and every file's entry must equal the hash the catalogue has kept for those bytes
since they were filed: a bag is written, then validated (completeness and every checksum) and compared
with the catalogue before it is zipped, so a damaged blob stops the hand-over instead of travelling.
Nothing here touches the database's state: building a package only reads.
"""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bagit
from sqlalchemy import select
from sqlalchemy.orm import Session

from records import spreadsheet
from records.disposition import forms, organisation
from records.disposition.inventories import inventory_cases
from records.disposition.rules import case_rule_text
from records.errors import Conflict
from records.i18n import _l
from records.models import ArchiveInventory, Case, Document, DocumentFile, DocumentState, InventoryStatus
from storage.base import BlobStore

CSV_COLUMNS = ["case_index", "case_year", "case_volume", "case_heading_ky", "case_heading_ru", "retention",
               "date_range", "sheets", "document_id", "doc_type", "title", "doc_date", "number", "counterparty",
               "language", "version", "original_filename", "path", "sha256", "size", "mime"]
_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


@dataclass(frozen=True)
class Package:
    """A written and validated package: the zip, and what it holds."""

    path: Path
    filename: str  # the name to download it under
    cases: int
    files: int
    payload_bytes: int


def safe_name(name: str) -> str:
    """A file name fit for any archive's file system: letters (Cyrillic kept), digits, ``.-_``."""
    name = unicodedata.normalize("NFC", name).replace("/", "_").replace("\\", "_")
    cleaned = _UNSAFE.sub("_", name).strip("._") or "file"
    return cleaned[:120]


def _case_folder(case: Case) -> str:
    return f"{case.index}_{case.year}" + (f"_t{case.volume}" if case.volume > 1 else "")


def _documents(session: Session, case: Case) -> list[Document]:
    return list(session.scalars(select(Document).where(Document.case_id == case.id, Document.state == DocumentState.ACTIVE)
                                .order_by(Document.id)))


def _copy_blob(store: BlobStore, version: DocumentFile, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with store.open(version.sha256) as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, 1024 * 1024)


def _write_payload(session: Session, store: BlobStore, inventory: ArchiveInventory, cases: list[Case],
                   root: Path) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Lay out the payload in ``root`` (bagit moves it under data/); returns bag path -> catalogue sha256,
    and the catalogue records of the cases."""
    expected: dict[str, str] = {}
    inv_dir = root / "inventory"
    inv_dir.mkdir(parents=True)
    number = safe_name(inventory.number)
    for lang in ("ky", "ru"):
        for fmt in forms.FORMATS:
            (inv_dir / f"inventory-{number}-{lang}.{fmt}").write_bytes(forms.inventory_form(session, inventory, fmt,
                                                                                            lang))
    records = []
    for case in cases:
        folder = _case_folder(case)
        documents = []
        for document in _documents(session, case):
            files = []
            for version in document.versions:
                name = f"{document.id}-v{version.version}-{safe_name(version.original_filename)}"
                _copy_blob(store, version, root / "cases" / folder / name)
                bag_path = f"data/cases/{folder}/{name}"
                expected[bag_path] = version.sha256
                files.append({"version": version.version, "original_filename": version.original_filename,
                              "path": bag_path, "sha256": version.sha256, "size": version.size,
                              "mime": version.mime, "uploaded_at": version.uploaded_at.isoformat()})
            documents.append({"id": document.id, "doc_type": document.doc_type, "title": document.title,
                              "doc_date": document.doc_date.isoformat() if document.doc_date else None,
                              "number": document.number, "counterparty": document.counterparty,
                              "language": document.language, "files": files})
        records.append({"index": case.index, "year": case.year, "volume": case.volume,
                        "heading_ky": case.item.title("ky"), "heading_ru": case.item.title("ru"),
                        "retention": case_rule_text(case), "date_range": forms.inventory_cells(1, case, "ru")[3],
                        "sheets": case.sheets, "is_paper": case.is_paper, "documents": documents})
    return expected, records


def _metadata(root: Path, inventory: ArchiveInventory, org: organisation.Organisation,
              records: list[dict[str, Any]]) -> None:
    meta = root / "metadata"
    meta.mkdir()
    body = {"inventory": {"number": inventory.number, "year": inventory.year, "status": inventory.status,
                          "protocol_number": inventory.protocol_number,
                          "protocol_date": inventory.protocol_date.isoformat() if inventory.protocol_date else None},
            "organisation": org.to_json(), "cases": records}
    (meta / "catalogue.json").write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
    out = io.StringIO()
    writer = spreadsheet.SafeWriter(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for case in records:
        for document in case["documents"]:
            for f in document["files"]:
                writer.writerow([case["index"], case["year"], case["volume"], case["heading_ky"], case["heading_ru"],
                                 case["retention"], case["date_range"], case["sheets"] or "", document["id"],
                                 document["doc_type"], document["title"], document["doc_date"] or "",
                                 document["number"] or "", document["counterparty"] or "", document["language"] or "",
                                 f["version"], f["original_filename"], f["path"], f["sha256"], f["size"], f["mime"]])
    (meta / "catalogue.csv").write_text(out.getvalue(), encoding="utf-8")


def _check(bag: bagit.Bag, expected: dict[str, str]) -> None:
    """The bag is complete and every checksum holds, and the stored bytes are those the catalogue filed."""
    try:
        bag.validate(processes=1)
    except bagit.BagValidationError as exc:
        raise Conflict("bag_invalid", _l("The hand-over package did not validate: %(error)s", error=str(exc))) from None
    manifest = bag.payload_entries()
    for path, sha256 in expected.items():
        if manifest.get(path, {}).get("sha256") != sha256:
            raise Conflict("bag_mismatch", _l("A stored file of %(path)s does not match the catalogue's checksum.",
                                              path=path))


def _zip(source: Path, target: Path) -> None:
    """Zip the bag under its own folder name, to a temporary file made final only once complete."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".zip")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(source.rglob("*")):
                if path.is_file():
                    zf.write(path, f"{source.name}/{path.relative_to(source).as_posix()}")
        with zipfile.ZipFile(tmp) as zf:
            if zf.testzip() is not None:
                raise Conflict("zip_invalid", _l("The hand-over package could not be written completely."))
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def packages_dir(config: Mapping[str, Any]) -> Path:
    """Where written packages are kept: ``<DATA_DIR>/packages`` (each inventory's latest replaces the last)."""
    return Path(config["DATA_DIR"]) / "packages"


def package_filename(inventory: ArchiveInventory) -> str:
    return f"handover-{inventory.year}-{safe_name(inventory.number)}.zip"


def build_package(session: Session, store: BlobStore, inventory: ArchiveInventory, out_dir: Path) -> Package:
    """Write the inventory's hand-over package as a zipped, validated BagIt bag in ``out_dir``."""
    if inventory.status not in (InventoryStatus.APPROVED, InventoryStatus.TRANSFERRED):
        raise Conflict("not_approved", _l("The inventory must be approved before its cases are handed over."))
    cases = inventory_cases(session, inventory)
    if not cases:
        raise Conflict("empty_inventory", _l("The inventory lists no cases; there is nothing to hand over."))
    org = organisation.details(session)
    out_dir.mkdir(parents=True, exist_ok=True)
    filename = package_filename(inventory)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".bag-") as work:
        root = Path(work) / filename.removesuffix(".zip")
        root.mkdir()
        expected, records = _write_payload(session, store, inventory, cases, root)
        _metadata(root, inventory, org, records)
        bagit.make_bag(str(root), bag_info={
            "Source-Organization": org.name or "—",
            "Organization-Address": org.department or "—",
            "External-Identifier": f"inventory {inventory.number} ({inventory.year})",
            "External-Description": f"Permanent cases handed over with inventory {inventory.number}",
            "Bag-Group-Identifier": f"fond {org.fond_number}" if org.fond_number else "—",
            "Bagging-Date": datetime.now(UTC).date().isoformat(),
        }, checksums=["sha256"])
        _check(bagit.Bag(str(root)), expected)
        target = out_dir / filename
        _zip(root, target)
        payload = sum(p.stat().st_size for p in (root / "data").rglob("*") if p.is_file())
        files = len(expected)
    return Package(path=target, filename=filename, cases=len(cases), files=files, payload_bytes=payload)

