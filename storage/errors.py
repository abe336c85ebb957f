"""Errors raised by the blob stores.

Every error carries a ``code`` saying what went wrong, for the application to
put into its users' words (``records.blobs.storage_message``), and a plain
English message for logs; the technical detail (which blob, what limit, the
underlying exception) stays in attributes and in the exception chain. The
stores know nothing of the application that uses them.
"""
from __future__ import annotations

__all__ = [
    "BlobIntegrityError",
    "BlobNotFound",
    "InvalidBlobId",
    "StorageError",
    "UploadTooLarge",
    "format_size",
]


def format_size(n_bytes: int) -> str:
    """Render a byte count the way people write file-size limits ("25 MB", "1.5 GB")."""
    units = ("B", "KB", "MB", "GB", "TB")
    size = float(n_bytes)
    i = 0
    while size >= 1024 and i < len(units) - 1:
        size /= 1024
        i += 1
    if i == 0 or size >= 10 or size.is_integer():
        return f"{size:.0f} {units[i]}"
    return f"{size:.1f} {units[i]}"


class StorageError(Exception):
    """The blob store could not do what was asked."""

    code = "unavailable"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message if message is not None else "The file storage is not available right now.")


class InvalidBlobId(StorageError, ValueError):
    """A blob id is not 64 lowercase hex digits; refused before any path or key is built."""

    code = "invalid_id"

    def __init__(self, value: object) -> None:
        super().__init__("This file reference is not valid.")
        # repr() so control characters in hostile input cannot forge log lines
        self.value = repr(value)[:100]


class BlobNotFound(StorageError):
    """No blob is stored under this id."""

    code = "not_found"

    def __init__(self, sha256: str) -> None:
        super().__init__("The requested file was not found in storage.")
        self.sha256 = sha256


class BlobIntegrityError(StorageError):
    """The bytes do not hash to the id they were offered under."""

    code = "integrity"

    def __init__(self, expected: str, actual: str | None = None) -> None:
        super().__init__("The file was not saved because it changed on the way.")
        self.expected = expected
        self.actual = actual  # None when the mismatch was found without hashing (by size)


class UploadTooLarge(StorageError):
    """More than the allowed number of bytes arrived."""

    code = "too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The file is too large. Files up to {format_size(limit)} are accepted.")
        self.limit = limit
