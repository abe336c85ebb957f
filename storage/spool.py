"""Receiving an upload onto local disk before it becomes a blob.

The upload is copied chunk by chunk into a temporary file and hashed on the
way, so a file of any size costs one chunk of memory, its SHA-256 is known
before anything is stored, and an oversized or broken upload leaves no trace.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from storage.base import CHUNK_SIZE
from storage.errors import UploadTooLarge

__all__ = ["TEMP_PREFIX", "SpooledUpload", "spool_upload"]

# Shared with FileSystemStore so a spool directory inside the store root is
# skipped by iter_blobs and swept by cleanup_temp after a crash.
TEMP_PREFIX = ".tmp-"


@dataclass(frozen=True, slots=True)
class SpooledUpload:
    """An upload saved to a temporary file; discard it once it has been stored."""

    path: Path
    sha256: str
    size: int

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> SpooledUpload:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.discard()


def spool_upload(
    stream: BinaryIO, tmp_dir: Path, max_bytes: int, chunk_size: int = CHUNK_SIZE
) -> SpooledUpload:
    """Copy ``stream`` into a new temporary file in ``tmp_dir``, hashing it.

    Raises UploadTooLarge as soon as more than ``max_bytes`` have arrived.  On
    that or any other error (a client that disconnects, a full disk) the
    partial file is removed and the error propagates.
    """
    if max_bytes < 0 or chunk_size <= 0:
        raise ValueError("max_bytes must be >= 0 and chunk_size > 0")
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX + "upload-", dir=tmp_dir)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = hashlib.sha256()
            size = 0
            while chunk := stream.read(chunk_size):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLarge(max_bytes)
                out.write(chunk)
                digest.update(chunk)
    except BaseException:
        # BaseException too: an interrupted worker must not leave a partial upload behind
        path.unlink(missing_ok=True)
        raise
    return SpooledUpload(path=path, sha256=digest.hexdigest(), size=size)
