"""File intake: the first step of capture, between the upload and the blob store.

``check_file`` decides from the bytes whether a file is accepted (and what
it is), ``extract_text`` gets its text for the index, running OCR on scans.
"""
from __future__ import annotations

from records.capture.intake.base import DEFAULT_ALLOWED, REFUSAL_CODES, Extraction, FileCheck, Limits, Refusal
from records.capture.intake.extract import extract_text
from records.capture.intake.ocr import ocr_available
from records.capture.intake.safety import check_file

__all__ = [
    "DEFAULT_ALLOWED",
    "REFUSAL_CODES",
    "Extraction",
    "FileCheck",
    "Limits",
    "Refusal",
    "check_file",
    "extract_text",
    "ocr_available",
]
