"""Destruction acts: drawn up by the records officer from the expiry list, agreed by the expert commission
(ЭК) in a protocol with its decision on every until-needed or ЭПК-marked case, approved by the head of the
organisation, then executed (:mod:`records.disposition.execution`). An act, with what it listed, is kept
for ever."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from records import audit
from records.db import utcnow
from records.disposition.holds import held_case_ids, is_held
from records.disposition.rules import MAX_NUMBER, ListName, case_rule, case_rule_text, place_case
from records.errors import Conflict, Forbidden, NotFound, UserError
from records.i18n import _l
from records.models import ActStatus, Case, CaseState, DisposalAct, DisposalActRow, User
from records.retention import RetentionKind


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
    placement = place_case(rule, case.closed_year, act_year)
    if placement is None or placement.list not in (ListName.DESTROY, ListName.REVIEW):
        raise Conflict("not_due", _l("Case %(index)s of %(year)s is not due for destruction in %(act_year)s.",
                                     act_year=act_year, **name))


def _in_other_act(session: Session, case_ids: list[int]) -> set[int]:
    return set(session.scalars(
        select(DisposalActRow.case_id).join(DisposalAct, DisposalAct.id == DisposalActRow.act_id)
        .where(DisposalActRow.case_id.in_(case_ids), DisposalAct.status != ActStatus.REJECTED.value)
    ))


def draft_act(session: Session, *, number: str, act_date: date, case_ids: Iterable[int], actor: User,
              note: str = "", today: date | None = None) -> DisposalAct:
    """Draw up an act from cases of the expiry list of the act's year (destroy and review parts)."""
    number = " ".join((number or "").split())
    if not number or len(number) > MAX_NUMBER:
        raise UserError("bad_number", _l("Give the act a number (up to %(n)s characters).", n=MAX_NUMBER))
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
        act.rows.append(DisposalActRow(
            case_id=case.id, position=position, heading=case.item.title("ru"),
            heading_ky=case.item.title("ky"), heading_ru=case.item.title("ru"), date_range=_date_range(case),
            case_index=case.index if case.volume == 1 else f"{case.index} (т. {case.volume})",
            case_year=case.year, volumes=1, retention=case_rule_text(case), note=case.note or "",
        ))
    session.add(act)
    session.flush()
    audit.record(session, "act:draft", act, actor=actor, number=number, act_date=act_date.isoformat(),
                 cases=[r.case_id for r in act.rows])
    return act


def approve_act(session: Session, act: DisposalAct, *, actor: User) -> None:
    """The head of department's approval; the drafter may not approve their own act."""
    if act.status != ActStatus.DRAFT:
        raise Conflict("not_draft", _l("Only a draft act can be approved."))
    if act.drafted_by_id == actor.id:
        raise Forbidden("self_approval", _l("The act must be approved by someone other than its drafter."))
    held = held_case_ids(session, [r.case_id for r in act.rows])
    for row in act.rows:
        check_destroyable(session, row.case, act.year, held=held)
    act.status = ActStatus.APPROVED
    act.approved_by_id = actor.id
    act.approved_at = utcnow()
    audit.record(session, "act:approve", act, actor=actor, number=act.number, cases=[r.case_id for r in act.rows])


def reject_act(session: Session, act: DisposalAct, *, actor: User, reason: str) -> None:
    """Send a draft back: the act is kept, and its cases become free for another act."""
    if act.status != ActStatus.DRAFT:
        raise Conflict("not_draft", _l("Only a draft act can be rejected."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise UserError("no_reason", _l("Write why the act is rejected."))
    act.status = ActStatus.REJECTED
    act.note = f"{act.note}\n{reason}".strip()
    audit.record(session, "act:reject", act, actor=actor, number=act.number, reason=reason)
