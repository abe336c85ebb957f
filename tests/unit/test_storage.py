"""Behaviour of the blob stores, run against the filesystem store and against
an S3 store talking to a local S3-compatible server."""
from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from storage import (
    BlobIntegrityError,
    BlobNotFound,
    BlobStore,
    FileSystemStore,
    InvalidBlobId,
    S3Store,
    StorageError,
    UploadTooLarge,
    open_store,
    spool_upload,
    validate_sha256,
)
from storage.errors import format_size

MakeFile = Callable[[bytes], tuple[Path, str]]

from tests.conftest import S3_BUCKET as BUCKET, S3_REGION as REGION


# --- fixtures ---------------------------------------------------------------


@pytest.fixture(params=["filesystem", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    """An empty store of each kind; S3 stores get a fresh prefix per test."""
    if request.param == "filesystem":
        return open_store((tmp_path / "blobs").as_uri())
    endpoint = request.getfixturevalue("s3_endpoint")
    return open_store(f"s3://{BUCKET}/t-{uuid.uuid4().hex}?endpoint_url={endpoint}&region={REGION}")


@pytest.fixture
def fs_store(tmp_path: Path) -> FileSystemStore:
    return FileSystemStore(tmp_path / "blobs")


@pytest.fixture
def make_file(tmp_path: Path) -> MakeFile:
    """Write bytes to a new file outside any store; return its path and SHA-256."""
    src_dir = tmp_path / "src"
    src_dir.mkdir()

    def make(data: bytes) -> tuple[Path, str]:
        path = src_dir / uuid.uuid4().hex
        path.write_bytes(data)
        return path, hashlib.sha256(data).hexdigest()

    return make


def read_all(store: BlobStore, sha256: str) -> bytes:
    with store.open(sha256) as stream:
        return stream.read()


def all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


PAYLOADS = {
    "empty": b"",
    "cyrillic": "Кафедранын отурумунун протоколу № 5, 2024-01-15: өң үң ңө.\n".encode(),
    # several read chunks, and bytes of every value
    "binary-3MiB": bytes(range(256)) * (3 * 4096) + b"\x00tail",
}


# --- behaviour shared by both stores ----------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_put_then_open_gives_back_identical_bytes(
    store: BlobStore, make_file: MakeFile, payload: bytes
) -> None:
    src, sha = make_file(payload)

    assert not store.exists(sha)
    assert store.put(src, sha) is True

    assert store.exists(sha)
    assert store.size(sha) == len(payload)
    assert read_all(store, sha) == payload


def test_second_put_of_same_content_is_deduplicated(store: BlobStore, make_file: MakeFile) -> None:
    data = "Келишимдердин тизмеси".encode()
    first, sha = make_file(data)
    second, _ = make_file(data)

    assert store.put(first, sha) is True
    assert store.put(second, sha) is False

    assert [info.sha256 for info in store.iter_blobs()] == [sha]
    assert read_all(store, sha) == data


def test_put_with_wrong_hash_is_refused_and_leaves_nothing(
    store: BlobStore, make_file: MakeFile, tmp_path: Path
) -> None:
    src, _ = make_file(b"the real bytes")
    claimed = hashlib.sha256(b"other bytes").hexdigest()

    with pytest.raises(BlobIntegrityError) as caught:
        store.put(src, claimed)

    assert caught.value.expected == claimed
    assert caught.value.actual == hashlib.sha256(b"the real bytes").hexdigest()
    assert not store.exists(claimed)
    assert list(store.iter_blobs()) == []
    assert all_files(tmp_path / "blobs") == []


def test_put_of_different_bytes_under_an_existing_id_is_refused(
    store: BlobStore, make_file: MakeFile
) -> None:
    src, sha = make_file(b"original")
    store.put(src, sha)
    impostor, _ = make_file(b"a longer impostor")

    with pytest.raises(BlobIntegrityError):
        store.put(impostor, sha)

    assert read_all(store, sha) == b"original"


def test_delete_is_idempotent(store: BlobStore, make_file: MakeFile) -> None:
    src, sha = make_file(b"to be destroyed after its act is approved")
    store.put(src, sha)

    assert store.delete(sha) is True
    assert store.delete(sha) is False

    assert not store.exists(sha)
    assert list(store.iter_blobs()) == []
    with pytest.raises(BlobNotFound):
        store.open(sha)
    with pytest.raises(BlobNotFound):
        store.size(sha)


def test_missing_blob_is_reported_as_not_found(store: BlobStore) -> None:
    sha = hashlib.sha256(b"never stored").hexdigest()

    assert store.exists(sha) is False
    with pytest.raises(BlobNotFound) as caught:
        store.open(sha)
    assert caught.value.sha256 == sha


def test_iter_blobs_lists_exactly_what_is_stored(store: BlobStore, make_file: MakeFile) -> None:
    stored = {}
    for i in range(5):
        data = f"протокол {i}".encode() * (i + 1)
        src, sha = make_file(data)
        store.put(src, sha)
        stored[sha] = len(data)
    removed = next(iter(stored))
    store.delete(removed)
    del stored[removed]

    listed = list(store.iter_blobs())

    assert {info.sha256: info.size for info in listed} == stored
    assert len(listed) == len(stored)
    assert [info.sha256 for info in listed] == sorted(stored)
    assert all(info.modified.utcoffset() == timedelta(0) for info in listed)


HOSTILE_IDS = {
    "traversal": "../../etc/passwd",
    "traversal-64": "../" * 21 + "a",
    "uppercase": hashlib.sha256(b"x").hexdigest().upper(),
    "short": "abcd",
    "empty": "",
    "too-long": hashlib.sha256(b"x").hexdigest() + "0",
    "trailing-newline": hashlib.sha256(b"x").hexdigest() + "\n",
    "non-ascii-digits": "٠" * 64,
    "not-a-string": None,
}


@pytest.mark.parametrize("bad", HOSTILE_IDS.values(), ids=HOSTILE_IDS.keys())
def test_hostile_ids_are_refused_by_every_operation(
    store: BlobStore, make_file: MakeFile, tmp_path: Path, bad: object
) -> None:
    src, _ = make_file(b"payload")
    operations = {
        "put": lambda: store.put(src, bad),  # type: ignore[arg-type]
        "open": lambda: store.open(bad),  # type: ignore[arg-type]
        "exists": lambda: store.exists(bad),  # type: ignore[arg-type]
        "size": lambda: store.size(bad),  # type: ignore[arg-type]
        "delete": lambda: store.delete(bad),  # type: ignore[arg-type]
        "local_path": lambda: store.local_path(bad),  # type: ignore[arg-type]
    }
    for name, operation in operations.items():
        with pytest.raises(InvalidBlobId):
            operation()
            pytest.fail(f"{name} accepted {bad!r}")

    assert list(store.iter_blobs()) == []
    # refused before any folder or file was made, inside the store or anywhere else
    assert [p.name for p in tmp_path.iterdir()] == ["src"]


def test_spooled_upload_can_be_stored(store: BlobStore, tmp_path: Path) -> None:
    data = os.urandom(100_000)

    with spool_upload(io.BytesIO(data), tmp_path / "spool", max_bytes=len(data), chunk_size=4096) as upload:
        assert store.put(upload.path, upload.sha256) is True

    assert not upload.path.exists()
    assert read_all(store, upload.sha256) == data


def test_spooled_upload_is_stored_by_put_spooled_and_outlives_its_spool(store: BlobStore, tmp_path: Path) -> None:
    data = os.urandom(100_000)

    with spool_upload(io.BytesIO(data), tmp_path / "spool", max_bytes=len(data), chunk_size=4096) as upload:
        assert store.put_spooled(upload) is True
        assert store.put_spooled(upload) is False  # never written twice
        assert upload.path.exists()  # still the caller's to discard

    assert not upload.path.exists()
    assert read_all(store, upload.sha256) == data


# --- spool_upload ------------------------------------------------------------


class EndlessStream(io.RawIOBase):
    """A client that keeps sending; counts how much was asked of it."""

    def __init__(self) -> None:
        self.reads = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        return b"x" * (size if size > 0 else 1024)


class FailingStream(io.RawIOBase):
    """Yields some chunks, then fails as a full disk or broken connection would."""

    def __init__(self, good_chunks: int, error: OSError) -> None:
        self.left = good_chunks
        self.error = error

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.left == 0:
            raise self.error
        self.left -= 1
        return b"y" * (size if size > 0 else 1024)


def test_spool_upload_hashes_and_sizes_the_copy(tmp_path: Path) -> None:
    data = "Мамлекеттик сактоого берилбейт. ".encode() * 1000

    upload = spool_upload(io.BytesIO(data), tmp_path, max_bytes=len(data), chunk_size=1000)

    assert upload.sha256 == hashlib.sha256(data).hexdigest()
    assert upload.size == len(data)
    assert upload.path.parent == tmp_path
    assert upload.path.read_bytes() == data
    upload.discard()
    assert list(tmp_path.iterdir()) == []


def test_spool_upload_over_the_limit_stops_early_and_leaves_no_file(tmp_path: Path) -> None:
    stream = EndlessStream()

    with pytest.raises(UploadTooLarge) as caught:
        spool_upload(stream, tmp_path, max_bytes=10_000, chunk_size=1024)

    assert caught.value.limit == 10_000
    assert "9.8 KB" in str(caught.value)
    # 9 chunks fit, the 10th crosses the limit; nothing more is read
    assert stream.reads == 10_000 // 1024 + 1
    assert list(tmp_path.iterdir()) == []


def test_spool_upload_exactly_at_the_limit_is_accepted(tmp_path: Path) -> None:
    with spool_upload(io.BytesIO(b"z" * 4096), tmp_path, max_bytes=4096, chunk_size=1000) as upload:
        assert upload.size == 4096


def test_spool_upload_failing_midway_leaves_no_file(tmp_path: Path) -> None:
    stream = FailingStream(good_chunks=3, error=OSError(errno.ENOSPC, "No space left on device"))

    with pytest.raises(OSError) as caught:
        spool_upload(stream, tmp_path, max_bytes=1 << 30, chunk_size=512)

    assert caught.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []


def test_spooled_upload_context_discards_even_on_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        with spool_upload(io.BytesIO(b"abc"), tmp_path, max_bytes=10) as upload:
            assert upload.path.exists()
            raise RuntimeError("store unavailable")

    assert list(tmp_path.iterdir()) == []


# --- filesystem store specifics ----------------------------------------------


def test_blob_is_fanned_out_and_read_only(fs_store: FileSystemStore, make_file: MakeFile) -> None:
    src, sha = make_file(b"scan of the signed page")
    fs_store.put(src, sha)

    path = fs_store.local_path(sha)

    assert path == fs_store.root / sha[:2] / sha[2:4] / sha
    assert path.read_bytes() == b"scan of the signed page"
    assert path.stat().st_mode & 0o222 == 0


def test_spooled_upload_is_linked_into_place_not_copied(fs_store: FileSystemStore, tmp_path: Path) -> None:
    data = "Кафедранын отурумунун протоколу".encode() * 1000
    upload = spool_upload(io.BytesIO(data), tmp_path / "spool", max_bytes=len(data))

    assert fs_store.put_spooled(upload) is True

    path = fs_store.local_path(upload.sha256)
    assert path.stat().st_ino == upload.path.stat().st_ino  # the same file, synced and linked
    assert path.stat().st_mode & 0o222 == 0
    upload.discard()
    assert path.read_bytes() == data
    assert [p.name for p in all_files(fs_store.root)] == [upload.sha256]


def test_spooled_upload_is_copied_where_links_are_not_supported(
    fs_store: FileSystemStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    data = os.urandom(50_000)
    upload = spool_upload(io.BytesIO(data), tmp_path / "spool", max_bytes=len(data))
    monkeypatch.setattr(os, "link", no_links)

    assert fs_store.put_spooled(upload) is True

    monkeypatch.undo()
    path = fs_store.local_path(upload.sha256)
    assert path.stat().st_ino != upload.path.stat().st_ino
    upload.discard()
    assert path.read_bytes() == data
    assert [p.name for p in all_files(fs_store.root)] == [upload.sha256]


def test_spooled_upload_that_changed_size_is_refused_and_leaves_nothing(
    fs_store: FileSystemStore, tmp_path: Path
) -> None:
    upload = spool_upload(io.BytesIO(b"signed order"), tmp_path / "spool", max_bytes=100)
    with upload.path.open("ab") as handle:
        handle.write(b" and an addendum")

    with pytest.raises(BlobIntegrityError):
        fs_store.put_spooled(upload)

    assert all_files(fs_store.root) == []


def test_local_path_of_missing_blob_is_not_found(fs_store: FileSystemStore) -> None:
    with pytest.raises(BlobNotFound):
        fs_store.local_path("0" * 64)


def test_temp_files_are_ignored_by_listing_and_removed_by_cleanup(
    fs_store: FileSystemStore, make_file: MakeFile
) -> None:
    src, sha = make_file(b"kept")
    fs_store.put(src, sha)
    fan_dir = fs_store.root / sha[:2] / sha[2:4]
    stale = [fan_dir / ".tmp-crashed", fs_store.root / ".tmp-upload-crashed"]
    fresh = fan_dir / ".tmp-in-progress"
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).timestamp()
    for path in [*stale, fresh]:
        path.write_bytes(b"partial")
    for path in stale:
        os.utime(path, (two_days_ago, two_days_ago))
    # A stray file that merely looks like a blob in the wrong folder is not a blob either.
    (fan_dir / ("f" * 64)).write_bytes(b"misplaced")

    assert [info.sha256 for info in fs_store.iter_blobs()] == [sha]
    assert fs_store.cleanup_temp(timedelta(days=1)) == 2

    assert not any(path.exists() for path in stale)
    assert fresh.exists()
    assert read_all(fs_store, sha) == b"kept"


def test_concurrent_puts_of_one_blob_write_it_once(
    fs_store: FileSystemStore, make_file: MakeFile
) -> None:
    data = os.urandom(200_000)
    sources = [make_file(data) for _ in range(8)]
    sha = sources[0][1]
    results: list[bool] = []
    barrier = threading.Barrier(len(sources))

    def worker(src: Path) -> None:
        barrier.wait()
        results.append(fs_store.put(src, sha))

    threads = [threading.Thread(target=worker, args=(src,)) for src, _ in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False] * 7 + [True]
    assert read_all(fs_store, sha) == data
    assert [p.name for p in all_files(fs_store.root)] == [sha]


def test_free_bytes_reports_space_even_before_first_blob(fs_store: FileSystemStore) -> None:
    free = fs_store.free_bytes()

    assert free is not None and free > 0


# --- S3 store specifics ------------------------------------------------------


def test_s3_keys_follow_the_fan_out_layout_and_foreign_objects_are_skipped(
    s3_endpoint: str, make_file: MakeFile
) -> None:
    prefix = f"t-{uuid.uuid4().hex}"
    store = open_store(f"s3://{BUCKET}/{prefix}?endpoint_url={s3_endpoint}")
    src, sha = make_file(b"contract with the enterprise")
    store.put(src, sha)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION)
    client.put_object(Bucket=BUCKET, Key=f"{prefix}/README.txt", Body=b"not a blob")
    client.put_object(Bucket=BUCKET, Key=f"{prefix}/00/00/{'f' * 64}", Body=b"misplaced")

    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)["Contents"])

    assert f"{prefix}/{sha[:2]}/{sha[2:4]}/{sha}" in keys
    assert [info.sha256 for info in store.iter_blobs()] == [sha]
    assert store.local_path(sha) is None


def test_s3_service_errors_surface_as_storage_errors(s3_endpoint: str, make_file: MakeFile) -> None:
    store = open_store(f"s3://no-such-bucket-{uuid.uuid4().hex[:8]}/p?endpoint_url={s3_endpoint}")
    src, sha = make_file(b"nowhere to go")

    with pytest.raises(StorageError) as caught:
        store.put(src, sha)
    assert caught.value.__cause__ is not None
    with pytest.raises(StorageError):
        list(store.iter_blobs())


# --- configuration and ids ---------------------------------------------------


def test_open_store_reads_file_urls(tmp_path: Path) -> None:
    store = open_store((tmp_path / "дүкөн blobs").as_uri())

    assert isinstance(store, FileSystemStore)
    assert store.root == tmp_path / "дүкөн blobs"
    assert open_store(store.url).root == store.root  # type: ignore[attr-defined]


def test_open_store_reads_s3_urls() -> None:
    store = open_store("s3://records/sandyk/blobs?endpoint_url=http://127.0.0.1:9000&region=us-east-1")

    assert isinstance(store, S3Store)
    assert (store.bucket, store.prefix) == ("records", "sandyk/blobs")
    assert (store.endpoint_url, store.region) == ("http://127.0.0.1:9000", "us-east-1")
    assert isinstance(open_store("s3://records"), S3Store)


@pytest.mark.parametrize(
    "url",
    [
        "file://relative/path",
        "file:relative",
        "/plain/path",
        "ftp://host/blobs",
        "s3:///no-bucket",
        "s3://bucket/p?endpont_url=http://x",
        "s3://bucket/p?region=a&region=b",
    ],
)
def test_open_store_refuses_urls_it_does_not_understand(url: str) -> None:
    with pytest.raises(ValueError):
        open_store(url)


@given(st.text())
def test_only_64_lowercase_hex_digits_are_blob_ids(value: str) -> None:
    assume(re.fullmatch(r"[0-9a-f]{64}", value, flags=re.ASCII) is None)
    with pytest.raises(InvalidBlobId):
        validate_sha256(value)


@given(st.binary())
def test_every_sha256_digest_is_a_blob_id(data: bytes) -> None:
    digest = hashlib.sha256(data).hexdigest()
    assert validate_sha256(digest) == digest


@pytest.mark.parametrize(
    ("n_bytes", "shown"),
    [(0, "0 B"), (1536, "1.5 KB"), (25 * 2**20, "25 MB"), (2**30, "1 GB"), (100 * 2**20 - 1, "100 MB")],
)
def test_size_limits_are_shown_in_readable_units(n_bytes: int, shown: str) -> None:
    assert format_size(n_bytes) == shown
