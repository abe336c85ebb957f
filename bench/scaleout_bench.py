"""Scale-out benchmark: two app servers and a worker over one PostgreSQL database (catalogue and search
index, ``SANDYK_INDEX_URL=postgres-fts:``) and one blob store, as the README's "Several app servers"
section describes.

    python bench/scaleout_bench.py [--docs 20000] [--seconds 20] [--levels 10,25,50] [--schema NAME --data DIR]

A PostgreSQL schema (in ``--pg-url``'s database) and a data folder (the shared blob store) are filled
with ``--docs`` documents of ``bench/corpus.py`` through the real capture pipeline; ``--schema`` and
``--data`` keep them for the next run. Then the configuration is started: ``flask worker run`` and two
``flask serve`` processes with ``SANDYK_WORKER=off``, each on its own port. At each level of concurrent
users (half of them on each server, as behind a load balancer) every user signs in and, for
``--seconds``, searches and opens documents while one more client files a document about every second,
alternating servers. Printed per level: throughput, p50/p95/p99 and errors of searches, page views and
uploads, and the baseline: ``/healthz`` at the same concurrency, measured in the same run. Last, the
time until a document filed through one server is found through the other (``--visibility`` times).

Targets: 50 users p99 under 1 s with no errors; visibility under 1 s. All traffic goes to 127.0.0.1 and
every loop is bounded in count and time.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load_bench import (  # noqa: E402
    GIVE_UP_S,
    Tally,
    User,
    free_port,
    healthz_load,
    level,
    percentile,
    populate,
    report,
    start_server,
    upload,
    verdict,
)

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
P99_TARGET_S = 1.0
VISIBLE_TARGET_S = 1.0


def schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def settings(url: str, data_dir: Path) -> dict[str, str]:
    return {"DATABASE_URL": url, "INDEX_URL": "postgres-fts:", "BLOB_STORE_URL": f"file://{data_dir / 'blobs'}"}


def env_of(config: dict[str, str]) -> dict[str, str]:
    return {f"SANDYK_{key}": value for key, value in config.items()} | {"SANDYK_WORKER": "off"}


def start_worker(data_dir: Path, env_extra: dict[str, str]) -> subprocess.Popen[bytes]:
    env = dict(os.environ, SANDYK_DATA_DIR=str(data_dir), SANDYK_SECRET_KEY="bench", **env_extra)
    flask = str(Path(sys.executable).parent / "flask")
    with (data_dir / "worker.log").open("ab") as log:
        return subprocess.Popen([flask, "--app", "app", "worker", "run"], cwd=ROOT, env=env, stdout=log, stderr=log)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM if proc.args[-2:] != ["worker", "run"] else signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def visibility(ports: list[int], token: str, reader: list[User], times: int) -> list[float]:
    """Seconds from a filing's answer on one server until a search on the other finds it."""
    found: list[float] = []
    for n in range(times):
        word = f"көрүнүү{time.time_ns()}x{n}"
        status, _ = upload(ports[n % 2], token, f"Протокол {word}", f"Протокол {word}.\n".encode(), "visible.txt")
        if status != 201:
            found.append(float("inf"))
            continue
        filed = time.perf_counter()
        other = reader[(n + 1) % 2]
        for _ in range(int(GIVE_UP_S / 0.01)):
            status, _, body, _ = other.get("/api/v1/search?q=" + urllib.parse.quote(word))
            if status == 200 and b'"total":1' in body.replace(b" ", b""):
                found.append(time.perf_counter() - filed)
                break
            time.sleep(0.01)
        else:
            found.append(float("inf"))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--levels", default="10,25,50")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause of a user between requests, seconds")
    parser.add_argument("--visibility", type=int, default=10, help="filings whose visibility is timed")
    parser.add_argument("--pg-url", default=os.environ.get("SANDYK_TEST_PG_URL", PG_DEFAULT))
    parser.add_argument("--schema", help="PostgreSQL schema to fill, or to reuse when it is filled already")
    parser.add_argument("--data", type=Path, help="data folder (blob store) kept with --schema")
    args = parser.parse_args(argv)
    levels = [int(n) for n in args.levels.split(",")]

    from sqlalchemy import create_engine, text

    workdir = Path(tempfile.mkdtemp(prefix="sandyk-scaleout-"))
    data_dir = args.data or workdir / "data"
    schema = args.schema or f"sandyk_scaleout_{os.getpid()}"
    admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    url = schema_url(args.pg_url, schema)
    config = settings(url, data_dir)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        if not (data_dir / "bench-token").exists():
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            print(f"Filling schema {schema} and {data_dir} with {args.docs} documents ...", flush=True)
            populate(data_dir, args.docs, settings=config)
        token, reader_token = (data_dir / "bench-token").read_text().split()
        with create_engine(url).connect() as conn:
            doc_ids = [row[0] for row in conn.execute(text(
                "SELECT id FROM document WHERE state = 'active' LIMIT 5000"))]
        env_extra = env_of(config)
        procs.append(start_worker(data_dir, env_extra))
        ports = [free_port(), free_port()]
        for port in ports:
            procs.append(start_server(ROOT, data_dir, port, env_extra))
        print(f"Two app servers on 127.0.0.1:{ports[0]} and :{ports[1]}, one worker, PostgreSQL schema {schema}; "
              f"{os.cpu_count()} CPU(s)", flush=True)
        users = [User(ports[n % 2], "bench-archivist", reader_token) for n in range(max(levels))]
        targets: list[tuple[str, bool]] = []
        for count in levels:
            base = Tally()
            for port in ports:
                part = healthz_load(port, count // 2, min(args.seconds, 10))
                for kind, values in part.times.items():
                    for value in values:
                        base.add(kind, 200, value)
            report(f"{count} users", base)
            tally = level(ports, users[:count], doc_ids, token, args.seconds, args.think)
            report(f"{count} users", tally)
            served = sum(len(v) for k, v in tally.times.items() if k != "upload")
            print(f"  {count} users: {served / args.seconds:.1f} searches and page views a second", flush=True)
            if count == max(levels):
                reads = tally.times.get("search", []) + tally.times.get("page view", [])
                targets.append((f"searches and page views p99 under {P99_TARGET_S:.0f} s at {count} users, no errors",
                                bool(reads) and percentile(reads, .99) < P99_TARGET_S and not any(tally.errors.values())))
        seen = visibility(ports, token, users[:2], args.visibility)
        finite = [s for s in seen if s != float("inf")]
        print(f"  visible through the other server after: median {statistics.median(seen) * 1000:.0f} ms, "
              f"max {max(seen) * 1000:.0f} ms ({len(finite)} of {len(seen)} found)")
        targets.append((f"a filing visible through the other server within {VISIBLE_TARGET_S:.0f} s",
                        len(finite) == len(seen) and max(seen) < VISIBLE_TARGET_S))
        print()
        for name, ok in targets:
            print(f"target: {name}: {verdict(ok)}")
        return 0
    finally:
        for proc in procs:
            stop(proc)
        if args.schema is None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
