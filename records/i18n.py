"""Translation helpers shared by every module that speaks to users.

Domain modules import ``_`` and ``_l`` from here rather than from Flask-Babel
directly, so messages built outside a request (CLI, background work) stay lazy
until they are shown in the user's language.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

__all__ = ["_", "_l", "ngettext"]
