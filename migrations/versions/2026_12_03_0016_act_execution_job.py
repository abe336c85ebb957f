"""act execution job: an approved act's execution runs as a job on the worker, followed in the job table

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-03 18:00:00.000000

Acts interrupted before this revision have no job; their page offers to finish the execution, which
queues one.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0016'
down_revision: str | Sequence[str] | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('disposal_act', schema=None) as batch_op:
        batch_op.add_column(sa.Column('job_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_disposal_act_job_id_job'), 'job', ['job_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('disposal_act', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_disposal_act_job_id_job'), type_='foreignkey')
        batch_op.drop_column('job_id')
