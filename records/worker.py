"""Background work of the web process: executing the destruction acts whose execution was requested,
text extraction for scans, and applying index tasks.

On the embedded defaults the web process alone brings every document to a final text state: a
daemon thread wakes when something is filed (and every few seconds anyway), claims pending file
versions, runs OCR outside any transaction, and saves the result. Several files are read side by
side (one per OCR worker) and the pages of each go to the shared OCR pool, so every core is busy
whether the backlog is one long scan or many single pages. Claims are optimistic (compare-and-set on
the attempt counter), so several processes can run it at once.
"""
from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select, update

from records.blobs import get_store
from records.capture import documents, retext
from records.capture.intake import FileCheck
from records.capture.intake.ocr import default_workers
from records.db import get_database, session_scope
from records.disposition import execution
from records.models import Document, DocumentFile, DocumentState, TextStatus
from records.search import indexing

log = logging.getLogger(__name__)
_start_lock = threading.Lock()
MAX_ATTEMPTS = 3
IDLE_SECONDS = 5.0
def _listen(app: Flask, wake: threading.Event, stop: threading.Event) -> None:
    """Set ``wake`` whenever any process commits work, until ``stop`` is set (PostgreSQL LISTEN on a
    connection of its own). A lost connection is opened again; meanwhile the idle poll still runs."""
    import psycopg

    engine = get_database(app).engine
    channel = indexing.channel(engine)
    conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    while not stop.is_set():
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(f'LISTEN "{channel}"')
                wake.set()  # work may have been committed while nobody listened
                while not stop.is_set():
                    for _ in conn.notifies(timeout=1.0, stop_after=1):
                        wake.set()
        except psycopg.Error:
            log.warning("listening for work on PostgreSQL failed; retrying", exc_info=True)
            stop.wait(IDLE_SECONDS)


def start_listener(app: Flask, wake: threading.Event, stop: threading.Event) -> threading.Thread | None:
    """On PostgreSQL, a daemon thread that wakes this process's worker when any process commits work."""
    if get_database(app).dialect != "postgresql":
        return None
    thread = threading.Thread(target=_listen, args=(app, wake, stop), name="sandyk-listen", daemon=True)
    thread.start()
    return thread


def _claim(app: Flask, file_id: int, attempts: int) -> bool:
    with session_scope(app) as session:
        result = session.execute(
            update(DocumentFile)
            .where(DocumentFile.id == file_id, DocumentFile.text_status == TextStatus.PENDING,
                   DocumentFile.text_attempts == attempts)
            .values(text_attempts=attempts + 1)
        )
        return result.rowcount == 1


def _local_copy(app: Flask, sha256: str, tmp_dir: Path) -> tuple[Path, bool]:
    store = get_store(app)
    local = store.local_path(sha256)
    if local is not None:
        return local, False
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix=".tmp-extract-")
    with store.open(sha256) as src, open(fd, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    return Path(name), True


DROPPED = "dropped"  # the document was destroyed (or the version deleted) while its text was read


def extract_one(app: Flask, file_id: int) -> str | None:
    """Extract the text of one pending file version; returns the version's text status afterwards
    (``DROPPED`` when its document went meanwhile), None if there was nothing to do or another worker
    had it."""
    with session_scope(app) as session:
        version = session.get(DocumentFile, file_id)
        if version is None or version.text_status != TextStatus.PENDING:
            return None
        if version.document.state != DocumentState.ACTIVE:
            return None  # destroyed meanwhile: its text must not come back
        attempts, sha256 = version.text_attempts, version.sha256
        check = FileCheck(kind=version.kind, mime=version.mime, active_content=version.active_content,
                          is_image=version.kind in {"jpeg", "png", "tiff"}, needs_ocr=True)
    if not _claim(app, file_id, attempts):
        return None
    tmp_dir = Path(app.config["DATA_DIR"]) / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    path, is_copy = _local_copy(app, sha256, tmp_dir)
    try:
        result = documents.extract_file_text(app, path, check)
    except Exception as exc:  # extraction must never leave a version pending for ever
        log.exception("text extraction of file %s failed", file_id)
        result = None
        error = f"{type(exc).__name__}: {exc}"
    finally:
        if is_copy:
            path.unlink(missing_ok=True)
    with session_scope(app) as session:
        version = session.get(DocumentFile, file_id)
        if version is None:
            return DROPPED
        if version.document.state != DocumentState.ACTIVE:
            return DROPPED  # destroyed while being read: drop the text
        if result is None:
            version.text_status = TextStatus.FAILED if version.text_attempts >= MAX_ATTEMPTS else TextStatus.PENDING
            version.text_error = error
        else:
            retext.store_text(session, version, result)
        document = session.get(Document, version.document_id)
        if document is not None and document.current is version:
            document.text_status = version.text_status
            indexing.enqueue(session, document.id)
        return version.text_status


def pending_files(app: Flask, limit: int = 50) -> list[int]:
    with session_scope(app) as session:
        return list(session.scalars(
            select(DocumentFile.id).where(DocumentFile.text_status == TextStatus.PENDING)
            .order_by(DocumentFile.id).limit(limit)))


def pending_count(app: Flask) -> int:
    """File versions waiting for their text."""
    with session_scope(app) as session:
        return session.scalar(select(func.count(DocumentFile.id))
                              .where(DocumentFile.text_status == TextStatus.PENDING)) or 0


def ocr_workers(app: Flask) -> int:
    """How many tesseract processes read pages at once (``SANDYK_OCR_WORKERS``; 0: one per core)."""
    return int(app.config.get("OCR_WORKERS") or 0) or default_workers()


def run_once(app: Flask, on_file: Callable[[str], None] | None = None,
             between: Callable[[], object] | None = None) -> int:
    """Extract every pending version and apply index tasks; returns versions processed. ``on_file`` is
    told the text status of each version read (``failed`` when it failed for good), for progress
    reports; ``between`` runs before each batch of versions."""
    done = 0
    with ThreadPoolExecutor(ocr_workers(app), thread_name_prefix="sandyk-extract") as executor:
        while True:
            if between is not None:
                between()
            ids = pending_files(app)
            if not ids:
                break
            progressed = 0
            for status in executor.map(lambda file_id: extract_one(app, file_id), ids):
                if status is not None:
                    progressed += 1
                    if on_file is not None:
                        on_file(status)
            done += progressed
            indexing.sync(app)
            if not progressed:
                break
    # Then files an older extraction read, a batch at a time, as long as no new file waits.
    while not pending_files(app, 1) and retext.run_batch(app):
        indexing.sync(app)
    indexing.sync(app)
    return done


def run_round(app: Flask) -> int:
    """One round of the background work: the destruction acts whose execution was requested, then text
    and index. Acts are looked at again before each batch of text, so a long OCR backlog never holds
    an act's execution back for more than one batch."""
    return run_once(app, between=lambda: execution.run_queued(app))


def retry_failed(app: Flask) -> int:
    """Send failed extractions back to pending (after tesseract was installed, say)."""
    with session_scope(app) as session:
        result = session.execute(
            update(DocumentFile).where(DocumentFile.text_status == TextStatus.FAILED)
            .values(text_status=TextStatus.PENDING, text_attempts=0, text_error=None))
        return result.rowcount


class Worker:
    """The daemon thread of one web process."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wake = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="sandyk-worker", daemon=True)

    def start(self) -> None:
        print(f"Sandyk: the background worker runs in process {os.getpid()}", file=sys.stderr, flush=True)
        self.thread.start()
        start_listener(self.app, self.wake, self.stop)

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                run_round(self.app)
            except Exception:  # keep the thread alive; the next round retries
                log.exception("background work failed")
            self.wake.wait(IDLE_SECONDS)
            self.wake.clear()


def kick(app: Flask) -> None:
    """Tell the background work that something was committed."""
    mode = app.config["WORKER"]
    if mode == "inline":
        run_round(app)
    elif mode == "thread":
        with _start_lock:
            worker: Worker | None = app.extensions.get("sandyk.worker")
            if worker is None:
                worker = app.extensions["sandyk.worker"] = Worker(app)
                worker.start()
        worker.wake.set()


class _PipeWake:
    """Wakes the worker of another process: a byte on the pipe it reads."""

    def __init__(self, fd: int) -> None:
        os.set_blocking(fd, False)
        self.fd = fd

    def set(self) -> None:
        try:
            os.write(self.fd, b"!")
        except BlockingIOError:
            pass  # the pipe is full of wake-ups the worker has not read yet: it will wake anyway


class Elsewhere:
    """The background work of a serving process that leaves it to the worker process (``serve`` with
    several processes): ``kick`` wakes that process instead of starting a thread here."""

    def __init__(self, wake_fd: int) -> None:
        self.wake = _PipeWake(wake_fd)


def run_elsewhere(app: Flask, wake_fd: int) -> None:
    """This process's background work is done by the worker process reading ``wake_fd``'s pipe."""
    app.extensions["sandyk.worker"] = Elsewhere(wake_fd)


def run_in_process(app: Flask, wake_fd: int) -> None:
    """Be the worker process of ``serve``: the background thread, woken by every byte the serving
    processes write into the pipe ``wake_fd`` reads; ends when they have all closed it."""
    kick(app)  # the first round finishes at once whatever a crash left behind
    worker = app.extensions["sandyk.worker"]
    try:
        while os.read(wake_fd, 4096):
            worker.wake.set()
    finally:
        shutdown(app, timeout=5)


def shutdown(app: Flask, timeout: float = 30) -> None:
    """Stop this app's background thread (tests, and orderly shutdowns)."""
    worker = app.extensions.pop("sandyk.worker", None)
    if isinstance(worker, Worker):
        worker.stop.set()
        worker.wake.set()
        worker.thread.join(timeout)


def init_app(app: Flask) -> None:
    """Start (lazily, on the first request) the worker, which first finishes what a crash left behind."""
    if app.config["WORKER"] != "thread":
        return

    @app.before_request
    def _ensure_worker() -> None:
        if "sandyk.worker" not in app.extensions:
            kick(app)
