"""Text analysis shared by every search backend: words, folding and stemming.

Documents and queries go through the same steps, so an inflected form in a
query meets the other forms of the word in a document:

1. Unicode NFC, then words are runs of letters and digits (``_`` and
   punctuation separate them, so ``12-4-7`` and ``protocol_5.pdf`` split);
2. folding: ``str.casefold`` (correct for Cyrillic, ө ү ң included) and ё -> е;
3. stemming (``stems``). A Cyrillic word yields its Kyrgyz stem
   (``records.search.kyrgyz``) and, depending on what the stemmer's lexicon
   says of it:

   - a Kyrgyz word, or one spelled as no Russian word is (ө, ү, ң, long
     vowels other than оо, an initial ы): nothing more. The Russian
     Snowball stemmer would cut Kyrgyz nouns down to other words (келишим
     "contract" and келиш "coming" are both "келиш" to it);
   - a loanword: the Russian stem of its Kyrgyz stem, as loanwords in Kyrgyz
     text carry Kyrgyz endings (кафедра-нын: "кафедр", so "кафедры" meets it);
   - any other word (Russian, or unknown): its Russian stem and the Russian stem
     of its Kyrgyz stem, except a Russian stem that is a Kyrgyz word of the
     lexicon (кенен "wide" is not кен "ore").

   A Latin word yields its English Snowball stem; anything else stays as is.

``analyze`` feeds a database full-text backend; ``stemming_analyzer`` and
``exact_analyzer`` are the same steps as Whoosh analyzers, giving every stem of
a word the word's position so phrase positions stay right.

Whenever a word's terms change here, bump ``ANALYSIS_VERSION`` in
``records/search/base.py``: indexes built with another version are refilled from
the catalogue in the background (``records/capture/retext.py``).
"""
from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import snowballstemmer
from whoosh.analysis import Token, Tokenizer

from records.search import kyrgyz

__all__ = [
    "analyze",
    "analyze_exact",
    "exact_analyzer",
    "fold",
    "fold_word",
    "folded_words",
    "normalize_number",
    "stemming_analyzer",
    "stems",
    "word_matches",
    "words",
]

_WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# Spellings Russian never has: Kyrgyz letters, long vowels other than оо (сообщение), initial ы.
_KYRGYZ_SPELLING = re.compile("[өүң]|аа|уу|ыы|ээ|^ы")
_LATIN = re.compile(r"[a-z\u00c0-\u024f]")

# Snowball stemmer objects keep state while stemming one word, so threads share
# them under a lock; the caches below make that lock rarely contended.
_SNOWBALL_LOCK = threading.Lock()
_SNOWBALL: dict[str, Any] = {}


def fold(text: str) -> str:
    """Lower-case the way search compares words: NFC, casefold, ё -> е."""
    return unicodedata.normalize("NFC", text).casefold().replace("ё", "е")


# Words repeat a great deal within and across documents, so each distinct word is folded once.
_fold_word = lru_cache(maxsize=200_000)(fold)


def fold_word(word: str) -> str:
    """``fold`` for one word, remembered: what ``words`` applies to each word it finds."""
    return _fold_word(word)


def word_matches(text: str) -> Iterator[re.Match[str]]:
    """The unfolded words of ``text`` as regular-expression matches, for callers that look at a word
    (and remember their verdict) before folding it."""
    return _WORD.finditer(text)


def word_at(text: str, start: int) -> re.Match[str] | None:
    """The word of ``text`` starting exactly at ``start``, if one does."""
    return _WORD.match(text, start)


def words(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield ``(folded word, start, end)`` for each word of NFC-normalised ``text``."""
    for match in _WORD.finditer(text):
        yield _fold_word(match.group()), match.start(), match.end()


# Characters whose case folding turns a letter into something else than letters (İ -> i + a combining
# dot, ΐ -> ι + two marks...), the only ones after which folding a whole text would split it into other
# words than folding each word does. Astral characters are left to the word-by-word way altogether.
# ``tests/unit/test_analysis.py`` recomputes the list from the running Python's Unicode tables.
FOLD_SPLITS_WORDS = "\u0130\u01f0\u0345\u0390\u03b0\u1e96-\u1e99\u1f50\u1f52\u1f54\u1f56\u1fb6\u1fb7\u1fc6\u1fc7" \
    "\u1fd2\u1fd3\u1fd6\u1fd7\u1fe2-\u1fe4\u1fe6\u1fe7\u1ff6\u1ff7"
_FOLD_SPLITS_WORDS = re.compile(f"[{FOLD_SPLITS_WORDS}\U00010000-\U0010ffff]")


def folded_words(text: str) -> list[str]:
    """The folded words of NFC-normalised ``text`` without offsets: what ``words`` yields, for indexing.

    Case folding goes character by character, so the text is folded in one piece and then split, which
    gives the same words as folding each word, unless the text holds a character of ``FOLD_SPLITS_WORDS``.
    """
    if _FOLD_SPLITS_WORDS.search(text) is None:
        return _WORD.findall(text.casefold().replace("ё", "е"))
    return [_fold_word(word) for word in _WORD.findall(text)]


@lru_cache(maxsize=200_000)
def _snowball(language: str, word: str) -> str:
    # snowballstemmer runs the C PyStemmer when it is installed (fifty times faster), else pure Python.
    with _SNOWBALL_LOCK:
        stemmer = _SNOWBALL.get(language)
        if stemmer is None:
            stemmer = _SNOWBALL[language] = snowballstemmer.stemmer(language)
        return str(stemmer.stemWord(word))


@lru_cache(maxsize=200_000)
def stems(word: str) -> tuple[str, ...]:
    """Every stem a folded word is indexed and searched under, most specific first."""
    if _CYRILLIC.search(word):
        return _cyrillic_stems(word)
    if _LATIN.search(word):
        return (_snowball("english", word) or word,)
    return (word,)


def _cyrillic_stems(word: str) -> tuple[str, ...]:
    found = kyrgyz.analyse(word)
    if found.origin == "native" or _KYRGYZ_SPELLING.search(word):
        # A Kyrgyz word: Snowball would cut it down to another word's stem (келишим -> келиш).
        return (found.text,)
    if found.origin == "loan":
        return tuple(dict.fromkeys((found.text, _snowball("russian", found.text))))
    # Russian, or a word neither stemmer knows: both stems, and Snowball's reading of the Kyrgyz one,
    # unless Snowball lands on a Kyrgyz word (кенен "wide" is not кен "ore").
    stems = (found.text, _snowball("russian", word), _snowball("russian", found.text))
    return tuple(dict.fromkeys(stem for stem in stems if stem == found.text or stem and not kyrgyz.is_native(stem)))


def analyze(text: str) -> list[str]:
    """Stems of every word of ``text``, in order (all stems of a word side by side)."""
    return [stem for word, _, _ in words(unicodedata.normalize("NFC", text)) for stem in stems(word)]


def analyze_exact(text: str) -> list[str]:
    """Folded words of ``text``, unstemmed, for phrase matching."""
    return [word for word, _, _ in words(unicodedata.normalize("NFC", text))]


def normalize_number(value: str) -> str:
    """Canonical form of a document number: folded, without "№"/"No." and spaces."""
    folded = re.sub(r"\s+", "", fold(value))
    return re.sub(r"^(?:№|no\.?|n)(?=\d)", "", folded)


class _WordTokenizer(Tokenizer):  # type: ignore[misc]
    """Whoosh tokenizer running the steps above; with ``stemming`` off it only folds."""

    def __init__(self, stemming: bool) -> None:
        self.stemming = stemming

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.stemming == self.stemming  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self.stemming))

    def __call__(  # noqa: PLR0913 - Whoosh's tokenizer signature
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        text = unicodedata.normalize("NFC", value)
        for pos, (word, start, end) in enumerate(words(text)):
            for form in stems(word) if self.stemming else (word,):
                token.text = form
                token.boost = 1.0
                token.stopped = False
                if keeporiginal:
                    token.original = word
                if positions:
                    token.pos = start_pos + pos
                if chars:
                    token.startchar = start_char + start
                    token.endchar = start_char + end
                yield token


def stemming_analyzer() -> Tokenizer:
    """Whoosh analyzer for the stemmed fields."""
    return _WordTokenizer(stemming=True)


def exact_analyzer() -> Tokenizer:
    """Whoosh analyzer for the unstemmed field used by phrases and prefixes."""
    return _WordTokenizer(stemming=False)
