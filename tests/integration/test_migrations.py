"""Migrations build the schema from nothing on every backend and agree with the models."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect

from records import migrate
from records.db import Base


def test_empty_sqlite_upgrades_to_head_without_drift(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate.upgrade(url)
    engine = create_engine(url)
    try:
        assert migrate.current_revisions(engine) == migrate.head_revisions(url)
        assert migrate.drift(engine) == []
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
    finally:
        engine.dispose()


def test_postgresql_schema_is_at_head_without_drift(pg_url: str) -> None:
    engine = create_engine(pg_url)
    try:
        assert migrate.current_revisions(engine) == migrate.head_revisions(pg_url)
        assert migrate.drift(engine) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back(tmp_path: Path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    migrate.upgrade(url)
    command.downgrade(migrate.alembic_config(url), "base")
    engine = create_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    migrate.upgrade(url)
    engine = create_engine(url)
    try:
        assert migrate.drift(engine) == []
    finally:
        engine.dispose()


def test_revision_files_have_dated_names() -> None:
    names = [p.name for p in (migrate.MIGRATIONS / "versions").glob("*.py")]
    assert names
    for name in names:
        year, month, day = name.split("_")[:3]
        assert len(year) == 4 and year.isdigit() and month.isdigit() and day.isdigit(), name
