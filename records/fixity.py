"""Fixity: proof that every stored file is still, bit for bit, what was filed, and collection of
the leftovers a crash can leave.

``verify`` re-hashes every blob the catalogue knows and compares the hash with the blob's name. A run
remembers where it is (each blob checked in the run gets ``Blob.verified_at``; the run's start is kept
in the ``setting`` table), so an interrupted run resumes instead of starting again. It reports
missing blobs (a catalogue row without bytes), corrupted blobs (bytes that no longer hash to their
name) and orphans (bytes no catalogue row accounts for: an upload whose transaction did not commit).

``collect_garbage`` deletes orphans older than a grace period (younger ones may belong to an upload
whose transaction is still open) and stale temporary files of interrupted uploads.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import func, or_, select

from records import audit
from records.blobs import get_store
from records.capture import previews
from records.db import session_scope, utcnow
from records.models import AuditAction, Blob, DocumentFile, Setting
from storage import BlobNotFound
from storage.base import CHUNK_SIZE
from storage.spool import TEMP_PREFIX

RUN_KEY = "fixity_run"
DEFAULT_GRACE = timedelta(hours=24)
BATCH = 200


@dataclass
class FixityReport:
    checked: int = 0
    resumed_from: datetime | None = None
    missing: list[str] = field(default_factory=list)
    corrupted: list[str] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.corrupted or self.orphaned)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _hash_stream(app: Flask, sha256: str) -> str:
    digest = hashlib.sha256()
    with get_store(app).open(sha256) as stream:
        while chunk := stream.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _live_blob_filter():  # type: ignore[no-untyped-def]
    return Blob.deleted_at.is_(None)


def start_run(app: Flask, *, restart: bool = False) -> tuple[datetime, bool]:
    """The start of the current run and whether it is a resumed one; a new run starts when the last
    one finished (or ``restart``)."""
    with session_scope(app) as session:
        row = session.get(Setting, RUN_KEY)
        value = row.value if row is not None and isinstance(row.value, dict) else None
        if value and not value.get("finished_at") and not restart:
            return datetime.fromisoformat(value["started_at"]), True
        started = utcnow()
        value = {"started_at": started.isoformat(), "finished_at": None}
        if row is None:
            session.add(Setting(key=RUN_KEY, value=value))
        else:
            row.value, row.updated_at = value, started
        return started, False


def pending_count(app: Flask, started: datetime) -> int:
    with session_scope(app) as session:
        return session.scalar(select(func.count()).select_from(Blob).where(
            _live_blob_filter(), or_(Blob.verified_at.is_(None), Blob.verified_at < started))) or 0


def _pending(app: Flask, started: datetime) -> Iterator[list[str]]:
    """Blobs not yet checked in this run, in hash order, a batch at a time."""
    after = ""
    while True:
        with session_scope(app) as session:
            batch = list(session.scalars(
                select(Blob.sha256).where(
                    _live_blob_filter(), Blob.sha256 > after,
                    or_(Blob.verified_at.is_(None), Blob.verified_at < started),
                ).order_by(Blob.sha256).limit(BATCH)))
        if not batch:
            return
        yield batch
        after = batch[-1]


def find_orphans(app: Flask, older_than: timedelta | None = None) -> list[str]:
    """Stored blobs no live catalogue row accounts for (optionally only those older than a while)."""
    store = get_store(app)
    cutoff = utcnow() - older_than if older_than is not None else None
    orphans: list[str] = []
    chunk: list[tuple[str, datetime]] = []

    def flush() -> None:
        if not chunk:
            return
        with session_scope(app) as session:
            known = set(session.scalars(select(Blob.sha256).where(
                Blob.sha256.in_([s for s, _m in chunk]), _live_blob_filter())))
        orphans.extend(s for s, modified in chunk
                       if s not in known and (cutoff is None or _aware(modified) < cutoff))
        chunk.clear()

    for info in store.iter_blobs():
        chunk.append((info.sha256, info.modified))
        if len(chunk) >= BATCH:
            flush()
    flush()
    return orphans


def verify_storage(app: Flask, *, restart: bool = False, progress: Callable[[int], None] | None = None,
                   started: datetime | None = None) -> FixityReport:
    """Re-hash every live blob not yet checked in this run; report missing, corrupted and orphaned ones."""
    resumed = False
    if started is None:
        started, resumed = start_run(app, restart=restart)
    report = FixityReport(resumed_from=started if resumed else None)
    for batch in _pending(app, started):
        good: list[str] = []
        for sha256 in batch:
            try:
                actual = _hash_stream(app, sha256)
            except BlobNotFound:
                report.missing.append(sha256)
            else:
                if actual == sha256:
                    good.append(sha256)
                else:
                    report.corrupted.append(sha256)
            report.checked += 1
            if progress:
                progress(1)
        # Remember progress batch by batch: an interrupted run resumes after the last good batch.
        with session_scope(app) as session:
            now = utcnow()
            for blob in session.scalars(select(Blob).where(Blob.sha256.in_(good))):
                blob.verified_at = now
    report.orphaned = find_orphans(app)
    with session_scope(app) as session:
        row = session.get(Setting, RUN_KEY)
        if row is not None and isinstance(row.value, dict):
            row.value = {**row.value, "finished_at": utcnow().isoformat()}
        audit.record(session, AuditAction.STORAGE_VERIFY, actor="cli", checked=report.checked,
                     resumed=resumed, missing=report.missing[:100], corrupted=report.corrupted[:100],
                     orphaned=len(report.orphaned))
    return report


def referenced_but_missing(app: Flask) -> list[str]:
    """Blobs a document version points at that the store does not have (a quick, hash-free check)."""
    store = get_store(app)
    with session_scope(app) as session:
        shas = list(session.scalars(select(DocumentFile.sha256).distinct().join(
            Blob, Blob.sha256 == DocumentFile.sha256).where(_live_blob_filter())))
    return [s for s in shas if not store.exists(s)]


@dataclass
class GarbageReport:
    orphans_deleted: list[str] = field(default_factory=list)
    temp_files_deleted: int = 0


def _sweep_temp(folder: Path, older_than: timedelta) -> int:
    """Delete temporary files of interrupted uploads and copies in ``folder`` older than the cutoff."""
    if not folder.is_dir():
        return 0
    cutoff = datetime.now(UTC).timestamp() - older_than.total_seconds()
    removed = 0
    for entry in os.scandir(folder):
        if not entry.name.startswith(TEMP_PREFIX) or not entry.is_file(follow_symlinks=False):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_mtime <= cutoff:
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:
            continue  # its writer finished meanwhile
    return removed


def collect_garbage(app: Flask, *, older_than: timedelta = DEFAULT_GRACE, dry_run: bool = False) -> GarbageReport:
    """Delete orphaned blobs and temporary files older than ``older_than``."""
    report = GarbageReport()
    store = get_store(app)
    for sha256 in find_orphans(app, older_than):
        # Checked again one by one: an upload of the same bytes may have committed since the listing.
        with session_scope(app) as session:
            if session.scalar(select(Blob.sha256).where(Blob.sha256 == sha256, _live_blob_filter())):
                continue
        if not dry_run:
            store.delete(sha256)
            previews.forget(app, sha256)
        report.orphans_deleted.append(sha256)
    if not dry_run:
        report.temp_files_deleted = _sweep_temp(Path(app.config["DATA_DIR"]) / "tmp", older_than)
        cleanup = getattr(store, "cleanup_temp", None)
        if cleanup is not None:
            report.temp_files_deleted += cleanup(older_than)
        with session_scope(app) as session:
            audit.record(session, AuditAction.STORAGE_GC, actor="cli", orphans=report.orphans_deleted[:100],
                         orphan_count=len(report.orphans_deleted), temp_files=report.temp_files_deleted,
                         grace_hours=older_than.total_seconds() / 3600)
    return report
