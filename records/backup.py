"""Backup and restore of a whole records office: the database, the stored files and a manifest.

A backup is a folder::

    manifest.json         what was backed up, when, from which schema revision, and the SHA-256 and
                          size of every other file in the folder
    database.sqlite3      SQLite: a consistent copy made through SQLite's online backup API
    database.pgdump       PostgreSQL: pg_dump's custom format (one snapshot)
    blobs/ab/cd/<sha256>  every stored file, by content
    audit_checkpoints     the data folder's file of audit chain checkpoints, copied before the database
    audit_key             the key of the audit chain (unless it comes from the AUDIT_KEY setting)

It is written while the application runs. The database is copied first; every file a committed row
refers to was stored before that commit (files are written before their rows, and never changed),
so the blobs copied afterwards include all the snapshot needs.

Restoring checks every file against the manifest first, then loads the database into an empty data
folder (and, for PostgreSQL, an empty schema), stores the files, brings the schema up to date and
rebuilds the search index from the catalogue.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from records import audit, migrate
from records.blobs import get_store
from records.db import get_database, session_scope, utcnow
from records.errors import UserError
from records.i18n import _l
from records.models import AuditAction, AuditEvent, Blob, DisposalAct, Document, DocumentFile, Setting
from records.search import indexing
from storage.base import CHUNK_SIZE, copy_hashing, fan_out

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
FORMAT = 1
# What may already be in a data folder that counts as empty: the app writes its secret key (and the
# temp folder) as soon as it starts, and the audit key at its first use.
EMPTY_OK = {"secret_key", "tmp", audit.KEY_FILE}


class BackupError(UserError):
    pass


@dataclass
class BackupResult:
    path: Path
    files: int
    bytes: int
    corrupted: list[str] = field(default_factory=list)  # blobs whose bytes no longer match their name


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _libpq_url(url: str) -> str:
    """pg_dump speaks libpq URLs, without SQLAlchemy's driver suffix."""
    return "postgresql://" + url.split("://", 1)[1]


def _require_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError("no_pg_tools", _l("%(tool)s was not found on PATH. Install the PostgreSQL client tools "
                                            "of the server's version to back up or restore a PostgreSQL database.",
                                            tool=name))
    return found


def _pg_schema(app: Flask) -> str:
    """The schema the app works in: the first of its search path, created or not."""
    with get_database(app).engine.connect() as conn:
        current = conn.scalar(text("SELECT current_schema()"))
        if current:
            return str(current)
        first = str(conn.scalar(text("SHOW search_path"))).split(",")[0].strip().strip('"')
        if first == "$user":
            first = str(conn.scalar(text("SELECT current_user")))
        return first


def _snapshot_database(app: Flask, dest: Path) -> dict[str, Any]:
    database = get_database(app)
    url = app.config["DATABASE_URL"]
    if database.dialect == "sqlite":
        source = sqlite3.connect(make_url(url).database or "", timeout=30)
        target = sqlite3.connect(dest / SQLITE_FILE)
        try:
            with target:
                source.backup(target)  # a consistent copy, page by page, while writers go on
        finally:
            target.close()
            source.close()
        return {"dialect": "sqlite", "file": SQLITE_FILE}
    if database.dialect == "postgresql":
        pg_dump = _require_tool("pg_dump")
        schema = _pg_schema(app)
        result = subprocess.run(
            [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--schema={schema}",
             f"--file={dest / PG_FILE}", _libpq_url(url)],
            capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BackupError("pg_dump_failed", _l("pg_dump failed: %(error)s", error=result.stderr.strip()[-500:]))
        return {"dialect": "postgresql", "file": PG_FILE, "schema": schema}
    raise BackupError("unsupported_database", _l("This database cannot be backed up: %(name)s.", name=database.dialect))


def _counts(app: Flask) -> dict[str, int]:
    with session_scope(app) as session:
        return {name: session.scalar(select(func.count()).select_from(model)) or 0
                for name, model in (("documents", Document), ("versions", DocumentFile), ("blobs", Blob),
                                    ("disposal_acts", DisposalAct), ("audit_events", AuditEvent))}


def _copy_blobs(app: Flask, dest: Path, progress: Callable[[int], None] | None) -> list[str]:
    store = get_store(app)
    corrupted: list[str] = []
    for info in store.iter_blobs():
        ab, cd, name = fan_out(info.sha256)
        folder = dest / "blobs" / ab / cd
        folder.mkdir(parents=True, exist_ok=True)
        with store.open(info.sha256) as src, (folder / name).open("wb") as out:
            actual, _size = copy_hashing(src, out)
            out.flush()
            os.fsync(out.fileno())
        if actual != info.sha256:
            corrupted.append(info.sha256)
        if progress:
            progress(1)
    return corrupted


def create_backup(app: Flask, dest: Path, *, progress: Callable[[int], None] | None = None) -> BackupResult:
    """Write a backup into ``dest``, which must not exist or be empty."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError("dest_not_empty", _l("The backup folder %(path)s is not empty.", path=str(dest)))
    dest.mkdir(parents=True, exist_ok=True)
    started = utcnow()
    with session_scope(app) as session:
        head = session.get(Setting, audit.HEAD_KEY)
        audit_head = head.value if head is not None else None
    # Before the database: every checkpoint in the copy then names an event the snapshot holds.
    _copy_audit_seal(app, dest)
    database = _snapshot_database(app, dest)
    counts = _counts(app)
    corrupted = _copy_blobs(app, dest, progress)
    files: dict[str, dict[str, Any]] = {}
    total = 0
    for path in sorted(p for p in dest.rglob("*") if p.is_file()):
        rel = path.relative_to(dest).as_posix()
        size = path.stat().st_size
        files[rel] = {"sha256": _sha256_file(path), "size": size}
        total += size
    revs = sorted(migrate.current_revisions(get_database(app).engine))
    manifest = {
        "format": FORMAT,
        "created_at": started.isoformat(),
        "database": database,
        "revisions": revs,
        "counts_at_end": counts,  # rows may be added while the copy runs; these were counted after it
        "audit_head_at_start": audit_head,
        "corrupted_blobs": corrupted,
        "files": files,
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    with session_scope(app) as session:
        audit.record(session, AuditAction.BACKUP_CREATE, actor="cli", dest=str(dest), files=len(files), bytes=total,
                     corrupted=corrupted)
    return BackupResult(path=dest, files=len(files), bytes=total, corrupted=corrupted)


def _copy_audit_seal(app: Flask, dest: Path) -> None:
    seal = audit.seal_of(app=app)
    _ = seal.key  # a data folder without events yet gets its key now, so the backup holds it
    for name in (audit.CHECKPOINT_FILE, audit.KEY_FILE):
        source = seal.data_dir / name
        if source.is_file():
            fd = os.open(dest / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                shutil.copyfileobj(src, out)


def _restore_audit_seal(app: Flask, src: Path) -> None:
    """Put the backup's audit key and checkpoint file in the data folder, before anything is recorded."""
    seal = audit.seal_of(app=app)
    for name in (audit.KEY_FILE, audit.CHECKPOINT_FILE):
        source = src / name
        if source.is_file():
            target = seal.data_dir / name
            tmp = target.with_name(f".{name}.restore")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out, source.open("rb") as data:
                shutil.copyfileobj(data, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
    seal.forget_key()


def read_manifest(src: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupError("no_manifest", _l("%(path)s is not a Sandyk backup (no readable manifest.json).",
                                            path=str(src))) from None
    if manifest.get("format") != FORMAT:
        raise BackupError("bad_format", _l("This backup has a format this version cannot read."))
    return manifest


def check_backup(src: Path, manifest: dict[str, Any]) -> list[str]:
    """Files that are missing or differ from the manifest (empty when the backup is whole)."""
    problems = []
    for rel, meta in manifest["files"].items():
        path = src / rel
        if not path.is_file():
            problems.append(f"missing: {rel}")
        elif path.stat().st_size != meta["size"] or _sha256_file(path) != meta["sha256"]:
            problems.append(f"changed: {rel}")
    return problems


def _require_empty_target(app: Flask) -> None:
    data_dir = Path(app.config["DATA_DIR"])
    if data_dir.exists():
        extra = [p.name for p in data_dir.iterdir()
                 if p.name not in EMPTY_OK or (p.is_dir() and any(p.iterdir()))]
        if extra:
            raise BackupError("target_not_empty", _l("Restore needs an empty data folder; %(path)s holds: %(names)s.",
                                                     path=str(data_dir), names=", ".join(sorted(extra))))
    if next(iter(get_store(app).iter_blobs()), None) is not None:
        raise BackupError("target_not_empty", _l("Restore needs an empty file store; %(url)s holds files.",
                                                 url=get_store(app).url))
    database = get_database(app)
    if database.dialect == "postgresql":
        with database.engine.connect() as conn:
            tables = conn.scalar(text(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"))
        if tables:
            raise BackupError("target_not_empty", _l("Restore needs an empty database schema; this one has tables."))


def _restore_database(app: Flask, src: Path, manifest: dict[str, Any]) -> None:
    database = get_database(app)
    source = manifest["database"]
    if source["dialect"] != database.dialect:
        raise BackupError("other_database", _l("This backup is of a %(source)s database; the data folder is set up "
                                               "for %(target)s.", source=source["dialect"], target=database.dialect))
    url = app.config["DATABASE_URL"]
    if database.dialect == "sqlite":
        target_path = Path(make_url(url).database or "")
        target_path.parent.mkdir(parents=True, exist_ok=True)
        backup_db = sqlite3.connect(f"file:{src / source['file']}?mode=ro", uri=True)
        target = sqlite3.connect(target_path)
        try:
            with target:
                backup_db.backup(target)
        finally:
            target.close()
            backup_db.close()
        return
    pg_restore = _require_tool("pg_restore")
    schema = _pg_schema(app)
    if schema != source.get("schema"):
        raise BackupError("other_schema", _l("This backup holds the schema %(source)s; the database is set up for "
                                             "%(target)s.", source=str(source.get("schema")), target=schema))
    with database.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    dump = src / source["file"]
    listing = subprocess.run([pg_restore, "--list", str(dump)], capture_output=True, text=True, check=False)
    if listing.returncode != 0:
        raise BackupError("pg_restore_failed", _l("pg_restore failed: %(error)s", error=listing.stderr.strip()[-500:]))
    # The schema exists already (created above or by the administrator): restore what is inside it.
    entries = [line for line in listing.stdout.splitlines() if " SCHEMA - " not in line]
    fd, name = tempfile.mkstemp(prefix=".tmp-restore-list-", dir=Path(app.config["DATA_DIR"]) / "tmp")
    list_file = Path(name)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(entries) + "\n")
    try:
        result = subprocess.run(
            [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
             f"--use-list={list_file}", f"--dbname={_libpq_url(url)}", str(dump)],
            capture_output=True, text=True, check=False)
    finally:
        list_file.unlink(missing_ok=True)
    if result.returncode != 0:
        raise BackupError("pg_restore_failed", _l("pg_restore failed: %(error)s", error=result.stderr.strip()[-500:]))


def _restore_blobs(app: Flask, src: Path, progress: Callable[[int], None] | None) -> int:
    store = get_store(app)
    restored = 0
    folder = src / "blobs"
    if not folder.is_dir():
        return 0
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            store.put(path, path.name)  # checks the bytes against the name once more
            restored += 1
            if progress:
                progress(1)
    return restored


def restore_backup(app: Flask, src: Path, *, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Restore the backup in ``src`` into this app's empty data folder, then rebuild the index."""
    manifest = read_manifest(src)
    problems = check_backup(src, manifest)
    if problems:
        raise BackupError("backup_damaged", _l("The backup is damaged and was not restored: %(problems)s",
                                               problems="; ".join(problems[:20])))
    _require_empty_target(app)
    Path(app.config["DATA_DIR"], "tmp").mkdir(parents=True, exist_ok=True)
    _restore_audit_seal(app, src)
    _restore_database(app, src, manifest)
    migrate.upgrade(app.config["DATABASE_URL"])
    blobs = _restore_blobs(app, src, progress)
    indexed = indexing.reindex(app)
    with session_scope(app) as session:
        problems_in_chain = list(audit.verify_chain(session))
        audit.record(session, AuditAction.BACKUP_RESTORE, actor="cli", source=str(src), created_at=manifest["created_at"],
                     blobs=blobs, indexed=indexed, chain_problems=len(problems_in_chain))
    return {"blobs": blobs, "indexed": indexed, "chain_problems": problems_in_chain}
