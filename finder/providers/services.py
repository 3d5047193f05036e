"""Treatment centers' and counselors' pages: which are shown, and how their services and terms are grouped."""
from __future__ import annotations

from typing import Any, TypeVar

from flask_babel import lazy_gettext
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import LoaderOption

from finder.models import Counselor, CounselorTerm, Service, TreatmentCenter

Provider = TypeVar("Provider", TreatmentCenter, Counselor)

# The order services are listed in on a center's page, with the heading for each category.
SERVICE_HEADINGS = (
    ("care", lazy_gettext("Care offered")),
    ("medication", lazy_gettext("Medications")),
    ("payment", lazy_gettext("Payment accepted")),
    ("language", lazy_gettext("Languages")),
)


def published(session: Session, model: type[Provider], slug: str, *load: LoaderOption) -> Provider | None:
    """The published center or counselor whose page is at `slug` (with `load` options), or None."""
    return session.scalars(select(model).where(model.slug == slug, model.published.is_(True)).options(*load)
                           ).one_or_none()


def service_groups(center: TreatmentCenter) -> list[tuple[Any, list[Service]]]:
    """(heading, services) in SERVICE_HEADINGS order, leaving out headings with nothing under them."""
    groups = [(heading, [s for s in center.services if s.category == category])
              for category, heading in SERVICE_HEADINGS]
    return [(heading, services) for heading, services in groups if services]


def terms_by_kind(counselor: Counselor) -> dict[str, list[CounselorTerm]]:
    """A counselor's terms (specialties, approaches, ...) by kind, in their order."""
    terms: dict[str, list[CounselorTerm]] = {}
    for term in counselor.terms:
        terms.setdefault(term.kind, []).append(term)
    return terms
