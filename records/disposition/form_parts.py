"""The pieces every standard form shares: dates and names as printed, the years and retention columns,
the approval block (УТВЕРЖДАЮ / БЕКИТЕМИН), the expert commission's agreement, the organisation's lines,
the signature lines, and the worksheet an XLSX form is laid out on. The forms are assembled from them in
:mod:`records.disposition.forms`; their wording is in :mod:`records.disposition.form_words`.
"""
from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from records import pdf, spreadsheet
from records.disposition.form_words import BLANK, BLANK_DATE, word
from records.disposition.organisation import Organisation
from records.disposition.reports import form_language
from records.models import User
from records.retention import format_retention, parse_retention


def fmt_date(value: date | datetime | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def person_name(user: User | None) -> str:
    return "" if user is None else (user.full_name or user.username)


def years_text(years: Sequence[int], lang: str) -> str:
    """"2019 год", "2018–2020 годы"; "2019-жыл", "2018–2020-жылдар"."""
    if not years:
        return BLANK
    low, high = min(years), max(years)
    if low == high:
        return word(lang, "years_one", years=low)
    return word(lang, "years_many", years=f"{low}–{high}")


def retention_text(text: str, lang: str) -> str:
    try:
        return format_retention(parse_retention(text), lang)
    except ValueError:
        return text


def articles_text(texts: Sequence[str]) -> str:
    found: list[str] = []
    for text in texts:
        try:
            articles = parse_retention(text).articles
        except ValueError:
            continue
        found += [a for a in articles if a not in found]
    return ", ".join(sorted(found, key=lambda a: (len(a), a))) or BLANK


def approval_block(lang: str, position: str, name: str, on: date | datetime | None) -> list[str]:
    """The approval block at the top right: УТВЕРЖДАЮ, position, a line to sign with the name, the date."""
    return [word(lang, "approve"), position, f"{BLANK} {name}".rstrip(),
            fmt_date(on) or BLANK_DATE[form_language(lang)]]


def head_approval(lang: str, org: Organisation, approved_by: User | None, approved_at: datetime | None) -> list[str]:
    """The head of the organisation's approval of an act or an inventory: the position and name from the
    settings (the person who approved in the system when none are set), dated once approved."""
    return approval_block(lang, org.approver_position or word(lang, "approver"),
                          org.approver_name or person_name(approved_by),
                          approved_at if approved_by is not None else None)


def agreement_lines(lang: str, number: str | None, on: date | None) -> list[str]:
    return [word(lang, "agree"), word(lang, "protocol"),
            word(lang, "protocol_of", date=fmt_date(on) or BLANK, number=number or "______")]


def commission_block(lang: str, org: Organisation, number: str | None, on: date | None) -> pdf.Columns:
    """The ЭК agreement on the left, its chair's signature on the right."""
    return pdf.Columns(agreement_lines(lang, number, on),
                       [word(lang, "commission_chair"), f"{BLANK} {org.commission_chair}".rstrip()])


def organisation_lines(lang: str, org: Organisation) -> list[str]:
    lines = [line for line in (org.name, org.department) if line] or [BLANK * 3]
    return lines + [word(lang, "fond", fond=org.fond_number or "______")]


def signatures(lang: str, rows: Sequence[tuple[str, str]]) -> pdf.Signatures:
    return pdf.Signatures(rows=rows, date_label=f"{word(lang, 'date_label')}: {BLANK}", hint=word(lang, "sign_hint"))


def lines_needed(text: str, width: float) -> int:
    """Rows of wrapped text a cell of ``width`` characters needs (a spreadsheet sizes no row by itself)."""
    return max(1, math.ceil(len(text) / max(width * 0.95, 1)))


def worksheet(title_lines: Sequence[str], headers: Sequence[str], rows: Sequence[Sequence[Any]],
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
        ws.row_dimensions[row].height = line_height * lines_needed(text, total_width)

    for line in title_lines:
        spanning(line, bold=line == heading)
    spreadsheet.append(ws, headers)
    head_row = ws.max_row
    ws.row_dimensions[head_row].height = line_height * max(
        lines_needed(str(h), w) for h, w in zip(headers, widths, strict=True))
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
            lines_needed(str(v or ""), w) for v, w in zip(values, widths, strict=True))
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
