"""The Kyrgyz stemmer: the inflected forms of a noun meet in search, and different words stay apart.

Kyrgyz stacks suffixes on a stem in a fixed order, stem + plural + possessive + case, and every
suffix takes the variant the sounds before it call for. The stemmer reads a word from the right
and undoes that order, at most one suffix per slot:

1. case -- genitive -NIн, accusative -NI, dative -GA, locative -DA, ablative -DAн, attributive
   locative -DAгI; after a 3rd person possessive the accusative is -н, the dative -нA, the
   locative -ндA, the ablative -нAн, the attributive -ндAгI; after -ым/-ың the dative is -A;
2. possessive -- 3rd person -сI after a vowel, -I after a consonant; 1st/2nd person singular -(I)м,
   -(I)ң; plural persons -(I)бIз, -(I)ңIз, -(I)ңAр;
3. plural -- -LAр.

In those patterns I is the high vowel and A the low vowel that vowel harmony picks from the
last vowel before the suffix (а ы я: ы/а; о ё: у/о; у ю: у/а; е и э: и/е; ө: ү/ө; ү: ү/ө), and the
capital consonant is the one assimilation picks from the sound before it:

======  ============  =======================  ====================
        after vowel   after voiced consonant   after voiceless one
======  ============  =======================  ====================
N       н             д                        т
L       л             л after й, р; else д     т
G       г             г                        к
D       д             д                        т
======  ============  =======================  ====================

A suffix is removed only when the variant that the remaining stem calls for is exactly the one
written: кафедра-лар but not кафедра-лер, иш-тер but not иш-дер; so Russian words, whose endings
rarely fit (работа, кафедры, протоколы), pass through whole. Russian loanwords pronouncing е as ё
after ч, ж, ш, щ take back vowels (отчет-тору) and are allowed them.

Voicing: a stem-final п or к becomes б or г before a vowel (китеп, китеби; буйрук, буйругу;
курак, курагы); the stemmer turns it back. Loanwords written with a soft sign drop it before
an ending (сентябрь, сентябр-ын-дагы) and get it back.

When to cut. A word usually has several readings (планы: план-ы "its plan" or пла-ны; дептер:
the noun "notebook" or деп-тер), so the stemmer keeps the reading whose stem is attested in the
lexicon shipped with it (``records.search.kyrgyz_lexicon``, the department's vocabulary and common
words), the longest such stem if several are: a listed word is never cut (дептер, бардык,
келишим, мурда "before", алтын "gold"), and short roots (иш, үй, жыл, тил, кен, суу, жер, ай,
сөз) meet their forms (иш, иши, иштер, иштин, ишке) without other short words being cut to them.
A word with no listed stem is cut only by stricter rules:

- the stem keeps at least ``MIN_STEM`` (3) letters and a vowel; a stem of exactly three letters
  only under endings of three letters or more, none of them a plural next to it (уюм-дун, аяг-ы-нда;
  but ректор, дептер, мурда "before", кийин "after" are not рек-тор, деп-тер, мур-да, кий-и-н);
- the 1st/2nd person singular possessive is never removed: it is spelled like the nominaliser
  -ым/-им (чечим "decision", тизим "list");
- the stem does not end in two consonants, unless in a cluster loanwords end in (процесс-и,
  документ-тер, семестр-де; but not казахс-тан), nor in ч before a vowel (окутуучу "teacher" is
  not окутууч-у).

Of the readings left, the shortest stem wins (мазмун-да "in the content", since мазм-у-нда ends in
two consonants).

Not removed, on purpose: derivational suffixes, which make other words -- -лык/-дык/-тык
(жылдык "annual", бардык "all"), -чы (ишчи "worker"), -луу/-дуу/-туу (сапаттуу "of quality"),
-сыз (суусуз "waterless"), -кер (ишкер), -кана (ишкана), -ым/-им nouns (билим "knowledge", not
бил "know") -- and verb morphology. The input is expected in lower case with ё as е (see
``records.search.analysis.fold``).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple

from records.search.kyrgyz_lexicon import LOANS, NATIVE

__all__ = ["MIN_STEM", "Stem", "analyse", "is_native", "stem"]

MIN_STEM = 3  # letters a stem not in the lexicon must keep; a stem of three needs longer endings (see below)

Origin = Literal["native", "loan"]

_VOWELS = frozenset("аеёиоуүөыэюя")
_VOICELESS = frozenset("кпстфхцчшщ")
_VOICED = frozenset("бвгджзйлмнңр")
_LETTERS = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюяңөү")
# The two-consonant ends a stem may have (Kyrgyz stems rarely end in two consonants; loanwords do:
# процесс-и, документ-и, текст-и, семестр-ди, механизм-дер). Others are not stems: кыргызс-тан.
_LOAN_CLUSTERS = frozenset({"ст", "нт", "кт", "сс", "рт", "рс", "рм", "нс", "лл", "мм", "фт", "тр", "др", "зм", "лт",
                            "нк", "лк", "рд", "нд", "кс", "нг"})
_DEVOICED = {"б": "п", "г": "к"}

# Vowel harmony: the last vowel of the stem -> (high vowel, low vowel) of the suffix.
_HARMONY: dict[str, tuple[str, str]] = {
    **dict.fromkeys("аыя", ("ы", "а")),
    **dict.fromkeys("оё", ("у", "о")),
    **dict.fromkeys("ую", ("у", "а")),
    **dict.fromkeys("еиэ", ("и", "е")),
    "ө": ("ү", "ө"),
    "ү": ("ү", "ө"),
}

# Initial consonants by the sound before them: (after a vowel, after a voiced consonant, after a voiceless one).
_CONSONANTS: dict[str, tuple[str, str, str]] = {"N": ("н", "д", "т"), "G": ("г", "г", "к"), "D": ("д", "д", "т"),
                                                "L": ("л", "д", "т")}


@dataclass(frozen=True)
class _Suffix:
    slot: str  # "case", "possessive" or "plural"
    kind: str  # what follows or precedes: "3" (3rd person), "12" (1st/2nd singular), "" otherwise
    pattern: str  # letters, with I/A for harmonic vowels and N/L/G/D for assimilating consonants
    after: str  # "V": only after a vowel, "C": only after a consonant, "": either


_CASES = (
    *(_Suffix("case", "", pattern, "") for pattern in ("NIн", "NI", "GA", "DA", "DAн", "DAгI")),
    # after a 3rd person possessive (иш-и-н, кафедра-сы-на, отурум-у-нда, иш-и-нен, ортосу-ндагы)
    *(_Suffix("case", "3", pattern, "V") for pattern in ("н", "нA", "ндA", "нAн", "ндAгI")),
    _Suffix("case", "12", "A", "C"),  # dative after -ым/-ың: иш-им-е
)
_POSSESSIVES = (
    _Suffix("possessive", "3", "сI", "V"), _Suffix("possessive", "3", "I", "C"),
    _Suffix("possessive", "12", "м", "V"), _Suffix("possessive", "12", "Iм", "C"),
    _Suffix("possessive", "12", "ң", "V"), _Suffix("possessive", "12", "Iң", "C"),
    *(_Suffix("possessive", "", pattern, after) for pattern, after in (
        ("бIз", "V"), ("IбIз", "C"), ("ңIз", "V"), ("IңIз", "C"), ("ңAр", "V"), ("IңAр", "C"))),
)
_PLURALS = (_Suffix("plural", "", "LAр", ""),)


def _last_vowel(text: str) -> int:
    for position in range(len(text) - 1, -1, -1):
        if text[position] in _VOWELS:
            return position
    return -1


def _vowel_choices(text: str) -> tuple[tuple[str, str], ...]:
    """(high, low) suffix vowels that may follow ``text``; none when it has no vowel."""
    position = _last_vowel(text)
    if position < 0:
        return ()
    found = _HARMONY[text[position]]
    if text[position] == "е" and position > 0 and text[position - 1] in "чжшщ":
        return (found, _HARMONY["ё"])  # отчет is отчёт: отчет-тор-у
    return (found,)


def _sound(letter: str) -> str:
    """The class of a stem's last letter that assimilation looks at."""
    if letter in _VOWELS:
        return "vowel"
    if letter in _VOICELESS:
        return "voiceless"
    if letter in "йр":
        return "й р"
    return "voiced" if letter in _VOICED else ""


def _consonant(placeholder: str, sound: str) -> str | None:
    choices = _CONSONANTS[placeholder]
    if sound in ("vowel", "voiceless"):
        return choices[0 if sound == "vowel" else 2]
    if sound == "й р" and placeholder == "L":
        return choices[0]
    return choices[1] if sound else None


def _realise(pattern: str, stem: str) -> frozenset[str]:
    """Every spelling of ``pattern`` that may follow ``stem``."""
    return _realise_after(pattern, _vowel_choices(stem), _sound(stem[-1]))


@lru_cache(maxsize=4096)
def _realise_after(pattern: str, harmony: tuple[tuple[str, str], ...], sound: str) -> frozenset[str]:
    """``_realise`` for a stem whose vowels allow ``harmony`` and whose last letter is of ``sound``."""
    spellings = [""]
    for placeholder in pattern:
        grown: list[str] = []
        for spelled in spellings:
            if placeholder in _CONSONANTS:
                letter = _consonant(placeholder, sound)
                grown.extend([spelled + letter] if letter else [])
            elif placeholder in "IA":
                index = 0 if placeholder == "I" else 1
                # A suffix's second vowel follows its first (-ыбыз, -дагы), the first follows the stem.
                grown.extend(spelled + choice[index] for choice in _vowel_choices(spelled) or harmony)
            else:
                grown.append(spelled + placeholder)
        spellings = grown
    return frozenset(spellings)


def _any_spelling(pattern: str) -> frozenset[str]:
    """Every spelling ``pattern`` has after some stem."""
    return frozenset().union(*(_realise_after(pattern, harmony, sound)
                               for harmony in {(pair,) for pair in _HARMONY.values()}
                               for sound in ("vowel", "voiceless", "й р", "voiced")))


# The suffixes of a slot by their possible spellings, so a word is looked up by its last letters
# instead of trying every suffix in turn; with the longest spelling, past which no ending is looked up.
_Slot = tuple[dict[str, tuple[_Suffix, ...]], int]


def _slot(suffixes: tuple[_Suffix, ...]) -> _Slot:
    table: dict[str, list[_Suffix]] = {}
    for suffix in suffixes:
        for spelling in _any_spelling(suffix.pattern):
            table.setdefault(spelling, []).append(suffix)
    return {spelling: tuple(found) for spelling, found in table.items()}, max(map(len, table))


_CASE_SLOT, _POSSESSIVE_SLOT, _PLURAL_SLOT = _slot(_CASES), _slot(_POSSESSIVES), _slot(_PLURALS)


def _strip(word: str, slot: _Slot) -> list[tuple[str, _Suffix]]:
    """Each ``(rest, suffix)`` where ``word`` is ``rest`` plus a suffix of ``slot`` fitting ``rest``."""
    found = []
    table, longest = slot
    for size in range(1, min(longest, len(word) - 1) + 1):
        suffixes = table.get(word[-size:])
        if suffixes is None:  # most endings are no suffix's spelling
            continue
        ending, rest = word[-size:], word[:-size]
        for suffix in suffixes:
            if suffix.after == "V" and rest[-1] not in _VOWELS or suffix.after == "C" and rest[-1] in _VOWELS:
                continue
            if ending in _realise(suffix.pattern, rest):
                found.append((rest, suffix))
    return found


class _Reading(NamedTuple):  # a tuple: made several times for every word stemmed
    root: str  # the stem as written before its first ending
    endings: tuple[tuple[_Suffix, str], ...]  # suffixes and their spellings, nearest the stem first

    @property
    def vowel_next(self) -> bool:
        """Whether the ending next to the stem begins with a vowel (which voices п, к before it)."""
        return bool(self.endings) and self.endings[0][1][0] in _VOWELS


def _readings(word: str) -> list[_Reading]:
    """Every way ``word`` splits into a stem and at most one suffix per slot, each fitting its left side."""
    found = [_Reading(word, ())]
    for case_rest, case in [(word, None), *_strip(word, _CASE_SLOT)]:
        for poss_rest, poss in [(case_rest, None), *_strip(case_rest, _POSSESSIVE_SLOT)]:
            if case is not None and case.kind and (poss is None or poss.kind != case.kind):
                continue
            for root, plural in [(poss_rest, None), *_strip(poss_rest, _PLURAL_SLOT)]:
                if (case, poss, plural) == (None, None, None) or _last_vowel(root) < 0:
                    continue
                endings: list[tuple[_Suffix, str]] = []
                end = len(root)
                for suffix in (plural, poss, case):
                    if suffix is not None:
                        endings.append((suffix, word[end:end + len(suffix.pattern)]))
                        end += len(suffix.pattern)
                found.append(_Reading(root, tuple(endings)))
    return found


def _listed(reading: _Reading) -> str | None:
    """The lexicon entry the reading's stem is, if any: as written, de-voiced, or with its soft sign."""
    root = reading.root
    candidates = [root]
    if reading.endings:
        if reading.vowel_next and root[-1] in _DEVOICED:
            candidates.append(root[:-1] + _DEVOICED[root[-1]])
        candidates.append(root + "ь")
    return next((entry for entry in candidates if entry in NATIVE or entry in LOANS), None)


def _plausible(reading: _Reading) -> bool:
    """The stricter rules for a stem that is not in the lexicon."""
    root = reading.root
    if len(root) < MIN_STEM or any(suffix.kind == "12" for suffix, _ in reading.endings):
        return False
    if len(root) == MIN_STEM and (reading.endings[0][0].slot == "plural"
                                  or sum(len(spelled) for _, spelled in reading.endings) < 3):
        return False  # рек-тор, мур-да, кий-и-н are ректор, мурда, кийин; but уюм-дун, аяг-ы-нда
    if root[-1] not in _VOWELS and root[-2] not in _VOWELS and root[-2:] not in _LOAN_CLUSTERS:
        return False
    return not (reading.vowel_next and root[-1] == "ч")  # окутуучу "teacher" is not окутууч-у


@dataclass(frozen=True)
class Stem:
    """A word's stem, and whether the lexicon knows it as a Kyrgyz word or a loanword."""

    text: str
    origin: Origin | None  # None: not in the lexicon


@lru_cache(maxsize=65536)
def analyse(word: str) -> Stem:
    """The stem of a folded word (see the module's description); other words come back unchanged."""
    if len(word) < 2 or not _LETTERS.issuperset(word):
        return Stem(word, None)
    readings = _readings(word)
    listed = [(reading, entry) for reading in readings if (entry := _listed(reading)) is not None]
    if listed:
        reading, entry = max(listed, key=lambda found: (len(found[0].root), -len(found[0].endings)))
        return Stem(entry, "native" if entry in NATIVE else "loan")
    plausible = [reading for reading in readings if not reading.endings or _plausible(reading)]
    reading = min(plausible, key=lambda found: len(found.root))
    root = reading.root
    if reading.vowel_next and root[-1] in _DEVOICED:
        root = root[:-1] + _DEVOICED[root[-1]]
    return Stem(root, None)


def is_native(stem: str) -> bool:
    """Whether ``stem`` is a Kyrgyz word of the lexicon (not a loanword)."""
    return stem in NATIVE


def stem(word: str) -> str:
    """The Kyrgyz stem of a folded word."""
    return analyse(word).text
