"""Filing documents in the browser, and the document page (metadata, versions, preview, download)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from records import db, downloads, nomenclature
from records.capture import doctext, documents, previews
from records.errors import UserError
from records.i18n import _
from records.labels import text_status_label
from records.models import DocumentState
from records.permissions import Perm
from records.web import require, select_locale, year_arg

bp = Blueprint("documents", __name__, url_prefix="/documents")


@bp.get("/new")
@require(Perm.FILE_DOCUMENTS)
def new() -> Any:
    session = db.session()
    year = year_arg()
    nom = nomenclature.get(session, year) or nomenclature.nearest(session, year)
    return render_template("documents/new.html", year=year, nom=nom, lang=select_locale(),
                           preselect=request.args.get("index", ""), max_mb=current_app.config["MAX_UPLOAD_BYTES"] // 2**20)


@bp.post("/")
@require(Perm.FILE_DOCUMENTS)
@db.reads_first
def create() -> Any:
    """One file per request: the page sends each dropped file on its own, with a progress bar each."""
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise UserError("no_file", _("Choose a file to file."))
        index = (request.form.get("index") or "").split(" ")[0].strip()
        if not index:
            raise UserError("no_index", _("Choose the nomenclature item (case) to file into."))
        meta = documents.validate_metadata(request.form)
        filed = documents.file_document(
            current_app._get_current_object(), db.session(), year=request.form.get("year"), index=index,
            meta=meta, upload=documents.Upload(upload.stream, upload.filename), actor=current_user,
            allow_duplicate=request.form.get("allow_duplicate") == "1",
        )
    except UserError as exc:
        db.session().rollback()
        if wants_json:
            body = {"error": {"code": exc.code, "message": str(exc.message), **exc.extra}}
            return jsonify(body), exc.status
        flash(str(exc.message), "error")
        return redirect(url_for(".new", year=request.form.get("year") or None, index=request.form.get("index") or None))
    document = filed.document
    if wants_json:
        return jsonify({"id": document.id, "url": url_for(".show", document_id=document.id),
                        "title": document.title, "text_status": document.text_status,
                        "text_label": text_status_label(document.text_status),
                        "status_url": url_for(".status", document_id=document.id),
                        "case": f"{document.case.index} · {document.case.year}"}), 201
    flash(_("Filed into %(index)s of %(year)s.", index=document.case.index, year=document.case.year), "success")
    return redirect(url_for(".show", document_id=document.id))


@bp.get("/<int:document_id>")
@require(Perm.VIEW_RECORDS)
def show(document_id: int) -> Any:
    session = db.session()
    document = documents.open_document(session, document_id, actor=current_user)
    current = document.current
    viewer = None
    if document.state == DocumentState.ACTIVE and previews.can_render(current):
        pages = previews.page_count(current_app._get_current_object(), current)
        page = min(max(request.args.get("page", 1, type=int), 1), pages or 1)
        viewer = {"pages": pages, "page": page, "shown": min(pages or 0, previews.MAX_PAGES)}
    return render_template("documents/show.html", document=document, current=current, lang=select_locale(),
                           viewer=viewer,
                           can_read_again=document.state == DocumentState.ACTIVE and documents.can_read_again(current),
                           shown_text=doctext.shown_text(session, document))


@bp.get("/<int:document_id>/status")
@require(Perm.VIEW_RECORDS)
def status(document_id: int) -> Any:
    """The text state of a document, polled by its page and the filing list while OCR runs."""
    document = documents.get_document(db.session(), document_id)
    state = document.text_status if document.state == DocumentState.ACTIVE else DocumentState.DESTROYED
    return jsonify({"id": document.id, "text_status": state, "label": text_status_label(state),
                    "pending": state == "pending"})


@bp.get("/<int:document_id>/pages/<int:page>.png")
@require(Perm.READ_FILES)
def page_image(document_id: int, page: int) -> Any:
    """One page of the current (or a given) version as a picture; ``size`` is thumb, page or large."""
    session = db.session()
    document = documents.get_document(session, document_id)
    size = request.args.get("size", "page")
    version, path = downloads.page_picture(current_app._get_current_object(), session, document,
                                           request.args.get("version", type=int), page, size, actor=current_user)
    if path is None:
        if size != "thumb":
            abort(404)
        # A list shows a blank sheet rather than a broken picture.
        path, mimetype = Path(current_app.static_folder or "static") / "nopreview.svg", "image/svg+xml"
    else:
        mimetype = "image/png"
    etag = f'"{version.sha256[:32]}-{size}-{page}"'
    if etag in request.headers.get("If-None-Match", ""):
        resp = Response(status=304)
    else:
        resp = Response(path.read_bytes(), mimetype=mimetype)  # pictures are small; no file stays open
    resp.headers["ETag"] = etag
    resp.headers["Cache-Control"] = "private, max-age=600"
    return resp


@bp.get("/<int:document_id>/file")
@require(Perm.READ_FILES)
def download(document_id: int) -> Any:
    document = documents.get_document(db.session(), document_id)
    return downloads.send_version(document, request.args.get("version", type=int), inline=False, actor=current_user)


@bp.get("/<int:document_id>/preview")
@require(Perm.READ_FILES)
def preview(document_id: int) -> Any:
    document = documents.get_document(db.session(), document_id)
    return downloads.send_version(document, request.args.get("version", type=int), inline=True, actor=current_user)


@bp.post("/<int:document_id>/versions")
@require(Perm.FILE_DOCUMENTS)
@db.reads_first
def add_version(document_id: int) -> Any:
    session = db.session()
    document = documents.get_document(session, document_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise UserError("no_file", _("Choose a file to file."))
    version = documents.add_version(current_app._get_current_object(), session, document,
                                    documents.Upload(upload.stream, upload.filename), actor=current_user,
                                    comment=request.form.get("comment", ""))
    flash(_("Version %(n)s was added.", n=version.version), "success")
    return redirect(url_for(".show", document_id=document.id))


@bp.post("/<int:document_id>/ocr")
@require(Perm.MANAGE_TEXT)
def read_again(document_id: int) -> Any:
    session = db.session()
    document = documents.get_document(session, document_id)
    documents.read_text_again(session, document, actor=current_user)
    flash(_("The document will be read again by OCR in the background."), "success")
    return redirect(url_for(".show", document_id=document.id))


@bp.route("/<int:document_id>/edit", methods=["GET", "POST"])
@require(Perm.EDIT_DOCUMENTS)
def edit(document_id: int) -> Any:
    session = db.session()
    document = documents.get_document(session, document_id)
    error = None
    if request.method == "POST":
        try:
            documents.update_metadata(session, document, documents.validate_metadata(request.form), actor=current_user)
        except UserError as exc:
            session.rollback()
            error = str(exc.message)
        else:
            flash(_("The document was saved."), "success")
            return redirect(url_for(".show", document_id=document.id))
    return render_template("documents/edit.html", document=document, error=error,
                           form=request.form if request.method == "POST" else None), (400 if error else 200)


@bp.post("/<int:document_id>/move")
@require(Perm.EDIT_DOCUMENTS)
def move(document_id: int) -> Any:
    session = db.session()
    document = documents.get_document(session, document_id)
    index = (request.form.get("index") or "").split(" ")[0].strip()
    target = documents.move_document(session, document, year=request.form.get("year"), index=index, actor=current_user)
    flash(_("Moved to %(index)s of %(year)s.", index=target.index, year=target.year), "success")
    return redirect(url_for(".show", document_id=document.id))
