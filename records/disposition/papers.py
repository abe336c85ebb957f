"""What the yearly papers (acts, inventories) share: their numbers and the expert commission's protocol."""
from __future__ import annotations

from datetime import date
from typing import Any

from records import accounts
from records.errors import Conflict, Forbidden, UserError
from records.i18n import _l
from records.models import User
from records.permissions import Paper

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


def check_agreement(is_draft: bool, drafted_by_id: int | None, actor: User, protocol_number: Any,
                    protocol_date: date | None, *, not_draft: Any, self_agreement: Any,
                    today: date | None = None) -> tuple[dict[str, bool], str, date]:
    """The checks before the expert commission's agreement of a paper (an act, an inventory): it is still
    a draft, and someone other than its drafter records the agreement. Returns the actor's approval flags
    (for the audit) and the protocol's number and date; ``not_draft`` and ``self_agreement`` are the
    messages of the refusals."""
    if not is_draft:
        raise Conflict("not_draft", not_draft)
    if drafted_by_id == actor.id:
        raise Forbidden("self_agreement", self_agreement)
    number, on = clean_protocol(protocol_number, protocol_date, today=today)
    return accounts.approval_flags(actor, Paper.DISPOSAL), number, on
