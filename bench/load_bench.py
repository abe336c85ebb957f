"""Load benchmark of the production server (``flask --app app serve``, waitress) on a generated corpus.

    python bench/load_bench.py [--docs 20000] [--seconds 20] [--levels 10,25,50] [--data DIR] [--app-root DIR]
                               [--processes N]

A data folder is filled with ``--docs`` documents of ``bench/corpus.py`` (plain text, through the
real capture pipeline, indexed once at the end; ``--data`` keeps it for the next run, so another
version of the app can be measured on the same data with ``--app-root``). Then the server is started
on it and, at each level of concurrent users, every user signs in and, for ``--seconds``, searches
(the search page) and opens documents (the document page), while one more client files a small
document about every second. Printed per level: p50/p95/p99 and errors of searches, page views and
uploads, and the baseline: ``/healthz`` at the same concurrency, measured in the same run.

Then two hostile-but-allowed uploads (a 300-page PDF of pages with fonts and no text; a DOCX of
30 MiB of XML) go in while 10 users search and view pages until both are answered; and 500 slow
connections (headers announcing a large body, a byte every few seconds) are held open while
``/healthz`` and a signed-in user's searches are timed. Every loop is bounded in count and time;
all traffic goes to 127.0.0.1. Targets: searches p99 under 300 ms at 50 users with no errors;
searches and page views p99 under 1 s, none failing, during the hostile uploads; ``/healthz`` and
signed-in searches under 1 s with 500 slow connections.
"""
from __future__ import annotations

import argparse
import http.client
import io
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus import generate_documents  # noqa: E402

PASSWORD = "bench-password-1"
QUERIES = ["протокол", "келишим", "практика", "буйрук", "договор", "отчет", "кафедра", "студентов",
           "practice", "Кумтөр", "приказ о практике", "өндүрүштүк практика", "ГАК", "заседания"]
SEARCH_TARGET_S = 0.300
HOSTILE_TARGET_S = 1.0
SLOW_TARGET_S = 1.0
SLOW_CLIENTS = 500
GIVE_UP_S = 30


# --- the data folder ---------------------------------------------------------------------------


def populate(data_dir: Path, docs: int, batch: int = 200, settings: dict[str, str] | None = None) -> None:
    """File ``docs`` generated documents as plain text through the capture pipeline, ``batch`` to a
    transaction; index at the end. Files are not flushed to disk one by one here (a fixture, not a
    measurement: the measured uploads are). ``settings`` add to the app's (another database, say)."""
    os.fsync = lambda _fd: None  # type: ignore[assignment]
    from sqlalchemy import select

    from app import create_app
    from records import accounts, nomenclature
    from records.capture import bulk, documents
    from records.cli import setup_data
    from records.db import session_scope
    from records.models import User
    from records.search import indexing

    app = create_app({"DATA_DIR": str(data_dir), "WORKER": "off", "SECRET_KEY": "bench", "ADMIN_PASSWORD": PASSWORD,
                      **(settings or {})})
    with app.app_context():
        setup_data(app, echo=False)
        corpus = list(generate_documents(docs, seed=12, words=200))
        with session_scope(app) as session:
            for year in sorted({doc["year"] for doc in corpus}):
                nomenclature.for_filing(session, year, actor=None)
            actor_id = bulk.first_admin(session).id
            for role in ("archivist", "secretary"):
                accounts.create_user(session, f"bench-{role}", PASSWORD, [role], full_name=role, actor="bench")
        started = time.perf_counter()
        for first in range(0, docs, batch):
            with session_scope(app) as session:
                actor = session.get(User, actor_id)
                for number, doc in enumerate(corpus[first:first + batch], start=first + 1):
                    documents.file_document(
                        app, session, year=doc["year"], index=doc["index"], meta=documents.validate_metadata(doc),
                        upload=documents.Upload(io.BytesIO(doc["text"].encode()), f"doc-{number}.txt"),
                        actor=actor, allow_duplicate=True)
            if (first + batch) % 2000 == 0:
                print(f"  filed {first + batch}/{docs} ({(first + batch) / (time.perf_counter() - started):.0f}/s)",
                      flush=True)
        indexing.sync(app)
        with session_scope(app) as session:
            tokens = {role: accounts.issue_token(session, session.scalar(
                select(User).where(User.username == f"bench-{role}")), actor="bench") for role in ("archivist", "secretary")}
        (data_dir / "bench-token").write_text(f"{tokens['secretary']}\n{tokens['archivist']}\n")
    from records.db import get_database

    get_database(app).dispose()


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(app_root: Path, data_dir: Path, port: int, env_extra: dict[str, str] | None = None
                 ) -> subprocess.Popen[bytes]:
    """``flask serve`` on ``port`` over ``data_dir`` (``env_extra``: more ``SANDYK_*`` settings)."""
    env = dict(os.environ, SANDYK_DATA_DIR=str(data_dir), SANDYK_SECRET_KEY="bench", SANDYK_WORKER="thread",
               SANDYK_ADMIN_PASSWORD=PASSWORD)
    env.update(env_extra or {})
    flask = str(Path(sys.executable).parent / "flask")
    with (data_dir / "server.log").open("ab") as log:
        proc = subprocess.Popen([flask, "--app", "app", "serve", "--port", str(port)], cwd=app_root, env=env,
                                stdout=log, stderr=log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server exited")
        if request(port, "GET", "/healthz")[0] == 200:
            return proc
        time.sleep(0.2)
    raise RuntimeError("the server did not answer in time")


# --- clients ---------------------------------------------------------------------------------


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
            conn: http.client.HTTPConnection | None = None) -> tuple[int, float, bytes, Any]:
    """One request; (status, seconds, body, response headers). Status 0: no answer (refused or timed out)."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=GIVE_UP_S)
    started = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, time.perf_counter() - started, data, resp.headers
    except OSError:
        conn.close()
        return 0, time.perf_counter() - started, b"", {}
    finally:
        if own:
            conn.close()


class User:
    """A signed-in person with a keep-alive connection, the session cookie and an API token."""

    def __init__(self, port: int, name: str, token: str) -> None:
        self.port = port
        self.token = token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=GIVE_UP_S)
        self.cookie = ""
        for _attempt in range(100):  # sign-ins beyond the server's limit are asked to come back
            status, _, page, headers = self.get("/login")
            csrf = re.search(rb'name="csrf_token" value="([^"]+)"', page)
            self._keep_cookie(headers)
            form = urllib.parse.urlencode({"username": name, "password": PASSWORD,
                                           "csrf_token": csrf.group(1).decode() if csrf else ""}).encode()
            status, _, _, headers = request(port, "POST", "/login", form, {
                "Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie}, self.conn)
            self._keep_cookie(headers)
            if status == 302:
                return
            time.sleep(0.2 + random.random() / 2)
        raise RuntimeError(f"could not sign in as {name}")

    def _keep_cookie(self, headers: Any) -> None:
        for value in headers.get_all("Set-Cookie") or [] if headers else []:
            if value.startswith("session="):
                self.cookie = value.split(";", 1)[0]

    def get(self, path: str) -> tuple[int, float, bytes, Any]:
        """A GET on the kept connection; as browsers do, once more on a new one if the server had closed it."""
        headers = {"Authorization": f"Bearer {self.token}"} if path.startswith("/api/") else {"Cookie": self.cookie}
        for _attempt in range(2):
            result = request(self.port, "GET", path, headers=headers, conn=self.conn)
            if result[0] != 0:
                return result
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=GIVE_UP_S)
        return result


@dataclass
class Tally:
    times: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, set[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, status: int, seconds: float, ok: tuple[int, ...] = (200,)) -> None:
        with self.lock:
            self.times.setdefault(kind, []).append(seconds)
            self.errors.setdefault(kind, 0)
            if status not in ok:
                self.errors[kind] += 1
                self.statuses.setdefault(kind, set()).add(status)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def report(label: str, tally: Tally) -> None:
    for kind in sorted(tally.times):
        values = tally.times[kind]
        print(f"  {label:<12} {kind:<14} n={len(values):>5}  p50 {percentile(values, .5) * 1000:7.1f} ms  "
              f"p95 {percentile(values, .95) * 1000:7.1f} ms  p99 {percentile(values, .99) * 1000:7.1f} ms  "
              f"max {max(values) * 1000:7.1f} ms  errors {tally.errors[kind]}"
              + (f" (status {', '.join(map(str, sorted(tally.statuses[kind])))})" if tally.errors[kind] else ""))


def browse(user: User, doc_ids: list[int], tally: Tally, until: float, stop: threading.Event, think: float) -> None:
    """Searches (the API, as other systems and the search box's scripts use it) and document pages, two to
    one, each after a pause of 0 to 2 x ``think`` seconds, until ``until`` (at most 10 000 requests)."""
    rng = random.Random(id(user))
    for _ in range(10_000):
        if stop.wait(rng.uniform(0, 2 * think)) or time.perf_counter() >= until:
            return
        if rng.random() < 2 / 3:
            status, seconds, _, _ = user.get("/api/v1/search?q=" + urllib.parse.quote(rng.choice(QUERIES)))
            tally.add("search", status, seconds)
        else:
            status, seconds, _, _ = user.get(f"/documents/{rng.choice(doc_ids)}")
            tally.add("page view", status, seconds)


def healthz_load(port: int, users: int, seconds: float) -> Tally:
    tally = Tally()
    until = time.perf_counter() + seconds

    def loop() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=GIVE_UP_S)
        for _ in range(10_000):
            if time.perf_counter() >= until:
                return
            status, took, _, _ = request(port, "GET", "/healthz", conn=conn)
            tally.add("healthz", status, took)
            if status == 0:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=GIVE_UP_S)

    run_threads([loop] * users)
    return tally


def upload_body(title: str, content: bytes, filename: str) -> tuple[bytes, str]:
    boundary = "bench" + os.urandom(8).hex()
    fields = {"index": "12-4-7", "year": str(time.gmtime().tm_year), "doc_type": "protocol", "title": title}
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def upload(port: int, token: str, title: str, content: bytes, filename: str, timeout: float = GIVE_UP_S
           ) -> tuple[int, float]:
    body, ctype = upload_body(title, content, filename)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    status, took, _, _ = request(port, "POST", "/api/v1/documents", body,
                                 {"Authorization": f"Bearer {token}", "Content-Type": ctype}, conn)
    conn.close()
    return status, took


def run_threads(targets: list[Any]) -> None:
    threads = [threading.Thread(target=t, daemon=True) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(GIVE_UP_S * 10)


def level(ports: list[int], users: list[User], doc_ids: list[int], token: str, seconds: float, think: float) -> Tally:
    """Every user browses its own server; one more client files a document about every second, taking
    the servers of ``ports`` in turn."""
    tally = Tally()
    stop = threading.Event()
    until = time.perf_counter() + seconds

    def uploader() -> None:
        for number in range(int(seconds) + 1):
            if time.perf_counter() >= until:
                return
            text = f"Кафедранын отурумунун протоколу {time.time_ns()} {number}\nӨндүрүштүк практика.".encode()
            status, took = upload(ports[number % len(ports)], token, f"Протокол {number}", text, "protocol.txt")
            tally.add("upload", status, took, ok=(201,))
            time.sleep(max(0.0, 1.0 - took))

    run_threads([lambda u=u: browse(u, doc_ids, tally, until, stop, think) for u in users] + [uploader])
    return tally


def hostile(port: int, users: list[User], doc_ids: list[int], token: str, folder: Path, think: float,
            seconds: float = 60) -> Tally:
    """10 users browse for ``seconds`` from the moment a font-only 300-page PDF and a DOCX of 30 MiB of
    XML are sent: while they are checked, and while their text is read in the background."""
    from tests import samples

    pdf = samples.make_font_only_pdf(folder, pages=300)
    docx = samples.make_huge_xml_docx(folder, 30)
    tally = Tally()
    stop = threading.Event()
    until = time.perf_counter() + seconds

    def send(path: Path) -> None:
        status, took = upload(port, token, path.name, path.read_bytes(), path.name, timeout=seconds)
        tally.add(f"hostile {path.suffix[1:]}", status, took, ok=(201,))

    run_threads([lambda: send(pdf), lambda: send(docx)]
                + [lambda u=u: browse(u, doc_ids, tally, until, stop, think) for u in users[:10]])
    return tally


def slow_clients(port: int, user: User) -> tuple[Tally, int]:
    """``SLOW_CLIENTS`` connections that trickle a request body; /healthz and a user's searches meanwhile."""
    opened: list[socket.socket] = []
    for _ in range(SLOW_CLIENTS):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded"
                         b"\r\nContent-Length: 1000000\r\n\r\nu")
            opened.append(sock)
        except OSError:
            break
    tally = Tally()
    try:
        time.sleep(1)
        for round_ in range(20):
            status, took, _, _ = request(port, "GET", "/healthz")
            tally.add("healthz", status, took)
            status, took, _, _ = user.get("/api/v1/search?q=" + urllib.parse.quote(QUERIES[round_ % len(QUERIES)]))
            tally.add("search", status, took)
            for sock in opened[round_ % 5::5]:  # each connection sends a byte every few seconds
                try:
                    sock.sendall(b"x")
                except OSError:
                    pass
            time.sleep(0.25)
    finally:
        for sock in opened:
            sock.close()
    return tally, len(opened)


def load_average() -> str:
    """The machine's 1-, 5- and 15-minute load averages: the share of the processors others were using."""
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--levels", default="10,25,50")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause of a user between requests, seconds")
    parser.add_argument("--data", type=Path, help="data folder to fill, or to reuse when it is filled already")
    parser.add_argument("--app-root", type=Path, default=ROOT, help="the code to serve (default: this checkout)")
    parser.add_argument("--skip", default="", help="phases to leave out: hostile,slow")
    parser.add_argument("--processes", default="", help="serving processes (SANDYK_SERVE_PROCESSES; default: the app's)")
    args = parser.parse_args(argv)
    levels = [int(n) for n in args.levels.split(",")]
    skip = set(args.skip.split(","))

    workdir = Path(tempfile.mkdtemp(prefix="sandyk-load-"))
    data_dir = args.data or workdir / "data"
    try:
        if not (data_dir / "bench-token").exists():
            print(f"Filling {data_dir} with {args.docs} documents ...", flush=True)
            populate(data_dir, args.docs)
        token, reader_token = (data_dir / "bench-token").read_text().split()
        port = free_port()
        print(f"Serving {args.app_root} on 127.0.0.1:{port} (waitress; load average {load_average()})", flush=True)
        server = start_server(args.app_root, data_dir, port,
                              {"SANDYK_SERVE_PROCESSES": args.processes} if args.processes else None)
        try:
            return measure(port, (token, reader_token), data_dir, levels, args.seconds, args.think, workdir, skip)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def measure(port: int, tokens: tuple[str, str], data_dir: Path, levels: list[int], seconds: float, think: float,
            workdir: Path, skip: set[str]) -> int:
    import sqlite3

    with sqlite3.connect(data_dir / "sandyk.db") as conn:
        doc_ids = [row[0] for row in conn.execute("SELECT id FROM document WHERE state = 'active' LIMIT 5000")]
    token, reader_token = tokens
    users = [User(port, "bench-archivist", reader_token) for _ in range(max(levels))]
    print(f"{len(users)} users signed in; {len(doc_ids)} documents to open", flush=True)
    targets: list[tuple[str, bool]] = []
    for count in levels:
        base = healthz_load(port, count, min(seconds, 10))
        report(f"{count} users", base)
        tally = level([port], users[:count], doc_ids, token, seconds, think)
        report(f"{count} users", tally)
        rate = sum(len(v) for k, v in tally.times.items() if k != "upload") / seconds
        print(f"  {count} users: {rate:.1f} searches and page views a second; load average {load_average()}",
              flush=True)
        if count == max(levels):
            targets.append((f"searches p99 under {SEARCH_TARGET_S * 1000:.0f} ms at {count} users, no errors",
                            percentile(tally.times.get("search", []), .99) < SEARCH_TARGET_S
                            and not any(tally.errors.values())))
    if "slow" not in skip:
        tally, opened = slow_clients(port, users[0])
        print(f"  {opened} slow connections held open")
        report("slow", tally)
        print(f"  load average {load_average()}", flush=True)
        targets.append((f"/healthz and signed-in searches under 1 s with {SLOW_CLIENTS} slow connections",
                        opened == SLOW_CLIENTS and all(max(v) < SLOW_TARGET_S for v in tally.times.values())
                        and not any(tally.errors.values())))
    if "hostile" not in skip:
        tally = hostile(port, users, doc_ids, token, workdir, think)
        report("hostile", tally)
        print(f"  load average {load_average()}", flush=True)
        reads = tally.times.get("search", []) + tally.times.get("page view", [])
        targets.append(("searches and page views p99 under 1 s during two hostile uploads, none failing",
                        bool(reads) and percentile(reads, .99) < HOSTILE_TARGET_S
                        and not tally.errors.get("search") and not tally.errors.get("page view")))
    print()
    for name, ok in targets:
        print(f"target: {name}: {verdict(ok)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
