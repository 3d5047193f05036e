"""Treatment center and counselor pages."""
from __future__ import annotations

from flask import Blueprint, render_template, url_for
from sqlalchemy.orm import selectinload

from finder import db
from finder.learn import content
from finder.models import Counselor, TreatmentCenter
from finder.providers import services
from finder.web.responses import found_or_404

bp = Blueprint("providers", __name__)


@bp.get("/centers/<slug>")
def center(slug: str) -> str:
    found = found_or_404(services.published(db.get_session(), TreatmentCenter, slug,
                                            selectinload(TreatmentCenter.services), selectinload(TreatmentCenter.place)))
    return render_template("providers/center.html", center=found, service_groups=services.service_groups(found),
                           links=[*content.links_for_center(found), *content.ALWAYS_LINKS])


@bp.get("/counselors/<slug>")
def counselor(slug: str) -> str:
    found = found_or_404(services.published(db.get_session(), Counselor, slug, selectinload(Counselor.terms),
                                            selectinload(Counselor.offices)))
    return render_template(
        "providers/counselor.html", counselor=found, terms=services.terms_by_kind(found),
        offices=[
            {"lat": p.latitude, "lon": p.longitude, "label": found.name, "url": url_for("providers.counselor", slug=slug)}
            for p in found.offices
        ],
        links=[*content.links_for_counselor(found), *content.ALWAYS_LINKS],
    )
