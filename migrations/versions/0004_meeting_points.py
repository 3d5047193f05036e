"""Meeting points: a narrow, trigger-maintained copy of each meeting's coordinates for distance ranking.

Reviewed by hand. The table is written only by the triggers below (one set per dialect, the same rules), so
every write path keeps it true: the ORM, bulk imports, PostgreSQL's COPY and hand-run SQL. Deleting a meeting
removes its point through the foreign key's ON DELETE CASCADE. The backfill copies every existing meeting.

Revision ID: 0004_meeting_points
Revises: 0003_moderation
Create Date: 2026-11-26 07:05:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004_meeting_points'
down_revision = '0003_moderation'
branch_labels = None
depends_on = None

# What a search around a point lists (finder.meetings.visibility.listed, less online-only meetings; tests/test_meeting_points.py checks it).
LISTED = "{row}.published AND {row}.status <> 'inactive' AND {row}.attendance <> 'online'"
UPSERT = (
    "INSERT INTO meeting_points (meeting_id, latitude, longitude, name, listed) "
    "SELECT NEW.id, p.latitude, p.longitude, NEW.name, " + LISTED.format(row="NEW") + " "
    "FROM places p WHERE p.id = NEW.place_id "
    "ON CONFLICT (meeting_id) DO UPDATE SET latitude = excluded.latitude, longitude = excluded.longitude, "
    "name = excluded.name, listed = excluded.listed"
)
MOVE = (
    "UPDATE meeting_points SET latitude = NEW.latitude, longitude = NEW.longitude "
    "WHERE meeting_id IN (SELECT id FROM meetings WHERE place_id = NEW.id)"
)
MEETING_COLUMNS = "place_id, name, published, status, attendance"
PLACE_MOVED = "OLD.latitude IS DISTINCT FROM NEW.latitude OR OLD.longitude IS DISTINCT FROM NEW.longitude"

POSTGRESQL = [
    f"CREATE FUNCTION meeting_points_from_meeting() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN {UPSERT}; RETURN NULL; END $$",
    f"CREATE TRIGGER meeting_points_on_meeting AFTER INSERT OR UPDATE OF {MEETING_COLUMNS} ON meetings "
    f"FOR EACH ROW EXECUTE FUNCTION meeting_points_from_meeting()",
    f"CREATE FUNCTION meeting_points_from_place() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN {MOVE}; RETURN NULL; END $$",
    f"CREATE TRIGGER meeting_points_on_place AFTER UPDATE OF latitude, longitude ON places "
    f"FOR EACH ROW WHEN ({PLACE_MOVED}) EXECUTE FUNCTION meeting_points_from_place()",
]
SQLITE = [
    f"CREATE TRIGGER meeting_points_on_meeting_insert AFTER INSERT ON meetings BEGIN {UPSERT}; END",
    f"CREATE TRIGGER meeting_points_on_meeting_update AFTER UPDATE OF {MEETING_COLUMNS} ON meetings "
    f"BEGIN {UPSERT}; END",
    f"CREATE TRIGGER meeting_points_on_place AFTER UPDATE OF latitude, longitude ON places "
    f"WHEN {PLACE_MOVED.replace('IS DISTINCT FROM', 'IS NOT')} BEGIN {MOVE}; END",
]


def upgrade() -> None:
    op.create_table('meeting_points',
    sa.Column('meeting_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('listed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_points_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('meeting_id', name=op.f('pk_meeting_points'))
    )
    op.execute(
        "INSERT INTO meeting_points (meeting_id, latitude, longitude, name, listed) "
        "SELECT m.id, p.latitude, p.longitude, m.name, " + LISTED.format(row="m") + " "
        "FROM meetings m JOIN places p ON p.id = m.place_id"
    )
    op.create_index('ix_meeting_points_listed_location', 'meeting_points', ['latitude', 'longitude'], unique=False,
                    postgresql_include=['meeting_id', 'name'], postgresql_where=sa.text('listed'),
                    sqlite_where=sa.text('listed'))
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER meeting_points_on_place ON places")
        op.execute("DROP TRIGGER meeting_points_on_meeting ON meetings")
        op.execute("DROP FUNCTION meeting_points_from_place()")
        op.execute("DROP FUNCTION meeting_points_from_meeting()")
    else:
        for name in ("meeting_points_on_place", "meeting_points_on_meeting_update", "meeting_points_on_meeting_insert"):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_index('ix_meeting_points_listed_location', table_name='meeting_points')
    op.drop_table('meeting_points')
