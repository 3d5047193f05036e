"""Freshness: when each meeting was last confirmed, visitors' reports, and a reason on audit entries.

Reviewed by hand. Columns are added in place (no batch copy of `meetings` on SQLite, which would drop the
meeting_points triggers of 0004). Every existing meeting's last confirmation is backfilled from its last change:
the best evidence we have that someone looked at it.

Revision ID: 0007_freshness
Revises: 0006_sync_sources
Create Date: 2026-12-06 12:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import finder.db

revision = '0007_freshness'
down_revision = '0006_sync_sources'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('meeting_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', finder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('reporter_hash', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=10), server_default='open', nullable=False),
    sa.Column('resolution', sa.String(length=20), nullable=True),
    sa.Column('resolved_at', finder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_by_label', sa.String(length=254), server_default='', nullable=False),
    sa.CheckConstraint("kind IN ('nobody_there', 'wrong_time', 'wrong_place', 'bad_link', 'other')", name=op.f('ck_meeting_reports_kind_known')),
    sa.CheckConstraint("resolution IS NULL OR resolution IN ('confirmed', 'changed', 'inactive')", name=op.f('ck_meeting_reports_resolution_known')),
    sa.CheckConstraint("status IN ('open', 'resolved')", name=op.f('ck_meeting_reports_status_known')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_reports_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_meeting_reports_resolved_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_reports'))
    )
    op.create_index('ix_meeting_reports_status_created_at', 'meeting_reports', ['status', 'created_at'], unique=False)
    op.create_index('uq_meeting_reports_meeting_window_reporter_kind', 'meeting_reports', ['meeting_id', 'window_id', 'reporter_hash', 'kind'], unique=True)
    op.add_column('audit_entries', sa.Column('reason', sa.String(length=500), server_default='', nullable=False))
    op.add_column('meetings', sa.Column('confirmed_at', finder.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column('meetings', sa.Column('confirmed_by', sa.String(length=80), server_default='', nullable=False))
    op.add_column('meetings', sa.Column('reported_at', finder.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column('meetings', sa.Column('prompted_at', finder.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column('meetings', sa.Column('escalated_at', finder.db.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE meetings SET confirmed_at = updated_at, confirmed_by = 'last change'")
    op.create_index(op.f('ix_meetings_confirmed_at'), 'meetings', ['confirmed_at'], unique=False)
    op.create_index(op.f('ix_meetings_reported_at'), 'meetings', ['reported_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_meetings_reported_at'), table_name='meetings')
    op.drop_index(op.f('ix_meetings_confirmed_at'), table_name='meetings')
    op.drop_column('meetings', 'escalated_at')
    op.drop_column('meetings', 'prompted_at')
    op.drop_column('meetings', 'reported_at')
    op.drop_column('meetings', 'confirmed_by')
    op.drop_column('meetings', 'confirmed_at')
    op.drop_column('audit_entries', 'reason')
    op.drop_index('uq_meeting_reports_meeting_window_reporter_kind', table_name='meeting_reports')
    op.drop_index('ix_meeting_reports_status_created_at', table_name='meeting_reports')
    op.drop_table('meeting_reports')
