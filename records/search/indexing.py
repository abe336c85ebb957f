"""Keeping the search index in step with the catalogue.

Every catalogue change that affects search writes an ``IndexTask`` row in the same transaction.
After the commit, :func:`sync` applies the waiting tasks to the index and deletes them; a crash in
between leaves the rows, which the next start (or ``flask index sync``) applies. :func:`reindex`
rebuilds everything from the catalogue and :func:`check` reports any drift.
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import delete, func, insert, literal, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, joinedload

from records import db
from records.db import session_scope
from records.models import Document, DocumentState, DocumentText, IndexTask
from records.search.base import IndexDoc, IndexLayoutChanged, SearchIndex, open_index

log = logging.getLogger(__name__)
_sync_lock = threading.Lock()
# Several processes may sync at once; they take turns (an advisory lock on PostgreSQL, a lock file
# beside SQLite's data), so none applies a document state read before another process applied a
# newer one. No database write lock is held while the index is written: requests go on meanwhile.
_PG_SYNC_LOCK = 727201


def get_index(app: Flask | None = None) -> SearchIndex:
    app = app or current_app._get_current_object()
    index = app.extensions.get("sandyk.index")
    if index is None:
        try:
            index = open_index(app.config["INDEX_URL"], app)
        except IndexLayoutChanged as exc:
            index = _rebuild_layout(app, exc)
        from records.capture.retext import check_analysis  # (it queues index tasks through this module)

        # Before the index is shared: a sync in another thread must not fill it with today's analysis
        # while the check takes it for one built with an older analysis.
        check_analysis(app, index)
        app.extensions["sandyk.index"] = index
    return index


def _rebuild_layout(app: Flask, changed: IndexLayoutChanged) -> SearchIndex:
    """An index left by an earlier version of the layout: start an empty one and queue every live
    document for it, so the background sync (or ``flask index sync``) fills it; search answers from
    what is indexed meanwhile."""
    from records.search.whoosh_index import recreate_whoosh_index

    log.warning("%s; rebuilding it from the catalogue in the background", changed)
    index = recreate_whoosh_index(changed.path)
    with session_scope(app) as session:
        session.execute(delete(IndexTask))
        enqueue_all(session)
    return index


# On PostgreSQL every transaction that leaves work behind (an index task, a pending extraction)
# notifies a channel at its commit, so the workers of every process wake at once. Channels belong to
# the whole database, so the channel is named for the schema: installs (or test runs) sharing one
# database in schemas of their own do not wake each other.
_CHANNELS: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def channel(engine: Engine) -> str:
    """The notification channel of the installation whose database ``engine`` connects to."""
    found = _CHANNELS.get(engine)
    if found is None:
        with engine.connect() as conn:
            schema = conn.scalar(text("SELECT current_schema()")) or ""
        found = _CHANNELS[engine] = "sandyk_work_" + hashlib.sha256(schema.encode()).hexdigest()[:16]
    return found


def notify(session: Session) -> None:
    """Wake the workers of every process when this session's transaction commits (PostgreSQL delivers a
    NOTIFY at commit, once per transaction however often it is sent, and never for a rollback)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.connection()  # begins the transaction, if none has begun yet
    transaction = session.get_transaction()
    if session.info.get("notified") is not transaction:
        session.execute(text(f'NOTIFY "{channel(session.get_bind())}"'))
        session.info["notified"] = transaction


def enqueue(session: Session, document_id: int, op: str = "upsert") -> None:
    session.add(IndexTask(document_id=document_id, op=op))
    # Read by the request boundary: after the commit, background work is woken (this process's at
    # once, other processes' through PostgreSQL's NOTIFY).
    session.info["index_dirty"] = True
    notify(session)


def enqueue_all(session: Session) -> None:
    """Queue every live document for re-indexing."""
    session.execute(insert(IndexTask).from_select(
        ["document_id", "op"],
        select(Document.id, literal("upsert")).where(Document.state == DocumentState.ACTIVE).order_by(Document.id)))
    session.info["index_dirty"] = True
    notify(session)


def index_doc(document: Document, text: str) -> IndexDoc:
    current = document.current
    return IndexDoc(
        id=document.id,
        title=document.title,
        text=text,
        case_index=document.case.index,
        year=document.case.year,
        doc_type=document.doc_type,
        doc_date=document.doc_date,
        number=document.number,
        counterparty=document.counterparty,
        language=document.language,
        filenames=[v.original_filename for v in document.versions],
        version=current.version if current else None,
    )


def _texts(session: Session, docs: list[Document]) -> dict[int, str]:
    """The text of each document's current version."""
    file_ids = {d.current.id: d.id for d in docs if d.current is not None}
    if not file_ids:
        return {}
    rows = session.execute(select(DocumentText.file_id, DocumentText.text).where(DocumentText.file_id.in_(file_ids)))
    return {file_ids[fid]: text for fid, text in rows}


def _load(session: Session, ids: Iterable[int]) -> list[Document]:
    """The documents with their case and versions, in one query (a document has few versions)."""
    return list(session.scalars(
        select(Document).where(Document.id.in_(list(ids))).order_by(Document.id)
        .options(joinedload(Document.versions), joinedload(Document.case, innerjoin=True))
    ).unique())


def _lock_pg_sync(session: Session) -> None:
    # Keyed by the schema too: installs (or test runs) sharing one database never wait on each other.
    session.execute(text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"), {"key": _PG_SYNC_LOCK})


@contextmanager
def _sync_turn(app: Flask) -> Iterator[Session]:
    """A reads-first session (see ``db.begin_write``) during which no other process syncs."""
    with session_scope(app, reads_first=True) as session:
        if session.get_bind().dialect.name == "postgresql":
            _lock_pg_sync(session)
            yield session
            return
        path = Path(app.config["DATA_DIR"]) / "index-sync.lock"
        with path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield session
                session.commit()  # inside the turn: the tasks are gone before the next process looks
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


SYNC_BACKLOG_BATCH = 1000  # tasks a round takes once a backlog shows (a refill after an upgrade)


def sync(app: Flask, batch: int = 200, backlog_batch: int = SYNC_BACKLOG_BATCH) -> int:
    """Apply waiting index tasks; returns how many were applied. Safe to call from several threads
    or processes: upserts and deletes are idempotent and rows are removed only once applied.

    A round takes ``batch`` tasks; after a full round (a backlog: every document queued again after an
    upgrade) the next take ``backlog_batch``, so the refill is written in larger segments, each
    repeating the common words once, instead of many small ones to be merged again and again.
    """
    index = get_index(app)
    applied = 0
    with _sync_lock:
        while True:
            with _sync_turn(app) as session:
                tasks = session.scalars(select(IndexTask).order_by(IndexTask.id).limit(batch)).all()
                if not tasks:
                    return applied
                latest: dict[int, str] = {}
                for task in tasks:
                    latest[task.document_id] = task.op
                docs = {d.id: d for d in _load(session, [i for i, op in latest.items() if op == "upsert"])}
                texts = _texts(session, list(docs.values()))
                upserts = [index_doc(d, texts.get(d.id, "")) for d in docs.values() if d.state == DocumentState.ACTIVE]
                deletes = [i for i in latest if i not in docs or docs[i].state != DocumentState.ACTIVE]
                if upserts:
                    index.add(upserts)
                if deletes:
                    index.delete(deletes)
                max_id = tasks[-1].id
                # Only now a write (a short one): the applied tasks are removed.
                session.execute(delete(IndexTask).where(IndexTask.id <= max_id,
                                                        IndexTask.id.in_([t.id for t in tasks])))
                applied += len(tasks)
            if len(tasks) < batch:
                # All that was waiting is applied. Tasks committed since then are applied by the sync
                # their own writer runs after its commit.
                return applied
            batch = max(batch, backlog_batch)


def pending(session: Session) -> int:
    return session.scalar(select(func.count(IndexTask.id))) or 0


def live_count(app: Flask) -> int:
    """How many documents the index should hold."""
    with session_scope(app) as session:
        return session.scalar(select(func.count(Document.id)).where(Document.state == DocumentState.ACTIVE)) or 0


def _live_ids(app: Flask, batch: int) -> Iterator[list[int]]:
    """Ids of live documents in ascending batches, each read in a short transaction of its own."""
    last = 0
    while True:
        with session_scope(app) as session:
            ids = list(session.scalars(
                select(Document.id).where(Document.state == DocumentState.ACTIVE, Document.id > last)
                .order_by(Document.id).limit(batch)))
        if not ids:
            return
        yield ids
        last = ids[-1]


def index_processes(app: Flask) -> int:
    """How many processes a rebuild writes the index with (``SANDYK_INDEX_PROCESSES``; 0: one per core)."""
    from records.search.whoosh_build import default_processes

    return int(app.config.get("INDEX_PROCESSES") or 0) or default_processes()


def reindex(app: Flask, batch: int = 200, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the index from the catalogue, reading ``batch`` documents at a time.

    The documents reach the index as one stream, which it writes in segments as large as its memory
    bound allows (``progress`` counts the documents read into it); a sync waiting meanwhile for the
    index's write lock gives up after a few seconds and its tasks are applied by a later round.
    Short transactions throughout: filing goes on meanwhile, and whatever is filed during the rebuild
    leaves an index task that the next sync applies (upserts are idempotent).
    """
    index = get_index(app)
    # Emptied while no sync can run, so no change applied in between is wiped out unrecorded.
    with _sync_lock, _sync_turn(app) as session:
        db.begin_write(session)
        session.execute(delete(IndexTask))
        index.clear()
    done = 0

    def entries() -> Iterator[IndexDoc]:
        nonlocal done
        for ids in _live_ids(app, batch):
            with session_scope(app) as session:
                docs = _load(session, ids)
                texts = _texts(session, docs)
                found = [index_doc(d, texts.get(d.id, "")) for d in docs if d.state == DocumentState.ACTIVE]
            yield from found
            done += len(found)
            if progress:
                progress(len(ids))

    # One stream, so the index writes it in segments as large as it takes (see ``WhooshIndex.add``),
    # on every core unless told otherwise (``SANDYK_INDEX_PROCESSES``).
    index.add(entries(), processes=index_processes(app), expected=live_count(app))
    return done


@dataclass(frozen=True)
class Drift:
    missing: list[int]  # live documents the index lacks
    extra: list[int]  # index entries without a live document

    @property
    def clean(self) -> bool:
        return not self.missing and not self.extra


def check(app: Flask) -> Drift:
    index = get_index(app)
    live: set[int] = set()
    for ids in _live_ids(app, 5000):
        live.update(ids)
    indexed = index.ids()
    return Drift(missing=sorted(live - indexed), extra=sorted(indexed - live))

