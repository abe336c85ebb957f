"""Disposition pages: the yearly expiry list and its files, year-end closing, a case's retention, volumes
and holds. Destruction acts and inventories are in :mod:`records.views.acts`, on the same blueprint."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from records import cases, db, disposition, downloads, nomenclature
from records.capture import documents
from records.disposition import exports, reports
from records.errors import UserError
from records.i18n import _, ngettext
from records.permissions import Perm
from records.retention import format_retention
from records.web import require, select_locale, year_arg

bp = Blueprint("disposal", __name__, url_prefix="/disposal")

XLSX = downloads.XLSX


def form_lang() -> str:
    return reports.form_language(request.args.get("lang") or select_locale())


def download(data: bytes | str, fmt: str, name: str) -> Response:
    """A generated file as an attachment, named through ``send_file`` (RFC 6266 ``filename*`` when the name
    is not ASCII, as an inventory number in Cyrillic)."""
    mimetype = {"csv": "text/csv", "xlsx": XLSX, "pdf": "application/pdf"}[fmt]
    return downloads.send_data(data, f"{name}.{fmt}", mimetype)


def date_field(name: str) -> date:
    value = documents.parse_date(request.form.get(name), _("The date"))
    if value is None:
        raise UserError("no_date", _("Give the date."))
    return value


def ids_field(name: str) -> list[int]:
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
    return render_template("disposal/expiry.html", year=year,
                           report=exports.expiry_list(session, year, actor=current_user),
                           lang=lang, form_lang=reports.form_language(lang), today=date.today(),
                           format_retention=format_retention)


@bp.get("/expiry/<int:year>.<fmt>")
@require(Perm.VIEW_REPORTS)
def expiry_file(year: int, fmt: str) -> Any:
    if fmt not in {"csv", "xlsx", "pdf"}:
        raise UserError("bad_format", _("Choose CSV, XLSX or PDF."), status=404)
    lang = form_lang()
    report = exports.expiry_list(db.session(), year, actor=current_user, format=fmt, lang=lang)
    data = {"csv": lambda: reports.expiry_csv(report, lang), "xlsx": lambda: reports.expiry_xlsx(report, lang),
            "pdf": lambda: reports.expiry_pdf(report, lang)}[fmt]()
    return download(data, fmt, f"expiry-{year}-{lang}")


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
    applied = disposition.overrides.set_override(session, the_case, retention=request.form.get("retention", ""),
                                                 reason=request.form.get("reason", ""), actor=current_user)
    if applied:
        flash(_("The retention of this case was changed."), "success")
    else:
        flash(_("The retention would become shorter: the change waits for a second person's approval."), "success")
    return redirect(url_for(".case", case_id=case_id))


@bp.post("/cases/<int:case_id>/override/approve")
@require(Perm.APPROVE_OVERRIDES)
def approve_override(case_id: int) -> Any:
    session = db.session()
    disposition.overrides.approve_override(session, cases.get_case(session, case_id), actor=current_user)
    flash(_("The shorter retention was approved and applies now."), "success")
    return redirect(url_for(".case", case_id=case_id))


@bp.post("/cases/<int:case_id>/override/reject")
@require(Perm.APPROVE_OVERRIDES)
def reject_override(case_id: int) -> Any:
    session = db.session()
    disposition.overrides.reject_override(session, cases.get_case(session, case_id), actor=current_user)
    flash(_("The requested change of retention was turned down."), "success")
    return redirect(url_for(".case", case_id=case_id))


@bp.post("/cases/<int:case_id>/volume")
@require(Perm.MANAGE_CASES)
def new_volume(case_id: int) -> Any:
    session = db.session()
    volume = cases.open_new_volume(session, cases.get_case(session, case_id), reason=request.form.get("reason", ""),
                                   actor=current_user)
    flash(_("Volume %(n)s of case %(index)s of %(year)s is open and takes documents.", n=volume.volume,
            index=volume.index, year=volume.year), "success")
    return redirect(url_for(".case", case_id=volume.id))


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
