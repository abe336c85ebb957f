"""The index never drifts from the catalogue: concurrent filing from two processes, repair of what a
crash left behind (``index sync``, the worker's first round), ``index check`` and ``index reindex``."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from records.capture import documents
from records.db import session_scope
from records.models import IndexTask
from records.search import indexing

REPO = Path(__file__).resolve().parents[2]

FILER = textwrap.dedent(
    """
    import io, json, os, sys, time
    from pathlib import Path
    from app import create_app

    config = json.loads(os.environ["FILER_CONFIG"])
    app = create_app(config)
    client = app.test_client()
    go = Path(os.environ["FILER_GO"])
    while not go.exists():  # start together with the other process
        time.sleep(0.01)
    for n in range(int(os.environ["FILER_COUNT"])):
        word = f"{os.environ['FILER_WORD']}{n}"
        resp = client.post(
            "/api/v1/documents",
            headers={"Authorization": "Bearer " + os.environ["FILER_TOKEN"]},
            data={"index": "12-4-7", "year": "2023", "doc_type": "protocol", "title": word,
                  "file": (io.BytesIO(("протокол " + word).encode()), word + ".txt")},
        )
        assert resp.status_code == 201, resp.get_data(as_text=True)
    """
)


def file_quietly(app: Flask, title: str) -> int:
    """File a document the way a request does, up to its commit, without applying the index task."""
    with app.app_context(), session_scope(app) as session:
        filed = documents.file_document(
            app, session, year=2023, index="12-4-7",
            meta=documents.validate_metadata({"doc_type": "protocol", "title": title}),
            upload=documents.Upload(io.BytesIO(f"протокол {title}".encode()), "p.txt"), actor=None,
        )
        session.flush()
        return filed.document.id


@pytest.mark.slow
def test_two_processes_filing_at_once_both_end_up_indexed(app: Flask, app_config: dict[str, Any], api_token: Any,
                                                          tmp_path: Path) -> None:
    import json

    token = api_token("secretary")
    go = tmp_path / "go"
    config = {k: v for k, v in app_config.items() if k not in {"TESTING"}}
    procs = []
    for word in ("биринчи", "экинчи"):
        env = dict(os.environ, FILER_CONFIG=json.dumps(config), FILER_GO=str(go), FILER_COUNT="5",
                   FILER_WORD=word, FILER_TOKEN=token, PYTHONPATH=str(REPO))
        procs.append(subprocess.Popen([sys.executable, "-c", FILER], cwd=REPO, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    go.touch()
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out.decode(errors="replace")
    with app.app_context(), session_scope(app) as session:
        assert indexing.pending(session) == 0
    assert indexing.check(app).clean
    index = indexing.get_index(app)
    found = {hit.title for hit in index.search("протокол", per_page=50).hits}
    assert found == {f"{word}{n}" for word in ("биринчи", "экинчи") for n in range(5)}


def test_a_crash_before_the_index_is_repaired_by_sync(app: Flask) -> None:
    doc_id = file_quietly(app, "унутулган")  # committed; the process "died" before applying the task
    index = indexing.get_index(app)
    assert doc_id not in index.ids()
    drift = indexing.check(app)
    assert drift.missing == [doc_id] and drift.extra == []
    runner = app.test_cli_runner()
    checked = runner.invoke(args=["index", "check"])
    assert checked.exit_code == 1 and f"Missing from the index (1): {doc_id}" in checked.output
    synced = runner.invoke(args=["index", "sync"])
    assert synced.exit_code == 0 and "Applied 1 index change(s)." in synced.output
    assert {hit.id for hit in index.search("унутулган").hits} == {doc_id}
    clean = runner.invoke(args=["index", "check"])
    assert clean.exit_code == 0 and "matches the catalogue" in clean.output


def test_reindex_rebuilds_from_the_catalogue(app: Flask) -> None:
    ids = [file_quietly(app, f"документ{n}") for n in range(3)]
    indexing.sync(app)
    index = indexing.get_index(app)
    index.delete(ids[:1])  # lost entry
    index.add([indexing.IndexDoc(id=999, title="арбак", text="", case_index="12-4-7", year=2023,  # stray entry
                                 doc_type="protocol", doc_date=None, number=None, counterparty=None, language=None)])
    drift = indexing.check(app)
    assert drift.missing == ids[:1] and drift.extra == [999]
    result = app.test_cli_runner().invoke(args=["index", "reindex", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert "Indexed 3 document(s)." in result.output
    assert index.ids() == set(ids) and indexing.check(app).clean


def test_reindex_reads_in_batches_and_writes_one_segment_while_it_fits(app: Flask) -> None:
    from records.search.whoosh_index import WhooshIndex

    ids = [file_quietly(app, f"бума{n}") for n in range(5)]
    indexing.sync(app)
    index = indexing.get_index(app)
    read: list[int] = []
    assert indexing.reindex(app, batch=2, progress=read.append) == 5
    assert read == [2, 2, 1] and index.ids() == set(ids) and indexing.check(app).clean
    assert {hit.id for hit in index.search("бума3").hits} == {ids[3]}
    if isinstance(index, WhooshIndex):
        with index._ix.reader() as reader:  # three reads, one commit: no small segments to merge later
            assert [leaf.doc_count() for leaf, _ in reader.leaf_readers()] == [5]


def test_first_round_of_the_worker_applies_what_was_left(app: Flask, app_config: dict[str, Any]) -> None:
    from app import create_app
    from records.db import get_database

    doc_id = file_quietly(app, "калган")
    with app.app_context(), session_scope(app) as session:
        assert session.scalar(select(func.count(IndexTask.id))) == 1
    # A server starting on the same data folder: its first request wakes the worker, whose first
    # round applies what the crash left.
    server = create_app({**app_config, "WORKER": "thread"})
    try:
        assert server.test_client().get("/healthz").status_code == 200
        def applied() -> bool:
            # The index holds the document before the round's transaction removes its task.
            with app.app_context(), session_scope(app) as session:
                return doc_id in indexing.get_index(server).ids() and indexing.pending(session) == 0

        deadline = time.monotonic() + 30
        while not applied() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert applied()
    finally:
        worker = server.extensions.get("sandyk.worker")
        if worker is not None:
            worker.stop.set()
            worker.wake.set()
            worker.thread.join(timeout=30)
        get_database(server).dispose()


def test_an_index_of_an_older_layout_is_rebuilt_from_the_catalogue(app: Flask) -> None:
    from whoosh import formats
    from whoosh import index as whoosh_index

    from records.search import whoosh_index as sandyk_whoosh

    ids = [file_quietly(app, f"эскирген{n}") for n in range(3)]
    indexing.sync(app)
    path = indexing.get_index(app).path
    # What an earlier version left: positions in Whoosh's own format, no field for prefixes, and an
    # entry of its own.
    app.extensions.pop("sandyk.index").close()
    sandyk_whoosh._INDEXES.pop(path.resolve(), None)
    old = sandyk_whoosh.build_schema()
    old.remove("words")
    old["exact"].format = formats.Positions()
    writer = whoosh_index.create_in(str(path), old).writer()
    writer.add_document(id="999", title="арбак")
    writer.commit()

    rebuilt = indexing.get_index(app)
    assert rebuilt.ids() == set()
    with session_scope(app) as session:
        assert indexing.pending(session) == 3
    indexing.sync(app)
    assert rebuilt.ids() == set(ids) and indexing.check(app).clean
    assert {hit.id for hit in rebuilt.search("эскирге*").hits} == set(ids)
    assert [hit.id for hit in rebuilt.search('"протокол эскирген1"').hits] == [ids[1]]


def test_a_backlog_is_applied_in_larger_rounds_after_a_full_one(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = [file_quietly(app, f"калдык{n}") for n in range(9)]
    index = indexing.get_index(app)
    sizes: list[int] = []
    real_add = index.add

    def counting_add(docs: list[indexing.IndexDoc], **kwargs: object) -> None:
        docs = list(docs)
        sizes.append(len(docs))
        real_add(docs, **kwargs)

    monkeypatch.setattr(index, "add", counting_add)
    assert indexing.sync(app, batch=2, backlog_batch=4) == 9
    assert sizes == [2, 4, 3]
    assert index.ids() >= set(ids) and indexing.check(app).clean
