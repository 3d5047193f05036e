"""Treatment center and counselor pages' rules (finder.providers.services): what is shown and how it is grouped."""
from __future__ import annotations

import pytest

from finder.models import Counselor, TreatmentCenter
from finder.providers import services

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_only_published_records_have_pages(session, make_center, make_counselor):
    center = make_center(slug="hope-house")
    hidden = make_counselor(slug="dr-hidden", published=False)
    assert services.published(session, TreatmentCenter, "hope-house") is center
    assert services.published(session, Counselor, "dr-hidden") is None
    assert services.published(session, Counselor, hidden.slug + "-x") is None


def test_services_are_grouped_under_their_headings_in_order(session, make_center):
    center = make_center(services=["MD", "DT", "BU"])
    groups = services.service_groups(center)
    headings = [str(heading) for heading, _ in groups]
    assert headings == [str(h) for c, h in services.SERVICE_HEADINGS
                        if any(s.category == c for s in center.services)]
    assert sum(len(listed) for _, listed in groups) == len(center.services)


def test_counselor_terms_by_kind(make_counselor):
    counselor = make_counselor(terms=[("approach", "psychodynamic"), ("format", "individual"), ("approach", "cbt")])
    by_kind = services.terms_by_kind(counselor)
    assert {kind: sorted(t.code for t in terms) for kind, terms in by_kind.items()} == {
        "approach": ["cbt", "psychodynamic"], "format": ["individual"]}
