"""Where a closed case stands in the expiry list of a year: every kind of rule of the shipped
nomenclature x closing years x holds x the year asked, with the due years written out by hand."""
from __future__ import annotations

import csv

import pytest

from records.disposition.rules import ListName, place_case
from records.nomenclature import SHIPPED_TABLE
from records.retention import parse_retention
from tests.factories import OVERRIDES_2023, SHIPPED_2023

ASKED = range(2022, 2036)


def test_the_table_covers_every_rule_of_the_shipped_nomenclature() -> None:
    with SHIPPED_TABLE.open(encoding="utf-8-sig") as fh:
        shipped = {row["retention"] for row in csv.DictReader(fh)}
    assert shipped == set(SHIPPED_2023)


@pytest.mark.parametrize("held", [False, True], ids=["free", "held"])
@pytest.mark.parametrize("text", sorted(SHIPPED_2023) + sorted(OVERRIDES_2023))
def test_closed_2023_in_every_asked_year(text: str, held: bool) -> None:
    target, due = {**SHIPPED_2023, **OVERRIDES_2023}[text]
    rule = parse_retention(text)
    for asked in ASKED:
        placed = place_case(rule, 2023, asked, held=held)
        if held:
            # Frozen whatever the year: listed apart, never destroyable or transferable.
            assert placed is not None and placed.list is ListName.HELD and placed.due_year == due, (text, asked)
        elif asked < due:
            assert placed is None, (text, asked)
        else:
            assert placed is not None and placed.list is target and placed.due_year == due, (text, asked)


@pytest.mark.parametrize(("text", "closed", "first"), [
    ("1-ж. ст.424", 2023, 2025),
    ("5-ж. ст.343", 2023, 2029),
    ("5-ж. ст.343", 2019, 2025),
    ("3-ж ст.369", 2024, 2028),
    ("10-ж. ст.281", 2015, 2026),
    ("2-ж. ст.67б", 2000, 2003),
])
def test_edges_of_the_counting_rule(text: str, closed: int, first: int) -> None:
    rule = parse_retention(text)
    assert place_case(rule, closed, first - 1) is None
    placed = place_case(rule, closed, first)
    assert placed is not None and placed.list is ListName.DESTROY and placed.due_year == first


def test_permanent_cases_go_to_the_archive_and_are_flagged_overdue_after_three_years() -> None:
    rule = parse_retention("Токтом ст.334")
    assert place_case(rule, 2020, 2020) is None
    assert [place_case(rule, 2020, y).overdue for y in (2021, 2022, 2023)] == [False, False, False]  # type: ignore[union-attr]
    late = place_case(rule, 2020, 2026)
    assert late is not None and late.list is ListName.TRANSFER and late.overdue


def test_an_open_case_is_in_no_list() -> None:
    for text in ("1-ж. ст.424", "МАЧ", "Токтом ст.334"):
        assert place_case(parse_retention(text), None, 2090) is None
        assert place_case(parse_retention(text), None, 2090, held=True) is None
