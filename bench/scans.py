"""Scanned pages as a department's scanner makes them, with the text they show, for the OCR benchmarks.

The text is the department's own: Kyrgyz paragraphs (ө ү ң, names, numbers) and Russian titles from
its development plan (``bench/fidelity/ocr_text.txt``). Each page is rendered at 200 or 300 dpi in a
font offices use, then degraded the way paper and a flatbed scanner degrade it: turned by 0.5-2
degrees, greyish paper, a little blur, sensor noise and JPEG compression. The same ``seed`` always
gives the same pages.
"""
from __future__ import annotations

import io
import random
import re
import textwrap
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

TEXT_FILE = Path(__file__).resolve().parent / "fidelity" / "ocr_text.txt"
FONTS = (
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
)
WORDS_PER_PAGE = 170


@dataclass(frozen=True)
class Scan:
    image: Image.Image
    text: str  # what the page shows
    lang: str  # "ky" or "ru"
    dpi: int
    angle: float  # degrees the page is turned by


def _paragraphs() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    current = ""
    for line in TEXT_FILE.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            current = line[2:].strip()
        elif line.strip():
            groups.setdefault(current, []).append(line.strip())
    return groups


def page_texts(lang: str) -> list[str]:
    """The texts of the pages of one language, about ``WORDS_PER_PAGE`` words each, whole paragraphs."""
    pages: list[str] = []
    current: list[str] = []
    words = 0
    for paragraph in _paragraphs()[lang]:
        current.append(paragraph)
        words += len(paragraph.split())
        if words >= WORDS_PER_PAGE:
            pages.append("\n".join(current))
            current, words = [], 0
    if current:
        pages.append("\n".join(current))
    return pages


def render(text: str, dpi: int, font_path: str, point_size: float = 11.0) -> Image.Image:
    """A clean A4 page with the text in the given font and size, as an office prints it."""
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    size = round(point_size / 72 * dpi)
    font = ImageFont.truetype(font_path, size)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    margin = int(dpi * 0.9)
    average = font.getlength("оуаеинтсрклмдбжгпшчңүөзОКБАЖ 0123456789") / 38
    chars = max(20, int((width - 2 * margin) / average))
    y = margin
    for paragraph in text.splitlines():
        for line in textwrap.wrap(paragraph, chars, break_on_hyphens=False) or [""]:
            if y > height - margin:
                break
            draw.text((margin, y), line, font=font, fill=0)
            y += int(size * 1.45)
        y += int(size * 0.5)
    return page


def degrade(page: Image.Image, rng: random.Random, dpi: int) -> tuple[Image.Image, float]:
    """Paper and scanner: a small turn, grey paper, blur, noise, JPEG. Returns the scan and its angle."""
    angle = rng.choice((-1, 1)) * rng.uniform(0.5, 2.0)
    paper = rng.randint(200, 235)
    ink = rng.randint(40, 90)
    scan = page.rotate(angle, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=255)
    scan = scan.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.2) * dpi / 300))
    pixels = np.asarray(scan, dtype=np.float32) / 255.0
    pixels = ink + pixels * (paper - ink)
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0.0, rng.uniform(10, 20), pixels.shape)
    pixels = np.clip(pixels + noise, 0, 255).astype(np.uint8)
    scan = Image.fromarray(pixels, "L")
    buffer = io.BytesIO()
    scan.save(buffer, "JPEG", quality=rng.randint(60, 80))
    buffer.seek(0)
    return Image.open(buffer).convert("L"), angle


def make_scans(pages_per_language: int | None = None, dpis: tuple[int, ...] = (200, 300), seed: int = 7) -> list[Scan]:
    """Scanned pages in Kyrgyz and Russian at each resolution (the same texts at every dpi)."""
    rng = random.Random(seed)
    scans: list[Scan] = []
    for lang in ("ky", "ru"):
        texts = page_texts(lang)[:pages_per_language]
        for number, text in enumerate(texts):
            font = FONTS[number % len(FONTS)]
            size = (10.0, 11.0, 12.0)[number % 3]
            for dpi in dpis:
                image, angle = degrade(render(text, dpi, font, size), rng, dpi)
                scans.append(Scan(image, text, lang, dpi, angle))
    return scans


_WORD = re.compile(r"[\wӨөҮүҢң]+(?:[-.,][\wӨөҮүҢң]+)*")


def words(text: str) -> list[str]:
    """The words of a text for comparing OCR with what the page shows: lower case, ё as е, no punctuation."""
    return [w.lower().replace("ё", "е") for w in _WORD.findall(text)]


def word_accuracy(reference: str, recognised: str, only: str = "") -> tuple[int, int]:
    """(words of the reference read exactly and in order, words of the reference); with ``only``, just
    the reference words holding one of those letters."""
    ref, got = words(reference), words(recognised)
    matcher = SequenceMatcher(None, ref, got, autojunk=False)
    matched = {block.a + i for block in matcher.get_matching_blocks() for i in range(block.size)}
    counted = [n for n, word in enumerate(ref) if not only or any(ch in only for ch in word)]
    return sum(1 for n in counted if n in matched), len(counted)
