"""``flask text ...`` and ``flask worker run``: text extraction outside the web process."""
from __future__ import annotations

import threading

import click
from flask import current_app
from flask.cli import AppGroup

from records import worker

text_cli = AppGroup("text", help="Extracted text and OCR.")


@text_cli.command("process")
def text_process() -> None:
    """Extract the text of every pending file now (OCR for scans) and update the index."""
    n = worker.run_once(current_app._get_current_object())
    click.echo(f"Processed {n} files.")


@text_cli.command("retry")
def text_retry() -> None:
    """Send failed extractions back to pending (after installing tesseract, say) and process them."""
    app = current_app._get_current_object()
    queued = worker.retry_failed(app)
    n = worker.run_once(app)
    click.echo(f"Retried {queued} failed files; processed {n}.")


worker_cli = AppGroup("worker", help="Background work for installs that run it apart from the web servers.")


@worker_cli.command("run")
@click.option("--interval", default=5.0, show_default=True,
              help="Seconds between rounds when idle (on PostgreSQL a commit anywhere wakes it at once).")
def worker_run(interval: float) -> None:
    """Extract text and apply index changes in a loop (for SANDYK_WORKER=off on the web servers)."""
    app = current_app._get_current_object()
    wake, stop = threading.Event(), threading.Event()
    worker.start_listener(app, wake, stop)
    click.echo("Worker running; stop with Ctrl-C.")
    try:
        while True:
            worker.run_once(app)
            wake.wait(interval)
            wake.clear()
    except KeyboardInterrupt:
        click.echo("Worker stopped.")
    finally:
        stop.set()
