"""Plain text: its encoding told from the bytes (a byte-order mark, UTF-8, cp1251 when it reads as
Cyrillic, then a guess), read no further than the text limit.
"""
from __future__ import annotations

from records.capture.intake.extract_job import ExtractJob, Result


# --- plain text --------------------------------------------------------------


def txt(job: ExtractJob) -> Result:
    # Four bytes per character is the worst case of any encoding we decode.
    with job.path.open("rb") as handle:
        data = handle.read(job.limits.max_text_chars * 4)
    return decode_text(data), None, "txt"


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def decode_text(data: bytes) -> str:
    """Decode plain text: BOM first, then UTF-8, then cp1251 when it reads as Cyrillic, then a guess."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(encoding, errors="replace")
            # "юя"/"яю" in cp1251 are the bytes of a UTF-16 mark: such a file read as UTF-16 is
            # rubbish in other scripts, so the mark is believed only when the text reads as text.
            if encoding == "utf-8" or _reads_as_text(text):
                return text
            break
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A text cut at the read limit may end inside a character.
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return data[: exc.start].decode("utf-8")
    if _reads_as_cp1251(data):
        return data.decode("cp1251", errors="replace")
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        return str(best)
    return data.decode("cp1251", errors="replace")


def _reads_as_text(text: str) -> bool:
    """Whether decoded text is mostly in the scripts of this office (Latin, Cyrillic), spaces and
    punctuation."""
    usual = sum(1 for ch in text if ch < "\u0250" or "\u0400" <= ch <= "\u052f" or "\u2000" <= ch <= "\u206f"
                or ch in "№\ufeff")
    return usual >= 0.9 * len(text)


def _reads_as_cp1251(data: bytes) -> bool:
    """Whether non-UTF-8 bytes look like Cyrillic in cp1251: most high bytes are its letters.

    KOI8-R puts Cyrillic letters in the same byte range and cannot be told
    apart reliably from short or all-capitals text; Windows cp1251 is what
    this office's computers write, so it wins.
    """
    high = sum(1 for b in data if b >= 0x80)
    letters = sum(1 for b in data if b >= 0xC0 or b in (0xA8, 0xB8))
    return letters >= 2 and letters >= 0.8 * high and 0x98 not in data
