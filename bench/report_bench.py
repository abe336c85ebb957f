"""Benchmark of the yearly expiry list over a large catalogue.

    python bench/report_bench.py --cases 100000 --docs 1000000 [--year 2026] [--db PATH] [--repeat 5]

Generates a catalogue straight into a SQLite file with bulk inserts (the shipped nomenclature for
every year from 2001, its cases in volumes, documents spread over them, some overrides and holds),
then times :func:`records.disposition.expiry.expiry_list` for one year against a bare SQL count over the same
tables in the same run. The target is under one second for the list.
"""
from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIRST_YEAR = 2001
NOW = "2026-01-01 00:00:00.000000"


def generate(path: Path, n_cases: int, n_docs: int, last_year: int, seed: int = 7) -> None:
    from records import migrate
    from records.nomenclature import shipped_rows

    migrate.upgrade(f"sqlite:///{path}")
    rnd = random.Random(seed)
    rows = shipped_rows()
    years = list(range(FIRST_YEAR, last_year + 1))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA journal_mode=OFF")
    cur = conn.cursor()
    items: list[tuple[int, int, str]] = []  # (item id, year, index)
    item_id = 0
    for nom_id, year in enumerate(years, start=1):
        cur.execute("INSERT INTO nomenclature (id, year, status, created_at) VALUES (?, ?, 'approved', ?)",
                    (nom_id, year, NOW))
        for position, row in enumerate(rows, start=1):
            item_id += 1
            cur.execute(
                "INSERT INTO nomenclature_item (id, nomenclature_id, \"index\", position, title_ky, title_ru, "
                "title_en, retention, retention_kind, retention_years, epk, articles, note, not_to_state_archive) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                (item_id, nom_id, row.index, position, row.title_ky, row.title_ru, row.title_en, row.retention,
                 row.rule.kind.value, row.rule.years, int(row.rule.epk), ",".join(row.rule.articles), row.note))
            items.append((item_id, year, row.index))
    volumes = -(-n_cases // len(items))

    def cases():  # type: ignore[no-untyped-def]
        case_id = 0
        for vol in range(1, volumes + 1):
            for it, year, index in items:
                case_id += 1
                if case_id > n_cases:
                    return
                closed = year < last_year
                override = None
                if rnd.random() < 0.01:
                    override = rnd.choice(["1 г.", "5 л. ЭПК", "Постоянно", "10 лет"])
                yield (case_id, it, year, index, vol, "closed" if closed else "open", f"{year}-01-10",
                       f"{year}-12-31" if closed else None, override, "Комиссиянын чечими" if override else None)

    cur.executemany(
        "INSERT INTO \"case\" (id, item_id, year, \"index\", volume, state, opened_on, closed_on, is_paper, "
        "carry_over, retention_override, override_reason, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?, '')",
        cases())

    def documents():  # type: ignore[no-untyped-def]
        for doc_id in range(1, n_docs + 1):
            yield (doc_id, rnd.randint(1, n_cases), f"Документ №{doc_id}", NOW)

    cur.executemany(
        "INSERT INTO document (id, case_id, doc_type, title, details, state, text_status, created_at) "
        "VALUES (?, ?, 'other', ?, '{}', 'active', 'done', ?)", documents())
    held = rnd.sample(range(1, n_cases + 1), min(500, n_cases))
    cur.executemany("INSERT INTO hold (case_id, reason, requested_by, placed_at) VALUES (?, 'Аудит', '', ?)",
                    [(c, NOW) for c in held[:400]])
    cur.executemany("INSERT INTO hold (document_id, reason, requested_by, placed_at) VALUES (?, 'Талаш', '', ?)",
                    [(rnd.randint(1, n_docs), NOW) for _ in held[400:]])
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


def bare_count(path: Path) -> tuple[int, float]:
    conn = sqlite3.connect(path)
    started = time.perf_counter()
    (n,) = conn.execute(
        "SELECT count(*) FROM document d JOIN \"case\" c ON c.id = d.case_id "
        "JOIN nomenclature_item i ON i.id = c.item_id WHERE c.state = 'closed' AND d.state = 'active'").fetchone()
    elapsed = time.perf_counter() - started
    conn.close()
    return n, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--year", type=int, default=date.today().year, help="the year of the expiry list")
    parser.add_argument("--db", type=Path, help="SQLite file to use (kept); default: a temporary one")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="sandyk-bench-")
    path = args.db or Path(tmp.name) / "bench.db"
    if not path.exists():
        started = time.perf_counter()
        generate(path, args.cases, args.docs, last_year=args.year - 1)
        print(f"generated {args.cases} cases, {args.docs} documents in {time.perf_counter() - started:.1f} s "
              f"({path})")

    from app import create_app
    from records import disposition
    from records.db import session_scope

    app = create_app({"DATA_DIR": str(Path(tmp.name) / "data"), "DATABASE_URL": f"sqlite:///{path}",
                      "SECRET_KEY": "bench", "WORKER": "off"})
    timings, cpu, counts = [], [], {}
    with app.app_context():
        with session_scope(app) as session:
            disposition.expiry.expiry_list(session, args.year)  # warm-up: statement compilation, page cache
        for _ in range(args.repeat):
            with session_scope(app) as session:
                started, started_cpu = time.perf_counter(), time.process_time()
                report = disposition.expiry.expiry_list(session, args.year)
                timings.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
            counts = {name.value: len(rows) for name, rows in report.parts()}
    n_docs, bare = bare_count(path)
    best, median = min(timings), statistics.median(timings)
    print(f"expiry list {args.year}: {counts}")
    print(f"expiry list: best {best:.3f} s, median {median:.3f} s over {args.repeat} runs "
          f"(CPU time median {statistics.median(cpu):.3f} s: wall time above it is waiting for the CPU)")
    print(f"bare SQL count of {n_docs} documents in closed cases: {bare:.3f} s")
    print(f"target under 1 s: {'met' if median < 1.0 else 'NOT met'}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
