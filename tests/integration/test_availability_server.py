"""Attacks on availability against the real production server (``serve``, waitress) on 127.0.0.1:
hostile-but-allowed uploads while others search and read, hundreds of clients that trickle their
requests, and a crowd of sign-ins. Every loop here is bounded in count and time."""
from __future__ import annotations

import http.cookiejar
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests import samples
from tests.integration.server_process import Server, post_document

YEAR = date.today().year
# A client that has had no answer in this long counts the request as failed (a monitor's timeout).
GIVE_UP_S = 10


def _get(url: str, token: str | None = None, timeout: float = GIVE_UP_S) -> tuple[int, float]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    started = time.monotonic()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as resp:
            resp.read()
            return resp.status, time.monotonic() - started
    except urllib.error.HTTPError as exc:
        return exc.code, time.monotonic() - started
    except OSError:
        return 0, time.monotonic() - started  # timed out or refused


def _get_json(url: str, token: str) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=GIVE_UP_S) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, {}


def _upload(url: str, token: str, path: Path, title: str) -> tuple[int, dict[str, Any]]:
    fields = {"index": "12-4-7", "year": str(YEAR), "doc_type": "report", "title": title}
    return post_document(url, token, fields, path.name, path.read_bytes(), timeout=600)


@pytest.mark.slow
def test_searches_and_page_views_go_on_while_hostile_uploads_are_read(
    app: Flask, api_token: Any, tmp_path: Path
) -> None:
    reader, secretary = api_token("archivist"), api_token("secretary")
    pdf = samples.make_font_only_pdf(tmp_path, pages=300)
    docx = samples.make_huge_xml_docx(tmp_path, 30)
    known = samples.make_docx(tmp_path, name="known.docx")
    server = Server(app).start()
    try:
        status, body = _upload(server.url, secretary, known, "Кафедранын протоколу")
        assert status == 201, body
        doc_id = body["id"]
        uploads: dict[str, tuple[int, dict[str, Any]]] = {}
        threads = [threading.Thread(target=lambda p=p, t=t: uploads.__setitem__(t, _upload(server.url, secretary, p, t)))
                   for p, t in ((pdf, "font-only"), (docx, "huge-xml"))]
        for thread in threads:
            thread.start()
        reads: list[tuple[int, float]] = []
        during: list[tuple[int, float]] = []
        background: list[tuple[int, float]] = []
        for number in range(600):  # bounded: stops once the office file's text has been read
            path = "/api/v1/search?q=%D0%BF%D1%80%D0%BE%D1%82%D0%BE%D0%BA%D0%BE%D0%BB" if number % 2 else f"/api/v1/documents/{doc_id}"
            in_flight = len(uploads) < 2
            result = _get(server.url + path, reader)
            reads.append(result)
            if in_flight:
                during.append(result)
            elif number % 10 == 0:
                for thread in threads:
                    thread.join(600)
                huge = uploads["huge-xml"][1].get("id")
                status, body = _get_json(f"{server.url}/api/v1/documents/{huge}", reader)
                if status != 200 or body["text_status"] != "pending":
                    break
            else:
                background.append(result)
        for thread in threads:
            thread.join(600)
    finally:
        server.stop()
    assert [status for status, _ in reads if status != 200] == [], reads
    # Others were answered while the uploads were being checked, and while their text was read.
    assert during and background, (during, background)
    assert uploads["font-only"][0] == 201 and uploads["font-only"][1]["text_status"] == "pending", uploads
    assert uploads["huge-xml"][0] == 201 and uploads["huge-xml"][1]["text_status"] == "pending", uploads


SLOW_CLIENTS = 500


def _trickle(port: int, count: int, stop: threading.Event, opened: list[socket.socket]) -> None:
    """Connections that announce a large body and send a byte of it every few seconds."""
    for _ in range(count):
        if stop.is_set():
            return
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 1000000\r\n\r\nu")
        opened.append(sock)
    for _ in range(10):  # about 40 s at most
        if stop.wait(4):
            return
        for sock in opened:
            try:
                sock.sendall(b"x")
            except OSError:
                pass


@pytest.mark.slow
def test_hundreds_of_slow_clients_leave_the_health_check_and_signed_in_users_answered(
    app: Flask, api_token: Any
) -> None:
    token = api_token("archivist")
    server = Server(app).start()
    stop = threading.Event()
    opened: list[socket.socket] = []
    trickler = threading.Thread(target=_trickle, args=(server.port, SLOW_CLIENTS, stop, opened), daemon=True)
    try:
        trickler.start()
        deadline = time.monotonic() + 60
        while len(opened) < SLOW_CLIENTS and trickler.is_alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(opened) == SLOW_CLIENTS
        time.sleep(1)  # every slow connection is in the server's hands now
        health = [_get(server.url + "/healthz") for _ in range(10)]
        searches = [_get(server.url + "/api/v1/search?q=%D0%BF%D1%80%D0%BE%D1%82%D0%BE%D0%BA%D0%BE%D0%BB", token) for _ in range(5)]
    finally:
        stop.set()
        trickler.join(10)
        for sock in opened:
            sock.close()
        server.stop()
    assert [status for status, _ in health] == [200] * 10, health
    assert [status for status, _ in searches] == [200] * 5, searches


@pytest.mark.slow
def test_a_crowd_of_sign_ins_leaves_the_health_check_answered(app: Flask) -> None:
    server = Server(app).start()
    stop = threading.Event()
    answers: list[int] = []

    def sign_in(number: int) -> None:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with opener.open(server.url + "/login", timeout=60) as page:
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode()).group(1)  # type: ignore[union-attr]
        for attempt in range(15):
            if stop.is_set():
                return
            data = urllib.parse.urlencode({"username": f"nobody{number}-{attempt}", "password": "wrong-password-1",
                                           "csrf_token": csrf}).encode()
            req = urllib.request.Request(server.url + "/login", data=data, method="POST")
            try:
                with opener.open(req, timeout=60) as resp:
                    answers.append(resp.status)
            except urllib.error.HTTPError as exc:
                answers.append(exc.code)
            except OSError:
                answers.append(0)

    crowd = [threading.Thread(target=sign_in, args=(n,), daemon=True) for n in range(16)]
    try:
        for thread in crowd:
            thread.start()
        time.sleep(1)
        health = []
        for _ in range(20):
            health.append(_get(server.url + "/healthz"))
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in crowd:
            thread.join(120)
        server.stop()
    assert [status for status, _ in health] == [200] * 20, health
    # Every sign-in got an answer: refused as wrong, or asked to come back in a moment.
    assert answers and set(answers) <= {401, 429}, sorted(set(answers))
