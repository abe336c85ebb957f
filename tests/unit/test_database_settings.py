"""The SQLite connection settings that durability and concurrency rely on."""
from __future__ import annotations

from pathlib import Path

from records.db import make_engine


def test_sqlite_connections_commit_durably_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'catalogue.db'}")
    try:
        with engine.connect() as conn:
            pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("synchronous") == 2  # FULL: a returned commit survives a power cut
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") == 30000
    finally:
        engine.dispose()
