"""Revocable admin sessions, and links in disguise removed from stored rows.

Reviewed by hand. users.session_epoch is copied into an account's session cookie at login; a request whose
cookie carries another number is not logged in. Logging out, a password change and switching the account off
add one, so every copy of an earlier cookie stops working (the server stores no session list and no IPs).

The data step applies finder.models.boundary's link rule to rows stored before it existed: a link column that
does not start with http:// or https:// and a phone column that starts with a script-like scheme are emptied
(a BMLT import could store `javascript:` URLs that the API and GetServiceBodies then served).

Revision ID: 0008_session_epoch
Revises: 0007_freshness
Create Date: 2026-12-06 12:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008_session_epoch'
down_revision = '0007_freshness'
branch_labels = None
depends_on = None

LINKS = (("service_bodies", "url"), ("meetings", "conference_url"), ("treatment_centers", "website"),
         ("counselors", "website"))
PHONES = (("service_bodies", "helpline"), ("meetings", "phone"), ("treatment_centers", "phone"),
          ("treatment_centers", "intake_phone"), ("counselors", "phone"))
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))
    for table, column in LINKS:
        op.execute(f"UPDATE {table} SET {column} = '' WHERE {column} <> '' AND lower(ltrim({column})) NOT LIKE "
                   f"'http://%' AND lower(ltrim({column})) NOT LIKE 'https://%'")
    for table, column in PHONES:
        matches = " OR ".join(f"lower(ltrim({column})) LIKE '{scheme}%'" for scheme in SCRIPT_SCHEMES)
        op.execute(f"UPDATE {table} SET {column} = '' WHERE {matches}")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_epoch")
