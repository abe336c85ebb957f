"""A real Sandyk server in a child process (``flask --app app serve``, waitress, background worker
thread) on a free port, over the data folder and database of a test's ``app``; and the consistency
checks that must hold after a crash or a crowd."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from records.blobs import get_store
from records.models import Blob, Document, DocumentFile, IndexTask
from records.search.indexing import get_index

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).parent / "flask")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(app: Flask) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "SANDYK_DATA_DIR": app.config["DATA_DIR"], "SANDYK_DATABASE_URL": app.config["DATABASE_URL"],
        "SANDYK_SECRET_KEY": "test-secret", "SANDYK_WORKER": "thread", "SANDYK_ADMIN_PASSWORD": "correct-horse-7",
        "SANDYK_MAX_UPLOAD_BYTES": str(app.config["MAX_UPLOAD_BYTES"]), "SANDYK_THREADS": "8",
    })
    return env


class Server:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Server:
        self.proc = subprocess.Popen([FLASK, "--app", "app", "serve", "--port", str(self.port)], cwd=ROOT,
                                     env=server_env(self.app), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not answer in time")

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind runs."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()


def run_cli(app: Flask, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FLASK, "--app", "app", *args], cwd=ROOT, env=server_env(app), capture_output=True,
                          text=True, timeout=300, check=False)


def multipart(fields: dict[str, str], filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = "sandyk-" + os.urandom(8).hex()
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def post_document(url: str, token: str, fields: dict[str, str], filename: str, content: bytes,
                  timeout: float = 120) -> tuple[int, dict[str, Any]]:
    """File a document through the API of the server at ``url``: the status and the JSON answer."""
    body, ctype = multipart(fields, filename, content)
    req = urllib.request.Request(url + "/api/v1/documents", data=body, method="POST",
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def consistency_problems(app: Flask, session: Any) -> list[str]:
    """Everything that must hold of a quiet system: every row has its bytes and every stored file its row,
    no temp files, no waiting index tasks, the index holds exactly the live documents."""
    session.expire_all()
    problems = []
    store = get_store(app)
    stored = {info.sha256 for info in store.iter_blobs()}
    rows = set(session.scalars(select(Blob.sha256).where(Blob.deleted_at.is_(None))))
    if rows - stored:
        problems.append(f"rows without bytes: {sorted(rows - stored)}")
    if stored - rows:
        problems.append(f"bytes without rows: {sorted(stored - rows)}")
    referenced = set(session.scalars(select(DocumentFile.sha256).join(Document).where(Document.state == "active")))
    if referenced - rows:
        problems.append(f"versions without blob rows: {sorted(referenced - rows)}")
    data = Path(app.config["DATA_DIR"])
    temp = [p.name for p in (data / "tmp").rglob("*") if p.is_file()]
    temp += [p.name for p in (data / "blobs").rglob(".tmp-*")]
    if temp:
        problems.append(f"temporary files: {temp}")
    if session.scalar(select(func.count()).select_from(IndexTask)):
        problems.append("index tasks still waiting")
    live = set(session.scalars(select(Document.id).where(Document.state == "active")))
    index = get_index(app)
    if index.ids() != live:
        problems.append(f"index differs: missing {sorted(live - index.ids())}, extra {sorted(index.ids() - live)}")
    return problems
