"""Access to the configured blob store, one per app, and its errors in people's words."""
from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from records.i18n import _l
from storage import BlobStore, StorageError, UploadTooLarge, open_store
from storage.errors import format_size

# What each storage error code means to the person who asked (the store's own messages are for logs).
STORAGE_MESSAGES: dict[str, Any] = {
    StorageError.code: _l("The file storage is not available right now. Please try again later."),
    "invalid_id": _l("This file reference is not valid."),
    "not_found": _l("The requested file was not found in storage."),
    "integrity": _l("The file was not saved because it changed on the way. Please upload it again."),
}


def storage_message(exc: StorageError) -> str:
    """The storage error ``exc`` said in the reader's language."""
    if isinstance(exc, UploadTooLarge):
        return str(_l("The file is too large. Files up to %(size)s are accepted.", size=format_size(exc.limit)))
    return str(STORAGE_MESSAGES.get(exc.code, STORAGE_MESSAGES[StorageError.code]))


def get_store(app: Flask | None = None) -> BlobStore:
    app = app or current_app._get_current_object()
    store = app.extensions.get("sandyk.blobs")
    if store is None:
        store = open_store(app.config["BLOB_STORE_URL"])
        app.extensions["sandyk.blobs"] = store
    return store
