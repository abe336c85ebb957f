"""The nomenclature of cases: the paper form on screen, import and export, copying and approval."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from records import db, disposition, downloads, nomenclature
from records.disposition import exports, forms
from records.errors import UserError
from records.i18n import _
from records.models import NomenclatureItem
from records.permissions import Perm
from records.retention import format_retention, parse_retention
from records.web import require, select_locale, year_arg

bp = Blueprint("nomenclature", __name__, url_prefix="/nomenclature")


@bp.get("/")
@require(Perm.VIEW_RECORDS)
def show() -> Any:
    session = db.session()
    year = year_arg()
    nom = nomenclature.get(session, year)
    counts = nomenclature.case_counts(session, nom) if nom else {}
    totals = disposition.closing.year_end_count(session, nom) if nom else None
    lang = select_locale()
    rules = {item.id: format_retention(parse_retention(item.retention), lang) for item in (nom.items if nom else [])}
    return render_template("nomenclature/show.html", year=year, nom=nom, counts=counts, totals=totals,
                           rules=rules, years=nomenclature.years(session), lang=lang,
                           print_mode=request.args.get("print") == "1")


@bp.get("/<int:year>.csv")
@require(Perm.VIEW_RECORDS)
def export_csv(year: int) -> Any:
    nom = nomenclature.require(db.session(), year)
    return downloads.send_data(nomenclature.export_csv(nom), f"nomenclature-{year}.csv", "text/csv")


@bp.get("/<int:year>.xlsx")
@require(Perm.VIEW_RECORDS)
def export_xlsx(year: int) -> Any:
    nom = nomenclature.require(db.session(), year)
    return downloads.send_data(nomenclature.export_xlsx(nom), f"nomenclature-{year}.xlsx", downloads.XLSX)


@bp.get("/<int:year>/form.pdf")
@require(Perm.VIEW_RECORDS)
def form_pdf(year: int) -> Any:
    session = db.session()
    nom = nomenclature.require(session, year)
    lang = forms.form_language(request.args.get("lang") or select_locale())
    return downloads.send_data(exports.nomenclature_form(session, nom, lang, actor=current_user),
                               f"nomenclature-{year}-{lang}.pdf",
                               "application/pdf")


@bp.post("/create")
@require(Perm.MANAGE_NOMENCLATURE)
def create() -> Any:
    session = db.session()
    year = nomenclature.check_year(request.form.get("year"))
    source = request.form.get("source", "shipped")
    if source == "copy":
        nomenclature.copy_to_year(session, nomenclature.check_year(request.form.get("from_year")), year,
                                  actor=current_user)
    else:
        nomenclature.create(session, year, nomenclature.shipped_rows(), actor=current_user, source="shipped")
    flash(_("The nomenclature for %(year)s was drafted.", year=year), "success")
    return redirect(url_for(".show", year=year))


@bp.post("/<int:year>/import")
@require(Perm.MANAGE_NOMENCLATURE)
def import_table(year: int) -> Any:
    session = db.session()
    upload = request.files.get("table")
    if upload is None or not upload.filename:
        raise UserError("no_file", _("Choose a CSV or XLSX file to import."))
    data = upload.read(5 * 1024 * 1024 + 1)
    if len(data) > 5 * 1024 * 1024:
        raise UserError("too_large", _("A nomenclature table may be at most 5 MB."))
    rows = nomenclature.read_xlsx(data) if data[:2] == b"PK" else nomenclature.read_csv(data)
    nom = nomenclature.get(session, year)
    if nom is None:
        nomenclature.create(session, year, rows, actor=current_user, source="import")
    else:
        nomenclature.replace_items(session, nom, rows, actor=current_user)
    flash(_("%(n)s items were imported.", n=len(rows)), "success")
    return redirect(url_for(".show", year=year))


@bp.post("/<int:year>/approve")
@require(Perm.APPROVE_NOMENCLATURE)
def approve(year: int) -> Any:
    session = db.session()
    nomenclature.approve(session, nomenclature.require(session, year), actor=current_user)
    flash(_("The nomenclature for %(year)s is approved.", year=year), "success")
    return redirect(url_for(".show", year=year))


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@require(Perm.MANAGE_NOMENCLATURE)
def edit_item(item_id: int) -> Any:
    session = db.session()
    item = session.get(NomenclatureItem, item_id)
    if item is None:
        raise UserError("no_item", _("There is no such item."), status=404)
    error = None
    if request.method == "POST":
        try:
            nomenclature.update_item(
                session, item, actor=current_user, title_ky=request.form.get("title_ky", ""),
                title_ru=request.form.get("title_ru", ""), title_en=request.form.get("title_en", ""),
                retention=request.form.get("retention", ""), note=request.form.get("note", ""),
                not_to_state_archive=request.form.get("not_to_state_archive") == "1",
            )
        except UserError as exc:
            session.rollback()
            error = str(exc.message)
        else:
            flash(_("Item %(index)s was saved.", index=item.index), "success")
            return redirect(url_for(".show", year=item.nomenclature.year))
    return render_template("nomenclature/edit_item.html", item=item, error=error,
                           form=request.form if request.method == "POST" else None), (400 if error else 200)
