"""Section ``pdf`` of the fidelity benchmark: PDF text against poppler's ``pdftotext``, and DOCX/ODT/RTF
text against LibreOffice's own text conversion.

For every PDF of the corpus (``bench/fidelity/corpus.py``) the product's extraction, and each
candidate way of reading a text layer, is compared word by word with ``pdftotext``: the share of its
words found, and the words glued to a neighbour. Target, per file: at least 99% found, none glued.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.fidelity import Figure  # noqa: E402
from bench.fidelity.corpus import PARTS, build, soffice, typed_words  # noqa: E402
from bench.fidelity.words import Match, compare, words  # noqa: E402

TARGET_FOUND = 99.0
# Placing every character costs time over PDFium's own text; within this factor a long report's text
# still comes in well under a second.
TARGET_SLOWDOWN = 6.0
# Which parts of a page each office file's source has (see ``corpus.PARTS``).
PARTS_IN = {"ky-office": ("header", "footer", "footnote", "text box"), "ky-default": ("header", "footer", "footnote", "text box")}


def pdftotext(path: Path, *options: str) -> str:
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", *options, str(path), "-"], capture_output=True,
                          timeout=120, check=True)
    return done.stdout.decode("utf-8", "replace")


def pdfium_text_range(path: Path) -> str:
    """The text layer as the product read it before: PDFium's text of each page, in content order."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        out = []
        for page in document:
            textpage = page.get_textpage()
            out.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n\n".join(out)
    finally:
        document.close()


def read_time_ms(paths: list[Path], read_page: Callable[[object], str], repeat: int = 3) -> float:
    """Mean time to load and read one page's text layer, in ms (best of ``repeat`` rounds)."""
    import pypdfium2

    best = float("inf")
    for _ in range(repeat):
        pages = 0
        started = time.perf_counter()
        for path in paths:
            document = pypdfium2.PdfDocument(str(path))
            for page in document:
                textpage = page.get_textpage()
                read_page(textpage)
                textpage.close()
                page.close()
                pages += 1
            document.close()
        best = min(best, (time.perf_counter() - started) * 1000 / max(pages, 1))
    return best


def pdfminer_layout(path: Path) -> str:
    from pdfminer.high_level import extract_text

    return extract_text(str(path))


def product(path: Path) -> str:
    from records.capture.intake import check_file, extract_text

    check = check_file(path, path.name, frozenset({path.suffix.lstrip(".")}))
    return extract_text(path, check).text


CANDIDATES: dict[str, Callable[[Path], str]] = {
    "product": product,
    "pdfium text range (before)": pdfium_text_range,
    "pdfminer.six layout": pdfminer_layout,
    "pdftotext -raw": lambda p: pdftotext(p, "-raw"),
    "pdftotext -layout": lambda p: pdftotext(p, "-layout"),
}


def libreoffice_texts(paths: list[Path]) -> dict[Path, str]:
    """LibreOffice's own plain-text conversion of each file (one conversion run for all)."""
    with tempfile.TemporaryDirectory() as out:
        texts: dict[Path, str] = {}
        for suffix in sorted({p.suffix for p in paths}):  # same stems, other formats: one run per format
            batch = [p for p in paths if p.suffix == suffix]
            soffice(batch, "txt:Text (encoded):UTF8", Path(out))
            for path in batch:
                texts[path] = (Path(out) / f"{path.stem}.txt").read_text(encoding="utf-8-sig")
        return texts


def _row(label: str, match: Match) -> str:
    glued = ", ".join(match.glued[:4]) or "-"
    return f"  {label:<28} {match.found_pct:7.2f}%  glued {len(match.glued):3d} ({glued})"


def _available(name: str) -> bool:
    if name == "pdfminer.six layout":
        try:
            import pdfminer  # noqa: F401
        except ImportError:
            return False
    return True


def run(quick: bool) -> list[Figure]:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="fidelity-") as tmp:
        corpus = build(Path(tmp), quick=quick)
        print(f"PDF text against pdftotext, {len(corpus.pdfs)} files (words found, words glued to a neighbour)")
        worst: dict[str, float] = {}
        typed = typed_words()
        for path in corpus.pdfs:
            reference = pdftotext(path)
            print(f"{path.name}: {len(reference.split())} words")
            for name, read in CANDIDATES.items():
                if not _available(name):
                    continue
                match = compare(read(path), reference, typed)
                print(_row(name, match))
                worst[name] = min(worst.get(name, 100.0), match.found_pct - 100 * bool(match.glued))
                if name == "product":
                    figures.append(Figure(f"pdf {path.name}: words found", match.found_pct, "%",
                                          f">= {TARGET_FOUND:g}", match.found_pct >= TARGET_FOUND))
                    figures.append(Figure(f"pdf {path.name}: words glued", len(match.glued), "words", "0",
                                          not match.glued))
                    if match.lost:
                        print(f"    lost: {' '.join(match.lost)}")
        try:
            from records.capture.intake.pdflayer import page_text
        except ImportError:  # a build that reads text layers in drawing order only
            page_text = None
        if page_text is not None:
            placed = read_time_ms(corpus.pdfs, page_text)
            drawn = read_time_ms(corpus.pdfs, lambda textpage: textpage.get_text_range())  # type: ignore[attr-defined]
            print(f"Reading a page's text layer: {placed:.1f} ms placed by position, {drawn:.1f} ms in drawing order")
            figures.append(Figure("pdf text layer by position, time per page against drawing order", placed / drawn,
                                  "x", f"<= {TARGET_SLOWDOWN:g}", placed / drawn <= TARGET_SLOWDOWN))
        print("Worst file per candidate (found %, minus 100 if any word is glued):")
        for name, value in worst.items():
            print(f"  {name:<28} {value:7.2f}")
        print(f"Office text against LibreOffice's text conversion, {len(corpus.office)} files")
        parts_found = parts_total = 0
        office_reference = libreoffice_texts(corpus.office)
        for path in corpus.office:
            text = product(path)
            match = compare(text, office_reference[path], typed)
            print(_row(path.name, match))
            if match.lost:
                print(f"    lost: {' '.join(match.lost)}")
            if path.stem in PARTS_IN:
                found = [part for part in PARTS_IN[path.stem] if " ".join(words(PARTS[part])) in " ".join(words(text))]
                missing = sorted(set(PARTS_IN[path.stem]) - set(found))
                print(f"  {'':<28} parts found: {len(found)}/{len(PARTS_IN[path.stem])}"
                      + (f" (missing: {', '.join(missing)})" if missing else ""))
                parts_found += len(found)
                parts_total += len(PARTS_IN[path.stem])
            figures.append(Figure(f"{path.suffix.lstrip('.')} {path.name}: words found", match.found_pct, "%",
                                  f">= {TARGET_FOUND:g}", match.found_pct >= TARGET_FOUND))
            figures.append(Figure(f"{path.suffix.lstrip('.')} {path.name}: words glued", len(match.glued), "words",
                                  "0", not match.glued))
        figures.append(Figure("office headers, footers, footnotes, text boxes found", parts_found, "parts",
                              f"{parts_total}", parts_found == parts_total))
    return figures
