"""disposition approval chain: the expert commission's agreement and decisions, the approver, inventories
drafted, agreed and approved before transfer, permanent cases marked, overrides pending a second person

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 14:50:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | Sequence[str] | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _user_fk(batch_op: object, table: str, column: str) -> None:
    batch_op.create_foreign_key(op.f(f'fk_{table}_{column}_user'), 'user', [column], ['id'])  # type: ignore[attr-defined]


def upgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_override', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('pending_override_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('pending_override_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('pending_override_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('permanent', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('review_year', sa.Integer(), nullable=True))
        _user_fk(batch_op, 'case', 'pending_override_by_id')
    with op.batch_alter_table('disposal_act', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protocol_number', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('protocol_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('agreed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('agreed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('destroyed_on', sa.Date(), nullable=True))
        _user_fk(batch_op, 'disposal_act', 'agreed_by_id')
    with op.batch_alter_table('disposal_act_row', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('decision', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('extend_years', sa.Integer(), nullable=True))
    with op.batch_alter_table('archive_inventory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inventory_date', sa.Date(), nullable=True))
        # Inventories drawn up before the approval chain existed were handed over at once.
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=False, server_default='transferred'))
        batch_op.add_column(sa.Column('protocol_number', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('protocol_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('agreed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('agreed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('approved_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('transferred_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('transferred_by_id', sa.Integer(), nullable=True))
        for column in ('agreed_by_id', 'approved_by_id', 'transferred_by_id'):
            _user_fk(batch_op, 'archive_inventory', column)
    op.execute("UPDATE archive_inventory SET transferred_at = created_at, transferred_by_id = created_by_id")
    with op.batch_alter_table('archive_inventory', schema=None) as batch_op:
        batch_op.alter_column('status', server_default=None)
    # Cases kept permanently by their item's rule, or already handed to the archive, are marked so.
    op.execute(
        "UPDATE \"case\" SET permanent = TRUE WHERE inventory_id IS NOT NULL OR item_id IN "
        "(SELECT id FROM nomenclature_item WHERE retention_kind = 'permanent')"
    )
    _mark_permanent_overrides()


def _mark_permanent_overrides() -> None:
    """Cases whose own override keeps them permanently (free text, so parsed here with the app's parser)."""
    from records.retention import RetentionKind, RetentionParseError, parse_retention

    bind = op.get_bind()
    rows = bind.execute(sa.text('SELECT id, retention_override FROM "case" WHERE retention_override IS NOT NULL'))
    for case_id, text in rows.all():
        try:
            kind = parse_retention(text).kind
        except RetentionParseError:
            continue
        if kind is RetentionKind.PERMANENT:
            bind.execute(sa.text('UPDATE "case" SET permanent = TRUE WHERE id = :id'), {"id": case_id})


def downgrade() -> None:
    with op.batch_alter_table('archive_inventory', schema=None) as batch_op:
        for column in ('transferred_by_id', 'approved_by_id', 'agreed_by_id'):
            batch_op.drop_constraint(op.f(f'fk_archive_inventory_{column}_user'), type_='foreignkey')
        for column in ('transferred_by_id', 'transferred_at', 'approved_by_id', 'approved_at', 'agreed_by_id',
                       'agreed_at', 'protocol_date', 'protocol_number', 'status', 'inventory_date'):
            batch_op.drop_column(column)
    with op.batch_alter_table('disposal_act_row', schema=None) as batch_op:
        for column in ('extend_years', 'decision', 'review'):
            batch_op.drop_column(column)
    with op.batch_alter_table('disposal_act', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_disposal_act_agreed_by_id_user'), type_='foreignkey')
        for column in ('destroyed_on', 'agreed_by_id', 'agreed_at', 'protocol_date', 'protocol_number'):
            batch_op.drop_column(column)
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_case_pending_override_by_id_user'), type_='foreignkey')
        for column in ('review_year', 'permanent', 'pending_override_at', 'pending_override_by_id',
                       'pending_override_reason', 'pending_override'):
            batch_op.drop_column(column)
