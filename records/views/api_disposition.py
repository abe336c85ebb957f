"""The disposition flow in the JSON API (``/api/v1/acts``, ``/api/v1/inventories``): the same steps and
the same four-eyes rules as the pages, for the university's systems. Routes on the API blueprint."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import current_app, g, jsonify, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from records import db, disposition, worker
from records.capture import documents
from records.errors import NotFound, UserError
from records.i18n import _
from records.models import ArchiveInventory, Case
from records.permissions import Perm
from records.views.api import api_require, bp
from records.views.disposal import download
from records.disposition import exports


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise UserError("bad_json", _("Send a JSON object (Content-Type: application/json)."))
    return body


def _date(value: Any, what: str, default: date | None = None) -> date:
    parsed = documents.parse_date(value, what) if value not in (None, "") else default
    if parsed is None:
        raise UserError("no_date", _("Give the date."))
    return parsed


def _case_ids(items: Any) -> list[int]:
    """Cases named as ``{"index": "12-4-17", "year": 2023}`` (every volume, or ``"volume": n``) or ``{"case_id": n}``."""
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise UserError("no_cases", _("List the cases: [{\"index\": \"12-4-17\", \"year\": 2023}, ...]."))
    session = db.session()
    ids: list[int] = []
    for item in items:
        if "case_id" in item:
            query = select(Case.id).where(Case.id == _int(item["case_id"]))
        else:
            query = select(Case.id).where(Case.index == str(item.get("index", "")).strip(),
                                          Case.year == _int(item.get("year")))
            if "volume" in item:
                query = query.where(Case.volume == _int(item["volume"]))
        found = list(session.scalars(query))
        if not found:
            raise NotFound("no_case", _("There is no case %(index)s of %(year)s.", index=item.get("index", "—"),
                                        year=item.get("year", "—")))
        ids.extend(found)
    return ids


def _int(value: Any) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise UserError("bad_case", _("There is no such case.")) from None


def _form(kind: str, data: Any, name: str) -> Any:
    lang, fmt = request.args.get("lang", "ru"), request.args.get("format", "pdf")
    if lang not in ("ru", "ky") or fmt not in ("pdf", "xlsx"):
        raise UserError("bad_format", _("Ask for lang=ru or ky and format=pdf or xlsx."))
    make = exports.act_form if kind == "act" else exports.inventory_form
    return download(make(db.session(), data, fmt, lang, actor=current_user, via="api"), fmt, f"{name}-{lang}")


def _created(body: dict[str, Any], location: str) -> Any:
    resp = jsonify(body)
    resp.status_code = 201
    resp.headers["Location"] = location
    return resp


# --- destruction acts ----------------------------------------------------------------------------

@bp.post("/acts")
def post_act() -> Any:
    if (denied := api_require(Perm.DRAFT_ACTS)) is not None:
        return denied
    body = _body()
    today = date.today()
    year = body.get("year")
    fallback = today if year in (None, "") or _int(year) >= today.year else date(_int(year), 12, 31)
    act_date = _date(body.get("date"), _("The date"), fallback)
    if year not in (None, "") and _int(year) != act_date.year:
        raise UserError("bad_year", _("The act's year is the year of its date."))
    act = disposition.acts.draft_act(db.session(), number=body.get("number", ""), act_date=act_date,
                                     case_ids=_case_ids(body.get("cases")), actor=g.api_user,
                                     note=str(body.get("note") or ""))
    db.session().flush()
    return _created(disposition.acts.act_json(act), f"/api/v1/acts/{act.id}")


@bp.get("/acts/<int:act_id>")
def get_act(act_id: int) -> Any:
    if (denied := api_require(Perm.VIEW_REPORTS)) is not None:
        return denied
    return jsonify(disposition.acts.act_json(disposition.acts.get_act(db.session(), act_id)))


@bp.post("/acts/<int:act_id>/agreement")
def agree_act(act_id: int) -> Any:
    if (denied := api_require(Perm.AGREE_ACTS)) is not None:
        return denied
    body = _body()
    act = disposition.acts.get_act(db.session(), act_id)
    disposition.acts.agree_act(db.session(), act, protocol_number=body.get("protocol_number"),
                               protocol_date=_date(body.get("protocol_date"), _("The protocol date")),
                               decisions=disposition.acts.decisions_from_json(act, body.get("decisions")),
                               actor=g.api_user)
    return jsonify(disposition.acts.act_json(act))


@bp.post("/acts/<int:act_id>/approval")
def approve_act(act_id: int) -> Any:
    if (denied := api_require(Perm.APPROVE_ACTS)) is not None:
        return denied
    act = disposition.acts.get_act(db.session(), act_id)
    disposition.acts.approve_act(db.session(), act, actor=g.api_user)
    return jsonify(disposition.acts.act_json(act))


@bp.post("/acts/<int:act_id>/execution")
def execute_act(act_id: int) -> Any:
    """Request the act's execution: 202 with the act once the worker has it queued (follow it with
    ``GET /acts/<id>``: ``status`` becomes ``executed``, ``execution`` counts the cases done), 200 when
    the act was executed already."""
    if (denied := api_require(Perm.EXECUTE_ACTS)) is not None:
        return denied
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        raise UserError("bad_json", _("Send a JSON object (Content-Type: application/json)."))
    destroyed_on = _date(body["date"], _("The date of destruction")) if body.get("date") else None
    session = db.session()
    act = disposition.acts.get_act(session, act_id)
    job = disposition.execution.request_execution(session, act, actor=g.api_user, method=body.get("method"),
                                                  destroyed_on=destroyed_on)
    if job is not None:
        session.commit()  # the worker runs the execution in sessions of its own, once the request is recorded
        worker.kick(current_app._get_current_object())
        session.expire_all()
    reply = disposition.acts.act_json(disposition.acts.get_act(session, act_id))
    reply["already_done"] = job is None
    return jsonify(reply), 200 if job is None else 202


@bp.get("/acts/<int:act_id>/form")
def act_form(act_id: int) -> Any:
    if (denied := api_require(Perm.VIEW_REPORTS)) is not None:
        return denied
    act = disposition.acts.get_act(db.session(), act_id)
    return _form("act", act, f"act-{act.number}")


# --- inventories of permanent cases --------------------------------------------------------------

@bp.post("/inventories")
def post_inventory() -> Any:
    if (denied := api_require(Perm.TRANSFER_CASES)) is not None:
        return denied
    body = _body()
    inventory = disposition.inventories.draft_inventory(
        db.session(), number=body.get("number", ""), inventory_date=_date(body.get("date"), _("The date"), date.today()),
        case_ids=_case_ids(body.get("cases")), actor=g.api_user, note=str(body.get("note") or ""))
    db.session().flush()
    return _created(disposition.inventories.inventory_json(db.session(), inventory),
                    f"/api/v1/inventories/{inventory.id}")


@bp.get("/inventories/<int:inventory_id>")
def get_inventory(inventory_id: int) -> Any:
    if (denied := api_require(Perm.VIEW_REPORTS)) is not None:
        return denied
    session = db.session()
    return jsonify(disposition.inventories.inventory_json(
        session, disposition.inventories.get_inventory(session, inventory_id)))


def _inventory_step(inventory_id: int, perm: Perm, step: Callable[[Session, ArchiveInventory], object]) -> Any:
    """One step on an inventory, answered with the inventory as it now stands."""
    if (denied := api_require(perm)) is not None:
        return denied
    session = db.session()
    inventory = disposition.inventories.get_inventory(session, inventory_id)
    step(session, inventory)
    return jsonify(disposition.inventories.inventory_json(session, inventory))


@bp.post("/inventories/<int:inventory_id>/agreement")
def agree_inventory(inventory_id: int) -> Any:
    def agree(session: Session, inventory: ArchiveInventory) -> None:
        body = _body()
        disposition.inventories.agree_inventory(
            session, inventory, protocol_number=body.get("protocol_number"),
            protocol_date=_date(body.get("protocol_date"), _("The protocol date")), actor=g.api_user)

    return _inventory_step(inventory_id, Perm.AGREE_ACTS, agree)


@bp.post("/inventories/<int:inventory_id>/approval")
def approve_inventory(inventory_id: int) -> Any:
    return _inventory_step(inventory_id, Perm.APPROVE_ACTS, lambda session, inventory: disposition.inventories
                           .approve_inventory(session, inventory, actor=g.api_user))


@bp.post("/inventories/<int:inventory_id>/transfer")
def transfer_inventory(inventory_id: int) -> Any:
    return _inventory_step(inventory_id, Perm.TRANSFER_CASES, lambda session, inventory: disposition.inventories
                           .transfer_inventory(session, inventory, actor=g.api_user))


@bp.get("/inventories/<int:inventory_id>/form")
def inventory_form(inventory_id: int) -> Any:
    if (denied := api_require(Perm.VIEW_REPORTS)) is not None:
        return denied
    inventory = disposition.inventories.get_inventory(db.session(), inventory_id)
    return _form("inventory", inventory, f"inventory-{inventory.year}-{inventory.number}")
