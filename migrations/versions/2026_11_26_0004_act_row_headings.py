"""act rows keep their heading in Kyrgyz and Russian

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-26 09:40:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('disposal_act_row', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heading_ky', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('heading_ru', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('disposal_act_row', schema=None) as batch_op:
        batch_op.drop_column('heading_ru')
        batch_op.drop_column('heading_ky')
