"""User management for the administrator."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from records import accounts, db
from records.errors import UserError
from records.i18n import _
from records.models import User
from records.labels import ROLE_LABELS
from records.permissions import Perm, Role
from records.views.auth import sign_in
from records.web import require

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _user_or_404(session: Any, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UserError("no_user", _("There is no such user."), status=404)
    return user


@bp.get("/users")
@require(Perm.MANAGE_USERS)
def users() -> Any:
    rows = db.session().scalars(select(User).order_by(User.username)).all()
    return render_template("admin/users.html", users=rows, role_labels=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
@require(Perm.MANAGE_USERS)
def new_user() -> Any:
    error = None
    if request.method == "POST":
        session = db.session()
        try:
            user = accounts.create_user(
                session, request.form.get("username", ""), request.form.get("password", ""),
                request.form.getlist("roles"), full_name=request.form.get("full_name", ""),
                min_length=current_app.config["PASSWORD_MIN_LENGTH"], actor=current_user,
            )
        except UserError as exc:
            session.rollback()
            error = str(exc.message)
        else:
            flash(_("User %(name)s was created.", name=user.username), "success")
            return redirect(url_for(".users"))
    return render_template("admin/user_form.html", user=None, roles=list(Role), role_labels=ROLE_LABELS,
                           error=error, form=request.form), (400 if error else 200)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require(Perm.MANAGE_USERS)
def edit_user(user_id: int) -> Any:
    session = db.session()
    user = _user_or_404(session, user_id)
    error = None
    if request.method == "POST":
        try:
            active = request.form.get("active") == "1"
            if user.id == current_user.id and not active:
                raise UserError("self_deactivate", _("You cannot switch off your own account."))
            accounts.rename(session, user, request.form.get("full_name", user.full_name), actor=current_user)
            accounts.set_roles(session, user, request.form.getlist("roles"), actor=current_user)
            accounts.set_active(session, user, active, actor=current_user)
            if request.form.get("password"):
                accounts.set_password(session, user, request.form["password"],
                                      min_length=current_app.config["PASSWORD_MIN_LENGTH"], actor=current_user)
        except UserError as exc:
            session.rollback()
            error = str(exc.message)
        else:
            if user.id == current_user.id:
                sign_in(user)  # a password change ended this session with the others
            flash(_("User %(name)s was saved.", name=user.username), "success")
            return redirect(url_for(".users"))
    return render_template("admin/user_form.html", user=user, roles=list(Role), role_labels=ROLE_LABELS,
                           error=error, form=request.form, tokens=accounts.list_tokens(session, user),
                           token_state=accounts.token_state, token_expiry=accounts.token_expiry), \
        (400 if error else 200)


@bp.post("/users/<int:user_id>/tokens/revoke")
@require(Perm.MANAGE_USERS)
def revoke_tokens(user_id: int) -> Any:
    """Revoke one API token of a user (``token_id``) or, without it, all of them."""
    session = db.session()
    user = _user_or_404(session, user_id)
    raw = request.form.get("token_id", "").strip()
    if raw and not raw.isdigit():
        raise UserError("bad_token_id", _("There is no such token."), status=404)
    count = accounts.revoke_tokens(session, user, actor=current_user, token_id=int(raw) if raw else None)
    flash(_("Tokens revoked: %(n)s.", n=count), "success")
    return redirect(url_for(".edit_user", user_id=user.id))


@bp.route("/organisation", methods=["GET", "POST"])
@require(Perm.MANAGE_SYSTEM)
def organisation() -> Any:
    """The organisation's details printed on the yearly forms."""
    from records.disposition import organisation as details

    session = db.session()
    if request.method == "POST":
        details.save(session, {name: request.form.get(name) for name in details.FIELDS}, actor=current_user)
        flash(_("Saved."), "success")
        return redirect(url_for(".organisation"))
    return render_template("admin/organisation.html", organisation=details.details(session), labels=details.LABELS,
                           fields=details.FIELDS)
