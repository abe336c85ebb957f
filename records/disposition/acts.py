"""Destruction acts: drawn up by the records officer from the expiry list, agreed by the expert commission
(ЭК) in a protocol with its decision on every until-needed or ЭПК-marked case, approved by the head of the
organisation, then executed (:mod:`records.disposition.execution`). An act, with what it listed, is kept
for ever.

Four eyes: the approver is never the drafter; nothing is approved before the commission agreed it, nor
while a permanent case of any year the act destroys is outside an approved inventory.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from records import accounts, audit
from records.db import utcnow
from records.disposition.holds import held_case_ids, is_held
from records.disposition.inventories import outside_approved_inventories
from records.disposition.papers import MAX_NUMBER, check_agreement, clean_number
from records.disposition.rules import ListName, case_rule, case_rule_text, place_case
from records.errors import Conflict, Forbidden, NotFound, UserError
from records.i18n import _l
from records.models import ActStatus, AuditAction, Case, CaseState, DisposalAct, DisposalActRow, ReviewDecision, User
from records.permissions import Paper
from records.retention import RetentionKind

MAX_EXTEND_YEARS = 50


def get_act(session: Session, act_id: int) -> DisposalAct:
    act = session.get(DisposalAct, act_id)
    if act is None:
        raise NotFound("no_act", _l("There is no such act."))
    return act


def list_acts(session: Session) -> list[DisposalAct]:
    return list(session.scalars(select(DisposalAct).order_by(DisposalAct.act_date.desc(), DisposalAct.id.desc())))


def _date_range(case: Case) -> str:
    if case.first_doc_date and case.last_doc_date:
        first, last = case.first_doc_date.strftime("%d.%m.%Y"), case.last_doc_date.strftime("%d.%m.%Y")
        return first if first == last else f"{first} – {last}"
    return str(case.year)


def check_destroyable(session: Session, case: Case, act_year: int, *, held: set[int] | None = None) -> None:
    """Refuse a case that may not be destroyed under an act of ``act_year``: not closed, permanent,
    held, or not yet due."""
    name = {"index": case.index, "year": case.year}
    if case.state != CaseState.CLOSED:
        raise Conflict("not_closed", _l("Case %(index)s of %(year)s is not a closed case kept here.", **name))
    rule = case_rule(case)
    if rule.kind is RetentionKind.PERMANENT:
        raise Conflict("permanent", _l("Case %(index)s of %(year)s is kept permanently and can never be destroyed.",
                                       **name))
    is_case_held = case.id in held if held is not None else is_held(session, case)
    if is_case_held:
        raise Conflict("held", _l("Case %(index)s of %(year)s is under a hold and cannot be destroyed.", **name))
    placement = place_case(rule, case.closed_year, act_year, review_year=case.review_year)
    if placement is None or placement.list not in (ListName.DESTROY, ListName.REVIEW):
        raise Conflict("not_due", _l("Case %(index)s of %(year)s is not due for destruction in %(act_year)s.",
                                     act_year=act_year, **name))


def _in_other_act(session: Session, case_ids: list[int]) -> set[int]:
    """Cases already in an act that was not rejected, unless the commission decided there to keep them."""
    return set(session.scalars(
        select(DisposalActRow.case_id).join(DisposalAct, DisposalAct.id == DisposalActRow.act_id)
        .where(DisposalActRow.case_id.in_(case_ids), DisposalAct.status != ActStatus.REJECTED,
               or_(DisposalActRow.decision.is_(None), DisposalActRow.decision == ReviewDecision.DESTROY))
    ))


def draft_act(session: Session, *, number: str, act_date: date, case_ids: Iterable[int], actor: User,
              note: str = "", today: date | None = None) -> DisposalAct:
    """Draw up an act from cases of the expiry list of the act's year. Cases of the review part (until
    needed, ЭПК) go in for the expert commission's decision: only a decision "destroy" destroys them."""
    number = clean_number(number, _l("Give the act a number (up to %(n)s characters).", n=MAX_NUMBER))
    today = today or date.today()
    if act_date > today:
        raise UserError("future_date", _l("An act cannot be dated in the future."))
    ids = sorted({int(c) for c in case_ids})
    if not ids:
        raise UserError("no_cases", _l("Choose at least one case for the act."))
    if session.scalar(select(DisposalAct.id).where(DisposalAct.number == number, DisposalAct.act_date == act_date)):
        raise Conflict("act_exists", _l("An act No. %(number)s of this date already exists.", number=number))
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(ids)))}
    missing = [i for i in ids if i not in cases]
    if missing:
        raise NotFound("no_case", _l("There is no such case."))
    held = held_case_ids(session, ids)
    for case in cases.values():
        check_destroyable(session, case, act_date.year, held=held)
    taken = _in_other_act(session, ids)
    if taken:
        case = cases[min(taken)]
        raise Conflict("in_other_act", _l("Case %(index)s of %(year)s is already in another act.",
                                          index=case.index, year=case.year))
    act = DisposalAct(number=number, act_date=act_date, year=act_date.year, status=ActStatus.DRAFT,
                      note=" ".join((note or "").split()), drafted_by_id=actor.id)
    ordered = sorted(cases.values(), key=lambda c: (c.year, c.item.position, c.volume))
    for position, case in enumerate(ordered, start=1):
        placement = place_case(case_rule(case), case.closed_year, act.year, review_year=case.review_year)
        act.rows.append(DisposalActRow(
            review=placement is not None and placement.list is ListName.REVIEW,
            case_id=case.id, position=position, heading=case.item.title("ru"),
            heading_ky=case.item.title("ky"), heading_ru=case.item.title("ru"), date_range=_date_range(case),
            case_index=case.index if case.volume == 1 else f"{case.index} (т. {case.volume})",
            case_year=case.year, volumes=1, retention=case_rule_text(case), note=case.note or "",
        ))
    session.add(act)
    session.flush()
    audit.record(session, AuditAction.ACT_DRAFT, act, actor=actor, number=number, act_date=act_date.isoformat(),
                 cases=[r.case_id for r in act.rows])
    return act


# --- the expert commission's agreement -----------------------------------------------------------

@dataclass(frozen=True)
class Decision:
    """The commission's decision on one reviewed case: destroy, keep ``years`` more years, make permanent."""

    decision: ReviewDecision
    years: int | None = None


def parse_decision(raw: Any, years: Any = None) -> Decision:
    """A decision from a form or JSON: ``destroy``, ``extend`` (with whole ``years``) or ``permanent``."""
    try:
        kind = ReviewDecision(str(raw or "").strip())
    except ValueError:
        raise UserError("bad_decision", _l("Choose the commission's decision: destroy, keep longer or make "
                                           "permanent.")) from None
    if kind is not ReviewDecision.EXTEND:
        return Decision(kind)
    try:
        n = int(str(years).strip())
    except (TypeError, ValueError):
        n = 0
    if not 1 <= n <= MAX_EXTEND_YEARS:
        raise UserError("bad_years", _l("Keep the case from 1 to %(n)s more years.", n=MAX_EXTEND_YEARS))
    return Decision(kind, n)


def decisions_from_json(act: DisposalAct, items: Any) -> dict[int, Decision]:
    """Decisions of the API: ``[{"index": "12-4-17", "year": 2023, "decision": "extend", "years": 5}, ...]``
    (``volume`` when a case has several, or ``case_id`` instead of index and year)."""
    if items is None:
        items = []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise UserError("bad_decisions", _l("The decisions must be a list of objects."))
    found: dict[int, Decision] = {}
    for item in items:
        row = _row_for(act, item)
        found[row.case_id] = parse_decision(item.get("decision"), item.get("years"))
    return found


def _row_for(act: DisposalAct, item: Mapping[str, Any]) -> DisposalActRow:
    for row in act.rows:
        if "case_id" in item:
            if str(item["case_id"]) == str(row.case_id):
                return row
        elif (row.case.index == str(item.get("index", "")).strip() and str(row.case.year) == str(item.get("year"))
              and str(row.case.volume) == str(item.get("volume", row.case.volume))):
            return row
    raise UserError("not_in_act", _l("Case %(index)s of %(year)s is not in this act.",
                                     index=item.get("index", item.get("case_id", "—")), year=item.get("year", "—")))


def agree_act(session: Session, act: DisposalAct, *, protocol_number: Any, protocol_date: date | None,
              decisions: Mapping[int, Decision], actor: User, today: date | None = None) -> None:
    """Record the commission's protocol and its decision on every reviewed case of a draft act.

    "Keep N more years" sets the year the case is reviewed again (the protocol's year + N); "make
    permanent" marks the case permanent for good. Only "destroy" leaves a reviewed case in the act.
    """
    flags, number, on = check_agreement(
        act.status == ActStatus.DRAFT, act.drafted_by_id, actor, protocol_number, protocol_date, today=today,
        not_draft=_l("Only a draft act can be agreed."),
        self_agreement=_l("The act must be agreed by someone other than its drafter."))
    by_case = {row.case_id: row for row in act.rows}
    for case_id in decisions:
        row = by_case.get(case_id)
        if row is None:
            raise UserError("not_in_act", _l("There is no such case in this act."))
        if not row.review:
            raise UserError("no_review", _l("Case %(index)s of %(year)s is due for destruction by its rule and takes "
                                            "no decision.", index=row.case.index, year=row.case.year))
    for row in act.rows:
        if row.review and row.case_id not in decisions:
            raise UserError("decision_missing", _l("Record the commission's decision on case %(index)s of %(year)s.",
                                                   index=row.case.index, year=row.case.year))
    for row in act.rows:
        if not row.review:
            continue
        decision = decisions[row.case_id]
        row.decision, row.extend_years = decision.decision.value, decision.years
        case = row.case
        if decision.decision is ReviewDecision.EXTEND:
            assert decision.years is not None
            case.review_year = on.year + decision.years
        elif decision.decision is ReviewDecision.PERMANENT:
            case.permanent = True
        audit.record(session, AuditAction.CASE_REVIEW, case, actor=actor, index=case.index, year=case.year, act_id=act.id,
                     protocol=number, protocol_date=on.isoformat(), decision=decision.decision.value,
                     years=decision.years, review_year=case.review_year)
    act.protocol_number, act.protocol_date = number, on
    act.status = ActStatus.AGREED
    act.agreed_by_id, act.agreed_at = actor.id, utcnow()
    audit.record(session, AuditAction.ACT_AGREE, act, actor=actor, number=act.number, protocol=number,
                 protocol_date=on.isoformat(), destroy=[r.case_id for r in act.destroy_rows],
                 kept=[r.case_id for r in act.rows if not r.destroys], **flags)


# --- approval by the head of the organisation ----------------------------------------------------

def approve_act(session: Session, act: DisposalAct, *, actor: User) -> None:
    """The approver's УТВЕРЖДАЮ: never the drafter's, only after the commission agreed the act, and only
    when the permanent cases of every year it destroys are in approved inventories."""
    if act.drafted_by_id == actor.id:
        raise Forbidden("self_approval", _l("The act must be approved by someone other than its drafter."))
    if act.status == ActStatus.DRAFT:
        raise Conflict("not_agreed", _l("The expert commission has not agreed this act yet."))
    if act.status != ActStatus.AGREED:
        raise Conflict("not_agreed", _l("Only an act agreed by the expert commission can be approved."))
    flags = accounts.approval_flags(actor, Paper.DISPOSAL)
    rows = act.destroy_rows
    held = held_case_ids(session, [r.case_id for r in rows])
    for row in rows:
        check_destroyable(session, row.case, act.year, held=held)
    outside = outside_approved_inventories(session, sorted({r.case_year for r in rows}))
    if outside:
        first = outside[0]
        raise Conflict("inventory_missing", _l(
            "The inventory of permanent cases of %(year)s is not approved yet: %(n)s permanent case(s), for example "
            "%(index)s, are in no approved inventory. Approve the inventory first.",
            year=first.year, n=len(outside), index=first.index), cases=[c.id for c in outside])
    act.status = ActStatus.APPROVED
    act.approved_by_id = actor.id
    act.approved_at = utcnow()
    audit.record(session, AuditAction.ACT_APPROVE, act, actor=actor, number=act.number, cases=[r.case_id for r in rows],
                 **flags)


def reject_act(session: Session, act: DisposalAct, *, actor: User, reason: str) -> None:
    """Send a draft or agreed act back: the act is kept, and its cases become free for another act. The
    commission's decisions already recorded stand."""
    if act.status not in (ActStatus.DRAFT, ActStatus.AGREED):
        raise Conflict("not_draft", _l("Only an act not yet approved can be rejected."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise UserError("no_reason", _l("Write why the act is rejected."))
    act.status = ActStatus.REJECTED
    act.note = f"{act.note}\n{reason}".strip()
    audit.record(session, AuditAction.ACT_REJECT, act, actor=actor, number=act.number, reason=reason)


def act_json(act: DisposalAct) -> dict[str, Any]:
    def person(user: User | None) -> str | None:
        return user.username if user is not None else None

    return {
        "id": act.id, "number": act.number, "date": act.act_date.isoformat(), "year": act.year,
        "status": str(act.status), "note": act.note,
        "drafted_by": person(act.drafted_by), "drafted_at": act.drafted_at.isoformat(),
        "protocol_number": act.protocol_number,
        "protocol_date": act.protocol_date.isoformat() if act.protocol_date else None,
        "agreed_by": person(act.agreed_by), "agreed_at": act.agreed_at.isoformat() if act.agreed_at else None,
        "approved_by": person(act.approved_by),
        "approved_at": act.approved_at.isoformat() if act.approved_at else None,
        "executed_by": person(act.executed_by),
        "executed_at": act.executed_at.isoformat() if act.executed_at else None,
        "destruction_method": act.destruction_method or None,
        "destroyed_on": act.destroyed_on.isoformat() if act.destroyed_on else None,
        "execution": _execution_json(act),
        "cases": [{"case_id": r.case_id, "index": r.case.index, "year": r.case_year, "volume": r.case.volume,
                   "heading": r.heading, "retention": r.retention, "review": r.review, "decision": r.decision,
                   "years": r.extend_years, "destroys": r.destroys,
                   "executed_at": r.executed_at.isoformat() if r.executed_at else None} for r in act.rows],
    }


def _execution_json(act: DisposalAct) -> dict[str, Any] | None:
    """The act's execution job: its state (``running``, ``stalled``, ``interrupted``, ``done``), the
    cases done of all, and the documents and files destroyed so far."""
    from records.disposition.execution import progress

    shown = progress(act)
    if shown is None:
        return None
    return {**shown, "started_at": act.job.started_at.isoformat() if act.job else None,
            "finished_at": act.job.finished_at.isoformat() if act.job and act.job.finished_at else None}
