"""Blob store in an S3-compatible object store (AWS S3, MinIO, Ceph RGW...).

For installations with several application servers or off-site storage.
Key layout: ``<prefix>/ab/cd/abcd...``, mirroring the filesystem store.
Credentials come from the usual AWS sources (environment, shared config,
instance role); nothing secret goes into the store URL.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import quote, urlencode

from boto3.exceptions import Boto3Error
from botocore.exceptions import BotoCoreError, ClientError

from storage.base import BlobInfo, fan_out, validate_sha256
from storage.errors import BlobIntegrityError, BlobNotFound, StorageError
from storage.spool import SpooledUpload

# boto3 clients are built at run time; typed stubs are an optional extra
S3Client = Any

__all__ = ["S3Store"]

_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


def _is_missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in _MISSING_CODES


@contextmanager
def _storage_errors() -> Iterator[None]:
    """Present transport and service failures as StorageError, keeping the cause for logs."""
    try:
        yield
    except ClientError as exc:
        raise StorageError() from exc
    except (BotoCoreError, Boto3Error) as exc:
        raise StorageError() from exc


def _file_identity(fileobj: BinaryIO) -> tuple[int, int, int, int]:
    """Which file an open handle reads, and whether its contents may have changed."""
    st = os.fstat(fileobj.fileno())
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


class S3Store:
    """Blobs as objects in one bucket, under an optional key prefix."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        addressing_style: str | None = None,
        client: S3Client | None = None,
    ) -> None:
        if not bucket:
            raise ValueError("S3 blob store needs a bucket name")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        self.region = region
        self.addressing_style = addressing_style
        if client is not None:
            self.client = client
        self.url = self._build_url()

    def __repr__(self) -> str:
        return f"S3Store({self.url!r})"

    def _build_url(self) -> str:
        options = {
            "endpoint_url": self.endpoint_url,
            "region": self.region,
            "addressing_style": self.addressing_style,
        }
        query = urlencode({k: v for k, v in options.items() if v})
        path = "/" + quote(self.prefix) if self.prefix else ""
        return f"s3://{self.bucket}{path}" + (f"?{query}" if query else "")

    @cached_property
    def client(self) -> S3Client:
        # Built on first use so that configuring a store never touches the network.
        import boto3
        from botocore.config import Config

        # Self-hosted S3 servers rarely have wildcard DNS for bucket subdomains.
        style = self.addressing_style or ("path" if self.endpoint_url else "auto")
        config = Config(s3={"addressing_style": style})
        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint_url, region_name=self.region, config=config
        )

    def _key(self, sha256: str) -> str:
        ab, cd, name = fan_out(sha256)
        return "/".join(p for p in (self.prefix, ab, cd, name) if p)

    def _head(self, key: str) -> dict[str, Any] | None:
        with _storage_errors():
            try:
                return cast(dict[str, Any], self.client.head_object(Bucket=self.bucket, Key=key))
            except ClientError as exc:
                if _is_missing(exc):
                    return None
                raise

    def put(self, src: Path, sha256: str) -> bool:
        key = self._key(sha256)
        # Two handles opened together: one to hash, one for the upload (which
        # closes its file), so the hashed file can be re-checked afterwards.
        with src.open("rb") as hashed, src.open("rb") as uploaded:
            before = _file_identity(hashed)
            if _file_identity(uploaded) != before:
                raise BlobIntegrityError(sha256)  # src was replaced between the two opens
            actual = hashlib.file_digest(hashed, "sha256").hexdigest()
            if actual != sha256:
                raise BlobIntegrityError(sha256, actual)
            size = before[1]
            # Checked first because S3 overwrites silently; a racing writer can
            # only store the same bytes, since both hashed them.
            head = self._head(key)
            if head is not None:
                if int(head["ContentLength"]) != size:
                    raise BlobIntegrityError(sha256)
                return False
            with _storage_errors():
                self.client.upload_fileobj(
                    uploaded,
                    self.bucket,
                    key,
                    ExtraArgs={"ContentType": "application/octet-stream", "Metadata": {"sha256": sha256}},
                )
            # The upload read the file a second time; if it changed meanwhile,
            # the stored bytes are not the hashed ones.
            changed = _file_identity(hashed) != before
        head = self._head(key)
        if changed or head is None or int(head["ContentLength"]) != size:
            self._delete_key(key)
            raise BlobIntegrityError(sha256)
        return True

    def put_spooled(self, upload: SpooledUpload) -> bool:
        # Uploaded from the spool file, which put hashes once more as it guards against a change mid-upload.
        return self.put(upload.path, upload.sha256)

    def open(self, sha256: str) -> BinaryIO:
        key = self._key(sha256)
        with _storage_errors():
            try:
                response = self.client.get_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if _is_missing(exc):
                    raise BlobNotFound(sha256) from None
                raise
        return cast(BinaryIO, response["Body"])

    def exists(self, sha256: str) -> bool:
        return self._head(self._key(sha256)) is not None

    def size(self, sha256: str) -> int:
        head = self._head(self._key(sha256))
        if head is None:
            raise BlobNotFound(sha256)
        return int(head["ContentLength"])

    def delete(self, sha256: str) -> bool:
        key = self._key(sha256)
        # S3's DeleteObject succeeds whether or not the key exists, so ask first.
        if self._head(key) is None:
            return False
        self._delete_key(key)
        return True

    def _delete_key(self, key: str) -> None:
        with _storage_errors():
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def local_path(self, sha256: str) -> Path | None:
        validate_sha256(sha256)
        return None

    def iter_blobs(self) -> Iterator[BlobInfo]:
        """Every stored blob, in key order; objects that are not blobs are skipped."""
        list_prefix = f"{self.prefix}/" if self.prefix else ""
        paginator = self.client.get_paginator("list_objects_v2")
        with _storage_errors():
            for page in paginator.paginate(Bucket=self.bucket, Prefix=list_prefix):
                for obj in page.get("Contents", []):
                    parts = obj["Key"][len(list_prefix) :].split("/")
                    if len(parts) != 3 or tuple(parts) != _blob_parts(parts[-1]):
                        continue
                    yield BlobInfo(
                        sha256=parts[2],
                        size=int(obj["Size"]),
                        modified=obj["LastModified"].astimezone(UTC),
                    )


def _blob_parts(name: str) -> tuple[str, ...]:
    """The fan-out parts for ``name`` if it is a valid blob id, else an empty tuple."""
    try:
        return fan_out(name)
    except ValueError:
        return ()
