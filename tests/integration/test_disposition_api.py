"""The disposition flow through the JSON API with bearer tokens, every refusal as a JSON error: draft,
agreement with the commission's decisions, approval after the inventory, execution, the forms."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from records.db import session_scope
from records.models import Case
from tests.disposition_steps import TODAY, api_file, close, executed_act, file_doc


class Api:
    def __init__(self, client: Any, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def post(self, url: str, body: Any = None) -> Any:
        return self.client.post(f"/api/v1{url}", json=body, headers=self.headers)

    def get(self, url: str) -> Any:
        return self.client.get(f"/api/v1{url}", headers=self.headers)


def error(resp: Any, status: int) -> str:
    assert resp.status_code == status, resp.get_data(as_text=True)
    return resp.get_json()["error"]["code"]


@pytest.fixture
def people(app: Flask, api_token: Any) -> dict[str, Api]:
    app.config["ALLOW_COMBINED_ROLES"] = True  # a very small office, so that "both" may exist
    client = app.test_client()
    return {role: Api(client, api_token(*roles)) for role, roles in {
        "officer": ("archivist",), "commission": ("commission",), "approver": ("approver",),
        "both": ("archivist", "approver"), "secretary": ("secretary",)}.items()}


def test_the_whole_flow_and_every_refusal(app: Flask, people: dict[str, Api], tmp_path: Path, login_as: Any) -> None:
    officer, commission, approver = people["officer"], people["commission"], people["approver"]
    for index in ("12-4-17", "12-4-2", "12-4-7", "12-4-8"):
        file_doc(app, tmp_path, 2023, index, index)
    file_doc(app, tmp_path, 2025, "12-4-14", "five years")
    close(app, 2023)
    close(app, 2025)
    with app.app_context(), session_scope(app) as session:
        case_8 = session.query(Case).filter_by(index="12-4-8", year=2023).one()

    # Draft: permanent, held, not yet due and unknown cases are refused with the reason.
    def draft(cases: list[dict[str, Any]], number: str = "1") -> Any:
        return officer.post("/acts", {"year": TODAY.year, "number": number, "date": TODAY.isoformat(), "cases": cases})

    assert error(draft([{"index": "12-4-7", "year": 2023}]), 409) == "permanent"
    assert error(draft([{"index": "12-4-14", "year": 2025}]), 409) == "not_due"
    assert error(draft([{"index": "12-4-99", "year": 2023}]), 404) == "no_case"
    assert error(draft([]), 400) == "no_cases"
    assert error(officer.post("/acts", ["not", "an", "object"]), 400) == "bad_json"
    assert error(officer.post("/acts", {"year": 2020, "number": "1", "date": TODAY.isoformat(),
                                        "cases": [{"index": "12-4-17", "year": 2023}]}), 400) == "bad_year"
    head = login_as("head")  # a hold is placed by a person on the case's page
    assert head.post(f"/disposal/cases/{case_8.id}/hold", data={"reason": "Аудит"}).status_code == 302
    assert error(draft([{"index": "12-4-8", "year": 2023}]), 409) == "held"
    assert error(people["secretary"].post("/acts", {"number": "1", "cases": [{"index": "12-4-17", "year": 2023}]}),
                 403) == "forbidden"

    created = people["both"].post("/acts", {"year": TODAY.year, "number": "1/А", "date": TODAY.isoformat(),
                                            "cases": [{"index": "12-4-17", "year": 2023}, {"index": "12-4-2", "year": 2023}]})
    assert created.status_code == 201, created.get_data(as_text=True)
    act = created.get_json()
    assert act["status"] == "draft" and created.headers["Location"] == f"/api/v1/acts/{act['id']}"
    assert [(c["index"], c["review"]) for c in act["cases"]] == [("12-4-2", True), ("12-4-17", False)]
    url = f"/acts/{act['id']}"

    # Approval before agreement; agreement with missing, bad or misplaced decisions.
    assert error(approver.post(f"{url}/approval"), 409) == "not_agreed"
    agreement = {"protocol_number": "4", "protocol_date": TODAY.isoformat()}
    assert error(commission.post(f"{url}/agreement", agreement), 400) == "decision_missing"
    assert error(commission.post(f"{url}/agreement", {**agreement, "decisions": [
        {"index": "12-4-2", "year": 2023, "decision": "burn"}]}), 400) == "bad_decision"
    assert error(commission.post(f"{url}/agreement", {**agreement, "decisions": [
        {"index": "12-4-2", "year": 2023, "decision": "destroy"},
        {"index": "12-4-17", "year": 2023, "decision": "destroy"}]}), 400) == "no_review"
    assert error(commission.post(f"{url}/agreement", {**agreement, "protocol_number": "", "decisions": [
        {"index": "12-4-2", "year": 2023, "decision": "destroy"}]}), 400) == "bad_protocol"
    assert error(officer.post(f"{url}/agreement", agreement), 403) == "forbidden"
    agreed = commission.post(f"{url}/agreement", {**agreement, "decisions": [
        {"index": "12-4-2", "year": 2023, "decision": "destroy"}]})
    assert agreed.status_code == 200 and agreed.get_json()["status"] == "agreed"
    assert agreed.get_json()["protocol_number"] == "4"
    assert error(commission.post(f"{url}/agreement", agreement), 409) == "not_draft"

    # The drafter never approves; nor does anyone while 2023's permanent case is outside an approved inventory.
    assert error(people["both"].post(f"{url}/approval"), 403) == "self_approval"
    refused = approver.post(f"{url}/approval")
    assert error(refused, 409) == "inventory_missing" and refused.get_json()["error"]["cases"]
    assert error(officer.post(f"{url}/execution"), 409) == "not_approved"

    # The inventory of 2023's permanent cases: drafted, agreed, approved, then handed over.
    inventory = officer.post("/inventories", {"number": "1-П", "date": TODAY.isoformat(),
                                              "cases": [{"index": "12-4-7", "year": 2023}]})
    assert inventory.status_code == 201, inventory.get_data(as_text=True)
    inv = inventory.get_json()
    assert (inv["number"], inv["status"]) == ("1-П", "draft")
    inv_url = f"/inventories/{inv['id']}"
    assert error(officer.post("/inventories", {"number": "2-П", "cases": [{"index": "12-4-17", "year": 2023}]}),
                 409) == "not_permanent"
    assert error(approver.post(f"{inv_url}/approval"), 409) == "not_agreed"
    assert error(officer.post(f"{inv_url}/transfer"), 409) == "not_approved"
    assert commission.post(f"{inv_url}/agreement", {"protocol_number": "3", "protocol_date": TODAY.isoformat()}
                           ).status_code == 200
    assert approver.post(f"{inv_url}/approval").get_json()["status"] == "approved"

    approved = approver.post(f"{url}/approval")
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    requested = officer.post(f"{url}/execution", {})
    assert requested.status_code == 202, requested.get_data(as_text=True)
    assert requested.get_json()["destruction_method"] == "deleted" and not requested.get_json()["already_done"]
    body = executed_act(lambda: officer.get(url).get_json())
    assert body["execution"]["state"] == "done" and body["destruction_method"] == "deleted"
    assert (body["execution"]["cases_done"], body["execution"]["cases"], body["execution"]["documents"]) == (2, 2, 2)
    assert all(c["executed_at"] for c in body["cases"])
    again = officer.post(f"{url}/execution")
    assert again.status_code == 200 and again.get_json()["already_done"] and again.get_json()["status"] == "executed"

    # Closed stays closed: the destroyed case and, once handed over, the transferred one.
    secretary = people["secretary"]
    token = secretary.headers["Authorization"].split()[1]
    assert error(api_file(secretary.client, token, tmp_path, "12-4-17", 2023), 409) == "case_closed"
    assert officer.post(f"{inv_url}/transfer").get_json()["status"] == "transferred"
    assert error(api_file(secretary.client, token, tmp_path, "12-4-7", 2023), 409) == "case_closed"

    # The forms, in both languages and both formats; a Cyrillic number in the file name.
    from openpyxl import load_workbook
    from pypdf import PdfReader

    for lang in ("ru", "ky"):
        pdf = officer.get(f"{url}/form?lang={lang}&format=pdf")
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        assert "12-4-17" in " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.get_data())).pages)
        xlsx = officer.get(f"{url}/form?lang={lang}&format=xlsx")
        cells = [c for row in load_workbook(io.BytesIO(xlsx.get_data())).active.iter_rows(values_only=True) for c in row]
        assert "12-4-17" in cells
        inv_pdf = officer.get(f"{inv_url}/form?lang={lang}&format=pdf")
        assert inv_pdf.status_code == 200
        assert "filename*=UTF-8''inventory-" in inv_pdf.headers["Content-Disposition"]
    assert error(officer.get(f"{url}/form?lang=en&format=pdf"), 400) == "bad_format"
    assert error(officer.get("/acts/999999"), 404) == "no_act"
    assert error(officer.get("/inventories/999999"), 404) == "no_inventory"



def test_the_drafter_never_agrees_their_own_paper(app: Flask, people: dict[str, Api], api_token: Any,
                                                  tmp_path: Path) -> None:
    """Even where the office lets one person hold both sides, nobody agrees what they drafted."""
    drafter = Api(app.test_client(), api_token("archivist", "commission"))
    for index in ("12-4-17", "12-4-7"):
        file_doc(app, tmp_path, 2023, index, index)
    close(app, 2023)
    protocol = {"protocol_number": "1", "protocol_date": TODAY.isoformat()}
    act = drafter.post("/acts", {"number": "9", "date": TODAY.isoformat(), "cases": [{"index": "12-4-17", "year": 2023}]})
    assert act.status_code == 201, act.get_data(as_text=True)
    assert error(drafter.post(f"/acts/{act.get_json()['id']}/agreement", protocol), 403) == "self_agreement"
    inventory = drafter.post("/inventories", {"number": "9-П", "cases": [{"index": "12-4-7", "year": 2023}]})
    assert inventory.status_code == 201, inventory.get_data(as_text=True)
    inv_url = f"/inventories/{inventory.get_json()['id']}"
    assert error(drafter.post(f"{inv_url}/agreement", protocol), 403) == "self_agreement"
    # Someone else may, and the act's agreement is recorded with that person.
    agreed = people["commission"].post(f"/acts/{act.get_json()['id']}/agreement", protocol)
    assert agreed.status_code == 200 and agreed.get_json()["agreed_by"] != act.get_json()["drafted_by"]
