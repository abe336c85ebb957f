"""The production server: waitress in several processes sharing one listening socket.

A Python process runs Python code on one core at a time, so one waitress process serves at most
one core's worth of searches. ``serve`` therefore binds the port once and forks
``SANDYK_SERVE_PROCESSES`` copies of the app (default: one per core), each running waitress with
its own threads on the shared socket: the kernel hands each new connection to whichever process
accepts it first, which is the least busy one. The background worker (text extraction, index
updates) runs in one more process of its own; the serving processes wake it through a pipe when
they commit work, as a thread would be woken. The first process stays a supervisor: it restarts a
process that died, and on SIGTERM or SIGINT stops them all (each in its own process group, so
whatever a process started, tesseract say, goes with it).

With one process (``SANDYK_SERVE_PROCESSES=1``) nothing is forked: waitress serves in the process
itself, with the worker as a thread, as before.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from records.db import get_database

log = logging.getLogger(__name__)

WORKER_SLOT = "worker"
STOP_SECONDS = 10  # how long processes get to finish their requests before they are killed
QUICK_DEATH_SECONDS = 5  # a process that dies sooner than this after its start is restarted more slowly
MAX_RESTART_DELAY = 30
# The worker gives way to requests when both want the processor: a search waits no longer for an
# extraction running beside it, and the extraction still uses every idle moment.
WORKER_NICENESS = 5


def process_count(config: dict) -> int:
    """``SANDYK_SERVE_PROCESSES``, 0 meaning one per core this process may run on."""
    wanted = int(config.get("SERVE_PROCESSES") or 0)
    if wanted > 0:
        return wanted
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    """The socket every serving process accepts on (inherited through ``fork``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def serve(app: Flask, host: str, port: int, settings: dict, *, ready: Callable[[], None]) -> None:
    """Serve ``app`` on ``host:port`` with waitress ``settings`` until SIGTERM or SIGINT; ``ready`` runs once the
    port is bound (setting up the data folder, say). Raises ``ListenError`` when the port cannot be bound."""
    from waitress import create_server

    from records import worker

    processes = process_count(app.config)
    if processes == 1:
        try:
            server = create_server(app, **settings, host=host, port=port)
        except OSError as exc:
            raise ListenError(exc) from None
        ready()
        # Finish at once whatever a crash left behind (text to read, index changes to apply).
        worker.kick(app)
        server.run()
        return
    try:
        sock = listening_socket(host, port, settings.get("backlog", 1024))
    except OSError as exc:
        raise ListenError(exc) from None
    ready()
    separate_worker = app.config["WORKER"] == "thread"
    wake_read, wake_write = os.pipe() if separate_worker else (-1, -1)
    parent = os.getpid()

    def run_slot(slot: str) -> None:
        _end_with_parent(parent)
        if slot == WORKER_SLOT:
            sock.close()
            os.close(wake_write)
            os.nice(WORKER_NICENESS)
            worker.run_in_process(app, wake_read)
            return
        if separate_worker:
            os.close(wake_read)
            worker.run_elsewhere(app, wake_write)
        create_server(app, **settings, sockets=[sock]).run()

    slots = [f"web-{number}" for number in range(processes)] + ([WORKER_SLOT] if separate_worker else [])
    Supervisor(app, slots, run_slot).run()
    sock.close()


def _end_with_parent(parent: int) -> None:
    """Have the kernel stop this process if the supervisor dies without stopping it (SIGKILL, say)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return  # not Linux: the supervisor's own stop is all there is
    if os.getppid() != parent:
        raise SystemExit(0)  # it died before that took effect


class ListenError(Exception):
    """The port could not be bound (most often another server listens there)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.strerror or str(error))
        self.error = error


@dataclass
class _Child:
    slot: str
    started: float


class Supervisor:
    """Forks the serving processes and the worker process, restarts any that dies, stops them all."""

    def __init__(self, app: Flask, slots: list[str], run_slot: Callable[[str], None]) -> None:
        self.app = app
        self.slots = slots
        self.run_slot = run_slot
        self.children: dict[int, _Child] = {}
        self.restart_at: dict[str, float] = {}
        self.delays: dict[str, float] = {}
        self.stopping = False

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.stopping = True

    def run(self) -> int:
        """Until SIGTERM or SIGINT: keep every slot's process running. Returns the exit status."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            # The children must not share the parent's database connections.
            get_database(self.app).dispose()
            for slot in self.slots:
                self._spawn(slot)
            while not self.stopping:
                self._reap()
                now = time.monotonic()
                for slot, when in list(self.restart_at.items()):
                    if when <= now and not self.stopping:
                        del self.restart_at[slot]
                        self._spawn(slot)
                time.sleep(0.2)
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def _spawn(self, slot: str) -> None:
        sys.stdout.flush()
        sys.stderr.flush()  # or the child would print the parent's buffered lines once more
        pid = os.fork()
        if pid == 0:  # the child: never returns
            status = 1
            try:
                os.setpgid(0, 0)
                for sig in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(sig, _exit_on_signal)
                self.run_slot(slot)
                status = 0
            except SystemExit as exc:
                status = exc.code if isinstance(exc.code, int) else 0
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        try:
            os.setpgid(pid, pid)  # also here: the parent may signal the group before the child has run
        except OSError:
            pass  # the child got there first (or already exec'd/exited)
        self.children[pid] = _Child(slot, time.monotonic())

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = self.children.pop(pid, None)
            if child is None:
                continue
            _kill_group(pid, signal.SIGKILL)  # whatever it left running
            if self.stopping:
                continue
            lived = time.monotonic() - child.started
            delay = 0.5 if lived >= QUICK_DEATH_SECONDS else min(2 * self.delays.get(child.slot, 0.5), MAX_RESTART_DELAY)
            self.delays[child.slot] = delay
            print(f"Sandyk: the {child.slot} process {pid} ended ({_describe(status)}); "
                  f"starting another in {delay:.1f} s", file=sys.stderr, flush=True)
            self.restart_at[child.slot] = time.monotonic() + delay

    def _stop_all(self) -> None:
        self.stopping = True
        for pid in self.children:
            _kill_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        while self.children and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.05)
        for pid in list(self.children):
            _kill_group(pid, signal.SIGKILL)
        for pid in list(self.children):
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
            self.children.pop(pid, None)


def _exit_on_signal(_signum: int, _frame: object) -> None:
    # waitress's loop ends on SystemExit and lets its threads finish their requests.
    raise SystemExit(0)


def _kill_group(pid: int, sig: int) -> None:
    """Signal a child's process group (the child leads its own, made so on both sides of the fork)."""
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass  # nobody left in it


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
