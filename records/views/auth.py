"""Signing in and out, and changing one's own password."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_login import current_user, login_required, login_user, logout_user

from records import accounts, db
from records.errors import UserError
from records.i18n import _
from records.web import safe_next

bp = Blueprint("auth", __name__)
# The key of the server-side session (see accounts.start_session) inside the signed session cookie.
SESSION_KEY = "sid"


def sign_in(user: Any) -> None:
    """Start a session the server knows: the cookie alone, copied, stops working when it ends."""
    accounts.end_session(db.session(), cookie_session.get(SESSION_KEY))
    cookie_session.clear()
    cookie_session[SESSION_KEY] = accounts.start_session(db.session(), user, ip=request.remote_addr)
    login_user(user, remember=False)


@bp.route("/login", methods=["GET", "POST"])
@db.reads_first  # the password is checked without holding the write lock
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    error = None
    status = 200
    if request.method == "POST":
        session = db.session()
        try:
            user = accounts.authenticate(
                session, request.form.get("username", ""), request.form.get("password", ""),
                policy=accounts.LoginPolicy.from_config(current_app.config), ip=request.remote_addr,
            )
        except UserError as exc:
            # The failure itself (counters, audit event) must be kept.
            session.commit()
            error, status = str(exc.message), exc.status
        else:
            sign_in(user)
            return redirect(safe_next(request.args.get("next")))
    return render_template("login.html", error=error), status


@bp.post("/logout")
@login_required
def logout() -> Any:
    accounts.sign_out(db.session(), current_user._get_current_object(), cookie_session.get(SESSION_KEY))
    logout_user()
    cookie_session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    error = None
    if request.method == "POST":
        user = current_user._get_current_object()
        if not accounts.verify_password(user, request.form.get("current", "")):
            error = _("The current password is wrong.")
        elif request.form.get("new") != request.form.get("repeat"):
            error = _("The two new passwords differ.")
        else:
            try:
                accounts.set_password(db.session(), user, request.form.get("new", ""),
                                      min_length=current_app.config["PASSWORD_MIN_LENGTH"], actor=user)
            except UserError as exc:
                error = str(exc.message)
            else:
                sign_in(user)  # the password change ended every session of the user, this one too
                flash(_("Your password has been changed."), "success")
                return redirect(url_for("main.home"))
    return render_template("password.html", error=error), (400 if error else 200)
