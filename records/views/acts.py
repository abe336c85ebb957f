"""Destruction acts and inventories of permanent cases, step by step: the records officer drafts, the
expert commission agrees (with its protocol and decisions), the head of the organisation approves, the
records officer executes the act or hands the inventory's cases to the archive. Same blueprint as
:mod:`records.views.disposal`."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, flash, redirect, render_template, send_file, url_for
from flask_login import current_user

from records import db, disposition, worker
from records.blobs import get_store
from records.disposition import exports, forms, handover
from records.errors import UserError
from records.i18n import _, ngettext
from records.models import ActStatus, DestructionMethod, InventoryStatus, ReviewDecision
from records.permissions import Perm
from records.retention import format_retention
from records.views import webforms
from records.views.disposal import bp, download, form_lang
from records.web import require, select_locale, year_arg


# --- destruction acts ----------------------------------------------------------------------------

@bp.get("/acts")
@require(Perm.VIEW_REPORTS)
def acts() -> Any:
    return render_template("disposal/acts.html", acts=disposition.acts.list_acts(db.session()))


@bp.post("/acts")
@require(Perm.DRAFT_ACTS)
def draft_act() -> Any:
    form = webforms.DraftActForm()
    act = disposition.acts.draft_act(db.session(), number=form.number.data, act_date=form.act_date.value(),
                                     case_ids=form.case_id.ids(), actor=current_user, note=form.note.data)
    flash(_("Act No. %(number)s was drafted; it now goes to the expert commission for agreement.",
            number=act.number), "success")
    return redirect(url_for(".act", act_id=act.id))


@bp.get("/acts/<int:act_id>")
@require(Perm.VIEW_REPORTS)
def act(act_id: int) -> Any:
    the_act = disposition.acts.get_act(db.session(), act_id)
    lang = forms.form_language(select_locale())
    return render_template("disposal/act.html", act=the_act, lang=lang, headers=forms.act_headers(lang),
                           rows=[forms.act_cells(r, lang) for r in the_act.rows], ActStatus=ActStatus,
                           ReviewDecision=ReviewDecision, DestructionMethod=DestructionMethod,
                           has_paper=any(r.case.is_paper for r in the_act.destroy_rows),
                           execution=disposition.execution.progress(the_act),
                           blocker=disposition.execution.blocker(db.session(), the_act))


@bp.get("/acts/<int:act_id>.pdf")
@require(Perm.VIEW_REPORTS)
def act_pdf(act_id: int) -> Any:
    return _act_file(act_id, "pdf")


@bp.get("/acts/<int:act_id>.xlsx")
@require(Perm.VIEW_REPORTS)
def act_xlsx(act_id: int) -> Any:
    return _act_file(act_id, "xlsx")


def _act_file(act_id: int, fmt: str) -> Any:
    session = db.session()
    the_act = disposition.acts.get_act(session, act_id)
    lang = form_lang()
    return download(exports.act_form(session, the_act, fmt, lang, actor=current_user), fmt,
                    f"act-{the_act.number}-{lang}")


@bp.post("/acts/<int:act_id>/agree")
@require(Perm.AGREE_ACTS)
def agree_act(act_id: int) -> Any:
    session = db.session()
    the_act = disposition.acts.get_act(session, act_id)
    form = webforms.AgreementForm()
    disposition.acts.agree_act(session, the_act, protocol_number=form.protocol_number.data,
                               protocol_date=form.protocol_date.value(), decisions=form.decisions(the_act),
                               actor=current_user)
    flash(_("The commission's agreement is recorded; the act now goes to the head of the organisation."), "success")
    return redirect(url_for(".act", act_id=act_id))


@bp.post("/acts/<int:act_id>/refuse")
@require(Perm.AGREE_ACTS)
def refuse_act(act_id: int) -> Any:
    session = db.session()
    the_act = disposition.acts.get_act(session, act_id)
    if the_act.status != ActStatus.DRAFT:
        flash(_("Only a draft act can be sent back by the commission."), "error")
        return redirect(url_for(".act", act_id=act_id))
    disposition.acts.reject_act(session, the_act, actor=current_user, reason=webforms.ReasonForm().reason.data)
    flash(_("The act was rejected; its cases may go into another act."), "success")
    return redirect(url_for(".act", act_id=act_id))


@bp.post("/acts/<int:act_id>/approve")
@require(Perm.APPROVE_ACTS)
def approve_act(act_id: int) -> Any:
    session = db.session()
    disposition.acts.approve_act(session, disposition.acts.get_act(session, act_id), actor=current_user)
    flash(_("The act is approved and may now be executed."), "success")
    return redirect(url_for(".act", act_id=act_id))


@bp.post("/acts/<int:act_id>/reject")
@require(Perm.APPROVE_ACTS)
def reject_act(act_id: int) -> Any:
    session = db.session()
    disposition.acts.reject_act(session, disposition.acts.get_act(session, act_id), actor=current_user,
                                reason=webforms.ReasonForm().reason.data)
    flash(_("The act was rejected; its cases may go into another act."), "success")
    return redirect(url_for(".act", act_id=act_id))


@bp.post("/acts/<int:act_id>/execute")
@require(Perm.EXECUTE_ACTS)
def execute_act(act_id: int) -> Any:
    form = webforms.ExecuteActForm()
    destroyed_on = form.destroyed_on.value()
    session = db.session()
    the_act = disposition.acts.get_act(session, act_id)
    job = disposition.execution.request_execution(session, the_act, actor=current_user, method=form.method.data,
                                                  destroyed_on=destroyed_on)
    if job is None:
        flash(_("This act was already executed; nothing was left to do."), "success")
        return redirect(url_for(".act", act_id=act_id))
    number = the_act.number
    session.commit()  # the worker runs the execution in sessions of its own, once this request is recorded
    worker.kick(current_app._get_current_object())
    flash(_("The execution of act No. %(number)s has begun; this page shows how far it has got.",
            number=number), "success")
    return redirect(url_for(".act", act_id=act_id))


# --- inventories of permanent cases --------------------------------------------------------------

@bp.get("/inventories")
@require(Perm.VIEW_REPORTS)
def inventories() -> Any:
    session = db.session()
    year = year_arg()
    due = disposition.expiry.expiry_list(session, year).transfer
    listed = disposition.inventories.listed_case_ids(session, [r.case_id for r in due])
    candidates = [r for r in due if r.case_id not in listed]
    return render_template("disposal/inventories.html", year=year,
                           inventories=disposition.inventories.list_inventories(session), candidates=candidates,
                           lang=select_locale(), format_retention=format_retention, today=date.today())


@bp.post("/inventories")
@require(Perm.TRANSFER_CASES)
def draft_inventory() -> Any:
    form = webforms.DraftInventoryForm()
    inventory = disposition.inventories.draft_inventory(
        db.session(), number=form.number.data, inventory_date=form.inventory_date.value(),
        case_ids=form.case_id.ids(), actor=current_user, note=form.note.data)
    flash(_("Inventory No. %(number)s was drafted; it now goes to the expert commission for agreement.",
            number=inventory.number), "success")
    return redirect(url_for(".inventory", inventory_id=inventory.id))


@bp.get("/inventories/<int:inventory_id>")
@require(Perm.VIEW_REPORTS)
def inventory(inventory_id: int) -> Any:
    session = db.session()
    the_inventory = disposition.inventories.get_inventory(session, inventory_id)
    return render_template("disposal/inventory.html", inventory=the_inventory,
                           cases=disposition.inventories.inventory_cases(session, the_inventory),
                           lang=select_locale(), InventoryStatus=InventoryStatus)


@bp.post("/inventories/<int:inventory_id>/agree")
@require(Perm.AGREE_ACTS)
def agree_inventory(inventory_id: int) -> Any:
    session = db.session()
    form = webforms.AgreementForm()
    disposition.inventories.agree_inventory(
        session, disposition.inventories.get_inventory(session, inventory_id),
        protocol_number=form.protocol_number.data, protocol_date=form.protocol_date.value(), actor=current_user)
    flash(_("The commission's agreement is recorded; the inventory now goes to the head of the organisation."),
          "success")
    return redirect(url_for(".inventory", inventory_id=inventory_id))


@bp.post("/inventories/<int:inventory_id>/approve")
@require(Perm.APPROVE_ACTS)
def approve_inventory(inventory_id: int) -> Any:
    session = db.session()
    disposition.inventories.approve_inventory(session, disposition.inventories.get_inventory(session, inventory_id),
                                              actor=current_user)
    flash(_("The inventory is approved; its cases may now be handed to the archive."), "success")
    return redirect(url_for(".inventory", inventory_id=inventory_id))


@bp.post("/inventories/<int:inventory_id>/reject")
@require(Perm.APPROVE_ACTS)
def reject_inventory(inventory_id: int) -> Any:
    session = db.session()
    disposition.inventories.reject_inventory(session, disposition.inventories.get_inventory(session, inventory_id),
                                             actor=current_user, reason=webforms.ReasonForm().reason.data)
    flash(_("The inventory was rejected; its cases may go into another inventory."), "success")
    return redirect(url_for(".inventory", inventory_id=inventory_id))


@bp.post("/inventories/<int:inventory_id>/transfer")
@require(Perm.TRANSFER_CASES)
def transfer_inventory(inventory_id: int) -> Any:
    session = db.session()
    listed = disposition.inventories.transfer_inventory(
        session, disposition.inventories.get_inventory(session, inventory_id), actor=current_user)
    flash(ngettext("%(num)d case was handed to the archive.", "%(num)d cases were handed to the archive.",
                   len(listed)), "success")
    return redirect(url_for(".inventory", inventory_id=inventory_id))


@bp.get("/inventories/<int:inventory_id>.<fmt>")
@require(Perm.VIEW_REPORTS)
def inventory_file(inventory_id: int, fmt: str) -> Any:
    if fmt not in forms.FORMATS:
        raise UserError("bad_format", _("Choose XLSX or PDF."), status=404)
    session = db.session()
    the_inventory = disposition.inventories.get_inventory(session, inventory_id)
    lang = form_lang()
    return download(exports.inventory_form(session, the_inventory, fmt, lang, actor=current_user), fmt,
                    f"inventory-{the_inventory.year}-{the_inventory.number}-{lang}")


@bp.get("/inventories/<int:inventory_id>/package.zip")
@require(Perm.TRANSFER_CASES)
def inventory_package(inventory_id: int) -> Any:
    session = db.session()
    the_inventory = disposition.inventories.get_inventory(session, inventory_id)
    app = current_app._get_current_object()
    package = exports.package(session, get_store(app), the_inventory, handover.packages_dir(app.config),
                              actor=current_user)
    return send_file(package.path, mimetype="application/zip", as_attachment=True, download_name=package.filename,
                     max_age=0)
