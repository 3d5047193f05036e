"""The home page, the meeting page and the health check."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from finder import db
from finder.migrate import schema_status
from finder.models import Meeting

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> str:
    return render_template("main/home.html")


@bp.get("/meetings/<slug>")
def meeting(slug: str) -> str:
    found = db.get_session().scalars(
        select(Meeting)
        .where(Meeting.slug == slug, Meeting.published.is_(True))
        .options(selectinload(Meeting.times), selectinload(Meeting.formats), selectinload(Meeting.place))
    ).one_or_none()
    if found is None:
        abort(404)
    return render_template("meetings/detail.html", meeting=found)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """200 when the database answers and its schema is current, 503 otherwise."""
    engine = db.engine_for(current_app)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        schema = schema_status(engine)
    except SQLAlchemyError:
        return jsonify(status="unavailable", database="unreachable"), 503
    if schema != "current":
        return jsonify(status="unavailable", database="reachable", schema=schema), 503
    return jsonify(status="ok", database="ok", schema=schema)
