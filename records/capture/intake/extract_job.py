"""One file's text extraction under way: the file, its limits, the deadline checked between pages and
rows, and the OCR of its page images through the shared pool. Every extractor (PDF and images in
:mod:`.extract`, office files in :mod:`.office`, plain text in :mod:`.plaintext`) takes one and returns a
:data:`Result`.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from records.capture.intake.base import FileCheck, Limits
from records.capture.intake.ocr import PageText, ocr_page, pool

__all__ = ["ExtractJob", "OutOfTime", "Result", "collect"]


class OutOfTime(Exception):
    """The extraction ran past its deadline."""


@dataclass
class ExtractJob:
    """One file being read: what it is, its limits, its languages for OCR and its deadline."""

    path: Path
    check: FileCheck
    limits: Limits
    langs: str
    deadline: float

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise OutOfTime

    def remaining(self) -> float:
        return max(self.deadline - time.monotonic(), 1.0)

    ocr_workers: int | None = None
    ocr_pages: list[PageText] = field(default_factory=list)

    def _read_page(self, image: object) -> PageText:
        self.tick()
        timeout = min(float(self.limits.ocr_timeout_s), self.remaining())
        return ocr_page(image, self.langs, timeout_s=timeout, dpi=self.limits.ocr_dpi)  # type: ignore[arg-type]

    def ocr(self, images: Iterable[object]) -> Iterator[str]:
        """The text of each page image, in order, read in parallel by the OCR pool."""
        for page in pool(self.ocr_workers).map(self._read_page, images):  # type: ignore[arg-type]
            self.ocr_pages.append(page)
            yield page.text

    def confidence(self) -> float | None:
        """The mean word confidence of the pages read by OCR (each page weighted by its words)."""
        scored = [page for page in self.ocr_pages if page.confidence is not None]
        words = sum(page.words for page in scored)
        if not words:
            return None
        return round(sum(page.confidence * page.words for page in scored) / words, 1)  # type: ignore[operator]


Result = tuple[str, int | None, str]  # text, pages, method


def collect(parts: Iterable[str], job: ExtractJob) -> str:
    """Join parts until the character limit; stops pulling from a lazy source at the limit."""
    out: list[str] = []
    total = 0
    for part in parts:
        out.append(part)
        total += len(part) + 1
        if total >= job.limits.max_text_chars:
            break
    return "\n".join(out)

