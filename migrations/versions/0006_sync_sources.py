"""Sync sources: the BMLT servers and Meeting Guide feeds meetings are kept in step with, and each meeting's sync.

Reviewed by hand. Which sync keeps a meeting is a table of its own (meeting_syncs), not columns on meetings:
adding a foreign key column to meetings on SQLite takes batch mode, which rebuilds the table and would drop
the meeting_points triggers of 0004. Existing meetings belong to no sync.

Revision ID: 0006_sync_sources
Revises: 0005_submission_language
Create Date: 2026-12-06 12:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import finder.db

revision = '0006_sync_sources'
down_revision = '0005_submission_language'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sync_sources',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('url', sa.String(length=500), server_default='', nullable=False),
        sa.Column('scope', sa.String(length=500), server_default='', nullable=False),
        sa.Column('created_at', finder.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_run_at', finder.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_success_at', finder.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), server_default='', nullable=False),
        sa.Column('last_summary', sa.String(length=500), server_default='', nullable=False),
        sa.CheckConstraint("kind IN ('bmlt', 'meeting_guide')", name=op.f('ck_sync_sources_kind_known')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_sources')),
        sa.UniqueConstraint('kind', 'url', 'scope', name=op.f('uq_sync_sources_kind_url_scope')),
    )
    op.create_table(
        'meeting_syncs',
        sa.Column('meeting_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('sync_source_id', sa.Integer(), nullable=False),
        sa.Column('synced_hash', sa.String(length=64), server_default='', nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_syncs_meeting_id_meetings'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['sync_source_id'], ['sync_sources.id'],
                                name=op.f('fk_meeting_syncs_sync_source_id_sync_sources'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('meeting_id', name=op.f('pk_meeting_syncs')),
    )
    op.create_index(op.f('ix_meeting_syncs_sync_source_id'), 'meeting_syncs', ['sync_source_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_meeting_syncs_sync_source_id'), table_name='meeting_syncs')
    op.drop_table('meeting_syncs')
    op.drop_table('sync_sources')
