"""Web plumbing shared by the blueprints: permission checks, the request boundary, error pages,
security headers and the language of the page."""
from __future__ import annotations

import errno
import functools
import re
import threading
from datetime import date
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Request, abort, current_app, g, has_request_context, jsonify, render_template, request, url_for
from flask_login import LoginManager, current_user
from werkzeug.exceptions import HTTPException

from records import db
from records.errors import UserError
from records.i18n import _
from records.permissions import Perm, permissions_for

F = TypeVar("F", bound=Callable[..., Any])

_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})

LANGUAGE_NAMES = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}


def perms() -> frozenset[Perm]:
    if not current_user or not current_user.is_authenticated:
        return frozenset()
    return permissions_for(current_user.roles)


def can(perm: Perm) -> bool:
    return perm in perms()


def require(perm: Perm) -> Callable[[F], F]:
    """Let the view run only for signed-in users (or API clients) holding ``perm``. Pages send an
    anonymous visitor to the sign-in page and answer others 403; the API answers 401 or 403 in JSON."""
    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if perm not in perms():
                if wants_json():
                    # Answered, not raised: the request ends normally, so the token's use is still written.
                    return json_error("forbidden", _("You do not have permission for this."), 403)
                abort(403)
            return view(*args, **kwargs)
        wrapped.required_permission = perm  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]
    return decorator


class Logins(LoginManager):
    """Flask-Login, with the API's refusal: a client without a valid token gets the JSON 401 of the
    API's contract where a page would send a visitor to the sign-in page."""

    def unauthorized(self) -> Any:
        if wants_json():
            resp = json_error("unauthorized", _("A valid API token is required (Authorization: Bearer ...)."), 401)
            resp.headers["WWW-Authenticate"] = 'Bearer realm="sandyk"'
            return resp
        return super().unauthorized()


def bearer_token(req: Request) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, if the request has one."""
    scheme, _sep, token = req.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def year_arg() -> int:
    """The ``year`` of the query string, checked; this year when none is given."""
    from records.nomenclature import check_year

    raw = request.args.get("year")
    return check_year(raw) if raw else date.today().year


# Browsers drop tabs and line breaks from a Location (and may treat other controls alike), so
# "/\t/evil.example" reaches them as "//evil.example": another site.
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def safe_next(target: str | None) -> str:
    """A redirect target from the request, kept only when it is a path of this app; anything else,
    judged after stripping control characters, goes home."""
    cleaned = _CONTROL_CHARS.sub("", target or "")
    if cleaned.startswith("/") and not cleaned.startswith(("//", "/\\")) and "\\" not in cleaned:
        parts = urlsplit(cleaned)
        if not parts.scheme and not parts.netloc:
            return cleaned
    return url_for("main.home")


def select_locale() -> str:
    langs = current_app.config["LANGUAGES"]
    if not has_request_context():
        # Commands and background work speak the administrator's language.
        return current_app.config["CLI_LANGUAGE"]
    chosen = request.cookies.get("lang")
    if chosen in langs:
        return chosen
    if current_user and current_user.is_authenticated and current_user.language in langs:
        return current_user.language
    return request.accept_languages.best_match(langs) or current_app.config["DEFAULT_LANGUAGE"]


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(code: str, message: Any, status: int, **extra: Any) -> Any:
    body: dict[str, Any] = {"error": {"code": code, "message": str(message)}}
    if extra:
        body["error"].update(extra)
    resp = jsonify(body)
    resp.status_code = status
    return resp


_HTTP_MESSAGES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "too_many_requests",
    500: "server_error",
}


def _http_message(status: int) -> str:
    messages = {
        400: _("The request could not be understood."),
        401: _("Please sign in."),
        403: _("You do not have permission for this."),
        404: _("Nothing was found at this address."),
        405: _("This action is not allowed here."),
        413: _("The upload is larger than allowed."),
        429: _("Too many requests. Please wait a little."),
        500: _("Something went wrong on our side. It has been logged; please try again."),
    }
    return messages.get(status, _("The request could not be completed."))


def register_boundary(app: Flask) -> None:
    """One transaction per request: committed after the view, rolled back on any error. Requests that
    change things write from their first query (see ``db.begin_write``); what a read leaves to write
    goes in one short transaction after it."""

    @app.before_request
    def _write_phase() -> None:
        db.enter_write_phase(app)

    register_login_gate(app)

    @app.after_request
    def _commit(response: Any) -> Any:
        if "_db_session" in g and not g.get("_db_failed"):
            session = g._db_session
            session.commit()
            if session.info.pop("index_dirty", False):
                from records import worker

                worker.kick(app)
            db.write_after_work(app)
        return response

    @app.errorhandler(UserError)
    def _user_error(exc: UserError) -> Any:
        g._db_failed = True
        db.session().rollback()
        if wants_json():
            return json_error(exc.code, exc.message, exc.status, **exc.extra)
        return render_template("error.html", status=exc.status, message=str(exc.message)), exc.status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        if status >= 500 or "_db_session" in g:
            g._db_failed = True
            if "_db_session" in g:
                g._db_session.rollback()
        if wants_json():
            return json_error(_HTTP_MESSAGES.get(status, "error"), _http_message(status), status)
        return render_template("error.html", status=status, message=_http_message(status)), status

    @app.errorhandler(Exception)
    def _server_error(exc: Exception) -> Any:
        g._db_failed = True
        if "_db_session" in g:
            g._db_session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
            # A full disk is the administrator's to fix, and the user should know nothing was kept.
            message = _("The file could not be saved: the server's disk is full or failing. "
                        "Nothing was filed; please tell the administrator.")
            if wants_json():
                return json_error("storage_full", message, 507)
            return render_template("error.html", status=507, message=message), 507
        if wants_json():
            return json_error("server_error", _http_message(500), 500)
        return render_template("error.html", status=500, message=_http_message(500)), 500


def register_login_gate(app: Flask) -> None:
    """At most ``LOGINS_AT_ONCE`` sign-ins are checked at a time. A password check costs a fraction
    of a second of CPU, so a crowd of sign-ins (a flood, or a script) would otherwise hold every
    thread of the server while health checks and signed-in users wait; the excess is answered 429 at
    once."""
    gate = threading.BoundedSemaphore(app.config["LOGINS_AT_ONCE"])

    @app.before_request
    def _enter() -> Any:
        if request.method == "POST" and request.endpoint == "auth.login":
            if not gate.acquire(blocking=False):
                resp = app.make_response((render_template("error.html", status=429, message=_http_message(429)), 429))
                resp.headers["Retry-After"] = "1"
                return resp
            g._login_gate = True
        return None

    @app.teardown_request
    def _leave(_exc: BaseException | None) -> None:
        if g.pop("_login_gate", False):
            gate.release()


# What a user who must first replace a generated password may still open.
_BEFORE_NEW_PASSWORD = frozenset({"auth.change_password", "auth.logout", "auth.login", "static", "main.favicon",
                                  "main.set_language", "main.healthz"})


def register_password_gate(app: Flask) -> None:
    """An account whose password was generated (``password_changed_at`` unset) must change it first."""

    @app.before_request
    def _require_new_password() -> Any:
        if (request.endpoint in _BEFORE_NEW_PASSWORD or wants_json() or not current_user
                or not current_user.is_authenticated or current_user.password_changed_at is not None):
            return None
        from flask import flash, redirect

        flash(_("Please replace the generated password with one of your own before you continue."), "warning")
        return redirect(url_for("auth.change_password"))


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Any) -> Any:
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'self'; "
            "base-uri 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("HTTPS"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.endpoint and not request.endpoint.endswith("static"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
