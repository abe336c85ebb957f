"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 09:17:28.064490
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=True),
    sa.Column('object_id', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_event_hash'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_action_at', ['action', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_audit_event_object', ['object_type', 'object_id'], unique=False)

    op.create_table('blob',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('mime', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_blob'))
    )
    op.create_table('index_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('op', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_index_task'))
    )
    with op.batch_alter_table('index_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_index_task_document_id'), ['document_id'], unique=False)

    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('username', name=op.f('uq_user_username'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_api_token_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('archive_inventory',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_archive_inventory_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_inventory')),
    sa.UniqueConstraint('number', 'year', name=op.f('uq_archive_inventory_number_year'))
    )
    op.create_table('disposal_act',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('act_date', sa.Date(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('drafted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('drafted_by_id', sa.Integer(), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('executed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('executed_by_id', sa.Integer(), nullable=True),
    sa.Column('destruction_method', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user.id'], name=op.f('fk_disposal_act_approved_by_id_user')),
    sa.ForeignKeyConstraint(['drafted_by_id'], ['user.id'], name=op.f('fk_disposal_act_drafted_by_id_user')),
    sa.ForeignKeyConstraint(['executed_by_id'], ['user.id'], name=op.f('fk_disposal_act_executed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disposal_act')),
    sa.UniqueConstraint('number', 'act_date', name=op.f('uq_disposal_act_number_act_date'))
    )
    op.create_table('nomenclature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('based_on_year', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user.id'], name=op.f('fk_nomenclature_approved_by_id_user')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_nomenclature_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nomenclature')),
    sa.UniqueConstraint('year', name=op.f('uq_nomenclature_year'))
    )
    op.create_table('setting',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_setting_updated_by_id_user')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_setting'))
    )
    op.create_table('user_role',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_role_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('pk_user_role'))
    )
    op.create_table('nomenclature_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nomenclature_id', sa.Integer(), nullable=False),
    sa.Column('index', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title_ky', sa.Text(), nullable=False),
    sa.Column('title_ru', sa.Text(), nullable=False),
    sa.Column('title_en', sa.Text(), nullable=False),
    sa.Column('retention', sa.String(length=100), nullable=False),
    sa.Column('retention_kind', sa.String(length=16), nullable=False),
    sa.Column('retention_years', sa.Integer(), nullable=True),
    sa.Column('epk', sa.Boolean(), nullable=False),
    sa.Column('articles', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('not_to_state_archive', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['nomenclature_id'], ['nomenclature.id'], name=op.f('fk_nomenclature_item_nomenclature_id_nomenclature'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nomenclature_item')),
    sa.UniqueConstraint('nomenclature_id', 'index', name=op.f('uq_nomenclature_item_nomenclature_id_index'))
    )
    op.create_table('case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('index', sa.String(length=32), nullable=False),
    sa.Column('volume', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('first_doc_date', sa.Date(), nullable=True),
    sa.Column('last_doc_date', sa.Date(), nullable=True),
    sa.Column('is_paper', sa.Boolean(), nullable=False),
    sa.Column('sheets', sa.Integer(), nullable=True),
    sa.Column('carry_over', sa.Boolean(), nullable=False),
    sa.Column('retention_override', sa.String(length=100), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('transferred_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('inventory_id', sa.Integer(), nullable=True),
    sa.Column('destroyed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('destroyed_by_act_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint('volume >= 1', name=op.f('ck_case_volume_positive')),
    sa.ForeignKeyConstraint(['destroyed_by_act_id'], ['disposal_act.id'], name=op.f('fk_case_destroyed_by_act_id_disposal_act')),
    sa.ForeignKeyConstraint(['inventory_id'], ['archive_inventory.id'], name=op.f('fk_case_inventory_id_archive_inventory')),
    sa.ForeignKeyConstraint(['item_id'], ['nomenclature_item.id'], name=op.f('fk_case_item_id_nomenclature_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case')),
    sa.UniqueConstraint('item_id', 'volume', name=op.f('uq_case_item_id_volume'))
    )
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_index'), ['index'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_item_id'), ['item_id'], unique=False)
        batch_op.create_index('ix_case_year_state', ['year', 'state'], unique=False)

    op.create_table('disposal_act_row',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('act_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('heading', sa.Text(), nullable=False),
    sa.Column('date_range', sa.String(length=64), nullable=False),
    sa.Column('case_index', sa.String(length=32), nullable=False),
    sa.Column('case_year', sa.Integer(), nullable=False),
    sa.Column('volumes', sa.Integer(), nullable=False),
    sa.Column('retention', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('executed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['act_id'], ['disposal_act.id'], name=op.f('fk_disposal_act_row_act_id_disposal_act'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_disposal_act_row_case_id_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disposal_act_row')),
    sa.UniqueConstraint('act_id', 'case_id', name=op.f('uq_disposal_act_row_act_id_case_id'))
    )
    with op.batch_alter_table('disposal_act_row', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disposal_act_row_case_id'), ['case_id'], unique=False)

    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('doc_type', sa.String(length=16), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('doc_date', sa.Date(), nullable=True),
    sa.Column('number', sa.String(length=64), nullable=True),
    sa.Column('counterparty', sa.String(length=300), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('text_status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('destroyed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('destroyed_by_act_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_document_case_id_case')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_document_created_by_id_user')),
    sa.ForeignKeyConstraint(['destroyed_by_act_id'], ['disposal_act.id'], name=op.f('fk_document_destroyed_by_act_id_disposal_act')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index('ix_document_case_state', ['case_id', 'state'], unique=False)

    op.create_table('document_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('mime', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('original_filename', sa.String(length=255), nullable=False),
    sa.Column('active_content', sa.Boolean(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('text_status', sa.String(length=16), nullable=False),
    sa.Column('text_method', sa.String(length=32), nullable=True),
    sa.Column('text_error', sa.Text(), nullable=True),
    sa.Column('text_attempts', sa.Integer(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_file_document_id_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sha256'], ['blob.sha256'], name=op.f('fk_document_file_sha256_blob')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_document_file_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_file')),
    sa.UniqueConstraint('document_id', 'version', name=op.f('uq_document_file_document_id_version'))
    )
    with op.batch_alter_table('document_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_file_sha256'), ['sha256'], unique=False)

    op.create_table('hold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_by', sa.String(length=300), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('placed_by_id', sa.Integer(), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_by_id', sa.Integer(), nullable=True),
    sa.Column('release_reason', sa.Text(), nullable=True),
    sa.CheckConstraint('(case_id IS NOT NULL) OR (document_id IS NOT NULL)', name=op.f('ck_hold_has_target')),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_hold_case_id_case')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_hold_document_id_document')),
    sa.ForeignKeyConstraint(['placed_by_id'], ['user.id'], name=op.f('fk_hold_placed_by_id_user')),
    sa.ForeignKeyConstraint(['released_by_id'], ['user.id'], name=op.f('fk_hold_released_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hold'))
    )
    with op.batch_alter_table('hold', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hold_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hold_document_id'), ['document_id'], unique=False)

    op.create_table('document_text',
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['document_file.id'], name=op.f('fk_document_text_file_id_document_file'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('file_id', name=op.f('pk_document_text'))
    )


def downgrade() -> None:
    op.drop_table('document_text')
    with op.batch_alter_table('hold', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hold_document_id'))
        batch_op.drop_index(batch_op.f('ix_hold_case_id'))

    op.drop_table('hold')
    with op.batch_alter_table('document_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_file_sha256'))

    op.drop_table('document_file')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index('ix_document_case_state')

    op.drop_table('document')
    with op.batch_alter_table('disposal_act_row', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disposal_act_row_case_id'))

    op.drop_table('disposal_act_row')
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_year_state')
        batch_op.drop_index(batch_op.f('ix_case_item_id'))
        batch_op.drop_index(batch_op.f('ix_case_index'))

    op.drop_table('case')
    op.drop_table('nomenclature_item')
    op.drop_table('user_role')
    op.drop_table('setting')
    op.drop_table('nomenclature')
    op.drop_table('disposal_act')
    op.drop_table('archive_inventory')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    op.drop_table('user')
    with op.batch_alter_table('index_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_index_task_document_id'))

    op.drop_table('index_task')
    op.drop_table('blob')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_object')
        batch_op.drop_index(batch_op.f('ix_audit_event_actor_id'))
        batch_op.drop_index('ix_audit_event_action_at')

    op.drop_table('audit_event')
