"""Word-by-word comparison of an extracted text with a reference extraction of the same file.

Words are runs of letters or runs of digits, compared case-blind after NFC, so "2023-жылдын" and
"2023 жылдын" give the same words: punctuation is not what is measured, letters and word boundaries
are. Two allowances for the reference's own habits, both checked against the candidate's text:
- a reference word that the candidate has as two neighbouring words split at a line-end hyphen
  ("илимий-изилдөө", which pdftotext prints "илимийизилдөө") counts as found;
- when the typed text of the file is known, two neighbouring reference words that the candidate has
  as one typed word (pdftotext's "ке ңеши" for "кеңеши") count as found, and that word is not glued.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

_WORD = re.compile(r"[^\W\d_]+|\d+")


def words(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text).replace("\u00ad", "").lower()
    return _WORD.findall(text)


@dataclass(frozen=True)
class Match:
    reference: int  # words in the reference
    found: int  # of those, found in the candidate (as a multiset)
    glued: list[str]  # candidate words that are two reference words run together
    lost: list[str]  # reference words the candidate lacks (distinct, first few)

    @property
    def found_pct(self) -> float:
        return 100.0 * self.found / self.reference if self.reference else 100.0


def compare(candidate: str, reference: str, typed: set[str] | None = None) -> Match:
    ref_words = words(reference)
    got_words = words(candidate)
    ref, got = Counter(ref_words), Counter(got_words)
    typed = typed or set()
    missing = Counter({w: n - got[w] for w, n in ref.items() if got[w] < n})
    joined = {a + b for a, b in zip(got_words, got_words[1:])}
    for word in list(missing):
        if word in joined:
            del missing[word]
    for a, b in zip(ref_words, ref_words[1:]):
        if a + b in typed and got[a + b] and missing[a] and missing[b]:
            missing[a] -= 1
            missing[b] -= 1
    missing = +missing
    glued = sorted(w for w in got if w not in ref and w not in typed and _is_glued(w, ref))
    return Match(reference=sum(ref.values()), found=sum(ref.values()) - sum(missing.values()), glued=glued,
                 lost=list(missing)[:12])


def _is_glued(word: str, vocabulary: Counter[str]) -> bool:
    return any(word[:i] in vocabulary and word[i:] in vocabulary for i in range(1, len(word)))
