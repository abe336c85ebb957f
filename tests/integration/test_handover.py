"""The hand-over package of an inventory: a BagIt bag the university archive can validate, holding the
inventory's forms, every version of every document of its cases with the catalogue's SHA-256, and the
catalogue's metadata; refused when a stored file no longer matches the catalogue."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import bagit
import pytest
from flask import Flask

from records.blobs import get_store
from records.capture import documents
from records.db import session_scope
from records.disposition import closing, inventories
from records.models import AuditEvent, DocumentFile, User
from tests.integration.server_process import run_cli


def _file(app: Flask, tmp_path: Path, index: str, name: str, text: str) -> tuple[int, int]:
    path = tmp_path / "upload.bin"
    path.write_text(text, encoding="utf-8")
    with app.app_context(), session_scope(app) as session, path.open("rb") as fh:
        filed = documents.file_document(
            app, session, year=2021, index=index,
            meta=documents.validate_metadata({"doc_type": "protocol", "title": f"{name} {text[:12]}",
                                              "doc_date": "2021-05-04"}),
            upload=documents.Upload(fh, name), actor=None)
        return filed.document.id, filed.document.case_id


@pytest.fixture
def inventory_id(app: Flask, tmp_path: Path, make_user: Any) -> int:
    """Inventory 1-П of 2024 listing two permanent cases of 2021, drafted, agreed by the commission and
    approved by the head of the organisation; three files."""
    officer, member, head = make_user("archivist"), make_user("commission"), make_user("approver")
    _doc, protocols = _file(app, tmp_path, "12-4-7", "Протокол №3 (кафедра).txt", "Кафедранын отуруму, 3-протокол")
    _file(app, tmp_path, "12-4-7", "Протокол №4.txt", "Кафедранын отуруму, 4-протокол")
    _doc, sac = _file(app, tmp_path, "12-4-19", "МАК отчету.txt", "Мамлекеттик аттестациялык комиссиянын отчету")
    with app.app_context(), session_scope(app) as session:
        closing.close_year(session, 2021, actor="test", acknowledged=True, today=date(2022, 1, 10))
    with app.app_context(), session_scope(app) as session:
        inventory = inventories.draft_inventory(session, number="1-П", inventory_date=date(2024, 2, 1),
                                                case_ids=[protocols, sac], actor=session.get(User, officer.id))
        session.flush()
        number = inventory.id
        inventories.agree_inventory(session, inventory, protocol_number="2", protocol_date=date(2024, 2, 10),
                                    actor=session.get(User, member.id))
        inventories.approve_inventory(session, inventory, actor=session.get(User, head.id))
        return number


def _bag(zip_bytes: bytes, where: Path) -> bagit.Bag:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        zf.extractall(where)
    (root,) = [p for p in where.iterdir() if p.is_dir()]
    return bagit.Bag(str(root))


def test_package_is_a_valid_bag_with_forms_files_and_metadata(app: Flask, inventory_id: int, login_as: Any,
                                                              tmp_path: Path) -> None:
    officer = login_as("archivist")
    page = officer.get(f"/disposal/inventories/{inventory_id}").get_data(as_text=True)
    assert f"/disposal/inventories/{inventory_id}/package.zip" in page
    # The zip is sent from its file; closing the response (as a WSGI server does) closes the file.
    with officer.get(f"/disposal/inventories/{inventory_id}/package.zip") as resp:
        assert resp.status_code == 200 and resp.mimetype == "application/zip"
        assert "filename*=UTF-8''handover-2024-1-%D0%9F.zip" in resp.headers["Content-Disposition"]
        bag = _bag(resp.get_data(), tmp_path / "received")
    bag.validate()  # completeness, Payload-Oxum and every SHA-256, as the archive checks it
    assert bag.algorithms == ["sha256"] and bag.info["External-Identifier"] == "inventory 1-П (2024)"
    payload = {path: digests["sha256"] for path, digests in bag.payload_entries().items()}
    assert {p for p in payload if p.startswith("data/inventory/")} == {
        f"data/inventory/inventory-1-П-{lang}.{fmt}" for lang in ("ky", "ru") for fmt in ("pdf", "xlsx")}
    with app.app_context(), session_scope(app) as session:
        stored = {v.sha256 for v in session.query(DocumentFile)}
    files = {p: d for p, d in payload.items() if p.startswith("data/cases/")}
    assert len(files) == 3 and set(files.values()) == stored
    assert any(p.startswith("data/cases/12-4-7_2021/") and p.endswith("Протокол_3_кафедра_.txt") for p in files)

    root = Path(bag.path)
    rows = list(csv.DictReader(io.StringIO((root / "data/metadata/catalogue.csv").read_text(encoding="utf-8"))))
    assert {r["path"]: r["sha256"] for r in rows} == files
    assert {r["case_index"] for r in rows} == {"12-4-7", "12-4-19"}
    assert all(r["retention"].startswith("Туруктуу") for r in rows)
    body = json.loads((root / "data/metadata/catalogue.json").read_text(encoding="utf-8"))
    assert body["inventory"]["number"] == "1-П" and [c["index"] for c in body["cases"]] == ["12-4-7", "12-4-19"]
    assert len(body["cases"][0]["documents"]) == 2
    assert (root / "data/inventory/inventory-1-П-ru.pdf").read_bytes()[:5] == b"%PDF-"

    # Damage found by the archive's own check: the bag refuses to validate.
    victim = root / next(iter(files))
    victim.write_bytes(victim.read_bytes() + b"!")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(root)).validate()
    with app.app_context(), session_scope(app) as session:
        assert session.query(AuditEvent).filter_by(action="inventory:package").count() == 1


def test_a_stored_file_that_no_longer_matches_the_catalogue_stops_the_package(app: Flask, inventory_id: int,
                                                                              login_as: Any) -> None:
    with app.app_context(), session_scope(app) as session:
        sha = session.query(DocumentFile).first().sha256
    store = get_store(app)
    blob = Path(app.config["DATA_DIR"]) / "blobs" / sha[:2] / sha[2:4] / sha
    assert blob.is_file() and store.exists(sha)
    blob.chmod(0o644)
    blob.write_bytes(b"bit rot")
    resp = login_as("archivist").get(f"/disposal/inventories/{inventory_id}/package.zip")
    assert resp.status_code == 409 and "checksum" in resp.get_data(as_text=True)
    assert not list((Path(app.config["DATA_DIR"]) / "packages").glob("*.zip"))


def test_cli_writes_the_package(app: Flask, inventory_id: int, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run_cli(app, "inventories", "package", str(inventory_id), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "2 case(s), 3 file(s)" in done.stdout and "bag valid" in done.stdout
    (written,) = out.glob("*.zip")
    bag = _bag(written.read_bytes(), tmp_path / "unzipped")
    bag.validate()
    missing = run_cli(app, "inventories", "package", "999999")
    assert missing.returncode != 0 and "no such inventory" in missing.stderr


def test_no_package_before_the_inventory_is_approved(app: Flask, tmp_path: Path, make_user: Any,
                                                    login_as: Any) -> None:
    officer = make_user("archivist")
    _doc, case_id = _file(app, tmp_path, "12-4-22", "Аспирант.txt", "Аспиранттын иш планы")
    with app.app_context(), session_scope(app) as session:
        closing.close_year(session, 2021, actor="test", acknowledged=True, today=date(2022, 1, 10))
    with app.app_context(), session_scope(app) as session:
        draft = inventories.draft_inventory(session, number="3", inventory_date=date(2024, 3, 1), case_ids=[case_id],
                                            actor=session.get(User, officer.id))
        session.flush()
        draft_id = draft.id
    officer_client = login_as("archivist")
    assert "package.zip" not in officer_client.get(f"/disposal/inventories/{draft_id}").get_data(as_text=True)
    resp = officer_client.get(f"/disposal/inventories/{draft_id}/package.zip")
    assert resp.status_code == 409 and "approved" in resp.get_data(as_text=True)
    assert not (Path(app.config["DATA_DIR"]) / "packages").exists() or \
        not list((Path(app.config["DATA_DIR"]) / "packages").glob("*.zip"))
