"""Personal calendar lists: a lasting subscribe address holding meeting ids, changed with a private edit key.

Reviewed by hand. Two new tables, nothing existing changes. A list row holds no personal data: a random public
id (the feed address), the SHA-256 of the edit key (never the key), and when it was changed and last used (for
expiry). Its meetings are ids in calendar_list_meetings; deleting a meeting or a list removes them through the
foreign keys' ON DELETE CASCADE.

Revision ID: 0009_calendar_lists
Revises: 0008_session_epoch
Create Date: 2026-12-06 12:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import finder.db

revision = '0009_calendar_lists'
down_revision = '0008_session_epoch'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', finder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('changed_at', finder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', finder.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_lists')),
    sa.UniqueConstraint('public_id', name=op.f('uq_calendar_lists_public_id'))
    )
    op.create_index(op.f('ix_calendar_lists_used_at'), 'calendar_lists', ['used_at'], unique=False)
    op.create_table('calendar_list_meetings',
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['list_id'], ['calendar_lists.id'], name=op.f('fk_calendar_list_meetings_list_id_calendar_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_calendar_list_meetings_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('list_id', 'meeting_id', name=op.f('pk_calendar_list_meetings'))
    )
    op.create_index(op.f('ix_calendar_list_meetings_meeting_id'), 'calendar_list_meetings', ['meeting_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_calendar_list_meetings_meeting_id'), table_name='calendar_list_meetings')
    op.drop_table('calendar_list_meetings')
    op.drop_index(op.f('ix_calendar_lists_used_at'), table_name='calendar_lists')
    op.drop_table('calendar_lists')
