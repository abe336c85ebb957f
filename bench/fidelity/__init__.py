"""Sections of the text-fidelity benchmark (``bench/fidelity_bench.py``).

Each section is a module of this package exposing ``run(quick: bool) -> list[Figure]``; the runner
imports every section module that exists and prints each figure against its target.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One measured figure: ``value`` in ``unit``, the ``target`` it is held to (as printed), and
    whether it ``met`` it."""

    label: str
    value: float
    unit: str
    target: str
    met: bool
