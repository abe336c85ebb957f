"""Snippets: the marks found from the query's word starts are exactly the marks of a word-by-word look."""
from __future__ import annotations

import random

import pytest

from records.search.highlight import Highlighter, snippet
from records.search.query import parse_query

TEXT = (
    "Кафедранын отурумунун ПРОТОКОЛУ №5. Кафедранын отурумунда өндүрүштүк практика боюнча келишимдердин "
    "аткарылышы каралды; келишимдин мөөнөтү узартылды. Протоколом заседания кафедры утверждён отчёт о "
    "практике студентов, «Кумтөр Голд Компани» ЖАК менен келишим. The department's practice contracts "
    "were reviewed; happy students, happier teachers. Окуу планы, учебный план, кен казуучу ишканаларда."
)
QUERIES = ["кафедра", "протоколы", "келишим практика", '"окуу планы"', "каф*", "отчет", "happiness",
           "контракт OR договор", "каф* отчет", '"окуу планы" практика', "counterparty:Кумтөр", "ЁЛКА", "практика -отчет", "студентов"]


def _slow(text: str, highlighter: Highlighter, monkeypatch: pytest.MonkeyPatch) -> str:
    with monkeypatch.context() as patched:
        patched.setattr(Highlighter, "candidates", property(lambda self: None))
        return str(snippet(text, highlighter))


@pytest.mark.parametrize("q", QUERIES)
def test_marks_are_those_of_a_word_by_word_look(q: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(q)
    words = TEXT.split()
    for _ in range(20):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(5, 400)))
        assert str(snippet(text, Highlighter.for_query(parse_query(q)))) == \
            _slow(text, Highlighter.for_query(parse_query(q)), monkeypatch)


def test_inflected_forms_are_marked_and_other_words_not() -> None:
    found = str(snippet(TEXT, Highlighter.for_query(parse_query("келишим"))))
    assert "<mark>келишимдердин</mark>" in found and "<mark>келишимдин</mark>" in found
    assert "<mark>аткарылышы</mark>" not in found and "мөөнөтү" in found


def test_text_whose_folding_moves_letters_is_still_marked() -> None:
    # "ß" folds to "ss": the folded text is longer, so the word-by-word look is used.
    text = "Die Straße und der Vertrag: Vertrag über die Praxis, Straße 5."
    found = str(snippet(text, Highlighter.for_query(parse_query("vertrag"))))
    assert found.count("<mark>Vertrag</mark>") == 2
