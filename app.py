"""Sandyk: the records office of a university department.

``create_app()`` builds the web application: configuration (embedded defaults under one data folder,
``SANDYK_*`` environment overrides), the database, accounts and roles, translations, the blueprints
of each area and the ``flask --app app ...`` commands.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from records import config as config_mod
from records import db
from records.i18n import _l

ROOT = Path(__file__).resolve().parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    settings = config_mod.load(test_config)
    app.config.update(settings)
    data_dir = Path(settings["DATA_DIR"])
    app.config.update(
        SECRET_KEY=config_mod.secret_key(data_dir, settings["SECRET_KEY"]),
        # Room for multipart overhead on top of the largest allowed file; the file limit itself is
        # enforced while streaming.
        MAX_CONTENT_LENGTH=settings["MAX_UPLOAD_BYTES"] + 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings["HTTPS"],
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings["HTTPS"],
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings["SESSION_HOURS"]),
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "translations"),
        BABEL_DEFAULT_LOCALE=settings["DEFAULT_LANGUAGE"],
    )

    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Cyrillic stays readable in API answers
    db.init_app(app)
    from records import audit

    audit.init_app(app)
    _init_extensions(app)

    from records import web

    web.register_boundary(app)
    web.register_security_headers(app)
    web.register_password_gate(app)

    from records import labels
    from records.views import register_blueprints

    labels.register(app)
    register_blueprints(app)

    from records import worker

    worker.init_app(app)

    from records.cli import register_commands

    register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    from records import web
    from records.models import User

    Babel(app, locale_selector=web.select_locale)
    CSRFProtect(app)

    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = _l("Please sign in to open this page.")
    login.session_protection = "strong"

    @login.user_loader
    def _load_user(user_id: str) -> User | None:
        from flask import session as cookie_session

        from records.accounts import user_for_session
        from records.views.auth import SESSION_KEY

        # The signed cookie is not enough: the server must still know its session (ended at sign-out,
        # password and role changes).
        return user_for_session(db.session(), user_id, cookie_session.get(SESSION_KEY),
                                max_age=app.config["PERMANENT_SESSION_LIFETIME"])
