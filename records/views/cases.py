"""Cases of a year, and one case with its documents."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from records import cases, db, nomenclature
from records.capture import previews
from records.permissions import Perm
from records.web import require, select_locale, year_arg

bp = Blueprint("cases", __name__, url_prefix="/cases")


@bp.get("/")
@require(Perm.VIEW_RECORDS)
def index() -> Any:
    session = db.session()
    year = year_arg()
    years = sorted(set(cases.case_years(session)) | set(nomenclature.years(session)) | {year}, reverse=True)
    return render_template("cases/index.html", year=year, rows=cases.list_cases(session, year), years=years,
                           lang=select_locale())


@bp.get("/<int:case_id>")
@require(Perm.VIEW_RECORDS)
def show(case_id: int) -> Any:
    case = cases.get_case(db.session(), case_id)
    return render_template("cases/show.html", case=case, lang=select_locale(), picture_kinds=previews.RENDERED_KINDS)
