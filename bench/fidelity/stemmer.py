"""Kyrgyz search analysis against the gold set in ``tests/data/kyrgyz_gold.tsv``.

Two forms "meet" when their search terms (``records.search.analysis.stems``) share one, which is
when a search for either finds a document holding the other. Figures:

- same-word pairs that meet: every pair of forms of one word (target: at least 95%);
- different-word pairs merged: pairs a naive suffix stripper merges (target: at most 5%);
- loanword pairs across Kyrgyz and Russian that meet (target: at least 90%);
- the same-word figure for words whose stems are not in the shipped lexicon, where only the rules
  for unknown words apply (part of the first figure, shown for information);
- each word of the gold set with its five case forms as the independent ``kyrgyz`` package inflects
  it (target: at least 95%, as for the gold set's own pairs).

Each label also gives the baseline measured in the same run: the Russian Snowball stem alone, which
is what search would do with no Kyrgyz stemmer. Run alone, ``python bench/fidelity/stemmer.py`` also
lists the pairs that miss their target (``--all`` for every one).
"""
from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.fidelity import Figure  # noqa: E402
from records.search.analysis import fold, stems  # noqa: E402

GOLD = Path(__file__).resolve().parents[2] / "tests" / "data" / "kyrgyz_gold.tsv"

Terms = Callable[[str], Iterable[str]]
Pair = tuple[str, str]


@dataclass
class Gold:
    """The gold set, read: word families (listed and unlisted) and the scored pairs."""

    families: list[list[str]] = field(default_factory=list)
    unlisted: list[list[str]] = field(default_factory=list)
    different: list[Pair] = field(default_factory=list)
    homographs: list[Pair] = field(default_factory=list)
    loans: list[Pair] = field(default_factory=list)

    def same_pairs(self, *, unlisted: bool | None = None) -> list[Pair]:
        """Every pair of forms of one word; ``unlisted`` True/False picks one kind of family."""
        groups = {None: self.families + self.unlisted, False: self.families, True: self.unlisted}[unlisted]
        return [pair for forms in groups for pair in itertools.combinations(forms, 2)]


def load_gold(path: Path = GOLD) -> Gold:
    gold = Gold()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        kind, *rest = line.split("\t")
        if kind in ("same", "unlisted"):
            (gold.families if kind == "same" else gold.unlisted).append(rest)
        elif kind in ("different", "homograph", "loan"):
            {"different": gold.different, "homograph": gold.homographs, "loan": gold.loans}[kind].append(
                (rest[0], rest[1]))
        else:
            raise ValueError(f"{path}:{number}: unknown kind {kind!r}")
    return gold


def meet(terms: Terms, first: str, second: str) -> bool:
    return not set(terms(fold(first))).isdisjoint(terms(fold(second)))


@dataclass(frozen=True)
class Score:
    """Share of ``pairs`` that meet, and the pairs that do (or do not)."""

    pairs: list[Pair]
    met: list[Pair]

    @property
    def rate(self) -> float:
        return len(self.met) / len(self.pairs) if self.pairs else 0.0

    @property
    def missed(self) -> list[Pair]:
        found = set(self.met)
        return [pair for pair in self.pairs if pair not in found]


def score(terms: Terms, pairs: list[Pair]) -> Score:
    return Score(pairs, [pair for pair in pairs if meet(terms, *pair)])


def generated_pairs(gold: Gold) -> list[Pair]:
    """Each word of the gold set with its case forms as the ``kyrgyz`` package (an independent, rule-based
    inflector) spells them: same-word pairs written by another hand than the gold set's."""
    from kyrgyz import Case, inflect

    return [(forms[0], inflect(forms[0], case=case)) for forms in gold.families + gold.unlisted
            for case in Case if case is not Case.NOMINATIVE]


def _snowball_only(word: str) -> tuple[str, ...]:
    from records.search.analysis import _snowball

    return (_snowball("russian", word),)


@dataclass(frozen=True)
class _Target:
    label: str
    pairs: Callable[[Gold], list[Pair]]
    at_least: float | None = None  # share of pairs that must meet
    at_most: float | None = None  # or may at most meet

    def figure(self, gold: Gold) -> Figure:
        pairs = self.pairs(gold)
        rate = score(stems, pairs).rate * 100
        baseline = score(_snowball_only, pairs).rate * 100
        label = f"{self.label}, {len(pairs)} pairs (Snowball alone: {baseline:.1f}%)"
        if self.at_least is None and self.at_most is None:
            return Figure(label, rate, "%", "none, shown for information", True)
        if self.at_least is not None:
            return Figure(label, rate, "%", f">= {self.at_least:g}%", rate >= self.at_least)
        assert self.at_most is not None
        return Figure(label, rate, "%", f"<= {self.at_most:g}%", rate <= self.at_most)


TARGETS = (
    _Target("Kyrgyz same-word pairs that meet", Gold.same_pairs, at_least=95),
    # Part of the first figure: how the rules for unknown words do on their own.
    _Target("Kyrgyz same-word pairs that meet, stems outside the lexicon",
            lambda gold: gold.same_pairs(unlisted=True)),
    _Target("Kyrgyz words and their case forms from the kyrgyz inflector that meet", generated_pairs, at_least=95),
    _Target("Kyrgyz different-word pairs merged", lambda gold: gold.different, at_most=5),
    _Target("Loanword pairs across Kyrgyz and Russian that meet", lambda gold: gold.loans, at_least=90),
)


def run(quick: bool) -> list[Figure]:
    """The stemmer figures; the gold set is small, so ``quick`` changes nothing."""
    gold = load_gold()
    return [target.figure(gold) for target in TARGETS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--all", action="store_true", help="list every failing pair, not the first 40")
    args = parser.parse_args()
    gold = load_gold()
    for figure in run(quick=False):
        print(f"{figure.label}: {figure.value:.1f}{figure.unit} (target {figure.target}: "
              f"{'met' if figure.met else 'NOT met'})")
    limit = None if args.all else 40
    failures = {
        "same-word pairs that do not meet": score(stems, gold.same_pairs()).missed,
        "different words merged": score(stems, gold.different).met,
        "loanword pairs that do not meet": score(stems, gold.loans).missed,
        "homographs merged (not scored)": score(stems, gold.homographs).met,
    }
    for title, pairs in failures.items():
        print(f"\n{title}: {len(pairs)}")
        for first, second in pairs[:limit]:
            print(f"  {first} {stems(fold(first))}  ~  {second} {stems(fold(second))}")


if __name__ == "__main__":
    main()
