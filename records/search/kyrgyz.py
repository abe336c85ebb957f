"""A light stemmer for Kyrgyz, so inflected forms of one word meet in search.

Kyrgyz stacks suffixes on a stem in a fixed order:
stem + derivation + plural + possessive + case. The stemmer undoes that order
from the right, removing at most one ending per slot:

1. case: genitive (-нын/-дын/-тын ...), accusative (-ны/-ды/-ты ...), dative
   (-га/-ка ...), locative (-да/-та ...), ablative (-дан/-тан ...), attributive
   locative (-дагы/-тагы ...), and the forms that follow a possessive
   (-н, -на, -нда, -нан, -ндагы ...);
2. possessive of the third person (-ы/-и/-у/-ү after a consonant, -сы/-си/-су/-сү
   after a vowel) and of the first/second person plural (-(ы)быз, -(ы)ңыз ...);
3. plural (-лар/-дар/-тар in all vowel variants);
4. derivation: -лык/-дык/-тык ("-al", "-ness") and -луу/-дуу/-туу ("having").

An ending is removed only when all of these hold:

- at least ``MIN_STEM`` letters, one of them a vowel, remain, so short words
  (кен "ore", иш "work") are never cut down;
- its first consonant fits the sound before it: л- after a vowel, р or й;
  д- after a voiced consonant; т- after a voiceless one; н- (genitive,
  accusative) after a vowel; -сы after a vowel and -ы after a consonant other
  than ч (-чы/-чу is the agent suffix, kept);
- its vowel agrees in front/back with the last vowel left (е and и count as
  both, because Russian loanwords such as отчет take back endings:
  отчеттору);
- an ending that follows a possessive (-н, -нда ...) really sits after one: the
  vowel-stem form -сы-, a plural, a consonant stem of at least five letters, or
  a shorter one ending vowel + consonant. That keeps мазмун-да "in the content"
  whole while протоколун, отурумунда and жылында are reduced.

Not removed on purpose: the 1st/2nd person singular possessives (-ым, -ың),
because they are indistinguishable from stems such as келишим, отурум; the
agent suffix -чы (окутуучу "teacher" is not "teaching"); the privative -сыз
(it reverses the meaning); verb morphology (too ambiguous without a lexicon).
The input is expected in lower case (see ``records.search.analysis.fold``).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

__all__ = ["MIN_STEM", "stem"]

MIN_STEM = 3

_VOWELS = frozenset("аеёиоуүөыэюя")
_BACK_VOWELS = frozenset("аоуыяюё")
_FRONT_VOWELS = frozenset("өүэ")
_VOICELESS = frozenset("кпстфхцчшщ")
_POSSESSIVE_VOWELS = frozenset("ыиуү")
_CYRILLIC_LETTERS = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюяңөү")

# A rule: the ending and the test its left-hand remainder must pass.
_Rule = tuple[str, Callable[[str], bool]]


def _is_vowel(letter: str) -> bool:
    return letter in _VOWELS


def _after_vowel(rest: str) -> bool:
    return _is_vowel(rest[-1])


def _after_consonant(rest: str) -> bool:
    return not _is_vowel(rest[-1])


def _after_voiced(rest: str) -> bool:
    return not _is_vowel(rest[-1]) and rest[-1] not in _VOICELESS


def _after_voiced_or_vowel(rest: str) -> bool:
    return rest[-1] not in _VOICELESS


def _after_voiceless(rest: str) -> bool:
    return rest[-1] in _VOICELESS


def _after_sonorant_or_vowel(rest: str) -> bool:
    # Plural and -лык take л- after vowels and after р, й.
    return _is_vowel(rest[-1]) or rest[-1] in "рй"


def _after_consonant_not_agent(rest: str) -> bool:
    # -чы/-чу is the agent noun (окутуучу "teacher"), not a stem plus -ы.
    return _after_consonant(rest) and rest[-1] != "ч"


def _after_voiced_obstruent(rest: str) -> bool:
    return _after_voiced(rest) and rest[-1] not in "рй"


def _after_possessive(rest: str) -> bool:
    if len(rest) < 2 or rest[-1] not in _POSSESSIVE_VOWELS or _is_vowel(rest[-2]):
        return False
    if rest[-2] == "с" and len(rest) >= 3 and _is_vowel(rest[-3]):
        return True
    if any(rest[:-1].endswith(plural) for plural, _ in _PLURAL):
        return True
    # A bare consonant stem: long, or short and ending vowel + consonant (жыл-ы-нда);
    # this keeps мазмун-да from becoming мазм-у-нда.
    stem = rest[:-1]
    return len(stem) >= 5 or (len(stem) >= MIN_STEM and _is_vowel(stem[-2]))


def _variants(pattern: str, vowels: str) -> list[str]:
    return [pattern.replace("V", vowel) for vowel in vowels]


def _rules(patterns: Sequence[str], vowels: str, test: Callable[[str], bool]) -> list[_Rule]:
    return [(ending, test) for pattern in patterns for ending in _variants(pattern, vowels)]


_NARROW = "ыиуү"  # high vowels: ы after а/ы, и after е/и, у after о/у, ү after ө/ү
_WIDE = "аеоө"  # low vowels

_CASE: list[_Rule] = (
    _rules(["нVн", "нV"], _NARROW, _after_vowel)
    + _rules(["дVн", "дV"], _NARROW, _after_voiced)
    + _rules(["тVн", "тV"], _NARROW, _after_voiceless)
    + _rules(["гV", "дV", "дVн"], _WIDE, _after_voiced_or_vowel)
    + _rules(["кV", "тV", "тVн"], _WIDE, _after_voiceless)
    + [(e, _after_voiced_or_vowel) for e in ("дагы", "деги", "догу", "дөгү")]
    + [(e, _after_voiceless) for e in ("тагы", "теги", "тогу", "төгү")]
    + [(e, _after_possessive) for e in ("ндагы", "ндеги", "ндогу", "ндөгү")]
    + _rules(["нV", "ндV", "нVн"], _WIDE, _after_possessive)
    + [("н", _after_possessive)]
)

_POSSESSIVE: list[_Rule] = (
    _rules(["V"], _NARROW, _after_consonant_not_agent)
    + _rules(["сV"], _NARROW, _after_vowel)
    + [(e, _after_consonant) for e in ("ыбыз", "ибиз", "убуз", "үбүз", "ыңыз", "иңиз", "уңуз", "үңүз")]
    + [(e, _after_vowel) for e in ("быз", "биз", "буз", "бүз", "ңыз", "ңиз", "ңуз", "ңүз")]
)

_PLURAL: list[_Rule] = (
    _rules(["лVр"], _WIDE, _after_sonorant_or_vowel)
    + _rules(["дVр"], _WIDE, _after_voiced_obstruent)
    + _rules(["тVр"], _WIDE, _after_voiceless)
)

_DERIVATION: list[_Rule] = (
    _rules(["лVк"], _NARROW, _after_sonorant_or_vowel)
    + _rules(["дVк"], _NARROW, _after_voiced)  # долбоор-дук: д- also after р
    + _rules(["тVк"], _NARROW, _after_voiceless)
    + [(e, _after_sonorant_or_vowel) for e in ("луу", "лүү")]
    + [(e, _after_voiced_obstruent) for e in ("дуу", "дүү")]
    + [(e, _after_voiceless) for e in ("туу", "түү")]
)


def _longest_first(rules: list[_Rule]) -> tuple[_Rule, ...]:
    return tuple(sorted(rules, key=lambda rule: -len(rule[0])))


_SLOTS: tuple[tuple[_Rule, ...], ...] = tuple(
    _longest_first(slot) for slot in (_CASE, _POSSESSIVE, _PLURAL, _DERIVATION)
)


def _by_ending(rules: tuple[_Rule, ...]) -> tuple[tuple[int, ...], dict[str, tuple[Callable[[str], bool], ...]]]:
    # The same rules looked up by the word's last letters instead of trying each ending in turn;
    # longest ending first, and rules sharing an ending keep their order.
    tests: dict[str, list[Callable[[str], bool]]] = {}
    for ending, fits_after in rules:
        tests.setdefault(ending, []).append(fits_after)
    lengths = tuple(sorted({len(ending) for ending in tests}, reverse=True))
    return lengths, {ending: tuple(found) for ending, found in tests.items()}


_SLOT_TABLES = tuple(_by_ending(slot) for slot in _SLOTS)


def _last_vowel(text: str) -> str | None:
    for letter in reversed(text):
        if letter in _VOWELS:
            return letter
    return None


def _harmonises(rest: str, ending: str) -> bool:
    ending_vowel = next((letter for letter in ending if letter in _VOWELS), None)
    stem_vowel = _last_vowel(rest)
    if ending_vowel is None or stem_vowel is None:
        return True
    if stem_vowel in _BACK_VOWELS:
        return ending_vowel not in "еиөү"
    if stem_vowel in _FRONT_VOWELS:
        return ending_vowel not in "аоуы"
    return True  # е, и: native front, but loanwords take either


def _strip_one(word: str, table: tuple[tuple[int, ...], dict[str, tuple[Callable[[str], bool], ...]]]) -> str:
    lengths, tests = table
    for size in lengths:
        if len(word) - size < MIN_STEM:
            continue
        ending = word[-size:]
        found = tests.get(ending)
        if found is None:
            continue
        rest = word[:-size]
        if _last_vowel(rest) is None:
            continue
        for fits_after in found:
            if fits_after(rest) and _harmonises(rest, ending):
                return rest
    return word


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Return the Kyrgyz stem of a lower-case word; other words come back unchanged."""
    if len(word) <= MIN_STEM or not all(letter in _CYRILLIC_LETTERS for letter in word):
        return word
    for table in _SLOT_TABLES:
        word = _strip_one(word, table)
    return word
