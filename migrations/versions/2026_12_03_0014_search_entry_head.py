"""search entry: head vector for the first ranking pass, b-tree indexes for field conditions

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-03 15:00:00

Entries written before this revision have no head vector, so they are dropped and every live document is
queued for the index again (the background worker or ``index sync`` refills the table, as after a
Whoosh layout change).
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


revision: str = '0014'
down_revision: str | Sequence[str] | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TSVECTOR = postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite")
FIELDS = ('year', 'case_index', 'doc_type', 'doc_date', 'number')


def upgrade() -> None:
    bind = op.get_bind()
    had_entries = bind.execute(sa.text("SELECT count(*) FROM search_entry")).scalar() or 0
    if had_entries:
        bind.execute(sa.text("DELETE FROM search_entry"))
        bind.execute(sa.text(
            "INSERT INTO index_task (document_id, op, created_at, attempts) "
            "SELECT id, 'upsert', CURRENT_TIMESTAMP, 0 FROM document WHERE state = 'active'"))
    with op.batch_alter_table('search_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('head', TSVECTOR, nullable=False, server_default=''))
        for name in FIELDS:
            batch_op.create_index(f'ix_search_entry_{name}', [name], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('search_entry', schema=None) as batch_op:
        for name in reversed(FIELDS):
            batch_op.drop_index(f'ix_search_entry_{name}')
        batch_op.drop_column('head')
