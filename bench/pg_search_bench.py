"""PostgreSQL search benchmark: the ``postgres-fts:`` backend against the Whoosh backend, same corpus.

    python bench/pg_search_bench.py --docs 20000

Builds the generated Kyrgyz/Russian corpus of ``bench/search_bench.py`` (~20 KB of text per document)
into both backends through the application's own index classes (the PostgreSQL one in a schema of its
own in ``--pg-url``'s database), then runs the same query mix on both, one client, for a 20-result page
with total, facets and snippets. Prints p50/p95 per query kind for each backend and the ratio of the
PostgreSQL p95 to the Whoosh p95 per kind against the target (within 3x), the totals that differ, the
size of the search table against the text, and ``EXPLAIN ANALYZE`` of one query per kind with
``--plans``.

``--dir`` and ``--schema`` keep what was built; ``--reuse`` measures it again without rebuilding;
``--rebuild-postgresql`` keeps the Whoosh side and builds the PostgreSQL side again (after a change to
what the PostgreSQL backend stores).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench.search_bench import BATCH, PER_PAGE, Query, index_docs, percentiles, queries  # noqa: E402
from records.search.whoosh_index import WhooshIndex  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGET_RATIO = 3.0


def _schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def pg_index(url: str, work: Path) -> Any:
    from app import create_app
    from records.search.pg_index import PgIndex

    app = create_app({"DATABASE_URL": url, "DATA_DIR": str(work), "INDEX_URL": "postgres-fts:", "WORKER": "off",
                      "SECRET_KEY": "bench"})
    return app, PgIndex(app)


def build(index: Any, n: int, seed: int, name: str) -> None:
    spent, done = 0.0, 0
    docs = index_docs(n, seed)
    while batch := list(islice(docs, BATCH)):
        started = time.perf_counter()
        index.add(batch)
        spent += time.perf_counter() - started
        done += len(batch)
    print(f"{name} ingest: {n / spent:8.1f} docs/s ({spent:.1f} s)", flush=True)


Timings = dict[str, list[float]]


def measure(indexes: list[Any], mix: list[Query], repeat: int) -> list[tuple[Timings, dict[str, int]]]:
    """Each query on each index in turn, so a passing load on a shared machine weighs on both alike."""
    found: list[tuple[Timings, dict[str, int]]] = [({}, {}) for _ in indexes]
    for query in mix:
        for index, (_, totals) in zip(indexes, found):
            totals[query.q] = index.search(query.q, per_page=PER_PAGE, sort=query.sort).total  # warm-up
    for _ in range(repeat):
        for query in mix:
            for index, (by_kind, _) in zip(indexes, found):
                started = time.perf_counter()
                index.search(query.q, per_page=PER_PAGE, sort=query.sort)
                by_kind.setdefault(query.kind, []).append((time.perf_counter() - started) * 1000)
    return found


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[94] if len(samples) > 1 else samples[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg-url", default=os.environ.get("SANDYK_TEST_PG_URL", PG_DEFAULT))
    parser.add_argument("--schema", default=None, help="keep the PostgreSQL side in this schema")
    parser.add_argument("--dir", type=Path, default=None, help="keep the Whoosh side in this folder")
    parser.add_argument("--reuse", action="store_true", help="measure what --dir/--schema hold without rebuilding")
    parser.add_argument("--rebuild-postgresql", action="store_true",
                        help="with --dir/--schema: keep the Whoosh side, build the PostgreSQL side again")
    parser.add_argument("--plans", action="store_true", help="print EXPLAIN ANALYZE of one query per kind")
    args = parser.parse_args(argv)

    from records import migrate

    work = args.dir or Path(tempfile.mkdtemp(prefix="sandyk-pg-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    schema = args.schema or f"sandyk_bench_{os.getpid()}"
    admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    kept = args.schema is not None and args.dir is not None
    reuse_whoosh = kept and (args.reuse or args.rebuild_postgresql)
    reuse = kept and args.reuse and not args.rebuild_postgresql
    if not reuse:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = _schema_url(args.pg_url, schema)
        migrate.upgrade(url)
    url = _schema_url(args.pg_url, schema)
    mix = queries()
    print(f"corpus: {args.docs} documents (seed {args.seed}), {len(mix)} queries x {args.repeat}; "
          f"{os.cpu_count()} CPU(s)")
    try:
        whoosh_path = work / "whoosh"
        if not reuse_whoosh:
            shutil.rmtree(whoosh_path, ignore_errors=True)
        whoosh = WhooshIndex(whoosh_path)
        app, pg = pg_index(url, work / "pg-data")
        if not reuse_whoosh:
            build(whoosh, args.docs, args.seed, "whoosh")
        if not reuse:
            build(pg, args.docs, args.seed, "postgresql")
            with app.app_context():
                with pg.engine.connect() as conn:
                    conn.execute(text("ANALYZE search_entry"))
                    conn.commit()
        with pg.engine.connect() as conn:
            size = conn.execute(text("SELECT pg_total_relation_size('search_entry')")).scalar() or 0
            text_mb = conn.execute(text("SELECT sum(pg_column_size(excerpt)) FROM search_entry")).scalar() or 0
        print(f"postgresql search table with its indexes: {size / 2**20:.0f} MB")
        (w_kinds, w_totals), (p_kinds, p_totals) = measure([whoosh, pg], mix, args.repeat)
        print(f"{'kind':12} {'whoosh p50/p95 ms':>20} {'postgresql p50/p95 ms':>24} {'p95 ratio':>10}  target <= {TARGET_RATIO:.0f}x")
        worst = 0.0
        for kind in w_kinds:
            w, p = w_kinds[kind], p_kinds[kind]
            ratio = p95(p) / max(p95(w), 0.001)
            worst = max(worst, ratio)
            print(f"{kind:12} {statistics.median(w):9.1f} /{p95(w):8.1f} {statistics.median(p):12.1f} /{p95(p):8.1f}"
                  f" {ratio:9.2f}x  {'met' if ratio <= TARGET_RATIO else 'NOT met'}")
        all_w = [v for vs in w_kinds.values() for v in vs]
        all_p = [v for vs in p_kinds.values() for v in vs]
        print("overall whoosh:     " + "  ".join(f"{k} {v:.1f} ms" for k, v in percentiles(all_w).items()))
        print("overall postgresql: " + "  ".join(f"{k} {v:.1f} ms" for k, v in percentiles(all_p).items()))
        print(f"worst kind ratio {worst:.2f}x: target within {TARGET_RATIO:.0f}x "
              f"{'met' if worst <= TARGET_RATIO else 'NOT met'}")
        differ = [(q.q, w_totals[q.q], p_totals[q.q]) for q in mix if w_totals[q.q] != p_totals[q.q]]
        print(f"totals equal on {len(mix) - len(differ)} of {len(mix)} queries"
              + ("; differ: " + "; ".join(f"{q!r} whoosh {w} pg {p}" for q, w, p in differ) if differ else ""))
        if args.plans:
            from records.search import pg_index as module

            seen: set[str] = set()
            for query in mix:
                if query.kind in seen:
                    continue
                seen.add(query.kind)
                print(f"\n--- plan: {query.kind}: {query.q}")
                for line in module.explain(pg, query.q, sort=query.sort):
                    print("   " + line)
        whoosh.close()
        del text_mb
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)
        if args.schema is None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
