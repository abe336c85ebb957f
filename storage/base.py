"""The blob-store interface shared by every backend.

Blobs are immutable and addressed by the SHA-256 of their bytes, so writing
the same file twice is harmless and a stored blob never changes.  Backends
differ only in where the bytes live.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol, runtime_checkable

from storage.errors import InvalidBlobId

if TYPE_CHECKING:
    from storage.spool import SpooledUpload

__all__ = ["CHUNK_SIZE", "BlobInfo", "BlobStore", "copy_hashing", "fan_out", "validate_sha256"]

CHUNK_SIZE = 1 << 20

# fullmatch over an explicit ASCII class: no "\d" (it matches other scripts' digits)
_SHA256_RE = re.compile(r"[0-9a-f]{64}")


def validate_sha256(value: object) -> str:
    """Return ``value`` if it is 64 lowercase hex digits, else raise InvalidBlobId."""
    if isinstance(value, str) and _SHA256_RE.fullmatch(value):
        return value
    raise InvalidBlobId(value)


def fan_out(sha256: str) -> tuple[str, str, str]:
    """The ``ab``, ``cd`` and full-name parts under which a blob is kept.

    Two levels of 256 folders keep any single directory small even with
    millions of blobs.
    """
    sha256 = validate_sha256(sha256)
    return sha256[:2], sha256[2:4], sha256


def copy_hashing(src: BinaryIO, dst: BinaryIO, chunk_size: int = CHUNK_SIZE) -> tuple[str, int]:
    """Copy ``src`` to ``dst`` in chunks; return the SHA-256 hex digest and size of what was copied."""
    digest = hashlib.sha256()
    size = 0
    while chunk := src.read(chunk_size):
        dst.write(chunk)
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """One stored blob as listed by ``iter_blobs``; ``modified`` is timezone-aware UTC."""

    sha256: str
    size: int
    modified: datetime


@runtime_checkable
class BlobStore(Protocol):
    """Where the bytes of documents live, addressed by their SHA-256."""

    url: str

    def put(self, src: Path, sha256: str) -> bool:
        """Store the file at ``src`` under ``sha256``.

        Returns True if newly written, False if the blob was already there (it
        is never overwritten).  Raises BlobIntegrityError, leaving nothing
        behind, if the bytes do not hash to ``sha256``.
        """
        ...

    def put_spooled(self, upload: SpooledUpload) -> bool:
        """Store a spooled upload (see ``spool_upload``) under its SHA-256, as ``put`` does.

        Its digest was taken as its bytes were written, so a store may keep that very file (a hard
        link to it) instead of copying and hashing it again: it must not be written to afterwards.
        Discarding the upload's own name stays the caller's job either way.
        """
        ...

    def open(self, sha256: str) -> BinaryIO:
        """A readable binary stream of the blob; raises BlobNotFound."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def size(self, sha256: str) -> int:
        """Size in bytes; raises BlobNotFound."""
        ...

    def delete(self, sha256: str) -> bool:
        """Remove the blob; True if it existed.  Deleting a missing blob is not an error."""
        ...

    def iter_blobs(self) -> Iterator[BlobInfo]: ...

    def local_path(self, sha256: str) -> Path | None:
        """The blob's path on the local filesystem, or None if the store keeps no local files."""
        ...
