"""Bulk import (``flask import folder|manifest``): stopped midway by Ctrl-C or a kill and run again, every
file ends filed exactly once with its text read and indexed; bad rows and files are refused one by one
with their reason while the rest are filed."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from records.models import AuditEvent, Document, DocumentFile, IndexTask, Nomenclature
from records.search import indexing
from tests import samples

ROOT = Path(__file__).resolve().parents[2]
YEAR = date.today().year
INDEXES = ("12-4-7", "12-4-1")


def make_tree(root: Path, n_files: int, n_pdfs: int = 10) -> dict[str, Path]:
    """``root/<year>/<index>/`` with ``n_files`` small distinct files; returns them by SHA-256."""
    files: dict[str, Path] = {}
    for i in range(n_files):
        folder = root / str(YEAR) / INDEXES[i % len(INDEXES)]
        folder.mkdir(parents=True, exist_ok=True)
        text = f"Протокол №{i}. Кафедранын отурумунун протоколу {i}."
        if i < n_pdfs:
            path = samples.make_text_pdf(folder, text=text, name=f"protocol-{i:04d}.pdf")
        else:
            path = folder / f"protocol-{i:04d}.txt"
            path.write_text(text, encoding="utf-8")
        files[hashlib.sha256(path.read_bytes()).hexdigest()] = path
    return files


def cli_env(app: Flask) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"SANDYK_DATA_DIR": app.config["DATA_DIR"], "SANDYK_DATABASE_URL": app.config["DATABASE_URL"],
                "SANDYK_SECRET_KEY": "test-secret", "SANDYK_WORKER": "inline", "PYTHONPATH": str(ROOT)})
    return env


def start_import(app: Flask, tree: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "import", "folder", str(tree)],
        cwd=ROOT, env=cli_env(app), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # A shell running in the background may ignore SIGINT; the import must get Python's Ctrl-C handler.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def documents_filed(db_session: Any) -> int:
    return db_session.scalar(select(func.count()).select_from(Document)) or 0


def stop_when(proc: subprocess.Popen[str], db_session: Any, at_least: int, sig: int) -> tuple[int, str]:
    """Send ``sig`` once ``at_least`` documents are committed; returns the exit status and output."""
    deadline = time.monotonic() + 120
    while documents_filed(db_session) < at_least:
        assert proc.poll() is None, "the import finished before it could be interrupted"
        assert time.monotonic() < deadline, "the import made no progress"
        time.sleep(0.02)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out + err


@pytest.mark.slow
def test_interrupted_import_continues_and_files_each_file_once(app: Flask, db_session: Any, tmp_path: Path) -> None:
    tree = tmp_path / "archive"
    files = make_tree(tree, 300)

    code, output = stop_when(start_import(app, tree), db_session, 40, signal.SIGINT)
    assert code == 130, output
    assert "Interrupted" in output
    after_ctrl_c = documents_filed(db_session)
    assert 40 <= after_ctrl_c < len(files)

    code, output = stop_when(start_import(app, tree), db_session, after_ctrl_c + 40, signal.SIGKILL)
    assert code == -signal.SIGKILL, output
    after_kill = documents_filed(db_session)
    assert after_ctrl_c + 40 <= after_kill < len(files)

    final = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "import", "folder", str(tree)],
                           cwd=ROOT, env=cli_env(app), capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stdout + final.stderr
    assert f"Filed: {len(files) - after_kill}" in final.stdout
    assert f"Skipped as already filed: {after_kill}" in final.stdout
    assert "Refused: 0" in final.stdout

    versions = db_session.execute(select(DocumentFile.sha256, DocumentFile.text_status)).all()
    assert sorted(sha for sha, _ in versions) == sorted(files)  # each file exactly once, nothing else
    assert {status for _, status in versions} == {"done"}
    titles = set(db_session.scalars(select(Document.title)))
    assert titles == {p.stem for p in files.values()}
    assert db_session.scalar(select(func.count()).select_from(IndexTask)) == 0
    assert indexing.check(app).clean
    assert indexing.get_index(app).doc_count() == len(files)


@pytest.fixture
def run_cli(app: Flask) -> Callable[..., Any]:
    runner = app.test_cli_runner()

    def run(*args: str) -> Any:
        return runner.invoke(args=["import", *args])

    return run


def test_manifest_files_good_rows_and_refuses_bad_ones_with_reasons(app: Flask, db_session: Any, tmp_path: Path,
                                                                    make_user: Callable[..., Any],
                                                                    run_cli: Callable[..., Any]) -> None:
    secretary = make_user("secretary")
    files = tmp_path / "scans"
    files.mkdir()
    for name in ("order.txt", "contract.txt", "a.txt", "b.txt", "c.txt", "d.txt", "e.txt"):
        (files / name).write_text(f"Буйрук {name}", encoding="utf-8")
    samples.make_exe_as_pdf(files, name="virus.pdf")
    manifest = tmp_path / "list.csv"
    manifest.write_text(
        "path,index,year,type,title,date,number\n"
        f"scans/order.txt,12-4-7,{YEAR},order,Буйрук №12,{YEAR}-03-01,12\n"
        f"scans/contract.txt,12-4-1,{YEAR},contract,,,\n"
        f"scans/a.txt,12-4-7,{YEAR},order,Bad date,{YEAR}-02-30,\n"
        f"scans/b.txt,99-9-9,{YEAR},order,Unknown index,,\n"
        f"scans/c.txt,12-4-7,1990,order,Unknown year,,\n"
        f"scans/d.txt,12-4-7,{YEAR},memo,Unknown type,,\n"
        f"scans/missing.txt,12-4-7,{YEAR},order,,,\n"
        f"../outside.txt,12-4-7,{YEAR},order,,,\n"
        f"scans/virus.pdf,12-4-7,{YEAR},order,,,\n"
        f"scans/order.txt,12-4-7,{YEAR},order,Same file again,,\n",
        encoding="utf-8",
    )

    result = run_cli("manifest", str(manifest), "--actor", secretary.username)

    assert result.exit_code == 1, result.output
    assert "Filed: 2" in result.output and "Refused: 7" in result.output
    assert "Skipped as already filed: 1" in result.output
    for line, reason in [(4, "date"), (5, "no item 99-9-9"), (6, "no nomenclature for 1990"),
                         (7, "document type"), (8, "no such file"), (9, "relative to the manifest"),
                         (10, "is a program")]:
        assert any(text.startswith(f"  line {line}:") and reason in text for text in result.output.splitlines()), \
            (line, result.output)
    docs = {d.title: d for d in db_session.scalars(select(Document))}
    assert set(docs) == {"Буйрук №12", "contract"}
    order = docs["Буйрук №12"]
    assert (order.doc_type, order.doc_date, order.number, order.case.index, order.created_by_id) == \
        ("order", date(YEAR, 3, 1), "12", "12-4-7", secretary.id)
    assert docs["contract"].doc_type == "contract" and docs["contract"].case.index == "12-4-1"
    assert db_session.scalar(select(func.count()).select_from(Nomenclature).where(Nomenclature.year == 1990)) == 0
    run = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "import:run"))
    assert run is not None and run.detail["filed"] == 2 and run.detail["refused"] == 7


def test_manifest_with_unknown_columns_is_refused_whole(app: Flask, db_session: Any, tmp_path: Path,
                                                        run_cli: Callable[..., Any]) -> None:
    (tmp_path / "a.txt").write_text("текст", encoding="utf-8")
    manifest = tmp_path / "list.csv"
    manifest.write_text(f"path,index,year,titel\na.txt,12-4-7,{YEAR},Протокол\n", encoding="utf-8")
    result = run_cli("manifest", str(manifest))
    assert result.exit_code != 0 and "path,index,year,type,title,date,number" in result.output
    assert documents_filed(db_session) == 0


def test_semicolon_cp1251_manifest_from_excel_is_read(app: Flask, db_session: Any, tmp_path: Path,
                                                      run_cli: Callable[..., Any]) -> None:
    (tmp_path / "a.txt").write_text("текст", encoding="utf-8")
    manifest = tmp_path / "list.csv"
    manifest.write_bytes(f"path;index;year;type;title\r\na.txt;12-4-7;{YEAR};protocol;Протокол заседания\r\n"
                         .encode("cp1251"))
    result = run_cli("manifest", str(manifest))
    assert result.exit_code == 0, result.output
    assert db_session.scalar(select(Document.title)) == "Протокол заседания"


def test_folder_dry_run_files_nothing_then_import_reports_misplaced_files(
        app: Flask, db_session: Any, tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    tree = tmp_path / "archive"
    files = make_tree(tree, 4, n_pdfs=1)
    copy = tree / str(YEAR) / INDEXES[1] / "copy.txt"
    copy.write_bytes(next(p for p in files.values() if p.suffix == ".txt").read_bytes())
    (tree / "loose.txt").write_text("no case", encoding="utf-8")
    (tree / str(YEAR) / "99-9-9").mkdir()
    (tree / str(YEAR) / "99-9-9" / "x.txt").write_text("unknown index", encoding="utf-8")
    (tree / str(YEAR) / INDEXES[0] / "Thumbs.db").write_bytes(b"\0" * 10)

    dry = run_cli("folder", str(tree), "--dry-run")
    assert dry.exit_code == 1, dry.output
    assert "Would file: 4" in dry.output and "Skipped as already filed: 1" in dry.output
    assert "Refused: 2" in dry.output
    assert documents_filed(db_session) == 0

    real = run_cli("folder", str(tree))
    assert real.exit_code == 1, real.output
    assert "Filed: 4" in real.output and "Skipped as already filed: 1" in real.output
    assert "Ignored system files: 1" in real.output
    assert "  loose.txt: " in real.output and f"  {YEAR}/99-9-9/x.txt: " in real.output
    docs = list(db_session.scalars(select(Document)))
    assert {d.doc_type for d in docs} == {"other"}
    admin = db_session.scalar(select(AuditEvent.actor).where(AuditEvent.action == "document:file").limit(1))
    assert admin == "admin"  # the default author: the first administrator


def test_unknown_year_is_drafted_only_when_asked(app: Flask, db_session: Any, tmp_path: Path,
                                                 run_cli: Callable[..., Any]) -> None:
    old = tmp_path / "archive" / str(YEAR - 3) / "12-4-7"
    old.mkdir(parents=True)
    (old / "old.txt").write_text("эски протокол", encoding="utf-8")
    refused = run_cli("folder", str(tmp_path / "archive"))
    assert refused.exit_code == 1 and f"no nomenclature for {YEAR - 3}" in refused.output
    drafted = run_cli("folder", str(tmp_path / "archive"), "--draft-years")
    assert drafted.exit_code == 0 and "Filed: 1" in drafted.output, drafted.output
    assert db_session.scalar(select(Nomenclature.status).where(Nomenclature.year == YEAR - 3)) == "draft"


def test_unknown_actor_stops_before_filing(app: Flask, db_session: Any, tmp_path: Path,
                                           run_cli: Callable[..., Any]) -> None:
    make_tree(tmp_path / "archive", 2, n_pdfs=0)
    result = run_cli("folder", str(tmp_path / "archive"), "--actor", "nobody")
    assert result.exit_code != 0 and "nobody" in result.output
    assert documents_filed(db_session) == 0


@pytest.mark.ocr
def test_scans_are_read_before_the_import_ends(app_config: dict[str, Any], tmp_path: Path, ocr_ready: None,
                                               request: pytest.FixtureRequest) -> None:
    app_config["WORKER"] = "off"  # nothing reads scans during filing: the import itself must finish them
    app: Flask = request.getfixturevalue("app")
    db_session = request.getfixturevalue("db_session")
    folder = tmp_path / "archive" / str(YEAR) / "12-4-7"
    folder.mkdir(parents=True)
    samples.make_scan_image(folder, samples.KY_TEXT, dpi=150, name="scan.png")
    result = app.test_cli_runner().invoke(args=["import", "folder", str(tmp_path / "archive")])
    assert result.exit_code == 0, result.output
    status = db_session.scalar(select(Document.text_status))
    assert status == "done"
    hits = indexing.get_index(app).search("кафедра", snippets=False).hits
    assert [h.title for h in hits] == ["scan"]
