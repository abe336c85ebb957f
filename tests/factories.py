"""Test data and factories shared by several test modules; a test module imports from here (or from
conftest fixtures), never from another test module.

- ``make_doc``, ``CORPUS``: documents as the search index receives them;
- ``SHIPPED_2023``, ``OVERRIDES_2023``: where a case closed in 2023 stands in the expiry list;
- ``both_index_engines`` (the ``app_config`` fixture), ``indexed_file_doc`` (the ``file_doc`` fixture):
  import them into a module to run its tests on both search indexes and to file searchable documents.

The steps of the disposition flow are in ``tests/disposition_steps.py``, sample files in
``tests/samples.py``, a server in its own process in ``tests/integration/server_process.py``.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask

from records.capture import documents
from records.db import session_scope
from records.disposition.rules import ListName
from records.search import indexing
from records.search.base import IndexDoc

# --- the search index ------------------------------------------------------------------------------

def make_doc(doc_id: int, **overrides: object) -> IndexDoc:
    values: dict[str, object] = {
        "title": f"Document {doc_id}",
        "text": "",
        "case_index": "12-4-7",
        "year": 2023,
        "doc_type": "protocol",
        "doc_date": None,
        "number": None,
        "counterparty": None,
        "language": "ky",
        "filenames": [],
    }
    values.update(overrides)
    return IndexDoc(id=doc_id, **values)  # type: ignore[arg-type]


CORPUS = [
    make_doc(
        1,
        title="Кафедранын отурумунун протоколу №5",
        text="Кафедранын отурумунда өндүрүштүк практика боюнча келишимдердин аткарылышы каралды.",
        doc_date=date(2023, 9, 4),
        number="5",
        filenames=["protokol_5.pdf"],
    ),
    make_doc(
        2,
        title="Договор о прохождении практики",
        text="Договор с предприятием о практике студентов. Утверждено протоколом заседания кафедры.",
        case_index="12-4-12",
        year=2024,
        doc_type="contract",
        doc_date=date(2024, 2, 1),
        number="№ 15",
        counterparty="ОсОО «Кумтөр Голд Компани»",
        language="ru",
    ),
    make_doc(
        3,
        title="Annual report of the department",
        text="The department reports on practice contracts and meetings. Новогодняя ёлка.",
        case_index="12-4-3",
        year=2022,
        doc_type="report",
        language="en",
    ),
    make_doc(
        4,
        title="Буйрук",
        text="Ишканалардын тизмеси: Кумтөр, Кыргызалтын. Кен байытуу фабрикасы.",
        case_index="12-4-7",
        year=2023,
        doc_type="order",
        doc_date=date(2023, 3, 15),
        counterparty="Кыргызалтын",
    ),
]


# --- the expiry list -------------------------------------------------------------------------------

# Every distinct retention text of the shipped table, with where a case closed in 2023 first goes and
# from which year (retention counts from 1 January 2024).
SHIPPED_2023 = {
    "МАЧ": (ListName.REVIEW, 2024),
    "Туруктуу ст.364": (ListName.TRANSFER, 2024),
    "Туруктуу ст.334": (ListName.TRANSFER, 2024),
    "Туруктуу ст.405": (ListName.TRANSFER, 2024),
    "Туруктуу ст.191": (ListName.TRANSFER, 2024),
    "Туруктуу ст.350": (ListName.TRANSFER, 2024),
    "Туруктуу ст.407": (ListName.TRANSFER, 2024),
    "3-жыл ст.23,28": (ListName.DESTROY, 2027),
    "3-ж ст.369": (ListName.DESTROY, 2027),
    "3-ж. ст.374": (ListName.DESTROY, 2027),
    "3-ж. ст.358": (ListName.DESTROY, 2027),
    "5-ж. ст.343": (ListName.DESTROY, 2029),
    "5-ж. ст.378": (ListName.DESTROY, 2029),
    "5-ж. ст.412": (ListName.DESTROY, 2029),
    "5-ж. ст.413": (ListName.DESTROY, 2029),
    "5-ж. ст.414": (ListName.DESTROY, 2029),
    "5-ж. ст.428": (ListName.DESTROY, 2029),
    "5-ж. ст.423": (ListName.DESTROY, 2029),
    "5-ж. ст.430": (ListName.DESTROY, 2029),
    "1-ж. ст.424": (ListName.DESTROY, 2025),
    "10-ж. ст.191": (ListName.DESTROY, 2034),
    "10-ж. ст.281": (ListName.DESTROY, 2034),
    "2-ж. ст.483": (ListName.DESTROY, 2026),
    "2-ж. ст.67б": (ListName.DESTROY, 2026),
}
# Rules an override may give that the shipped table does not use.
OVERRIDES_2023 = {
    "5 л. ЭПК": (ListName.REVIEW, 2029),
    "1 г. ЭПК ст.17": (ListName.REVIEW, 2025),
    "МАЧ ЭПК": (ListName.REVIEW, 2024),
    "Постоянно": (ListName.TRANSFER, 2024),
    "75 лет": (ListName.DESTROY, 2099),
}


# --- searching through the application -------------------------------------------------------------

SearchFixture = Callable[..., int]


@pytest.fixture(name="app_config", params=["whoosh", "postgres-fts"])
def both_index_engines(request: pytest.FixtureRequest, app_config: dict[str, Any], backend: str) -> dict[str, Any]:
    """The app's settings with the Whoosh index, and on PostgreSQL also with the PostgreSQL index: a
    module that imports this fixture runs each of its tests on both."""
    if request.param == "postgres-fts":
        if backend != "postgresql":
            pytest.skip("the PostgreSQL index needs the PostgreSQL database")
        app_config["INDEX_URL"] = "postgres-fts:"
    return app_config


@pytest.fixture(name="file_doc")
def indexed_file_doc(app: Flask) -> SearchFixture:
    """File a text document and bring the index up to date; returns the document id."""
    def factory(title: str, text: str, *, year: int = 2023, index: str = "12-4-7", doc_type: str = "protocol",
                doc_date: str | None = None, **meta: Any) -> int:
        with app.app_context(), session_scope(app) as session:
            filed = documents.file_document(
                app, session, year=year, index=index,
                meta=documents.validate_metadata({"doc_type": doc_type, "title": title, "doc_date": doc_date,
                                                  "language": "ky", **meta}),
                upload=documents.Upload(io.BytesIO(text.encode("utf-8")), "text.txt"), actor=None,
                allow_duplicate=True,
            )
            session.flush()
            doc_id = filed.document.id
        indexing.sync(app)
        return doc_id

    return factory
