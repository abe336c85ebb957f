"""Configuration: embedded defaults under one data folder, overridden by SANDYK_* environment variables.

Backends are chosen by URL-like strings (``sqlite:///...``, ``postgresql://...``, ``file:///...``,
``s3://bucket/prefix``, ``whoosh:///...``, ``postgres-fts:``) so another database, blob store or index
plugs in without code changes elsewhere.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ENV_PREFIX = "SANDYK_"

DEFAULTS: dict[str, Any] = {
    "DATA_DIR": "./data",
    "DATABASE_URL": "",  # empty: sqlite:///<DATA_DIR>/sandyk.db
    "BLOB_STORE_URL": "",  # empty: file://<DATA_DIR>/blobs
    "INDEX_URL": "",  # empty: whoosh://<DATA_DIR>/index
    "SECRET_KEY": "",  # empty: generated once into <DATA_DIR>/secret_key
    "AUDIT_KEY": "",  # empty: generated once into <DATA_DIR>/audit_key (keys the audit chain)
    "ADMIN_PASSWORD": "",
    "MAX_UPLOAD_BYTES": 100 * 1024 * 1024,
    "ALLOWED_TYPES": ["pdf", "docx", "doc", "odt", "rtf", "txt", "xlsx", "xls", "ods", "jpeg", "png", "tiff"],
    # Languages tesseract reads scans with; "auto" chooses them page by page (see records/capture/intake/ocr.py).
    "OCR_LANGS": "kir",
    "OCR_TIMEOUT": 120,  # seconds per page
    "OCR_WORKERS": 0,  # tesseract processes reading pages at once; 0: one per core
    "INDEX_PROCESSES": 0,  # processes a rebuild writes the search index with; 0: one per core
    "PREVIEW_CACHE_MB": 512,  # page pictures under <DATA_DIR>/previews
    # "thread": the web process extracts text and updates the index itself; "inline": the same work runs
    # synchronously after each commit (tests, scripts); "off": an external worker does (`flask worker run`).
    "WORKER": "thread",
    "LANGUAGES": ["ky", "ru", "en"],
    "DEFAULT_LANGUAGE": "ky",
    "CLI_LANGUAGE": "en",
    "UNIVERSITY_NAME": "",
    "DEPARTMENT_NAME": "",
    # Sign-in throttling: failures from one address (and on one name) that are free, then a delay that
    # starts at LOGIN_DELAY_SECONDS and doubles with every further failure, up to the maximum.
    "LOGIN_FREE_FAILURES": 5,
    "LOGIN_NAME_FREE_FAILURES": 20,
    "LOGIN_DELAY_SECONDS": 2,
    "LOGIN_MAX_DELAY_SECONDS": 900,
    "TOKEN_DAYS": 365,
    "PASSWORD_MIN_LENGTH": 10,
    # A very small office may let one person hold roles that draft and approve the same paper; every such
    # approval is then flagged in its audit event and in the inspection report.
    "ALLOW_COMBINED_ROLES": False,
    "SESSION_HOURS": 12,
    "HOST": "127.0.0.1",
    "PORT": 8080,
    "THREADS": 8,
    # Serving processes of `serve` (each with THREADS threads, all on the one port); 0: one per core.
    # With more than one, the background worker runs in a process of its own.
    "SERVE_PROCESSES": 0,
    # Database connections each process keeps open (PostgreSQL); 0: two per thread and two more.
    "DB_POOL_SIZE": 0,
    # Open connections the server keeps (each slow or idle client holds one; they cost a socket, not a
    # thread), and how long one may send nothing before it is closed.
    "CONNECTION_LIMIT": 2000,
    "CHANNEL_TIMEOUT": 20,
    # Sign-ins checked at once (each password check is a fraction of a second of CPU); more get 429 at
    # once instead of taking every thread from the other requests.
    "LOGINS_AT_ONCE": 4,
    "HTTPS": False,
}


def _coerce(raw: str, default: Any) -> Any:
    """Turn an environment string into the type of the default it overrides."""
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, list):
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def load(test_config: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Return the effective settings: defaults < environment < test_config, with derived paths filled in."""
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        raw = environ.get(ENV_PREFIX + key)
        if raw is not None and raw != "":
            settings[key] = _coerce(raw, default)
    settings.update(test_config or {})

    data_dir = Path(settings["DATA_DIR"]).expanduser().resolve()
    settings["DATA_DIR"] = str(data_dir)
    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = f"sqlite:///{data_dir / 'sandyk.db'}"
    if not settings["BLOB_STORE_URL"]:
        settings["BLOB_STORE_URL"] = f"file://{data_dir / 'blobs'}"
    if not settings["INDEX_URL"]:
        settings["INDEX_URL"] = f"whoosh://{data_dir / 'index'}"
    settings["DATABASE_URL"] = normalise_database_url(settings["DATABASE_URL"])
    return settings


def normalise_database_url(url: str) -> str:
    """Let people write ``postgresql://`` and still get the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def secret_key(data_dir: Path, configured: str, name: str = "secret_key") -> str:
    """The configured key, or one generated once and kept in the data folder as ``name`` (mode 0600)."""
    if configured:
        return configured
    path = data_dir / name
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Written whole and flushed under a temporary name, then linked into place: a key is never seen half
    # written, survives a power cut, and two processes starting at once end up with the same one.
    tmp = data_dir / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path.read_text(encoding="ascii").strip()
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(data_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return key
