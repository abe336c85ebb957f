"""The nomenclature page, import/export, copying to the next year and approval."""
from __future__ import annotations

import io
from datetime import date

from flask import Flask
from sqlalchemy import select

from records import disposition, nomenclature
from records.models import AuditEvent, Nomenclature

YEAR = date.today().year


def test_page_shows_all_items_with_their_rules(login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as("auditor")
    client.set_cookie("lang", "ru")
    html = client.get(f"/nomenclature/?year={YEAR}").get_data(as_text=True)
    assert html.count('data-index="12-4-') == 29
    assert "Протоколы заседаний кафедры" in html
    row7 = html.split('data-index="12-4-7"')[1].split("</tr>")[0]
    assert "Постоянно, ст. 334" in row7
    row8 = html.split('data-index="12-4-8"')[1].split("</tr>")[0]
    assert "5 лет, ст. 343" in row8
    row1 = html.split('data-index="12-4-1"')[1].split("</tr>")[0]
    assert "До минования надобности" in row1
    row17 = html.split('data-index="12-4-17"')[1].split("</tr>")[0]
    assert "1 год, ст. 424" in row17


def test_page_in_kyrgyz_prints_rules_in_kyrgyz(login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as("auditor")
    client.set_cookie("lang", "ky")
    html = client.get(f"/nomenclature/?year={YEAR}").get_data(as_text=True)
    row7 = html.split('data-index="12-4-7"')[1].split("</tr>")[0]
    assert "Туруктуу" in row7 and "Кафедранын отурумдарынын протоколдору" in row7 and "Миңбар" not in html and "Токтом" not in html


def test_csv_and_xlsx_export_round_trip(app: Flask, login_as, db_session) -> None:  # type: ignore[no-untyped-def]
    client = login_as("archivist")
    csv_bytes = client.get(f"/nomenclature/{YEAR}.csv").data
    rows = nomenclature.read_csv(csv_bytes)
    assert [r.index for r in rows][:3] == ["12-4-1", "12-4-2", "12-4-3"] and len(rows) == 29
    xlsx = client.get(f"/nomenclature/{YEAR}.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert [r.retention for r in nomenclature.read_xlsx(xlsx.data)] == [r.retention for r in rows]

    # Import the exported XLSX as next year's nomenclature.
    resp = client.post(f"/nomenclature/{YEAR + 1}/import",
                       data={"table": (io.BytesIO(xlsx.data), "n.xlsx")}, content_type="multipart/form-data")
    assert resp.status_code == 302
    nom = db_session.scalar(select(Nomenclature).where(Nomenclature.year == YEAR + 1))
    assert nom is not None and len(nom.items) == 29


def test_bad_import_is_refused_and_changes_nothing(app: Flask, login_as, db_session) -> None:  # type: ignore[no-untyped-def]
    client = login_as("archivist")
    bad = "index,title_ky,title_ru,title_en,retention,note\n12-4-1,Аталыш,Название,Title,навсегда,\n"
    resp = client.post(f"/nomenclature/{YEAR + 2}/import",
                       data={"table": (io.BytesIO(bad.encode()), "n.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 400
    text = resp.get_data(as_text=True)
    assert "Line 2" in text or "2" in text
    assert db_session.scalar(select(Nomenclature).where(Nomenclature.year == YEAR + 2)) is None
    resp = client.post(f"/nomenclature/{YEAR + 2}/import",
                       data={"table": (io.BytesIO(b"a,b\n1,2\n"), "n.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 400


def test_copy_to_next_year_and_approval_rules(app: Flask, login_as, db_session) -> None:  # type: ignore[no-untyped-def]
    archivist = login_as("archivist")
    resp = archivist.post("/nomenclature/create", data={"year": YEAR + 1, "source": "copy", "from_year": YEAR})
    assert resp.status_code == 302
    nom = db_session.scalar(select(Nomenclature).where(Nomenclature.year == YEAR + 1))
    assert nom.based_on_year == YEAR and nom.status == "draft" and len(nom.items) == 29

    # The archivist cannot approve; a head who drafted cannot approve his own draft.
    assert archivist.post(f"/nomenclature/{YEAR + 1}/approve").status_code == 403
    app.config["ALLOW_COMBINED_ROLES"] = True  # a very small office, where one person may hold both
    drafting_head = login_as("head", "archivist")
    drafting_head.post("/nomenclature/create", data={"year": YEAR + 2, "source": "shipped"})
    resp = drafting_head.post(f"/nomenclature/{YEAR + 2}/approve")
    assert resp.status_code == 403

    head = login_as("head")
    assert head.post(f"/nomenclature/{YEAR + 1}/approve").status_code == 302
    db_session.expire_all()
    nom = db_session.scalar(select(Nomenclature).where(Nomenclature.year == YEAR + 1))
    assert nom.status == "approved" and nom.approved_by_id == head.user.id
    assert head.post(f"/nomenclature/{YEAR + 1}/approve").status_code == 409
    assert db_session.scalar(select(AuditEvent).where(AuditEvent.action == "nomenclature:approve")) is not None


def test_editing_an_item_validates_and_sends_back_to_draft(app: Flask, login_as, db_session) -> None:  # type: ignore[no-untyped-def]
    nom = db_session.scalar(select(Nomenclature).where(Nomenclature.year == YEAR))
    item = next(i for i in nom.items if i.index == "12-4-8")
    head = login_as("head")
    assert head.post(f"/nomenclature/{YEAR}/approve").status_code == 302

    archivist = login_as("archivist")
    resp = archivist.post(f"/nomenclature/items/{item.id}/edit", data={
        "title_ky": item.title_ky, "title_ru": item.title_ru, "title_en": item.title_en,
        "retention": "вечно", "note": ""})
    assert resp.status_code == 400 and "Accepted" in resp.get_data(as_text=True)

    resp = archivist.post(f"/nomenclature/items/{item.id}/edit", data={
        "title_ky": item.title_ky, "title_ru": item.title_ru, "title_en": "Minutes of open lectures",
        "retention": "5 лет ЭПК ст.343", "note": ""})
    assert resp.status_code == 302
    db_session.expire_all()
    item = db_session.get(type(item), item.id)
    assert item.title_en == "Minutes of open lectures" and item.epk and item.retention_years == 5
    assert item.nomenclature.status == "draft"


def test_year_end_count(app: Flask, db_session) -> None:  # type: ignore[no-untyped-def]
    from records import cases

    with app.app_context():  # the audit trail's key belongs to the app
        for index in ("12-4-7", "12-4-8", "12-4-25", "12-4-27", "12-4-1"):
            cases.case_for_filing(db_session, YEAR, index, actor="test")
        db_session.flush()
    nom = nomenclature.require(db_session, YEAR)
    count = disposition.closing.year_end_count(db_session, nom)
    assert (count.total, count.permanent.total, count.over_10_years.total, count.up_to_10_years.total) == (5, 1, 0, 4)


def test_filing_into_an_old_year_drafts_its_nomenclature_from_the_nearest(app: Flask, db_session) -> None:  # type: ignore[no-untyped-def]
    from records import cases

    with app.app_context():  # the audit trail's key belongs to the app
        case = cases.case_for_filing(db_session, 2015, "12-4-7", actor="test")
    nom = nomenclature.require(db_session, 2015)
    assert case.year == 2015 and nom.based_on_year == YEAR and nom.status == "draft"
