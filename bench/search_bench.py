"""Search benchmark: the Whoosh index against SQLite FTS5 on the same generated corpus and queries.

    python bench/search_bench.py --docs 10000

Generates a Kyrgyz/Russian corpus (``bench.corpus``, ~20 KB of UTF-8 text per document, a long-tail
vocabulary), indexes it through the application's real index (``records.search.whoosh_index``) and
into an FTS5 table, then runs a fixed mix of about 60 queries (single words of every frequency,
inflected forms, two words, phrases, prefixes, field filters sorted by date) for a 20-result page with
total and facet counts, with and without snippets. Reports ingest documents/s, index size, peak
memory (resident set) and latency percentiles per engine.

FTS5 gets the same work where it can do it: the page, the total and the three facet counts, and its
own ``snippet()``; it has no stemming, so it matches only the word forms typed.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import TAIL_LEXICON, _tail_lexicon, generate_documents  # noqa: E402
from records.search.base import IndexDoc  # noqa: E402
from records.search.whoosh_index import WhooshIndex  # noqa: E402

PER_PAGE = 20
BATCH = 500
WORDS_PER_DOC = 1200  # about 20 KB of UTF-8 Cyrillic text
TAIL_SHARE = 0.3


@dataclass(frozen=True)
class Query:
    kind: str
    q: str  # the one-box query language
    fts: str  # the FTS5 MATCH expression for the same words ('' = no text condition)
    where: str = ""  # FTS5 side: SQL condition on the metadata table
    sort: str = "relevance"


def _tail_word(rank: int) -> str:
    words, _ = _tail_lexicon(TAIL_LEXICON)
    return words[rank - 1]


def queries() -> list[Query]:
    """The fixed mix, about 60 queries."""
    found: list[Query] = []
    # Single words: every document, most documents, some, few (tail ranks 1 .. 50 000).
    for word in ("кафедранын", "кафедры", "практика", "протокол", "студентов", "келишимдер", "предприятиями",
                 "аттестациялык", "дипломдук", "квалификации", "лабораторных", "металлургиялык"):
        found.append(Query("word", word, f'"{word}"'))
    for rank in (1, 3, 10, 30, 100, 300, 1000, 3000, 10000, 30000, 50000, 59000):
        word = _tail_word(rank)
        found.append(Query("word-tail", word, f'"{word}"'))
    # Two words.
    for first, second in (("келишим", "практика"), ("протокол", "деканат"), ("отчет", "кафедры"),
                          ("договор", "руднике"), ("окуу", "планы"), (_tail_word(5), _tail_word(50)),
                          (_tail_word(200), "кафедранын"), ("студенттер", _tail_word(2000))):
        found.append(Query("two-words", f"{first} {second}", f'"{first}" "{second}"'))
    # Phrases.
    for phrase in ("окуу планы", "горному делу", "государственной аттестационной комиссии",
                   "кен казуучу ишканаларда", "заседании кафедры", "учебный план"):
        found.append(Query("phrase", f'"{phrase}"', f'"{phrase}"'))
    # Prefixes, two letters up to a word start.
    for prefix in ("ка", "по", "ме", "кафед", "лаб", "пра", "дип", _tail_word(7)[:3], "ст", "кв"):
        found.append(Query("prefix", f"{prefix}*", f'"{prefix}" *'))
    # Field filters, newest first.
    found += [
        Query("field-date", "year:2023 протокол", '"протокол"', "m.year = 2023", "date"),
        Query("field-date", "type:contract counterparty:Кумтөр", '"Кумтөр"', "m.doc_type = 'contract'", "date"),
        Query("field-date", "index:12-4-7 date:2023-01-01..2023-06-30", "",
              "m.case_index = '12-4-7' AND m.doc_date BETWEEN '2023-01-01' AND '2023-06-30'", "date"),
        Query("field-date", "year:2021 type:order практика", '"практика"', "m.year = 2021 AND m.doc_type = 'order'",
              "date"),
        Query("field-date", "lang:ru договор", '"договор"', "m.language = 'ru'", "date"),
        Query("field-date", f"year:2024 {_tail_word(20)}", f'"{_tail_word(20)}"', "m.year = 2024", "date"),
        Query("field-date", "type:sac date:2022-01-01..", "", "m.doc_type = 'sac' AND m.doc_date >= '2022-01-01'",
              "date"),
        Query("field-date", "number:15 -type:order", "", "m.number = '15' AND m.doc_type <> 'order'", "date"),
    ]
    return found


def index_docs(n: int, seed: int) -> Iterator[IndexDoc]:
    for doc_id, raw in enumerate(generate_documents(n, seed, words=WORDS_PER_DOC, tail=TAIL_SHARE), start=1):
        yield IndexDoc(
            id=doc_id, title=raw["title"], text=raw["text"], case_index=raw["index"], year=raw["year"],
            doc_type=raw["doc_type"], doc_date=date.fromisoformat(raw["doc_date"]), number=raw["number"],
            counterparty=raw["counterparty"], language=raw["language"], filenames=[f"document-{doc_id}.pdf"],
        )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def resident_split() -> str:
    """What the process holds now: its own memory, and file pages (the memory-mapped index) that the
    operating system's cache shares and takes back when memory is short."""
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
        anon, mapped = (int(fields[key].split()[0]) / 1024 for key in ("RssAnon", "RssFile"))
    except (OSError, KeyError, ValueError):
        return ""  # not Linux
    return f" (now {anon:.0f} MB private, {mapped:.0f} MB of mapped file pages)"


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


# -- ingest ------------------------------------------------------------------------------------------


def ingest_whoosh(index: WhooshIndex, n: int, seed: int, report: Callable[[int], None]) -> tuple[float, int]:
    """Index the corpus in batches (one writer commit per batch, as ``reindex`` does); returns seconds spent
    indexing (generation excluded) and the text bytes."""
    spent, size, done = 0.0, 0, 0
    docs = index_docs(n, seed)
    while batch := list(islice(docs, BATCH)):
        size += sum(len(doc.text.encode()) for doc in batch)
        started = time.perf_counter()
        index.add(batch)
        spent += time.perf_counter() - started
        done += len(batch)
        report(done)
    return spent, size


FTS_SCHEMA = """
CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize = 'unicode61');
CREATE TABLE meta (id INTEGER PRIMARY KEY, case_index TEXT, year INTEGER, doc_type TEXT, doc_date TEXT,
                   number TEXT, language TEXT, counterparty TEXT);
CREATE INDEX meta_year ON meta(year); CREATE INDEX meta_type ON meta(doc_type);
CREATE INDEX meta_index ON meta(case_index); CREATE INDEX meta_date ON meta(doc_date);
"""


def ingest_fts(path: Path, n: int, seed: int) -> tuple[sqlite3.Connection, float]:
    conn = sqlite3.connect(path)
    conn.executescript(FTS_SCHEMA)
    spent = 0.0
    docs = index_docs(n, seed)
    while batch := list(islice(docs, BATCH)):
        started = time.perf_counter()
        with conn:
            conn.executemany("INSERT INTO docs(rowid, title, body) VALUES (?, ?, ?)",
                             [(d.id, d.title, "\n".join([d.text, d.counterparty or "", d.number or ""])) for d in batch])
            conn.executemany("INSERT INTO meta VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             [(d.id, d.case_index, d.year, d.doc_type, d.doc_date.isoformat() if d.doc_date else None,
                               d.number, d.language, d.counterparty) for d in batch])
        spent += time.perf_counter() - started
    started = time.perf_counter()
    conn.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    conn.commit()
    spent += time.perf_counter() - started
    return conn, spent


# -- queries -----------------------------------------------------------------------------------------


def run_fts(conn: sqlite3.Connection, query: Query, snippets: bool) -> int:
    """A page of 20, the total and the year/index/type facet counts, as the search page needs."""
    conditions, params = [], []
    if query.fts:
        conditions.append("docs MATCH ?")
        params.append(query.fts)
    if query.where:
        conditions.append(query.where)
    where = " AND ".join(conditions) or "1"
    source = "docs JOIN meta m ON m.id = docs.rowid" if query.fts else "meta m"
    order = "m.doc_date DESC" if query.sort == "date" else ("rank" if query.fts else "m.id")
    snippet = "snippet(docs, 1, '<mark>', '</mark>', '…', 32)" if snippets and query.fts else "''"
    columns = f"m.id, m.year, m.case_index, m.doc_type, m.doc_date, {snippet}"
    rows = conn.execute(f"SELECT {columns} FROM {source} WHERE {where} ORDER BY {order} LIMIT {PER_PAGE}",
                        params).fetchall()
    total = conn.execute(f"SELECT count(*) FROM {source} WHERE {where}", params).fetchone()[0]
    for column in ("m.year", "m.case_index", "m.doc_type"):
        conn.execute(f"SELECT {column}, count(*) FROM {source} WHERE {where} GROUP BY {column}", params).fetchall()
    del rows
    return int(total)


def measure(run: Callable[[Query], int], mix: list[Query], repeat: int) -> tuple[list[float], dict[str, Any]]:
    samples: list[float] = []
    slowest: dict[str, Any] = {}
    by_kind: dict[str, list[float]] = {}
    totals: dict[str, int] = {}
    for query in mix:
        totals[query.q] = run(query)  # warm-up: first use of the query's terms
    for _ in range(repeat):
        for query in mix:
            started = time.perf_counter()
            run(query)
            elapsed = (time.perf_counter() - started) * 1000
            samples.append(elapsed)
            by_kind.setdefault(query.kind, []).append(elapsed)
            if elapsed > slowest.get(query.q, (0.0, ""))[0]:
                slowest[query.q] = (elapsed, query.kind)
    return samples, {"slowest": sorted(slowest.items(), key=lambda item: -item[1][0])[:5], "totals": totals,
                     "kinds": by_kind}


def percentiles(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": statistics.median(samples), "p95": cuts[94], "p99": cuts[98], "max": max(samples)}


def line(name: str, stats: dict[str, float]) -> str:
    return f"  {name:34} " + "  ".join(f"{key} {value:8.1f} ms" for key, value in stats.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000, help="documents in the corpus")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each query (after one warm-up)")
    parser.add_argument("--dir", type=Path, default=None, help="keep the indexes here (default: a temp folder)")
    parser.add_argument("--skip-fts", action="store_true", help="measure the Whoosh index only")
    parser.add_argument("--dump", type=Path, default=None,
                        help="write each query's total, facets and page of ids as JSON (to compare engine versions)")
    parser.add_argument("--reuse", action="store_true",
                        help="with --dir: measure the indexes already built there instead of building them again")
    args = parser.parse_args(argv)

    work = args.dir or Path(tempfile.mkdtemp(prefix="sandyk-search-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    mix = queries()
    print(f"corpus: {args.docs} documents (seed {args.seed}), {len(mix)} queries, {args.repeat} timed runs each; "
          f"{os.cpu_count()} CPU(s); work folder {work}")
    try:
        index_path = work / "whoosh"
        reuse = args.reuse and args.dir is not None
        if reuse and index_path.exists():
            index = WhooshIndex(index_path)
            print(f"whoosh: reusing {index.doc_count()} indexed documents, index {folder_mb(index_path):.0f} MB")
        else:
            shutil.rmtree(index_path, ignore_errors=True)
            index = WhooshIndex(index_path)
            step = max(args.docs // 10, BATCH)

            def report(done: int) -> None:
                if done % step < BATCH or done == args.docs:
                    print(f"  indexed {done}/{args.docs} (peak RSS {peak_rss_mb():.0f} MB)", flush=True)

            spent, text_bytes = ingest_whoosh(index, args.docs, args.seed, report)
            gc.collect()
            whoosh_rss = peak_rss_mb()
            print(f"whoosh ingest: {args.docs / spent:8.1f} docs/s ({spent:.1f} s), text {text_bytes / 2**20:.0f} MB "
                  f"(avg {text_bytes / args.docs / 1024:.1f} KB/doc), index {folder_mb(index_path):.0f} MB, "
                  f"peak RSS {whoosh_rss:.0f} MB")
        if args.dump is not None:
            dumped = {}
            for query in mix:
                found = index.search(query.q, per_page=PER_PAGE, sort=query.sort, snippets=True)
                dumped[query.q] = {"total": found.total, "facets": found.facets,
                                   "ids": [hit.id for hit in found.hits], "snippets": [hit.snippet for hit in found.hits]}
            args.dump.write_text(json.dumps(dumped, ensure_ascii=False, indent=1, sort_keys=True))
        results: dict[str, dict[str, float]] = {}
        details: dict[str, Any] = {}
        for snippets in (False, True):
            name = f"whoosh {'with' if snippets else 'without'} snippets"
            samples, details[name] = measure(
                lambda q, s=snippets: index.search(q.q, per_page=PER_PAGE, sort=q.sort, snippets=s).total,  # type: ignore[misc]
                mix, args.repeat)
            results[name] = percentiles(samples)
        if not args.skip_fts:
            fts_path = work / "fts5.db"
            if reuse and fts_path.exists():
                conn = sqlite3.connect(fts_path)
            else:
                fts_path.unlink(missing_ok=True)
                conn, fts_spent = ingest_fts(fts_path, args.docs, args.seed)
                print(f"fts5 ingest:   {args.docs / fts_spent:8.1f} docs/s ({fts_spent:.1f} s), "
                      f"database {fts_path.stat().st_size / 2**20:.0f} MB")
            for snippets in (False, True):
                name = f"fts5 {'with' if snippets else 'without'} snippets"
                samples, details[name] = measure(lambda q, s=snippets: run_fts(conn, q, s), mix,  # type: ignore[misc]
                                                 args.repeat)
                results[name] = percentiles(samples)
            conn.close()
        print(f"query latency, {PER_PAGE}-result page with total and facets:")
        for name, stats in results.items():
            print(line(name, stats))
        for name, info in details.items():
            slow = ", ".join(f"{q!r} ({kind}) {ms:.0f} ms" for q, (ms, kind) in info["slowest"][:3])
            print(f"  slowest, {name}: {slow}")
            print(f"  by kind (median/max ms), {name}: " + "; ".join(
                f"{kind} {statistics.median(v):.0f}/{max(v):.0f}" for kind, v in info["kinds"].items()))
        totals = details["whoosh with snippets"]["totals"]
        print("whoosh hits per query kind (min..max): " + "; ".join(
            f"{kind} {min(v)}..{max(v)}" for kind, v in _by_kind(mix, totals).items()))
        print(f"peak RSS of the whole run: {peak_rss_mb():.0f} MB{resident_split()}")
        index.close()
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def _by_kind(mix: list[Query], totals: dict[str, int]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for query in mix:
        grouped.setdefault(query.kind, []).append(totals[query.q])
    return grouped


if __name__ == "__main__":
    raise SystemExit(main())
