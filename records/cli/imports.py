"""``flask import ...``: bringing an existing archive in, from a folder tree or from a manifest CSV.

Safe to stop and run again: each file is committed on its own and files already filed (same bytes)
are skipped. The exit status is 1 when any file was refused, 130 when interrupted.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from records import accounts, jobs
from records.capture import bulk
from records.db import session_scope
from records.errors import UserError
from records.i18n import _

import_cli = AppGroup("import", help="File an existing archive: a <year>/<index>/ folder tree or a manifest CSV.")

_actor_option = click.option("--actor", default=None, metavar="NAME",
                             help="The user the documents are filed by (default: the first administrator).")
_dry_run_option = click.option("--dry-run", is_flag=True,
                               help="Check every file and report what would happen; file nothing.")
_draft_years_option = click.option("--draft-years", is_flag=True,
                                   help="File into years without a nomenclature, drafting it from the nearest "
                                        "year (otherwise such files are refused).")


@import_cli.command("folder")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_actor_option
@_dry_run_option
@_draft_years_option
def import_folder(path: Path, actor: str | None, dry_run: bool, draft_years: bool) -> None:
    """File every file of a tree PATH/<year>/<index>/... as a document of type "other" titled by its file name."""
    try:
        items, ignored = bulk.items_from_folder(path)
    except UserError as exc:
        raise click.ClickException(str(exc.message)) from None
    _run(items, ignored=ignored, actor=actor, dry_run=dry_run, draft_years=draft_years, source=str(path),
         mode="folder")


@import_cli.command("manifest")
@click.argument("csv_path", metavar="CSV", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_actor_option
@_dry_run_option
@_draft_years_option
def import_manifest(csv_path: Path, actor: str | None, dry_run: bool, draft_years: bool) -> None:
    """File the files a manifest CSV lists (columns path,index,year,type,title,date,number; paths relative
    to the CSV's folder)."""
    try:
        items = bulk.items_from_manifest(csv_path)
    except UserError as exc:
        raise click.ClickException(str(exc.message)) from None
    _run(items, ignored=0, actor=actor, dry_run=dry_run, draft_years=draft_years, source=str(csv_path),
         mode="manifest")


def _actor_id(app: Flask, name: str | None) -> int:
    try:
        with session_scope(app) as session:
            user = accounts.get_user(session, name) if name else bulk.first_admin(session)
            if not user.active:
                raise click.ClickException(_("The user %(name)s is switched off.", name=user.username))
            return user.id
    except UserError as exc:
        raise click.ClickException(str(exc.message)) from None


def _run(items: list[bulk.ImportItem], *, ignored: int, actor: str | None, dry_run: bool, draft_years: bool,
         source: str, mode: str) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    actor_id = _actor_id(app, actor)
    report = bulk.ImportReport(ignored=ignored)
    label = _("Checking") if dry_run else _("Filing")
    progress = jobs.Progress(label, len(items), app=None if dry_run else app, kind="import", source=source)
    bulk.import_items(app, items, actor_id=actor_id, draft_years=draft_years, dry_run=dry_run,
                      on_result=lambda result: progress.advance(result.outcome), report=report)
    progress.finish(interrupted=report.interrupted)
    failures: list[tuple[bulk.ItemResult, str]] = []
    if not dry_run and not report.interrupted:
        pending = bulk.pending_text(app)
        reading = jobs.Progress(_("Reading the text of scans"), pending, app=app if pending else None, kind="text",
                                source=source)
        try:
            bulk.finish_text(app, on_file=reading.advance)
        except KeyboardInterrupt:
            report.interrupted = True
        reading.finish(interrupted=report.interrupted)
        failures = bulk.text_failures(app, report)
    if not dry_run:
        bulk.record_run(app, report, actor_id=actor_id, source=source, mode=mode)
    _summary(app, report, failures, dry_run=dry_run)
    if report.interrupted:
        sys.exit(130)
    if report.refused:
        sys.exit(1)


def _summary(app: Flask, report: bulk.ImportReport, failures: list[tuple[bulk.ItemResult, str]], *,
             dry_run: bool) -> None:
    if dry_run:
        click.echo(_("Would file: %(n)s", n=len(report.filed)))
    else:
        click.echo(_("Filed: %(n)s", n=len(report.filed)))
    click.echo(_("Skipped as already filed: %(n)s", n=len(report.already_filed)))
    if report.ignored:
        click.echo(_("Ignored system files: %(n)s", n=report.ignored))
    click.echo(_("Refused: %(n)s", n=len(report.refused)))
    for result in report.refused:
        click.echo(f"  {result.item.label}: {result.message}")
    if not dry_run and not report.interrupted:
        click.echo(_("Text could not be read: %(n)s", n=len(failures)))
        for result, error in failures:
            click.echo(f"  {result.item.label}: {error}")
        if failures:
            click.echo(_("After fixing the cause (a missing OCR language, say), run: flask --app app text retry"))
    if report.interrupted:
        click.echo(_("Interrupted. Run the same command again to continue: files already filed are skipped."))
    elif not dry_run:
        pending = bulk.pending_text(app)
        if pending:
            click.echo(_("Text still to be read: %(n)s files (another worker holds them).", n=pending))


# The command groups this module adds to ``flask``.
GROUPS = (import_cli,)
