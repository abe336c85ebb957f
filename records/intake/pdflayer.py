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

# A gap wider than this share of the font size between two glyph boxes is a space. Within a word,
# glyph boxes are apart by their side bearings only (a few hundredths of the size); spaces are a
# quarter of it or more.
_SPACE_GAP = 0.17
# Characters whose baselines differ by less than this share of the font size are on one line.
_BASELINE = 0.35
# A page whose text layer has fewer letters or digits than this is treated as a scan.
MIN_LAYER_CHARS = 3
_HYPHEN_MARK = 0xFFFE  # PDFium's code for a hyphen it judged to break a word at the line end
_SKIP = {0, 0xFFFF, 0x0A, 0x0D}


@dataclass
class _Char:
    x: float  # left of the glyph box
    right: float
    y: float  # baseline
    size: float
    ch: str


@dataclass
class _Line:
    y: float
    size: float
    chars: list[_Char] = field(default_factory=list)
    hyphenated: bool = False

    @property
    def x0(self) -> float:
        return min(c.x for c in self.chars)

    @property
    def x1(self) -> float:
        return max(c.right for c in self.chars)

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
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    x, y = ctypes.c_double(), ctypes.c_double()
    lines: list[_Line] = []
    current: _Line | None = None
    for index in range(pdfium_c.FPDFText_CountChars(raw)):
        code = pdfium_c.FPDFText_GetUnicode(raw, index)
        generated = pdfium_c.FPDFText_IsGenerated(raw, index) == 1
        if code == _HYPHEN_MARK or pdfium_c.FPDFText_IsHyphen(raw, index) == 1:
            if current is not None:
                current.hyphenated = True
                if code == 0x2D and current.chars:  # a hyphen of the word itself ("илимий-изилдөө") stays
                    last = current.chars[-1]
                    current.chars.append(_Char(x=last.right, right=last.right, y=last.y, size=last.size, ch="-"))
            continue
        if code in (0x0A, 0x0D) and generated:
            current = None  # PDFium's line break
            continue
        if generated or code in _SKIP:
            continue
        if not pdfium_c.FPDFText_GetCharBox(raw, index, left, right, bottom, top):
            continue
        pdfium_c.FPDFText_GetCharOrigin(raw, index, x, y)
        size = pdfium_c.FPDFText_GetFontSize(raw, index) or 10.0
        char = _Char(x=min(left.value, x.value), right=max(right.value, left.value), y=y.value, size=size,
                     ch=chr(code))
        if current is None or abs(current.y - char.y) > _BASELINE * max(current.size, size):
            current = _Line(y=char.y, size=size)
            lines.append(current)
        current.hyphenated = False
        current.chars.append(char)
    return [line for line in lines if line.chars]


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
            home.chars.extend(line.chars)
            home.hyphenated = home.hyphenated or line.hyphenated
    return kept
