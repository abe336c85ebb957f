"""A case's own retention rule (an override of its item's rule)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from records import audit
from records.cases import require_kept
from records.disposition.rules import rule_from_text
from records.errors import UserError
from records.i18n import _l
from records.models import Case, User
from records.retention import RetentionParseError


def set_override(session: Session, case: Case, *, retention: str, reason: str, actor: User) -> None:
    """Give one case a rule of its own (or, with an empty ``retention``, return it to its item's rule)."""
    require_kept(case)
    reason = " ".join((reason or "").split())
    if not reason:
        raise UserError("no_reason", _l("Write the reason for changing this case's retention."))
    text = " ".join((retention or "").split())
    if text:
        try:
            rule_from_text(text)
        except RetentionParseError as exc:
            raise UserError("bad_retention", exc.message) from None
    before = case.retention_override
    case.retention_override = text or None
    case.override_reason = reason if text else None
    audit.record(session, "case:override", case, actor=actor, index=case.index, year=case.year,
                 before=before, after=case.retention_override, item_rule=case.item.retention, reason=reason)
