"""Reading the audit trail: filtered pages of events, CSV export, and the inspection report of a
period (who searched, viewed, downloaded or exported what).

Writing events is :mod:`records.audit`; this module only reads them.
"""
from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from records import audit, spreadsheet
from records.errors import UserError
from records.i18n import _l
from records.models import AuditAction, AuditEvent

PER_PAGE = 50
CSV_COLUMNS = ("id", "at", "actor", "actor_id", "action", "object_type", "object_id", "ip", "detail", "hash")
# Actions that show what someone looked at or took away: the substance of an inspection.
ACCESS_ACTIONS = (AuditAction.DOCUMENT_VIEW, AuditAction.DOCUMENT_PREVIEW, AuditAction.DOCUMENT_DOWNLOAD)
ACCESS_PREFIXES = ("search", "report")


@dataclass(frozen=True)
class AuditFilter:
    person: str = ""  # user name, exact (case-insensitive)
    action: str = ""  # exact action, or an area with a trailing colon ("document:")
    object: str = ""  # "document", or "document:12"
    since: date | None = None  # inclusive, UTC days
    until: date | None = None  # inclusive

    @classmethod
    def from_args(cls, args: Any) -> AuditFilter:
        return cls(person=str(args.get("person") or "").strip()[:64],
                   action=str(args.get("action") or "").strip()[:64],
                   object=str(args.get("object") or "").strip()[:100],
                   since=parse_day(args.get("since"), _l("The start of the period")),
                   until=parse_day(args.get("until"), _l("The end of the period")))

    def query_args(self) -> dict[str, str]:
        args = {"person": self.person, "action": self.action, "object": self.object,
                "since": self.since.isoformat() if self.since else "",
                "until": self.until.isoformat() if self.until else ""}
        return {k: v for k, v in args.items() if v}


def parse_day(value: Any, what: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise UserError("bad_date", _l("%(field)s must be a date written as YYYY-MM-DD.", field=what)) from None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _filtered(query: Select[Any], flt: AuditFilter) -> Select[Any]:
    if flt.person:
        query = query.where(func.lower(AuditEvent.actor) == flt.person.lower())
    if flt.action:
        if flt.action.endswith(":"):
            query = query.where(AuditEvent.action.startswith(flt.action, autoescape=True))
        else:
            query = query.where(AuditEvent.action == flt.action)
    if flt.object:
        object_type, _sep, object_id = flt.object.partition(":")
        query = query.where(AuditEvent.object_type == object_type.strip())
        if object_id.strip():
            query = query.where(AuditEvent.object_id == object_id.strip())
    if flt.since:
        query = query.where(AuditEvent.at >= _day_start(flt.since))
    if flt.until:
        query = query.where(AuditEvent.at < _day_start(flt.until + timedelta(days=1)))
    if flt.since and flt.until and flt.since > flt.until:
        raise UserError("bad_period", _l("The period ends before it starts."))
    return query


@dataclass
class EventPage:
    events: list[AuditEvent]
    page: int
    pages: int
    total: int


def find_events(session: Session, flt: AuditFilter, page: int = 1, per_page: int = PER_PAGE) -> EventPage:
    """One page of matching events, newest first."""
    total = session.scalar(_filtered(select(func.count(AuditEvent.id)), flt)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    events = list(session.scalars(
        _filtered(select(AuditEvent), flt).order_by(AuditEvent.id.desc()).offset((page - 1) * per_page).limit(per_page)))
    return EventPage(events=events, page=page, pages=pages, total=total)


def browse(session: Session, flt: AuditFilter, page: int = 1, *, actor: Any) -> EventPage:
    """A page of the trail for a person, whose reading goes on the trail too."""
    found = find_events(session, flt, page=page)
    audit.record(session, AuditAction.AUDIT_VIEW, actor=actor, page=found.page, filters=flt.query_args())
    return found


def note_export(session: Session, flt: AuditFilter, *, actor: Any, **via: Any) -> None:
    """Record that the events ``flt`` selects are being exported (the file is written afterwards, by
    :func:`export_csv`, in a session of its own)."""
    audit.record(session, AuditAction.AUDIT_EXPORT, actor=actor, **via, filters=flt.query_args())


def action_names(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def iter_events(session: Session, flt: AuditFilter, batch: int = 1000) -> Iterator[AuditEvent]:
    """Every matching event in chain order, read in batches so memory stays bounded."""
    last = 0
    while True:
        rows = list(session.scalars(
            _filtered(select(AuditEvent), flt).where(AuditEvent.id > last).order_by(AuditEvent.id).limit(batch)))
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()


def _iso(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="seconds")


def event_row(ev: AuditEvent) -> list[Any]:
    return [ev.id, _iso(ev.at), ev.actor, ev.actor_id, ev.action, ev.object_type, ev.object_id, ev.ip,
            json.dumps(ev.detail, ensure_ascii=False, sort_keys=True), ev.hash]


def export_csv(session: Session, flt: AuditFilter, *, bom: bool = True) -> Iterator[str]:
    """The matching events as CSV text, chunk by chunk (by default with the byte-order mark that tells
    spreadsheets the file is UTF-8)."""
    buffer = io.StringIO()
    writer = spreadsheet.SafeWriter(buffer)
    if bom:
        buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    for n, ev in enumerate(iter_events(session, flt), 1):
        writer.writerow(event_row(ev))
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@dataclass
class AccessLine:
    """One person's repeated access of one thing in the period."""

    actor: str
    action: str
    what: str  # "document 12", or the search query
    count: int
    first: datetime
    last: datetime
    # An approval by someone who also holds a drafting role of the same paper (ALLOW_COMBINED_ROLES).
    combined_roles: bool = False


def _is_access(action: str) -> bool:
    return action in ACCESS_ACTIONS or action.startswith(ACCESS_PREFIXES) or action.endswith(":export")


def _combined(detail: Any) -> bool:
    return isinstance(detail, dict) and bool(detail.get("combined_roles"))


def _what(object_type: str | None, object_id: str | None, detail: Any) -> str:
    query = detail.get("query") if isinstance(detail, dict) else None
    if query is not None:
        return f"«{query}»"
    if object_type:
        return f"{object_type} {object_id or ''}".strip()
    return ""


def inspection_report(session: Session, since: date, until: date) -> list[AccessLine]:
    """Who searched, viewed, downloaded or exported what in the period, one line per person and thing;
    approvals given by someone who also drafts that paper are listed too, flagged."""
    flt = AuditFilter(since=since, until=until)
    # Plain columns, not entities: a long period must not fill the session with objects.
    query = _filtered(select(AuditEvent.id, AuditEvent.actor, AuditEvent.action, AuditEvent.object_type,
                             AuditEvent.object_id, AuditEvent.detail, AuditEvent.at), flt).where(or_(
        AuditEvent.action.in_(ACCESS_ACTIONS),
        *[AuditEvent.action.startswith(p) for p in ACCESS_PREFIXES],
        AuditEvent.action.endswith(":export"),
        # Approvals and agreements, for the flag of combined roles.
        AuditEvent.action.endswith(":approve"),
        AuditEvent.action.endswith(":agree"),
    ))
    lines: dict[tuple[str, str, str], AccessLine] = {}
    last = 0
    while True:
        rows = session.execute(query.where(AuditEvent.id > last).order_by(AuditEvent.id).limit(1000)).all()
        if not rows:
            break
        for ev_id, actor, action, object_type, object_id, detail, at in rows:
            last = ev_id
            combined = _combined(detail)
            if not (_is_access(action) or combined):
                continue
            key = (actor, action, _what(object_type, object_id, detail))
            line = lines.get(key)
            if line is None:
                lines[key] = AccessLine(actor, action, key[2], 1, at, at, combined)
            else:
                line.count += 1
                line.last = at
    return sorted(lines.values(), key=lambda ln: (ln.actor, ln.action, ln.what))


def inspection(session: Session, since: date, until: date, *, fmt: str, actor: Any) -> list[AccessLine]:
    """The inspection report for a person (shown as a page or as CSV, ``fmt``), recorded as made."""
    lines = inspection_report(session, since, until)
    audit.record(session, AuditAction.REPORT_INSPECTION, actor=actor, since=since.isoformat(),
                 until=until.isoformat(), format=fmt, lines=len(lines))
    return lines


def inspection_csv(lines: list[AccessLine], headers: Sequence[str] = ("actor", "action", "what", "count", "first",
                                                                       "last", "combined_roles"),
                   action_label: Callable[[str], str] = str, flag: str = "yes") -> str:
    """The inspection report as CSV; the page passes headers and action names in the reader's language."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = spreadsheet.SafeWriter(buffer)
    writer.writerow(headers)
    for ln in lines:
        writer.writerow([ln.actor, action_label(ln.action), ln.what, ln.count, _iso(ln.first), _iso(ln.last),
                         flag if ln.combined_roles else ""])
    return buffer.getvalue()
