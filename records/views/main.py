"""Home page, the progress of long jobs, language switch and the health check."""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user
from sqlalchemy import text

from records import db, jobs
from records.i18n import _, ngettext
from records.permissions import Perm
from records.web import LANGUAGE_NAMES, can, perms, require, safe_next, select_locale

bp = Blueprint("main", __name__)


@bp.app_context_processor
def _template_globals() -> dict[str, Any]:
    return {"can": can, "perms": perms, "LANGUAGE_NAMES": LANGUAGE_NAMES, "current_locale": select_locale,
            "this_year": date.today().year, "format_duration": jobs.format_duration, "days_since": days_since}


def days_since(at: datetime | None) -> int | None:
    if at is None:
        return None
    if at.tzinfo is None:  # SQLite returns naive UTC
        at = at.replace(tzinfo=UTC)
    return (datetime.now(UTC) - at).days


@bp.app_template_filter("filesize")
def filesize(n_bytes: int) -> str:
    """A byte count as people read it, in the page's language: "12 байт", "1,2 МБ"."""
    from flask_babel import format_decimal

    if n_bytes < 1024:
        return ngettext("%(num)d byte", "%(num)d bytes", n_bytes)
    units = (_("KB"), _("MB"), _("GB"), _("TB"))
    size = n_bytes / 1024
    i = 0
    while size >= 1024 and i < len(units) - 1:
        size /= 1024
        i += 1
    shown = format_decimal(round(size) if size >= 10 else round(size, 1), format="#,##0.#")
    return f"{shown}\u00a0{units[i]}"


@bp.get("/")
def home() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    from records import audit_words, home as home_cards

    session = db.session()
    cards = home_cards.for_user(session, current_user)
    lines = audit_words.describe(session, cards.recent_events) if cards.recent_events else []
    return render_template("home.html", cards=cards, audit_lines=lines)


@bp.get("/jobs")
@require(Perm.MANAGE_TEXT)
def work() -> Any:
    """Imports, text reading and index rebuilds: what runs now and what ran lately, with the scans
    still waiting to be read."""
    session = db.session()
    rows = [jobs.describe(job) for job in jobs.recent_jobs(session)]
    backlog = jobs.text_backlog(session)
    return render_template("jobs.html", rows=rows, backlog=backlog,
                           running=any(row["state"] == "running" for row in rows) or backlog["pending"] > 0)


@bp.get("/lang/<code>")
def set_language(code: str) -> Any:
    resp = redirect(safe_next(request.args.get("next")))
    if code in current_app.config["LANGUAGES"]:
        resp.set_cookie("lang", code, max_age=3600 * 24 * 365, samesite="Lax", httponly=True,
                        secure=current_app.config["HTTPS"])
    return resp


@bp.get("/favicon.ico")
def favicon() -> Any:
    """Browsers ask for /favicon.ico whatever the page links to."""
    resp = send_from_directory(current_app.static_folder or "static", "favicon.ico", mimetype="image/x-icon", max_age=86400)
    return resp


@bp.get("/healthz")
def healthz() -> Any:
    try:
        db.session().execute(text("SELECT 1"))
        ok = True
    except Exception:  # the health check reports, it does not raise
        current_app.logger.exception("health check: database unreachable")
        ok = False
    resp = jsonify({"status": "ok" if ok else "error", "database": ok})
    resp.status_code = 200 if ok else 503
    return resp
