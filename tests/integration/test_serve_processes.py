"""``serve`` with several processes: they all answer on the one port, the background worker runs in
exactly one process of its own and is woken by filings through any of them, a process that dies is
replaced, and stopping the server stops every process it started."""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import time
import urllib.parse
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.integration.server_process import Server, child_pids, connection_owner, is_running, post_document

YEAR = date.today().year
WORKER_LINE = re.compile(r"the background worker runs in process (\d+)")


def _serving_pids(server: Server, count: int, timeout: float = 30) -> list[int]:
    """The server's child processes once ``count`` of them run."""
    assert server.proc is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = child_pids(server.proc.pid)
        if len(children) >= count:
            return children
        time.sleep(0.1)
    raise AssertionError(f"{count} processes expected, found {child_pids(server.proc.pid)}")


def _worker_pids(log: Path, timeout: float = 30) -> list[int]:
    """The processes that said they run the background worker, once one has (it says so as it starts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [int(pid) for pid in WORKER_LINE.findall(log.read_text())]
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no background worker started: {log.read_text()}")


def _owners_of_connections(server: Server, pids: list[int], connections: int = 40) -> dict[int, int]:
    """Open ``connections`` keep-alive connections one after another, each answered once, and count
    which of ``pids`` answered on each (all kept open meanwhile, so the processes share them); stops
    early once every one of them has answered."""
    opened: list[http.client.HTTPConnection] = []
    owners: dict[int, int] = {}
    try:
        for _ in range(connections):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            assert resp.status == 200
            assert json.loads(resp.read())["status"] == "ok"
            opened.append(conn)
            owner = connection_owner(server.port, conn.sock.getsockname()[1], pids)
            assert owner is not None, f"no serving process of {pids} holds the connection"
            owners[owner] = owners.get(owner, 0) + 1
            if len(owners) == len(pids):
                break
    finally:
        for conn in opened:
            conn.close()
    return owners


def _search_total(server: Server, token: str, query: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", "/api/v1/search?q=" + urllib.parse.quote(query), headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        assert resp.status == 200
        return int(json.loads(resp.read())["total"])
    finally:
        conn.close()


@pytest.mark.slow
def test_two_serving_processes_answer_and_one_worker_indexes_what_both_file(
    app: Flask, api_token: Any, tmp_path: Path
) -> None:
    secretary, reader = api_token("secretary"), api_token("archivist")
    log = tmp_path / "server.log"
    server = Server(app, env={"SANDYK_SERVE_PROCESSES": "2"}, log=log).start()
    try:
        children = _serving_pids(server, 3)  # two serving processes and the worker
        workers = _worker_pids(log)
        assert len(workers) == 1, log.read_text()
        worker = workers[0]
        assert worker in children
        serving = [pid for pid in children if pid != worker]
        assert len(serving) == 2

        owners = _owners_of_connections(server, children)
        assert set(owners) == set(serving), owners  # both serving processes answer, the worker none

        # A filing through each serving process wakes the one worker, which indexes both.
        for number in range(6):
            fields = {"index": "12-4-7", "year": str(YEAR), "doc_type": "protocol", "title": f"Протокол {number}"}
            status, body = post_document(server.url, secretary, fields, f"p{number}.txt",
                                         f"Өндүрүштүк практика боюнча протокол {number}: zebrafish".encode())
            assert status == 201, body
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _search_total(server, reader, "zebrafish") < 6:
            time.sleep(0.2)
        assert _search_total(server, reader, "zebrafish") == 6
        # No serving process started a worker of its own meanwhile.
        assert WORKER_LINE.findall(log.read_text()) == [str(worker)], log.read_text()
    finally:
        server.stop()


@pytest.mark.slow
def test_a_dead_process_is_replaced_and_stopping_the_server_leaves_no_process(app: Flask, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    server = Server(app, env={"SANDYK_SERVE_PROCESSES": "2"}, log=log).start()
    assert server.proc is not None
    started: set[int] = set()
    try:
        first = _serving_pids(server, 3)
        started.update(first)
        worker = _worker_pids(log)[0]
        victim = next(pid for pid in first if pid != worker)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (victim in child_pids(server.proc.pid)
                                               or len(child_pids(server.proc.pid)) < 3):
            time.sleep(0.1)
        now = child_pids(server.proc.pid)
        assert victim not in now and len(now) == 3, now
        started.update(now)
        assert "ended (signal 9)" in log.read_text()
        owners = _owners_of_connections(server, [pid for pid in now if pid != worker])
        assert len(owners) == 2, owners
    finally:
        server.proc.send_signal(signal.SIGTERM)
        code = server.proc.wait(timeout=30)
    assert code == 0, log.read_text()
    assert [pid for pid in started if is_running(pid)] == []
    with socket.socket() as sock:  # nothing listens on the port any more
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", server.port))
