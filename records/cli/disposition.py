"""``flask --app app cases ...`` and ``acts ...``: year-end closing, the expiry list, and executing an
approved destruction act (resumable: run it again after an interruption)."""
from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from records import accounts, disposition
from records.cli.common import fail
from records.db import session_scope
from records.disposition import exports, reports
from records.errors import UserError
from records.models import ActStatus
from records.permissions import Perm, permissions_for

cases_cli = AppGroup("cases", help="Closing years and the yearly expiry list.")
acts_cli = AppGroup("acts", help="Destruction acts.")
inventories_cli = AppGroup("inventories", help="Inventories of permanent cases and their hand-over packages.")




def _actor(session: object, name: str, perm: Perm) -> object:
    user = accounts.get_user(session, name)  # type: ignore[arg-type]
    if perm not in permissions_for(user.roles):
        raise click.ClickException(f"{name} may not do this (needs {perm.value}).")
    return user


@cases_cli.command("close-year")
@click.argument("year", type=int)
@click.option("--by", "by", required=True, help="User name of the records officer closing the year.")
@click.option("--yes", is_flag=True, help="Close even when the checklist finds problems, without asking.")
def close_year(year: int, by: str, yes: bool) -> None:
    """Close all open cases of YEAR except those carried over, after showing the checklist; then draft
    next year's nomenclature from this one if it does not exist."""
    try:
        disposition.closing.check_closable_year(year)
        with session_scope() as session:
            checklist = disposition.closing.closing_checklist(session, year)
            click.echo(f"Open cases to close: {len(checklist.to_close)}")
            click.echo(f"Carried over (stay open): {len(checklist.carried_over)}")
            for title, found in (("Cases with no documents", checklist.empty),
                                 ("Paper cases without a sheet count", checklist.paper_without_sheets)):
                click.echo(f"{title}: {len(found)}")
                for case in found:
                    click.echo(f"    {case.index} / {case.year} (volume {case.volume})")
            if not checklist.to_close:
                click.echo("Nothing to close.")
                return
            if not yes:
                question = "Close the year anyway?" if checklist.problems else f"Close {len(checklist.to_close)} case(s)?"
                if not sys.stdin.isatty() or not click.confirm(question):
                    raise click.ClickException("Nothing was closed (use --yes to confirm).")
            actor = _actor(session, by, Perm.MANAGE_CASES)
            result = disposition.closing.close_year(session, year, actor=actor, acknowledged=True)
    except UserError as exc:
        fail(exc)
    click.echo(f"Closed {result.closed} case(s) of {year}.")
    if result.next_nomenclature:
        click.echo(f"Drafted the nomenclature for {result.next_nomenclature} for approval.")


@cases_cli.command("expiry")
@click.argument("year", type=int, required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text")
@click.option("--lang", type=click.Choice(list(reports.LANGUAGES)), default="ru")
def expiry(year: int | None, fmt: str, lang: str) -> None:
    """Print the expiry list of YEAR (default: this year)."""
    try:
        with session_scope() as session:
            report = disposition.expiry.expiry_list(session, year or date.today().year)
    except UserError as exc:
        fail(exc)
    if fmt == "csv":
        click.echo(reports.expiry_csv(report, lang, machine=True), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(disposition.expiry.expiry_json(report, lang), ensure_ascii=False, indent=2))
    else:
        for name, rows in report.parts():
            click.echo(f"{name}: {len(rows)}")
            for r in rows:
                click.echo(f"    {r.index:10} {r.year}  due {r.due_year}  {r.documents:5} doc(s)  {r.title(lang)}")


@acts_cli.command("list")
def list_acts() -> None:
    """List destruction acts."""
    with session_scope() as session:
        for act in disposition.acts.list_acts(session):
            click.echo(f"{act.id:5}  No. {act.number:10} {act.act_date}  {act.status:10} {len(act.rows)} case(s)")


@acts_cli.command("execute")
@click.argument("act_id", type=int)
@click.option("--by", "by", required=True, help="User name of the records officer executing the act.")
@click.option("--method", type=click.Choice(["shredding", "recycling"]), default=None,
              help="How the paper cases were destroyed (needed when the act lists paper cases).")
@click.option("--on", "destroyed_on", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The date the paper cases were destroyed (YYYY-MM-DD).")
def execute(act_id: int, by: str, method: str | None, destroyed_on: Any) -> None:
    """Execute an approved act; run it again to finish an interrupted execution."""
    try:
        with session_scope() as session:
            actor_id = _actor(session, by, Perm.EXECUTE_ACTS).id  # type: ignore[attr-defined]
        result = disposition.execution.execute_act(current_app._get_current_object(), act_id, actor_id=actor_id,
                                                   method=method,
                                                   destroyed_on=destroyed_on.date() if destroyed_on else None)
    except UserError as exc:
        fail(exc)
    if result.already_done:
        click.echo(f"Act {act_id} was already executed; nothing left to do.")
    else:
        click.echo(f"Act {act_id} {ActStatus.EXECUTED}: {result.cases} case(s), {result.documents} document(s), "
                   f"{result.blobs_deleted} file(s) deleted, {result.blobs_shared} kept (shared with kept documents).")


@inventories_cli.command("package")
@click.argument("inventory_id", type=int)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder to write the zip to (default: <DATA_DIR>/packages).")
def package(inventory_id: int, out_dir: str | None) -> None:
    """Write the inventory's hand-over package (a validated BagIt bag, zipped) for the university archive."""
    from pathlib import Path

    from records.blobs import get_store
    from records.disposition import handover

    app = current_app._get_current_object()
    target = Path(out_dir) if out_dir else handover.packages_dir(app.config)
    try:
        with session_scope(app) as session:
            inventory = disposition.inventories.get_inventory(session, inventory_id)
            written = exports.package(session, get_store(app), inventory, target, actor="cli")
    except UserError as exc:
        fail(exc)
        return
    click.echo(f"{written.path}: {written.cases} case(s), {written.files} file(s), {written.payload_bytes} bytes; "
               "bag valid.")


# The command groups this module adds to ``flask``.
GROUPS = (cases_cli, acts_cli, inventories_cli)
