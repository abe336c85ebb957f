"""``flask text ...`` and ``flask worker run``: text extraction outside the web process."""
from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from records import jobs, worker
from records.i18n import _

text_cli = AppGroup("text", help="Extracted text and OCR.")


def _process(app: Flask) -> int:
    """Read every pending file, showing progress (and keeping it for the status page)."""
    pending = worker.pending_count(app)
    progress = jobs.Progress(_("Reading the text of scans"), pending, app=app if pending else None, kind="text")
    try:
        n = worker.run_once(app, on_file=progress.advance)
    except KeyboardInterrupt:
        progress.finish(interrupted=True)
        raise
    progress.finish()
    return n


@text_cli.command("process")
def text_process() -> None:
    """Extract the text of every pending file now (OCR for scans) and update the index."""
    n = _process(current_app._get_current_object())
    click.echo(f"Processed {n} files.")


@text_cli.command("retry")
def text_retry() -> None:
    """Send failed extractions back to pending (after installing tesseract, say) and process them."""
    app = current_app._get_current_object()
    queued = worker.retry_failed(app)
    n = _process(app)
    click.echo(f"Retried {queued} failed files; processed {n}.")


worker_cli = AppGroup("worker", help="Background work for installs that run it apart from the web servers.")


@worker_cli.command("run")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds when idle.")
def worker_run(interval: float) -> None:
    """Extract text and apply index changes in a loop (for SANDYK_WORKER=off on the web servers)."""
    app = current_app._get_current_object()
    click.echo("Worker running; stop with Ctrl-C.")
    try:
        while True:
            worker.run_once(app)
            time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("Worker stopped.")
