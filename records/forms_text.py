"""Amounts in words for the standard forms: "7 (семь) ед. хр.", "12 (двенадцать) дел", "7 (жети)
сактоо бирдиги".

Archival forms write every total in figures and in words. Russian declines the noun after a number
(1 дело, 2 дела, 5 дел; 21 дело, 11 дел) and gives "one" and "two" the noun's gender (одно дело, одна
единица, две единицы); Kyrgyz keeps the noun in the singular after any number (7 иш, 7 сактоо бирдиги)
and has no gender. Whole numbers from 0 to 999 999 999.
"""
from __future__ import annotations

from enum import StrEnum

MAX = 999_999_999


class Gender(StrEnum):
    MASCULINE = "m"
    FEMININE = "f"
    NEUTER = "n"


_RU_UNITS = ["", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"]
_RU_ONE = {Gender.MASCULINE: "один", Gender.FEMININE: "одна", Gender.NEUTER: "одно"}
_RU_TWO = {Gender.MASCULINE: "два", Gender.FEMININE: "две", Gender.NEUTER: "два"}
_RU_TEENS = ["десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать", "пятнадцать", "шестнадцать",
             "семнадцать", "восемнадцать", "девятнадцать"]
_RU_TENS = ["", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят", "восемьдесят",
            "девяносто"]
_RU_HUNDREDS = ["", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот", "восемьсот",
                "девятьсот"]
# (one, few, many) forms and gender of the scale words.
_RU_SCALES = [(("миллион", "миллиона", "миллионов"), Gender.MASCULINE),
              (("тысяча", "тысячи", "тысяч"), Gender.FEMININE)]

_KY_UNITS = ["", "бир", "эки", "үч", "төрт", "беш", "алты", "жети", "сегиз", "тогуз"]
_KY_TENS = ["", "он", "жыйырма", "отуз", "кырк", "элүү", "алтымыш", "жетимиш", "сексен", "токсон"]


def _check(n: int) -> None:
    if not 0 <= n <= MAX:
        raise ValueError(f"{n} is outside 0..{MAX}")


def ru_plural(n: int, one: str, few: str, many: str) -> str:
    """The Russian noun form after ``n``: 1, 21, 101 -> one; 2-4, 22-24 -> few; 0, 5-20, 25-30 -> many."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _ru_triple(n: int, gender: Gender) -> list[str]:
    words = [_RU_HUNDREDS[n // 100]]
    rest = n % 100
    if 10 <= rest <= 19:
        words.append(_RU_TEENS[rest - 10])
    else:
        words.append(_RU_TENS[rest // 10])
        unit = rest % 10
        words.append(_RU_ONE[gender] if unit == 1 else _RU_TWO[gender] if unit == 2 else _RU_UNITS[unit])
    return [w for w in words if w]


def ru_words(n: int, gender: Gender = Gender.MASCULINE) -> str:
    """``n`` in Russian words, "one" and "two" agreeing with a noun of ``gender``: 1 -> одна (единица)."""
    _check(n)
    if n == 0:
        return "ноль"
    words: list[str] = []
    for (forms, scale_gender), divisor in zip(_RU_SCALES, (1_000_000, 1_000), strict=True):
        count, n = divmod(n, divisor)
        if count:
            words += _ru_triple(count, scale_gender) + [ru_plural(count, *forms)]
    words += _ru_triple(n, gender)
    return " ".join(words)


def _ky_triple(n: int) -> list[str]:
    words = []
    if n >= 100:
        words += ([] if n // 100 == 1 else [_KY_UNITS[n // 100]]) + ["жүз"]
    words += [_KY_TENS[n % 100 // 10], _KY_UNITS[n % 10]]
    return [w for w in words if w]


def ky_words(n: int) -> str:
    """``n`` in Kyrgyz words: 7 -> жети, 21 -> жыйырма бир, 1000 -> миң, 2026 -> эки миң жыйырма алты."""
    _check(n)
    if n == 0:
        return "нөл"
    words: list[str] = []
    millions, n = divmod(n, 1_000_000)
    if millions:
        words += _ky_triple(millions) + ["миллион"]
    thousands, n = divmod(n, 1_000)
    if thousands:
        words += ([] if thousands == 1 else _ky_triple(thousands)) + ["миң"]
    words += _ky_triple(n)
    return " ".join(words)


class Unit(StrEnum):
    """What a total counts, as the forms name it."""

    STORAGE_UNITS = "storage_units"  # единица хранения, сактоо бирдиги (the act's total)
    CASES = "cases"  # дело, иш (the inventory's closing record)


_NOUNS: dict[Unit, dict[str, tuple[tuple[str, str, str], Gender]]] = {
    Unit.STORAGE_UNITS: {"ru": (("ед. хр.", "ед. хр.", "ед. хр."), Gender.FEMININE),
                         "ky": (("сактоо бирдиги", "сактоо бирдиги", "сактоо бирдиги"), Gender.NEUTER),
                         "en": (("storage unit", "storage units", "storage units"), Gender.NEUTER)},
    Unit.CASES: {"ru": (("дело", "дела", "дел"), Gender.NEUTER),
                 "ky": (("иш", "иш", "иш"), Gender.NEUTER),
                 "en": (("case", "cases", "cases"), Gender.NEUTER)},
}


def words(n: int, lang: str, gender: Gender = Gender.MASCULINE) -> str:
    if lang == "ky":
        return ky_words(n)
    if lang == "en":
        return str(n)  # English forms are for reference only
    return ru_words(n, gender)


def noun(n: int, unit: Unit, lang: str) -> str:
    """The noun of ``unit`` in the form that follows the number ``n``."""
    (one, few, many), _gender = _NOUNS[unit][lang if lang in ("ru", "ky") else "en"]
    if lang == "en":
        return one if n == 1 else many
    return ru_plural(n, one, few, many)


def amount(n: int, unit: Unit, lang: str) -> str:
    """A total in figures and words, as the forms write it: "7 (семь) ед. хр.", "2 (два) дела",
    "7 (жети) сактоо бирдиги"."""
    key = lang if lang in ("ru", "ky") else "en"
    gender = _NOUNS[unit][key][1]
    if key == "en":
        return f"{n} {noun(n, unit, 'en')}"
    return f"{n} ({words(n, key, gender)}) {noun(n, unit, key)}"
