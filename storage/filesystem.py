"""Blob store on a local (or mounted) filesystem: the default backend.

Layout: ``<root>/ab/cd/abcd...`` for a blob whose SHA-256 starts with
``abcd``.  A blob is written to a temporary file beside its final place,
synced, then hard-linked into place, so readers never see a partial blob and
an existing blob is never overwritten, even by a concurrent writer.
Temporary files start with ``.tmp-``; a crash can leave them behind, and
``cleanup_temp`` removes them.  A spooled upload on the same filesystem is
not copied: its file, already hashed while it was written, is synced and
hard-linked into place the same way.
"""
from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from storage.base import CHUNK_SIZE, BlobInfo, copy_hashing, fan_out, validate_sha256
from storage.errors import BlobIntegrityError, BlobNotFound
from storage.spool import TEMP_PREFIX, SpooledUpload

__all__ = ["FileSystemStore"]

# Owner and group may read; nobody writes, so a stored blob is not modified by accident.
_BLOB_MODE = 0o440

# Filesystems without hard links (some network and FUSE mounts) answer with one of these.
_NO_LINK_ERRNOS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.ENOSYS})


def _fsync_dir(path: Path) -> None:
    """Make a directory entry change (new file, rename, unlink) durable."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_dirs(path: Path) -> list[Path]:
    """Create ``path`` and missing parents; return the parents that gained an entry, for the caller to
    sync once the blob's bytes are synced (on journalling filesystems one commit then carries both)."""
    if path.is_dir():
        return []
    gained = _make_dirs(path.parent)
    try:
        path.mkdir()
    except FileExistsError:
        return gained  # a concurrent writer made it
    return [*gained, path.parent]


def _fsync_dirs(paths: list[Path]) -> None:
    for path in paths:
        _fsync_dir(path)


def _is_hex2(name: str) -> bool:
    return len(name) == 2 and all(c in "0123456789abcdef" for c in name)


class FileSystemStore:
    """Blobs as read-only files under ``root``, fanned out by hash prefix."""

    def __init__(self, root: Path, chunk_size: int = CHUNK_SIZE) -> None:
        if not root.is_absolute():
            raise ValueError(f"blob store root must be an absolute path, got {str(root)!r}")
        self.root = root
        self.url = root.as_uri()
        self._chunk_size = chunk_size

    def __repr__(self) -> str:
        return f"FileSystemStore({str(self.root)!r})"

    def _path(self, sha256: str) -> Path:
        ab, cd, name = fan_out(sha256)
        return self.root / ab / cd / name

    def put(self, src: Path, sha256: str) -> bool:
        final = self._path(sha256)
        if final.exists():
            return self._already_stored(src, final, sha256)
        new_dirs = _make_dirs(final.parent)
        fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=final.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, src.open("rb") as source:
                actual, _size = copy_hashing(source, out, self._chunk_size)
                if actual != sha256:
                    raise BlobIntegrityError(sha256, actual)
                out.flush()
                os.fsync(out.fileno())
            _fsync_dirs(new_dirs)
            os.chmod(tmp, _BLOB_MODE)
            created = self._link_into_place(tmp, final)
            if created:
                _fsync_dir(final.parent)
            return created
        finally:
            tmp.unlink(missing_ok=True)

    def put_spooled(self, upload: SpooledUpload) -> bool:
        final = self._path(upload.sha256)
        if final.exists():
            return self._already_stored(upload.path, final, upload.sha256)
        new_dirs = _make_dirs(final.parent)
        fd = os.open(upload.path, os.O_RDONLY)
        try:
            if os.fstat(fd).st_size != upload.size:
                raise BlobIntegrityError(upload.sha256)  # not the file that was spooled and hashed
            os.fchmod(fd, _BLOB_MODE)
            os.fsync(fd)
        finally:
            os.close(fd)
        _fsync_dirs(new_dirs)
        try:
            os.link(upload.path, final)
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in _NO_LINK_ERRNOS:
                raise
            return self.put(upload.path, upload.sha256)  # another filesystem, or no hard links: copy
        _fsync_dir(final.parent)
        return True

    @staticmethod
    def _already_stored(src: Path, final: Path, sha256: str) -> bool:
        # Re-hashing src would double the cost of every duplicate upload; a size
        # check is free and catches a caller passing the wrong id for a file.
        src_size = src.stat().st_size
        if src_size != final.stat().st_size:
            raise BlobIntegrityError(sha256)
        return False

    @staticmethod
    def _link_into_place(tmp: Path, final: Path) -> bool:
        """Publish ``tmp`` as ``final``; False if ``final`` already exists."""
        try:
            os.link(tmp, final)
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in _NO_LINK_ERRNOS:
                raise
            # No hard links here: os.replace is still atomic; at worst it swaps
            # in identical bytes if another writer won the race since the check.
            if final.exists():
                return False
            os.replace(tmp, final)
        return True

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self._path(sha256).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self._path(sha256).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    def delete(self, sha256: str) -> bool:
        path = self._path(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        _fsync_dir(path.parent)
        return True

    def local_path(self, sha256: str) -> Path | None:
        path = self._path(sha256)
        if not path.is_file():
            raise BlobNotFound(sha256)
        return path

    def iter_blobs(self) -> Iterator[BlobInfo]:
        """Every stored blob, in hash order; temporary and foreign files are skipped."""
        for ab in self._subdirs(self.root):
            for cd in self._subdirs(ab):
                prefix = ab.name + cd.name
                with os.scandir(cd) as entries:
                    found = sorted(entries, key=lambda e: e.name)
                for entry in found:
                    if not (entry.name.startswith(prefix) and entry.is_file(follow_symlinks=False)):
                        continue
                    try:
                        validate_sha256(entry.name)
                        st = entry.stat(follow_symlinks=False)
                    except (ValueError, FileNotFoundError):
                        continue  # not a blob, or deleted while listing
                    yield BlobInfo(
                        sha256=entry.name,
                        size=st.st_size,
                        modified=datetime.fromtimestamp(st.st_mtime, UTC),
                    )

    @staticmethod
    def _subdirs(path: Path) -> list[Path]:
        try:
            with os.scandir(path) as entries:
                names = sorted(
                    e.name for e in entries if _is_hex2(e.name) and e.is_dir(follow_symlinks=False)
                )
        except FileNotFoundError:
            return []
        return [path / name for name in names]

    def cleanup_temp(self, older_than: timedelta) -> int:
        """Remove temporary files older than ``older_than``; return how many were removed.

        Younger ones may belong to a write in progress and are left alone.
        """
        cutoff = datetime.now(UTC).timestamp() - older_than.total_seconds()
        removed = 0
        for dirpath, _dirnames, filenames in os.walk(self.root):
            for name in filenames:
                if not name.startswith(TEMP_PREFIX):
                    continue
                path = Path(dirpath, name)
                try:
                    if path.lstat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
                except FileNotFoundError:
                    continue  # finished or removed by its writer meanwhile
        return removed

    def free_bytes(self) -> int | None:
        """Free space on the filesystem holding the store, or None if it cannot be told."""
        probe = self.root
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        try:
            return shutil.disk_usage(probe).free
        except OSError:
            return None
