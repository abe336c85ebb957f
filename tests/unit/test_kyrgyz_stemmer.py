"""The Kyrgyz stemmer and how search combines it with the Russian stem, against the gold set
(``tests/data/kyrgyz_gold.tsv``) and the rules written down in ``records.search.kyrgyz``."""
from __future__ import annotations

import pytest

from bench.fidelity.stemmer import TARGETS, load_gold, meet, score
from records.search.analysis import fold, stems
from records.search.kyrgyz import MIN_STEM, analyse, stem
from records.search.kyrgyz_lexicon import LOANS, NATIVE

GOLD = load_gold()


@pytest.mark.parametrize("forms", GOLD.families, ids=lambda forms: forms[0])
def test_the_forms_of_a_word_meet(forms: list[str]) -> None:
    apart = [(first, second) for first, second in GOLD.same_pairs(unlisted=False)
             if first in forms and second in forms and not meet(stems, first, second)]
    assert apart == []


@pytest.mark.parametrize(("first", "second"), GOLD.different, ids="/".join)
def test_different_words_stay_apart(first: str, second: str) -> None:
    assert not meet(stems, first, second), (stems(first), stems(second))


@pytest.mark.parametrize(("kyrgyz", "russian"), GOLD.loans, ids="~".join)
def test_a_loanword_meets_its_russian_forms(kyrgyz: str, russian: str) -> None:
    assert meet(stems, kyrgyz, russian), (stems(kyrgyz), stems(russian))


def test_the_gold_set_meets_its_targets() -> None:
    figures = {target.label: target.figure(GOLD) for target in TARGETS}
    assert all(figure.met for figure in figures.values()), figures
    # The rules for words outside the lexicon carry most of the way on their own.
    assert score(stems, GOLD.same_pairs(unlisted=True)).rate >= 0.9


def test_the_gold_set_is_large_and_its_unlisted_words_are_really_unlisted() -> None:
    assert len(GOLD.same_pairs()) >= 1000 and len(GOLD.different) >= 80 and len(GOLD.loans) >= 50
    for forms in GOLD.unlisted:
        assert not {analyse(form).text for form in forms} & (NATIVE | LOANS), forms


# --- the cases named in the stemmer's description ----------------------------------------------

@pytest.mark.parametrize(
    ("forms", "expected"),
    [
        (["иш", "иши", "иштер", "иштин", "ишке", "ишти", "иштен", "ишин", "ишиме", "иштеринин"], "иш"),
        (["китеп", "китеби", "китебин", "китептер"], "китеп"),  # п -> б before a vowel
        (["буйрук", "буйругу", "буйругун", "буйруктар"], "буйрук"),  # к -> г
        (["курак", "курагы"], "курак"),
        (["план", "планы", "планын", "пландар"], "план"),  # план-ы, not пла-ны
        (["ректор", "ректору", "ректорлор", "ректордун"], "ректор"),  # not рек-тор
        (["дептер", "дептери", "дептерлер"], "дептер"),  # not деп-тер
        (["сентябрь", "сентябрындагы", "сентябрдын"], "сентябрь"),  # the soft sign comes back
        (["отчет", "отчеттору", "отчетко"], "отчет"),  # отчёт takes back vowels
        (["үй", "үйү", "үйгө", "үйлөр"], "үй"),
        (["суу", "сууга", "суунун", "суулар"], "суу"),  # у takes а as its low vowel
    ],
)
def test_forms_reduce_to_their_stem(forms: list[str], expected: str) -> None:
    assert {form: stem(form) for form in forms} == dict.fromkeys(forms, expected)


@pytest.mark.parametrize(("first", "second"), [("келишим", "келиш"), ("билим", "бил"), ("дептер", "деп"),
                                               ("бардык", "бар"), ("ректор", "река"), ("планы", "пла")])
def test_must_stay_apart(first: str, second: str) -> None:
    assert set(stems(first)).isdisjoint(stems(second))


@pytest.mark.parametrize("word", ["кафедралер", "көлдар", "ишлер", "иштар"])
def test_an_ending_in_the_wrong_harmony_or_assimilation_variant_is_not_an_ending(word: str) -> None:
    # кафедра takes -лар, көл -дөр, иш -тер: these spellings are not Kyrgyz forms of them.
    assert stem(word) == word


@pytest.mark.parametrize("word", ["работа", "кафедры", "протоколы", "студенты", "contracts", "2023"])
def test_words_in_other_languages_pass_through(word: str) -> None:
    assert stem(word) == word


@pytest.mark.parametrize(("word", "expected"), [("жылдык", "жылдык"), ("ишчи", "ишчи"), ("сапаттуу", "сапаттуу"),
                                                ("суусуз", "суусуз"), ("окутуучулук", "окутуучулук")])
def test_derivational_suffixes_are_kept(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_lexicon_tells_kyrgyz_words_from_loanwords() -> None:
    assert analyse("келишимдердин").origin == "native"
    assert analyse("протоколунун").origin == "loan"
    assert analyse("тамырынан").origin is None


# --- words outside the lexicon ----------------------------------------------------------------

@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("тамырынан", "тамыр"), ("жазманын", "жазма"), ("кабинеттерде", "кабинет"),
        ("уюмдун", "уюм"),  # a three-letter stem, with a long ending
        ("уюмга", "уюмга"), ("уюмдар", "уюмдар"),  # ... but not with a short one or a plural
        ("кыймылым", "кыймылым"),  # -ым may be a nominaliser (чечим): not removed from unknown words
        ("казахстан", "казахстан"),  # not казахс-тан: no stem ends in хс
        ("окурмандар", "окурман"), ("дарыгерлердин", "дарыгер"), ("тилкесинде", "тилке"),
        ("семестрде", "семестр"),  # a loanword's final cluster
    ],
)
def test_unknown_words_are_cut_only_by_the_strict_rules(word: str, expected: str) -> None:
    assert analyse(word).origin is None
    assert stem(word) == expected
    assert len(stem(word)) >= MIN_STEM


def test_input_is_folded_first() -> None:
    assert stem(fold("ИШТЕРИ")) == "иш"
