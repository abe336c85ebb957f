"""search entry table of the PostgreSQL full-text search backend

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-26 12:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


revision: str = '0003'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TSVECTOR = postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite")


def upgrade() -> None:
    op.create_table('search_entry',
    sa.Column('document_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('case_index', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('doc_type', sa.String(length=16), nullable=False),
    sa.Column('doc_date', sa.Date(), nullable=True),
    sa.Column('number', sa.String(length=64), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('excerpt', sa.Text(), nullable=False),
    sa.Column('stems', TSVECTOR, nullable=False),
    sa.Column('words', TSVECTOR, nullable=False),
    sa.Column('counterparty_stems', TSVECTOR, nullable=False),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_search_entry'))
    )
    with op.batch_alter_table('search_entry', schema=None) as batch_op:
        batch_op.create_index('ix_search_entry_counterparty_stems', ['counterparty_stems'], unique=False,
                              postgresql_using='gin')
        batch_op.create_index('ix_search_entry_stems', ['stems'], unique=False, postgresql_using='gin')
        batch_op.create_index('ix_search_entry_words', ['words'], unique=False, postgresql_using='gin')


def downgrade() -> None:
    with op.batch_alter_table('search_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_search_entry_words')
        batch_op.drop_index('ix_search_entry_stems')
        batch_op.drop_index('ix_search_entry_counterparty_stems')

    op.drop_table('search_entry')
