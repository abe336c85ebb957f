"""What is said about a document when it is filed: its type, title, date, number, counterparty,
language and the details of its type, checked and tidied before anything is stored."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from records.errors import UserError
from records.i18n import _l
from records.models import DocType

LANGUAGES = ("ky", "ru", "en")
MAX_TITLE = 500
# Fields of the type-specific details, with the types they belong to.
DETAIL_FIELDS: dict[str, tuple[str, ...]] = {
    DocType.PROTOCOL: ("agenda",),
    DocType.ORDER: ("subject",),
    DocType.CONTRACT: ("valid_from", "valid_to", "student_group"),
    DocType.SAC: ("sac_kind", "programme", "sac_year"),
    DocType.REPORT: ("period",),
    DocType.OTHER: (),
}
SAC_KINDS = ("order", "application", "notice", "report")
DATE_DETAILS = {"valid_from", "valid_to"}


@dataclass
class Metadata:
    doc_type: str
    title: str
    doc_date: date | None
    number: str | None = None
    counterparty: str | None = None
    language: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def clean_text(value: Any, limit: int) -> str:
    """Printable text only: control characters and direction overrides are dropped."""
    text = unicodedata.normalize("NFC", str(value or ""))
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\t")
    return " ".join(text.split())[:limit]


def safe_filename(name: str) -> str:
    """The name to keep and offer on download: no path, no control characters, bounded length."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = clean_text(base, 255).strip(". ")
    return base or "document"


def parse_date(value: Any, what: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        parsed = date.fromisoformat(str(value).strip())
    except ValueError:
        raise UserError("bad_date", _l("%(field)s must be a date written as YYYY-MM-DD.", field=what)) from None
    if not 1900 <= parsed.year <= 2100:
        raise UserError("bad_date", _l("%(field)s must be a date written as YYYY-MM-DD.", field=what))
    return parsed


def validate_metadata(raw: dict[str, Any]) -> Metadata:
    doc_type = str(raw.get("doc_type") or "").strip()
    if doc_type not in set(DocType):
        raise UserError("bad_doc_type", _l("Choose the document type: %(types)s.", types=", ".join(DocType)))
    title = clean_text(raw.get("title"), MAX_TITLE)
    if not title:
        raise UserError("no_title", _l("Give the document a title."))
    language = str(raw.get("language") or "").strip() or None
    if language is not None and language not in LANGUAGES:
        raise UserError("bad_language", _l("The language must be one of: ky, ru, en."))
    details: dict[str, Any] = {}
    for name in DETAIL_FIELDS[doc_type]:
        value = raw.get(name)
        if name in DATE_DETAILS:
            parsed = parse_date(value, name)
            if parsed:
                details[name] = parsed.isoformat()
        elif value not in (None, ""):
            details[name] = clean_text(value, 300)
    if details.get("sac_kind") and details["sac_kind"] not in SAC_KINDS:
        raise UserError("bad_sac_kind", _l("The SAC document kind must be one of: %(kinds)s.", kinds=", ".join(SAC_KINDS)))
    if details.get("valid_from") and details.get("valid_to") and details["valid_from"] > details["valid_to"]:
        raise UserError("bad_date", _l("The contract cannot end before it starts."))
    return Metadata(
        doc_type=doc_type, title=title, doc_date=parse_date(raw.get("doc_date"), _l("The document date")),
        number=clean_text(raw.get("number"), 64) or None, counterparty=clean_text(raw.get("counterparty"), 300) or None,
        language=language, details=details,
    )
