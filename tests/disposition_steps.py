"""Steps of the disposition flow for tests: the same four-eyes steps through the web pages, the JSON API
and the services, so each test says which step it exercises and nothing more."""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask

from records import disposition, worker
from records.capture import documents
from records.db import session_scope
from records.models import ArchiveInventory, User
from tests import samples

TODAY = date.today()


def created_id(resp: Any) -> int:
    """The id at the end of the redirect after a draft was created."""
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])


# --- the catalogue ------------------------------------------------------------------------------

def file_doc(app: Flask, tmp_path: Path, year: int, index: str, text: str | None = None, *,
             allow_duplicate: bool = False, content: str | None = None) -> tuple[int, int]:
    """File a small text document through the capture service; returns (document id, case id)."""
    body = content or f"{text or 'Протокол'} {uuid.uuid4().hex}"
    path = samples.make_txt(tmp_path, body, name=f"{uuid.uuid4().hex}.txt")
    with app.app_context(), session_scope(app) as session, path.open("rb") as fh:
        filed = documents.file_document(
            app, session, year=year, index=index,
            meta=documents.validate_metadata({"doc_type": "other", "title": text or "Документ",
                                              "doc_date": f"{year}-03-01"}),
            upload=documents.Upload(fh, path.name), actor=None, allow_duplicate=allow_duplicate)
        ids = filed.document.id, filed.document.case_id
    worker.run_once(app)  # what the request boundary does after a commit
    return ids


def close(app: Flask, year: int) -> None:
    with app.app_context(), session_scope(app) as session:
        disposition.closing.close_year(session, year, actor="test", acknowledged=True, today=date(year + 1, 1, 10))


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


def api_file(client: Any, token: str, tmp_path: Path, index: str, year: int, title: str = "Документ",
             **extra: str) -> Any:
    """File a small text document through the API; the response."""
    path = samples.make_txt(tmp_path, f"{title} {uuid.uuid4().hex}", name=f"{uuid.uuid4().hex}.txt")
    data = {"index": index, "year": str(year), "doc_type": "other", "title": title, **extra,
            "file": (path.open("rb"), path.name)}
    return client.post("/api/v1/documents", data=data, headers={"Authorization": f"Bearer {token}"},
                       content_type="multipart/form-data")


def executed_act(read: Any, timeout: float = 60.0) -> dict[str, Any]:
    """The act as ``read()`` answers it (the API's JSON) once the worker finished its execution; fails when
    the execution stops or does not finish within ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        act = read()
        if act["status"] == "executed":
            return act  # type: ignore[no-any-return]
        assert act["status"] == "executing" and act["execution"]["state"] == "running", act
        assert time.monotonic() < deadline, f"the act's execution did not finish in {timeout} s: {act}"
        time.sleep(0.2)
