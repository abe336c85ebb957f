"""A case's own retention rule (an override of its item's rule).

Permanent means permanent: no override makes a permanent case (one marked so, or whose item's rule is
permanent) anything else; only the expert commission's decision recorded in an act's agreement changes
what becomes of a reviewed case. An override that lengthens the retention, or adds the commission's
review, takes effect at once. One that shortens it (fewer years, no more review, or a period of years
where there was none) waits until a second person, another records officer or the head of department,
approves it; a case under hold takes no shortening override at all.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from records import audit
from records.cases import require_kept
from records.db import utcnow
from records.disposition.holds import is_held
from records.disposition.rules import case_rule, case_rule_text, rule_from_text, shortens
from records.errors import Conflict, Forbidden, UserError
from records.i18n import _l
from records.models import AuditAction, Case, User
from records.retention import RetentionKind, RetentionParseError, RetentionRule


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _name(case: Case) -> dict[str, object]:
    return {"index": case.index, "year": case.year}


def _rule_after(case: Case, text: str) -> RetentionRule:
    if not text:
        return rule_from_text(case.item.retention)
    try:
        return rule_from_text(text)
    except RetentionParseError as exc:
        raise UserError("bad_retention", exc.message) from None


def set_override(session: Session, case: Case, *, retention: str, reason: str, actor: User) -> bool:
    """Give one case a rule of its own (or, with an empty ``retention``, return it to its item's rule).

    Returns True when the change took effect, False when it waits for a second person's approval.
    """
    require_kept(case)
    reason = _clean(reason)
    if not reason:
        raise UserError("no_reason", _l("Write the reason for changing this case's retention."))
    text = _clean(retention)
    after = _rule_after(case, text)
    before = case_rule(case)
    if before.kind is RetentionKind.PERMANENT and after.kind is not RetentionKind.PERMANENT:
        raise Conflict("permanent", _l("Case %(index)s of %(year)s is kept permanently; no change of its rule "
                                       "can make it destroyable.", **_name(case)))
    if shortens(before, after):
        if is_held(session, case):
            raise Conflict("held", _l("Case %(index)s of %(year)s is under a hold; its retention cannot be "
                                      "shortened.", **_name(case)))
        case.pending_override, case.pending_override_reason = text or "", reason
        case.pending_override_by_id, case.pending_override_at = actor.id, utcnow()
        audit.record(session, AuditAction.CASE_OVERRIDE_REQUEST, case, actor=actor, **_name(case),
                     before=case_rule_text(case), after=text or None, item_rule=case.item.retention, reason=reason)
        return False
    _apply(session, case, text, reason, actor=actor, requested_by=None)
    return True


def _apply(session: Session, case: Case, text: str, reason: str, *, actor: User, requested_by: int | None) -> None:
    before = case.retention_override
    case.retention_override = text or None
    case.override_reason = reason if text else None
    if text and rule_from_text(text).kind is RetentionKind.PERMANENT:
        case.permanent = True
    case.pending_override = case.pending_override_reason = None
    case.pending_override_by_id = case.pending_override_at = None
    audit.record(session, AuditAction.CASE_OVERRIDE, case, actor=actor, **_name(case), before=before,
                 after=case.retention_override, item_rule=case.item.retention, reason=reason,
                 requested_by=requested_by)


def _require_pending(case: Case) -> str:
    if case.pending_override is None:
        raise Conflict("no_pending_override", _l("No change of this case's retention waits for approval."))
    return case.pending_override


def approve_override(session: Session, case: Case, *, actor: User) -> None:
    """A second person approves a shortening override; the one who asked for it may not."""
    text = _require_pending(case)
    if case.pending_override_by_id == actor.id:
        raise Forbidden("self_approval", _l("A shorter retention must be approved by someone other than the "
                                            "person who asked for it."))
    require_kept(case)
    # Checked again: the case may have been held or marked permanent since the request.
    if case_rule(case).kind is RetentionKind.PERMANENT and _rule_after(case, text).kind is not RetentionKind.PERMANENT:
        raise Conflict("permanent", _l("Case %(index)s of %(year)s is kept permanently; no change of its rule "
                                       "can make it destroyable.", **_name(case)))
    if is_held(session, case):
        raise Conflict("held", _l("Case %(index)s of %(year)s is under a hold; its retention cannot be "
                                  "shortened.", **_name(case)))
    _apply(session, case, text, case.pending_override_reason or "", actor=actor,
           requested_by=case.pending_override_by_id)


def reject_override(session: Session, case: Case, *, actor: User) -> None:
    text = _require_pending(case)
    audit.record(session, AuditAction.CASE_OVERRIDE_REJECT, case, actor=actor, **_name(case), proposed=text or None,
                 reason=case.pending_override_reason)
    case.pending_override = case.pending_override_reason = None
    case.pending_override_by_id = case.pending_override_at = None
