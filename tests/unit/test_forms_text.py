"""Amounts in words on the standard forms, Russian and Kyrgyz."""
from __future__ import annotations

import pytest

from records.forms_text import Gender, Unit, amount, ky_words, ru_plural, ru_words


@pytest.mark.parametrize(("n", "expected"), [
    (0, "ноль"), (1, "один"), (2, "два"), (7, "семь"), (10, "десять"), (11, "одиннадцать"), (19, "девятнадцать"),
    (20, "двадцать"), (21, "двадцать один"), (40, "сорок"), (99, "девяносто девять"), (100, "сто"),
    (101, "сто один"), (112, "сто двенадцать"), (200, "двести"), (345, "триста сорок пять"),
    (999, "девятьсот девяносто девять"), (1000, "одна тысяча"), (1001, "одна тысяча один"),
    (2000, "две тысячи"), (2026, "две тысячи двадцать шесть"), (5000, "пять тысяч"), (11000, "одиннадцать тысяч"),
    (21000, "двадцать одна тысяча"), (22000, "двадцать две тысячи"), (100000, "сто тысяч"),
    (1_000_000, "один миллион"), (2_500_003, "два миллиона пятьсот тысяч три"),
    (999_999_999, "девятьсот девяносто девять миллионов девятьсот девяносто девять тысяч девятьсот девяносто девять"),
])
def test_russian_words(n: int, expected: str) -> None:
    assert ru_words(n) == expected


def test_russian_one_and_two_agree_with_the_noun() -> None:
    assert ru_words(1, Gender.FEMININE) == "одна" and ru_words(1, Gender.NEUTER) == "одно"
    assert ru_words(2, Gender.FEMININE) == "две" and ru_words(2, Gender.NEUTER) == "два"
    assert ru_words(31, Gender.FEMININE) == "тридцать одна" and ru_words(12, Gender.FEMININE) == "двенадцать"


@pytest.mark.parametrize(("n", "form"), [
    (1, "дело"), (2, "дела"), (4, "дела"), (5, "дел"), (11, "дел"), (12, "дел"), (14, "дел"), (20, "дел"),
    (21, "дело"), (22, "дела"), (25, "дел"), (101, "дело"), (111, "дел"), (112, "дел"), (0, "дел"),
])
def test_russian_noun_after_a_number(n: int, form: str) -> None:
    assert ru_plural(n, "дело", "дела", "дел") == form


@pytest.mark.parametrize(("n", "expected"), [
    (0, "нөл"), (1, "бир"), (7, "жети"), (10, "он"), (12, "он эки"), (20, "жыйырма"), (27, "жыйырма жети"),
    (50, "элүү"), (64, "алтымыш төрт"), (99, "токсон тогуз"), (100, "жүз"), (101, "жүз бир"),
    (245, "эки жүз кырк беш"), (1000, "миң"), (1999, "миң тогуз жүз токсон тогуз"),
    (2026, "эки миң жыйырма алты"), (15000, "он беш миң"), (1_000_000, "бир миллион"),
    (3_200_001, "үч миллион эки жүз миң бир"),
])
def test_kyrgyz_words(n: int, expected: str) -> None:
    assert ky_words(n) == expected


def test_totals_as_the_forms_write_them() -> None:
    assert amount(7, Unit.STORAGE_UNITS, "ru") == "7 (семь) ед. хр."
    assert amount(1, Unit.STORAGE_UNITS, "ru") == "1 (одна) ед. хр."
    assert amount(22, Unit.STORAGE_UNITS, "ru") == "22 (двадцать две) ед. хр."
    assert amount(7, Unit.STORAGE_UNITS, "ky") == "7 (жети) сактоо бирдиги"
    assert amount(1, Unit.CASES, "ru") == "1 (одно) дело"
    assert amount(3, Unit.CASES, "ru") == "3 (три) дела"
    assert amount(12, Unit.CASES, "ru") == "12 (двенадцать) дел"
    assert amount(12, Unit.CASES, "ky") == "12 (он эки) иш"
    assert amount(1, Unit.CASES, "en") == "1 case" and amount(2, Unit.CASES, "en") == "2 cases"


def test_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError):
        ru_words(-1)
    with pytest.raises(ValueError):
        ky_words(1_000_000_000)
