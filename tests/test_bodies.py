"""A service body and everything below it: the SQL and in-memory forms agree, and cycles end."""
from __future__ import annotations

from sqlalchemy import update

from finder.meetings import bodies
from finder.models import ServiceBody


def test_subtree_in_sql_and_in_memory(session, make_body):
    zone = make_body(kind="zone", name="Zone")
    region = make_body(kind="region", name="Region", parent=zone)
    area = make_body(kind="area", name="Area", parent=region)
    group = make_body(kind="group", name="Group", parent=area)
    other = make_body(kind="area", name="Elsewhere")
    session.commit()
    assert bodies.subtree_ids(session, [region.id]) == {region.id, area.id, group.id}
    assert bodies.subtree_ids(session, [group.id, other.id]) == {group.id, other.id}
    pairs = [(b.id, b.parent_id) for b in (zone, region, area, group, other)]
    assert bodies.descendant_ids(pairs, [region.id]) == {region.id, area.id, group.id}


def test_a_cycle_in_bad_data_ends(session, make_body):
    a = make_body(kind="area", name="A")
    b = make_body(kind="area", name="B", parent=a)
    session.commit()
    # Bad data from an import: written straight to the table, as the ORM refuses to build a cycle.
    session.execute(update(ServiceBody).where(ServiceBody.id == a.id).values(parent_id=b.id))
    session.commit()
    assert bodies.subtree_ids(session, [a.id]) == {a.id, b.id}
    assert bodies.descendant_ids([(a.id, b.id), (b.id, a.id)], [a.id]) == {a.id, b.id}
