"""file versions record the text extraction they were read with; installation facts by key

Revision ID: 0005
Revises: 0003, 0004
Create Date: 2026-12-03 14:50:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | Sequence[str] | None = ('0003', '0004')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Text already extracted came from extraction version 1, the one before versions were recorded.
    with op.batch_alter_table('document_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text_version', sa.Integer(), nullable=False, server_default='1'))
    op.create_table(
        'system_state',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('value', sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_system_state')),
    )


def downgrade() -> None:
    op.drop_table('system_state')
    with op.batch_alter_table('document_file', schema=None) as batch_op:
        batch_op.drop_column('text_version')
