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
from records.views import webforms
from records.views.auth import sign_in
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
    form = webforms.NewUserForm()
    if form.submit(lambda f: accounts.create_user(
            db.session(), f.username.data, f.password.data, f.roles.data, full_name=f.full_name.data,
            min_length=current_app.config["PASSWORD_MIN_LENGTH"], actor=current_user)):
        flash(_("User %(name)s was created.", name=form.result.username), "success")
        return redirect(url_for(".users"))
    return render_template("admin/user_form.html", user=None, roles=list(Role), role_labels=ROLE_LABELS,
                           error=form.error, values=request.form), form.status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require(Perm.MANAGE_USERS)
def edit_user(user_id: int) -> Any:
    session = db.session()
    user = accounts.get_user_by_id(session, user_id)
    form = webforms.UserForm()
    if form.submit(lambda f: accounts.update_user(
            session, user, full_name=f.full_name.data, roles=f.roles.data, active=f.active.data,
            password=f.password.data, min_length=current_app.config["PASSWORD_MIN_LENGTH"], actor=current_user)):
        if user.id == current_user.id:
            sign_in(user)  # a password change ended this session with the others
        flash(_("User %(name)s was saved.", name=user.username), "success")
        return redirect(url_for(".users"))
    return render_template("admin/user_form.html", user=user, roles=list(Role), role_labels=ROLE_LABELS,
                           error=form.error, values=request.form, tokens=accounts.list_tokens(session, user),
                           token_state=accounts.token_state, token_expiry=accounts.token_expiry), form.status


@bp.post("/users/<int:user_id>/tokens/revoke")
@require(Perm.MANAGE_USERS)
def revoke_tokens(user_id: int) -> Any:
    """Revoke one API token of a user (``token_id``) or, without it, all of them."""
    session = db.session()
    user = accounts.get_user_by_id(session, user_id)
    raw = webforms.RevokeTokenForm().token_id.data.strip()
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
        form = webforms.organisation_form(details.FIELDS)
        details.save(session, {name: form[name].data for name in details.FIELDS}, actor=current_user)
        flash(_("Saved."), "success")
        return redirect(url_for(".organisation"))
    return render_template("admin/organisation.html", organisation=details.details(session), labels=details.LABELS,
                           fields=details.FIELDS)
