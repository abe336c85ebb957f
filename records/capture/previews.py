"""Page pictures of stored files: PDF pages (PDFium) and images (Pillow) rendered to PNG on the server.

A picture runs nothing, so every PDF gets the same preview, active content or not, in every browser.
Rendering happens in a child process (``records.capture.render_page``) under a memory limit and a timeout, one
page at a time, never larger than ``MAX_PIXELS`` and never past page ``MAX_PAGES``. Pictures are cached
by blob hash under ``<DATA_DIR>/previews`` and the cache is kept under ``PREVIEW_CACHE_MB`` by removing
the least recently used pictures; the pictures of destroyed bytes are removed with them (``forget``).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from records.blobs import get_store
from records.models import DocumentFile

ROOT = Path(__file__).resolve().parents[2]
RENDERED_KINDS = frozenset({"pdf", "jpeg", "png", "tiff"})
# Width in pixels of each size; only these are rendered, so the cache holds at most three per page.
SIZES = {"thumb": 240, "page": 1200, "large": 2000}
MAX_PAGES = 500
MAX_PIXELS = 8_000_000
TIMEOUT_SECONDS = 20
MEMORY_BYTES = 1536 * 2**20
PARALLEL = 2


def can_render(version: DocumentFile | None) -> bool:
    return version is not None and version.kind in RENDERED_KINDS


def with_pictures(session: Session, document_ids: list[int]) -> set[int]:
    """Which of these documents have a current version that renders as a picture (for thumbnails)."""
    if not document_ids:
        return set()
    latest: dict[int, str] = {}
    rows = session.execute(select(DocumentFile.document_id, DocumentFile.kind)
                           .where(DocumentFile.document_id.in_(document_ids)).order_by(DocumentFile.version))
    for document_id, kind in rows:
        latest[document_id] = kind
    return {document_id for document_id, kind in latest.items() if kind in RENDERED_KINDS}


def cache_root(app: Flask) -> Path:
    return Path(app.config["DATA_DIR"]) / "previews"


def _folder(app: Flask, sha256: str) -> Path:
    return cache_root(app) / sha256[:2] / sha256


def _slots(app: Flask) -> threading.BoundedSemaphore:
    # A list of twenty thumbnails must not start twenty renderers on a two-core server.
    return app.extensions.setdefault("sandyk_preview_slots", threading.BoundedSemaphore(PARALLEL))


def _read_info(folder: Path) -> dict[str, int | bool] | None:
    try:
        return json.loads((folder / "info.json").read_text())
    except (OSError, ValueError):
        return None


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


class _Source:
    """A local path to the stored bytes: the blob store's own file, or a temporary copy of it."""

    def __init__(self, app: Flask, sha256: str) -> None:
        self.store = get_store(app)
        self.sha256 = sha256
        self.tmp: Path | None = None
        self.tmp_dir = Path(app.config["DATA_DIR"]) / "tmp"

    def __enter__(self) -> Path:
        local = self.store.local_path(self.sha256)
        if local is not None:
            return local
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.tmp_dir, prefix="preview-")
        self.tmp = Path(name)
        with os.fdopen(fd, "wb") as dst, self.store.open(self.sha256) as src:
            shutil.copyfileobj(src, dst, 256 * 1024)
        return self.tmp

    def __exit__(self, *exc: object) -> None:
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)


def _render(app: Flask, version: DocumentFile, page: int, size: str, out: Path) -> int | None:
    """Render into ``out``; the document's page count, 0 for a missing page, None if unreadable."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_name(f".tmp-{os.getpid()}-{threading.get_ident()}-{out.name}")
    kind = "pdf" if version.kind == "pdf" else "image"
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "SANDYK_RENDER_MEMORY": str(MEMORY_BYTES)}
    with _slots(app), _Source(app, version.sha256) as src:
        cmd = [sys.executable, "-m", "records.capture.render_page", str(src), kind, str(page), str(SIZES[size]),
               str(MAX_PIXELS), str(tmp_out)]
        try:
            done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            app.logger.warning("preview of %s page %s took longer than %ss", version.sha256, page, TIMEOUT_SECONDS)
            tmp_out.unlink(missing_ok=True)
            return None
    if done.returncode == 2:
        return 0
    if done.returncode != 0:
        app.logger.warning("preview of %s page %s failed: %s", version.sha256, page,
                           done.stderr.decode(errors="replace").strip()[-200:])
        tmp_out.unlink(missing_ok=True)
        return None
    os.replace(tmp_out, out)
    return int(json.loads(done.stdout)["pages"])


def page_count(app: Flask, version: DocumentFile) -> int | None:
    """How many pages the file has (rendering its first thumbnail to find out); None if unreadable."""
    if not can_render(version):
        return None
    folder = _folder(app, version.sha256)
    info = _read_info(folder)
    if info is None:
        page_png(app, version, 1, "thumb")
        info = _read_info(folder)
    if not info or info.get("failed"):
        return None
    return int(info["pages"])


def page_png(app: Flask, version: DocumentFile, page: int, size: str) -> Path | None:
    """The cached picture of one page, rendered first if needed; None when there is no such picture."""
    if not can_render(version) or size not in SIZES or not 1 <= page <= MAX_PAGES:
        return None
    folder = _folder(app, version.sha256)
    info = _read_info(folder)
    if info is not None and (info.get("failed") or page > int(info.get("pages", 0))):
        return None
    out = folder / f"{size}-{page}.png"
    if out.exists():
        os.utime(out)  # recently used: kept longest when the cache is trimmed
        return out
    pages = _render(app, version, page, size, out)
    if info is None:
        _write_atomic(folder / "info.json", json.dumps({"failed": True} if pages is None else {"pages": pages}).encode())
    if not pages:
        return None
    trim(app)
    return out


def forget(app: Flask, sha256: str) -> None:
    """Remove the pictures of bytes that were destroyed."""
    shutil.rmtree(_folder(app, sha256), ignore_errors=True)


def trim(app: Flask) -> int:
    """Remove the least recently used pictures until the cache fits ``PREVIEW_CACHE_MB``; how many went."""
    limit = float(app.config.get("PREVIEW_CACHE_MB", 512)) * 2**20
    files: list[tuple[float, int, Path]] = []
    total = 0
    root = cache_root(app)
    for path in root.glob("*/*/*.png"):
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        files.append((st.st_mtime, st.st_size, path))
        total += st.st_size
    removed = 0
    for _mtime, size, path in sorted(files):
        if total <= limit:
            break
        path.unlink(missing_ok=True)
        total -= size
        removed += 1
    return removed
