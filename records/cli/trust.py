"""``flask --app app ...`` commands that prove and protect what is kept: ``audit verify|export``,
``storage verify|gc`` and ``backup create|restore``. Each exits with status 1 when it finds a problem,
so schedulers and monitoring can act on it."""
from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from records import audit, audit_log, backup, fixity
from records.cli.common import fail
from records.db import session_scope
from records.errors import UserError

audit_cli = AppGroup("audit", help="The tamper-evident audit trail.")
storage_cli = AppGroup("storage", help="Fixity of the stored files.")
backup_cli = AppGroup("backup", help="Backups of the database and the stored files.")

PROBLEM_TEXT = {
    "altered": "the event's content does not match its hash (edited)",
    "broken_link": "the event does not link to the one before it (an event was deleted or inserted before it)",
    "truncated": "the chain ends before the last recorded head (the newest events were deleted)",
    "count": "the number of events differs from the recorded count (events deleted and the chain rewritten)",
    "no_checkpoint": "the chain head checkpoint is missing",
    "file_truncated": "the chain ends before the newest checkpoint in the data folder's file (events were deleted, "
                      "or the table wiped)",
    "file_mismatch": "the event the data folder's checkpoint file names differs or is gone (the database was "
                     "replaced or the chain rewritten)",
    "file_count": "the number of events up to the data folder's newest checkpoint differs from the file",
}




@audit_cli.command("verify")
def audit_verify() -> None:
    """Check the whole chain of audit events; print where it breaks and exit 1 if it does."""
    with session_scope() as session:
        problems = list(audit.verify_chain(session))
        status = audit.chain_status(session)
    in_file = status["file"]
    if in_file is None:
        file_note = f"no checkpoint file at {status['file_path']} yet"
    else:
        file_note = f"the checkpoint file names event #{in_file['id']} ({in_file.get('count', 0)} events)"
    with session_scope() as session:
        # Kept beside the chain, not in it: appending to a broken chain could paper over the break.
        audit.note_verification(session, events=status["count"], problems=len(problems))
    if not problems:
        click.echo(f"Audit chain verified: {status['count']} events, unbroken, ending at the recorded head; "
                   f"{file_note}.")
        return
    click.echo(f"Audit chain is BROKEN: {len(problems)} problem(s).", err=True)
    for problem in problems:
        click.echo(f"  event #{problem.event_id}: {PROBLEM_TEXT.get(problem.problem, problem.problem)} "
                   f"[{problem.problem}; expected {problem.expected[:16]}, found {problem.found[:16]}]", err=True)
    sys.exit(1)


@audit_cli.command("export")
@click.option("--since", default="", help="First day (YYYY-MM-DD, UTC).")
@click.option("--until", default="", help="Last day (YYYY-MM-DD, UTC).")
@click.option("--person", default="", help="Only events of this user name.")
@click.option("--action", default="", help="Only this action, or an area such as 'document:'.")
@click.option("--object", "obj", default="", help="Only events on this object: 'document' or 'document:12'.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of standard output.")
def audit_export(since: str, until: str, person: str, action: str, obj: str, output: Path | None) -> None:
    """Export audit events as CSV."""
    try:
        flt = audit_log.AuditFilter.from_args({"since": since, "until": until, "person": person, "action": action,
                                               "object": obj})
        with session_scope() as session:
            audit_log.note_export(session, flt, actor="cli", via="cli")
        with session_scope() as session:
            chunks = audit_log.export_csv(session, flt, bom=output is not None)
            if output is None:
                for chunk in chunks:
                    click.echo(chunk, nl=False)
            else:
                with output.open("w", encoding="utf-8", newline="") as fh:
                    for chunk in chunks:
                        fh.write(chunk)
                click.echo(f"Wrote {output}.", err=True)
    except UserError as exc:
        fail(exc)


@storage_cli.command("verify")
@click.option("--restart", is_flag=True, help="Start a new run instead of resuming an interrupted one.")
def storage_verify(restart: bool) -> None:
    """Re-hash every stored file; report missing, corrupted and orphaned ones (exit 1 if any)."""
    app = current_app._get_current_object()
    started, resumed = fixity.start_run(app, restart=restart)
    total = fixity.pending_count(app, started)
    if resumed:
        click.echo(f"Resuming the run started {started.isoformat(timespec='seconds')}; {total} files left.")
    with click.progressbar(length=total, label="Verifying files", file=sys.stderr) as bar:
        report = fixity.verify_storage(app, started=started, progress=bar.update)
    click.echo(f"Checked {report.checked} files.")
    for label, items in (("MISSING", report.missing), ("CORRUPTED", report.corrupted),
                         ("ORPHANED", report.orphaned)):
        for sha256 in items:
            click.echo(f"  {label} {sha256}")
    if report.orphaned and not (report.missing or report.corrupted):
        click.echo("Orphans are files no document refers to; `storage gc` removes them after the grace period.")
    if not report.clean:
        click.echo(f"Problems: {len(report.missing)} missing, {len(report.corrupted)} corrupted, "
                   f"{len(report.orphaned)} orphaned.", err=True)
        sys.exit(1)
    click.echo("All files are intact.")


@storage_cli.command("gc")
@click.option("--older-than", "hours", type=float, default=24.0, show_default=True,
              help="Grace period in hours: younger orphans and temporary files may belong to an upload in progress.")
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
def storage_gc(hours: float, dry_run: bool) -> None:
    """Delete orphaned files and stale temporary files older than the grace period."""
    if hours < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--older-than")
    report = fixity.collect_garbage(current_app._get_current_object(), older_than=timedelta(hours=hours),
                                    dry_run=dry_run)
    verb = "Would delete" if dry_run else "Deleted"
    for sha256 in report.orphans_deleted:
        click.echo(f"  {verb.lower()} orphan {sha256}")
    click.echo(f"{verb} {len(report.orphans_deleted)} orphaned files and {report.temp_files_deleted} temporary files.")


@backup_cli.command("create")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
def backup_create(dest: Path) -> None:
    """Write a consistent backup of the running system into DEST (a new or empty folder)."""
    app = current_app._get_current_object()
    try:
        result = backup.create_backup(app, dest.resolve())
    except UserError as exc:
        fail(exc)
    click.echo(f"Backup written to {result.path}: {result.files} files, {result.bytes} bytes "
               f"({date.today().isoformat()}).")
    if result.corrupted:
        click.echo(f"WARNING: {len(result.corrupted)} stored files no longer match their hash and were copied as "
                   "they are: " + ", ".join(result.corrupted), err=True)
        sys.exit(1)


@backup_cli.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
def backup_restore(src: Path) -> None:
    """Restore the backup in SRC into an empty data folder, then rebuild the search index."""
    app = current_app._get_current_object()
    try:
        outcome = backup.restore_backup(app, src.resolve())
    except UserError as exc:
        fail(exc)
    click.echo(f"Restored {outcome['blobs']} files; indexed {outcome['indexed']} documents.")
    if outcome["chain_problems"]:
        click.echo("WARNING: the restored audit chain does not verify; run `audit verify` for details.", err=True)
        sys.exit(1)
    click.echo("The restored audit chain verifies.")


# The command groups this module adds to ``flask``.
GROUPS = (audit_cli, storage_cli, backup_cli)
