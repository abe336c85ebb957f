"""User management for the administrator."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from records import accounts, audit, db
from records.errors import UserError
from records.i18n import _
from records.models import User
from records.permissions import ROLE_LABELS, Perm, Role
from records.web import require

bp = Blueprint("admin", __name__, url_prefix="/admin")


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
    user = session.get(User, user_id)
    if user is None:
        raise UserError("no_user", _("There is no such user."), status=404)
    error = None
    if request.method == "POST":
        try:
            active = request.form.get("active") == "1"
            if user.id == current_user.id and not active:
                raise UserError("self_deactivate", _("You cannot switch off your own account."))
            full_name = request.form.get("full_name", user.full_name).strip()
            if full_name != user.full_name:
                audit.record(session, "user:rename", user, before=user.full_name, after=full_name)
                user.full_name = full_name
            accounts.set_roles(session, user, request.form.getlist("roles"), actor=current_user)
            accounts.set_active(session, user, active, actor=current_user)
            if request.form.get("password"):
                accounts.set_password(session, user, request.form["password"],
                                      min_length=current_app.config["PASSWORD_MIN_LENGTH"], actor=current_user)
            if request.form.get("unlock") == "1" and user.locked_until is not None:
                user.locked_until = None
                user.failed_logins = 0
                audit.record(session, "user:unlock", user)
        except UserError as exc:
            session.rollback()
            error = str(exc.message)
        else:
            flash(_("User %(name)s was saved.", name=user.username), "success")
            return redirect(url_for(".users"))
    return render_template("admin/user_form.html", user=user, roles=list(Role), role_labels=ROLE_LABELS,
                           error=error, form=request.form), (400 if error else 200)


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
