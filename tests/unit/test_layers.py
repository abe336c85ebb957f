"""Which layer may lean on which: the blob stores know nothing of the records application; views leave
the audit trail to the services; labels and audit actions come from one place each."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from flask import Flask
from flask_babel import Babel, force_locale

from records import audit_words, labels
from records.blobs import STORAGE_MESSAGES, storage_message
from records.models import AuditAction, CaseState, DocType
from storage import BlobIntegrityError, BlobNotFound, InvalidBlobId, StorageError, UploadTooLarge

ROOT = Path(__file__).resolve().parents[2]


def test_the_storage_package_imports_nothing_from_records() -> None:
    code = "import sys, storage, storage.filesystem, storage.s3, storage.spool; " \
           "print(sorted(m for m in sys.modules if m == 'records' or m.startswith('records.')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_storage_error_is_said_in_the_readers_language() -> None:
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "translations")
    Babel(app)
    errors: list[StorageError] = [StorageError(), InvalidBlobId("x"), BlobNotFound("a" * 64),
                                  BlobIntegrityError("a" * 64), UploadTooLarge(25 * 2**20)]
    assert {e.code for e in errors} == set(STORAGE_MESSAGES) | {"too_large"}
    with app.app_context():
        english = [storage_message(e) for e in errors]
        with force_locale("ru"):
            russian = [storage_message(e) for e in errors]
    assert english[-1] == "The file is too large. Files up to 25 MB are accepted."
    assert all(en != ru for en, ru in zip(english, russian, strict=True)), russian
    assert all(str(e) and "%(" not in str(e) for e in errors)  # the store's own words, for logs


def _calls(path: Path, dotted: str) -> list[int]:
    owner, name = dotted.split(".")
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name
                and isinstance(node.func.value, ast.Name) and node.func.value.id == owner):
            lines.append(node.lineno)
    return lines


def test_views_leave_the_audit_trail_to_the_services() -> None:
    found = {str(p.relative_to(ROOT)): lines for p in (ROOT / "records" / "views").glob("*.py")
             if (lines := _calls(p, "audit.record"))}
    assert found == {}


def test_every_audit_call_names_an_action_of_the_enum() -> None:
    loose = []
    for path in [*(ROOT / "records").rglob("*.py"), ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"
                    and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)):
                loose.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert loose == []


def test_audit_wording_and_labels_are_keyed_by_their_enums() -> None:
    assert all(isinstance(action, AuditAction) for action in audit_words.ACTION_LABELS)
    assert set(labels.CASE_STATE_LABELS) == set(CaseState)
    assert set(labels.DOC_TYPE_LABELS) == set(DocType)
    assert labels.case_state_label("closed") == "closed" and labels.case_state_label("odd") == "odd"
