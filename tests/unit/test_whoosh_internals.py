"""The Whoosh release installed is the one ``records.search.whoosh_internals`` was written against.

That module uses Whoosh's private names (listed in its docstring); another release may rename or
change any of them without notice, and the index would then break or, worse, mis-score quietly.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from whoosh.codec.whoosh3 import (
    W3Codec,
    W3FieldWriter,
    W3LeafMatcher,
    W3PostingsWriter,
    W3TermInfo,
)
from whoosh.collectors import TopCollector
from whoosh.filedb import filestore, filetables
from whoosh.matching import ListMatcher
from whoosh.reading import SegmentReader
from whoosh.scoring import BM25F
from whoosh.writing import SegmentWriter

from records.search import whoosh_internals
from records.search.whoosh_internals import WHOOSH_VERSION, installed_whoosh_version

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_installed_whoosh_is_the_release_the_internals_were_written_against() -> None:
    installed = installed_whoosh_version()
    if installed != WHOOSH_VERSION:
        pytest.fail(
            f"whoosh-reloaded {installed} is installed, but records/search/whoosh_internals.py uses private "
            f"names of whoosh-reloaded {WHOOSH_VERSION}. Check every name its docstring lists against the new "
            f"release, run tests/unit/test_whoosh_scoring.py and test_whoosh_write_path.py, then update "
            f"WHOOSH_VERSION there and the pin in pyproject.toml.",
            pytrace=False,
        )


def test_pyproject_pins_that_release() -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text("utf-8"))["project"]["dependencies"]
    pins = [dependency.strip() for dependency in dependencies
            if dependency.lower().startswith("whoosh-reloaded")]
    assert pins == [f"whoosh-reloaded=={WHOOSH_VERSION}"]


@pytest.mark.parametrize(("owner", "names"), [
    (W3Codec(), ["_blocklimit", "_compression", "_inlinelimit", "length_stats"]),
    (W3FieldWriter, ["start_term"]),
    (W3PostingsWriter, ["_write_block", "_mini_ids", "_mini_weights", "_mini_values", "_new_block"]),
    (W3TermInfo, ["set_inlined", "from_bytes", "add_block"]),
    (W3LeafMatcher, ["_goto", "_read_data", "_read_ids", "_read_weights", "_read_values"]),
    (ListMatcher, ["skip_to", "skip_to_quality"]),
    (TopCollector, ["_collect"]),
    (SegmentReader, ["indexed_field_names"]),
    (SegmentWriter, ["write_per_doc"]),
    (filestore.FileStorage, ["_fpath", "open_file"]),
    (filetables.OrderedHashReader, ["closest_key_pos"]),
    (filetables, ["_lengths"]),
])
def test_the_private_names_the_internals_use_still_exist(owner: object, names: list[str]) -> None:
    missing = [name for name in names if not hasattr(owner, name)]
    assert not missing, f"{owner!r} lacks {missing}; see records/search/whoosh_internals.py"


def test_bm25f_keeps_its_per_field_b() -> None:
    weighting = BM25F(B=0.5, title_B=0.2)
    assert whoosh_internals.field_B(weighting, "title") == 0.2
    assert whoosh_internals.field_B(weighting, "content") == 0.5


@pytest.mark.parametrize("inlined", [True, False])
@pytest.mark.parametrize("weights", [[1.0, 3.0, 200000.0], [0.5, 1.25, 3.0]])
@pytest.mark.parametrize("lengths", [(None, 0), (3, 90)])
def test_compact_term_entries_read_back_as_whooshs_own(inlined: bool, weights: list[float],
                                                        lengths: tuple[int | None, int]) -> None:
    from whoosh.codec.whoosh3 import W3TermInfo

    from records.search.whoosh_internals import CompactTermInfo

    def filled(info: W3TermInfo) -> W3TermInfo:
        info._df, info._weight, info._maxweight = 3, sum(weights), max(weights)
        info._minlength, info._maxlength = lengths
        info._minid, info._maxid = 7, 70_000
        if inlined:
            info._inlined = ((7, 300, 70_000), tuple(weights), (b"\x01\x00\x00\x00", b"", b"\x00" * 20000))
        else:
            info._offset, info._length = 2**33, 123_456
        return info

    ours = CompactTermInfo.from_bytes(filled(CompactTermInfo()).to_bytes())
    whooshs = W3TermInfo.from_bytes(filled(W3TermInfo()).to_bytes())
    if isinstance(whooshs._length, tuple):  # Whoosh reads its own length field back as a 1-tuple
        whooshs._length = whooshs._length[0]
    for name in ("_df", "_minid", "_maxid", "_offset", "_length", "_inlined", "_minlength", "_maxlength"):
        assert getattr(ours, name) == getattr(whooshs, name), name
    assert ours._weight == pytest.approx(whooshs._weight) and ours._maxweight == pytest.approx(whooshs._maxweight)
    assert CompactTermInfo.doc_frequency_of(filled(CompactTermInfo()).to_bytes()) == 3
    assert len(filled(CompactTermInfo()).to_bytes()) < len(filled(W3TermInfo()).to_bytes())


@pytest.mark.parametrize(("ids", "weights", "values"), [
    ([0], [1.0], [b"\x01\x00\x00\x00"]),
    ([5], [3.0], [b""]),
    ([1, 2, 9], [1.0, 2.0, 1.0], [b"", b"", b""]),
    ([3, 20_000, 90_000], [4000.0, 12000.0, 7.0], [b"a", b"c", b"b" * 20_000]),  # a total, gaps, a value past 2 bytes
    ([0, 1, 2, 3, 4, 5, 6, 7], [1.0] * 8, [bytes([n]) * (n + 1) for n in range(8)]),
])
def test_inlined_entries_are_the_bytes_of_the_general_way(ids: list[int], weights: list[float],
                                                          values: list[bytes]) -> None:
    from records.search.whoosh_internals import CompactTermInfo, general_entry, inlined_entry

    general = general_entry(ids, weights, values).to_bytes()
    assert inlined_entry(ids, weights, values) == general
    read = CompactTermInfo.from_bytes(general)
    assert read._inlined == (tuple(ids), tuple(weights), tuple(v for v in values if v))


@pytest.mark.parametrize("weights", [[0.5], [1.0, 2.5], [16384.0], [-1.0]])
def test_inlined_entries_leave_other_weights_to_the_general_way(weights: list[float]) -> None:
    from records.search.whoosh_internals import inlined_entry

    assert inlined_entry(list(range(len(weights))), weights, [b""] * len(weights)) is None


def test_the_term_table_is_the_file_whooshs_writer_makes(tmp_path: Path) -> None:
    """Keys, values, hash tables and the key positions byte for byte as ``OrderedHashWriter`` writes
    them with the same hash, and every key found again by Whoosh's reader."""
    import random
    import zlib

    from whoosh.filedb.filetables import HashWriter, OrderedHashReader, OrderedHashWriter

    from records.search.whoosh_internals import _TermTableWriter

    rng = random.Random(5)
    items = sorted({bytes(rng.randrange(256) for _ in range(rng.randint(1, 12))): None for _ in range(5000)})
    values = {key: bytes(rng.randrange(256) for _ in range(rng.randint(0, 40))) for key in items}

    class WhooshsCrc(OrderedHashWriter):  # type: ignore[misc]
        def __init__(self, dbfile: object) -> None:
            HashWriter.__init__(self, dbfile, hashtype=1)
            self.index = whoosh_internals.GrowableArray("H")
            self.lastkey = b""

    storage = filestore.FileStorage(str(tmp_path))
    for name, writer_class in (("ours", _TermTableWriter), ("whooshs", WhooshsCrc)):
        writer = writer_class(storage.create_file(name))
        for key in items:
            writer.add(key, values[key])
        writer.close()
    assert (tmp_path / "ours").read_bytes() == (tmp_path / "whooshs").read_bytes()
    reader = OrderedHashReader.open(storage, "ours")
    try:
        assert all(reader[key] == values[key] for key in items[::97])
        assert [key for key, _ in reader.items()] == items
        assert reader.hashtype == 1 and reader.hashfn(items[0]) == zlib.crc32(items[0])
    finally:
        reader.close()


@pytest.mark.parametrize(("docnum", "weight", "value"), [
    (0, 1.0, b"\x01\x00\x00\x00"), (16383, 3.0, b""), (200, 16383.0, b"x" * 300), (7, 2.0, b"y" * 16383),
])
def test_single_posting_entries_are_the_bytes_of_the_general_way(docnum: int, weight: float, value: bytes) -> None:
    from records.search.whoosh_internals import general_entry, inlined_entry, single_entry

    general = general_entry([docnum], [weight], [value]).to_bytes()
    assert single_entry(docnum, weight, value) == inlined_entry([docnum], [weight], [value]) == general


@pytest.mark.parametrize(("docnum", "weight", "value"), [
    (16384, 1.0, b""), (1, 0.5, b""), (1, 16384.0, b""), (1, 1.0, b"z" * 16384), (-1, 1.0, b""),
])
def test_single_posting_entries_leave_the_rest_to_the_general_way(docnum: int, weight: float, value: bytes) -> None:
    from records.search.whoosh_internals import single_entry

    assert single_entry(docnum, weight, value) is None
