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


def child_pids(pid: int) -> list[int]:
    """The processes ``pid`` started (Linux: from /proc)."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def is_running(pid: int) -> bool:
    """Whether a process ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def connection_owner(server_port: int, client_port: int, pids: list[int]) -> int | None:
    """Which of ``pids`` holds the server's end of the TCP connection from 127.0.0.1:``client_port``."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == client_port:
            inodes.add(f"socket:[{inode}]")
    for pid in pids:
        try:
            links = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        except (FileNotFoundError, PermissionError):
            continue
        if links & inodes:
            return pid
    return None


class Server:
    """``env`` adds settings of the server's (``SANDYK_SERVE_PROCESSES``, say); ``log`` takes its
    standard error instead of a pipe read when it fails to start."""

    def __init__(self, app: Flask, env: dict[str, str] | None = None, log: Path | None = None) -> None:
        self.app = app
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.env = env or {}
        self.log = log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Server:
        stderr = self.log.open("ab") if self.log is not None else subprocess.PIPE
        self.proc = subprocess.Popen([FLASK, "--app", "app", "serve", "--port", str(self.port)], cwd=ROOT,
                                     env={**server_env(self.app), **self.env}, stdout=subprocess.DEVNULL, stderr=stderr)
        if self.log is not None:
            stderr.close()  # type: ignore[union-attr]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                said = self.log.read_bytes() if self.log is not None else self.proc.stderr.read()  # type: ignore[union-attr]
                raise RuntimeError(f"server exited: {said.decode()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not answer in time")

    def kill(self) -> None:
        """SIGKILL to every process of the server, its serving processes first: no cleanup of any kind runs."""
        if self.proc is not None and self.proc.poll() is None:
            for child in child_pids(self.proc.pid):
                try:
                    os.killpg(child, signal.SIGKILL)
                except ProcessLookupError:
                    pass
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
