"""Moderation: admin users, submissions, the audit log and the mail outbox.

Reviewed by hand: the boolean default uses sa.true() so PostgreSQL accepts it.

Revision ID: 0003_moderation
Revises: 0001_foundation
Create Date: 2026-11-26 00:32:21.576598
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import finder.db

revision = '0003_moderation'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=80), server_default='', nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('service_body_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', finder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', finder.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role != 'body_admin' OR service_body_id IS NOT NULL", name=op.f('ck_users_body_admin_has_body')),
    sa.CheckConstraint("role IN ('admin', 'body_admin', 'observer')", name=op.f('ck_users_role_known')),
    sa.ForeignKeyConstraint(['service_body_id'], ['service_bodies.id'], name=op.f('fk_users_service_body_id_service_bodies'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='pending', nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('service_body_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('contact_name', sa.String(length=80), server_default='', nullable=False),
    sa.Column('contact_email', sa.String(length=254), server_default='', nullable=False),
    sa.Column('message', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', finder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', finder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sa.String(length=500), server_default='', nullable=False),
    sa.CheckConstraint("kind IN ('new', 'change', 'cancel_week', 'close', 'inactive')", name=op.f('ck_submissions_kind_known')),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f('ck_submissions_status_known')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_submissions_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_submissions_meeting_id_meetings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['service_body_id'], ['service_bodies.id'], name=op.f('fk_submissions_service_body_id_service_bodies'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions')),
    sa.UniqueConstraint('reference', name=op.f('uq_submissions_reference'))
    )
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submissions_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissions_service_body_id'), ['service_body_id'], unique=False)
        batch_op.create_index('ix_submissions_status_created_at', ['status', 'created_at'], unique=False)

    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', finder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), server_default='', nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('entity_type', sa.String(length=30), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("action IN ('create', 'update', 'delete', 'cancel_week', 'close', 'import')", name=op.f('ck_audit_entries_action_known')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_entries_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_audit_entries_submission_id_submissions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entries_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_audit_entries_entity', ['entity_type', 'entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_submission_id'), ['submission_id'], unique=False)

    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', finder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sent_at', finder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.String(length=500), server_default='', nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_outbox_messages_submission_id_submissions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_sent_at'), ['sent_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_sent_at'))

    op.drop_table('outbox_messages')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_submission_id'))
        batch_op.drop_index('ix_audit_entries_entity')
        batch_op.drop_index(batch_op.f('ix_audit_entries_created_at'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_actor_id'))

    op.drop_table('audit_entries')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_status_created_at')
        batch_op.drop_index(batch_op.f('ix_submissions_service_body_id'))
        batch_op.drop_index(batch_op.f('ix_submissions_meeting_id'))

    op.drop_table('submissions')
    op.drop_table('users')
