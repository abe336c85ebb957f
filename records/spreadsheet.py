"""Cells for the CSV and XLSX files the office hands out.

A spreadsheet takes a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return
before one) for a formula, so a document title such as ``=HYPERLINK("http://…")`` would run in the
reader's spreadsheet. Every writer of an export passes its rows through here: text that could start a
formula gets a leading apostrophe, which spreadsheets show as text. Numbers and dates stay as they are.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """The value as a cell: text that a spreadsheet would read as a formula is made plain text."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def cells(values: Iterable[Any]) -> list[Any]:
    return [cell(v) for v in values]


def unquote(value: str) -> str:
    """Undo :func:`cell` on a value read back from an exported table (import of an exported file)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


class SafeWriter:
    """``csv.writer`` whose every row is neutralised."""

    def __init__(self, out: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, values: Iterable[Any]) -> Any:
        return self._writer.writerow(cells(values))


def append(sheet: Any, values: Iterable[Any]) -> None:
    """``sheet.append`` (openpyxl) with the row neutralised."""
    sheet.append(cells(values))
