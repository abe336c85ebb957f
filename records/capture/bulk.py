"""Bulk import: filing a whole existing archive (a folder tree or a manifest) through the capture pipeline.

Each file is filed in a transaction of its own, so an import stopped at any point (Ctrl-C, a killed
process, a power cut) keeps everything filed so far and loses at most the file in hand. Running the
same import again recognises the files already filed by their SHA-256 and skips them, so a re-run
continues where the last one stopped and never files anything twice. A file that cannot be filed
(unknown index or year, bad date, refused type...) is refused with its reason and the rest continue.
Text extraction of scans runs at the end (:func:`finish_text`), which also brings the index up to date.
"""
from __future__ import annotations

import csv
import errno
import hashlib
import io
import os
import signal
import stat
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from records import audit, cases, nomenclature, worker
from records.capture import documents
from records.capture.intake import Refusal, check_file
from records.db import session_scope
from records.errors import Conflict, NotFound, UserError
from records.i18n import _l
from records.models import AuditAction, DocType, DocumentFile, TextStatus, User, UserRole
from records.permissions import Role

MANIFEST_COLUMNS = ("path", "index", "year", "type", "title", "date", "number")
MANIFEST_REQUIRED = ("path", "index", "year")
# Files that operating systems and office programs leave in folders; they are not records.
_JUNK_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
_CHUNK = 1 << 20


class Outcome(StrEnum):
    FILED = "filed"
    ALREADY_FILED = "already_filed"
    REFUSED = "refused"


@dataclass(frozen=True)
class ImportItem:
    """One file to file: where it is, where it goes, and what is known about it."""

    path: Path
    label: str  # how reports name the file: its path inside the tree, or the manifest line
    year: str
    index: str
    fields: dict[str, Any]  # raw metadata for documents.validate_metadata
    problem: UserError | None = None  # refused before the file is even read (a bad manifest row)
    root: Path | None = None  # the folder the file must stay inside, checked again when it is opened


@dataclass(frozen=True)
class ItemResult:
    item: ImportItem
    outcome: Outcome
    message: str = ""  # the reason of a refusal, or where an already filed file is
    document_id: int | None = None


@dataclass
class ImportReport:
    filed: list[ItemResult] = field(default_factory=list)
    already_filed: list[ItemResult] = field(default_factory=list)
    refused: list[ItemResult] = field(default_factory=list)
    ignored: int = 0  # operating-system clutter skipped while walking a tree
    interrupted: bool = False

    def add(self, result: ItemResult) -> None:
        {Outcome.FILED: self.filed, Outcome.ALREADY_FILED: self.already_filed,
         Outcome.REFUSED: self.refused}[result.outcome].append(result)

    @property
    def done(self) -> int:
        return len(self.filed) + len(self.already_filed) + len(self.refused)


# --- reading what to import --------------------------------------------------------------------


def _is_junk(name: str) -> bool:
    # "~$x.docx" is the lock file Word keeps next to an open document.
    return name.startswith((".", "~$")) or name.lower() in _JUNK_NAMES


def _title_of(path: Path | PurePosixPath) -> str:
    return path.stem or path.name


# --- staying inside the folder ----------------------------------------------------------------
# An import reads files as the server's user: a symbolic link in the tree (to the data folder's keys,
# to /etc/passwd) would be filed and downloadable by anyone who may read records. Links are never
# followed, and every path is resolved and checked to be inside the import's folder, when the tree is
# read and again when the file is opened.


def _link_refusal() -> UserError:
    return UserError("symlink", _l("This is a symbolic link; links are not followed. Copy the file itself in."))


def _outside_refusal() -> UserError:
    return UserError("outside", _l("This path leads outside the folder being imported."))


def _not_regular_refusal() -> UserError:
    return UserError("not_a_file", _l("This is not a regular file (a device, a pipe or a socket)."))


def _place_problem(root: Path, path: Path) -> UserError | None:
    """Why ``path`` may not be read as part of the import under ``root`` (which is resolved), if it may not."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        return _outside_refusal()
    here = root
    for part in rel.parts:
        here = here / part
        if here.is_symlink():
            return _link_refusal()
    if not path.resolve().is_relative_to(root):
        return _outside_refusal()
    if path.exists() and not (path.is_file() or path.is_dir()):
        return _not_regular_refusal()
    return None


def open_inside(path: Path, root: Path | None) -> io.BufferedReader:
    """Open an import's file for reading without following a link, and only if it still is a regular
    file inside ``root`` (the tree may change between reading it and filing it)."""
    if root is not None:
        problem = _place_problem(root, path)
        if problem is not None:
            raise problem
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise UserError("no_file", _l("There is no such file.")) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _link_refusal() from None
        raise UserError("unreadable", _l("The file cannot be read: %(error)s", error=exc.strerror or str(exc))) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise UserError("no_file", _l("This is a folder, not a file."))
        raise _not_regular_refusal()
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def items_from_folder(root: Path) -> tuple[list[ImportItem], int]:
    """The files of a tree laid out as ``<year>/<index>/<files>`` (files in subfolders of an index
    folder belong to that index), in a stable order; returns them with the count of ignored clutter.
    Links (to files or folders) and anything not a regular file become items refused with the reason."""
    root = Path(root)
    if not root.is_dir():
        raise UserError("no_folder", _l("%(path)s is not a folder.", path=str(root)))
    root = root.resolve()
    items: list[ImportItem] = []
    ignored = 0
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        linked = sorted(d for d in dirnames if (here / d).is_symlink() and not _is_junk(d))
        dirnames[:] = sorted(d for d in dirnames if not _is_junk(d) and d not in linked)
        for name in linked:
            label = "/".join((here / name).relative_to(root).parts) + "/"
            items.append(ImportItem(here / name, label, "", "", {}, _link_refusal(), root))
        for name in sorted(filenames):
            if _is_junk(name):
                ignored += 1
                continue
            path = here / name
            parts = path.relative_to(root).parts
            label = "/".join(parts)
            problem = _place_problem(root, path)
            if problem is not None:
                items.append(ImportItem(path, label, "", "", {}, problem, root))
                continue
            if len(parts) < 3:
                problem = UserError("bad_place", _l("Files must be inside a <year>/<index>/ folder."))
                items.append(ImportItem(path, label, "", "", {}, problem))
                continue
            items.append(ImportItem(path, label, parts[0], parts[1],
                                    {"doc_type": DocType.OTHER, "title": _title_of(path)}, root=root))
    return items, ignored


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on a Russian-language Windows saves CSV in cp1251.
        return data.decode("cp1251", errors="replace")


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    first_line = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(first_line, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _manifest_path(folder: Path, raw: str) -> Path | None:
    """The file a manifest row names, relative to the manifest's folder; None if it points elsewhere."""
    rel = PurePosixPath(raw.replace("\\", "/"))
    if rel.is_absolute() or ".." in rel.parts or (rel.parts and ":" in rel.parts[0]):
        return None
    return folder.joinpath(*rel.parts)


def items_from_manifest(manifest: Path) -> list[ImportItem]:
    """The rows of a manifest CSV (columns path,index,year,type,title,date,number; comma, semicolon or
    tab separated; UTF-8 or cp1251). A bad row becomes an item refused with its reason."""
    manifest = Path(manifest)
    try:
        text = _decode(manifest.read_bytes())
    except OSError as exc:
        raise UserError("unreadable", _l("%(path)s cannot be read: %(error)s", path=str(manifest),
                                         error=exc.strerror or str(exc))) from None
    reader = csv.reader(io.StringIO(text), _dialect(text))
    header = [cell.strip().lower() for cell in next(reader, [])]
    unknown = [name for name in header if name not in MANIFEST_COLUMNS]
    missing = [name for name in MANIFEST_REQUIRED if name not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise UserError("bad_header", _l("The first row must name the columns: %(cols)s (path, index and year "
                                         "are required).", cols=",".join(MANIFEST_COLUMNS)))
    folder = manifest.parent.resolve()
    items: list[ImportItem] = []
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        row = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
        raw_path = row.get("path", "")
        label = _l("line %(line)s: %(path)s", line=line, path=raw_path or "—")
        path = _manifest_path(folder, raw_path) if raw_path else None
        fields = {"doc_type": row.get("type") or DocType.OTHER, "title": row.get("title") or "",
                  "doc_date": row.get("date") or None, "number": row.get("number") or None}
        problem: UserError | None = None
        if not raw_path:
            problem = UserError("no_path", _l("The row names no file."))
        elif path is None:
            problem = UserError("bad_path", _l("The path must be relative to the manifest's folder."))
        elif (problem := _place_problem(folder, path)) is not None:
            pass
        else:
            fields["title"] = fields["title"] or _title_of(PurePosixPath(raw_path.replace("\\", "/")))
        items.append(ImportItem(path or folder, str(label), row.get("year", ""), row.get("index", ""), fields,
                                problem, folder))
    return items


# --- filing ------------------------------------------------------------------------------------


def first_admin(session: Session) -> User:
    """The default author of an import: the earliest active administrator."""
    user = session.scalar(
        select(User).join(UserRole).where(UserRole.role == Role.ADMIN, User.active.is_(True))
        .order_by(User.id).limit(1))
    if user is None:
        raise NotFound("no_admin", _l("There is no active administrator; name the user with --actor."))
    return user


def hash_file(path: Path, root: Path | None = None) -> tuple[str, int]:
    """SHA-256 and size of a file on disk, read in chunks (never through a link, see :func:`open_inside`)."""
    digest = hashlib.sha256()
    size = 0
    try:
        with open_inside(path, root) as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise UserError("unreadable", _l("The file cannot be read: %(error)s", error=exc.strerror or str(exc))) from None
    return digest.hexdigest(), size


def _check_destination(session: Session, year: int, index: str, *, draft_years: bool) -> None:
    """Refuse an index the year's nomenclature lacks, and a year without a nomenclature unless asked to
    draft it (as filing one document does): a mistyped year folder must not create a year's file plan."""
    nom = nomenclature.get(session, year)
    if nom is None:
        if not draft_years:
            raise NotFound("unknown_year", _l("There is no nomenclature for %(year)s. Create it first, or import "
                                              "with --draft-years to draft it from the nearest year.", year=year))
        base = nomenclature.nearest(session, year)
        indexes = {i.index for i in base.items} if base else {r.index for r in nomenclature.shipped_rows()}
        if index.strip() not in indexes:
            raise NotFound("unknown_case", _l("The nomenclature of %(year)s has no item %(index)s.",
                                              year=year, index=index or "—"))
        return
    cases.find_item(session, year, index)


def _where(found: list[Any]) -> str:
    doc = found[0]
    return f"{doc.case.index}/{doc.case.year} №{doc.id}"


def import_item(app: Flask, item: ImportItem, *, actor_id: int, draft_years: bool = False,
                dry_run: bool = False, planned: dict[str, str] | None = None) -> ItemResult:
    """File one item in a transaction of its own (or, on a dry run, only check it; ``planned`` then
    collects the files the run would file, by SHA-256, so a second copy is reported as a duplicate)."""
    try:
        if item.problem is not None:
            raise item.problem
        meta = documents.validate_metadata(item.fields)
        year = nomenclature.check_year(item.year)
        sha256, size = hash_file(item.path, item.root)
        # Reads first: the file's checks and text are read without holding the write lock, so a
        # running server goes on answering during an import.
        with session_scope(app, reads_first=True) as session:
            _check_destination(session, year, item.index, draft_years=draft_years)
            found = documents.where_stored(session, sha256)
            if found:
                return ItemResult(item, Outcome.ALREADY_FILED, _where(found), found[0].id)
            if dry_run:
                if planned is not None and sha256 in planned:
                    return ItemResult(item, Outcome.ALREADY_FILED, planned[sha256])
                _check_bytes(app, item.path, size)
                if planned is not None:
                    planned[sha256] = str(item.label)
                return ItemResult(item, Outcome.FILED)
            actor = session.get(User, actor_id)
            with open_inside(item.path, item.root) as stream:
                filed = documents.file_document(app, session, year=year, index=item.index, meta=meta,
                                                upload=documents.Upload(stream, item.path.name), actor=actor)
            return ItemResult(item, Outcome.FILED, f"{filed.document.case.index}/{year}", filed.document.id)
    except Conflict as exc:
        if exc.code == "duplicate":  # filed by someone else between the check and the filing
            existing = exc.extra.get("existing") or [{}]
            return ItemResult(item, Outcome.ALREADY_FILED, str(exc.message), existing[0].get("id"))
        return ItemResult(item, Outcome.REFUSED, str(exc.message))
    except UserError as exc:
        return ItemResult(item, Outcome.REFUSED, str(exc.message))


def _check_bytes(app: Flask, path: Path, size: int) -> None:
    """What filing would say about the file's type and safety, without storing anything."""
    limits = documents.limits_for(app)
    if size > limits.max_bytes:
        raise UserError("too_large", _l("The file is too large. Files up to %(limit)s MB are accepted.",
                                        limit=limits.max_bytes // 2**20))
    try:
        check_file(path, documents.safe_filename(path.name), frozenset(app.config["ALLOWED_TYPES"]), limits)
    except Refusal as exc:
        raise UserError(exc.code, exc.message) from None


def import_items(app: Flask, items: Iterable[ImportItem], *, actor_id: int, draft_years: bool = False,
                 dry_run: bool = False, on_result: Callable[[ItemResult], None] | None = None,
                 report: ImportReport | None = None) -> ImportReport:
    """File every item in turn; Ctrl-C stops after the file in hand, keeping what is filed (a second
    Ctrl-C stops at once, rolling the file in hand back)."""
    report = report or ImportReport()
    planned: dict[str, str] = {}
    with _stop_between_items() as stop_asked:
        try:
            for item in items:
                if stop_asked():
                    break
                result = import_item(app, item, actor_id=actor_id, draft_years=draft_years, dry_run=dry_run,
                                     planned=planned)
                report.add(result)
                if on_result is not None:
                    on_result(result)
        except KeyboardInterrupt:
            report.interrupted = True
        report.interrupted = report.interrupted or stop_asked()
    return report


@contextmanager
def _stop_between_items() -> Iterator[Callable[[], bool]]:
    """While the block runs, the first Ctrl-C (SIGINT) only asks the loop to stop before its next item.

    A KeyboardInterrupt raised at an arbitrary point can land inside the database driver or a
    garbage-collection callback, where it is swallowed or leaves a connection mid-transaction (seen:
    an import that went on, then waited on its own lock). The second Ctrl-C interrupts at once."""
    asked = threading.Event()
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous is signal.SIG_IGN:
        yield asked.is_set
        return

    def ask(signum: int, frame: Any) -> None:
        if asked.is_set():
            raise KeyboardInterrupt
        asked.set()

    signal.signal(signal.SIGINT, ask)
    try:
        yield asked.is_set
    finally:
        signal.signal(signal.SIGINT, previous)


def finish_text(app: Flask, on_file: Callable[[str], None] | None = None) -> int:
    """Extract the text of every pending file (OCR of scans, several files and pages at once in the OCR
    pool) and apply the index tasks, so each imported document ends in a final text state and is
    searchable; returns the number of files read. ``on_file`` is told the outcome of each file."""
    return worker.run_once(app, on_file=on_file)


def text_failures(app: Flask, report: ImportReport) -> list[tuple[ItemResult, str]]:
    """The files of this import (filed now or before) whose text could not be read, with the reason
    noted for the log."""
    by_document = {r.document_id: r for r in report.filed + report.already_filed if r.document_id is not None}
    if not by_document:
        return []
    failures: list[tuple[ItemResult, str]] = []
    with session_scope(app) as session:
        ids = list(by_document)
        for start in range(0, len(ids), 500):
            rows = session.execute(
                select(DocumentFile.document_id, DocumentFile.text_error)
                .where(DocumentFile.document_id.in_(ids[start:start + 500]),
                       DocumentFile.text_status == TextStatus.FAILED)
                .order_by(DocumentFile.document_id))
            failures.extend((by_document[document_id], error or "") for document_id, error in rows)
    return failures


def pending_text(app: Flask) -> int:
    return worker.pending_count(app)


def record_run(app: Flask, report: ImportReport, *, actor_id: int, source: str, mode: str) -> None:
    """One audit event for the whole import, next to the ``document:file`` event of each file."""
    with session_scope(app) as session:
        audit.record(session, AuditAction.IMPORT_RUN, object_type="import", actor=session.get(User, actor_id),
                     source=source, mode=mode, filed=len(report.filed), already_filed=len(report.already_filed),
                     refused=len(report.refused), interrupted=report.interrupted)
