"""The Content-Security-Policy runs no inline code, so no template may carry any: every behaviour lives
in static/*.js, loaded by the base layout."""
from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
HANDLER = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.S)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.I)


def test_templates_hold_no_inline_handlers_or_scripts() -> None:
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern in (HANDLER, INLINE_SCRIPT, JS_URL):
            found += [f"{path.relative_to(TEMPLATES)}: {m.group(0)[:80]}" for m in pattern.finditer(text)]
    assert not found, "\n".join(found)


def test_the_checks_catch_what_they_look_for() -> None:
    assert HANDLER.search('<select name="year" onchange="this.form.submit()">')
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/sandyk.js" defer></script>')
    assert JS_URL.search('<a href="javascript:void(0)">')


def test_base_layout_loads_the_shared_script() -> None:
    base = (TEMPLATES / "base.html").read_text(encoding="utf-8")
    assert "filename='sandyk.js'" in base and 'rel="icon"' in base
