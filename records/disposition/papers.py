"""What the yearly papers (acts, inventories) share: their numbers and the expert commission's protocol."""
from __future__ import annotations

from datetime import date
from typing import Any

from records.errors import UserError
from records.i18n import _l

MAX_NUMBER = 32


def clean_number(number: Any, what: Any) -> str:
    """A paper's number, spaces tidied; ``what`` is the message asking for it."""
    text = " ".join(str(number or "").split())
    if not text or len(text) > MAX_NUMBER:
        raise UserError("bad_number", what)
    return text


def clean_protocol(number: Any, protocol_date: date | None, *, today: date | None = None) -> tuple[str, date]:
    """The protocol's number and date, checked (shared by acts and inventories)."""
    text = " ".join(str(number or "").split())
    if not text or len(text) > MAX_NUMBER:
        raise UserError("bad_protocol", _l("Give the number of the commission's protocol (up to %(n)s characters).",
                                           n=MAX_NUMBER))
    if protocol_date is None:
        raise UserError("no_protocol_date", _l("Give the date of the commission's protocol."))
    if protocol_date > (today or date.today()):
        raise UserError("future_date", _l("A protocol cannot be dated in the future."))
    return text, protocol_date
