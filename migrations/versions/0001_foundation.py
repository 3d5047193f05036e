"""Foundation: places, service bodies, meetings, formats, treatment centers, counselors.

Reviewed by hand: boolean defaults use sa.true()/sa.false() so PostgreSQL accepts them, and the fixed
vocabularies (formats, services, counselor terms) are seeded here from finder.core.vocab.

Revision ID: 0001_foundation
Revises: 
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import finder.db
from finder.core.vocab import COUNSELOR_TERMS, FORMATS, SERVICES

revision = '0001_foundation'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('counselor_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.CheckConstraint("kind IN ('approach', 'format', 'insurance', 'language')", name=op.f('ck_counselor_terms_kind_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_counselor_terms'))
    )
    with op.batch_alter_table('counselor_terms', schema=None) as batch_op:
        batch_op.create_index('uq_counselor_terms_kind_code', ['kind', 'code'], unique=True)

    op.create_table('counselors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('credentials', sa.String(length=500), server_default='', nullable=False),
    sa.Column('license_number', sa.String(length=80), server_default='', nullable=False),
    sa.Column('license_state', sa.String(length=80), server_default='', nullable=False),
    sa.Column('phone', sa.String(length=80), server_default='', nullable=False),
    sa.Column('email', sa.String(length=500), server_default='', nullable=False),
    sa.Column('website', sa.String(length=500), server_default='', nullable=False),
    sa.Column('contact_public', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('telehealth', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('in_person', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('accepting', sa.String(length=10), server_default='yes', nullable=False),
    sa.Column('fees', sa.String(length=500), server_default='', nullable=False),
    sa.Column('sliding_scale', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('bio', sa.Text(), server_default='', nullable=False),
    sa.Column('published', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('source', sa.String(length=80), server_default='', nullable=False),
    sa.Column('source_id', sa.String(length=80), server_default='', nullable=False),
    sa.Column('is_demo', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', finder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', finder.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("accepting IN ('yes', 'no', 'waitlist')", name=op.f('ck_counselors_accepting_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_counselors')),
    sa.UniqueConstraint('slug', name=op.f('uq_counselors_slug'))
    )
    with op.batch_alter_table('counselors', schema=None) as batch_op:
        batch_op.create_index('ix_counselors_source_source_id', ['source', 'source_id'], unique=False)

    op.create_table('formats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.String(length=500), server_default='', nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('naws_code', sa.String(length=80), server_default='', nullable=False),
    sa.Column('mg_code', sa.String(length=10), nullable=True),
    sa.Column('world_id', sa.String(length=80), server_default='', nullable=False),
    sa.CheckConstraint("kind IN ('open_closed', 'format', 'literature', 'audience', 'access', 'language', 'venue')", name=op.f('ck_formats_kind_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_formats')),
    sa.UniqueConstraint('code', name=op.f('uq_formats_code'))
    )
    op.create_table('places',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), server_default='', nullable=False),
    sa.Column('street', sa.String(length=500), server_default='', nullable=False),
    sa.Column('city', sa.String(length=80), server_default='', nullable=False),
    sa.Column('region', sa.String(length=80), server_default='', nullable=False),
    sa.Column('postal_code', sa.String(length=20), server_default='', nullable=False),
    sa.Column('country', sa.String(length=2), server_default='US', nullable=False),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.Column('precision', sa.String(length=20), server_default='rooftop', nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('notes', sa.String(length=500), server_default='', nullable=False),
    sa.Column('is_demo', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.CheckConstraint("precision IN ('rooftop', 'postal_code', 'city', 'region')", name=op.f('ck_places_precision_known')),
    sa.CheckConstraint('latitude BETWEEN -90 AND 90', name=op.f('ck_places_latitude_range')),
    sa.CheckConstraint('longitude BETWEEN -180 AND 180', name=op.f('ck_places_longitude_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_places'))
    )
    with op.batch_alter_table('places', schema=None) as batch_op:
        batch_op.create_index('ix_places_latitude_longitude', ['latitude', 'longitude'], unique=False)
        batch_op.create_index('ix_places_longitude', ['longitude'], unique=False)

    op.create_table('service_bodies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('url', sa.String(length=500), server_default='', nullable=False),
    sa.Column('helpline', sa.String(length=80), server_default='', nullable=False),
    sa.Column('world_id', sa.String(length=80), server_default='', nullable=False),
    sa.Column('is_demo', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.CheckConstraint("kind IN ('group', 'area', 'region', 'zone')", name=op.f('ck_service_bodies_kind_known')),
    sa.ForeignKeyConstraint(['parent_id'], ['service_bodies.id'], name=op.f('fk_service_bodies_parent_id_service_bodies'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_bodies'))
    )
    with op.batch_alter_table('service_bodies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_bodies_parent_id'), ['parent_id'], unique=False)

    op.create_table('services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.CheckConstraint("category IN ('care', 'medication', 'payment', 'language')", name=op.f('ck_services_category_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services')),
    sa.UniqueConstraint('code', name=op.f('uq_services_code'))
    )
    op.create_table('site_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=500), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_site_settings'))
    )
    op.create_table('counselor_offices',
    sa.Column('counselor_id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['counselor_id'], ['counselors.id'], name=op.f('fk_counselor_offices_counselor_id_counselors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_counselor_offices_place_id_places'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('counselor_id', 'place_id', name=op.f('pk_counselor_offices'))
    )
    with op.batch_alter_table('counselor_offices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_counselor_offices_place_id'), ['place_id'], unique=False)

    op.create_table('counselor_term_links',
    sa.Column('counselor_id', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['counselor_id'], ['counselors.id'], name=op.f('fk_counselor_term_links_counselor_id_counselors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['term_id'], ['counselor_terms.id'], name=op.f('fk_counselor_term_links_term_id_counselor_terms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('counselor_id', 'term_id', name=op.f('pk_counselor_term_links'))
    )
    with op.batch_alter_table('counselor_term_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_counselor_term_links_term_id'), ['term_id'], unique=False)

    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('service_body_id', sa.Integer(), nullable=True),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('attendance', sa.String(length=10), server_default='in_person', nullable=False),
    sa.Column('conference_url', sa.String(length=500), server_default='', nullable=False),
    sa.Column('conference_notes', sa.String(length=500), server_default='', nullable=False),
    sa.Column('phone', sa.String(length=80), server_default='', nullable=False),
    sa.Column('phone_notes', sa.String(length=500), server_default='', nullable=False),
    sa.Column('language', sa.String(length=8), server_default='en', nullable=False),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.Column('status', sa.String(length=20), server_default='active', nullable=False),
    sa.Column('published', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('sequence', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', finder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', finder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=80), server_default='', nullable=False),
    sa.Column('source_id', sa.String(length=80), server_default='', nullable=False),
    sa.Column('is_demo', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.CheckConstraint("attendance IN ('in_person', 'online', 'hybrid')", name=op.f('ck_meetings_attendance_known')),
    sa.CheckConstraint("status IN ('active', 'temporarily_closed', 'inactive')", name=op.f('ck_meetings_status_known')),
    sa.CheckConstraint('sequence >= 0', name=op.f('ck_meetings_sequence_nonnegative')),
    sa.ForeignKeyConstraint(['group_id'], ['service_bodies.id'], name=op.f('fk_meetings_group_id_service_bodies'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_meetings_place_id_places'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['service_body_id'], ['service_bodies.id'], name=op.f('fk_meetings_service_body_id_service_bodies'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings')),
    sa.UniqueConstraint('slug', name=op.f('uq_meetings_slug'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meetings_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meetings_language'), ['language'], unique=False)
        batch_op.create_index(batch_op.f('ix_meetings_place_id'), ['place_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meetings_service_body_id'), ['service_body_id'], unique=False)
        batch_op.create_index('ix_meetings_source_source_id', ['source', 'source_id'], unique=False)
        batch_op.create_index('ix_meetings_status_published', ['status', 'published'], unique=False)

    op.create_table('treatment_centers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name2', sa.String(length=500), server_default='', nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=80), server_default='', nullable=False),
    sa.Column('intake_phone', sa.String(length=80), server_default='', nullable=False),
    sa.Column('website', sa.String(length=500), server_default='', nullable=False),
    sa.Column('facility_type', sa.String(length=80), server_default='', nullable=False),
    sa.Column('published', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('source', sa.String(length=80), server_default='', nullable=False),
    sa.Column('source_id', sa.String(length=80), server_default='', nullable=False),
    sa.Column('is_demo', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', finder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', finder.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_treatment_centers_place_id_places'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_treatment_centers')),
    sa.UniqueConstraint('slug', name=op.f('uq_treatment_centers_slug'))
    )
    with op.batch_alter_table('treatment_centers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_treatment_centers_place_id'), ['place_id'], unique=False)
        batch_op.create_index('ix_treatment_centers_source_source_id', ['source', 'source_id'], unique=False)

    op.create_table('center_services',
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['center_id'], ['treatment_centers.id'], name=op.f('fk_center_services_center_id_treatment_centers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_center_services_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('center_id', 'service_id', name=op.f('pk_center_services'))
    )
    with op.batch_alter_table('center_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_center_services_service_id'), ['service_id'], unique=False)

    op.create_table('meeting_formats',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('format_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['format_id'], ['formats.id'], name=op.f('fk_meeting_formats_format_id_formats'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_formats_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('meeting_id', 'format_id', name=op.f('pk_meeting_formats'))
    )
    with op.batch_alter_table('meeting_formats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_formats_format_id'), ['format_id'], unique=False)

    op.create_table('meeting_times',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start', sa.Time(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), server_default='60', nullable=False),
    sa.CheckConstraint('duration_minutes BETWEEN 1 AND 1440', name=op.f('ck_meeting_times_duration_range')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_meeting_times_weekday_range')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_times_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_times'))
    )
    with op.batch_alter_table('meeting_times', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_times_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index('ix_meeting_times_weekday_start', ['weekday', 'start'], unique=False)

    op.create_table('schedule_exceptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=500), server_default='', nullable=False),
    sa.Column('created_at', finder.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('cancelled', 'closed')", name=op.f('ck_schedule_exceptions_kind_known')),
    sa.CheckConstraint('end_date >= start_date', name=op.f('ck_schedule_exceptions_dates_ordered')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_schedule_exceptions_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_exceptions'))
    )
    with op.batch_alter_table('schedule_exceptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedule_exceptions_meeting_id'), ['meeting_id'], unique=False)


    _seed_vocabularies()


def _seed_vocabularies() -> None:
    formats = sa.table("formats", sa.column("code"), sa.column("name"), sa.column("description"),
                       sa.column("kind"), sa.column("naws_code"), sa.column("mg_code"), sa.column("world_id"))
    op.bulk_insert(formats, [
        {"code": f.code, "name": f.name, "description": f.description, "kind": f.kind, "naws_code": f.code,
         "mg_code": f.mg_code, "world_id": f.world_id}
        for f in FORMATS
    ])
    services = sa.table("services", sa.column("code"), sa.column("name"), sa.column("category"))
    op.bulk_insert(services, [s._asdict() for s in SERVICES])
    terms = sa.table("counselor_terms", sa.column("kind"), sa.column("code"), sa.column("name"))
    op.bulk_insert(terms, [t._asdict() for t in COUNSELOR_TERMS])


def downgrade() -> None:
    with op.batch_alter_table('schedule_exceptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedule_exceptions_meeting_id'))

    op.drop_table('schedule_exceptions')
    with op.batch_alter_table('meeting_times', schema=None) as batch_op:
        batch_op.drop_index('ix_meeting_times_weekday_start')
        batch_op.drop_index(batch_op.f('ix_meeting_times_meeting_id'))

    op.drop_table('meeting_times')
    with op.batch_alter_table('meeting_formats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_formats_format_id'))

    op.drop_table('meeting_formats')
    with op.batch_alter_table('center_services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_center_services_service_id'))

    op.drop_table('center_services')
    with op.batch_alter_table('treatment_centers', schema=None) as batch_op:
        batch_op.drop_index('ix_treatment_centers_source_source_id')
        batch_op.drop_index(batch_op.f('ix_treatment_centers_place_id'))

    op.drop_table('treatment_centers')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_meetings_status_published')
        batch_op.drop_index('ix_meetings_source_source_id')
        batch_op.drop_index(batch_op.f('ix_meetings_service_body_id'))
        batch_op.drop_index(batch_op.f('ix_meetings_place_id'))
        batch_op.drop_index(batch_op.f('ix_meetings_language'))
        batch_op.drop_index(batch_op.f('ix_meetings_group_id'))

    op.drop_table('meetings')
    with op.batch_alter_table('counselor_term_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_counselor_term_links_term_id'))

    op.drop_table('counselor_term_links')
    with op.batch_alter_table('counselor_offices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_counselor_offices_place_id'))

    op.drop_table('counselor_offices')
    op.drop_table('site_settings')
    op.drop_table('services')
    with op.batch_alter_table('service_bodies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_bodies_parent_id'))

    op.drop_table('service_bodies')
    with op.batch_alter_table('places', schema=None) as batch_op:
        batch_op.drop_index('ix_places_longitude')
        batch_op.drop_index('ix_places_latitude_longitude')

    op.drop_table('places')
    op.drop_table('formats')
    with op.batch_alter_table('counselors', schema=None) as batch_op:
        batch_op.drop_index('ix_counselors_source_source_id')

    op.drop_table('counselors')
    with op.batch_alter_table('counselor_terms', schema=None) as batch_op:
        batch_op.drop_index('uq_counselor_terms_kind_code')

    op.drop_table('counselor_terms')
