"""Analysis: folding, words, stems, and the Whoosh analyzers built from them."""
from __future__ import annotations

import pytest

from records.search.analysis import (
    analyze,
    analyze_exact,
    exact_analyzer,
    fold,
    normalize_number,
    stemming_analyzer,
    stems,
    words,
)


def _meet(first: str, second: str) -> bool:
    return not set(analyze(first)).isdisjoint(analyze(second))


@pytest.mark.parametrize(
    "family",
    [
        ["протокол", "протоколы", "протоколом", "протоколунун", "протоколдор"],
        ["келишим", "келишимдер", "келишимдин", "келишимдерди"],
        ["кафедра", "кафедры", "кафедранын", "кафедрасынын", "кафедре"],
        ["ЁЛКА", "елка", "Ёлки"],
        ["contract", "contracts", "Contracting"],
    ],
)
def test_inflected_forms_of_a_word_meet(family: list[str]) -> None:
    for form in family[1:]:
        assert _meet(family[0], form), form


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("протокол", "приказ"), ("кен", "кеңеш"), ("иш", "ишкана"),
        # Snowball reads -им as a Russian ending; these are Kyrgyz nouns, not the verbs they come from.
        ("келишим", "келиш"), ("Келишимдер", "келиш"), ("билим", "бил"), ("билимди", "бил"),
        ("кенен", "кен"),  # Snowball's кенен -> кен lands on a Kyrgyz word: dropped
    ],
)
def test_different_words_do_not_meet(first: str, second: str) -> None:
    assert not _meet(first, second)


def test_fold_is_cyrillic_casefold_with_yo_as_ye() -> None:
    assert fold("ЁЛКА Өнүгүү ҢЫ") == "елка өнүгүү ңы"
    assert fold("Straße") == "strasse"


def test_fold_composes_decomposed_letters() -> None:
    assert fold("и\u0306ы") == "йы"  # й typed as и + combining breve


def test_words_split_on_punctuation_and_underscore_and_keep_offsets() -> None:
    text = "Протокол №5 (12-4-7) protocol_5.pdf"
    found = list(words(text))
    assert [word for word, _, _ in found] == ["протокол", "5", "12", "4", "7", "protocol", "5", "pdf"]
    assert all(fold(text[start:end]) == word for word, start, end in found)


def test_a_loanword_gets_its_kyrgyz_stem_and_the_russian_stem_of_that() -> None:
    assert stems("кафедранын") == ("кафедра", "кафедр")
    assert stems("протоколунун") == ("протокол",)


def test_a_kyrgyz_word_gets_its_kyrgyz_stem_alone() -> None:
    assert stems("келишимдердин") == ("келишим",)  # Snowball would add келиш
    assert stems("көбөйтүүнүн") == ("көбөйтүү",)  # not in the lexicon, but ө/ү/ң are not Russian
    assert stems("тууралоону") == ("тууралоо",)  # nor long vowels (but оо: сообщение)
    assert stems("сообщения") == ("сообщения", "сообщен")


def test_a_russian_word_gets_its_russian_stem() -> None:
    # "протоколы" is not a Kyrgyz form (that would be протоколу): the Russian stem finds протокол.
    assert stems("протоколы") == ("протоколы", "протокол")
    assert "кафедр" in stems("кафедры")


def test_latin_word_gets_english_stem_and_numbers_stay() -> None:
    assert stems("meetings") == ("meet",)
    assert stems("2023") == ("2023",)


def test_analyze_exact_folds_without_stemming() -> None:
    assert analyze_exact("Протоколунун ЁЛКА") == ["протоколунун", "елка"]


@pytest.mark.parametrize(("raw", "expected"), [("№ 15", "15"), ("No. 15/2", "15/2"), ("15-К", "15-к"), ("n15", "15")])
def test_normalize_number(raw: str, expected: str) -> None:
    assert normalize_number(raw) == expected


def test_stemming_analyzer_puts_all_stems_of_a_word_at_its_position() -> None:
    tokens = [(t.text, t.pos, t.startchar, t.endchar) for t in stemming_analyzer()("Кафедранын отуруму", positions=True, chars=True)]
    first = [token for token in tokens if token[1] == 0]
    assert {text for text, *_ in first} >= {"кафедра", "кафедр"}
    assert all((start, end) == (0, 10) for _, _, start, end in first)
    assert [(text, pos) for text, pos, _, _ in tokens if pos == 1] == [("отурум", 1)]


def test_exact_analyzer_keeps_one_folded_token_per_word() -> None:
    tokens = [(t.text, t.pos) for t in exact_analyzer()("Отурумунун ПРОТОКОЛУ", positions=True)]
    assert tokens == [("отурумунун", 0), ("протоколу", 1)]


def test_analyzers_compare_by_kind() -> None:
    assert stemming_analyzer() == stemming_analyzer()
    assert stemming_analyzer() != exact_analyzer()


def test_the_characters_whose_folding_splits_words_are_the_running_pythons() -> None:
    """``folded_words`` folds a text in one piece unless it holds one of these; recomputed from the
    Unicode tables of this Python, so an upgrade that adds one fails here."""
    import re

    from records.search.analysis import _FOLD_SPLITS_WORDS

    word = re.compile(r"[^\W_]+")
    splitting = {char for char in map(chr, range(0x10000)) if char.casefold() != char and any(
        bool(word.fullmatch(part)) != bool(word.fullmatch(char)) for part in char.casefold())}
    listed = {char for char in map(chr, range(0x10000)) if _FOLD_SPLITS_WORDS.match(char)}
    assert listed == splitting and "\u0130" in listed


@pytest.mark.parametrize("text", [
    "Кафедранын ОТУРУМУНУН протоколу №5, Ёлка ёлки; ӨНДҮРҮШТҮК практика — ҢЫ.",
    "Straße STRASSE ﬁle ŉ Σίσυφος ΣΊΣΥΦΟΣ µ",
    "İstanbul ΐ ΰ ǰ istanbul",  # folding splits these: the word-by-word way
    "𐐀𐐨 Deseret, 12-4-7 protocol_5.pdf",
])
def test_a_whole_text_folds_into_the_words_of_folding_each_word(text: str) -> None:
    import unicodedata

    from records.search.analysis import fold_word, folded_words, word_matches

    text = unicodedata.normalize("NFC", text)
    assert folded_words(text) == [fold_word(match.group()) for match in word_matches(text)]
