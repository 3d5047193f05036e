"""finder.models.places: the service body tree."""
from __future__ import annotations


def test_service_body_tree(session, make_body):
    region = make_body(kind="region", name="Eastern PA Region")
    area = make_body(kind="area", name="Greater Philadelphia Area", parent=region)
    session.commit()
    assert [c.name for c in region.children] == ["Greater Philadelphia Area"]
    assert area.parent is region
