"""Result snippets: a short, HTML-safe window of a text with the query's words marked.

Backend-neutral: it works from the parsed query and a bounded piece of text
(the index keeps only the first few kilobytes of each document for this), so
building a page of snippets never re-reads whole documents.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from markupsafe import Markup, escape

from records.search.analysis import analyze_exact, fold, fold_word, stems, word_at, word_matches, words
from records.search.query import And, FieldTerm, Node, Or, Phrase, Prefix, Word

__all__ = ["Highlighter", "snippet"]

SNIPPET_CHARS = 240
_LEAD_CHARS = 40  # context shown before the first mark
_MAX_MARKS = 200
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Highlighter:
    """Decides which words of a text answer the query."""

    stems: frozenset[str] = frozenset()
    exact: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    @classmethod
    def for_query(cls, node: Node) -> Highlighter:
        found_stems: set[str] = set()
        found_exact: set[str] = set()
        found_prefixes: list[str] = []

        def visit(item: Node) -> None:
            if isinstance(item, Word) or (isinstance(item, FieldTerm) and item.field == "counterparty"):
                text = item.text if isinstance(item, Word) else item.value
                found_stems.update(stem for word, _, _ in words(text) for stem in stems(word))
            elif isinstance(item, Phrase):
                found_exact.update(analyze_exact(item.text))
            elif isinstance(item, Prefix):
                found_prefixes.append(item.text)
            elif isinstance(item, And | Or):
                for child in item.nodes:
                    visit(child)
            # Not: excluded words never appear in results; other nodes are not text.

        visit(node)
        return cls(frozenset(found_stems), frozenset(found_exact), tuple(found_prefixes))

    @cached_property
    def _stem_heads(self) -> tuple[str, ...]:
        # Stems are the word minus an ending, at most the last letter changed
        # (English happy -> happi), so a cheap prefix test rules most words out.
        return tuple(stem[:-1] if len(stem) > 1 else stem for stem in self.stems)

    def matches(self, word: str) -> bool:
        """Whether a folded word of the text should be marked."""
        if word in self.exact or (self.prefixes and word.startswith(self.prefixes)):
            return True
        heads = self._stem_heads
        return bool(heads) and word.startswith(heads) and not self.stems.isdisjoint(stems(word))

    @cached_property
    def _verdicts(self) -> dict[str, bool]:
        # Whether each word as written is marked: a page of snippets meets the same words over and
        # over, and most of them are not marked, so each is folded and tested once per query.
        return {}

    def matches_raw(self, word: str) -> bool:
        """``matches`` for a word as written in the text (not yet folded), remembered per word."""
        verdict = self._verdicts.get(word)
        if verdict is None:
            verdict = self._verdicts[word] = self.matches(fold_word(word))
        return verdict

    @cached_property
    def candidates(self) -> re.Pattern[str] | None:
        """Where a marked word can start in folded text: every marked word begins with an exact word,
        a prefix or a stem less its last letter. Finding those first spares looking at every word."""
        starts = sorted({*self.exact, *self.prefixes, *self._stem_heads}, key=len, reverse=True)
        if not starts:
            return None
        return re.compile(r"(?<![^\W_])(?:%s)[^\W_]*" % "|".join(re.escape(start) for start in starts))

    def __bool__(self) -> bool:
        return bool(self.stems or self.exact or self.prefixes)


def _marks(text: str, highlighter: Highlighter) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    if not highlighter:
        return spans
    marked = highlighter.matches_raw
    folded = fold(text)
    if len(folded) == len(text) and highlighter.candidates is not None:
        # Folding kept every letter in its place (true of Cyrillic and Latin text), so a word of the
        # folded text is the word at the same place in the text.
        for candidate in highlighter.candidates.finditer(folded):
            match = word_at(text, candidate.start())
            if match is not None and match.end() == candidate.end() and marked(match.group()):
                spans.append(match.span())
                if len(spans) >= _MAX_MARKS:
                    break
        return spans
    for match in word_matches(text):
        if marked(match.group()):
            spans.append(match.span())
            if len(spans) >= _MAX_MARKS:
                break
    return spans


def _best_window(spans: list[tuple[int, int]], width: int) -> int:
    """Start offset of the window holding the most marks (the earliest on ties); one pass over the marks."""
    best_start, best_count = 0, 0
    last = 0  # the marks first..last-1 end inside the window opening at mark ``first``
    for first, (start, _) in enumerate(spans):
        window_start = max(0, start - _LEAD_CHARS)
        last = max(last, first)
        while last < len(spans) and spans[last][1] <= window_start + width:
            last += 1
        if last - first > best_count:
            best_start, best_count = window_start, last - first
    return best_start


def _snap(text: str, start: int, end: int) -> tuple[int, int]:
    """Move the window edges to word boundaries so no word is cut in half."""
    if start > 0:
        space = text.find(" ", start, start + _LEAD_CHARS)
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    return start, end


def snippet(text: str, highlighter: Highlighter, width: int = SNIPPET_CHARS) -> Markup:
    """An escaped window of ``text`` (about ``width`` characters) with ``<mark>`` around matches.

    The last ``SNIPPETS_KEPT`` snippets are remembered (a snippet depends only on the text and the query's
    words): the same search asked again, or the next page of it, does not mark the same texts again."""
    return _snippet(text, highlighter, width)


SNIPPETS_KEPT = 2048  # each holds its text, at most a few kilobytes


@lru_cache(maxsize=SNIPPETS_KEPT)
def _snippet(text: str, highlighter: Highlighter, width: int) -> Markup:
    text = _SPACES.sub(" ", text).strip()
    spans = _marks(text, highlighter)
    window_start = _best_window(spans, width)
    start, end = _snap(text, window_start, min(len(text), window_start + width))
    parts: list[str] = ["…"] if start > 0 else []
    cursor = start
    for mark_start, mark_end in spans:
        if mark_start < start or mark_end > end:
            continue
        parts.append(escape(text[cursor:mark_start]))
        parts.append(Markup("<mark>%s</mark>") % text[mark_start:mark_end])
        cursor = mark_end
    parts.append(escape(text[cursor:end]))
    if end < len(text):
        parts.append("…")
    return Markup("").join(parts)
