"""The one-box query language: text -> backend-neutral tree, friendly errors."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from records.search.query import (
    MAX_CLAUSES,
    And,
    DateRange,
    FieldTerm,
    MatchAll,
    Not,
    Or,
    Phrase,
    Prefix,
    QueryError,
    Word,
    parse_query,
)


def test_words_are_all_required() -> None:
    assert parse_query("кафедра  протокол") == And((Word("кафедра"), Word("протокол")))


def test_a_single_word_is_just_that_word() -> None:
    assert parse_query(" протоколунун ") == Word("протоколунун")


def test_empty_query_matches_everything() -> None:
    assert parse_query("   ") == MatchAll()


def test_or_binds_tighter_than_and() -> None:
    assert parse_query("кафедра протокол OR буйрук") == And(
        (Word("кафедра"), Or((Word("протокол"), Word("буйрук"))))
    )


def test_lower_case_or_is_an_ordinary_word() -> None:
    assert parse_query("this or that") == And((Word("this"), Word("or"), Word("that")))


def test_minus_excludes() -> None:
    assert parse_query('кафедра -келишим -"ички аудит" -type:order') == And(
        (Word("кафедра"), Not(Word("келишим")), Not(Phrase("ички аудит")), Not(FieldTerm("type", "order")))
    )


def test_minus_inside_a_word_is_part_of_it() -> None:
    assert parse_query("окуу-усулдук") == Word("окуу-усулдук")


@pytest.mark.parametrize("quoted", ['"отурумунун протоколу"', "«отурумунун протоколу»", "“отурумунун протоколу”"])
def test_quoted_phrases(quoted: str) -> None:
    assert parse_query(quoted) == Phrase("отурумунун протоколу")


def test_prefix_is_folded() -> None:
    assert parse_query("Келиш*") == Prefix("келиш")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("index:12-4-7", FieldTerm("index", "12-4-7")),
        ("year:2023", FieldTerm("year", "2023")),
        ("жыл:2023", FieldTerm("year", "2023")),
        ("type:Protocol", FieldTerm("type", "protocol")),
        ("number:№15", FieldTerm("number", "15")),
        ("counterparty:Кумтөр", FieldTerm("counterparty", "Кумтөр")),
        ('counterparty:"Кумтөр Голд"', FieldTerm("counterparty", "Кумтөр Голд")),
        ("lang:KY", FieldTerm("lang", "ky")),
        ("date:2023-01-01..2023-06-30", DateRange(date(2023, 1, 1), date(2023, 6, 30))),
        ("date:..2023-06-30", DateRange(None, date(2023, 6, 30))),
        ("date:2023-01-01..", DateRange(date(2023, 1, 1), None)),
        ("date:2023-05-02", DateRange(date(2023, 5, 2), date(2023, 5, 2))),
    ],
)
def test_fields(text: str, expected: object) -> None:
    assert parse_query(text) == expected


def test_fields_combine_with_words() -> None:
    assert parse_query("протокол year:2023 -lang:ru") == And(
        (Word("протокол"), FieldTerm("year", "2023"), Not(FieldTerm("lang", "ru")))
    )


def test_text_without_letters_is_ignored() -> None:
    assert parse_query("протокол — !!! 10:30") == And((Word("протокол"), Word("10:30")))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('"отурумунун протоколу', "quotation mark"),
        ("«отурумунун", "quotation mark"),
        ("author:Асаналиева", "Unknown search field"),
        ("date:2023-02-30", "is not a date"),
        ("date:01.02.2023", "is not a date"),
        ("date:..", "at least one date"),
        ("date:2023-06-30..2023-01-01", "starts after it ends"),
        ("year:23", "is not a year"),
        ("lang:de", "Unknown language"),
        ("-келишим -буйрук", "at least one word"),
        ("-келишим", "at least one word"),
        ("к*", "two letters"),
        ("*", "two letters"),
        ("12-4*", "single word"),
        ("OR протокол", "each side of OR"),
        ("протокол OR", "each side of OR"),
        ("протокол OR OR буйрук", "each side of OR"),
        ("протокол OR -буйрук", "minus cannot be part of OR"),
        ('counterparty:"!!"', "Give a value"),
        (" ".join(["сөз"] * (MAX_CLAUSES + 1)), "too long"),
        ("(((", "no word to look for"),
        ("( ) -", "no word to look for"),
    ],
)
def test_malformed_queries_raise_a_friendly_query_error(text: str, fragment: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    assert fragment in str(caught.value)


def test_query_error_message_is_lazy_and_translatable() -> None:
    with pytest.raises(QueryError) as caught:
        parse_query("year:abc")
    assert type(caught.value.message).__name__ == "LazyString"
    assert "abc" in str(caught.value.message)


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet=st.sampled_from(list('ab кө-*":.«»“” OR year date 2023-01-01 ..')), max_size=40))
def test_any_text_parses_or_raises_query_error_only(text: str) -> None:
    try:
        parse_query(text)
    except QueryError:
        pass


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=60))
def test_arbitrary_unicode_parses_or_raises_query_error_only(text: str) -> None:
    try:
        parse_query(text)
    except QueryError as error:
        assert str(error)
