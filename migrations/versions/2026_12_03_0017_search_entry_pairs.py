"""search entry: word pairs, so phrases are found through the index without reading positions; vectors
compressed with lz4

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 18:00:00

Entries written before this revision have no word pairs, so they are dropped and every live document is
queued for the index again (the background worker or ``index sync`` refills the table, as after 0014).
Where the server has lz4, the vectors read by searches are compressed with it: a fifth smaller than with
the default (pglz), and decompressed faster. The head vector, which the first ranking pass reads for
every match, is kept in the row itself (storage MAIN): with short texts PostgreSQL would otherwise move
it out of the row, and reading it back from there cost five times as much.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


revision: str = '0017'
down_revision: str | Sequence[str] | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TSVECTOR = postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite")
COMPRESSED = ('stems', 'words', 'head')


def _has_lz4(bind: sa.engine.Connection) -> bool:
    return bind.dialect.name == "postgresql" and bool(bind.execute(sa.text(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")).scalar())


def upgrade() -> None:
    bind = op.get_bind()
    had_entries = bind.execute(sa.text("SELECT count(*) FROM search_entry")).scalar() or 0
    if had_entries:
        bind.execute(sa.text("DELETE FROM search_entry"))
        bind.execute(sa.text(
            "INSERT INTO index_task (document_id, op, created_at, attempts) "
            "SELECT id, 'upsert', CURRENT_TIMESTAMP, 0 FROM document WHERE state = 'active'"))
    with op.batch_alter_table('search_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pairs', TSVECTOR, nullable=False, server_default=''))
        batch_op.create_index('ix_search_entry_pairs', ['pairs'], unique=False, postgresql_using='gin')
    if _has_lz4(bind):
        for column in COMPRESSED:
            op.execute(f"ALTER TABLE search_entry ALTER COLUMN {column} SET COMPRESSION lz4")
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE search_entry ALTER COLUMN head SET STORAGE MAIN")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_entry ALTER COLUMN head SET STORAGE EXTENDED")
    if _has_lz4(op.get_bind()):
        for column in COMPRESSED:
            op.execute(f"ALTER TABLE search_entry ALTER COLUMN {column} SET COMPRESSION default")
    with op.batch_alter_table('search_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_search_entry_pairs', postgresql_using='gin')
        batch_op.drop_column('pairs')
