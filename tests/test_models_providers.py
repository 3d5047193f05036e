"""finder.models.providers: treatment centers' services and counselors' terms and privacy."""
from __future__ import annotations


def test_center_and_counselor(session, make_center, make_counselor):
    center = make_center(services=["DT", "METH"])
    counselor = make_counselor()
    session.commit()
    assert center.service_codes == {"DT", "METH"}
    assert [t.code for t in counselor.terms_of("approach")] == ["psychodynamic"]
    assert counselor.contact_public is False
