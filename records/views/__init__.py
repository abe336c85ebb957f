"""Blueprints, one per area of the records office. Views validate input, call one service, and
redirect or render; they never touch files or the index directly."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from records.views import admin, api, audit, auth, cases, documents, main, nomenclature, search

    for module in (main, auth, nomenclature, cases, documents, search, admin, audit):
        app.register_blueprint(module.bp)
    from records.views import acts, disposal  # noqa: F401  (acts adds its routes to the disposal blueprint)

    app.register_blueprint(disposal.bp)
    from records.views import api_disposition  # noqa: F401  (adds the disposition routes to the API blueprint)

    api.register(app)
