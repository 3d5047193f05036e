"""Treatment centers and counselors near a point: the same box and distance as meetings, their own filters."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, false, func, or_, select, true
from sqlalchemy.orm import Session, joinedload, selectinload

from finder.core.geo import bounding_box, haversine_km
from finder.models import (
    Counselor, CounselorTerm, Place, Service, TreatmentCenter, center_services, counselor_offices, counselor_terms,
)
from finder.search.conditions import page_of
from finder.search.query import DEFAULT_RADIUS_KM, CenterHit, CounselorHit, SearchQuery
from finder.search.ranking import box_clause, box_params, grow_to_nearest, lon_range_count


@dataclass
class _Found:
    item_id: int
    name: str
    distance_km: float | None
    place_id: int | None = None


def _spatial_rows(
    session: Session, query: SearchQuery, stmt_for: Any, radius: float | None,
) -> list[_Found]:
    """Rows of (id, name, place id, lat, lon) within the radius, one per item, nearest place kept."""
    dialect = session.get_bind().dialect.name
    extra, params = [], {}
    if query.point is not None and radius is not None:
        box = bounding_box(*query.point, radius)
        extra, params = [box_clause(lon_range_count(box), dialect)], box_params(box)
    best: dict[int, _Found] = {}
    for item_id, name, place_id, lat, lon in session.connection().execute(stmt_for(extra), params):
        distance = None
        if query.point is not None and lat is not None:
            distance = haversine_km(query.point[0], query.point[1], lat, lon)
            if radius is not None and distance > radius:
                continue
        current = best.get(item_id)
        if current is None or (distance is not None and (current.distance_km is None or distance < current.distance_km)):
            best[item_id] = _Found(item_id, name, distance, place_id)
    return list(best.values())


def _search_items(session: Session, query: SearchQuery, stmt_for: Any) -> tuple[list[_Found], int, float | None]:
    radius_used = None
    if query.point is not None and query.nearest:
        found, radius_used = grow_to_nearest(query, query.nearest, lambda r: _spatial_rows(session, query, stmt_for, r),
                                      distance_of=lambda f: f.distance_km if f.distance_km is not None else 0.0)
    else:
        radius = (query.radius_km or DEFAULT_RADIUS_KM) if query.point is not None else None
        found = _spatial_rows(session, query, stmt_for, radius)
        radius_used = radius
    found.sort(key=lambda f: (f.distance_km is None, f.distance_km or 0.0, f.name.lower(), f.item_id))
    return page_of(found, query.page, query.per_page), len(found), radius_used


def _has_services(codes: Iterable[str]) -> list[ColumnElement[bool]]:
    return [
        exists(select(1).select_from(center_services.join(Service, Service.id == center_services.c.service_id))
               .where(center_services.c.center_id == TreatmentCenter.id, Service.code == code))
        for code in sorted(codes)
    ]


def search_centers(session: Session, query: SearchQuery) -> tuple[list[CenterHit], int, float | None]:
    conditions: list[ColumnElement[bool]] = [TreatmentCenter.published.is_(True)]
    conditions += _has_services(query.center_services)
    if query.payment:
        # Any of the payment options the person has will do.
        conditions.append(exists(
            select(1).select_from(center_services.join(Service, Service.id == center_services.c.service_id))
            .where(center_services.c.center_id == TreatmentCenter.id, Service.code.in_(sorted(query.payment)))))
    if query.text:
        needle = query.text.strip().lower()[:100]
        conditions.append(or_(func.lower(TreatmentCenter.name).contains(needle, autoescape=True),
                              func.lower(Place.city).contains(needle, autoescape=True)))

    def stmt_for(extra: list) -> Any:
        return (
            select(TreatmentCenter.id, TreatmentCenter.name, Place.id, Place.latitude, Place.longitude)
            .join(Place, TreatmentCenter.place_id == Place.id).where(*conditions, *extra))

    found, total, radius = _search_items(session, query, stmt_for)
    loaded = {c.id: c for c in session.scalars(
        select(TreatmentCenter).where(TreatmentCenter.id.in_([f.item_id for f in found]))
        .options(joinedload(TreatmentCenter.place), selectinload(TreatmentCenter.services)))} if found else {}
    return [CenterHit(loaded[f.item_id], f.distance_km) for f in found], total, radius


# Center payment codes that have a counselor insurance term of the same meaning.
_PAYMENT_TO_INSURANCE = {"MD": "medicaid", "MC": "medicare", "PI": "private", "MI": "tricare"}


def search_counselors(session: Session, query: SearchQuery) -> tuple[list[CounselorHit], int, float | None]:
    conditions: list[ColumnElement[bool]] = [Counselor.published.is_(True)]

    def has_term(kind: str, codes: Iterable[str]) -> ColumnElement[bool]:
        return exists(
            select(1).select_from(counselor_terms.join(CounselorTerm, CounselorTerm.id == counselor_terms.c.term_id))
            .where(counselor_terms.c.counselor_id == Counselor.id, CounselorTerm.kind == kind,
                   CounselorTerm.code.in_(sorted(codes))))

    for code in sorted(query.approaches):
        conditions.append(has_term("approach", [code]))
    if query.telehealth:
        conditions.append(Counselor.telehealth.is_(True))
    if query.accepting:
        conditions.append(Counselor.accepting == "yes")
    if query.payment:
        options = []
        insurance = {_PAYMENT_TO_INSURANCE[c] for c in query.payment if c in _PAYMENT_TO_INSURANCE}
        if insurance:
            options.append(has_term("insurance", insurance))
        if "SS" in query.payment:
            options.append(Counselor.sliding_scale.is_(True))
        if "SF" in query.payment:
            options.append(true())  # every counselor takes self-pay
        conditions.append(or_(*options) if options else false())
    if query.text:
        needle = query.text.strip().lower()[:100]
        conditions.append(func.lower(Counselor.name).contains(needle, autoescape=True))

    def stmt_for(extra: list) -> Any:
        return (
            select(Counselor.id, Counselor.name, Place.id, Place.latitude, Place.longitude)
            .select_from(Counselor)
            .join(counselor_offices, counselor_offices.c.counselor_id == Counselor.id, isouter=not extra)
            .join(Place, Place.id == counselor_offices.c.place_id, isouter=not extra)
            .where(*conditions, *extra))

    found, total, radius = _search_items(session, query, stmt_for)
    ids = [f.item_id for f in found]
    loaded = {c.id: c for c in session.scalars(
        select(Counselor).where(Counselor.id.in_(ids))
        .options(selectinload(Counselor.offices), selectinload(Counselor.terms)))} if ids else {}
    hits = []
    for f in found:
        counselor = loaded[f.item_id]
        office = next((p for p in counselor.offices if p.id == f.place_id), None)
        hits.append(CounselorHit(counselor, office, f.distance_km))
    return hits, total, radius


