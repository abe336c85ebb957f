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
import time
from dataclasses import dataclass, field
from pathlib import Path

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
# A page with more characters than this (no real page has) is read in drawing order: placing each
# character costs a call into PDFium.
MAX_PLACED_CHARS = 100_000


@dataclass(slots=True)
class _Char:
    x: float  # left of the glyph box
    right: float
    y: float  # baseline
    size: float
    ch: str


@dataclass(slots=True)
class _Line:
    y: float
    size: float
    chars: list[_Char] = field(default_factory=list)
    hyphenated: bool = False
    x0: float = float("inf")
    x1: float = float("-inf")

    def add(self, char: _Char) -> None:
        self.chars.append(char)
        if char.x < self.x0:
            self.x0 = char.x
        if char.right > self.x1:
            self.x1 = char.right

    def text(self) -> str:
        out: list[str] = []
        previous: _Char | None = None
        for char in sorted(self.chars, key=lambda c: c.x):
            if char.ch.isspace():
                if out and out[-1] != " ":
                    out.append(" ")
                continue
            if previous is not None and out and out[-1] != " " \
                    and char.x - previous.right > _SPACE_GAP * max(char.size, previous.size):
                out.append(" ")
            out.append(char.ch)
            previous = char
        return "".join(out).strip()


def page_text(textpage: object) -> str:
    """The text of one page (a ``pypdfium2.PdfTextPage``) in reading order."""
    if textpage.count_chars() > MAX_PLACED_CHARS:  # type: ignore[attr-defined]
        return (textpage.get_text_range() or "").replace("\r\n", "\n")  # type: ignore[attr-defined]
    lines = _merge_runs(_pdfium_lines(textpage))
    out: list[str] = []
    joining = False
    for line in lines:
        text = line.text()
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


def _pdfium_lines(textpage: object) -> list[_Line]:
    import pypdfium2.raw as pdfium_c

    raw = textpage.raw  # type: ignore[attr-defined]
    count = pdfium_c.FPDFText_CountChars(raw)
    codes = _codes(raw, count)
    box = pdfium_c.FS_RECTF()
    lines: list[_Line] = []
    current: _Line | None = None
    for index, code in enumerate(codes):
        if code == _HYPHEN_MARK or (code in _MAYBE_HYPHEN and pdfium_c.FPDFText_IsHyphen(raw, index) == 1):
            if current is not None:
                current.hyphenated = True
                if code == 0x2D and current.chars:  # a hyphen of the word itself ("илимий-изилдөө") stays
                    last = current.chars[-1]
                    current.add(_Char(x=last.right, right=last.right, y=last.y, size=last.size, ch="-"))
            continue
        if code in _SKIP:
            continue
        if code in _GENERATED and pdfium_c.FPDFText_IsGenerated(raw, index) == 1:
            if code != 0x20:
                current = None  # PDFium's line break
            continue
        # The loose box spans the glyph's advance and the font's height: neighbouring letters of a
        # word touch, its bottom is a steady baseline for the line, its height stands for the size.
        if not pdfium_c.FPDFText_GetLooseCharBox(raw, index, box):
            continue
        size = (box.top - box.bottom) or 10.0
        char = _Char(box.left, box.right if box.right > box.left else box.left, box.bottom, size, chr(code))
        if current is None or abs(current.y - char.y) > _BASELINE * (size if size > current.size else current.size):
            current = _Line(y=char.y, size=size)
            lines.append(current)
        current.hyphenated = False
        current.add(char)
    return lines


def _codes(raw: object, count: int) -> list[int]:
    """The characters' codes, read in one call (one per character when the page has any outside the
    Basic Multilingual Plane, whose UTF-16 pairs would not line up with the character indices)."""
    import pypdfium2.raw as pdfium_c

    buffer = ctypes.create_string_buffer((count + 1) * 2)
    written = pdfium_c.FPDFText_GetText(raw, 0, count, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)))
    units = buffer.raw[: max(written - 1, 0) * 2]
    codes = [units[i] | units[i + 1] << 8 for i in range(0, len(units), 2)]
    if len(codes) != count or any(0xD800 <= code <= 0xDFFF for code in codes):
        codes = [pdfium_c.FPDFText_GetUnicode(raw, index) for index in range(count)]
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
            for char in line.chars:
                home.add(char)
            home.hyphenated = home.hyphenated or line.hyphenated
    return kept
