"""A PDF page's text layer in reading order, rebuilt from PDFium's character positions.

PDFium's own text of a page follows the order glyphs are drawn in. Office suites draw the letters a
font lacks (Kyrgyz ө, ү, ң in a font that has only Russian Cyrillic) from a fallback font, often as a
separate run after the rest of the line, so in drawing order "тең" reads "те ... ң" and "кеңеши"
reads "ке еши ... ң". Here every character is placed by its position instead:

- PDFium's lines (its generated line breaks) are kept, split where the baseline changes;
- a line lying on an earlier line's baseline, inside that line's horizontal extent, is a run drawn
  later for that line (fallback glyphs) and joins it;
- within a line, characters are sorted by x, and spaces come from the gaps between glyph boxes
  (PDFium's generated spaces stand for holes a later glyph may fill, so they are not trusted);
- a line PDFium ends with a hyphenation mark joins the next line (a soft hyphen goes, a hard one stays).
"""
from __future__ import annotations

import ctypes
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# A gap wider than this share of the line height between two glyphs' advance boxes is a space:
# within a word the boxes touch; a space is about a fifth of the line height.
_SPACE_GAP = 0.1
# Characters whose baselines differ by less than this share of the font size are on one line.
_BASELINE = 0.35
# A page whose text layer has fewer letters or digits than this is treated as a scan.
MIN_LAYER_CHARS = 3
_HYPHEN_MARK = 0xFFFE  # PDFium's code for a hyphen it judged to break a word at the line end
_MAYBE_HYPHEN = {0x02, 0x2D, 0xAD}  # codes PDFium may give a line-end hyphen
_GENERATED = {0x20, 0x0A, 0x0D}  # the only characters PDFium makes up
_SKIP = {0, 0xFFFF}
_SPECIAL = np.array(sorted({_HYPHEN_MARK} | _MAYBE_HYPHEN | _GENERATED | _SKIP))
_SPACES = re.compile(r"\s+")
# A page with more characters than this (no real page has) is read in drawing order: placing each
# character costs a call into PDFium.
MAX_PLACED_CHARS = 100_000


def page_text(textpage: object) -> str:
    """The text of one page (a ``pypdfium2.PdfTextPage``) in reading order."""
    count = textpage.count_chars()  # type: ignore[attr-defined]
    if count > MAX_PLACED_CHARS:
        return (textpage.get_text_range() or "").replace("\r\n", "\n")  # type: ignore[attr-defined]
    chars = _Chars.read(textpage.raw, count)  # type: ignore[attr-defined]
    out: list[str] = []
    joining = False
    for line in _merge_runs(chars.lines()):
        text = chars.text(line)
        if not text:
            continue
        if joining and out:
            out[-1] += text
        else:
            out.append(text)
        joining = line.hyphenated
    return "\n".join(out)


def has_text(text: str) -> bool:
    """Whether a page's text holds at least ``MIN_LAYER_CHARS`` letters or digits (counting stops there)."""
    found = 0
    for ch in text:
        if ch.isalnum():
            found += 1
            if found >= MIN_LAYER_CHARS:
                return True
    return False


def pages_without_text(path: Path, pages: int, deadline: float) -> bool | None:
    """Whether any of the first ``pages`` pages has no text layer worth the name (nothing, or a font
    with only spaces or unmapped glyphs): such a page needs OCR. None when PDFium cannot read the file
    or the time runs out before an answer."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(str(path), password="")
    except Exception:  # PDFium refuses some files that pypdf still reads
        return None
    try:
        for index in range(min(pages, len(document))):
            if time.monotonic() > deadline:
                return None
            page = document[index]
            try:
                textpage = page.get_textpage()
                try:
                    if not has_text(textpage.get_text_range() or ""):
                        return True
                finally:
                    textpage.close()
            finally:
                page.close()
        return False
    finally:
        document.close()


@dataclass(slots=True)
class _Line:
    """A run of characters on one baseline: positions into the page's placed characters."""

    y: float
    size: float
    x0: float
    x1: float
    spans: list[tuple[int, int]] = field(default_factory=list)
    hyphenated: bool = False


class _Chars:
    """The placed characters of a page, in PDFium's order: code, and the loose box (its advance and
    the font's height: neighbouring letters of a word touch, its bottom is a steady baseline for the
    line, its height stands for the size)."""

    def __init__(self, codes: np.ndarray, boxes: np.ndarray, breaks: np.ndarray, marks: np.ndarray) -> None:
        self.codes = codes  # the characters kept, in order
        self.left, self.right = boxes[:, 0], np.maximum(boxes[:, 2], boxes[:, 0])
        self.y = boxes[:, 3]
        self.size = np.where(boxes[:, 1] > boxes[:, 3], boxes[:, 1] - boxes[:, 3], 10.0)
        self.breaks = breaks  # how many of PDFium's line breaks come before each kept character
        self.marks = marks  # positions (among the kept characters) a line-end hyphen mark comes before

    @classmethod
    def read(cls, raw: object, count: int) -> _Chars:
        import pypdfium2.raw as pdfium_c

        codes = _codes(raw, count)
        keep = np.ones(count, dtype=bool)
        line_break = np.zeros(count, dtype=bool)
        marks: list[int] = []
        for index in np.nonzero(np.isin(codes, _SPECIAL))[0].tolist():
            code = int(codes[index])
            if code == _HYPHEN_MARK or (code in _MAYBE_HYPHEN and pdfium_c.FPDFText_IsHyphen(raw, index) == 1):
                marks.append(index)
                keep[index] = code == 0x2D  # a hyphen of the word itself ("илимий-изилдөө") stays
            elif code in _GENERATED and pdfium_c.FPDFText_IsGenerated(raw, index) == 1:
                keep[index] = False
                line_break[index] = code != 0x20
            elif code in _SKIP:
                keep[index] = False
        boxes = (pdfium_c.FS_RECTF * count)()
        for index in np.nonzero(keep)[0].tolist():
            if not pdfium_c.FPDFText_GetLooseCharBox(raw, index, boxes[index]):
                keep[index] = False
        flat = np.frombuffer(boxes, dtype=np.float32).reshape(count, 4).astype(np.float64)  # left top right bottom
        kept_before = np.cumsum(keep) - keep  # kept characters before each character
        # A mark belongs before the next kept character, unless it is itself kept (a hard hyphen).
        mark_positions = np.array([kept_before[m] + (1 if keep[m] else 0) for m in marks], dtype=np.int64)
        return cls(codes[keep], flat[keep], np.cumsum(line_break)[keep], mark_positions)

    def lines(self) -> list[_Line]:
        """PDFium's lines (split where it broke them or the baseline changes), in order."""
        n = len(self.codes)
        if n == 0:
            return []
        size = np.maximum(self.size[1:], self.size[:-1])
        starts = np.r_[True, (self.breaks[1:] != self.breaks[:-1]) | (np.abs(np.diff(self.y)) > _BASELINE * size)]
        first = np.nonzero(starts)[0]
        ends = np.r_[first[1:], n]
        x0 = np.minimum.reduceat(self.left, first)
        x1 = np.maximum.reduceat(self.right, first)
        sizes = np.maximum.reduceat(self.size, first)
        # A line ends hyphenated when a hyphen mark comes right after its last character.
        marked = set(self.marks.tolist())
        lines = []
        for k, (a, b) in enumerate(zip(first.tolist(), ends.tolist())):
            lines.append(_Line(y=float(self.y[a]), size=float(sizes[k]), x0=float(x0[k]), x1=float(x1[k]),
                               spans=[(a, b)], hyphenated=b in marked))
        return lines

    def text(self, line: _Line) -> str:
        """The line's characters by x, with a space wherever a gap between two boxes is wide."""
        index = np.concatenate([np.arange(a, b) for a, b in line.spans])
        order = index[np.argsort(self.left[index], kind="stable")]
        gaps = self.left[order][1:] - self.right[order][:-1]
        wide = gaps > _SPACE_GAP * np.maximum(self.size[order][1:], self.size[order][:-1])
        codes = np.insert(self.codes[order].astype(np.uint32), np.nonzero(wide)[0] + 1, 0x20)
        return _SPACES.sub(" ", codes.astype("<u4").tobytes().decode("utf-32-le", "replace")).strip()


def _codes(raw: object, count: int) -> np.ndarray:
    """The characters' codes, read in one call (one per character when the page has any outside the
    Basic Multilingual Plane, whose UTF-16 pairs would not line up with the character indices)."""
    import pypdfium2.raw as pdfium_c

    buffer = (ctypes.c_ushort * (count + 1))()
    written = pdfium_c.FPDFText_GetText(raw, 0, count, buffer)
    codes = np.frombuffer(buffer, dtype=np.uint16)[: max(written - 1, 0)].astype(np.int64)
    if len(codes) != count or bool(((codes >= 0xD800) & (codes <= 0xDFFF)).any()):
        codes = np.array([pdfium_c.FPDFText_GetUnicode(raw, index) for index in range(count)], dtype=np.int64)
    return codes


def _merge_runs(lines: list[_Line]) -> list[_Line]:
    """Join each line that lies on an earlier line's baseline and within its extent into that line."""
    kept: list[_Line] = []
    for line in lines:
        home = None
        for earlier in reversed(kept[-40:]):
            size = max(earlier.size, line.size)
            if abs(earlier.y - line.y) <= _BASELINE * size and earlier.x0 - size <= line.x0 \
                    and line.x1 <= earlier.x1 + size:
                home = earlier
                break
        if home is None:
            kept.append(line)
        else:
            home.spans += line.spans
            home.x0, home.x1 = min(home.x0, line.x0), max(home.x1, line.x1)
            home.hyphenated = home.hyphenated or line.hyphenated
    return kept
