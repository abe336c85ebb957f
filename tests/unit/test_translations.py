"""The translation catalogues: every message of the code and templates is translated into Kyrgyz and
Russian, placeholders survive translation, no English is left in ky/ru, and the compiled .mo files
match their .po sources."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%\(\w+\)s")
# Words that stay as they are in every language: formats, standards, abbreviations, names.
UNTRANSLATED_OK = re.compile(r"^[\s\W\d]*(PDF|CSV|XLSX|SHA-256|Sandyk|JSON|API|OCR|SAC|ЭПК|ID|OK)?[\s\W\d]*$")


def _code_messages() -> set[str]:
    method_map = [("app.py", "python"), ("records/**.py", "python"), ("storage/**.py", "python"),
                  ("templates/**.html", "jinja2")]
    found: set[str] = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(str(ROOT), method_map, keywords=KEYWORDS):
        if isinstance(message, tuple):
            found.update(m for m in message if m)
        elif message:
            found.add(message)
    return found


def _catalog(lang: str):  # type: ignore[no-untyped-def]
    with open(ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=lang)


@pytest.fixture(scope="module")
def code_messages() -> set[str]:
    return _code_messages()


@pytest.mark.parametrize("lang", ["ky", "ru", "en"])
def test_catalogue_holds_every_message(code_messages: set[str], lang: str) -> None:
    catalog = _catalog(lang)
    ids: set[str] = set()
    for m in catalog:
        if m.id:
            ids.update([m.id] if isinstance(m.id, str) else m.id)
    missing = sorted(m for m in code_messages if m not in ids)
    assert not missing, f"{len(missing)} messages missing from {lang} (run scripts/i18n.sh update): {missing[:10]}"


@pytest.mark.parametrize("lang", ["ky", "ru"])
def test_every_message_is_translated_without_english_left(code_messages: set[str], lang: str) -> None:
    catalog = _catalog(lang)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        if msgid not in code_messages:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            if not text:
                problems.append(f"untranslated: {msgid!r}")
            elif message.fuzzy:
                problems.append(f"fuzzy: {msgid!r}")
            elif re.search(r"[A-Za-z]{3,}", msgid) and not re.search(r"[А-Яа-яЁёӨөҮүҢң]", text) \
                    and not UNTRANSLATED_OK.match(text):
                problems.append(f"still English: {msgid!r} -> {text!r}")
            elif sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(text)):
                problems.append(f"placeholders differ: {msgid!r} -> {text!r}")
    assert not problems, f"{len(problems)} problems in {lang}:\n" + "\n".join(problems[:20])


def test_kyrgyz_uses_kyrgyz_letters() -> None:
    text = " ".join(str(m.string) for m in _catalog("ky") if m.string)
    assert re.search(r"[өүң]", text), "Kyrgyz translations should be written with ө ү ң"


@pytest.mark.parametrize("lang", ["ky", "ru", "en"])
def test_compiled_catalogue_matches_its_source(lang: str) -> None:
    mo_path = ROOT / "translations" / lang / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists(), "run scripts/i18n.sh compile"
    def norm(value: object) -> object:
        return tuple(value) if isinstance(value, (list, tuple)) else value

    with open(mo_path, "rb") as fh:
        # A plural entry with no translation compiles to its own msgids; that is no translation either.
        compiled = {norm(m.id): norm(m.string) for m in read_mo(fh)
                    if m.id and not (isinstance(m.id, (list, tuple)) and norm(m.string) == norm(m.id))}
    source = {norm(m.id): norm(m.string) for m in _catalog(lang)
              if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy}
    assert compiled == source, "the .mo file is stale: run scripts/i18n.sh compile"
