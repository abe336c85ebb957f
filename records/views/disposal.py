"""Disposition pages: the yearly expiry list and its files, year-end closing, a case's retention and
holds, destruction acts (draft, approve, execute, print), and inventories of cases sent to the archive."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from records import audit, cases, db, disposition, documents, downloads, nomenclature, reports
from records.blobs import get_store
from records.disposition import forms, handover
from records.errors import UserError
from records.i18n import _, ngettext
from records.models import ActStatus
from records.permissions import Perm
from records.retention import format_retention
from records.web import require, select_locale, year_arg

bp = Blueprint("disposal", __name__, url_prefix="/disposal")

XLSX = downloads.XLSX


def _form_lang() -> str:
    return reports.form_language(request.args.get("lang") or select_locale())


def _download(data: bytes | str, fmt: str, name: str) -> Response:
    mimetype = {"csv": "text/csv", "xlsx": XLSX, "pdf": "application/pdf"}[fmt]
    return downloads.send_data(data, f"{name}.{fmt}", mimetype)


def _date_field(name: str) -> date:
    value = documents.parse_date(request.form.get(name), _("The date"))
    if value is None:
        raise UserError("no_date", _("Give the date."))
    return value


def _ids(name: str) -> list[int]:
    try:
        return [int(v) for v in request.form.getlist(name)]
    except ValueError:
        raise UserError("bad_case", _("There is no such case.")) from None


# --- the expiry list -----------------------------------------------------------------------------

@bp.get("/")
@require(Perm.VIEW_REPORTS)
def expiry() -> Any:
    session = db.session()
    year = year_arg()
    lang = select_locale()
    audit.record(session, "report:view", object_type="expiry_list", object_id=year, year=year)
    return render_template("disposal/expiry.html", year=year, report=disposition.expiry.expiry_list(session, year),
                           lang=lang, form_lang=reports.form_language(lang), today=date.today(),
                           format_retention=format_retention)


@bp.get("/expiry/<int:year>.<fmt>")
@require(Perm.VIEW_REPORTS)
def expiry_file(year: int, fmt: str) -> Any:
    if fmt not in {"csv", "xlsx", "pdf"}:
        raise UserError("bad_format", _("Choose CSV, XLSX or PDF."), status=404)
    report = disposition.expiry.expiry_list(db.session(), year)
    lang = _form_lang()
    audit.record(db.session(), "report:export", object_type="expiry_list", object_id=year, year=year, format=fmt,
                 lang=lang)
    data = {"csv": lambda: reports.expiry_csv(report, lang), "xlsx": lambda: reports.expiry_xlsx(report, lang),
            "pdf": lambda: reports.expiry_pdf(report, lang)}[fmt]()
    return _download(data, fmt, f"expiry-{year}-{lang}")


# --- year-end closing ----------------------------------------------------------------------------

@bp.get("/close")
@require(Perm.MANAGE_CASES)
def closing() -> Any:
    year = nomenclature.check_year(request.args.get("year") or date.today().year - 1)
    return render_template("disposal/close.html", year=year, checklist=disposition.closing.closing_checklist(db.session(), year),
                           lang=select_locale())


@bp.post("/close/<int:year>")
@require(Perm.MANAGE_CASES)
def close_year(year: int) -> Any:
    result = disposition.closing.close_year(db.session(), year, actor=current_user,
                                 acknowledged=request.form.get("acknowledged") == "1")
    flash(ngettext("%(num)d case of %(year)s was closed.", "%(num)d cases of %(year)s were closed.", result.closed,
                   year=year), "success")
    if result.next_nomenclature:
        flash(_("The nomenclature for %(year)s was drafted for approval.", year=result.next_nomenclature), "success")
    return redirect(url_for(".closing", year=year))


# --- one case: retention, keeping, holds ---------------------------------------------------------

@bp.get("/cases/<int:case_id>")
@require(Perm.VIEW_REPORTS)
def case(case_id: int) -> Any:
    session = db.session()
    the_case = cases.get_case(session, case_id)
    return render_template("disposal/case.html", case=the_case, due=disposition.rules.case_due(session, the_case),
                           holds=disposition.holds.active_holds(session, the_case), lang=select_locale(),
                           format_retention=format_retention)


@bp.post("/cases/<int:case_id>/override")
@require(Perm.MANAGE_CASES)
def override(case_id: int) -> Any:
    session = db.session()
    the_case = cases.get_case(session, case_id)
    disposition.overrides.set_override(session, the_case, retention=request.form.get("retention", ""),
                          reason=request.form.get("reason", ""), actor=current_user)
    flash(_("The retention of this case was changed."), "success")
    return redirect(url_for(".case", case_id=case_id))


@bp.post("/cases/<int:case_id>/keeping")
@require(Perm.MANAGE_CASES)
def keeping(case_id: int) -> Any:
    session = db.session()
    disposition.closing.update_keeping(session, cases.get_case(session, case_id), actor=current_user,
                            is_paper=request.form.get("is_paper") == "1", sheets=request.form.get("sheets"),
                            carry_over=request.form.get("carry_over") == "1")
    flash(_("Saved."), "success")
    return redirect(url_for(".case", case_id=case_id))


@bp.post("/cases/<int:case_id>/close")
@require(Perm.MANAGE_CASES)
def close_case(case_id: int) -> Any:
    session = db.session()
    cases.close_case(session, cases.get_case(session, case_id), actor=current_user)
    flash(_("The case was closed."), "success")
    return redirect(url_for(".case", case_id=case_id))


@bp.post("/cases/<int:case_id>/hold")
@require(Perm.MANAGE_HOLDS)
def hold_case(case_id: int) -> Any:
    session = db.session()
    disposition.holds.place_hold(session, case=cases.get_case(session, case_id), reason=request.form.get("reason", ""),
                        requested_by=request.form.get("requested_by", ""), actor=current_user)
    flash(_("The hold was placed."), "success")
    return redirect(url_for(".case", case_id=case_id))


@bp.post("/documents/<int:document_id>/hold")
@require(Perm.MANAGE_HOLDS)
def hold_document(document_id: int) -> Any:
    session = db.session()
    document = documents.get_document(session, document_id)
    disposition.holds.place_hold(session, document=document, reason=request.form.get("reason", ""),
                        requested_by=request.form.get("requested_by", ""), actor=current_user)
    flash(_("The hold was placed."), "success")
    return redirect(url_for(".case", case_id=document.case_id))


@bp.post("/holds/<int:hold_id>/release")
@require(Perm.MANAGE_HOLDS)
def release_hold(hold_id: int) -> Any:
    session = db.session()
    hold = disposition.holds.get_hold(session, hold_id)
    disposition.holds.release_hold(session, hold, reason=request.form.get("reason", ""), actor=current_user)
    flash(_("The hold was released."), "success")
    return redirect(request.form.get("next") if (request.form.get("next") or "").startswith("/disposal/")
                    else url_for(".holds"))


@bp.get("/holds")
@require(Perm.VIEW_REPORTS)
def holds() -> Any:
    return render_template("disposal/holds.html", holds=disposition.holds.standing_holds(db.session()))


# --- destruction acts ----------------------------------------------------------------------------

@bp.get("/acts")
@require(Perm.VIEW_REPORTS)
def acts() -> Any:
    return render_template("disposal/acts.html", acts=disposition.acts.list_acts(db.session()))


@bp.post("/acts")
@require(Perm.DRAFT_ACTS)
def draft_act() -> Any:
    act = disposition.acts.draft_act(db.session(), number=request.form.get("number", ""), act_date=_date_field("act_date"),
                             case_ids=_ids("case_id"), actor=current_user, note=request.form.get("note", ""))
    flash(_("Act No. %(number)s was drafted; it now waits for the head of department's approval.",
            number=act.number), "success")
    return redirect(url_for(".act", act_id=act.id))


@bp.get("/acts/<int:act_id>")
@require(Perm.VIEW_REPORTS)
def act(act_id: int) -> Any:
    the_act = disposition.acts.get_act(db.session(), act_id)
    lang = forms.form_language(select_locale())
    return render_template("disposal/act.html", act=the_act, lang=lang, headers=forms.act_headers(lang),
                           rows=[forms.act_cells(r, lang) for r in the_act.rows], ActStatus=ActStatus)


@bp.get("/acts/<int:act_id>.pdf", defaults={"fmt": "pdf"})
@bp.get("/acts/<int:act_id>.xlsx", defaults={"fmt": "xlsx"})
@require(Perm.VIEW_REPORTS)
def act_pdf(act_id: int, fmt: str) -> Any:
    session = db.session()
    the_act = disposition.acts.get_act(session, act_id)
    lang = _form_lang()
    audit.record(session, "report:export", the_act, format=fmt, lang=lang)
    return _download(forms.act_form(session, the_act, fmt, lang), fmt, f"act-{the_act.number}-{lang}")


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
                        reason=request.form.get("reason", ""))
    flash(_("The act was rejected; its cases may go into another act."), "success")
    return redirect(url_for(".act", act_id=act_id))


@bp.post("/acts/<int:act_id>/execute")
@require(Perm.EXECUTE_ACTS)
def execute_act(act_id: int) -> Any:
    # Execution commits case by case in sessions of its own; the request's transaction ends first so
    # it holds no database lock meanwhile.
    actor_id = current_user.id
    db.session().commit()
    result = disposition.execution.execute_act(current_app._get_current_object(), act_id, actor_id=actor_id)
    if result.already_done:
        flash(_("This act was already executed; nothing was left to do."), "success")
    else:
        flash(" ".join((ngettext("The act was executed: %(num)d case destroyed,",
                                 "The act was executed: %(num)d cases destroyed,", result.cases),
                        ngettext("%(num)d document in all.", "%(num)d documents in all.", result.documents))),
              "success")
    return redirect(url_for(".act", act_id=act_id))


# --- transfer to the archive ---------------------------------------------------------------------

@bp.get("/inventories")
@require(Perm.VIEW_REPORTS)
def inventories() -> Any:
    session = db.session()
    year = year_arg()
    return render_template("disposal/inventories.html", year=year, inventories=disposition.inventories.list_inventories(session),
                           candidates=disposition.expiry.expiry_list(session, year).transfer, lang=select_locale(),
                           format_retention=format_retention)


@bp.post("/inventories")
@require(Perm.TRANSFER_CASES)
def transfer() -> Any:
    inventory = disposition.inventories.transfer_cases(db.session(), number=request.form.get("number", ""),
                                        year=request.form.get("year") or 0, case_ids=_ids("case_id"),
                                        actor=current_user, note=request.form.get("note", ""))
    flash(_("Inventory No. %(number)s was drawn up and its cases marked as transferred to the archive.",
            number=inventory.number), "success")
    return redirect(url_for(".inventories", year=inventory.year))


@bp.get("/inventories/<int:inventory_id>.<fmt>")
@require(Perm.VIEW_REPORTS)
def inventory_file(inventory_id: int, fmt: str) -> Any:
    if fmt not in forms.FORMATS:
        raise UserError("bad_format", _("Choose XLSX or PDF."), status=404)
    session = db.session()
    inventory = disposition.inventories.get_inventory(session, inventory_id)
    lang = _form_lang()
    audit.record(session, "report:export", inventory, format=fmt, lang=lang)
    return _download(forms.inventory_form(session, inventory, fmt, lang), fmt,
                     f"inventory-{inventory.year}-{inventory.number}-{lang}")


@bp.get("/inventories/<int:inventory_id>/package.zip")
@require(Perm.TRANSFER_CASES)
def inventory_package(inventory_id: int) -> Any:
    session = db.session()
    inventory = disposition.inventories.get_inventory(session, inventory_id)
    app = current_app._get_current_object()
    package = handover.build_package(session, get_store(app), inventory, handover.packages_dir(app.config))
    audit.record(session, "inventory:package", inventory, number=inventory.number, cases=package.cases,
                 files=package.files, bytes=package.payload_bytes)
    return send_file(package.path, mimetype="application/zip", as_attachment=True, download_name=package.filename,
                     max_age=0)


@bp.context_processor
def _labels() -> dict[str, Any]:
    def act_status_label(status: str) -> str:
        labels = {
            ActStatus.DRAFT: _("draft, awaiting approval"),
            ActStatus.APPROVED: _("approved"),
            ActStatus.EXECUTING: _("execution interrupted"),
            ActStatus.EXECUTED: _("executed"),
            ActStatus.REJECTED: _("rejected"),
        }
        return labels.get(status, status)  # type: ignore[call-overload]

    return {"act_status_label": act_status_label}
