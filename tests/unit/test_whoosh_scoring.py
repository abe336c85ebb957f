"""The array scoring of ``records.search.whoosh_fast`` gives exactly the pages Whoosh's own matchers give.

The same index is searched twice for every query: as the application searches it, and with the array
path turned off so Whoosh matches and scores posting by posting. Pages (ids in order), scores, totals
and facets must agree, over several segments, deleted documents, ties and every query form.
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from whoosh import query as wq
from whoosh import sorting

from records.search import whoosh_search
from records.search.base import IndexDoc
from records.search.query import parse_query
from records.search.whoosh_fast import ConstantTerms, phrase_terms
from records.search.whoosh_index import WhooshIndex
from records.search.whoosh_query import filters_query, prefix_query, to_whoosh

WORDS = (
    "кафедра кафедранын кафедры протокол протоколу протоколом келишим келишимдер келишимдин практика практики "
    "студент студенттер студентов отчет отчеты договор договора аттестация аттестациялык комиссия комиссии окуу "
    "планы план учебный горному делу металлургия металлургиялык кен казуучу ишканаларда заседании диплом "
    "дипломдук лаборатория лабораторных квалификации предприятиями деканат руднике сессия экзамен"
).split()


def _corpus(count: int, seed: int) -> list[IndexDoc]:
    rng = random.Random(seed)
    docs = []
    for doc_id in range(1, count + 1):
        # Lengths from a few words to a few hundred, so length normalisation matters; a small vocabulary,
        # so documents tie on score as well as differ.
        length = rng.choice((3, 8, 40, 120, 300))
        text = " ".join(rng.choice(WORDS) for _ in range(length))
        if doc_id % 9 == 0:
            text += " кен казуучу ишканаларда " + text  # a three-word phrase, twice as long
        docs.append(IndexDoc(
            id=doc_id,
            title=" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 5))),
            text=text,
            case_index=rng.choice(("12-4-7", "12-4-3", "12-4-15", "12-4-19")),
            year=rng.choice((2021, 2022, 2023, 2024)),
            doc_type=rng.choice(("protocol", "order", "contract", "sac", "report")),
            doc_date=None if rng.random() < 0.1 else date(2021, 1, 1) + timedelta(days=rng.randrange(1400)),
            number=str(rng.randint(1, 20)),
            counterparty=rng.choice((None, "ОсОО «Кумтөр Голд Компани»", "ОАО Кыргызалтын")),
            language=rng.choice(("ky", "ru")),
            filenames=[f"file-{doc_id}.pdf"],
        ))
    return docs


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> WhooshIndex:
    folder: Path = tmp_path_factory.mktemp("scoring")
    found = WhooshIndex(folder)
    docs = _corpus(260, seed=3)
    # Several writes: several segments, one of them merged; then deletions and replacements.
    for start in range(0, len(docs), 23):
        found.add(docs[start:start + 23])
    found.delete([5, 17, 18, 140, 259])
    found.add([IndexDoc(**{**doc.__dict__, "title": doc.title + " протокол"}) for doc in docs[30:34]])
    assert len(found._fresh_searcher().reader().leaf_readers()) > 1
    return found


QUERIES = [
    "кафедра", "протоколы", "келишимдин", "студентов", "руднике", "металлургиялык",
    "кафедра практика", "протокол -договор", "отчет OR диплом", "келишим OR договор -практика",
    '"окуу планы"', '"горному делу"', '"кен казуучу ишканаларда"', '"заседании кафедры" протокол',
    "каф*", "пр*", "лаб* студент", "year:2023 протокол", "type:contract counterparty:Кумтөр",
    "index:12-4-7 date:2023-01-01..2023-06-30", "type:sac date:2022-01-01..", "number:15 -type:order",
    "lang:ru договор", "year:2021 type:order практика", "counterparty:Кыргызалтын", "",
]


def _reference(index: WhooshIndex, q: str, sort: str, filters: dict[str, str] | None = None) -> list[tuple[int, float]]:
    """Every match in page order as Whoosh itself ranks it, without the top-N pruning (which can drop a
    better document from a short page), a phrase ranked by its words' scores as the application ranks it."""
    searcher = index._fresh_searcher()
    query = to_whoosh(parse_query(q), searcher.reader())
    extra = filters_query(filters or {})
    query = wq.And([query, *extra]) if extra else query
    sortedby = [sorting.FieldFacet("date_key", reverse=True), sorting.ScoreFacet()] if sort == "date" else None
    matched = {hit.docnum for hit in searcher.search(query, limit=None)}
    ranked = searcher.search(phrase_terms(query), limit=None, sortedby=sortedby, filter=matched or None,
                             scored=True) if matched else []
    return [(int(hit["id"]), hit.score) for hit in ranked]


@pytest.mark.parametrize("sort", ["relevance", "date"])
@pytest.mark.parametrize("q", QUERIES)
def test_pages_scores_totals_and_facets_match_whoosh(index: WhooshIndex, monkeypatch: pytest.MonkeyPatch,
                                                     q: str, sort: str) -> None:
    reference = _reference(index, q, sort)
    assert reference  # each query finds something here
    for page, per_page in ((1, 20), (2, 7), (3, 1), (40, 5)):
        fast = index.search(q, sort=sort, page=page, per_page=per_page, snippets=False)
        expected = reference[(page - 1) * per_page:page * per_page]
        assert fast.total == len(reference)
        assert [hit.id for hit in fast.hits] == [doc_id for doc_id, _ in expected]
        if sort == "relevance":
            assert [hit.score for hit in fast.hits] == pytest.approx([score for _, score in expected], rel=1e-12)
    # The totals and facets agree with Whoosh's own matching too.
    with monkeypatch.context() as patched:
        patched.setattr(whoosh_search, "score_segments", lambda *args: None)
        slow = index.search(q, sort=sort, snippets=False)
    fast = index.search(q, sort=sort, snippets=False)
    assert (fast.total, fast.facets) == (slow.total, slow.facets)


def test_filters_match_whoosh(index: WhooshIndex) -> None:
    filters = {"year": "2023", "type": "protocol"}
    reference = _reference(index, "кафедра", "relevance", filters)
    found = index.search("кафедра", filters=filters, snippets=False)
    assert found.total == len(reference) > 0
    assert [hit.id for hit in found.hits] == [doc_id for doc_id, _ in reference[:20]]


@pytest.mark.parametrize("prefix", ["к", "каф", "пр", "лаб", "студенттер", "щ"])
def test_prefix_matches_from_the_term_table_run_equal_looking_each_term_up(index: WhooshIndex, prefix: str) -> None:
    searcher = index._fresh_searcher()
    query = prefix_query(prefix, searcher.reader())
    if prefix == "щ":
        assert query is wq.NullQuery
        return
    assert isinstance(query, ConstantTerms) and query.texts
    looked_up = ConstantTerms(query.fieldname, query.texts)  # no runs: every term looked up in each segment
    for leaf, _ in searcher.reader().leaf_readers():
        from_run = query.union(leaf)
        assert from_run.tolist() == looked_up.union(leaf).tolist()
        # and, deleted documents aside (the union keeps them), what Whoosh's own term matchers find
        expected = sorted({docnum for text in query.texts if (query.fieldname, text) in leaf
                           for docnum in leaf.postings(query.fieldname, text).all_ids()})
        assert [docnum for docnum in from_run.tolist() if not leaf.is_deleted(docnum)] == expected
