"""Ingest benchmark: how fast documents go through the real capture pipeline, against baselines.

    python bench/ingest_bench.py --docs 500 [--words 300] [--scans 0.1] [--ocr-docs 3] [--profile]

A generated set of text PDFs and Word documents (and, with ``--scans``, scanned pages) is filed
through the real pipeline on a temporary data folder (create_app, file_document per document in its
own transaction, then the index updated from the outbox), in three ways:

* as uploads, the index synced after every document (``WORKER=inline``: the slowest way);
* as uploads on the web app's defaults (``WORKER=thread``): each filing wakes the background thread,
  which indexes what has been committed while the next documents are filed, until all are indexed;
* as ``flask import`` files an archive: the index is synced once at the end (in batches).

Baselines over the same bytes and the same extracted text, measured in the same run:
(a) SHA-256 and a copy of each file; (b) bare insertion into a fresh search index, one document
per call and in batches. The target for text documents is the pipeline within 1.5x of bare index
insertion, with memory flat as the batch grows (peak RSS at 1/4, 1/2 and the whole batch). Each run
is compared with the bare insertion of its own granularity; the background thread, which indexes
whatever has piled up at once, with both. OCR is measured separately on a few scans
(``--ocr-docs``), since one scan takes longer than a hundred text documents.
"""
from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import multiprocessing
import os
import pstats
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus import generate_documents  # noqa: E402
from bench.files import write_document  # noqa: E402

TARGET_RATIO = 1.5
SYNC_BATCH = 200  # what records.search.indexing.sync applies per transaction


@dataclass
class Sample:
    doc: dict[str, Any]
    kind: str
    path: Path


@dataclass
class Timing:
    label: str
    seconds: float
    docs: int
    mb: float | None = None

    @property
    def docs_per_s(self) -> float:
        return self.docs / self.seconds if self.seconds else float("inf")

    @property
    def mb_per_s(self) -> float | None:
        return self.mb / self.seconds if self.mb is not None and self.seconds else None


def rss_mb() -> float:
    """Resident memory now, from /proc (Linux)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- the document set ------------------------------------------------------------------------


def _write(args: tuple[dict[str, Any], str, str, str]) -> str:
    doc, kind, folder, stem = args
    return str(write_document(doc, kind, Path(folder), stem))


def make_samples(folder: Path, n: int, *, seed: int, words: int, scans: float, prefix: str) -> list[Sample]:
    """``n`` files: the given fraction scans, the rest text PDFs and Word documents (3:2).
    Written by worker processes, so the benchmark process starts measuring with its own memory only."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    docs = list(generate_documents(n, seed, words=words))
    kinds = ["scan" if rng.random() < scans else ("pdf" if rng.random() < 0.6 else "docx") for _ in docs]
    jobs = [(doc, kind, str(folder), f"{prefix}{i:05d}") for i, (doc, kind) in enumerate(zip(docs, kinds))]
    with multiprocessing.get_context("fork").Pool() as pool:
        paths = pool.map(_write, jobs, chunksize=8)
    return [Sample(doc, kind, Path(p)) for (doc, kind, _, _), p in zip(jobs, paths)]


# --- the pipeline ----------------------------------------------------------------------------


def make_app(data_dir: Path, worker: str = "inline") -> Any:
    from app import create_app
    from records.cli import setup_data

    config = {"DATA_DIR": str(data_dir), "WORKER": worker, "SECRET_KEY": "bench",
              "ADMIN_PASSWORD": "bench-password-1"}
    app = create_app(config)
    with app.app_context():
        setup_data(app, echo=False)
    return app


def _prepare_years(app: Any, samples: list[Sample]) -> int:
    """Draft each year's nomenclature before timing (filing does it once per year anyway)."""
    from records import nomenclature
    from records.capture import bulk
    from records.db import session_scope

    with session_scope(app) as session:
        for year in sorted({s.doc["year"] for s in samples}):
            nomenclature.for_filing(session, year, actor=None)
        return bulk.first_admin(session).id


def file_all(app: Any, samples: list[Sample], *, sync_each: bool,
             checkpoints: dict[int, Callable[[int], None]] | None = None) -> float:
    """File every sample, one transaction each, then bring the index up to date.

    With ``WORKER=inline`` the index is synced after each document (``sync_each``) or once at the end.
    With the web app's default ``WORKER=thread`` each filing wakes the background thread, as an upload
    does, and the time runs until that thread has indexed everything.
    """
    from records import worker
    from records.capture import documents
    from records.db import session_scope
    from records.models import User
    from records.search import indexing

    background = app.config["WORKER"] == "thread"
    actor_id = _prepare_years(app, samples)
    checkpoints = checkpoints or {}
    started = time.perf_counter()
    for i, sample in enumerate(samples, start=1):
        doc = sample.doc
        meta = documents.validate_metadata(doc)
        with session_scope(app) as session, sample.path.open("rb") as stream:
            documents.file_document(app, session, year=doc["year"], index=doc["index"], meta=meta,
                                    upload=documents.Upload(stream, sample.path.name),
                                    actor=session.get(User, actor_id))
        if background:
            worker.kick(app)
        elif sync_each:
            indexing.sync(app)
        if i in checkpoints:
            checkpoints[i](i)
    if background:
        _wait_until_indexed(app)
        worker.shutdown(app)
    else:
        indexing.sync(app)
    return time.perf_counter() - started


def _wait_until_indexed(app: Any) -> None:
    from sqlalchemy import func, select

    from records.db import session_scope
    from records.models import DocumentFile, IndexTask, TextStatus

    while True:
        with session_scope(app) as session:
            left = session.scalar(select(func.count()).select_from(IndexTask))
            pending = session.scalar(select(func.count()).select_from(DocumentFile)
                                     .where(DocumentFile.text_status == TextStatus.PENDING))
        if not left and not pending:
            return
        time.sleep(0.002)


def indexed_entries(app: Any) -> list[Any]:
    """The index entries of every filed document, built from the catalogue as sync builds them."""
    from sqlalchemy import select

    from records.db import session_scope
    from records.models import Document
    from records.search import indexing

    with session_scope(app) as session:
        ids = list(session.scalars(select(Document.id).order_by(Document.id)))
        docs = indexing._load(session, ids)
        texts = indexing._texts(session, docs)
        return [indexing.index_doc(d, texts.get(d.id, "")) for d in docs]


# --- the baselines ---------------------------------------------------------------------------


def hash_and_copy(samples: list[Sample], dest: Path) -> float:
    dest.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for sample in samples:
        digest = hashlib.sha256()
        tmp = dest / "incoming"
        with sample.path.open("rb") as src, tmp.open("wb") as dst:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
                dst.write(chunk)
        tmp.replace(dest / digest.hexdigest())
    return time.perf_counter() - started


def bare_index(entries: list[Any], folder: Path, batch: int) -> float:
    from records.search.base import open_index

    index = open_index(f"whoosh://{folder}")
    started = time.perf_counter()
    for start in range(0, len(entries), batch):
        index.add(entries[start:start + batch])
    return time.perf_counter() - started


# --- report ----------------------------------------------------------------------------------


def table(rows: list[tuple[Timing, str]]) -> str:
    out = io.StringIO()
    out.write(f"{'':48} {'seconds':>8} {'docs/s':>9} {'MB/s':>8}  note\n")
    for t, note in rows:
        mbs = f"{t.mb_per_s:8.1f}" if t.mb_per_s is not None else f"{'':8}"
        out.write(f"{t.label:48} {t.seconds:8.2f} {t.docs_per_s:9.1f} {mbs}  {note}\n")
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=500, help="documents in the throughput set")
    parser.add_argument("--words", type=int, default=300, help="words of text per document")
    parser.add_argument("--scans", type=float, default=0.0,
                        help="fraction of scans in the throughput set (default 0: text documents only)")
    parser.add_argument("--ocr-docs", type=int, default=3, help="scans for the separate OCR figure (0: skip)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="profile the at-the-end pipeline run and print "
                                                                "the hot spots")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="sandyk-ingest-"))
    try:
        print(f"Generating {args.docs} documents in {work} ...", file=sys.stderr)
        samples = make_samples(work / "files", args.docs, seed=args.seed, words=args.words, scans=args.scans,
                               prefix="doc-")
        total_mb = sum(s.path.stat().st_size for s in samples) / 2**20
        kinds = {k: sum(1 for s in samples if s.kind == k) for k in ("pdf", "docx", "scan")}

        # Memory at 1/4, 1/2 and all of the batch, in each run.
        marks = {max(1, args.docs // 4): "1/4", max(1, args.docs // 2): "1/2", args.docs: "full"}
        memory: dict[str, dict[int, tuple[float, float]]] = {"each": {}, "thread": {}, "end": {}}

        def note_memory(run: str) -> dict[int, Callable[[int], None]]:
            def note(i: int) -> None:
                memory[run][i] = (peak_rss_mb(), rss_mb())
            return {k: note for k in marks}

        print("Filing, index synced after every document ...", file=sys.stderr)
        app_each = make_app(work / "data-each")
        start_rss = rss_mb()
        each_s = file_all(app_each, samples, sync_each=True, checkpoints=note_memory("each"))

        print("Filing as the web app does on its defaults (background indexing thread) ...", file=sys.stderr)
        thread_s = file_all(make_app(work / "data-thread", worker="thread"), samples, sync_each=False,
                            checkpoints=note_memory("thread"))

        print("Filing, index synced at the end ...", file=sys.stderr)
        app_end = make_app(work / "data-end")
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        end_s = file_all(app_end, samples, sync_each=False, checkpoints=note_memory("end"))
        if profiler:
            profiler.disable()

        print("Baselines ...", file=sys.stderr)
        copy_s = hash_and_copy(samples, work / "copy")
        entries = indexed_entries(app_end)
        bare_each_s = bare_index(entries, work / "bare-each", batch=1)
        bare_batch_s = bare_index(entries, work / "bare-batch", batch=SYNC_BATCH)

        ocr: Timing | None = None
        if args.ocr_docs:
            print(f"OCR of {args.ocr_docs} scans ...", file=sys.stderr)
            scans = make_samples(work / "scans", args.ocr_docs, seed=args.seed + 1, words=120, scans=1.0,
                                 prefix="scan-")
            ocr_mb = sum(s.path.stat().st_size for s in scans) / 2**20
            ocr = Timing(f"pipeline, {args.ocr_docs} scans with OCR", file_all(app_end, scans, sync_each=True),
                         len(scans), ocr_mb)

        n = len(samples)
        rows = [
            (Timing("(a) sha256 + copy", copy_s, n, total_mb), ""),
            (Timing("(b) bare index add, one document per call", bare_each_s, n), ""),
            (Timing(f"(b) bare index add, {SYNC_BATCH} per call", bare_batch_s, n), ""),
            (Timing("pipeline, index synced after every document", each_s, n, total_mb),
             f"x{each_s / bare_each_s:.2f} of (b) one per call"),
            (Timing("pipeline, background indexing thread (default)", thread_s, n, total_mb),
             f"x{thread_s / bare_each_s:.2f} of (b) one per call, "
             f"x{thread_s / bare_batch_s:.2f} of (b) {SYNC_BATCH} per call"),
            (Timing("pipeline, index synced at the end (import)", end_s, n, total_mb),
             f"x{end_s / bare_batch_s:.2f} of (b) {SYNC_BATCH} per call"),
        ]
        if ocr is not None:
            rows.append((ocr, f"{ocr.seconds / ocr.docs:.2f} s per scan"))
        print()
        print(f"Ingest: {n} documents ({kinds['pdf']} PDF, {kinds['docx']} DOCX, {kinds['scan']} scans), "
              f"{total_mb:.1f} MB, about {args.words} words each; SQLite, Whoosh")
        print(table(rows))
        print(f"Memory (MB) while filing; RSS before the first document {start_rss:.0f}:")
        print(f"  {'documents':>14}  {'synced after each: peak RSS':>28} {'RSS':>6}  {'background thread: RSS':>23}"
              f"  {'synced at the end: RSS':>23}")
        for i, label in marks.items():
            peak, now = memory["each"][i]
            print(f"  {i:>8} ({label:>4})  {peak:>28.0f} {now:>6.0f}  {memory['thread'][i][1]:>23.0f}"
                  f"  {memory['end'][i][1]:>23.0f}")
        if kinds["scan"] == 0:
            print(f"\nTarget (text documents): the pipeline within x{TARGET_RATIO} of bare index insertion:")
            for label, ratio in (
                    ("uploads, index synced after every document, against one document per call", each_s / bare_each_s),
                    ("uploads on the defaults (background thread), against one document per call",
                     thread_s / bare_each_s),
                    (f"uploads on the defaults (background thread), against {SYNC_BATCH} per call",
                     thread_s / bare_batch_s),
                    (f"import, index synced at the end, against {SYNC_BATCH} per call", end_s / bare_batch_s)):
                print(f"  {label}: x{ratio:.2f}, {'met' if ratio <= TARGET_RATIO else 'NOT met'}")
        if profiler:
            print("\nHot spots of the at-the-end run (cumulative time):")
            stream = io.StringIO()
            pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(30)
            print(stream.getvalue())
        return 0
    finally:
        if args.keep:
            print(f"Kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
