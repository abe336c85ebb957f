"""The standard forms as users download them, read back from the files: the destruction act, the
inventory of permanent cases and the nomenclature, in Russian and Kyrgyz, PDF (text extracted with
poppler's pdftotext, as a reader's copy-paste gets it) and XLSX (openpyxl)."""
from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from records import cases, nomenclature, pdf
from records.db import session_scope
from records.disposition import acts, closing, forms, inventories, organisation
from records.models import ArchiveInventory, Case, DisposalAct, InventoryStatus, User

ORG = {"name": "Кыргыз-Түрк Манас университети", "department": "Тоо-кен иши кафедрасы", "fond_number": "112",
       "approver_position": "Проректор по учебной работе", "approver_name": "А. А. Асанов",
       "commission_chair": "Б. Б. Бекова"}


@dataclass
class Papers:
    act_id: int
    inventory_id: int
    officer: User


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """The PDF's text with runs of whitespace made one space (a line break inside a cell is a space)."""
    path = tmp_path / "form.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode("utf-8").split())


def assert_headers_whole(text: str, headers: list[str]) -> None:
    """Every column heading reads back whole: no word broken across lines ("Количес тво")."""
    for header in headers:
        assert " ".join(header.split()) in text, header


@pytest.fixture
def papers(app: Flask, make_user: Any) -> Papers:
    """2019: a 1-year case (12-4-17), a 2-year case (12-4-28) and a permanent one (12-4-7), closed; the
    temporary ones in act No. 4 of 2022, the permanent one in inventory 1-П drawn up in 2022."""
    officer = make_user("archivist")
    with app.app_context(), session_scope(app) as session:
        organisation.save(session, ORG, actor="test")
        nom = nomenclature.ensure_shipped(session, 2019)
        opened = {index: cases.open_case(session, cases.find_item(session, 2019, index), actor=None,
                                         today=date(2019, 2, 1))
                  for index in ("12-4-7", "12-4-17", "12-4-28", "12-4-8", "12-4-22")}
        opened["12-4-7"].is_paper, opened["12-4-7"].sheets = True, 48
        opened["12-4-22"].carry_over = True
        opened["12-4-8"].retention_override, opened["12-4-8"].override_reason = "5 л. ЭПК", "Комиссия"
        session.flush()
        closing.close_year(session, 2019, actor="test", acknowledged=True, today=date(2020, 1, 10))
        user = session.get(User, officer.id)
        act = acts.draft_act(session, number="4/К", act_date=date(2022, 1, 20), actor=user,
                             case_ids=[opened["12-4-17"].id, opened["12-4-28"].id])
        inventory = inventories.draft_inventory(session, number="1-П", inventory_date=date(2022, 1, 15),
                                                case_ids=[opened["12-4-7"].id], actor=user)
        session.flush()
        assert nom.items
        return Papers(act.id, inventory.id, officer)


def test_act_in_russian_has_every_part_of_the_standard_form(app: Flask, papers: Papers, login_as: Any,
                                                            tmp_path: Path) -> None:
    reader = login_as("auditor")
    page = reader.get(f"/disposal/acts/{papers.act_id}").get_data(as_text=True)
    for link in (f"/disposal/acts/{papers.act_id}.pdf?lang=ru", f"/disposal/acts/{papers.act_id}.xlsx?lang=ky"):
        assert link in page, link
    text = pdf_text(reader.get(f"/disposal/acts/{papers.act_id}.pdf?lang=ru").get_data(), tmp_path)
    for part in ("Кыргыз-Түрк Манас университети", "Тоо-кен иши кафедрасы", "Фонд № 112",
                 "УТВЕРЖДАЮ", "Проректор по учебной работе", "А. А. Асанов", "«___» ____________ 20__ г.",
                 "АКТ о выделении к уничтожению документов, не подлежащих хранению", "№ 4/К от 20.01.2022",
                 "На основании Перечня типовых документов, образующихся в деятельности организаций, с указанием "
                 "сроков хранения (статьи 424, 483) отобраны к уничтожению как не имеющие научно-исторической "
                 "ценности и утратившие практическое значение документы фонда № 112 (Кыргыз-Түрк Манас "
                 "университети):",
                 "Документы по организации курсового проектирования", "Документы по материально-технической базе",
                 "номенклатура 2019 г.", "1 год, ст. 424", "Итого: 2 (две) ед. хр. за 2019 год.",
                 "Лицо, ответственное за делопроизводство", "подпись", "СОГЛАСОВАНО Протокол ЭК от ____________ № ______"):
        assert part in text, part
    assert_headers_whole(text, forms.act_headers("ru"))
    # Nothing claims what has not happened: no inventory is approved, the act is not executed.
    assert "Описи дел постоянного хранения" not in text and "уничтожены" not in text
    assert "дел(а)" not in text


def test_act_states_approved_inventories_agreement_and_destruction_once_they_happened(
        app: Flask, papers: Papers, login_as: Any, make_user: Any, tmp_path: Path) -> None:
    approver = make_user("head")
    with app.app_context(), session_scope(app) as session:
        inventory = session.get(ArchiveInventory, papers.inventory_id)
        inventory.status, inventory.protocol_number, inventory.protocol_date = (
            InventoryStatus.APPROVED, "2", date(2022, 1, 10))
        act = session.get(DisposalAct, papers.act_id)
        act.protocol_number, act.protocol_date = "3", date(2022, 2, 15)
        act.approved_by_id, act.approved_at = approver.id, datetime(2022, 2, 20, 9, tzinfo=timezone.utc)
        act.executed_at, act.executed_by_id = datetime(2022, 3, 1, 9, tzinfo=timezone.utc), papers.officer.id
        act.destruction_method, act.destroyed_on = "shredding", date(2022, 3, 1)
    reader = login_as("auditor")
    ru = pdf_text(reader.get(f"/disposal/acts/{papers.act_id}.pdf?lang=ru").get_data(), tmp_path)
    for part in ("Описи дел постоянного хранения за 2019 год утверждены (протокол ЭК от 10.01.2022 № 2).",
                 "СОГЛАСОВАНО Протокол ЭК от 15.02.2022 № 3", "20.02.2022",
                 "Документы в количестве 2 (две) ед. хр. уничтожены путём измельчения 01.03.2022.",
                 "Документы уничтожил"):
        assert part in ru, part
    ky = pdf_text(reader.get(f"/disposal/acts/{papers.act_id}.pdf?lang=ky").get_data(), tmp_path)
    for part in ("БЕКИТЕМИН", "Сактоого жатпаган документтерди жок кылууга бөлүп чыгаруу жөнүндө АКТ",
                 "Уюмдардын ишмердүүлүгүндө түзүлүүчү типтүү документтердин сактоо мөөнөттөрү көрсөтүлгөн "
                 "тизмесинин (424, 483-беренелер) негизинде илимий-тарыхый баалуулугу жок жана практикалык "
                 "маанисин жоготкон катары № 112 фонддун",
                 "Кафедранын материалдык-техникалык", "2019-ж. номенклатурасы",
                 "Бардыгы: 2019-жыл үчүн 2 (эки) сактоо бирдиги.",
                 "2019-жыл үчүн туруктуу сактоодогу иштердин тизмектери бекитилген (ЭКнын 10.01.2022 № 2 протоколу).",
                 "МАКУЛДАШЫЛДЫ ЭКнын протоколу 15.02.2022 № 3", "Иш кагаздарын жүргүзүүгө жооптуу адам",
                 "2 (эки) сактоо бирдиги көлөмүндөгү документтер 01.03.2022 майдалоо жолу менен жок кылынды."):
        assert part in ky, part
    assert_headers_whole(ky, forms.act_headers("ky"))
    assert "ЭПК" not in ky and "Четки" not in ky

    book = load_workbook(io.BytesIO(reader.get(f"/disposal/acts/{papers.act_id}.xlsx?lang=ru").get_data()))
    cells = [str(c) for row in book.active.iter_rows(values_only=True) for c in row if c is not None]
    assert forms.act_headers("ru")[1] in cells and "Итого: 2 (две) ед. хр. за 2019 год." in cells
    assert "Документы по организации курсового проектирования" in cells
    assert any(c.startswith("УТВЕРЖДАЮ Проректор по учебной работе") for c in cells)


def test_inventory_names_the_cases_years_and_closes_with_its_count_in_words(
        app: Flask, papers: Papers, login_as: Any, tmp_path: Path) -> None:
    reader = login_as("auditor")
    ru = pdf_text(reader.get(f"/disposal/inventories/{papers.inventory_id}.pdf?lang=ru").get_data(), tmp_path)
    for part in ("ОПИСЬ № 1-П", "дел постоянного хранения за 2019 год", "Фонд № 112", "УТВЕРЖДАЮ",
                 "Протоколы заседаний кафедры", "48", "В данный раздел описи внесено 1 (одно) дело с № 1 по № 1.",
                 "Составитель описи: Лицо, ответственное за делопроизводство", papers.officer.full_name,
                 "СОГЛАСОВАНО Протокол ЭК от ____________ № ______"):
        assert part in ru, part
    assert "2022 год" not in ru  # the year the inventory was drawn up is not the cases' year
    assert_headers_whole(ru, forms.inventory_headers("ru"))
    ky = pdf_text(reader.get(f"/disposal/inventories/{papers.inventory_id}.pdf?lang=ky").get_data(), tmp_path)
    for part in ("ТИЗМЕГИ № 1-П", "Туруктуу сактоодогу иштердин 2019-жыл үчүн", "Кафедранын отурумдарынын протоколдору",
                 "Тизмектин бул бөлүмүнө 1 (бир) иш киргизилди (№ 1 – № 1).", "МАКУЛДАШЫЛДЫ", "БЕКИТЕМИН"):
        assert part in ky, part
    assert_headers_whole(ky, forms.inventory_headers("ky"))
    book = load_workbook(io.BytesIO(reader.get(f"/disposal/inventories/{papers.inventory_id}.xlsx?lang=ru").get_data()))
    rows = [tuple(r) for r in book.active.iter_rows(values_only=True)]
    head = rows.index(tuple(forms.inventory_headers("ru")))
    assert rows[head + 1] == (1, 2, 3, 4, 5, 6) and rows[head + 2][:3] == (1, "12-4-7", "Протоколы заседаний кафедры")
    assert rows[head + 2][4] == 48
    assert ("В данный раздел описи внесено 1 (одно) дело с № 1 по № 1.",) == rows[head + 4][:1]


def test_nomenclature_form_with_its_complete_year_end_record(app: Flask, papers: Papers, login_as: Any,
                                                            tmp_path: Path) -> None:
    reader = login_as("auditor")
    with app.app_context(), session_scope(app) as session:
        count = closing.year_end_count(session, nomenclature.require(session, 2019))
        # Permanent: 12-4-7 and 12-4-22 (carried over); up to 10 years: 12-4-17, 12-4-28, and 12-4-8, whose
        # override makes it ЭПК-marked.
        assert (count.permanent.total, count.permanent.carried_over, count.permanent.epk) == (2, 1, 0)
        assert (count.up_to_10_years.total, count.up_to_10_years.epk) == (3, 1)
        assert (count.over_10_years.total, count.total, count.carried_over, count.epk) == (0, 5, 1, 1)
    ru = pdf_text(reader.get("/nomenclature/2019/form.pdf?lang=ru").get_data(), tmp_path)
    for part in ("Кыргыз-Түрк Манас университети", "УТВЕРЖДАЮ", "Заведующий кафедрой", "НОМЕНКЛАТУРА ДЕЛ",
                 "на 2019 год", "(проект, не утверждена)", "12-4-29", "Выписка из номенклатуры дел",
                 "Итоговая запись о категориях и количестве дел, заведённых в 2019 году",
                 "Постоянного 2 1 0", "Временного (свыше 10 лет) 0 0 0",
                 "Временного (до 10 лет включительно) 3 0 1", "ИТОГО 5 1 1"):
        assert part in ru, part
    assert_headers_whole(ru, forms.nomenclature_headers("ru"))
    ky = pdf_text(reader.get("/nomenclature/2019/form.pdf?lang=ky").get_data(), tmp_path)
    for part in ("ИШТЕРДИН НОМЕНКЛАТУРАСЫ", "2019-жылга", "БЕКИТЕМИН", "Кафедра башчысы", "Туруктуу 2 1 0",
                 "ЖАЛПЫ 5 1 1", "Кафедранын иш планы (мерчеми)"):
        assert part in ky, part
    assert "Миңбар" not in ky and "Токтом" not in ky
    page = reader.get("/nomenclature/?year=2019").get_data(as_text=True)
    assert "/nomenclature/2019/form.pdf?lang=ky" in page


@pytest.mark.parametrize("lang", ["ru", "ky", "en"])
def test_every_column_heading_fits_without_breaking_a_word(lang: str) -> None:
    for headers, widths, landscape in ((forms.act_headers(lang), forms.ACT_WIDTHS, True),
                                       (forms.inventory_headers(lang), forms.INVENTORY_WIDTHS, True),
                                       (forms.nomenclature_headers(lang), forms.NOMENCLATURE_WIDTHS, False)):
        form = pdf.TableForm(title="", headers=headers, rows=[], widths=widths, landscape=landscape)
        assert pdf.header_size(headers, pdf.column_widths(form)) is not None, headers


def test_inventory_sentence_needs_every_permanent_case_of_the_year_in_an_approved_inventory(
        app: Flask, papers: Papers) -> None:
    with app.app_context(), session_scope(app) as session:
        assert forms.approved_inventories(session, [2019]).years == []  # the inventory is a draft
        inventory = session.get(ArchiveInventory, papers.inventory_id)
        inventory.status = InventoryStatus.APPROVED
        session.flush()
        assert forms.approved_inventories(session, [2019]).years == [2019]
        assert forms.approved_inventories(session, [2018, 2019, 2020]).years == [2019]  # 2018, 2020: nothing closed
        # Another permanent case closed in 2019 and in no inventory: 2019 is no longer covered.
        carried = session.scalar(select(Case).where(Case.index == "12-4-22", Case.year == 2019))
        carried.state, carried.closed_on = "closed", date(2019, 12, 31)
        session.flush()
        assert forms.approved_inventories(session, [2019]).years == []
        carried.inventory_id = inventory.id
        session.flush()
        assert forms.approved_inventories(session, [2019]).years == [2019]
