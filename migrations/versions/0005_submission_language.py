"""Submissions remember the language their organizer used, so mail about them comes in that language.

Reviewed by hand. One column with a server default, so existing rows read 'en' (the only language the site had
when they were sent) and the upgrade needs no backfill.

Revision ID: 0005_submission_language
Revises: 0004_meeting_points
Create Date: 2026-12-06 12:50:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005_submission_language'
down_revision = '0004_meeting_points'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("interface_language", sa.String(length=8), nullable=False, server_default="en"))


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("interface_language")
