"""The search page: one query box, facets that narrow, sort and pages, results linking to documents."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from records import db
from records.capture import previews
from records.errors import UserError
from records.labels import doc_type_labels
from records.permissions import Perm
from records.search.service import MAX_PAGE, PER_PAGE, parse_search_request, search_documents
from records.web import can, require

bp = Blueprint("search", __name__, url_prefix="/search")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"facet_value_label": facet_value_label, "per_page": PER_PAGE, "max_page": MAX_PAGE}


def facet_value_label(name: str, value: str) -> str:
    """How a facet value reads on the page: document types by their name, years and indexes as they are."""
    if name == "type":
        return doc_type_labels().get(value, value)
    return value


@bp.get("/")
@require(Perm.SEARCH)
def index() -> Any:
    wanted = parse_search_request(request.args)
    # The bare page (no query submitted, nothing narrowed) is just the box: no search, nothing audited.
    if "q" not in request.args and not wanted.filters:
        return render_template("search/index.html", wanted=wanted, result=None, error=None)
    try:
        result = search_documents(current_app._get_current_object(), db.session(), wanted, actor=current_user)
    except UserError as exc:
        if exc.code != "bad_query":
            raise
        return render_template("search/index.html", wanted=wanted, result=None, error=str(exc.message)), 400
    thumbs = previews.with_pictures(db.session(), [hit.id for hit in result.hits]) if can(Perm.READ_FILES) else set()
    return render_template("search/index.html", wanted=wanted, result=result, error=None, thumbs=thumbs)
