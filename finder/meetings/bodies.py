"""The NA service structure: a service body and every body below it, one rule for every caller."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from finder.models import ServiceBody


def subtree_select(roots: Iterable[int]) -> Select[tuple[int]]:
    """A select of the ids of `roots` and all their descendants (a recursive CTE on SQLite and PostgreSQL).

    UNION, not UNION ALL, so a cycle in bad data ends the recursion instead of looping.
    """
    tree = select(ServiceBody.id).where(ServiceBody.id.in_(sorted(set(roots)))).cte("body_tree", recursive=True)
    tree = tree.union(select(ServiceBody.id).where(ServiceBody.parent_id == tree.c.id))
    return select(tree.c.id)


def subtree_ids(session: Session, roots: Iterable[int]) -> set[int]:
    """The ids of `roots` and every body below them."""
    return set(session.scalars(subtree_select(roots)))


def descendant_ids(pairs: Iterable[tuple[int, int | None]], roots: Iterable[int]) -> set[int]:
    """The same rule in memory, for callers that already hold (id, parent_id) pairs; roots included."""
    children: dict[int, list[int]] = {}
    for body_id, parent_id in pairs:
        if parent_id is not None:
            children.setdefault(parent_id, []).append(body_id)
    found: set[int] = set()
    stack = list(roots)
    while stack:
        body_id = stack.pop()
        if body_id in found:
            continue
        found.add(body_id)
        stack.extend(children.get(body_id, ()))
    return found


def children(session: Session, body_id: int) -> list[ServiceBody]:
    """The bodies directly below one, by name."""
    return list(session.scalars(select(ServiceBody).where(ServiceBody.parent_id == body_id)
                                .order_by(ServiceBody.name)))
