"""The yearly papers of disposition as files: the expiry list (CSV, XLSX, PDF), the destruction act in
the standard form (PDF), and the inventory of permanent cases (PDF, XLSX).

The wording of the forms is fixed notation printed in the language of the paper (Kyrgyz or Russian, as
the standard forms are kept; English for reference), chosen by the reader's interface language or a
``lang`` parameter. Like the retention notation (:func:`records.retention.format_retention`), it is
part of the form, not an interface message, so it is kept here per language rather than in the
interface translations.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from records import pdf, spreadsheet
from records.disposal import ExpiryList, ExpiryRow, ListName
from records.models import ArchiveInventory, Case, DisposalAct, DisposalActRow
from records.retention import format_retention, parse_retention

LANGUAGES = ("ky", "ru", "en")

FORMS: dict[str, dict[str, str]] = {
    "ky": {
        "expiry_title": "Сактоо мөөнөтү бүткөн иштердин тизмеси",
        "expiry_sub": "{year}-жыл",
        "destroy": "Жок кылууга бөлүнүүчү иштер",
        "review": "Эксперттик комиссиянын (ЭПК) кароосуна",
        "transfer": "Университеттин архивине өткөрүлүүчү туруктуу сактоодогу иштер",
        "held": "Кармоодогу иштер (жок кылууга тыюу салынган)",
        "sheet_destroy": "Жок кылууга",
        "sheet_review": "ЭПК кароосуна",
        "sheet_transfer": "Архивге өткөрүүгө",
        "sheet_held": "Кармоодо",
        "no": "№",
        "index": "Иштин индекси",
        "year": "Жыл",
        "heading": "Иштин аталышы",
        "retention": "Сактоо мөөнөтү жана беренелер",
        "due_year": "Мөөнөтү келген жыл",
        "documents": "Документтер",
        "list": "Бөлүм",
        "empty": "Жок.",
        "overdue": "мөөнөтү өткөн",
        "act_title": "Сактоого жатпаган документтерди жок кылууга бөлүп чыгаруу жөнүндө АКТ",
        "act_sub": "№ {number}, {date}",
        "act_basis": "Сактоо мөөнөттөрү бүткөндүгүнө байланыштуу төмөнкү иштер жок кылууга бөлүндү:",
        "date_range": "Четки даталары",
        "nomenclature_ref": "Жылдагы номенклатуранын (тизменин) номери",
        "nomenclature_of": "{year}-ж. номенклатурасы",
        "volumes": "Иштердин (томдордун) саны",
        "note": "Эскертүү",
        "act_total": "Бардыгы: {n} иш, {years}-жылдар.",
        "act_inventories": "{years}-жылдардагы туруктуу сактоодогу иштердин тизмелери бекитилген.",
        "drafted_by": "Түзгөн: {name}",
        "approved_by": "Бекитемин, кафедра башчысы: {name}",
        "approved_on": "Бекитилген күнү: {date}",
        "not_approved": "Бекитиле элек",
        "executed": "Документтер {date} жок кылынды. Жок кылган: {name}. Ыкмасы: {method}",
        "method": "файлдар сактагычтан өчүрүлдү, издөө индексинен алынып салынды",
        "inventory_title": "Туруктуу сактоодогу иштердин ТИЗМЕСИ",
        "inventory_sub": "№ {number}, {year}-жыл",
        "sheets": "Барактардын саны",
        "inventory_total": "Бул тизмеге {n} иш киргизилди.",
    },
    "ru": {
        "expiry_title": "Перечень дел с истекшими сроками хранения",
        "expiry_sub": "{year} год",
        "destroy": "Дела, подлежащие выделению к уничтожению",
        "review": "Дела на рассмотрение экспертной комиссии (ЭПК)",
        "transfer": "Дела постоянного хранения к передаче в архив университета",
        "held": "Дела под запретом уничтожения",
        "sheet_destroy": "К уничтожению",
        "sheet_review": "На рассмотрение ЭПК",
        "sheet_transfer": "К передаче в архив",
        "sheet_held": "Под запретом",
        "no": "№ п/п",
        "index": "Индекс дела",
        "year": "Год",
        "heading": "Заголовок дела",
        "retention": "Срок хранения и номера статей по перечню",
        "due_year": "Год наступления срока",
        "documents": "Документов",
        "list": "Раздел",
        "empty": "Нет.",
        "overdue": "срок передачи истёк",
        "act_title": "АКТ о выделении к уничтожению документов, не подлежащих хранению",
        "act_sub": "№ {number} от {date}",
        "act_basis": "На основании сроков хранения отобраны к уничтожению как не имеющие научно-исторической "
                     "ценности и утратившие практическое значение документы:",
        "date_range": "Крайние даты",
        "nomenclature_ref": "Номер описи (номенклатуры) за год",
        "nomenclature_of": "номенклатура {year} г.",
        "volumes": "Количество дел (томов)",
        "note": "Примечание",
        "act_total": "Итого: {n} дел(а) за {years} годы.",
        "act_inventories": "Описи дел постоянного хранения за {years} годы утверждены.",
        "drafted_by": "Составил: {name}",
        "approved_by": "Утверждаю, заведующий кафедрой: {name}",
        "approved_on": "Дата утверждения: {date}",
        "not_approved": "Не утверждён",
        "executed": "Документы уничтожены {date}. Уничтожил: {name}. Способ: {method}",
        "method": "файлы удалены из хранилища и исключены из поискового индекса",
        "inventory_title": "ОПИСЬ дел постоянного хранения",
        "inventory_sub": "№ {number} за {year} год",
        "sheets": "Количество листов",
        "inventory_total": "В данную опись внесено {n} дел(а).",
    },
    "en": {
        "expiry_title": "List of cases whose retention has run out",
        "expiry_sub": "Year {year}",
        "destroy": "Cases that may be destroyed",
        "review": "Cases for the expert commission's review (EPK)",
        "transfer": "Permanent cases due for transfer to the university archive",
        "held": "Cases under hold",
        "sheet_destroy": "To destroy",
        "sheet_review": "For review",
        "sheet_transfer": "To transfer",
        "sheet_held": "Held",
        "no": "No.",
        "index": "Case index",
        "year": "Year",
        "heading": "Case heading",
        "retention": "Retention period and articles",
        "due_year": "Due year",
        "documents": "Documents",
        "list": "Part",
        "empty": "None.",
        "overdue": "transfer overdue",
        "act_title": "ACT on selecting for destruction documents not to be kept",
        "act_sub": "No. {number} of {date}",
        "act_basis": "Their retention periods having run out, the following cases were selected for destruction:",
        "date_range": "Date range",
        "nomenclature_ref": "Inventory (nomenclature) number and year",
        "nomenclature_of": "nomenclature {year}",
        "volumes": "Number of cases (volumes)",
        "note": "Note",
        "act_total": "Total: {n} case(s) of the years {years}.",
        "act_inventories": "The inventories of permanent cases for the years {years} are approved.",
        "drafted_by": "Drawn up by: {name}",
        "approved_by": "Approved, head of department: {name}",
        "approved_on": "Approved on: {date}",
        "not_approved": "Not approved",
        "executed": "The documents were destroyed on {date} by {name}. Method: {method}",
        "method": "files deleted from the store and removed from the search index",
        "inventory_title": "INVENTORY of permanent cases",
        "inventory_sub": "No. {number}, {year}",
        "sheets": "Number of sheets",
        "inventory_total": "This inventory lists {n} case(s).",
    },
}


def form_language(lang: str | None) -> str:
    return lang if lang in LANGUAGES else "ru"


def _t(lang: str, key: str, **values: Any) -> str:
    return FORMS[form_language(lang)][key].format(**values)


def _retention(text: str, lang: str) -> str:
    try:
        return format_retention(parse_retention(text), lang)
    except ValueError:
        return text


def _fmt_date(value: Any) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def _years_span(years: Sequence[int]) -> str:
    if not years:
        return ""
    low, high = min(years), max(years)
    return str(low) if low == high else f"{low}–{high}"


def _person(user: Any) -> str:
    return "" if user is None else (user.full_name or user.username)


# --- the expiry list -----------------------------------------------------------------------------

EXPIRY_KEYS = ("index", "year", "heading", "retention", "due_year", "documents")


def _expiry_cells(row: ExpiryRow, lang: str, part: ListName) -> list[Any]:
    heading = row.title(lang) + (f" (т. {row.volume})" if row.volume > 1 else "")
    due = str(row.due_year) + (f" ({_t(lang, 'overdue')})" if part is ListName.TRANSFER and row.overdue else "")
    return [row.index, row.year, heading, format_retention(row.rule, lang), due, row.documents]


def expiry_csv(report: ExpiryList, lang: str, *, machine: bool = False) -> str:
    """One CSV table of all four parts. ``machine`` gives stable English column keys (for the API)."""
    lang = form_language(lang)
    out = io.StringIO()
    writer = spreadsheet.SafeWriter(out, lineterminator="\n")
    if machine:
        writer.writerow(["list", "case_id", "index", "year", "title", "retention", "due_year", "documents"])
    else:
        writer.writerow([_t(lang, "list")] + [_t(lang, k) for k in EXPIRY_KEYS])
    for part, rows in report.parts():
        for row in rows:
            cells = _expiry_cells(row, lang, part)
            if machine:
                writer.writerow([part.value, row.case_id, row.index, row.year, row.title(lang),
                                 format_retention(row.rule, lang), row.due_year, row.documents])
            else:
                writer.writerow([_t(lang, part.value)] + cells)
    return out.getvalue()


def expiry_xlsx(report: ExpiryList, lang: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    lang = form_language(lang)
    wb = Workbook()
    wb.remove(wb.active)
    for part, rows in report.parts():
        ws = wb.create_sheet(_t(lang, f"sheet_{part.value}"))
        ws.append([f"{_t(lang, 'expiry_title')}, {_t(lang, 'expiry_sub', year=report.year)}"])
        ws.append([_t(lang, part.value)])
        ws.append([_t(lang, "no")] + [_t(lang, k) for k in EXPIRY_KEYS])
        for cell in ws[3]:
            cell.font = Font(bold=True)
        for n, row in enumerate(rows, start=1):
            spreadsheet.append(ws, [n] + _expiry_cells(row, lang, part))
        for col, width in zip("ABCDEFG", (6, 12, 8, 60, 28, 14, 12), strict=True):
            ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def expiry_pdf(report: ExpiryList, lang: str) -> bytes:
    lang = form_language(lang)
    sections = []
    for part, rows in report.parts():
        cells = [[n] + _expiry_cells(r, lang, part) for n, r in enumerate(rows, start=1)]
        sections.append((_t(lang, part.value), cells or [["", "", "", _t(lang, "empty"), "", "", ""]]))
    return pdf.render(pdf.TableForm(
        title=_t(lang, "expiry_title"), subtitle_lines=[_t(lang, "expiry_sub", year=report.year)],
        headers=[_t(lang, "no")] + [_t(lang, k) for k in EXPIRY_KEYS], rows=[],
        widths=(5, 11, 6, 45, 22, 11, 13), sections=sections,
    ))


# --- the destruction act -------------------------------------------------------------------------

def _row_heading(row: DisposalActRow, lang: str) -> str:
    return {"ky": row.heading_ky, "ru": row.heading_ru}.get(lang, "") or row.heading


def act_cells(row: DisposalActRow, lang: str) -> list[Any]:
    """The eight columns of the standard act form for one row."""
    return [row.position, _row_heading(row, lang), row.date_range,
            _t(lang, "nomenclature_of", year=row.case_year), row.case_index, row.volumes,
            _retention(row.retention, lang), row.note]


def act_headers(lang: str) -> list[str]:
    return [_t(lang, k) for k in ("no", "heading", "date_range", "nomenclature_ref", "index", "volumes",
                                  "retention", "note")]


def act_pdf(act: DisposalAct, lang: str) -> bytes:
    lang = form_language(lang)
    years = sorted({r.case_year for r in act.rows})
    after = [_t(lang, "act_total", n=sum(r.volumes for r in act.rows), years=_years_span(years)),
             _t(lang, "act_inventories", years=_years_span(years))]
    signatures = [_t(lang, "drafted_by", name=_person(act.drafted_by))]
    if act.approved_by is not None:
        signatures += [_t(lang, "approved_by", name=_person(act.approved_by)),
                       _t(lang, "approved_on", date=_fmt_date(act.approved_at))]
    else:
        signatures.append(_t(lang, "not_approved"))
    if act.executed_at is not None:
        signatures.append(_t(lang, "executed", date=_fmt_date(act.executed_at), name=_person(act.executed_by),
                             method=act.destruction_method or _t(lang, "method")))
    return pdf.render(pdf.TableForm(
        title=_t(lang, "act_title"), subtitle_lines=[_t(lang, "act_sub", number=act.number,
                                                        date=_fmt_date(act.act_date))],
        before_table=[_t(lang, "act_basis")], headers=act_headers(lang),
        rows=[act_cells(r, lang) for r in act.rows], widths=(5, 45, 18, 18, 14, 10, 22, 16),
        after_table=after, signatures=signatures,
    ))


# --- the inventory of permanent cases ------------------------------------------------------------

def _case_range(case: Case) -> str:
    if case.first_doc_date and case.last_doc_date:
        first, last = _fmt_date(case.first_doc_date), _fmt_date(case.last_doc_date)
        return first if first == last else f"{first} – {last}"
    return str(case.year)


def inventory_headers(lang: str) -> list[str]:
    return [_t(lang, k) for k in ("no", "index", "heading", "date_range", "sheets", "note")]


def inventory_cells(n: int, case: Case, lang: str) -> list[Any]:
    heading = case.item.title(lang) + (f" (т. {case.volume})" if case.volume > 1 else "")
    return [n, case.index, heading, _case_range(case), case.sheets or "", case.note or case.item.note]


def inventory_pdf(inventory: ArchiveInventory, cases: Sequence[Case], lang: str) -> bytes:
    lang = form_language(lang)
    return pdf.render(pdf.TableForm(
        title=_t(lang, "inventory_title"),
        subtitle_lines=[_t(lang, "inventory_sub", number=inventory.number, year=inventory.year)],
        headers=inventory_headers(lang), rows=[inventory_cells(n, c, lang) for n, c in enumerate(cases, start=1)],
        widths=(5, 12, 50, 18, 10, 25), after_table=[_t(lang, "inventory_total", n=len(cases))],
    ))


def inventory_xlsx(inventory: ArchiveInventory, cases: Sequence[Case], lang: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    lang = form_language(lang)
    wb = Workbook()
    ws = wb.active
    ws.title = f"{inventory.year}"
    ws.append([_t(lang, "inventory_title")])
    ws.append([_t(lang, "inventory_sub", number=inventory.number, year=inventory.year)])
    ws.append(inventory_headers(lang))
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for n, case in enumerate(cases, start=1):
        spreadsheet.append(ws, inventory_cells(n, case, lang))
    ws.append([])
    ws.append([_t(lang, "inventory_total", n=len(cases))])
    for col, width in zip("ABCDEF", (6, 12, 60, 24, 12, 40), strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
