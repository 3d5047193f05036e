"""A meeting's free text in more languages than its own: notes, location notes, online and phone notes.

Reviewed by hand. One JSON column on meetings (JSONB on PostgreSQL, which has the equality SELECT DISTINCT
needs), {language: {field: text}} (finder.core.texts), with a server default of an empty object, so existing
meetings read "no translations" and the upgrade needs no backfill.
SQLite adds and drops the column in place (ALTER TABLE ... ADD / DROP COLUMN, SQLite 3.35+), so the
meeting_points (0004) and online_times (0010) triggers stay.

Revision ID: 0011_meeting_texts
Revises: 0010_online_times
Create Date: 2026-12-06 14:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0011_meeting_texts'
down_revision = '0010_online_times'
branch_labels = None
depends_on = None


def upgrade() -> None:
    texts_json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    op.add_column("meetings", sa.Column("translations", texts_json, nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    # In place, not batch: a batch copy of meetings on SQLite would trip the triggers of 0004 and 0010.
    op.drop_column("meetings", "translations")
