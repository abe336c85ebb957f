"""The yearly expiry list as files (CSV, XLSX, PDF). The destruction act, the inventory of permanent
cases and the nomenclature in their standard forms are in :mod:`records.disposition.forms`.

The wording of the forms is fixed notation printed in the language of the paper (Kyrgyz or Russian, as
the standard forms are kept; English for reference), chosen by the reader's interface language or a
``lang`` parameter. Like the retention notation (:func:`records.retention.format_retention`), it is
part of the form, not an interface message, so it is kept here per language rather than in the
interface translations.
"""
from __future__ import annotations

import io
from typing import Any

from records import pdf, spreadsheet
from records.disposition.expiry import ExpiryList, ExpiryRow
from records.disposition.rules import ListName
from records.retention import format_retention

LANGUAGES = ("ky", "ru", "en")

FORMS: dict[str, dict[str, str]] = {
    "ky": {
        "expiry_title": "Сактоо мөөнөтү бүткөн иштердин тизмеси",
        "expiry_sub": "{year}-жыл",
        "destroy": "Жок кылууга бөлүнүүчү иштер",
        "review": "Эксперттик комиссиянын (ЭК) кароосуна",
        "transfer": "Университеттин архивине өткөрүлүүчү туруктуу сактоодогу иштер",
        "held": "Жок кылууга тыюу салынган иштер",
        "sheet_destroy": "Жок кылууга",
        "sheet_review": "ЭК кароосуна",
        "sheet_transfer": "Архивге өткөрүүгө",
        "sheet_held": "Тыюу салынган",
        "no": "№",
        "index": "Иштин индекси",
        "year": "Жыл",
        "heading": "Иштин аталышы",
        "retention": "Сактоо мөөнөтү жана беренелер",
        "due_year": "Мөөнөтү келген жыл",
        "retention_ended": "Сактоо мөөнөтү бүткөн жыл",
        "documents": "Документтер",
        "list": "Бөлүм",
        "empty": "Жок.",
        "overdue": "мөөнөтү өткөн",
    },
    "ru": {
        "expiry_title": "Перечень дел с истекшими сроками хранения",
        "expiry_sub": "{year} год",
        "destroy": "Дела, подлежащие выделению к уничтожению",
        "review": "Дела на рассмотрение экспертной комиссии (ЭК)",
        "transfer": "Дела постоянного хранения к передаче в архив университета",
        "held": "Дела под запретом уничтожения",
        "sheet_destroy": "К уничтожению",
        "sheet_review": "На рассмотрение ЭК",
        "sheet_transfer": "К передаче в архив",
        "sheet_held": "Под запретом",
        "no": "№ п/п",
        "index": "Индекс дела",
        "year": "Год",
        "heading": "Заголовок дела",
        "retention": "Срок хранения и номера статей по перечню",
        "due_year": "Год наступления срока",
        "retention_ended": "Год истечения срока хранения",
        "documents": "Документов",
        "list": "Раздел",
        "empty": "Нет.",
        "overdue": "срок передачи истёк",
    },
    "en": {
        "expiry_title": "List of cases whose retention has run out",
        "expiry_sub": "Year {year}",
        "destroy": "Cases that may be destroyed",
        "review": "Cases for the expert commission's review",
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
        "retention_ended": "Retention ended",
        "documents": "Documents",
        "list": "Part",
        "empty": "None.",
        "overdue": "transfer overdue",
    },
}


def form_language(lang: str | None) -> str:
    return lang if lang in LANGUAGES else "ru"


def _t(lang: str, key: str, **values: Any) -> str:
    return FORMS[form_language(lang)][key].format(**values)


# --- the expiry list -----------------------------------------------------------------------------

EXPIRY_KEYS = ("index", "year", "heading", "retention", "retention_ended", "due_year", "documents")


def _expiry_cells(row: ExpiryRow, lang: str, part: ListName) -> list[Any]:
    heading = row.title(lang) + (f" (т. {row.volume})" if row.volume > 1 else "")
    due = str(row.due_year) + (f" ({_t(lang, 'overdue')})" if part is ListName.TRANSFER and row.overdue else "")
    # The year the period ran out (C + N); blank when it never runs out by itself (permanent, until needed).
    ended = row.retention_ended if row.retention_ended is not None else ""
    return [row.index, row.year, heading, format_retention(row.rule, lang), ended, due, row.documents]


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
        for col, width in zip("ABCDEFGH", (6, 12, 8, 56, 26, 14, 14, 12), strict=True):
            ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def expiry_pdf(report: ExpiryList, lang: str) -> bytes:
    lang = form_language(lang)
    sections = []
    for part, rows in report.parts():
        cells = [[n] + _expiry_cells(r, lang, part) for n, r in enumerate(rows, start=1)]
        sections.append((_t(lang, part.value), cells or [["", "", "", _t(lang, "empty"), "", "", "", ""]]))
    return pdf.render(pdf.TableForm(
        title=_t(lang, "expiry_title"), subtitle_lines=[_t(lang, "expiry_sub", year=report.year)],
        headers=[_t(lang, "no")] + [_t(lang, k) for k in EXPIRY_KEYS], rows=[],
        widths=(5, 10, 6, 44, 20, 10, 10, 9), sections=sections,
    ))
