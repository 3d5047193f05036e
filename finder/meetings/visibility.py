"""Which meetings the public sees: the one rule every reader (search, feeds, API, pages) starts from."""
from __future__ import annotations

from sqlalchemy import ColumnElement, Select, String, and_, literal_column, select
from sqlalchemy.orm import selectinload

from finder.models import Meeting, ServiceBody


def visible_meetings_clause() -> ColumnElement[bool]:
    """The one definition of a meeting the public may see: published and not inactive."""
    return and_(Meeting.published.is_(True), Meeting.status != _word("inactive"))



def _word(word: str) -> ColumnElement[str]:
    """A fixed word as an SQL literal: a prepared statement's generic plan still knows it (finder.search.ranking)."""
    assert word.isidentifier()
    return literal_column(f"'{word}'", String)


def visible_meetings_select() -> Select[tuple[Meeting]]:
    """Published meetings that still meet (inactive ones leave every feed), with what feeds read loaded."""
    return (
        select(Meeting)
        .where(visible_meetings_clause())
        .options(
            selectinload(Meeting.times), selectinload(Meeting.formats), selectinload(Meeting.place),
            selectinload(Meeting.group), selectinload(Meeting.service_body).selectinload(ServiceBody.parent),
        )
        .order_by(Meeting.slug)
    )
