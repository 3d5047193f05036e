"""The migrations build the whole model on both backends, and models and migrations never drift."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from finder import db, migrate
from finder.models import CounselorTerm, Format, Service
from finder.core.vocab import COUNSELOR_TERMS, FORMATS, SERVICES


def test_models_and_migrations_do_not_drift(app):
    engine = db.engine_for(app)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_database_is_at_the_single_head(app):
    assert migrate.schema_status(db.engine_for(app)) == "current"


def test_vocabularies_are_seeded(session):
    assert session.scalar(select(func.count()).select_from(Format)) == len(FORMATS)
    assert session.scalar(select(func.count()).select_from(Service)) == len(SERVICES)
    assert session.scalar(select(func.count()).select_from(CounselorTerm)) == len(COUNSELOR_TERMS)
    open_format = session.scalars(select(Format).where(Format.code == "O")).one()
    assert (open_format.kind, open_format.mg_code) == ("open_closed", "O")


def test_upgrade_is_idempotent(app):
    engine = db.engine_for(app)
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_empty_sqlite_database_upgrades_from_nothing(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert migrate.schema_status(engine) == "missing"
    migrate.upgrade(engine)
    assert migrate.schema_status(engine) == "current"
    engine.dispose()
