"""The search index interface, run against both backends: Whoosh and PostgreSQL full text.

Every test here takes ``index`` (the sample corpus) or ``empty_index`` and runs once per backend,
so the two answer the same queries the same way.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from records.search.base import SearchIndex, SearchResult
from records.search.query import QueryError
from records.search.base import SNIPPET_SOURCE_CHARS
from records.search.whoosh_index import WhooshIndex
from tests.factories import CORPUS, make_doc


@pytest.fixture(params=["whoosh", "postgres-fts"])
def empty_index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchIndex]:
    if request.param == "whoosh":
        found = WhooshIndex(tmp_path / "index")
        yield found
        found.close()
        return
    if "postgresql" not in request.config.getoption("--backends"):
        pytest.skip("PostgreSQL backend not selected (--backends)")
    pg_url: str = request.getfixturevalue("pg_url")
    from app import create_app
    from records.db import get_database
    from records.search.indexing import get_index

    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": pg_url,
                      "SECRET_KEY": "test", "INDEX_URL": "postgres-fts:", "WORKER": "off"})
    pg_index = get_index(app)
    pg_index.clear()
    try:
        yield pg_index
    finally:
        pg_index.clear()
        get_database(app).dispose()


@pytest.fixture
def index(empty_index: SearchIndex) -> SearchIndex:
    empty_index.add(CORPUS)
    return empty_index


def ids_for(index: SearchIndex, query: str, **kwargs: Any) -> set[int]:
    return {hit.id for hit in index.search(query, per_page=100, **kwargs).hits}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("протокол", {1, 2}),  # протоколу (ky title), протоколом (ru text)
        ("протоколы", {1, 2}),
        ("протоколунун", {1, 2}),
        ("келишим", {1}),
        ("келишимдер", {1}),
        ("кафедра", {1, 2}),
        ("кафедры", {1, 2}),
        ("кафедранын", {1, 2}),
        ("ишкана", {4}),
        ("практика", {1, 2}),  # ky практика, ru практике/практики
        ("ЁЛКА", {3}),
        ("елки", {3}),
        ("contracts", {3}),  # English stemming
        ("Кумтөр", {2, 4}),
    ],
)
def test_inflected_forms_find_each_other(index: SearchIndex, query: str, expected: set[int]) -> None:
    assert ids_for(index, query) == expected


def test_all_words_are_required(index: SearchIndex) -> None:
    assert ids_for(index, "кафедра практика") == {1, 2}
    assert ids_for(index, "кафедра буйрук") == set()


def test_or_and_exclusion(index: SearchIndex) -> None:
    assert ids_for(index, "келишим OR буйрук") == {1, 4}
    assert ids_for(index, "кафедра -договор") == {1}
    assert ids_for(index, "практика -type:report -lang:ru") == {1}


def test_phrases_match_exact_words_in_order(index: SearchIndex) -> None:
    assert ids_for(index, '"кафедранын отурумунда"') == {1}
    assert ids_for(index, '"отурумунда кафедранын"') == set()
    assert ids_for(index, '"кафедра отурум"') == set()  # no stemming inside quotes
    assert ids_for(index, '"ЁЛКА"') == {3}


def test_longer_phrases_need_every_word_in_a_row(empty_index: SearchIndex) -> None:
    empty_index.add([
        make_doc(1, text="окуу планы бекитилди"),
        make_doc(2, text="окуу планы жана планы бекитилди"),  # both word pairs, not one after another
        make_doc(3, text="планы бекитилди окуу"),
    ])
    assert ids_for(empty_index, '"окуу планы бекитилди"') == {1}
    assert ids_for(empty_index, '"планы бекитилди"') == {1, 2, 3}
    assert ids_for(empty_index, '"бекитилди окуу"') == {3}
    assert ids_for(empty_index, 'планы -"окуу планы"') == {3}


def test_prefix_matches_word_starts(index: SearchIndex) -> None:
    assert ids_for(index, "келиш*") == {1}
    assert ids_for(index, "ПРАКТИК*") == {1, 2}
    assert ids_for(index, "zzz*") == set()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("index:12-4-7", {1, 4}),
        ("year:2023", {1, 4}),
        ("type:contract", {2}),
        ("type:PROTOCOL", {1}),
        ("number:15", {2}),
        ("number:№5", {1}),
        ("counterparty:Кумтөр", {2}),
        ("counterparty:Кумтөрдүн", {2}),
        ('counterparty:"Кумтөр Голд"', {2}),
        ("lang:en", {3}),
        ("date:2023-01-01..2023-06-30", {4}),
        ("date:..2023-12-31", {1, 4}),
        ("date:2024-01-01..", {2}),
        ("date:2023-09-04", {1}),
        ("12-4-12", {2}),
        ("protokol_5", {1}),  # file names are searchable
    ],
)
def test_field_queries(index: SearchIndex, query: str, expected: set[int]) -> None:
    assert ids_for(index, query) == expected


@pytest.mark.parametrize("query", ['"unclosed', "author:x", "date:2023-13-01", "-кафедра", "к*", "OR"])
def test_malformed_queries_raise_query_error(index: SearchIndex, query: str) -> None:
    with pytest.raises(QueryError):
        index.search(query)


def test_facets_count_the_whole_result_set_not_the_page(index: SearchIndex) -> None:
    result = index.search("", per_page=1)
    assert result.total == 4 and len(result.hits) == 1
    assert result.facets == {
        "year": {"2023": 2, "2022": 1, "2024": 1},
        "index": {"12-4-7": 2, "12-4-12": 1, "12-4-3": 1},
        "type": {"contract": 1, "order": 1, "protocol": 1, "report": 1},
    }


def test_filters_narrow_by_exact_values(index: SearchIndex) -> None:
    assert ids_for(index, "", filters={"year": "2023"}) == {1, 4}
    assert ids_for(index, "кафедра", filters={"index": "12-4-7", "type": "protocol"}) == {1}
    assert ids_for(index, "кафедра", filters={"year": "2022"}) == set()
    with pytest.raises(ValueError):
        index.search("", filters={"colour": "red"})


def test_sort_by_date_puts_newest_first_and_undated_last(index: SearchIndex) -> None:
    hits = index.search("", sort="date").hits
    assert [hit.id for hit in hits] == [2, 1, 4, 3]
    assert hits[0].doc_date == date(2024, 2, 1) and hits[-1].doc_date is None


def test_relevance_prefers_title_matches(empty_index: SearchIndex) -> None:
    ranked = empty_index
    ranked.add([make_doc(1, title="Отчет", text="протокол тууралуу"), make_doc(2, title="Протокол", text="отчет")])
    hits = ranked.search("протокол").hits
    assert [hit.id for hit in hits] == [2, 1]
    assert hits[0].score > hits[1].score > 0


def test_paging(empty_index: SearchIndex) -> None:
    paged = empty_index
    paged.add(make_doc(n, text="отчет", doc_date=date(2023, 1, n)) for n in range(1, 26))
    pages = [paged.search("отчет", sort="date", page=p, per_page=10) for p in (1, 2, 3, 4)]
    assert [p.total for p in pages] == [25, 25, 25, 25]
    assert [len(p.hits) for p in pages] == [10, 10, 5, 0]
    assert [hit.id for p in pages for hit in p.hits] == list(range(25, 0, -1))


def test_hit_carries_what_a_result_page_shows(index: SearchIndex) -> None:
    (hit,) = index.search("number:5").hits
    assert (hit.id, hit.title, hit.case_index, hit.year, hit.doc_type, hit.doc_date) == (
        1, "Кафедранын отурумунун протоколу №5", "12-4-7", 2023, "protocol", date(2023, 9, 4),
    )


def test_snippet_marks_inflected_matches_and_escapes_html(empty_index: SearchIndex) -> None:
    unsafe = empty_index
    unsafe.add([make_doc(1, text="<script>alert(1)</script> Келишимдердин & протоколдун тизмеси")])
    snippet = unsafe.search("келишим протокол").hits[0].snippet
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet and "&amp;" in snippet
    assert "<mark>Келишимдердин</mark>" in snippet and "<mark>протоколдун</mark>" in snippet
    assert unsafe.search("келишим", snippets=False).hits[0].snippet == ""


def test_snippet_is_a_bounded_window_around_the_matches(empty_index: SearchIndex) -> None:
    long_doc = empty_index
    text = "сөз " * 500 + "отурумунун протоколу " + "сөз " * 500
    long_doc.add([make_doc(1, text=text)])
    snippet = long_doc.search("протокол").hits[0].snippet
    assert "<mark>протоколу</mark>" in snippet
    assert snippet.startswith("…") and snippet.endswith("…") and len(snippet) < 400


def test_snippet_source_is_bounded(empty_index: SearchIndex) -> None:
    big = empty_index
    big.add([make_doc(1, text="сөз " * SNIPPET_SOURCE_CHARS + "келишим")])
    hit = big.search("келишим").hits[0]  # found: the whole text is indexed
    assert "<mark>" not in hit.snippet  # but snippets come from the stored beginning only


def test_add_is_an_upsert(index: SearchIndex) -> None:
    index.add([make_doc(4, title="Жаңы буйрук", text="стипендия")])
    assert index.doc_count() == 4
    assert ids_for(index, "стипендия") == {4}
    assert ids_for(index, "Кыргызалтын") == set()


def test_repeated_id_in_one_batch_keeps_the_last(empty_index: SearchIndex) -> None:
    fresh = empty_index
    fresh.add([make_doc(7, text="биринчи"), make_doc(7, text="экинчи")])
    assert fresh.ids() == {7}
    assert ids_for(fresh, "экинчи") == {7} and ids_for(fresh, "биринчи") == set()


def test_delete_removes(index: SearchIndex) -> None:
    index.delete([1, 99])
    assert index.ids() == {2, 3, 4}
    assert ids_for(index, "келишим") == set()
    assert index.search("").facets["type"] == {"contract": 1, "order": 1, "report": 1}


def test_ids_doc_count_and_clear(index: SearchIndex) -> None:
    assert index.ids() == {1, 2, 3, 4} and index.doc_count() == 4
    index.clear()
    assert index.ids() == set() and index.doc_count() == 0
    assert index.search("кафедра", sort="date") == SearchResult(0, [], {"year": {}, "index": {}, "type": {}})
    index.add([make_doc(5)])
    assert index.ids() == {5}




def test_postgresql_searches_reading_the_whole_table_are_not_jit_compiled(index: SearchIndex) -> None:
    """No words (all documents, or a facet alone): the sequential scan stays, its cost made huge by
    the search's preference for the indexes, which would make PostgreSQL compile the statement (about
    240 ms at 20,000 documents, for a statement of 40 ms) where the server has JIT."""
    if isinstance(index, WhooshIndex):
        pytest.skip("PostgreSQL only")
    from records.search.pg_index import explain

    everything = "\n".join(explain(index, ""))  # type: ignore[arg-type]
    assert "Seq Scan" in everything and "JIT:" not in everything
    assert "JIT:" not in "\n".join(explain(index, "", filters={"type": "protocol"}))  # type: ignore[arg-type]
    assert ids_for(index, "", filters={"year": "2023"}) == {1, 4}
