"""``flask text ...`` and ``flask worker run``: text extraction outside the web process."""
from __future__ import annotations

import threading

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from records import jobs, worker
from records.capture import retext
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


@text_cli.command("status")
def text_status() -> None:
    """How far documents already filed are brought to today's text extraction and analysis; exit
    status 1 while work remains."""
    report = retext.status(current_app._get_current_object())
    for line in status_lines(report):
        click.echo(line)
    raise SystemExit(0 if report.done else 1)


def status_lines(report: retext.Status) -> list[str]:
    total = report.current + report.stale
    analysis = "not recorded yet" if report.index_analysis is None else str(report.index_analysis)
    return [
        f"Text extraction version {report.extraction_version}: {report.current} of {total} file versions "
        f"up to date, {report.stale} waiting to be read again in the background.",
        f"Text analysis version {report.analysis_version}; the search index was built with {analysis}; "
        f"{report.index_pending} index change(s) waiting.",
    ]


worker_cli = AppGroup("worker", help="Background work for installs that run it apart from the web servers.")


@worker_cli.command("run")
@click.option("--interval", default=5.0, show_default=True,
              help="Seconds between rounds when idle (on PostgreSQL a commit anywhere wakes it at once).")
def worker_run(interval: float) -> None:
    """Execute requested destruction acts, extract text and apply index changes in a loop (for
    SANDYK_WORKER=off on the web servers)."""
    app = current_app._get_current_object()
    wake, stop = threading.Event(), threading.Event()
    worker.start_listener(app, wake, stop)
    click.echo("Worker running; stop with Ctrl-C.")
    try:
        while True:
            worker.run_round(app)
            wake.wait(interval)
            wake.clear()
    except KeyboardInterrupt:
        click.echo("Worker stopped.")
    finally:
        stop.set()


# The command groups this module adds to ``flask``.
GROUPS = (text_cli, worker_cli)
