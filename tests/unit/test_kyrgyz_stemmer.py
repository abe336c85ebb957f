"""The Kyrgyz stemmer: word families from the department report share a stem."""
from __future__ import annotations

import itertools

import pytest

from records.search.kyrgyz import MIN_STEM, stem

# Forms as they occur in the department self-assessment report (the seed).
FAMILIES: dict[str, list[str]] = {
    "келишим": ["келишим", "келишими", "келишимдер", "келишимдин", "келишимдерди", "келишимдердин"],
    "кафедра": [
        "кафедра", "кафедранын", "кафедрасынын", "кафедрада", "кафедрасы", "кафедраны",
        "кафедрага", "кафедрадагы", "кафедрасына", "кафедрасында", "кафедралары",
    ],
    "протокол": [
        "протокол", "протоколу", "протоколунун", "протоколдор", "протоколдору", "протоколго",
        "протоколдук", "протоколун", "протоколунда",
    ],
    "отурум": ["отурум", "отуруму", "отурумунун", "отурумунда", "отурумундагы"],
    "ишкана": [
        "ишкана", "ишканалар", "ишканалары", "ишканаларда", "ишканаларынын", "ишканаларына",
        "ишканалардагы", "ишканаларды", "ишканалардын",
    ],
    "металлургия": ["металлургия", "металлургиялык", "металлургиясы", "металлургиянын"],
    "стратегия": ["стратегия", "стратегиясы", "стратегиясына", "стратегиялык", "стратегиясын", "стратегияларынын"],
    "кен": ["кен", "кенди", "кендерди", "кендерин"],
    "документ": ["документ", "документтер", "документтери", "документтерди", "документтердин"],
    "студент": ["студент", "студенти", "студенттер", "студенттин", "студенттердин", "студенттик", "студентке"],
    "жыл": ["жыл", "жылы", "жылдын", "жылынын", "жылдык", "жылдар", "жылдарга", "жылдагы", "жылдыкка", "жылында"],
    "отчет": ["отчет", "отчеттор", "отчеттору", "отчетторду", "отчеттук", "отчетунун"],
    "программа": [
        "программа", "программанын", "программасы", "программасын", "программалары",
        "программаларын", "программаларына", "программаларында", "программалык",
    ],
    "долбоор": ["долбоор", "долбоорлор", "долбоорлору", "долбоорлорду", "долбоорлордун", "долбоордук"],
    "окутуучу": ["окутуучу", "окутуучулар", "окутуучулардын", "окутуучуга", "окутуучунун", "окутуучулук"],
    "сапат": ["сапат", "сапаттын", "сапаттуу"],
    "сентябр": ["сентябрындагы"],
}


@pytest.mark.parametrize("expected", sorted(FAMILIES))
def test_every_form_of_a_family_reduces_to_its_stem(expected: str) -> None:
    assert {form: stem(form) for form in FAMILIES[expected]} == {form: expected for form in FAMILIES[expected]}


def test_different_families_do_not_collide() -> None:
    stems = {family: {stem(form) for form in forms} for family, forms in FAMILIES.items()}
    for first, second in itertools.combinations(FAMILIES, 2):
        assert stems[first].isdisjoint(stems[second]), (first, second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("кен", "кеңеш"),  # ore / council
        ("иш", "ишкана"),  # work / enterprise
        ("окуу", "окутуу"),  # study / teaching
        ("кафедра", "кафе"),
        ("окутуучу", "окутуу"),  # teacher is not teaching
        ("сапат", "сапатсыз"),  # the privative -сыз is kept: it reverses the meaning
    ],
)
def test_unrelated_words_keep_distinct_stems(first: str, second: str) -> None:
    assert stem(first) != stem(second)


@pytest.mark.parametrize("word", ["иш", "кен", "жер", "ал", "бир"])
def test_short_words_are_left_whole(word: str) -> None:
    assert stem(word) == word


@pytest.mark.parametrize("word", ["иштер", "иштин", "кенде"])
def test_a_stem_shorter_than_the_minimum_is_never_produced(word: str) -> None:
    assert len(stem(word)) >= MIN_STEM


@pytest.mark.parametrize("word", ["contracts", "2023", "12-4-7", "мазмун", "келишим", "отурум"])
def test_words_without_a_kyrgyz_ending_come_back_unchanged(word: str) -> None:
    assert stem(word) == word


def test_consonant_of_an_ending_must_fit_the_sound_before_it() -> None:
    # The locative is -та only after a voiceless consonant, so Russian работа stays whole.
    assert stem("работа") == "работа"
    assert stem("иштерде") != stem("иштерта")


def test_vowel_of_an_ending_must_agree_with_the_stem() -> None:
    assert stem("кафедралар") == "кафедра"
    assert stem("кафедралер") == "кафедралер"  # a front ending on a back stem is not an ending
    assert stem("көлдөр") != stem("көлдар")


def test_an_ending_after_a_possessive_needs_a_real_possessive() -> None:
    # мазмун-да "in the content", not мазм-у-нда
    assert stem("мазмунда") == "мазмун"
    assert stem("отурумунда") == "отурум"
