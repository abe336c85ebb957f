"""The JSON API under /api/v1/, authenticated by bearer tokens (``flask users token NAME``).

Other university systems depend on this contract: every refusal is a 4xx with
``{"error": {"code": ..., "message": ...}}``.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, request
from flask_login import current_user

from records import accounts, db, downloads, nomenclature
from records.capture import documents
from records.i18n import _
from records.permissions import Perm, permissions_for
from records.retention import parse_retention
from records.search import service as searching
from records.web import json_error, year_arg
from records.disposition import exports

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)  # bearer tokens, not cookies: no cross-site request can carry one


@bp.before_request
def _authenticate() -> Any:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    user = accounts.user_for_token(db.session(), token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        resp = json_error("unauthorized", _("A valid API token is required (Authorization: Bearer ...)."), 401)
        resp.headers["WWW-Authenticate"] = 'Bearer realm="sandyk"'
        return resp
    # current_user for this request only; nothing goes into a session cookie.
    g._login_user = user
    g.api_user = user
    g.api_perms = permissions_for(user.roles)
    return None


def api_require(perm: Perm) -> Any:
    if perm not in g.api_perms:
        return json_error("forbidden", _("You do not have permission for this."), 403)
    return None


@bp.get("/nomenclature")
def get_nomenclature() -> Any:
    if (denied := api_require(Perm.VIEW_RECORDS)) is not None:
        return denied
    nom = nomenclature.require(db.session(), year_arg())
    items = []
    for item in nom.items:
        items.append({
            "index": item.index,
            "title_ky": item.title_ky,
            "title_ru": item.title_ru,
            "title_en": item.title_en,
            "retention": item.retention,
            "rule": parse_retention(item.retention).to_json(),
            "note": item.note,
            "not_to_state_archive": item.not_to_state_archive,
        })
    return jsonify({"year": nom.year, "status": nom.status,
                    "approved_at": nom.approved_at.isoformat() if nom.approved_at else None, "items": items})


def _doc_or_404(document_id: int) -> Any:
    return documents.get_document(db.session(), document_id)


@bp.post("/documents")
@db.reads_first
def post_document() -> Any:
    if (denied := api_require(Perm.FILE_DOCUMENTS)) is not None:
        return denied
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return json_error("no_file", _("Attach the file in the multipart field “file”."), 400)
    if not request.form.get("index"):
        return json_error("no_index", _("Give the nomenclature index of the case, for example 12-4-7."), 400)
    meta = documents.validate_metadata(request.form)
    filed = documents.file_document(
        current_app._get_current_object(), db.session(), year=request.form.get("year") or date.today().year,
        index=request.form["index"], meta=meta, upload=documents.Upload(upload.stream, upload.filename),
        actor=g.api_user, allow_duplicate=request.form.get("allow_duplicate") in {"1", "true"},
    )
    db.session().flush()
    body = documents.document_json(filed.document)
    body["index"], body["year"] = filed.document.case.index, filed.document.case.year
    resp = jsonify(body)
    resp.status_code = 201
    resp.headers["Location"] = f"/api/v1/documents/{filed.document.id}"
    return resp


@bp.get("/documents/<int:document_id>")
def get_document(document_id: int) -> Any:
    if (denied := api_require(Perm.VIEW_RECORDS)) is not None:
        return denied
    document = documents.open_document(db.session(), _doc_or_404(document_id).id, actor=current_user, via="api")
    body = documents.document_json(document)
    body["index"], body["year"] = document.case.index, document.case.year
    return jsonify(body)


@bp.get("/documents/<int:document_id>/file")
def get_document_file(document_id: int) -> Any:
    if (denied := api_require(Perm.READ_FILES)) is not None:
        return denied
    document = _doc_or_404(document_id)
    version = request.args.get("version", type=int)
    return downloads.send_version(document, version, inline=False, actor=current_user, via="api")


@bp.get("/search")
def search() -> Any:
    """Full-text search: ``q`` (the one-box query language), ``index``, ``year``, ``type``, ``sort``, ``page``."""
    if (denied := api_require(Perm.SEARCH)) is not None:
        return denied
    wanted = searching.parse_search_request(request.args)
    result = searching.search_documents(current_app._get_current_object(), db.session(), wanted, actor=g.api_user,
                                        via="api")
    return jsonify({
        "total": result.total,
        "page": wanted.page,
        "per_page": searching.PER_PAGE,
        "results": [{"id": hit.id, "title": hit.title, "index": hit.case_index, "year": hit.year,
                     "doc_type": hit.doc_type, "doc_date": hit.doc_date.isoformat() if hit.doc_date else None,
                     "snippet": str(hit.snippet)} for hit in result.hits],
        "facets": result.facets,
    })


@bp.get("/reports/expiry")
def get_expiry_report() -> Any:
    """The yearly expiry list: ``year`` (default this year), ``format=json|csv``, ``lang`` of titles and rules."""
    if (denied := api_require(Perm.VIEW_REPORTS)) is not None:
        return denied
    from records import disposition
    from records.disposition import reports
    from records.web import select_locale

    lang = reports.form_language(request.args.get("lang") or select_locale())
    fmt = request.args.get("format", "json")
    report = exports.expiry_list(db.session(), year_arg(), actor=current_user, format=fmt, via="api")
    if fmt == "csv":
        return downloads.send_data(reports.expiry_csv(report, lang, machine=True).encode("utf-8"),
                                   f"expiry-{report.year}.csv", "text/csv")
    if fmt != "json":
        return json_error("bad_format", _("The format must be json or csv."), 400)
    return jsonify(disposition.expiry.expiry_json(report, lang))
