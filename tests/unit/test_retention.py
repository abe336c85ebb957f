"""Retention notation and the counting rule: records.retention."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from records.retention import (
    MAX_YEARS,
    MIN_YEARS,
    Due,
    NeverReason,
    RetentionKind,
    RetentionParseError,
    RetentionRule,
    destruction_due,
    format_retention,
    may_destroy_in,
    needs_review,
    parse_retention,
    russian_years,
)

REPO = Path(__file__).resolve().parents[2]
SHIPPED_CSV = REPO / "records" / "data" / "nomenclature-12-4.csv"
SHARED_CSV = Path("/work/shared/data/nomenclature-12-4.csv")

PERMANENT = RetentionKind.PERMANENT
YEARS = RetentionKind.YEARS
UNTIL = RetentionKind.UNTIL_NEEDED

# Every row of the department's nomenclature (table 14 of the seed report):
# index -> (kind, years, articles).
NOMENCLATURE_EXPECTED: dict[str, tuple[RetentionKind, int | None, tuple[str, ...]]] = {
    "12-4-1": (UNTIL, None, ()),
    "12-4-2": (UNTIL, None, ()),
    "12-4-3": (UNTIL, None, ()),
    "12-4-4": (PERMANENT, None, ("364",)),
    "12-4-5": (YEARS, 3, ("23", "28")),
    "12-4-6": (YEARS, 3, ("369",)),
    "12-4-7": (PERMANENT, None, ("334",)),
    "12-4-8": (YEARS, 5, ("343",)),
    "12-4-9": (YEARS, 5, ("378",)),
    "12-4-10": (UNTIL, None, ()),
    "12-4-11": (YEARS, 3, ("374",)),
    "12-4-12": (UNTIL, None, ()),
    "12-4-13": (YEARS, 5, ("412",)),
    "12-4-14": (YEARS, 5, ("413",)),
    "12-4-15": (YEARS, 5, ("414",)),
    "12-4-16": (YEARS, 5, ("428",)),
    "12-4-17": (YEARS, 1, ("424",)),
    "12-4-18": (YEARS, 5, ("423",)),
    "12-4-19": (PERMANENT, None, ("405",)),
    "12-4-20": (YEARS, 5, ("430",)),
    "12-4-21": (PERMANENT, None, ("191",)),
    "12-4-22": (PERMANENT, None, ("350",)),
    "12-4-23": (PERMANENT, None, ("407",)),
    "12-4-24": (YEARS, 3, ("358",)),
    "12-4-25": (YEARS, 10, ("191",)),
    "12-4-26": (UNTIL, None, ()),
    "12-4-27": (YEARS, 10, ("281",)),
    "12-4-28": (YEARS, 2, ("483",)),
    "12-4-29": (YEARS, 2, ("67б",)),
}


def _nomenclature_rows() -> list[dict[str, str]]:
    # Prefer the copy the product ships; the shared one is the source it is copied from.
    path = SHIPPED_CSV if SHIPPED_CSV.exists() else SHARED_CSV
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


NOMENCLATURE_ROWS = _nomenclature_rows()


def test_every_nomenclature_row_has_an_expectation() -> None:
    assert [row["index"] for row in NOMENCLATURE_ROWS] == list(NOMENCLATURE_EXPECTED)


@pytest.mark.parametrize("row", NOMENCLATURE_ROWS, ids=lambda row: row["index"])
def test_nomenclature_row_parses(row: dict[str, str]) -> None:
    kind, years, articles = NOMENCLATURE_EXPECTED[row["index"]]
    rule = parse_retention(row["retention"])
    assert (rule.kind, rule.years, rule.articles, rule.epk) == (kind, years, articles, False)
    assert rule.source == row["retention"]


@pytest.mark.parametrize(
    ("text", "article_text"),
    [("3-жыл ст.23,28", "ст.23,28"), ("2-ж. ст.67б", "ст.67б"), ("Токтом ст. 405", "ст. 405"),
     ("МАЧ", "")],
)
def test_raw_article_text_is_kept(text: str, article_text: str) -> None:
    assert parse_retention(text).article_text == article_text


@pytest.mark.parametrize(
    ("text", "kind", "years"),
    [
        ("Токтом", PERMANENT, None),
        ("Туруктуу", PERMANENT, None),
        ("Пост.", PERMANENT, None),
        ("Постоянно", PERMANENT, None),
        ("пост", PERMANENT, None),
        ("ТУРУКТУУ", PERMANENT, None),
        ("Permanent", PERMANENT, None),
        ("МАЧ", UNTIL, None),
        ("ДМН", UNTIL, None),
        ("дмн", UNTIL, None),
        ("До минования надобности", UNTIL, None),
        ("Муктаждык жоголгонго чейин", UNTIL, None),
        ("until no longer needed", UNTIL, None),
        ("5-ж.", YEARS, 5),
        ("3-жыл", YEARS, 3),
        ("3-ж", YEARS, 3),
        ("5 л.", YEARS, 5),
        ("5 лет", YEARS, 5),
        ("1 г.", YEARS, 1),
        ("10 лет", YEARS, 10),
        ("1 год", YEARS, 1),
        ("2 года", YEARS, 2),
        ("10-ж.", YEARS, 10),
        ("5л", YEARS, 5),
        ("5 - ж.", YEARS, 5),
        ("5\u2013ж.", YEARS, 5),
        ("75\u00a0лет", YEARS, 75),
        ("1 year", YEARS, 1),
        ("5 years", YEARS, 5),
        ("  5   ЛЕТ  ", YEARS, 5),
    ],
)
def test_period_notation(text: str, kind: RetentionKind, years: int | None) -> None:
    rule = parse_retention(text)
    assert (rule.kind, rule.years, rule.epk, rule.articles) == (kind, years, False, ())


@pytest.mark.parametrize(
    "text",
    ["5 л. ЭПК", "5 л.ЭПК", "5 л.,ЭПК", "5 л., ЭПК", "5 лет ЭПК", "5-ж. эпк", "5 жыл + ЭПК",
     "5 years, EPK review", "ЭПК 5 лет"],
)
def test_epk_mark_after_years(text: str) -> None:
    rule = parse_retention(text)
    assert (rule.kind, rule.years, rule.epk) == (YEARS, 5, True)


def test_epk_mark_with_until_needed() -> None:
    rule = parse_retention("ДМН ЭПК")
    assert (rule.kind, rule.epk) == (UNTIL, True)


@pytest.mark.parametrize(
    ("text", "articles"),
    [
        ("Токтом ст.334", ("334",)),
        ("3-жыл ст.23,28", ("23", "28")),
        ("3-жыл ст. 23, 28", ("23", "28")),
        ("2-ж. ст.67б", ("67б",)),
        ("2-ж. ст.67Б", ("67Б",)),
        ("Токтом ст. 405", ("405",)),
        ("Токтом СТ.405", ("405",)),
        ("5-ж.ст.343", ("343",)),
        ("5 лет ст.ст. 23, 28", ("23", "28")),
        ("ст.334 Токтом", ("334",)),
        ("5 лет ст.23 ст.28", ("23", "28")),
        ("5 years, art. 343", ("343",)),
        ("5 л. ЭПК ст.343", ("343",)),
    ],
)
def test_article_references_kept_as_written(text: str, articles: tuple[str, ...]) -> None:
    assert parse_retention(text).articles == articles


@pytest.mark.parametrize("text", ["ст.23, 5 лет", "ст.23,5-ж.", "ст.23, 5 л.", "ст.23,5лет"])
def test_number_after_article_comma_with_unit_is_the_period(text: str) -> None:
    rule = parse_retention(text)
    assert (rule.kind, rule.years, rule.articles) == (YEARS, 5, ("23",))


def test_lettered_article_after_comma_is_an_article() -> None:
    # "1г" without a dot is article 1г (articles are lettered а, б, в, г).
    rule = parse_retention("Туруктуу, ст. 1, 1г")
    assert (rule.kind, rule.articles) == (PERMANENT, ("1", "1г"))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "Please enter a retention period"),
        ("   ", "Please enter a retention period"),
        ("5", "“5” is not a retention period"),
        ("5 дней", "“5 дней” is not a retention period"),
        ("постановление", "“постановление” is not a retention period"),
        ("Токтом ст.", "“ст.” is not a retention period"),
        ("5 лет ст.334x1", "“ст.334x1” is not a retention period"),
        ("навсегда, ст.334", "“навсегда” is not a retention period"),
        ("ЭПК", "Please add the period itself"),
        ("ст.334", "Please add the period itself"),
        ("5 лет 3 года", "Please give one period only"),
        ("Токтом МАЧ", "Please give one period only"),
        ("0 лет", "from 1 to 100 years"),
        ("101 год", "from 1 to 100 years"),
        ("Пост. ЭПК", "ЭПК is accepted after a number of years or МАЧ/ДМН"),
    ],
)
def test_refusals_say_what_is_accepted(text: str, fragment: str) -> None:
    with pytest.raises(RetentionParseError) as info:
        parse_retention(text)
    message = str(info.value)
    assert fragment in message
    assert info.value.text == text
    # Every refusal names at least one accepted form.
    assert "5-ж." in message or "years" in message


@pytest.mark.parametrize(
    ("n", "text"),
    [(1, "1 год"), (2, "2 года"), (4, "4 года"), (5, "5 лет"), (11, "11 лет"),
     (12, "12 лет"), (14, "14 лет"), (21, "21 год"), (22, "22 года"), (25, "25 лет"),
     (75, "75 лет"), (100, "100 лет"), (101, "101 год"), (111, "111 лет")],
)
def test_russian_plural(n: int, text: str) -> None:
    assert russian_years(n) == text


@pytest.mark.parametrize(
    ("rule", "ky", "ru", "en"),
    [
        (RetentionRule(PERMANENT, articles=("334",)),
         "Туруктуу, ст. 334", "Постоянно, ст. 334", "Permanent, art. 334"),
        (RetentionRule(UNTIL),
         "МАЧ", "До минования надобности (ДМН)", "Until no longer needed"),
        (RetentionRule(YEARS, 5),
         "5 жыл", "5 лет", "5 years"),
        (RetentionRule(YEARS, 1, articles=("424",)),
         "1 жыл, ст. 424", "1 год, ст. 424", "1 year, art. 424"),
        (RetentionRule(YEARS, 21, epk=True),
         "21 жыл + ЭПК", "21 год ЭПК", "21 years, EPK review"),
        (RetentionRule(YEARS, 3, epk=True, articles=("23", "28")),
         "3 жыл + ЭПК, ст. 23, 28", "3 года ЭПК, ст. 23, 28",
         "3 years, EPK review, art. 23, 28"),
    ],
)
def test_format_wording(rule: RetentionRule, ky: str, ru: str, en: str) -> None:
    assert format_retention(rule, "ky") == ky
    assert format_retention(rule, "ru") == ru
    assert format_retention(rule, "en") == en


def test_format_refuses_unknown_language() -> None:
    with pytest.raises(ValueError, match="lang"):
        format_retention(RetentionRule(PERMANENT), "de")


@pytest.mark.parametrize("lang", ["ky", "ru", "en"])
@pytest.mark.parametrize("row", NOMENCLATURE_ROWS, ids=lambda row: row["index"])
def test_format_round_trip_over_nomenclature(row: dict[str, str], lang: str) -> None:
    rule = parse_retention(row["retention"])
    assert parse_retention(format_retention(rule, lang)) == rule


_ARTICLE_NUMBERS = st.from_regex(r"\A[1-9][0-9]{0,3}[абвгд]?\Z")


@st.composite
def retention_rules(draw: st.DrawFn) -> RetentionRule:
    kind = draw(st.sampled_from(list(RetentionKind)))
    years = draw(st.integers(MIN_YEARS, MAX_YEARS)) if kind is YEARS else None
    epk = kind is not PERMANENT and draw(st.booleans())
    articles = tuple(draw(st.lists(_ARTICLE_NUMBERS, max_size=3)))
    return RetentionRule(kind, years, epk, articles)


@settings(database=None, deadline=None)
@given(rule=retention_rules(), lang=st.sampled_from(["ky", "ru", "en"]))
def test_format_round_trip_property(rule: RetentionRule, lang: str) -> None:
    assert parse_retention(format_retention(rule, lang)) == rule


def test_equality_ignores_spelling() -> None:
    assert parse_retention("5-ж. ст.343") == parse_retention("5 лет, ст. 343")
    assert parse_retention("Токтом") == parse_retention("Постоянно")
    assert parse_retention("5 лет") != parse_retention("5 лет ЭПК")


def test_json_round_trip() -> None:
    rule = parse_retention("3-жыл ЭПК ст.23,28")
    data = rule.to_json()
    assert data == {"kind": "years", "years": 3, "epk": True, "articles": ["23", "28"]}
    assert RetentionRule.from_json(data) == rule


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": YEARS, "years": None},
        {"kind": YEARS, "years": 0},
        {"kind": YEARS, "years": MAX_YEARS + 1},
        {"kind": YEARS, "years": True},
        {"kind": PERMANENT, "years": 5},
        {"kind": PERMANENT, "epk": True},
        {"kind": "forever"},
    ],
)
def test_rule_refuses_impossible_combinations(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        RetentionRule(**kwargs)  # type: ignore[arg-type]


# --- counting ------------------------------------------------------------------

FIVE = RetentionRule(YEARS, 5)
ONE = RetentionRule(YEARS, 1)
FIVE_EPK = RetentionRule(YEARS, 5, epk=True)
PERM = RetentionRule(PERMANENT)
NEEDED = RetentionRule(UNTIL)


@pytest.mark.parametrize(
    ("rule", "closed", "held", "due"),
    [
        (ONE, 2023, False, Due(2025, None, False)),
        (FIVE, 2023, False, Due(2029, None, False)),
        (FIVE_EPK, 2023, False, Due(2029, None, True)),
        (PERM, 2023, False, Due(None, NeverReason.PERMANENT, False)),
        (NEEDED, 2023, False, Due(None, NeverReason.UNTIL_NEEDED, True)),
        (FIVE, None, False, Due(None, NeverReason.OPEN, False)),
        (FIVE_EPK, None, False, Due(None, NeverReason.OPEN, True)),
        # The rule's own "never" outlasts the case being open.
        (PERM, None, False, Due(None, NeverReason.PERMANENT, False)),
        (NEEDED, None, False, Due(None, NeverReason.UNTIL_NEEDED, True)),
        # A hold wins over everything.
        (FIVE, 2023, True, Due(None, NeverReason.HELD, False)),
        (FIVE_EPK, 2000, True, Due(None, NeverReason.HELD, True)),
        (PERM, 2023, True, Due(None, NeverReason.HELD, False)),
        (NEEDED, 2023, True, Due(None, NeverReason.HELD, True)),
        (ONE, None, True, Due(None, NeverReason.HELD, False)),
    ],
)
def test_destruction_due(rule: RetentionRule, closed: int | None, held: bool, due: Due) -> None:
    assert destruction_due(rule, closed, held=held) == due


@pytest.mark.parametrize(
    ("rule", "closed", "act_year", "held", "allowed"),
    [
        (ONE, 2023, 2024, False, False),
        (ONE, 2023, 2025, False, True),
        (FIVE, 2023, 2028, False, False),
        (FIVE, 2023, 2029, False, True),
        (FIVE, 2023, 2040, False, True),
        (FIVE_EPK, 2023, 2029, False, True),
        (FIVE, 2023, 2040, True, False),
        (FIVE, None, 2040, False, False),
        (PERM, 2023, 2100, False, False),
        (NEEDED, 2023, 2100, False, False),
    ],
)
def test_may_destroy_in(
    rule: RetentionRule, closed: int | None, act_year: int, held: bool, allowed: bool
) -> None:
    assert may_destroy_in(rule, closed, act_year, held=held) is allowed


def test_nomenclature_cases_closed_2023_fall_due_as_the_table_says() -> None:
    due = {
        row["index"]: destruction_due(parse_retention(row["retention"]), 2023)
        for row in NOMENCLATURE_ROWS
    }
    assert due["12-4-17"] == Due(2025, None, False)
    assert due["12-4-8"] == Due(2029, None, False)
    assert due["12-4-25"] == Due(2034, None, False)
    assert due["12-4-7"].never is NeverReason.PERMANENT
    assert due["12-4-1"] == Due(None, NeverReason.UNTIL_NEEDED, True)


def test_needs_review() -> None:
    assert [needs_review(r) for r in (FIVE, FIVE_EPK, PERM, NEEDED)] == [False, True, False, True]


@settings(database=None, deadline=None)
@given(
    years=st.integers(MIN_YEARS, MAX_YEARS),
    closed=st.integers(1900, 2200),
    epk=st.booleans(),
)
def test_due_year_is_closing_plus_period_plus_one(years: int, closed: int, epk: bool) -> None:
    due = destruction_due(RetentionRule(YEARS, years, epk=epk), closed)
    assert due == Due(closed + years + 1, None, epk)


@settings(database=None, deadline=None)
@given(
    rule=retention_rules(),
    closed=st.one_of(st.none(), st.integers(1900, 2200)),
    held=st.booleans(),
    act_years=st.tuples(st.integers(1900, 2400), st.integers(1900, 2400)),
)
def test_may_destroy_in_is_monotone_in_act_year(
    rule: RetentionRule, closed: int | None, held: bool, act_years: tuple[int, int]
) -> None:
    earlier, later = sorted(act_years)
    if may_destroy_in(rule, closed, earlier, held=held):
        assert may_destroy_in(rule, closed, later, held=held)
    # And it agrees with the due year exactly.
    due = destruction_due(rule, closed, held=held)
    assert may_destroy_in(rule, closed, later, held=held) == (
        due.year is not None and later >= due.year
    )
