"""The yearly papers in their standard forms, in Kyrgyz and Russian (English for reference), as PDF and
XLSX: the destruction act, the inventory of permanent cases, and the nomenclature of cases.

Each form carries what archival practice asks of it: the organisation and fond at the top left, the
approval block (УТВЕРЖДАЮ / БЕКИТЕМИН) at the top right, the standard columns, totals in figures and
words, the expert commission's agreement (СОГЛАСОВАНО. Протокол ЭК от __ № __), positions and lines to
sign on. What is not yet decided prints as a blank to fill in by hand, never as a claim: the sentence
that the inventories of permanent cases are approved appears only for the years whose inventories are.

The wording is fixed notation printed in the language of the paper, chosen by a ``lang`` parameter
(not the reader's interface language), so it is kept here per language like the retention notation
(:func:`records.retention.format_retention`), not in the interface translations.
"""
from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from records import nomenclature, pdf, spreadsheet
from records.disposition import inventories, organisation
from records.disposition.closing import CategoryCount, YearEndCount, year_end_count
from records.disposition.organisation import Organisation
from records.disposition.reports import form_language
from records.forms_text import Unit, amount
from records.models import (
    ArchiveInventory,
    Case,
    DestructionMethod,
    DisposalAct,
    DisposalActRow,
    InventoryStatus,
    Nomenclature,
    ReviewDecision,
    User,
)
from records.retention import format_retention, parse_retention

BLANK_DATE = {"ru": "«___» ____________ 20__ г.", "ky": "20__-ж. «___» ____________", "en": "____________ 20__"}
BLANK = "____________"

WORDS: dict[str, dict[str, str]] = {
    "ru": {
        "approve": "УТВЕРЖДАЮ",
        "agree": "СОГЛАСОВАНО",
        "protocol": "Протокол ЭК",
        "protocol_of": "от {date} № {number}",
        "fond": "Фонд № {fond}",
        "sign_hint": "подпись",
        "date_label": "Дата",
        "approver": "Руководитель организации",
        "commission_chair": "Председатель ЭК",
        "records_officer": "Лицо, ответственное за делопроизводство",
        "head": "Заведующий кафедрой",
        "no": "№ п/п",
        "heading": "Заголовок дела",
        "act_heading": "Заголовок дела или групповой заголовок документов",
        "date_range": "Крайние даты",
        "inventory_ref": "Номер описи (номенклатуры) за год",
        "act_index": "Индекс дела (тома) по номенклатуре или № дела по описи",
        "volumes": "Количество дел (томов)",
        "retention": "Срок хранения и номера статей по перечню",
        "note": "Примечание",
        "index": "Индекс дела",
        "sheets": "Количество листов",
        "nom_heading": "Заголовок дела (тома, части)",
        "nom_count": "Количество дел (томов)",
        "nomenclature_of": "номенклатура {year}\u00a0г.",
        "act_title": "АКТ о выделении к уничтожению документов, не подлежащих хранению",
        "act_sub": "№ {number} от {date}",
        "standard_list": "Перечня типовых документов, образующихся в деятельности организаций, с указанием сроков "
                         "хранения",
        "articles": "статьи {articles}",
        "act_basis": "На основании {standard_list} ({articles}) отобраны к уничтожению как не имеющие "
                     "научно-исторической ценности и утратившие практическое значение документы фонда № {fond} "
                     "({organisation}):",
        "act_total": "Итого: {amount} за {years}.",
        "years_one": "{years} год",
        "years_many": "{years} годы",
        "inventories_approved": "Описи дел постоянного хранения за {years} утверждены{protocols}.",
        "protocol_ref": " (протокол ЭК от {date} № {number})",
        "kept_by_commission": "По решению ЭК на хранении оставлены:",
        "kept_extend": "{index} ({year}) — ещё {n} г.",
        "kept_permanent": "{index} ({year}) — постоянно",
        "destroyed": "Документы в количестве {amount} {method} {date}.",
        "method_shredding": "уничтожены путём измельчения",
        "method_recycling": "сданы на переработку",
        "method_deleted": "уничтожены путём удаления файлов из хранилища",
        "destroyed_by": "Документы уничтожил",
        "inventory_title": "ОПИСЬ № {number}",
        "inventory_sub": "дел постоянного хранения за {years}",
        "inventory_total": "В данный раздел описи внесено {amount} с № {first} по № {last}.",
        "inventory_empty": "В данный раздел описи дела не внесены.",
        "compiler": "Составитель описи",
        "nom_title": "НОМЕНКЛАТУРА ДЕЛ",
        "nom_sub": "на {year} год",
        "year_end_title": "Итоговая запись о категориях и количестве дел, заведённых в {year} году",
        "by_retention": "По срокам хранения",
        "total": "Всего",
        "carried": "в том числе переходящих",
        "epk": "в том числе с отметкой «ЭПК»",
        "permanent": "Постоянного",
        "over_10": "Временного (свыше 10 лет)",
        "up_to_10": "Временного (до 10 лет включительно)",
        "all": "ИТОГО",
        "not_approved": "(проект, не утверждена)",
    },
    "ky": {
        "approve": "БЕКИТЕМИН",
        "agree": "МАКУЛДАШЫЛДЫ",
        "protocol": "ЭКнын протоколу",
        "protocol_of": "{date} № {number}",
        "fond": "Фонд № {fond}",
        "sign_hint": "колу",
        "date_label": "Күнү",
        "approver": "Уюмдун жетекчиси",
        "commission_chair": "ЭКнын төрагасы",
        "records_officer": "Иш кагаздарын жүргүзүүгө жооптуу адам",
        "head": "Кафедра башчысы",
        "no": "№",
        "heading": "Иштин аталышы",
        "act_heading": "Иштин аталышы же документтердин топтук аталышы",
        "date_range": "Чектик даталары",
        "inventory_ref": "Жылдагы тизмектин (номенклатуранын) номери",
        "act_index": "Номенклатура боюнча иштин (томдун) индекси же тизмек боюнча иштин №",
        "volumes": "Иштердин (томдордун) саны",
        "retention": "Сактоо мөөнөтү жана тизме боюнча беренелердин номерлери",
        "note": "Эскертүү",
        "index": "Иштин индекси",
        "sheets": "Барактардын саны",
        "nom_heading": "Иштин (томдун, бөлүктүн) аталышы",
        "nom_count": "Иштердин (томдордун) саны",
        "nomenclature_of": "{year}-ж. номенклатурасы",
        "act_title": "Сактоого жатпаган документтерди жок кылууга бөлүп чыгаруу жөнүндө АКТ",
        "act_sub": "№ {number}, {date}",
        "standard_list": "Уюмдардын ишмердүүлүгүндө түзүлүүчү типтүү документтердин сактоо мөөнөттөрү "
                         "көрсөтүлгөн тизмесинин",
        "articles": "{articles}-беренелер",
        "act_basis": "{standard_list} ({articles}) негизинде илимий-тарыхый баалуулугу жок жана практикалык "
                     "маанисин жоготкон катары № {fond} фонддун ({organisation}) төмөнкү документтери жок кылууга "
                     "бөлүнүп алынды:",
        "act_total": "Бардыгы: {years} үчүн {amount}.",
        "years_one": "{years}-жыл",
        "years_many": "{years}-жылдар",
        "inventories_approved": "{years} үчүн туруктуу сактоодогу иштердин тизмектери бекитилген{protocols}.",
        "protocol_ref": " (ЭКнын {date} № {number} протоколу)",
        "kept_by_commission": "ЭКнын чечими боюнча сактоодо калтырылды:",
        "kept_extend": "{index} ({year}) — дагы {n} жыл",
        "kept_permanent": "{index} ({year}) — туруктуу",
        "destroyed": "{amount} көлөмүндөгү документтер {date} {method}.",
        "method_shredding": "майдалоо жолу менен жок кылынды",
        "method_recycling": "кайра иштетүүгө өткөрүлүп берилди",
        "method_deleted": "файлдарды сактагычтан өчүрүү жолу менен жок кылынды",
        "destroyed_by": "Документтерди жок кылган",
        "inventory_title": "ТИЗМЕГИ № {number}",
        "inventory_sub": "Туруктуу сактоодогу иштердин {years} үчүн",
        "inventory_total": "Тизмектин бул бөлүмүнө {amount} киргизилди (№ {first} – № {last}).",
        "inventory_empty": "Тизмектин бул бөлүмүнө иштер киргизилген жок.",
        "compiler": "Тизмекти түзгөн",
        "nom_title": "ИШТЕРДИН НОМЕНКЛАТУРАСЫ",
        "nom_sub": "{year}-жылга",
        "year_end_title": "{year}-жылы ачылган иштердин категориялары жана саны жөнүндө жыйынтык жазуу",
        "by_retention": "Сактоо мөөнөттөрү боюнча",
        "total": "Бардыгы",
        "carried": "анын ичинде өтмө иштер",
        "epk": "анын ичинде «ЭПК» белгиси менен",
        "permanent": "Туруктуу",
        "over_10": "Убактылуу (10 жылдан ашык)",
        "up_to_10": "Убактылуу (10 жылга чейин камтылган)",
        "all": "ЖАЛПЫ",
        "not_approved": "(долбоор, бекитиле элек)",
    },
    "en": {
        "approve": "APPROVED",
        "agree": "AGREED",
        "protocol": "Expert commission's protocol",
        "protocol_of": "of {date} No. {number}",
        "fond": "Fond No. {fond}",
        "sign_hint": "signature",
        "date_label": "Date",
        "approver": "Head of the organisation",
        "commission_chair": "Chair of the expert commission",
        "records_officer": "Records officer",
        "head": "Head of department",
        "no": "No.",
        "heading": "Case heading",
        "act_heading": "Case heading or group heading of documents",
        "date_range": "Date range",
        "inventory_ref": "Inventory (nomenclature) number and year",
        "act_index": "Case (volume) index in the nomenclature or case No. in the inventory",
        "volumes": "Number of cases (volumes)",
        "retention": "Retention period and articles of the list",
        "note": "Note",
        "index": "Case index",
        "sheets": "Number of sheets",
        "nom_heading": "Case heading (volumes, parts)",
        "nom_count": "Number of cases (volumes)",
        "nomenclature_of": "nomenclature {year}",
        "act_title": "ACT on selecting for destruction documents not to be kept",
        "act_sub": "No. {number} of {date}",
        "standard_list": "the standard list of documents with their retention periods",
        "articles": "articles {articles}",
        "act_basis": "On the basis of {standard_list} ({articles}), the following documents of fond No. {fond} "
                     "({organisation}), having no historical value and no further practical use, were selected "
                     "for destruction:",
        "act_total": "Total: {amount} of {years}.",
        "years_one": "the year {years}",
        "years_many": "the years {years}",
        "inventories_approved": "The inventories of permanent cases of {years} are approved{protocols}.",
        "protocol_ref": " (expert commission's protocol of {date} No. {number})",
        "kept_by_commission": "Kept by the expert commission's decision:",
        "kept_extend": "{index} ({year}) — {n} more years",
        "kept_permanent": "{index} ({year}) — permanently",
        "destroyed": "Documents amounting to {amount} were {method} on {date}.",
        "method_shredding": "destroyed by shredding",
        "method_recycling": "handed over for recycling",
        "method_deleted": "destroyed by deleting the files from the store",
        "destroyed_by": "Destroyed by",
        "inventory_title": "INVENTORY No. {number}",
        "inventory_sub": "of permanent cases of {years}",
        "inventory_total": "This section of the inventory lists {amount}, Nos. {first} to {last}.",
        "inventory_empty": "This section of the inventory lists no cases.",
        "compiler": "Compiled by",
        "nom_title": "NOMENCLATURE OF CASES",
        "nom_sub": "for {year}",
        "year_end_title": "Closing record of the categories and number of cases opened in {year}",
        "by_retention": "By retention period",
        "total": "Total",
        "carried": "of which carried over",
        "epk": "of which marked ЭПК",
        "permanent": "Permanent",
        "over_10": "Temporary (over 10 years)",
        "up_to_10": "Temporary (up to 10 years)",
        "all": "TOTAL",
        "not_approved": "(draft, not approved)",
    },
}


def _t(lang: str, key: str, **values: Any) -> str:
    return WORDS[form_language(lang)][key].format(**values)


def _fmt_date(value: date | datetime | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def _person(user: User | None) -> str:
    return "" if user is None else (user.full_name or user.username)


def _years(years: Sequence[int], lang: str) -> str:
    """"2019 год", "2018–2020 годы"; "2019-жыл", "2018–2020-жылдар"."""
    if not years:
        return BLANK
    low, high = min(years), max(years)
    if low == high:
        return _t(lang, "years_one", years=low)
    return _t(lang, "years_many", years=f"{low}–{high}")


def _retention(text: str, lang: str) -> str:
    try:
        return format_retention(parse_retention(text), lang)
    except ValueError:
        return text


def _articles(texts: Sequence[str]) -> str:
    found: list[str] = []
    for text in texts:
        try:
            articles = parse_retention(text).articles
        except ValueError:
            continue
        found += [a for a in articles if a not in found]
    return ", ".join(sorted(found, key=lambda a: (len(a), a))) or BLANK


def _approval(lang: str, position: str, name: str, on: date | datetime | None) -> list[str]:
    """The approval block at the top right: УТВЕРЖДАЮ, position, a line to sign with the name, the date."""
    return [_t(lang, "approve"), position, f"{BLANK} {name}".rstrip(), _fmt_date(on) or BLANK_DATE[form_language(lang)]]


def _head_approval(lang: str, org: Organisation, approved_by: User | None, approved_at: datetime | None) -> list[str]:
    """The head of the organisation's approval of an act or an inventory: the position and name from the
    settings (the person who approved in the system when none are set), dated once approved."""
    return _approval(lang, org.approver_position or _t(lang, "approver"), org.approver_name or _person(approved_by),
                     approved_at if approved_by is not None else None)


def _agreement(lang: str, number: str | None, on: date | None) -> list[str]:
    return [_t(lang, "agree"), _t(lang, "protocol"),
            _t(lang, "protocol_of", date=_fmt_date(on) or BLANK, number=number or "______")]


def _commission(lang: str, org: Organisation, number: str | None, on: date | None) -> pdf.Columns:
    """The ЭК agreement on the left, its chair's signature on the right."""
    return pdf.Columns(_agreement(lang, number, on),
                       [_t(lang, "commission_chair"), f"{BLANK} {org.commission_chair}".rstrip()])


def _organisation_lines(lang: str, org: Organisation) -> list[str]:
    lines = [line for line in (org.name, org.department) if line] or [BLANK * 3]
    return lines + [_t(lang, "fond", fond=org.fond_number or "______")]


def _signatures(lang: str, rows: Sequence[tuple[str, str]]) -> pdf.Signatures:
    return pdf.Signatures(rows=rows, date_label=f"{_t(lang, 'date_label')}: {BLANK}", hint=_t(lang, "sign_hint"))


def _lines_needed(text: str, width: float) -> int:
    """Rows of wrapped text a cell of ``width`` characters needs (a spreadsheet sizes no row by itself)."""
    return max(1, math.ceil(len(text) / max(width * 0.95, 1)))


def _xlsx(title_lines: Sequence[str], headers: Sequence[str], rows: Sequence[Sequence[Any]],
          widths: Sequence[float], after: Sequence[str], sheet: str, heading: str = "") -> bytes:
    """A form as a worksheet (``heading``, among the title lines, in bold): its title lines, the column headings with their numbers, the rows, and the
    closing lines. Headings and cells wrap on words, lines above and below the table span its width,
    rows are as tall as their text, and the page prints landscape, one page wide."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    # A sheet's title may not hold []:*?/\ (an act numbered "4/2022") and is at most 31 characters.
    ws.title = re.sub(r"[\[\]:*?/\\]", "-", sheet)[:31] or "1"
    # Every cell through ``spreadsheet``: headings, notes and the organisation's name are typed by people,
    # and a cell starting like a formula must stay text.
    last = get_column_letter(len(headers))
    total_width = sum(widths)
    line_height = 15

    def spanning(text: str, bold: bool = False) -> None:
        spreadsheet.append(ws, [text])
        row = ws.max_row
        ws.merge_cells(f"A{row}:{last}{row}")
        cell = ws.cell(row=row, column=1)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.font = Font(bold=bold)
        ws.row_dimensions[row].height = line_height * _lines_needed(text, total_width)

    for line in title_lines:
        spanning(line, bold=line == heading)
    spreadsheet.append(ws, headers)
    head_row = ws.max_row
    ws.row_dimensions[head_row].height = line_height * max(
        _lines_needed(str(h), w) for h, w in zip(headers, widths, strict=True))
    ws.append(list(range(1, len(headers) + 1)))
    thin = Side(style="thin")
    box = Border(top=thin, bottom=thin, left=thin, right=thin)
    for row in ws.iter_rows(min_row=head_row, max_row=head_row + 1):
        for cell in row:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="center")
            cell.border = box
    for values in rows:
        spreadsheet.append(ws, values)
        ws.row_dimensions[ws.max_row].height = line_height * max(
            _lines_needed(str(v or ""), w) for v, w in zip(values, widths, strict=True))
        for cell in ws[ws.max_row]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.border = box
    ws.append([])
    for line in after:
        spanning(line)
    for n, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(n)].width = width
    ws.print_title_rows = f"{head_row}:{head_row + 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- the destruction act -------------------------------------------------------------------------

ACT_KEYS = ("no", "act_heading", "date_range", "inventory_ref", "act_index", "volumes", "retention", "note")
ACT_WIDTHS = (4, 32, 12, 15, 16, 9, 16, 12)


def _row_heading(row: DisposalActRow, lang: str) -> str:
    return {"ky": row.heading_ky, "ru": row.heading_ru}.get(lang, "") or row.heading


def act_headers(lang: str) -> list[str]:
    return [_t(lang, k) for k in ACT_KEYS]


def act_cells(row: DisposalActRow, lang: str) -> list[Any]:
    """The eight columns of the standard act form for one row."""
    return [row.position, _row_heading(row, lang), row.date_range,
            _t(lang, "nomenclature_of", year=row.case_year), row.case_index, row.volumes,
            _retention(row.retention, lang), row.note]


@dataclass(frozen=True)
class ApprovedInventories:
    """The years of an act whose permanent cases are all in approved inventories, with their protocols."""

    years: list[int]
    protocols: list[tuple[str, date]]


def approved_inventories(session: Session, years: Sequence[int]) -> ApprovedInventories:
    """Years (among ``years``) whose permanent cases are all in approved (or handed-over) inventories, with
    those inventories' protocols. A year with a permanent case outside one is not among them, and neither
    is a year with no permanent case in an approved inventory (there is nothing to state)."""
    if not years:
        return ApprovedInventories([], [])
    outside = {case.year for case in inventories.outside_approved_inventories(session, years)}
    listed = session.execute(
        select(Case.year, ArchiveInventory.protocol_number, ArchiveInventory.protocol_date)
        .join(ArchiveInventory, ArchiveInventory.id == Case.inventory_id)
        .where(Case.permanent.is_(True), Case.year.in_(sorted(set(years))),
               ArchiveInventory.status.in_([InventoryStatus.APPROVED, InventoryStatus.TRANSFERRED]))
        .order_by(ArchiveInventory.protocol_date)
    ).all()
    covered = sorted({year for year, _n, _d in listed} - outside)
    protocols: list[tuple[str, date]] = []
    for year, number, on in listed:
        if year in covered and number and on and (number, on) not in protocols:
            protocols.append((number, on))
    return ApprovedInventories(covered, protocols)


def _act_basis(act: DisposalAct, lang: str, org: Organisation) -> str:
    return _t(lang, "act_basis", standard_list=_t(lang, "standard_list"),
              articles=_t(lang, "articles", articles=_articles([r.retention for r in act.rows])),
              fond=org.fond_number or "______", organisation=org.name or BLANK)


def _act_after(act: DisposalAct, lang: str, inventories: ApprovedInventories) -> list[str]:
    rows = act.destroy_rows
    years = sorted({r.case_year for r in rows})
    lines = [_t(lang, "act_total", amount=amount(sum(r.volumes for r in rows), Unit.STORAGE_UNITS, lang),
                years=_years(years, lang))]
    if inventories.years:
        refs = "".join(_t(lang, "protocol_ref", date=_fmt_date(on), number=number)
                       for number, on in inventories.protocols)
        lines.append(_t(lang, "inventories_approved", years=_years(inventories.years, lang), protocols=refs))
    kept = [r for r in act.rows if not r.destroys and r.decision]
    if kept:
        lines.append(_t(lang, "kept_by_commission"))
        for r in kept:
            key = "kept_permanent" if r.decision == ReviewDecision.PERMANENT else "kept_extend"
            lines.append(_t(lang, key, index=r.case_index, year=r.case_year, n=r.extend_years or ""))
    return lines


def _destruction_record(act: DisposalAct, lang: str) -> list[pdf.Part]:
    if act.executed_at is None:
        return []
    method = act.destruction_method if act.destruction_method in set(DestructionMethod) else DestructionMethod.DELETED
    rows = act.destroy_rows
    line = _t(lang, "destroyed", amount=amount(sum(r.volumes for r in rows), Unit.STORAGE_UNITS, lang),
              method=_t(lang, f"method_{method}"), date=_fmt_date(act.destroyed_on or act.executed_at))
    return [pdf.Lines([line]), _signatures(lang, [(_t(lang, "destroyed_by"), _person(act.executed_by))])]


def act_pdf(act: DisposalAct, org: Organisation, inventories: ApprovedInventories, lang: str) -> bytes:
    lang = form_language(lang)
    rows = act.destroy_rows
    return pdf.render(pdf.TableForm(
        title=_t(lang, "act_title"), subtitle_lines=[_t(lang, "act_sub", number=act.number,
                                                        date=_fmt_date(act.act_date))],
        heading_left=_organisation_lines(lang, org),
        corner=_head_approval(lang, org, act.approved_by, act.approved_at),
        before_table=[_act_basis(act, lang, org)], headers=act_headers(lang),
        rows=[act_cells(r, lang) for r in rows], widths=ACT_WIDTHS,
        after_table=_act_after(act, lang, inventories),
        closing=[_signatures(lang, [(_t(lang, "records_officer"), _person(act.drafted_by))]),
                 _commission(lang, org, act.protocol_number, act.protocol_date),
                 *_destruction_record(act, lang)],
    ))


def act_xlsx(act: DisposalAct, org: Organisation, inventories: ApprovedInventories, lang: str) -> bytes:
    lang = form_language(lang)
    approval = _head_approval(lang, org, act.approved_by, act.approved_at)
    title = [*_organisation_lines(lang, org), " ".join(approval), "", _t(lang, "act_title"),
             _t(lang, "act_sub", number=act.number, date=_fmt_date(act.act_date)), _act_basis(act, lang, org)]
    after = _act_after(act, lang, inventories)
    after += [f"{_t(lang, 'records_officer')}: {BLANK} {_person(act.drafted_by)}",
              " ".join(_agreement(lang, act.protocol_number, act.protocol_date))]
    for part in _destruction_record(act, lang):
        if isinstance(part, pdf.Lines):
            after += list(part.lines)
    return _xlsx(title, act_headers(lang), [act_cells(r, lang) for r in act.destroy_rows],
                 (6, 50, 22, 20, 22, 12, 26, 20), after, f"{act.number}", heading=_t(lang, "act_title"))


# --- the inventory of permanent cases ------------------------------------------------------------

INVENTORY_KEYS = ("no", "index", "heading", "date_range", "sheets", "note")
INVENTORY_WIDTHS = (5, 12, 50, 18, 10, 20)


def inventory_headers(lang: str) -> list[str]:
    return [_t(lang, k) for k in INVENTORY_KEYS]


def _case_range(case: Case) -> str:
    if case.first_doc_date and case.last_doc_date:
        first, last = _fmt_date(case.first_doc_date), _fmt_date(case.last_doc_date)
        return first if first == last else f"{first} – {last}"
    return str(case.year)


def inventory_cells(n: int, case: Case, lang: str) -> list[Any]:
    volume = {"ru": "т.", "ky": "т.", "en": "vol."}[form_language(lang)]
    heading = case.item.title(lang) + (f" ({volume} {case.volume})" if case.volume > 1 else "")
    return [n, case.index, heading, _case_range(case), case.sheets or "", case.note or case.item.note]


def _inventory_heading(inventory: ArchiveInventory, cases: Sequence[Case], lang: str) -> tuple[str, str]:
    """Title and subtitle: the years are the cases' years, not the year the inventory was drawn up."""
    years = _years(sorted({c.year for c in cases}), lang)
    return _t(lang, "inventory_title", number=inventory.number), _t(lang, "inventory_sub", years=years)


def _inventory_total(cases: Sequence[Case], lang: str) -> str:
    if not cases:
        return _t(lang, "inventory_empty")
    return _t(lang, "inventory_total", amount=amount(len(cases), Unit.CASES, lang), first=1, last=len(cases))


def inventory_pdf(inventory: ArchiveInventory, cases: Sequence[Case], org: Organisation, lang: str) -> bytes:
    lang = form_language(lang)
    title, subtitle = _inventory_heading(inventory, cases, lang)
    return pdf.render(pdf.TableForm(
        title=title, subtitle_lines=[subtitle], heading_left=_organisation_lines(lang, org),
        corner=_head_approval(lang, org, inventory.approved_by, inventory.approved_at),
        headers=inventory_headers(lang), rows=[inventory_cells(n, c, lang) for n, c in enumerate(cases, start=1)],
        widths=INVENTORY_WIDTHS, after_table=[_inventory_total(cases, lang)],
        closing=[_signatures(lang, [(f"{_t(lang, 'compiler')}: {_t(lang, 'records_officer')}",
                                     _person(inventory.created_by))]),
                 _commission(lang, org, inventory.protocol_number, inventory.protocol_date)],
    ))


def inventory_xlsx(inventory: ArchiveInventory, cases: Sequence[Case], org: Organisation, lang: str) -> bytes:
    lang = form_language(lang)
    title, subtitle = _inventory_heading(inventory, cases, lang)
    approval = _head_approval(lang, org, inventory.approved_by, inventory.approved_at)
    after = [_inventory_total(cases, lang),
             f"{_t(lang, 'compiler')}: {_t(lang, 'records_officer')} {BLANK} {_person(inventory.created_by)}",
             " ".join(_agreement(lang, inventory.protocol_number, inventory.protocol_date))]
    return _xlsx([*_organisation_lines(lang, org), " ".join(approval), "", title, subtitle],
                 inventory_headers(lang), [inventory_cells(n, c, lang) for n, c in enumerate(cases, start=1)],
                 (6, 12, 60, 24, 12, 30), after, f"{inventory.number}", heading=title)


# --- the nomenclature of cases -------------------------------------------------------------------

NOMENCLATURE_KEYS = ("index", "nom_heading", "nom_count", "retention", "note")
NOMENCLATURE_WIDTHS = (11, 44, 12, 18, 22)


def nomenclature_headers(lang: str) -> list[str]:
    return [_t(lang, k) for k in NOMENCLATURE_KEYS]


def year_end_rows(count: YearEndCount, lang: str) -> list[list[Any]]:
    lines = [("permanent", count.permanent), ("over_10", count.over_10_years), ("up_to_10", count.up_to_10_years),
             ("all", CategoryCount(count.total, count.carried_over, count.epk))]
    return [[_t(lang, key), line.total, line.carried_over, line.epk] for key, line in lines]


def year_end_headers(lang: str) -> list[str]:
    return [_t(lang, k) for k in ("by_retention", "total", "carried", "epk")]


def nomenclature_pdf(nom: Nomenclature, counts: dict[int, int], count: YearEndCount, org: Organisation,
                     lang: str) -> bytes:
    lang = form_language(lang)
    rows = [[item.index, item.title(lang), counts.get(item.id, ""), _retention(item.retention, lang), item.note]
            for item in nom.items]
    approved = nom.approved_by is not None
    subtitle = [_t(lang, "nom_sub", year=nom.year)] + ([] if approved else [_t(lang, "not_approved")])
    return pdf.render(pdf.TableForm(
        title=_t(lang, "nom_title"), subtitle_lines=subtitle,
        heading_left=[line for line in (org.name, org.department) if line] or [BLANK * 3],
        corner=_approval(lang, _t(lang, "head"), _person(nom.approved_by), nom.approved_at if approved else None),
        headers=nomenclature_headers(lang), rows=rows, widths=NOMENCLATURE_WIDTHS, landscape=False,
        closing=[pdf.Lines([_t(lang, "year_end_title", year=nom.year)], bold=True),
                 pdf.Grid(year_end_headers(lang), year_end_rows(count, lang), (40, 20, 20, 20)),
                 _signatures(lang, [(_t(lang, "records_officer"), "")])],
    ))


# --- the forms of stored objects -----------------------------------------------------------------

FORMATS = ("pdf", "xlsx")


def act_form(session: Session, act: DisposalAct, fmt: str, lang: str) -> bytes:
    """The act's standard form as ``fmt`` (pdf or xlsx), with what the catalogue knows today."""
    org = organisation.details(session)
    inventories = approved_inventories(session, sorted({r.case_year for r in act.destroy_rows}))
    return (act_pdf if fmt == "pdf" else act_xlsx)(act, org, inventories, lang)


def inventory_form(session: Session, inventory: ArchiveInventory, fmt: str, lang: str) -> bytes:
    org = organisation.details(session)
    cases = inventories.inventory_cases(session, inventory)
    return (inventory_pdf if fmt == "pdf" else inventory_xlsx)(inventory, cases, org, lang)


def nomenclature_form(session: Session, nom: Nomenclature, lang: str) -> bytes:
    return nomenclature_pdf(nom, nomenclature.case_counts(session, nom), year_end_count(session, nom),
                            organisation.details(session), lang)
