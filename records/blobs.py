"""Access to the configured blob store, one per app."""
from __future__ import annotations

from flask import Flask, current_app

from storage import BlobStore, open_store


def get_store(app: Flask | None = None) -> BlobStore:
    app = app or current_app._get_current_object()
    store = app.extensions.get("sandyk.blobs")
    if store is None:
        store = open_store(app.config["BLOB_STORE_URL"])
        app.extensions["sandyk.blobs"] = store
    return store
