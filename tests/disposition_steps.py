"""Steps of the disposition flow for tests: the same four-eyes steps through the web pages, the JSON API
and the services, so each test says which step it exercises and nothing more."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask import Flask

from records import disposition
from records.db import session_scope
from records.models import ArchiveInventory, User

TODAY = date.today()


def created_id(resp: Any) -> int:
    """The id at the end of the redirect after a draft was created."""
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])


# --- web pages -----------------------------------------------------------------------------------

def web_draft_act(client: Any, case_ids: Iterable[int], number: str = "1", act_date: date = TODAY) -> Any:
    return client.post("/disposal/acts", data={"number": number, "act_date": act_date.isoformat(),
                                               "case_id": [str(i) for i in case_ids]})


def web_agree_act(client: Any, act_id: int, decisions: dict[int, str] | None = None, protocol: str = "3",
                  on: date = TODAY) -> Any:
    """``decisions``: case id -> "destroy" | "permanent" | "extend:N"."""
    data = {"protocol_number": protocol, "protocol_date": on.isoformat()}
    for case_id, decision in (decisions or {}).items():
        kind, _sep, years = decision.partition(":")
        data[f"decision-{case_id}"] = kind
        if years:
            data[f"years-{case_id}"] = years
    return client.post(f"/disposal/acts/{act_id}/agree", data=data)


def web_draft_inventory(client: Any, case_ids: Iterable[int], number: str = "1-П", on: date = TODAY) -> Any:
    return client.post("/disposal/inventories", data={"number": number, "inventory_date": on.isoformat(),
                                                      "case_id": [str(i) for i in case_ids]})


def web_approved_inventory(officer: Any, commission: Any, approver: Any, case_ids: Iterable[int],
                           number: str = "1-П") -> int:
    """Draft, agree and approve an inventory of ``case_ids`` through the pages; its id."""
    inventory_id = created_id(web_draft_inventory(officer, case_ids, number))
    agreed = commission.post(f"/disposal/inventories/{inventory_id}/agree",
                             data={"protocol_number": "2", "protocol_date": TODAY.isoformat()})
    assert agreed.status_code == 302, agreed.get_data(as_text=True)
    approved = approver.post(f"/disposal/inventories/{inventory_id}/approve")
    assert approved.status_code == 302, approved.get_data(as_text=True)
    return inventory_id


# --- services ------------------------------------------------------------------------------------

def approved_inventory(app: Flask, case_ids: Iterable[int], *, drafter: int, commission: int, approver: int,
                       number: str = "1-П") -> int:
    """The same through the services, for tests about what follows."""
    with app.app_context(), session_scope(app) as session:
        inventory: ArchiveInventory = disposition.inventories.draft_inventory(
            session, number=number, inventory_date=TODAY, case_ids=case_ids, actor=session.get(User, drafter))
        disposition.inventories.agree_inventory(session, inventory, protocol_number="2", protocol_date=TODAY,
                                                actor=session.get(User, commission))
        disposition.inventories.approve_inventory(session, inventory, actor=session.get(User, approver))
        return inventory.id


def approved_act(app: Flask, case_ids: Iterable[int], *, drafter: int, commission: int, approver: int,
                 number: str = "7", decisions: dict[int, disposition.acts.Decision] | None = None) -> int:
    with app.app_context(), session_scope(app) as session:
        act = disposition.acts.draft_act(session, number=number, act_date=TODAY, case_ids=case_ids,
                                         actor=session.get(User, drafter))
        disposition.acts.agree_act(session, act, protocol_number="3", protocol_date=TODAY,
                                   decisions=decisions or {}, actor=session.get(User, commission))
        disposition.acts.approve_act(session, act, actor=session.get(User, approver))
        return act.id
