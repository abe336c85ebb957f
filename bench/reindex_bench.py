"""Reindex benchmark: the product's ``index reindex`` against SQLite FTS5 and tantivy on the same corpus.

    python bench/reindex_bench.py --docs 10000 [--batch 200] [--profile]

Generates a Kyrgyz/Russian corpus (``bench.corpus``, ~20 KB of UTF-8 text per document, a long-tail
vocabulary, the same documents as ``bench/search_bench.py``), files it straight into a fresh catalogue
(documents, their file versions and their extracted text, inserted in bulk: filing is not measured
here), then builds a search index of the same documents three ways, one after the other:

(a) the product: ``flask --app app index reindex`` run as its own process on that catalogue, the real
    command, reading the catalogue and writing the Whoosh index; its wall time and peak resident
    memory are measured from outside (process start-up included);
(b) SQLite FTS5 (``unicode61`` tokenizer, positions), title + body + metadata table, optimized at the end;
(c) tantivy (``pip install tantivy``; skipped when it is not installed), the same fields, positions
    kept, writer on every core, one commit per batch and a final merge wait.

FTS5 and tantivy are timed on insertion only (the corpus is regenerated outside the clock, a batch
at a time, so memory stays bounded at 100 000 documents). Prints documents/s, build time, index size
against the text size, and the targets: the product's build time within 5x of tantivy's (goal 3x),
the index at most 2x the text, peak memory under 1 GB (meant at 100 000 documents).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.search_bench import FTS_SCHEMA, index_docs  # noqa: E402
from records.search.base import IndexDoc  # noqa: E402

BATCH = 500
TARGET_TANTIVY = 5.0
GOAL_TANTIVY = 3.0
TARGET_SIZE = 2.0
TARGET_RSS_MB = 1024.0


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def batches(n: int, seed: int) -> Iterator[list[IndexDoc]]:
    docs = index_docs(n, seed)
    while batch := list(islice(docs, BATCH)):
        yield batch


# -- the catalogue -----------------------------------------------------------------------------------


def _environment(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "SANDYK_DATA_DIR": str(data_dir), "SANDYK_SECRET_KEY": "bench",
            "SANDYK_ADMIN_PASSWORD": "bench-password-1", "SANDYK_WORKER": "inline"}


def fill_catalogue(data_dir: Path, n: int, seed: int) -> int:
    """A fresh data folder holding the corpus as filed documents with their text; returns the text bytes."""
    from sqlalchemy import insert

    from app import create_app
    from records.cases import case_for_filing
    from records.cli import setup_data
    from records.db import session_scope
    from records.models import Blob, Document, DocumentFile, DocumentText, TextStatus

    app = create_app({"DATA_DIR": str(data_dir), "WORKER": "inline", "SECRET_KEY": "bench",
                      "ADMIN_PASSWORD": "bench-password-1"})
    with app.app_context():
        setup_data(app, echo=False)
    cases: dict[tuple[int, str], int] = {}
    text_bytes = 0
    now = datetime.now(UTC)
    for batch in batches(n, seed):
        with session_scope(app) as session:
            for doc in batch:
                key = (doc.year, doc.case_index)
                if key not in cases:
                    cases[key] = case_for_filing(session, doc.year, doc.case_index, actor=None).id
            session.flush()
            blobs, documents, files, texts = [], [], [], []
            for doc in batch:
                data = doc.text.encode()
                text_bytes += len(data)
                sha = hashlib.sha256(data).hexdigest()
                blobs.append({"sha256": sha, "size": len(data), "mime": "application/pdf", "created_at": now})
                documents.append({"id": doc.id, "case_id": cases[doc.year, doc.case_index], "doc_type": doc.doc_type,
                                  "title": doc.title, "doc_date": doc.doc_date, "number": doc.number,
                                  "counterparty": doc.counterparty, "language": doc.language, "details": {},
                                  "state": "active", "text_status": TextStatus.DONE, "created_at": now})
                files.append({"id": doc.id, "document_id": doc.id, "version": 1, "sha256": sha, "size": len(data),
                              "mime": "application/pdf", "kind": "pdf", "original_filename": doc.filenames[0],
                              "uploaded_at": now, "text_status": TextStatus.DONE, "text_method": "pdf-text"})
                texts.append({"file_id": doc.id, "text": doc.text})
            session.execute(insert(Blob), blobs)
            session.execute(insert(Document), documents)
            session.execute(insert(DocumentFile), files)
            session.execute(insert(DocumentText), texts)
    app.extensions.get("sandyk.index") and app.extensions["sandyk.index"].close()
    return text_bytes


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _tree_rss_mb(root: int) -> float:
    """Resident memory of ``root`` and every process below it, in MB (Linux ``/proc``)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = Path(entry.path, "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        children.setdefault(int(fields.get("PPid", "0").strip() or 0), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0]) if "VmRSS" in fields else 0
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, ()))
    return total / 1024


def run_product(data_dir: Path, batch: int, profile: Path | None) -> tuple[float, float, float, float, str]:
    """``flask --app app index reindex`` on the catalogue: (seconds, CPU seconds, peak RSS of its largest
    process in MB, peak RSS of all its processes together in MB, its output)."""
    command = [sys.executable, "-m", "flask", "--app", "app", "index", "reindex", "--batch", str(batch)]
    if profile is not None:
        command[1:3] = ["-m", "cProfile", "-o", str(profile), "-m", "flask"]
    cpu = cpu_seconds(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=_environment(data_dir), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    tree_peak = 0.0
    while process.poll() is None:  # the rebuild's processes together, sampled five times a second
        tree_peak = max(tree_peak, _tree_rss_mb(process.pid))
        time.sleep(0.2)
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"index reindex failed:\n{stderr}")
    # The largest resident set of any process waited for so far (the command and its building processes).
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    tree_peak = max(tree_peak, peak)  # a command too short for a sample still had its own peak
    return seconds, cpu_seconds(resource.RUSAGE_CHILDREN) - cpu, peak, tree_peak, stdout.strip()


# -- the other engines ---------------------------------------------------------------------------------


def run_fts(path: Path, n: int, seed: int) -> tuple[float, float]:
    conn = sqlite3.connect(path)
    conn.executescript(FTS_SCHEMA)
    spent = spent_cpu = 0.0
    for batch in batches(n, seed):
        rows = [(d.id, d.title, "\n".join([d.text, d.counterparty or "", d.number or "", *d.filenames]))
                for d in batch]
        meta = [(d.id, d.case_index, d.year, d.doc_type, d.doc_date.isoformat() if d.doc_date else None, d.number,
                 d.language, d.counterparty) for d in batch]
        started, cpu = time.perf_counter(), cpu_seconds(resource.RUSAGE_SELF)
        with conn:
            conn.executemany("INSERT INTO docs(rowid, title, body) VALUES (?, ?, ?)", rows)
            conn.executemany("INSERT INTO meta VALUES (?, ?, ?, ?, ?, ?, ?, ?)", meta)
        spent += time.perf_counter() - started
        spent_cpu += cpu_seconds(resource.RUSAGE_SELF) - cpu
    started, cpu = time.perf_counter(), cpu_seconds(resource.RUSAGE_SELF)
    conn.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    conn.commit()
    spent += time.perf_counter() - started
    spent_cpu += cpu_seconds(resource.RUSAGE_SELF) - cpu
    conn.close()
    return spent, spent_cpu


def run_tantivy(path: Path, n: int, seed: int) -> tuple[float, float] | None:
    try:
        import tantivy
    except ImportError:
        return None
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    builder.add_text_field("title", stored=True, index_option="position")
    builder.add_text_field("body", index_option="position")
    for name in ("case_index", "doc_type", "language", "number"):
        builder.add_text_field(name, stored=True, tokenizer_name="raw", fast=True)
    builder.add_integer_field("year", stored=True, indexed=True, fast=True)
    builder.add_date_field("doc_date", stored=True, indexed=True, fast=True)
    builder.add_bytes_field("excerpt", stored=True)
    schema = builder.build()
    path.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(schema, path=str(path))
    writer = index.writer(heap_size=256 * 2**20, num_threads=os.cpu_count() or 1)
    spent = spent_cpu = 0.0
    for batch in batches(n, seed):
        started, cpu = time.perf_counter(), cpu_seconds(resource.RUSAGE_SELF)
        for d in batch:
            writer.add_document(tantivy.Document(
                id=d.id, title=d.title, body="\n".join([d.text, d.counterparty or "", d.number or "", *d.filenames]),
                case_index=d.case_index, doc_type=d.doc_type, language=d.language or "", number=d.number or "",
                year=d.year, doc_date=datetime(d.doc_date.year, d.doc_date.month, d.doc_date.day) if d.doc_date
                else datetime(1970, 1, 1), excerpt=d.text[:4000].encode()))
        writer.commit()
        spent += time.perf_counter() - started
        spent_cpu += cpu_seconds(resource.RUSAGE_SELF) - cpu
    started, cpu = time.perf_counter(), cpu_seconds(resource.RUSAGE_SELF)
    writer.wait_merging_threads()
    spent += time.perf_counter() - started
    spent_cpu += cpu_seconds(resource.RUSAGE_SELF) - cpu
    return spent, spent_cpu


# -- report --------------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000, help="documents in the corpus")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=200, help="the reindex command's --batch")
    parser.add_argument("--dir", type=Path, default=None, help="work here and keep everything (default: a temp folder)")
    parser.add_argument("--reuse", action="store_true", help="with --dir: reindex the catalogue already filled there")
    parser.add_argument("--product-only", action="store_true", help="measure the product's reindex alone")
    parser.add_argument("--processes", type=int, default=0,
                        help="processes the product builds the index with (SANDYK_INDEX_PROCESSES; 0: one per core)")
    parser.add_argument("--profile", type=Path, default=None, help="write a cProfile of the product's reindex here")
    args = parser.parse_args(argv)

    work = args.dir or Path(tempfile.mkdtemp(prefix="sandyk-reindex-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"Reindex: {args.docs} documents (seed {args.seed}); {os.cpu_count()} CPU(s); work folder {work}", flush=True)
    try:
        data_dir = work / "data"
        filled = work / "catalogue.txt"  # "<documents> <seed> <text bytes>" of the catalogue in data/
        reuse = args.reuse and args.dir is not None and filled.exists() and \
            filled.read_text().split()[:2] == [str(args.docs), str(args.seed)]
        if reuse:
            text_bytes = int(filled.read_text().split()[2])
            print("catalogue reused")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
            started = time.perf_counter()
            text_bytes = fill_catalogue(data_dir, args.docs, args.seed)
            filled.write_text(f"{args.docs} {args.seed} {text_bytes}\n")
            print(f"catalogue filled in {time.perf_counter() - started:.1f} s", flush=True)
        text_mb = text_bytes / 2**20
        print(f"text {text_mb:.1f} MB (avg {text_bytes / args.docs / 1024:.1f} KB/doc)")

        os.environ["SANDYK_INDEX_PROCESSES"] = str(args.processes)
        seconds, cpu, peak, tree_peak, output = run_product(data_dir, args.batch, args.profile)
        product_mb = folder_bytes(data_dir / "index") / 2**20
        print(f"  product said: {output}", flush=True)
        rows = [("(a) product: flask index reindex", seconds, cpu, product_mb)]
        fts = tantivy = None
        if not args.product_only:
            fts_path = work / "fts5.db"
            fts_path.unlink(missing_ok=True)
            fts = run_fts(fts_path, args.docs, args.seed)
            rows.append(("(b) SQLite FTS5", *fts, fts_path.stat().st_size / 2**20))
            tantivy_path = work / "tantivy"
            shutil.rmtree(tantivy_path, ignore_errors=True)
            tantivy = run_tantivy(tantivy_path, args.docs, args.seed)
            if tantivy is None:
                print("tantivy not installed, skipped")
            else:
                rows.append(("(c) tantivy", *tantivy, folder_bytes(tantivy_path) / 2**20))

        # CPU seconds are given beside the wall time: on a shared machine they show the work done.
        print(f"{'engine':34} {'docs/s':>8} {'build s':>8} {'CPU s':>8} {'index MB':>9} {'x text':>7}")
        for label, spent, spent_cpu, size in rows:
            print(f"{label:34} {args.docs / spent:8.1f} {spent:8.1f} {spent_cpu:8.1f} {size:9.1f} {size / text_mb:7.2f}")
        print(f"product peak RSS: {peak:.0f} MB in its largest process, {tree_peak:.0f} MB in all its processes "
              f"together ({args.processes or os.cpu_count()} building processes)")
        if fts is not None:
            print(f"product against FTS5: build time x{seconds / fts[0]:.2f}, CPU time x{cpu / fts[1]:.2f}")
        if tantivy is not None:
            ratio = seconds / tantivy[0]
            print(f"product against tantivy: build time x{ratio:.2f}, CPU time x{cpu / tantivy[1]:.2f}")
            print(f"target: build time within {TARGET_TANTIVY:g}x of tantivy: x{ratio:.2f}, {verdict(ratio <= TARGET_TANTIVY)}")
            print(f"goal: build time within {GOAL_TANTIVY:g}x of tantivy: x{ratio:.2f}, {verdict(ratio <= GOAL_TANTIVY)}")
        size_ratio = product_mb / text_mb
        print(f"target: index at most {TARGET_SIZE:g}x the text: x{size_ratio:.2f}, {verdict(size_ratio <= TARGET_SIZE)}")
        print(f"target: peak memory under {TARGET_RSS_MB:.0f} MB (meant at 100000 documents; this run {args.docs}): "
              f"{tree_peak:.0f} MB, {verdict(tree_peak < TARGET_RSS_MB)}")
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
