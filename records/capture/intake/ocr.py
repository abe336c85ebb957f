"""Optical character recognition through the ``tesseract`` program, on every core.

Scans are the commonest record in the office (signed paper pages), so OCR is part of intake. Each page
is cleaned up first (turned straight, see :func:`prepare`), then read by one tesseract process with a
hard timeout: the page goes in on stdin, words with their confidences come back on stdout as TSV, from
which the text is laid out again and the page's confidence (the mean of its words') is taken.

Pages are read in parallel by a pool (:func:`pool`): one tesseract process per worker (by default one
per core), each limited to one thread and started with a lower scheduling priority, so a batch of scans
uses every core while the web requests are still answered promptly. Memory stays bounded: at most two
pages per worker are rendered and waiting at any time.
"""
from __future__ import annotations

import functools
import io
import os
import shutil
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PIL import Image

TESSERACT_CMD = "tesseract"
# The languages a page is read with unless ``SANDYK_OCR_LANGS`` says otherwise (chosen by the word
# accuracy measured in bench/fidelity/ocr.py).
DEFAULT_LANGS = "kir"
AUTO = "auto"
AUTO_FIRST = "kir+rus+eng"  # the first reading of a page whose languages are chosen per page
# How much lower than the web server the OCR processes run (nice increment).
NICENESS = 10


class OcrError(Exception):
    """OCR could not run or did not finish; the message is a technical note for the log."""


@dataclass(frozen=True)
class PageText:
    """What tesseract read on one page."""

    text: str
    confidence: float | None  # mean word confidence, 0-100; None when no word was found
    words: int


def tesseract_path() -> str | None:
    return shutil.which(TESSERACT_CMD)


def ocr_available() -> bool:
    """True when tesseract is installed with at least one language besides orientation data."""
    binary = tesseract_path()
    return binary is not None and bool(installed_languages(binary))


@functools.lru_cache(maxsize=4)
def installed_languages(binary: str) -> frozenset[str]:
    """Languages the given tesseract binary can read (``osd`` is layout data, not a language)."""
    try:
        result = subprocess.run(
            [binary, "--list-langs"], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    lines = result.stdout.decode("utf-8", "replace").splitlines()
    # The first line is a header ("List of available languages in ...").
    return frozenset(line.strip() for line in lines[1:] if line.strip() and line.strip() != "osd")


def usable_languages(wanted: str, installed: frozenset[str]) -> str:
    """The ``-l`` argument: the wanted languages that are installed, in the wanted order."""
    chosen = [lang for lang in wanted.split("+") if lang in installed]
    if not chosen:
        raise OcrError(f"none of the OCR languages {wanted!r} is installed (have: {sorted(installed)})")
    return "+".join(chosen)


# --- cleaning a page up ------------------------------------------------------------------------


def skew_angle(image: Image.Image, limit: float = 3.0, step: float = 0.1) -> float:
    """The angle (degrees, counter-clockwise) that turns the page's text lines horizontal.

    Projection profiles on a reduced copy: turned by the right angle, the ink of each text line falls
    into a few rows, so the row sums vary the most. Coarse then fine search within +-``limit``.
    """
    small = image.convert("L")
    scale = 1000 / max(small.size)
    if scale < 1:
        small = small.resize((max(1, int(small.width * scale)), max(1, int(small.height * scale))),
                             Image.Resampling.BILINEAR)
    pixels = np.asarray(small, dtype=np.float32)
    ink = Image.fromarray(((pixels < _otsu(pixels)) * 255).astype(np.uint8), "L")
    if not np.asarray(ink).any():
        return 0.0

    def score(angle: float) -> float:
        rows = np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST), dtype=np.float32).sum(axis=1)
        return float(np.square(np.diff(rows)).sum())

    coarse = max(np.arange(-limit, limit + 1e-9, 0.5), key=score)
    fine = np.arange(coarse - 0.5, coarse + 0.5 + 1e-9, step)
    return round(float(max(fine, key=score)), 2)


def _otsu(pixels: np.ndarray) -> float:
    """The grey level that best splits ink from paper (Otsu's method)."""
    histogram = np.bincount(np.clip(pixels, 0, 255).astype(np.uint8).ravel(), minlength=256).astype(np.float64)
    total = histogram.sum()
    levels = np.arange(256)
    weight = np.cumsum(histogram)
    mean = np.cumsum(histogram * levels)
    between = (mean[-1] * weight / total - mean) ** 2 / np.maximum(weight * (total - weight), 1)
    return float(np.argmax(between))


def prepare(image: Image.Image, deskew: bool = True) -> Image.Image:
    """The page as tesseract reads it best: greyscale, turned straight when it is turned by 0.2 degrees
    or more (a scanner feeds paper slightly askew)."""
    if image.mode not in ("1", "L"):
        image = image.convert("L")
    if deskew:
        angle = skew_angle(image)
        if abs(angle) >= 0.2:
            grey = image.convert("L")
            image = grey.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    return image


# --- one page ----------------------------------------------------------------------------------


def _encode(image: Image.Image) -> bytes:
    """The page as uncompressed PNM (PBM/PGM/PPM): tesseract reads it from stdin with no decoding work."""
    if image.mode not in ("1", "L", "RGB"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "PPM")
    return buffer.getvalue()


def _command(binary: str, lang_arg: str, dpi: int) -> list[str]:
    command = [binary, "stdin", "stdout", "-l", lang_arg, "--psm", "3", "--dpi", str(dpi), "tsv"]
    nice = shutil.which("nice")
    return [nice, "-n", str(NICENESS), *command] if nice else command


def _environment() -> dict[str, str]:
    # One thread per tesseract: the pool gives each core its own page, which is faster than several
    # threads fighting over one page, and leaves the web server its share of the machine.
    return {**os.environ, "OMP_THREAD_LIMIT": "1"}


def read_tsv(tsv: str) -> PageText:
    """The text (lines as tesseract found them, a blank line between paragraphs) and the mean word
    confidence of tesseract's TSV output."""
    lines: list[str] = []
    current: list[str] = []
    key: tuple[str, ...] | None = None
    paragraph: tuple[str, ...] | None = None
    confidences: list[float] = []
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5":  # level 5: a word
            continue
        word = cells[11].strip()
        if not word:
            continue
        line_key = tuple(cells[1:5])  # page, block, paragraph, line
        if line_key != key:
            if current:
                lines.append(" ".join(current))
            if paragraph is not None and line_key[:3] != paragraph:
                lines.append("")
            current, key, paragraph = [], line_key, line_key[:3]
        current.append(word)
        try:
            confidences.append(max(float(cells[10]), 0.0))
        except ValueError:
            pass
    if current:
        lines.append(" ".join(current))
    confidence = round(sum(confidences) / len(confidences), 1) if confidences else None
    return PageText("\n".join(lines), confidence, len(confidences))


def _tesseract(binary: str, image: Image.Image, lang_arg: str, dpi: int, timeout_s: float) -> PageText:
    try:
        result = subprocess.run(_command(binary, lang_arg, dpi), input=_encode(image), capture_output=True,
                                timeout=max(timeout_s, 1), check=False, env=_environment())
    except subprocess.TimeoutExpired as exc:
        raise OcrError(f"OCR took longer than {timeout_s:.0f} s") from exc
    except OSError as exc:
        raise OcrError(f"tesseract could not be started: {exc}") from exc
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrError(f"tesseract failed: {detail[-1] if detail else result.returncode}")
    return read_tsv(result.stdout.decode("utf-8", "replace"))


_KYRGYZ_LETTERS = frozenset("өүңӨҮҢ")
# Kyrgyz words common in any office text, for a sample that happens to hold no ө ү ң.
_KYRGYZ_WORDS = frozenset({"жана", "менен", "боюнча", "үчүн", "учун", "болуп", "анын", "бул", "деп", "жылы",
                           "тарабынан", "ылайык", "жок", "бар", "ар", "бир", "биринчи", "кафедрасынын"})
_KYRGYZ_ENDINGS = ("нын", "нин", "нун", "дын", "дин", "дун", "тын", "тун", "ынын", "ары", "лары", "лери",
                   "ларды", "лерди", "нан", "дан", "тан", "ган", "кан")


def _sample_band(image: Image.Image) -> Image.Image:
    """A band of the page's text (a quarter of the inked height, from its middle) for a first reading."""
    pixels = np.asarray(image.convert("L"), dtype=np.uint8)
    rows = np.flatnonzero((pixels < 128).sum(axis=1) > max(2, pixels.shape[1] // 400))
    if rows.size == 0:
        return image
    top, bottom = int(rows[0]), int(rows[-1])
    band = max((bottom - top) // 4, min(bottom - top, 400))
    start = top + max(0, ((bottom - top) - band) // 2)
    return image.crop((0, start, image.width, min(image.height, start + band + 1)))


def choose_languages(sample: str, installed: frozenset[str]) -> str:
    """The languages a page needs, from a first reading of part of it with all of them.

    Kyrgyz unless the sample is plainly Russian: Tesseract's Kyrgyz model reads Russian as well as the
    Russian one does (the alphabet holds every Russian letter), while the Russian model turns ө ү ң
    into о у н. English is added only when Latin words make up a real part of the sample, since with
    it Cyrillic initials and group codes that look Latin (А.К., ММ-1-22) come out in Latin letters."""
    words = [word.strip(".,:;()«»\"'-").lower() for word in sample.split()]
    words = [word for word in words if word]
    cyrillic = [word for word in words if any("\u0400" <= ch <= "\u04ff" for ch in word)]
    latin = [word for word in words if sum(ch.isascii() and ch.isalpha() for ch in word) >= 3]
    chosen: list[str] = []
    if cyrillic:
        kyrgyz = sum(1 for word in cyrillic if any(ch in _KYRGYZ_LETTERS for ch in word) or word in _KYRGYZ_WORDS
                     or word.endswith(_KYRGYZ_ENDINGS))
        chosen.append("kir" if kyrgyz * 10 >= len(cyrillic) else "rus")
    if not cyrillic or (len(latin) >= 2 and len(latin) * 10 >= len(words)):
        chosen.append("eng")
    usable = [lang for lang in chosen if lang in installed]
    return "+".join(usable) if usable else usable_languages(AUTO_FIRST, installed)


def _stated_dpi(image: Image.Image) -> int | None:
    """The resolution an image file states (scanners write it), when it is a plausible one."""
    try:
        value = round(float(image.info.get("dpi", (0, 0))[0]))
    except (TypeError, ValueError, IndexError):
        return None
    return value if 100 <= value <= 1200 else None


def ocr_page(image: Image.Image, langs: str = DEFAULT_LANGS, timeout_s: float = 120, dpi: int = 300,
             deskew: bool = True) -> PageText:
    """Read one page image (at the resolution its file states, else ``dpi``); ``langs`` "auto" chooses the languages of each page from a first reading
    of a band of it (:func:`choose_languages`)."""
    binary = tesseract_path()
    if binary is None:
        raise OcrError("tesseract is not installed")
    installed = installed_languages(binary)
    dpi = _stated_dpi(image) or dpi
    page = prepare(image, deskew=deskew)
    if langs == AUTO:
        first = _tesseract(binary, _sample_band(page), usable_languages(AUTO_FIRST, installed), dpi, timeout_s)
        lang_arg = choose_languages(first.text, installed)
    else:
        lang_arg = usable_languages(langs, installed)
    return _tesseract(binary, page, lang_arg, dpi, timeout_s)


def ocr_image(image: Image.Image, langs: str = DEFAULT_LANGS, timeout_s: float = 120, dpi: int = 300) -> str:
    """The text on one page image."""
    return ocr_page(image, langs, timeout_s, dpi).text


# --- the pool ----------------------------------------------------------------------------------


def default_workers() -> int:
    """One OCR process per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class OcrPool:
    """Pages read in parallel, one tesseract process per worker, answers in the order of the pages.

    Several documents may be read through one pool at once (the background worker reads several
    files side by side); all of them together hold at most two pages per worker in memory."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="sandyk-ocr")
        self._slots = threading.BoundedSemaphore(2 * self.workers)

    def map(self, read: Callable[[Image.Image], PageText], images: Iterable[Image.Image]) -> Iterator[PageText]:
        """``read`` applied to each image, in order. Images are pulled from ``images`` in the calling
        thread (PDF renderers are not thread-safe) while a slot is free; a reader that already has
        pages in the pool never waits for a slot, so readers cannot hold each other up."""
        pending: deque[Future[PageText]] = deque()
        source = iter(images)
        exhausted = False
        try:
            while True:
                while not exhausted and len(pending) < 2 * self.workers:
                    if not self._slots.acquire(blocking=not pending):
                        break
                    try:
                        image = next(source)
                    except BaseException as exc:
                        self._slots.release()
                        if isinstance(exc, StopIteration):
                            exhausted = True
                            break
                        raise
                    pending.append(self._executor.submit(read, image))
                if not pending:
                    return
                future = pending.popleft()
                try:
                    result = future.result()
                finally:
                    self._slots.release()
                yield result
        finally:
            for future in pending:  # an error or an abandoned reader: pages not started are dropped
                future.cancel()
                self._slots.release()

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


_pools: dict[int, OcrPool] = {}
_pools_lock = threading.Lock()


def pool(workers: int | None = None) -> OcrPool:
    """The process's OCR pool of ``workers`` (default: one per core), shared by everything that reads
    scans in this process, so the number of tesseract processes stays bounded."""
    size = workers or default_workers()
    with _pools_lock:
        found = _pools.get(size)
        if found is None:
            found = _pools[size] = OcrPool(size)
        return found
