"""``flask --app app index ...``: keep the search index in step with the catalogue.

``sync`` applies waiting index tasks (what a crash between a commit and the index left behind),
``reindex`` rebuilds the index from the catalogue, ``check`` reports any difference and exits 1 on drift.
"""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from records import jobs
from records.capture import retext
from records.cli.worker import status_lines
from records.i18n import _
from records.search import indexing

index_cli = AppGroup("index", help="The search index: sync, rebuild, check against the catalogue.")

_SHOWN_IDS = 20


@index_cli.command("sync")
def index_sync() -> None:
    """Apply waiting index changes now."""
    applied = indexing.sync(current_app._get_current_object())
    click.echo(f"Applied {applied} index change(s).")


@index_cli.command("reindex")
@click.option("--batch", default=200, show_default=True, help="Documents read and indexed at a time.")
def index_reindex(batch: int) -> None:
    """Rebuild the search index from the catalogue."""
    app = current_app._get_current_object()
    progress = jobs.Progress(_("Indexing documents"), indexing.live_count(app), app=app, kind="reindex",
                             source=app.config["INDEX_URL"])
    try:
        done = indexing.reindex(app, batch=batch, progress=lambda n: progress.advance(n=n))
    except KeyboardInterrupt:
        progress.finish(interrupted=True)
        raise
    progress.finish()
    click.echo(f"Indexed {done} document(s).")


def _ids(ids: list[int]) -> str:
    shown = ", ".join(map(str, ids[:_SHOWN_IDS]))
    return shown + (f" ... (+{len(ids) - _SHOWN_IDS})" if len(ids) > _SHOWN_IDS else "")


@index_cli.command("check")
def index_check() -> None:
    """Compare the index with the catalogue; exit status 1 when they differ."""
    app = current_app._get_current_object()
    drift = indexing.check(app)
    # Re-reading and re-indexing after an upgrade is no drift: it is shown, and it finishes by itself.
    for line in status_lines(retext.status(app)):
        click.echo(line)
    if drift.clean:
        click.echo("The search index matches the catalogue.")
        return
    if drift.missing:
        click.echo(f"Missing from the index ({len(drift.missing)}): {_ids(drift.missing)}")
    if drift.extra:
        click.echo(f"In the index but not live in the catalogue ({len(drift.extra)}): {_ids(drift.extra)}")
    click.echo("Repair with: flask --app app index reindex")
    raise SystemExit(1)


# The command groups this module adds to ``flask``.
GROUPS = (index_cli,)
