"""Treatment center and counselor pages."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for
from flask_babel import lazy_gettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from finder import db
from finder.learn import content
from finder.models import Counselor, CounselorTerm, TreatmentCenter

bp = Blueprint("providers", __name__)

# The order services are listed in on a center's page, with the heading for each category.
SERVICE_HEADINGS = (
    ("care", lazy_gettext("Care offered")),
    ("medication", lazy_gettext("Medications")),
    ("payment", lazy_gettext("Payment accepted")),
    ("language", lazy_gettext("Languages")),
)


@bp.get("/centers/<slug>")
def center(slug: str) -> str:
    found = db.get_session().scalars(
        select(TreatmentCenter)
        .where(TreatmentCenter.slug == slug, TreatmentCenter.published.is_(True))
        .options(selectinload(TreatmentCenter.services), selectinload(TreatmentCenter.place))
    ).one_or_none()
    if found is None:
        abort(404)
    groups = [
        (heading, [s for s in found.services if s.category == category]) for category, heading in SERVICE_HEADINGS
    ]
    return render_template(
        "providers/center.html",
        center=found,
        service_groups=[(heading, services) for heading, services in groups if services],
        links=[*content.links_for_center(found), *content.ALWAYS_LINKS],
    )


@bp.get("/counselors/<slug>")
def counselor(slug: str) -> str:
    found = db.get_session().scalars(
        select(Counselor)
        .where(Counselor.slug == slug, Counselor.published.is_(True))
        .options(selectinload(Counselor.terms), selectinload(Counselor.offices))
    ).one_or_none()
    if found is None:
        abort(404)
    terms: dict[str, list[CounselorTerm]] = {}
    for term in found.terms:
        terms.setdefault(term.kind, []).append(term)
    return render_template(
        "providers/counselor.html",
        counselor=found,
        terms=terms,
        offices=[
            {"lat": p.latitude, "lon": p.longitude, "label": found.name, "url": url_for("providers.counselor", slug=slug)}
            for p in found.offices
        ],
        links=[*content.links_for_counselor(found), *content.ALWAYS_LINKS],
    )
