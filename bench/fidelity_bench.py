"""Text-fidelity benchmark: one command, every section, each figure against its target.

    .venv/bin/python bench/fidelity_bench.py [--quick] [--only pdf,stemmer,ocr]

Sections are the modules ``bench/fidelity/<name>.py`` that exist (``pdf``: PDF and office text
against poppler and LibreOffice; ``stemmer``; ``ocr``), each exposing ``run(quick) -> list[Figure]``.
The exit status is 1 when any target is not met.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.fidelity import Figure  # noqa: E402

SECTIONS = ("pdf", "stemmer", "ocr")


def available_sections() -> list[str]:
    return [name for name in SECTIONS if (REPO / "bench" / "fidelity" / f"{name}.py").exists()]


def format_figure(figure: Figure) -> str:
    value = f"{figure.value:.2f}" if isinstance(figure.value, float) and not figure.value.is_integer() \
        else f"{figure.value:g}"
    return f"{figure.label}: {value} {figure.unit} (target {figure.target}): {'met' if figure.met else 'NOT met'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller corpus in every section")
    parser.add_argument("--only", default="", help="comma-separated sections to run (default: all that exist)")
    args = parser.parse_args(argv)
    sections = available_sections()
    if args.only:
        wanted = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = [s for s in wanted if s not in sections]
        if unknown:
            parser.error(f"no such section: {', '.join(unknown)} (have: {', '.join(sections)})")
        sections = wanted
    results: list[tuple[str, list[Figure]]] = []
    for name in sections:
        print(f"=== {name}")
        started = time.monotonic()
        module = importlib.import_module(f"bench.fidelity.{name}")
        figures = module.run(args.quick)
        print(f"({name}: {time.monotonic() - started:.0f} s)")
        results.append((name, figures))
    print("\n=== Figures against targets")
    missed = 0
    for name, figures in results:
        for figure in figures:
            print(f"[{name}] {format_figure(figure)}")
            missed += not figure.met
    print(f"{sum(len(f) for _, f in results)} figures, {missed} NOT met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
