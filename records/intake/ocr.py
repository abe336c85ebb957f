"""Optical character recognition through the ``tesseract`` program.

Scans are the commonest record in the office (signed paper pages), so OCR
is part of intake. Tesseract runs as a subprocess with a hard timeout; an
image goes in on stdin as PNG and text comes back on stdout.
"""
from __future__ import annotations

import functools
import io
import shutil
import subprocess

from PIL import Image

TESSERACT_CMD = "tesseract"


class OcrError(Exception):
    """OCR could not run or did not finish; the message is a technical note for the log."""


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


def ocr_image(image: Image.Image, langs: str = "kir+rus+eng", timeout_s: float = 120, dpi: int = 300) -> str:
    """Recognise the text on one page image."""
    binary = tesseract_path()
    if binary is None:
        raise OcrError("tesseract is not installed")
    lang_arg = usable_languages(langs, installed_languages(binary))
    if image.mode not in ("1", "L", "RGB"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", dpi=(dpi, dpi))
    command = [binary, "stdin", "stdout", "-l", lang_arg, "--psm", "3", "--dpi", str(dpi)]
    try:
        result = subprocess.run(
            command, input=buffer.getvalue(), capture_output=True, timeout=max(timeout_s, 1), check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise OcrError(f"OCR took longer than {timeout_s:.0f} s") from exc
    except OSError as exc:
        raise OcrError(f"tesseract could not be started: {exc}") from exc
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrError(f"tesseract failed: {detail[-1] if detail else result.returncode}")
    return result.stdout.decode("utf-8", "replace")
