"""Blob stores: where the bytes of filed documents live.

One small interface (``BlobStore``), content addressed by SHA-256, with a
filesystem backend (the default) and an S3-compatible one.  ``open_store``
picks the backend from a URL-like setting::

    file:///var/lib/sandyk/blobs
    s3://bucket/prefix?endpoint_url=http://127.0.0.1:9000&region=us-east-1
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from storage.base import BlobInfo, BlobStore, validate_sha256
from storage.errors import (
    BlobIntegrityError,
    BlobNotFound,
    InvalidBlobId,
    StorageError,
    UploadTooLarge,
)
from storage.filesystem import FileSystemStore
from storage.s3 import S3Store
from storage.spool import SpooledUpload, spool_upload

__all__ = [
    "BlobInfo",
    "BlobIntegrityError",
    "BlobNotFound",
    "BlobStore",
    "FileSystemStore",
    "InvalidBlobId",
    "S3Store",
    "SpooledUpload",
    "StorageError",
    "UploadTooLarge",
    "open_store",
    "spool_upload",
    "validate_sha256",
]

_S3_OPTIONS = frozenset({"endpoint_url", "region", "addressing_style"})


def open_store(url: str) -> BlobStore:
    """The blob store a configuration URL names; ValueError if the URL is not understood."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
            raise ValueError(f"expected file:///absolute/path, got {url!r}")
        root = Path(unquote(parts.path))
        if not root.is_absolute():
            raise ValueError(f"expected file:///absolute/path, got {url!r}")
        return FileSystemStore(root)
    if parts.scheme == "s3":
        if not parts.netloc or parts.fragment:
            raise ValueError(f"expected s3://bucket/prefix, got {url!r}")
        options = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
        unknown = set(options) - _S3_OPTIONS
        if unknown:
            raise ValueError(f"unknown s3 store option(s) {sorted(unknown)}; known: {sorted(_S3_OPTIONS)}")
        if any(len(values) != 1 for values in options.values()):
            raise ValueError(f"each s3 store option may be given once, got {url!r}")
        single = {name: values[0] or None for name, values in options.items()}
        return S3Store(
            parts.netloc,
            unquote(parts.path),
            endpoint_url=single.get("endpoint_url"),
            region=single.get("region"),
            addressing_style=single.get("addressing_style"),
        )
    raise ValueError(f"unsupported blob store URL {url!r}; use file:///... or s3://bucket/prefix")
