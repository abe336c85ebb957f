"""What is particular to the Whoosh backend; the interface itself is tested on both backends in
tests/integration/test_search_index.py."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from whoosh.writing import LockError

from records.search.base import SearchIndex, open_index
from records.search.whoosh_index import PREFIX_EXPANSION_LIMIT, WhooshIndex, open_whoosh_index
from tests.factories import CORPUS, make_doc

REPO = Path(__file__).resolve().parents[2]


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


def test_prefix_expands_to_the_most_frequent_words_only(tmp_path: Path) -> None:
    many = WhooshIndex(tmp_path / "many")
    common = " ".join(f"ка{n:04d}" for n in range(PREFIX_EXPANSION_LIMIT))
    # ка000 sorts before every common word but is in one document only: beyond the cap, it is not reached.
    many.add([make_doc(1, text=common), make_doc(2, text=common), make_doc(3, text="ка000")])
    assert ids_for(many, "ка*") == {1, 2}
    assert many.search("ка*").total == 2
    # A narrower prefix has fewer words than the cap, so the rare one counts again.
    assert ids_for(many, "ка000*") == {1, 2, 3}


def test_prefix_hits_tie_and_keep_the_index_order(tmp_path: Path) -> None:
    ties = WhooshIndex(tmp_path / "ties")
    # Document 2 holds the words many times over; with scoring per word it would come first.
    ties.add([make_doc(1, text="келишим"), make_doc(2, text="келишим келишимдер " * 30), make_doc(3, text="келиш")])
    found = ties.search("келиш*")
    assert [hit.id for hit in found.hits] == [1, 2, 3]
    assert len({hit.score for hit in found.hits}) == 1
    # A page smaller than the matches stops early but still counts everything.
    first = ties.search("келиш*", per_page=2)
    assert ([hit.id for hit in first.hits], first.total) == ([1, 2], 3)
    assert [hit.id for hit in ties.search("келиш*", per_page=2, page=2).hits] == [3]
    # Next to a scored word the prefix adds the same to every document, so the word's scores decide.
    assert ties.search("келишимдер келиш*").hits[0].id == 2


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
        from tests.factories import make_doc
        there = open_index({url!r})
        assert {{h.id for h in there.search("биринчи").hits}} == {{1}}, "first write not visible"
        there.add([make_doc(2, text="экинчи процесс")])
        """
    )
    subprocess.run([sys.executable, "-W", "error", "-c", script], cwd=REPO, check=True, timeout=60)
    assert here.ids() == {1, 2}
    assert ids_for(here, "процесс") == {1, 2}



def _term_tables(reader: object) -> list[object]:
    return [leaf._terms._dbfile for leaf, _ in reader.leaf_readers()]  # type: ignore[attr-defined]


def test_searchers_read_memory_mapped_files_and_close_them_when_replaced(index: WhooshIndex) -> None:
    from records.search.whoosh_internals import MappedFile

    first = _term_tables(index._fresh_searcher().reader())
    assert first and all(isinstance(f, MappedFile) for f in first)
    assert ids_for(index, "протокол")  # searches read through the maps
    index.add([make_doc(50, text="жаңы документ")])  # a commit: the next search opens a new searcher
    assert ids_for(index, "документ") == {50}
    assert all(f._map.closed for f in first)  # the replaced searcher's maps were given back
    assert not any(f._map.closed for f in _term_tables(index._fresh_searcher().reader()))
    # What writers and merges read (the writing side of the index) is plain files, not maps.
    with index._ix.reader() as plain:
        assert not any(isinstance(f, MappedFile) for f in _term_tables(plain))


def _all_postings(index: WhooshIndex) -> dict[tuple[str, bytes], list[tuple[str, float, bytes]]]:
    """Every posting of the index, documents named by their stored id (document numbers differ)."""
    found: dict[tuple[str, bytes], list[tuple[str, float, bytes]]] = {}
    with index._ix.reader() as reader:
        ids = reader.column_reader("id")
        for fieldname, text in reader.all_terms():
            matcher = reader.postings(fieldname, text)
            rows = found.setdefault((fieldname, text), [])
            while matcher.is_active():
                rows.append((ids[matcher.id()], matcher.weight(), matcher.value() or b""))
                matcher.next()
    return {key: sorted(rows) for key, rows in found.items() if rows}


def test_merged_segments_hold_exactly_the_postings_of_their_documents(tmp_path: Path) -> None:
    docs = [make_doc(n, title=f"Протокол №{n}", text=" ".join(("кафедра", "келишим", "практика", "окуу", "планы",
                                                               f"сөз{n % 13}", f"тамга{n % 3}")[: 3 + n % 5] * (1 + n % 4)),
                     counterparty="ОсОО «Кумтөр»" if n % 7 == 0 else None, doc_date=date(2023, 1 + n % 12, 1))
            for n in range(1, 131)]
    gone = {4, 37, 69, 101}
    whole = WhooshIndex(tmp_path / "whole")
    whole.add(docs)  # one segment, never merged
    whole.delete(gone)
    merged = WhooshIndex(tmp_path / "merged")
    for doc in docs:  # one commit each: segments are merged level by level
        merged.add([doc])
        if doc.id - 5 in gone:  # deleted before the level holding them is merged: merges leave them out
            merged.delete([doc.id - 5])
    with merged._ix.reader() as reader:
        assert len(reader.leaf_readers()) < len(docs) / 5
    assert _all_postings(merged) == _all_postings(whole)


def test_index_files_name_their_classes_where_every_earlier_index_named_them(index: WhooshIndex) -> None:
    # The table of contents pickles the schema and each segment's codec; an index written by any earlier
    # version names these classes in records.search.whoosh_index, so they must resolve there.
    from records.search import whoosh_index

    toc = b"".join(path.read_bytes() for path in index.path.glob("*.toc"))
    for cls in whoosh_index.PICKLED_CLASSES:
        assert getattr(whoosh_index, cls.__name__) is cls
        # InliningCodec wrote the segments of earlier versions; new segments are CompactCodec's.
        assert (cls.__name__.encode() in toc) is (cls is not whoosh_index.InliningCodec)
    assert b"records.search.whoosh_index" in toc
    assert b"records.search.whoosh_schema" not in toc and b"records.search.whoosh_internals" not in toc


@pytest.mark.parametrize("processes", [1, 2])
def test_a_long_stream_is_written_in_bounded_segments_with_the_postings_of_small_commits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, processes: int) -> None:
    from records.search import whoosh_index

    monkeypatch.setattr(whoosh_index, "BATCH_SIZE", 4)
    monkeypatch.setattr(whoosh_index, "SEGMENT_DOCS", 10)
    docs = [make_doc(n, title=f"Протокол №{n}", text=" ".join(("кафедранын", "келишимдер", "договоры", "окуу",
                                                               f"сөз{n % 11}")[: 2 + n % 4] * (1 + n % 3)))
            for n in range(1, 46)]
    # Repeated ids: the later version wins, within one writer's reach and across writers.
    stream = [*docs[:6], make_doc(3, title="Кайра жазылган"), *docs[6:], make_doc(44, title="Акыркы")]
    streamed = WhooshIndex(tmp_path / "streamed")
    streamed.add([make_doc(44, title="Мурунку"), make_doc(999, title="Башка")])  # already there: replaced, kept
    streamed.add(iter(stream), processes=processes)
    small = WhooshIndex(tmp_path / "small")
    small.add([make_doc(999, title="Башка")])
    for doc in stream:
        small.add([doc])
    with streamed._ix.reader() as reader:
        sizes = [leaf.doc_count() for leaf, _ in reader.leaf_readers()]
    assert sum(sizes) == 46 and max(sizes) <= 10 + 3 and len(sizes) >= 45 // 13
    assert _all_postings(streamed) == _all_postings(small)
    assert ids_for(streamed, "Кайра") == {3} and ids_for(streamed, "Акыркы") == {44}
    assert not ids_for(streamed, "Мурунку") and streamed.ids() == {*range(1, 46), 999}
    # The building processes' work folders are gone; nothing but the index is left.
    assert not [path for path in streamed.path.iterdir() if path.name.startswith(".building")]


def test_a_rebuild_removes_the_work_folders_of_a_killed_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from records.search import whoosh_index

    monkeypatch.setattr(whoosh_index, "BATCH_SIZE", 2)
    monkeypatch.setattr(whoosh_index, "SEGMENT_DOCS", 3)
    index = WhooshIndex(tmp_path / "index")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    abandoned = index.path / f".building-{dead.stdout.strip()}"
    (abandoned / "p1").mkdir(parents=True)
    (abandoned / "p1" / "MAIN_half.trm").write_bytes(b"half-written")
    mine = index.path / f".building-{os.getppid()}"  # a live process's rebuild is left alone
    mine.mkdir()
    index.add((make_doc(n, text=f"кат {n}") for n in range(1, 8)), processes=2)
    assert not abandoned.exists() and mine.exists()
    assert index.ids() == set(range(1, 8)) and ids_for(index, "кат") == set(range(1, 8))


def test_a_segment_ends_when_its_text_reaches_the_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from records.search import whoosh_index

    monkeypatch.setattr(whoosh_index, "BATCH_SIZE", 2)
    monkeypatch.setattr(whoosh_index, "SEGMENT_CHARS", 3000)
    index = WhooshIndex(tmp_path / "index")
    index.add(make_doc(n, text="кафедра " * 250) for n in range(1, 13))  # 2 000 characters each
    with index._ix.reader() as reader:
        assert sorted(leaf.doc_count() for leaf, _ in reader.leaf_readers()) == [2] * 6


def test_segments_of_the_earlier_term_table_are_read_searched_and_merged_with_compact_ones(tmp_path: Path) -> None:
    from records.search.whoosh_internals import InliningCodec, PostingBuffer
    from records.search.whoosh_schema import document_fields
    from records.search.whoosh_writing import INLINE_POSTINGS, new_codec

    def commit_alone(index: WhooshIndex, doc: object, codec: object) -> None:
        writer = index._ix.writer(codec=codec, compound=False)
        buffer = PostingBuffer.install(writer)
        writer.add_document(**document_fields(doc))
        writer.commit(merge=False)
        buffer.cleanup()

    docs = [make_doc(n, title=f"Протокол №{n}", text=" ".join(("кафедранын", "келишимдер", "окуу", "планы",
                                                               f"сөз{n % 7}", f"тамга{n}")[: 3 + n % 4] * (1 + n % 9)))
            for n in range(1, 41)]
    mixed = WhooshIndex(tmp_path / "mixed")  # segments as the earlier version wrote them: Whoosh's term entries
    compact = WhooshIndex(tmp_path / "compact")  # the same segments, compact entries
    for doc in docs[:20]:
        commit_alone(mixed, doc, InliningCodec(inline_below=INLINE_POSTINGS + 1))
        commit_alone(compact, doc, new_codec())
    mixed.add(docs[20:30])
    compact.add(docs[20:30])
    assert _all_postings(mixed) == _all_postings(compact)
    for query in ("окуу", '"окуу планы"', "тамга1*", "кафедра", "сөз3", "келишим -сөз2"):
        assert [(h.id, h.score) for h in mixed.search(query).hits] == \
            [(h.id, h.score) for h in compact.search(query).hits], query
    for doc in docs[30:]:  # small commits: the earlier segments are merged into compact ones
        mixed.add([doc])
    toc = b"".join(path.read_bytes() for path in mixed.path.glob("*.toc"))
    assert b"InliningCodec" not in toc
    whole = WhooshIndex(tmp_path / "whole")
    whole.add(docs)
    assert _all_postings(mixed) == _all_postings(whole)


@pytest.mark.parametrize(("expected", "processes", "per_segment"), [
    (None, 2, 2000), (1500, 2, 2000), (10_000, 2, 1667), (100_000, 2, 2000), (3000, 2, 1500), (10_000, 4, 1250),
    (10_000, 1, 2000),
])
def test_a_rebuild_is_cut_into_full_rounds_of_segments(expected: int | None, processes: int,
                                                       per_segment: int) -> None:
    from records.search.whoosh_build import even_segments

    assert even_segments(expected, 2000, processes) == per_segment


def test_a_rebuild_of_known_length_keeps_every_process_busy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from records.search import whoosh_index

    monkeypatch.setattr(whoosh_index, "BATCH_SIZE", 2)  # segments are cut inside a batch read
    monkeypatch.setattr(whoosh_index, "SEGMENT_DOCS", 4)
    index = WhooshIndex(tmp_path / "index")
    index.add((make_doc(n, text=f"кат {n}") for n in range(1, 11)), processes=2, expected=10)
    with index._ix.reader() as reader:  # four segments of at most 3, not 4 + 4 + 2
        assert sorted(leaf.doc_count() for leaf, _ in reader.leaf_readers()) == [1, 3, 3, 3]
    assert index.ids() == set(range(1, 11))
