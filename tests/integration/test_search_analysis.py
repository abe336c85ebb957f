"""Kyrgyz text through the whole search path on both index backends, and an index built with an
earlier text analysis being refilled after an upgrade."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import update

from records.capture import retext
from records.db import session_scope
from records.models import SystemState
from records.search import indexing
from records.search.base import ANALYSIS_VERSION

# Each test runs with the Whoosh index, and on PostgreSQL also with the PostgreSQL index.
from tests.factories import SearchFixture, both_index_engines, indexed_file_doc  # noqa: F401  (fixtures)

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


def test_an_index_of_an_earlier_analysis_is_refilled_on_either_backend(app: Flask, file_doc: SearchFixture) -> None:
    doc_id = file_doc("Отчет", REPORT)
    with session_scope(app) as session:
        assert retext._recorded_analysis(session) == ANALYSIS_VERSION
        # What an install indexed before this analysis left: its version, and entries the new
        # analysis does not read (here: none).
        session.execute(update(SystemState).where(SystemState.key == retext.ANALYSIS_KEY)
                        .values(value=str(ANALYSIS_VERSION - 1)))
    indexing.get_index(app).clear()
    app.extensions.pop("sandyk.index")

    indexing.get_index(app)  # the first use after the upgrade
    with session_scope(app) as session:
        assert indexing.pending(session) == 1
        assert retext._recorded_analysis(session) == ANALYSIS_VERSION
    indexing.sync(app)
    assert found(app, "ишке") == {doc_id} and indexing.check(app).clean
