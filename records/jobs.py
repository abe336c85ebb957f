"""Progress of long jobs: a bulk import, reading the text of a backlog of scans, rebuilding the index.

A :class:`Progress` counts work done against a total and tells people how it goes: on a terminal a
line redrawn in place (count, rate, time left), elsewhere (a log, a pipe) a line every half minute;
and in the ``job`` table, so the records officer follows a running import on the web. The table is
written at most every few seconds, each time in a short transaction of its own.
"""
from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import TextIO

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.db import session_scope, utcnow
from records.i18n import _
from records.models import DocumentFile, Job, JobState, TextStatus

log = logging.getLogger(__name__)
# A running job whose row was not touched for this long belongs to a process that was stopped.
STALE_AFTER = timedelta(minutes=10)


def rate_and_left(done: int, total: int | None, elapsed: float) -> tuple[float, float | None]:
    """Items per second so far, and seconds left at that rate (None while it cannot be told)."""
    rate = done / elapsed if elapsed > 0 else 0.0
    if total is None or rate <= 0:
        return rate, None
    return rate, max(total - done, 0) / rate


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return _("%(s)s s", s=seconds)
    if seconds < 3600:
        return _("%(m)s min %(s)s s", m=seconds // 60, s=f"{seconds % 60:02d}")
    return _("%(h)s h %(m)s min", h=seconds // 3600, m=f"{seconds % 3600 // 60:02d}")


class Progress:
    """Work done against a total, shown on ``stream`` and kept in a ``job`` row (when ``app`` is given)."""

    def __init__(self, label: str, total: int | None, *, app: Flask | None = None, kind: str = "",
                 source: str = "", stream: TextIO | None = None, tty: bool | None = None, log_every: float = 30.0,
                 save_every: float = 2.0, job_id: int | None = None) -> None:
        """``job_id`` goes on with a job row written before (a job queued for the worker); otherwise a row
        of ``kind`` is added when ``app`` is given."""
        self.label, self.total = label, total
        self.app, self.kind, self.source = app, kind, source
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.log_every, self.save_every = log_every, save_every
        self.done = 0
        self.counts: Counter[str] = Counter()
        self.started = time.monotonic()
        self._shown = self._saved = 0.0
        self._shown_done: int | None = None
        self._line = 0
        self.job_id: int | None = job_id
        if app is not None and kind and job_id is None:
            with session_scope(app) as session:
                job = Job(kind=kind, label=source[:500], total=total, summary={})
                session.add(job)
                session.flush()
                self.job_id = job.id

    # --- counting --------------------------------------------------------------------------------

    def advance(self, outcome: str = "", n: int = 1) -> None:
        self.done += n
        if outcome:
            self.counts[outcome] += n
        now = time.monotonic()
        if now - self._shown >= (0.2 if self.tty else self.log_every):
            self._show(now)
        if self.job_id is not None and now - self._saved >= self.save_every:
            self._save(now)

    def status(self) -> str:
        """"Filing: 120 of 1000 (12%) · 3.4 per second · about 4 min 18 s left"."""
        elapsed = time.monotonic() - self.started
        rate, left = rate_and_left(self.done, self.total, elapsed)
        if self.total:
            parts = [_("%(label)s: %(done)s of %(total)s (%(percent)s%%)", label=self.label, done=self.done,
                       total=self.total, percent=100 * self.done // self.total)]
        else:
            parts = [f"{self.label}: {self.done}"]
        if self.done:
            parts.append(_("%(rate)s per second", rate=f"{rate:.1f}") if rate >= 1
                         else _("%(rate)s per minute", rate=f"{60 * rate:.1f}"))
        if left is not None and self.done < (self.total or 0):
            parts.append(_("about %(time)s left", time=format_duration(left)))
        return " · ".join(parts)

    def _show(self, now: float) -> None:
        self._shown, self._shown_done = now, self.done
        text = self.status()
        if self.tty:
            self.stream.write("\r" + text.ljust(self._line))
            self._line = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def _save(self, now: float, state: str | None = None) -> None:
        self._saved = now
        try:
            with session_scope(self.app) as session:
                job = session.get(Job, self.job_id)
                if job is None:
                    return
                job.done, job.total, job.summary = self.done, self.total, dict(self.counts)
                job.updated_at = utcnow()
                if state is not None:
                    job.state, job.finished_at = state, utcnow()
        except Exception:  # progress is for people; the work itself must go on
            log.exception("could not record the progress of job %s", self.job_id)

    def finish(self, interrupted: bool = False) -> None:
        """The last count on the terminal (the progress line ends) and in the job row."""
        if self.tty or (self.done != self._shown_done and (self.done or self.total is None)):
            self._show(time.monotonic())
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
        if self.job_id is not None:
            self._save(time.monotonic(), JobState.INTERRUPTED if interrupted else JobState.DONE)


def recent_jobs(session: Session, limit: int = 10) -> list[Job]:
    """The latest jobs, running ones first."""
    jobs = list(session.scalars(select(Job).order_by(Job.started_at.desc(), Job.id.desc()).limit(limit)))
    return sorted(jobs, key=lambda job: job.state != JobState.RUNNING)


def is_stale(job: Job, now: datetime | None = None) -> bool:
    """A job still marked running whose process stopped without saying so (killed, power cut)."""
    now = now or utcnow()
    updated = job.updated_at if job.updated_at.tzinfo else job.updated_at.replace(tzinfo=now.tzinfo)
    return job.state == JobState.RUNNING and now - updated > STALE_AFTER


def describe(job: Job, now: datetime | None = None) -> dict[str, object]:
    """What the status page shows of a job: its counts, share done, rate and time left."""
    now = now or utcnow()
    state = "stalled" if is_stale(job, now) else job.state
    elapsed = (job.updated_at - job.started_at).total_seconds()
    rate, left = rate_and_left(job.done, job.total, elapsed)
    return {"id": job.id, "kind": job.kind, "label": job.label, "state": state, "done": job.done,
            "total": job.total, "percent": 100 * job.done // job.total if job.total else None,
            "per_minute": round(60 * rate, 1) if job.done else None,
            "left": left if state == JobState.RUNNING else None,
            "started_at": job.started_at, "finished_at": job.finished_at, "summary": job.summary or {}}


def text_backlog(session: Session) -> dict[str, int]:
    """File versions waiting for their text (scans for OCR), and those whose text could not be read."""
    counts = dict(session.execute(
        select(DocumentFile.text_status, func.count(DocumentFile.id))
        .where(DocumentFile.text_status.in_([TextStatus.PENDING, TextStatus.FAILED]))
        .group_by(DocumentFile.text_status)).all())
    return {"pending": counts.get(TextStatus.PENDING, 0), "failed": counts.get(TextStatus.FAILED, 0)}
