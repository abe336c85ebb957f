"""Every route and API endpoint x every role, anonymous, and a bad token.

``ACCESS`` names, for each endpoint, the roles allowed to use it. The test walks the app's URL map,
so a new route without its row here fails the suite. Allowed means: not refused (no 401/403, no
redirect to the login page) and no server error; refused means 403 for signed-in users (403 JSON
for API tokens), a 302 to the login page for anonymous visitors and a 401 JSON with the
``WWW-Authenticate`` challenge for API calls without a valid token. Ids in URLs point at nothing (999999):
permission is checked before any lookup, so a refused role never learns whether an object exists.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

ALL = frozenset({"admin", "secretary", "auditor", "archivist", "head", "commission", "approver"})
READERS = frozenset({"secretary", "auditor", "archivist", "head", "commission", "approver"})  # read files and search
REPORTS = frozenset({"auditor", "archivist", "head", "commission", "approver"})  # expiry lists, acts, inventories
VIEWERS = READERS | {"admin"}  # catalogue metadata
PUBLIC = "public"

ACCESS: dict[str, Any] = {
    # --- foundation ---
    "static": PUBLIC,
    "main.healthz": PUBLIC,
    "main.favicon": PUBLIC,
    "main.set_language": PUBLIC,
    "auth.login": PUBLIC,
    "main.home": ALL,
    "auth.logout": ALL,
    "auth.change_password": ALL,
    "nomenclature.show": VIEWERS,
    "nomenclature.export_csv": VIEWERS,
    "nomenclature.export_xlsx": VIEWERS,
    "nomenclature.form_pdf": VIEWERS,
    "nomenclature.create": {"archivist"},
    "nomenclature.import_table": {"archivist"},
    "nomenclature.approve": {"head"},
    "nomenclature.edit_item": {"archivist"},
    "cases.index": VIEWERS,
    "cases.show": VIEWERS,
    "admin.users": {"admin"},
    "admin.new_user": {"admin"},
    "admin.edit_user": {"admin"},
    "admin.revoke_tokens": {"admin"},
    "admin.organisation": {"admin"},
    "api.get_nomenclature": VIEWERS,
    # --- capture ---
    "api.post_document": {"secretary"},
    "api.get_document": VIEWERS,
    "api.get_document_file": READERS,
    "documents.new": {"secretary"},
    "documents.create": {"secretary"},
    "documents.show": VIEWERS,
    "documents.download": READERS,
    "documents.preview": READERS,
    "documents.page_image": READERS,
    "documents.status": VIEWERS,
    "documents.add_version": {"secretary"},
    "documents.edit": {"secretary"},
    "documents.move": {"secretary"},
    "documents.read_again": {"archivist"},
    "main.work": {"archivist"},
    # --- search ---
    "search.index": READERS,
    "api.search": READERS,
    # --- disposition ---
    "disposal.expiry": REPORTS,
    "disposal.expiry_file": REPORTS,
    "disposal.closing": {"archivist"},
    "disposal.close_year": {"archivist"},
    "disposal.case": REPORTS,
    "disposal.override": {"archivist"},
    "disposal.keeping": {"archivist"},
    "disposal.close_case": {"archivist"},
    "disposal.hold_case": {"archivist", "head"},
    "disposal.hold_document": {"archivist", "head"},
    "disposal.release_hold": {"archivist", "head"},
    "disposal.holds": REPORTS,
    "disposal.acts": REPORTS,
    "disposal.draft_act": {"archivist"},
    "disposal.act": REPORTS,
    "disposal.act_pdf": REPORTS,
    "disposal.act_xlsx": REPORTS,
    "disposal.approve_override": {"archivist", "head"},
    "disposal.reject_override": {"archivist", "head"},
    "disposal.new_volume": {"archivist"},
    "disposal.agree_act": {"commission"},
    "disposal.refuse_act": {"commission"},
    "disposal.approve_act": {"approver"},
    "disposal.reject_act": {"approver"},
    "disposal.execute_act": {"archivist"},
    "disposal.inventories": REPORTS,
    "disposal.draft_inventory": {"archivist"},
    "disposal.inventory": REPORTS,
    "disposal.agree_inventory": {"commission"},
    "disposal.approve_inventory": {"approver"},
    "disposal.reject_inventory": {"approver"},
    "disposal.transfer_inventory": {"archivist"},
    "disposal.inventory_file": REPORTS,
    "disposal.inventory_package": {"archivist"},
    "api.get_expiry_report": REPORTS,
    "api.post_act": {"archivist"},
    "api.get_act": REPORTS,
    "api.agree_act": {"commission"},
    "api.approve_act": {"approver"},
    "api.execute_act": {"archivist"},
    "api.act_form": REPORTS,
    "api.post_inventory": {"archivist"},
    "api.get_inventory": REPORTS,
    "api.agree_inventory": {"commission"},
    "api.approve_inventory": {"approver"},
    "api.transfer_inventory": {"archivist"},
    "api.inventory_form": REPORTS,
    # --- trust ---
    "audit.events": {"admin", "auditor"},
    "audit.export_csv": {"admin", "auditor"},
    "audit.inspection": {"admin", "auditor"},
}

URL_ARG_VALUES = {"year": 2031, "code": "ru", "filename": "sandyk.css", "fmt": "csv"}


def _url(rule: Any) -> str:
    args = {}
    for name in rule.arguments:
        if name in URL_ARG_VALUES:
            args[name] = URL_ARG_VALUES[name]
        elif "int" in type(rule._converters.get(name)).__name__.lower():
            args[name] = 999999
        else:
            args[name] = "x"
    return rule.build(args, append_unknown=False)[1]


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    result = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            result.append((rule.endpoint, method, _url(rule)))
    return sorted(result)


def test_every_route_has_a_row(app: Flask) -> None:
    missing = sorted({endpoint for endpoint, _m, _u in _routes(app)} - set(ACCESS))
    assert not missing, f"routes without a row in ACCESS: {missing}"
    stale = sorted(set(ACCESS) - {endpoint for endpoint, _m, _u in _routes(app)})
    assert not stale, f"rows for routes that no longer exist: {stale}"


def _call(client: Any, method: str, url: str, headers: dict[str, str] | None = None) -> Any:
    resp = client.open(url, method=method, headers=headers or {}, data={} if method != "GET" else None)
    resp.get_data()
    resp.close()
    return resp


ROLES = sorted(ALL)


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(app: Flask, login_as: Any, api_token: Any, role: str) -> None:
    client = login_as(role)
    token = api_token(role)
    failures = []
    for endpoint, method, url in _routes(app):
        allowed = ACCESS[endpoint]
        if endpoint in {"auth.logout"}:
            continue  # would end this client's session for the rest of the walk
        is_api = url.startswith("/api/")
        resp = _call(app.test_client() if is_api else client, method, url,
                     {"Authorization": f"Bearer {token}"} if is_api else None)
        status = resp.status_code
        if allowed == PUBLIC or role in allowed:
            refused = status in (401, 403) or (status == 302 and "/login" in resp.headers.get("Location", ""))
            if refused or status >= 500:
                failures.append(f"{role} {method} {url}: {status}, expected allowed")
        elif status != 403 or (is_api and resp.get_json()["error"]["code"] != "forbidden"):
            failures.append(f"{role} {method} {url}: {status}, expected 403")
    assert not failures, "\n".join(failures)


def test_anonymous_and_bad_token(app: Flask) -> None:
    client = app.test_client()
    failures = []
    for endpoint, method, url in _routes(app):
        allowed = ACCESS[endpoint]
        if allowed == PUBLIC:
            continue
        if url.startswith("/api/"):
            for headers in ({}, {"Authorization": "Bearer sdk_not_a_token"}):
                resp = _call(client, method, url, headers)
                if (resp.status_code != 401 or resp.get_json()["error"]["code"] != "unauthorized"
                        or resp.headers.get("WWW-Authenticate") != 'Bearer realm="sandyk"'):
                    failures.append(f"anonymous {method} {url}: {resp.status_code}, expected 401 JSON")
        else:
            resp = _call(client, method, url)
            location = resp.headers.get("Location", "")
            if resp.status_code != 302 or urlsplit(location).path != "/login":
                failures.append(f"anonymous {method} {url}: {resp.status_code} {location}, "
                                "expected 302 to the login page")
    assert not failures, "\n".join(failures)
