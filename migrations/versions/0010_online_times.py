"""Online times: a narrow, trigger-maintained copy of the weekly times of listed online and hybrid meetings,
each with its place's zone, for "online meetings starting now" without a place.

Reviewed by hand. One new table and its index; nothing existing changes. As meeting_points (0004), the table is
written only by the triggers below (one set per dialect, the same rules), so every write path keeps it true: the
ORM, bulk imports, PostgreSQL's COPY and hand-run SQL. It holds a row for a weekly time exactly when its meeting
is listed (finder.meetings.visibility.listed) and online or hybrid; tests/test_meeting_points.py checks the
triggers against that rule on both databases. Deleting a weekly time (or its meeting) removes its row through
the foreign key's ON DELETE CASCADE. The backfill copies every existing listed online or hybrid weekly time.

A search reads the index (timezone, weekday, start_minute) with one range per UTC offset group and day
(finder.search.clock.online_prefilter): the rows starting soon in their own zone, exactly, instead of testing
every online meeting's times (BENCHMARKS.md, quick links).

Revision ID: 0010_online_times
Revises: 0009_calendar_lists
Create Date: 2026-12-06 14:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010_online_times'
down_revision = '0009_calendar_lists'
branch_labels = None
depends_on = None

# A row is kept for the weekly times of a meeting that is listed and can be joined online.
LISTED = ("{m}.published AND {m}.status <> 'inactive' AND {m}.attendance IN ('online', 'hybrid')")
# Minute of the day a weekly time starts (its seconds, if any, dropped: searches compare whole minutes).
MINUTE = {
    "postgresql": "(EXTRACT(HOUR FROM {t}.start) * 60 + EXTRACT(MINUTE FROM {t}.start))::integer",
    "sqlite": "(CAST(substr({t}.start, 1, 2) AS INTEGER) * 60 + CAST(substr({t}.start, 4, 2) AS INTEGER))",
}
COLUMNS = "time_id, meeting_id, weekday, start_minute, timezone, attendance"


def _from_time(dialect: str) -> str:
    """The row of one weekly time (NEW), when its meeting is listed and online or hybrid."""
    return (f"INSERT INTO online_times ({COLUMNS}) "
            f"SELECT NEW.id, NEW.meeting_id, NEW.weekday, {MINUTE[dialect].format(t='NEW')}, p.timezone, m.attendance "
            f"FROM meetings m JOIN places p ON p.id = m.place_id "
            f"WHERE m.id = NEW.meeting_id AND {LISTED.format(m='m')}")


def _from_meeting(dialect: str) -> str:
    """The rows of every weekly time of one meeting (NEW), when it is listed and online or hybrid."""
    return (f"INSERT INTO online_times ({COLUMNS}) "
            f"SELECT t.id, t.meeting_id, t.weekday, {MINUTE[dialect].format(t='t')}, p.timezone, NEW.attendance "
            f"FROM meeting_times t JOIN places p ON p.id = NEW.place_id "
            f"WHERE t.meeting_id = NEW.id AND {LISTED.format(m='NEW')}")


DROP_TIME = "DELETE FROM online_times WHERE time_id = OLD.id"
DROP_MEETING = "DELETE FROM online_times WHERE time_id IN (SELECT id FROM meeting_times WHERE meeting_id = NEW.id)"
REZONE = ("UPDATE online_times SET timezone = NEW.timezone WHERE time_id IN "
          "(SELECT t.id FROM meeting_times t JOIN meetings m ON m.id = t.meeting_id WHERE m.place_id = NEW.id)")
TIME_COLUMNS = "meeting_id, weekday, start"
MEETING_COLUMNS = "place_id, published, status, attendance"
MEETING_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in MEETING_COLUMNS.split(", "))
ZONE_CHANGED = "OLD.timezone IS DISTINCT FROM NEW.timezone"

POSTGRESQL = [
    f"CREATE FUNCTION online_times_from_time() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP = 'UPDATE' THEN {DROP_TIME}; END IF; {_from_time('postgresql')}; RETURN NULL; END $$",
    f"CREATE TRIGGER online_times_on_time AFTER INSERT OR UPDATE OF {TIME_COLUMNS} ON meeting_times "
    f"FOR EACH ROW EXECUTE FUNCTION online_times_from_time()",
    f"CREATE FUNCTION online_times_from_meeting() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"{DROP_MEETING}; {_from_meeting('postgresql')}; RETURN NULL; END $$",
    f"CREATE TRIGGER online_times_on_meeting AFTER UPDATE OF {MEETING_COLUMNS} ON meetings "
    f"FOR EACH ROW WHEN ({MEETING_CHANGED}) EXECUTE FUNCTION online_times_from_meeting()",
    f"CREATE FUNCTION online_times_from_place() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN {REZONE}; RETURN NULL; END $$",
    f"CREATE TRIGGER online_times_on_place AFTER UPDATE OF timezone ON places "
    f"FOR EACH ROW WHEN ({ZONE_CHANGED}) EXECUTE FUNCTION online_times_from_place()",
]
SQLITE = [
    f"CREATE TRIGGER online_times_on_time_insert AFTER INSERT ON meeting_times BEGIN {_from_time('sqlite')}; END",
    f"CREATE TRIGGER online_times_on_time_update AFTER UPDATE OF {TIME_COLUMNS} ON meeting_times "
    f"BEGIN {DROP_TIME}; {_from_time('sqlite')}; END",
    f"CREATE TRIGGER online_times_on_meeting AFTER UPDATE OF {MEETING_COLUMNS} ON meetings "
    f"WHEN {MEETING_CHANGED.replace('IS DISTINCT FROM', 'IS NOT')} BEGIN {DROP_MEETING}; {_from_meeting('sqlite')}; END",
    f"CREATE TRIGGER online_times_on_place AFTER UPDATE OF timezone ON places "
    f"WHEN {ZONE_CHANGED.replace('IS DISTINCT FROM', 'IS NOT')} BEGIN {REZONE}; END",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table('online_times',
    sa.Column('time_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_minute', sa.Integer(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('attendance', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['time_id'], ['meeting_times.id'], name=op.f('fk_online_times_time_id_meeting_times'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('time_id', name=op.f('pk_online_times'))
    )
    op.execute(
        f"INSERT INTO online_times ({COLUMNS}) "
        f"SELECT t.id, t.meeting_id, t.weekday, {MINUTE[dialect].format(t='t')}, p.timezone, m.attendance "
        "FROM meeting_times t JOIN meetings m ON m.id = t.meeting_id JOIN places p ON p.id = m.place_id "
        f"WHERE {LISTED.format(m='m')}"
    )
    op.create_index('ix_online_times_clock', 'online_times',
                    ['timezone', 'weekday', 'start_minute', 'meeting_id', 'attendance'], unique=False)
    for statement in POSTGRESQL if dialect == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER online_times_on_place ON places")
        op.execute("DROP TRIGGER online_times_on_meeting ON meetings")
        op.execute("DROP TRIGGER online_times_on_time ON meeting_times")
        op.execute("DROP FUNCTION online_times_from_place()")
        op.execute("DROP FUNCTION online_times_from_meeting()")
        op.execute("DROP FUNCTION online_times_from_time()")
    else:
        for name in ("online_times_on_place", "online_times_on_meeting", "online_times_on_time_update",
                     "online_times_on_time_insert"):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_index('ix_online_times_clock', table_name='online_times')
    op.drop_table('online_times')
