"""The audit trail for administrators and auditors: filtered events, CSV export, and the inspection
report of a period. Reading the trail is itself on record."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask_login import current_user

from records import audit_log, audit_words, db
from records.db import session_scope
from records.i18n import _
from records.permissions import Perm
from records.web import require

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _csv_response(body: Any, filename: str) -> Response:
    resp = Response(body, mimetype="text/csv")
    resp.headers.set("Content-Disposition", "attachment", filename=filename)  # an ASCII name: dates only
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.get("/")
@require(Perm.VIEW_AUDIT)
def events() -> Any:
    flt = audit_log.AuditFilter.from_args(request.args)
    session = db.session()
    found = audit_log.browse(session, flt, page=request.args.get("page", 1, type=int) or 1, actor=current_user)
    actions = audit_log.action_names(session)
    areas = sorted({a.split(":", 1)[0] for a in actions})
    return render_template("audit/events.html", found=found, flt=flt, actions=actions, areas=areas,
                           args=flt.query_args(), lines=audit_words.describe(session, found.events),
                           action_label=audit_words.action_label, area_label=audit_words.area_label)


@bp.get("/export.csv")
@require(Perm.VIEW_AUDIT)
def export_csv() -> Any:
    flt = audit_log.AuditFilter.from_args(request.args)
    audit_log.note_export(db.session(), flt, actor=current_user)
    app = current_app._get_current_object()

    def generate() -> Any:
        # Its own session: the body is sent after the request's session has been closed.
        with session_scope(app) as session:
            yield from audit_log.export_csv(session, flt)

    return _csv_response(generate(), f"audit-{date.today().isoformat()}.csv")


@bp.get("/inspection")
@require(Perm.VIEW_AUDIT)
def inspection() -> Any:
    period = audit_log.AuditFilter.from_args(request.args)
    until = period.until or date.today()
    since = period.since or until - timedelta(days=30)
    session = db.session()
    fmt = "csv" if request.args.get("format") == "csv" else "html"
    lines = audit_log.inspection(session, since, until, fmt=fmt, actor=current_user)
    if fmt == "csv":
        headers = (_("Who"), _("Action"), _("What"), _("Times"), _("First"), _("Last"),
                   _("Approved by a person who also drafts this paper"))
        return _csv_response(audit_log.inspection_csv(lines, headers, audit_words.action_label, _("yes")),
                             f"inspection-{since}-{until}.csv")
    return render_template("audit/inspection.html", lines=lines, since=since, until=until,
                           action_label=audit_words.action_label)
