"""Kyrgyz text through the whole search path on both index backends, and indexes written by an earlier
text analysis being refilled after an upgrade."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from records import indexing
from records.db import session_scope
from records.models import Setting
from records.search import analysis
# Each test runs with the Whoosh index, and on PostgreSQL also with the PostgreSQL index.
from tests.integration.test_search import SearchFixture, app_config, file_doc  # noqa: F401

REPORT = ("Иштердин номенклатурасы: кафедранын отурумунун протоколу, китептерди сатып алуу жөнүндө "
          "ректордун буйругу, окутуучулардын жүктөмү жана пландары.")
CONTRACT = "Келишимдин долбоору жана билимдин сапаты; студенттердин дептерлери текшерилди."
SAYING = "Ал «эртең келиш керек» деп айтты."


def found(app: Flask, query: str) -> set[int]:
    return {hit.id for hit in indexing.get_index(app).search(query, per_page=50).hits}


# Each query and the document it must find, alone.
EXPECTED = {
    "иш": "report", "иши": "report", "ишке": "report", "иштин": "report",  # иштердин
    "китеби": "report", "китеп": "report",  # китептерди: п -> б before a vowel
    "буйрук": "report", "буйруктар": "report",  # буйругу
    "жүктөмдөр": "report", "план": "report", "планы": "report", "ректор": "report",
    "протокола": "report", "кафедры": "report",  # Russian forms of the loanwords
    "келишим": "contract", "келишимдер": "contract", "билим": "contract", "дептер": "contract",
    "деп": "saying", "келиш": "saying",  # the particle and the verbal noun stay apart from дептер, келишим
}


def test_a_kyrgyz_document_is_found_by_the_forms_of_its_words_and_no_others(
    app: Flask, file_doc: SearchFixture
) -> None:
    filed = {"report": file_doc("Отчет", REPORT), "contract": file_doc("Келишим", CONTRACT),
             "saying": file_doc("Сөз", SAYING)}
    assert {query: found(app, query) for query in EXPECTED} == {
        query: {filed[name]} for query, name in EXPECTED.items()}


def test_a_whoosh_index_of_an_earlier_analysis_is_rebuilt(
    app: Flask, app_config: dict[str, Any], file_doc: SearchFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    if app_config.get("INDEX_URL") == "postgres-fts:":
        pytest.skip("the Whoosh index")
    from whoosh import index as whoosh_index

    from records.search import whoosh_index as sandyk_whoosh

    doc_id = file_doc("Отчет", REPORT)
    path = indexing.get_index(app).path
    app.extensions.pop("sandyk.index").close()
    sandyk_whoosh._INDEXES.pop(path.resolve(), None)
    with monkeypatch.context() as patched:  # the index as the earlier analysis wrote it
        patched.setattr(analysis, "ANALYSIS_VERSION", 1)
        whoosh_index.create_in(str(path), sandyk_whoosh.build_schema()).close()

    rebuilt = indexing.get_index(app)
    assert rebuilt.ids() == set()
    with session_scope(app) as session:
        assert indexing.pending(session) == 1
    indexing.sync(app)
    assert found(app, "ишке") == {doc_id}
    # Opened again, the rebuilt index is of the current analysis and stays.
    app.extensions.pop("sandyk.index")
    assert indexing.get_index(app) is rebuilt and rebuilt.ids() == {doc_id}


def test_postgres_entries_of_an_earlier_analysis_are_written_again(
    app: Flask, app_config: dict[str, Any], file_doc: SearchFixture
) -> None:
    if app_config.get("INDEX_URL") != "postgres-fts:":
        pytest.skip("the PostgreSQL index")
    ids = {file_doc("Отчет", REPORT), file_doc("Келишим", CONTRACT)}

    def version() -> Any:
        with session_scope(app) as session:
            return session.scalar(select(Setting.value).where(Setting.key == indexing.ANALYSIS_SETTING))

    assert version() == analysis.ANALYSIS_VERSION
    # Reopened with the analysis unchanged: nothing to do.
    app.extensions.pop("sandyk.index")
    indexing.get_index(app)
    with session_scope(app) as session:
        assert indexing.pending(session) == 0
        session.execute(update(Setting).where(Setting.key == indexing.ANALYSIS_SETTING).values(value=1))
    app.extensions.pop("sandyk.index")

    index = indexing.get_index(app)
    with session_scope(app) as session:
        assert indexing.pending(session) == 2
    assert index.ids() == ids  # search answers from the old entries meanwhile
    indexing.sync(app)
    assert version() == analysis.ANALYSIS_VERSION and indexing.check(app).clean
