"""The Whoosh index behind the SearchIndex interface."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from whoosh.writing import LockError

from records.search.base import IndexDoc, SearchIndex, SearchResult, open_index
from records.search.query import QueryError
from records.search.whoosh_index import PREFIX_EXPANSION_LIMIT, SNIPPET_SOURCE_CHARS, WhooshIndex, open_whoosh_index

REPO = Path(__file__).resolve().parents[2]


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


@pytest.fixture
def index(tmp_path: Path) -> WhooshIndex:
    found = WhooshIndex(tmp_path / "index")
    found.add(CORPUS)
    return found


def ids_for(index: SearchIndex, query: str, **kwargs: object) -> set[int]:
    return {hit.id for hit in index.search(query, per_page=100, **kwargs).hits}  # type: ignore[arg-type]


def test_open_index_creates_the_folder_and_shares_one_object_per_process(tmp_path: Path) -> None:
    url = f"whoosh://{tmp_path}/new/index"
    first = open_index(url)
    assert (tmp_path / "new" / "index").is_dir()
    assert first is open_index(url) is open_whoosh_index(tmp_path / "new" / "index")
    assert first.doc_count() == 0


@pytest.mark.parametrize("url", ["whoosh://relative/dir", "whoosh:relative", "postgresql://db/x"])
def test_open_index_rejects_unusable_urls(url: str) -> None:
    with pytest.raises(ValueError):
        open_index(url)


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
def test_inflected_forms_find_each_other(index: WhooshIndex, query: str, expected: set[int]) -> None:
    assert ids_for(index, query) == expected


def test_all_words_are_required(index: WhooshIndex) -> None:
    assert ids_for(index, "кафедра практика") == {1, 2}
    assert ids_for(index, "кафедра буйрук") == set()


def test_or_and_exclusion(index: WhooshIndex) -> None:
    assert ids_for(index, "келишим OR буйрук") == {1, 4}
    assert ids_for(index, "кафедра -договор") == {1}
    assert ids_for(index, "практика -type:report -lang:ru") == {1}


def test_phrases_match_exact_words_in_order(index: WhooshIndex) -> None:
    assert ids_for(index, '"кафедранын отурумунда"') == {1}
    assert ids_for(index, '"отурумунда кафедранын"') == set()
    assert ids_for(index, '"кафедра отурум"') == set()  # no stemming inside quotes
    assert ids_for(index, '"ЁЛКА"') == {3}


def test_prefix_matches_word_starts(index: WhooshIndex) -> None:
    assert ids_for(index, "келиш*") == {1}
    assert ids_for(index, "ПРАКТИК*") == {1, 2}
    assert ids_for(index, "zzz*") == set()


def test_prefix_expansion_is_bounded(tmp_path: Path) -> None:
    many = WhooshIndex(tmp_path / "many")
    words = " ".join(f"ка{n:04d}" for n in range(PREFIX_EXPANSION_LIMIT + 50))
    many.add([make_doc(1, text=words), make_doc(2, text="ка9999")])
    # ка9999 sorts after the first PREFIX_EXPANSION_LIMIT expansions, so it is not reached.
    assert ids_for(many, "ка*") == {1}


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
def test_field_queries(index: WhooshIndex, query: str, expected: set[int]) -> None:
    assert ids_for(index, query) == expected


@pytest.mark.parametrize("query", ['"unclosed', "author:x", "date:2023-13-01", "-кафедра", "к*", "OR"])
def test_malformed_queries_raise_query_error(index: WhooshIndex, query: str) -> None:
    with pytest.raises(QueryError):
        index.search(query)


def test_facets_count_the_whole_result_set_not_the_page(index: WhooshIndex) -> None:
    result = index.search("", per_page=1)
    assert result.total == 4 and len(result.hits) == 1
    assert result.facets == {
        "year": {"2023": 2, "2022": 1, "2024": 1},
        "index": {"12-4-7": 2, "12-4-12": 1, "12-4-3": 1},
        "type": {"contract": 1, "order": 1, "protocol": 1, "report": 1},
    }


def test_filters_narrow_by_exact_values(index: WhooshIndex) -> None:
    assert ids_for(index, "", filters={"year": "2023"}) == {1, 4}
    assert ids_for(index, "кафедра", filters={"index": "12-4-7", "type": "protocol"}) == {1}
    assert ids_for(index, "кафедра", filters={"year": "2022"}) == set()
    with pytest.raises(ValueError):
        index.search("", filters={"colour": "red"})


def test_sort_by_date_puts_newest_first_and_undated_last(index: WhooshIndex) -> None:
    hits = index.search("", sort="date").hits
    assert [hit.id for hit in hits] == [2, 1, 4, 3]
    assert hits[0].doc_date == date(2024, 2, 1) and hits[-1].doc_date is None


def test_relevance_prefers_title_matches(tmp_path: Path) -> None:
    ranked = WhooshIndex(tmp_path / "ranked")
    ranked.add([make_doc(1, title="Отчет", text="протокол тууралуу"), make_doc(2, title="Протокол", text="отчет")])
    hits = ranked.search("протокол").hits
    assert [hit.id for hit in hits] == [2, 1]
    assert hits[0].score > hits[1].score > 0


def test_paging(tmp_path: Path) -> None:
    paged = WhooshIndex(tmp_path / "paged")
    paged.add(make_doc(n, text="отчет", doc_date=date(2023, 1, n)) for n in range(1, 26))
    pages = [paged.search("отчет", sort="date", page=p, per_page=10) for p in (1, 2, 3, 4)]
    assert [p.total for p in pages] == [25, 25, 25, 25]
    assert [len(p.hits) for p in pages] == [10, 10, 5, 0]
    assert [hit.id for p in pages for hit in p.hits] == list(range(25, 0, -1))


def test_hit_carries_what_a_result_page_shows(index: WhooshIndex) -> None:
    (hit,) = index.search("number:5").hits
    assert (hit.id, hit.title, hit.case_index, hit.year, hit.doc_type, hit.doc_date) == (
        1, "Кафедранын отурумунун протоколу №5", "12-4-7", 2023, "protocol", date(2023, 9, 4),
    )


def test_snippet_marks_inflected_matches_and_escapes_html(tmp_path: Path) -> None:
    unsafe = WhooshIndex(tmp_path / "unsafe")
    unsafe.add([make_doc(1, text="<script>alert(1)</script> Келишимдердин & протоколдун тизмеси")])
    snippet = unsafe.search("келишим протокол").hits[0].snippet
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet and "&amp;" in snippet
    assert "<mark>Келишимдердин</mark>" in snippet and "<mark>протоколдун</mark>" in snippet
    assert unsafe.search("келишим", snippets=False).hits[0].snippet == ""


def test_snippet_is_a_bounded_window_around_the_matches(tmp_path: Path) -> None:
    long_doc = WhooshIndex(tmp_path / "long")
    text = "сөз " * 500 + "отурумунун протоколу " + "сөз " * 500
    long_doc.add([make_doc(1, text=text)])
    snippet = long_doc.search("протокол").hits[0].snippet
    assert "<mark>протоколу</mark>" in snippet
    assert snippet.startswith("…") and snippet.endswith("…") and len(snippet) < 400


def test_snippet_source_is_bounded(tmp_path: Path) -> None:
    big = WhooshIndex(tmp_path / "big")
    big.add([make_doc(1, text="сөз " * SNIPPET_SOURCE_CHARS + "келишим")])
    hit = big.search("келишим").hits[0]  # found: the whole text is indexed
    assert "<mark>" not in hit.snippet  # but snippets come from the stored beginning only


def test_add_is_an_upsert(index: WhooshIndex) -> None:
    index.add([make_doc(4, title="Жаңы буйрук", text="стипендия")])
    assert index.doc_count() == 4
    assert ids_for(index, "стипендия") == {4}
    assert ids_for(index, "Кыргызалтын") == set()


def test_repeated_id_in_one_batch_keeps_the_last(tmp_path: Path) -> None:
    fresh = WhooshIndex(tmp_path / "fresh")
    fresh.add([make_doc(7, text="биринчи"), make_doc(7, text="экинчи")])
    assert fresh.ids() == {7}
    assert ids_for(fresh, "экинчи") == {7} and ids_for(fresh, "биринчи") == set()


def test_delete_removes(index: WhooshIndex) -> None:
    index.delete([1, 99])
    assert index.ids() == {2, 3, 4}
    assert ids_for(index, "келишим") == set()
    assert index.search("").facets["type"] == {"contract": 1, "order": 1, "report": 1}


def test_ids_doc_count_and_clear(index: WhooshIndex) -> None:
    assert index.ids() == {1, 2, 3, 4} and index.doc_count() == 4
    index.clear()
    assert index.ids() == set() and index.doc_count() == 0
    assert index.search("кафедра", sort="date") == SearchResult(0, [], {"year": {}, "index": {}, "type": {}})
    index.add([make_doc(5)])
    assert index.ids() == {5}


def test_writer_waits_for_a_lock_then_raises(tmp_path: Path) -> None:
    first = WhooshIndex(tmp_path / "locked", lock_timeout=0.2)
    holder = first._ix.writer()  # another writer holds the lock
    try:
        with pytest.raises(LockError):
            first.add([make_doc(1)])
    finally:
        holder.cancel()
    first.add([make_doc(1)])
    assert first.ids() == {1}


def test_an_error_while_writing_is_raised_and_nothing_is_written(index: WhooshIndex) -> None:
    broken = make_doc(9, text=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        index.add([make_doc(8), broken])
    assert 8 not in index.ids()
    index.add([make_doc(8)])  # the lock was released
    assert 8 in index.ids()


def test_two_processes_see_each_others_writes(tmp_path: Path) -> None:
    url = f"whoosh://{tmp_path}/shared"
    here = open_index(url)
    here.add([make_doc(1, text="биринчи процесс")])
    assert here.doc_count() == 1  # this searcher is now open and must notice the other process
    script = textwrap.dedent(
        f"""
        from records.search.base import open_index
        from tests.unit.test_whoosh_index import make_doc
        there = open_index({url!r})
        assert {{h.id for h in there.search("биринчи").hits}} == {{1}}, "first write not visible"
        there.add([make_doc(2, text="экинчи процесс")])
        """
    )
    subprocess.run([sys.executable, "-W", "error", "-c", script], cwd=REPO, check=True, timeout=60)
    assert here.ids() == {1, 2}
    assert ids_for(here, "процесс") == {1, 2}
