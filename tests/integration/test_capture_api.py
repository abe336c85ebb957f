"""Filing through the JSON API: every allowed type lands in its case with its text; every refusal
answers with its reason and leaves no blob, no row and no index entry."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from records.models import Blob, Case, Document, DocumentFile, IndexTask
from records.search.indexing import get_index
from tests import samples

YEAR = date.today().year
SHEET = [["№", "Мазмуну"], ["1", samples.KY_TEXT], ["2", samples.RU_TEXT]]

GOOD = {
    "pdf": lambda d: samples.make_text_pdf(d),
    "docx": lambda d: samples.make_docx(d),
    "doc": lambda d: samples.make_doc(d),
    "odt": lambda d: samples.make_odt(d),
    "rtf": lambda d: samples.make_rtf(d),
    "txt": lambda d: samples.make_txt(d),
    "txt-cp1251": lambda d: samples.make_txt(d, encoding="cp1251", name="win.txt"),
    "xlsx": lambda d: samples.make_xlsx(d, rows=SHEET),
    "xls": lambda d: samples.make_xls(d, rows=SHEET),
    "ods": lambda d: samples.make_ods(d, rows=SHEET),
}

BAD = {
    "empty": (samples.make_empty, "empty", 422),
    "exe named pdf": (samples.make_exe_as_pdf, "type_not_allowed", 422),
    "html named txt": (samples.make_html_as_txt, "type_not_allowed", 422),
    "png named pdf": (samples.make_png_as_pdf, "type_mismatch", 422),
    "truncated pdf": (samples.make_truncated_pdf, "damaged", 422),
    "broken zip": (samples.make_broken_zip, "damaged", 422),
    "encrypted pdf": (samples.make_encrypted_pdf, "encrypted", 422),
    "zip bomb": (samples.make_zip_bomb_docx, "inflates_too_much", 422),
    "macros": (samples.make_macro_docx, "macros", 422),
    "exe inside": (samples.make_docx_with_exe, "executable_content", 422),
    "billion laughs": (samples.make_billion_laughs_docx, "xml_entities", 422),
    "external entity": (samples.make_external_entity_docx, "xml_entities", 422),
}


def post(client: Any, token: str, path: Path | None, **fields: Any) -> Any:
    data: dict[str, Any] = {"index": "12-4-7", "year": str(YEAR), "doc_type": "protocol",
                            "title": "Протокол №5", "doc_date": f"{YEAR}-01-15", "number": "5", "language": "ky"}
    data.update({k: v for k, v in fields.items() if v is not None})
    for k in [k for k, v in fields.items() if v is None]:
        data.pop(k, None)
    if path is not None:
        data["file"] = (path.open("rb"), fields.get("filename") or path.name)
    data.pop("filename", None)
    return client.post("/api/v1/documents", data=data, headers={"Authorization": f"Bearer {token}"},
                       content_type="multipart/form-data")


def residue(app: Flask, db_session: Any) -> dict[str, int]:
    blobs_dir = Path(app.config["DATA_DIR"]) / "blobs"
    files = [p for p in blobs_dir.rglob("*") if p.is_file()] if blobs_dir.exists() else []
    tmp = [p for p in (Path(app.config["DATA_DIR"]) / "tmp").glob("*")]
    return {
        "blob_files": len(files), "tmp_files": len(tmp),
        "blobs": db_session.scalar(select(func.count()).select_from(Blob)),
        "documents": db_session.scalar(select(func.count()).select_from(Document)),
        "versions": db_session.scalar(select(func.count()).select_from(DocumentFile)),
        "cases": db_session.scalar(select(func.count()).select_from(Case)),
        "index_tasks": db_session.scalar(select(func.count()).select_from(IndexTask)),
        "indexed": get_index(app).doc_count(),
    }


@pytest.fixture
def secretary_token(api_token: Callable[..., str]) -> str:
    return api_token("secretary")


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_each_allowed_type_is_filed_with_its_text(app: Flask, client, secretary_token, tmp_path, db_session, kind) -> None:  # type: ignore[no-untyped-def]
    path = GOOD[kind](tmp_path)
    resp = post(client, secretary_token, path)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert body["size"] == path.stat().st_size
    assert (body["index"], body["year"]) == ("12-4-7", YEAR)
    assert body["text_status"] == "done", body
    doc_id = body["id"]
    # The document is in the index with its words, found by other forms of them.
    index = get_index(app)
    assert doc_id in [h.id for h in index.search("заседание", snippets=False).hits]
    if kind != "txt-cp1251":  # Windows-1251 has no Kyrgyz letters; that sample is Russian only
        assert doc_id in [h.id for h in index.search("келишим", snippets=False).hits]
    got = client.get(f"/api/v1/documents/{doc_id}/file", headers={"Authorization": f"Bearer {secretary_token}"})
    assert got.status_code == 200 and got.data == path.read_bytes()
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["Content-Type"].split(";")[0] == body["mime"]


@pytest.mark.parametrize("case", sorted(BAD))
def test_refusals_answer_with_reason_and_leave_nothing(app: Flask, client, secretary_token, tmp_path, db_session, case) -> None:  # type: ignore[no-untyped-def]
    maker, code, status = BAD[case]
    before = residue(app, db_session)
    resp = post(client, secretary_token, maker(tmp_path))
    assert resp.status_code == status, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == code and len(error["message"]) > 10
    assert residue(app, db_session) == before


def test_metadata_refusals(app: Flask, client, secretary_token, tmp_path, db_session) -> None:  # type: ignore[no-untyped-def]
    path = samples.make_text_pdf(tmp_path)
    before = residue(app, db_session)
    cases = [
        ({"doc_date": "2024-13-45"}, "bad_date"),
        ({"doc_date": "15.01.2024"}, "bad_date"),
        ({"doc_type": "letter"}, "bad_doc_type"),
        ({"title": "   "}, "no_title"),
        ({"index": "12-4-99"}, "unknown_case"),
        ({"index": "../../etc"}, "unknown_case"),
        ({"year": "20x4"}, "bad_year"),
        ({"language": "de"}, "bad_language"),
    ]
    for fields, code in cases:
        resp = post(client, secretary_token, path, **fields)
        assert resp.status_code in (400, 404), (fields, resp.get_json())
        assert resp.get_json()["error"]["code"] == code, fields
    resp = post(client, secretary_token, None)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "no_file"
    assert residue(app, db_session) == before


def test_oversized_upload_is_refused_while_streaming(app: Flask, client, secretary_token, tmp_path, db_session) -> None:  # type: ignore[no-untyped-def]
    app.config["MAX_UPLOAD_BYTES"] = 50_000
    path = samples.make_txt(tmp_path, text="протокол " * 20_000)
    before = residue(app, db_session)
    resp = post(client, secretary_token, path)
    assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "too_large"
    assert residue(app, db_session) == before


def test_same_bytes_are_recognised_and_stored_once(app: Flask, client, secretary_token, tmp_path, db_session) -> None:  # type: ignore[no-untyped-def]
    path = samples.make_text_pdf(tmp_path)
    first = post(client, secretary_token, path).get_json()
    again = post(client, secretary_token, path, index="12-4-3", doc_type="order")
    assert again.status_code == 409
    err = again.get_json()["error"]
    assert err["code"] == "duplicate" and err["existing"][0]["id"] == first["id"] and "12-4-7" in err["message"]
    forced = post(client, secretary_token, path, index="12-4-3", doc_type="order", allow_duplicate="1")
    assert forced.status_code == 201
    assert residue(app, db_session)["blob_files"] == 1
    assert db_session.scalar(select(func.count()).select_from(Blob)) == 1


def test_odd_file_names_are_kept_as_metadata_only(app: Flask, client, secretary_token, tmp_path, db_session) -> None:  # type: ignore[no-untyped-def]
    path = samples.make_text_pdf(tmp_path)
    resp = post(client, secretary_token, path, filename="../../etc/\u202eгдп.exe\x07.pdf")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert "/" not in body["filename"] and "\x07" not in body["filename"] and "\u202e" not in body["filename"]
    got = client.get(f"/api/v1/documents/{body['id']}/file", headers={"Authorization": f"Bearer {secretary_token}"})
    assert "attachment" in got.headers["Content-Disposition"] and "/" not in got.headers["Content-Disposition"]


def test_auditor_cannot_file_and_secretary_reads(app: Flask, client, api_token, tmp_path) -> None:  # type: ignore[no-untyped-def]
    auditor = api_token("auditor")
    resp = post(client, auditor, samples.make_text_pdf(tmp_path))
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"


@pytest.mark.ocr
def test_scans_come_back_with_their_words(app: Flask, client, secretary_token, tmp_path, ocr_ready) -> None:  # type: ignore[no-untyped-def]
    ky = post(client, secretary_token, samples.make_scan_image(tmp_path, samples.KY_TEXT, name="ky.png"))
    ru = post(client, secretary_token, samples.make_scan_image(tmp_path, samples.RU_TEXT, fmt="jpeg", name="ru.jpg"),
              title="Скан")
    assert ky.status_code == 201 and ru.status_code == 201
    assert ky.get_json()["text_status"] == "done" and ru.get_json()["text_status"] == "done"
    index = get_index(app)
    assert ky.get_json()["id"] in [h.id for h in index.search("кафедра", snippets=False).hits]
    assert ru.get_json()["id"] in [h.id for h in index.search("договор", snippets=False).hits]


@pytest.mark.ocr
def test_blank_scan_is_filed_with_no_text(app: Flask, client, secretary_token, tmp_path, ocr_ready) -> None:  # type: ignore[no-untyped-def]
    resp = post(client, secretary_token, samples.make_blank_scan(tmp_path))
    assert resp.status_code == 201 and resp.get_json()["text_status"] == "none"
