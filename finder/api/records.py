"""The API's JSON records: meetings, places, centers, counselors, service bodies and a search's answer, from rows
already loaded (pure mappings; the views read and answer)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from finder.core import meeting_guide, schedule, texts, vocab
from finder.core.geo import km_to_miles
from finder.meetings import visibility
from finder.models import Counselor, Meeting, Place, ServiceBody, TreatmentCenter
from finder.search.query import SearchQuery, SearchResults


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def place_json(place: Place, *, exact: bool = True) -> dict[str, Any]:
    """A place; an online-only meeting's approximate place has no street."""
    return {
        "name": place.name, "street": place.street if exact else "", "city": place.city, "region": place.region,
        "postal_code": place.postal_code, "country": place.country, "latitude": place.latitude,
        "longitude": place.longitude, "precision": place.precision, "timezone": place.timezone,
        "notes": place.notes,
    }


def _formats(meeting: Meeting) -> list[dict[str, Any]]:
    by_code = {f.code: f for f in meeting.formats}
    out = []
    for code in vocab.effective_format_codes(meeting):
        fmt = by_code.get(code)
        spec = vocab.FORMAT_BY_CODE.get(code)
        out.append({"code": code, "name": fmt.name if fmt else spec.name if spec else code})
    return out


def meeting_json(meeting: Meeting, base: str, now: dt.datetime, *, upcoming: int = 0) -> dict[str, Any]:
    """A meeting with its weekly times (Monday=0 and mon..sun), formats, place and links; with `upcoming`, its
    next occurrences and current exceptions too. Treat the answer as read-only: it may be shared."""
    if upcoming:
        return {**_meeting_json(meeting, base), **_upcoming_json(meeting, now, upcoming)}
    derived = getattr(meeting, "derived", None)  # a finder.search.loader row: reuse its rendering (it may be cached)
    if derived is None:
        return _meeting_json(meeting, base)
    rendered = derived.get(("json", base))
    if rendered is None:
        rendered = derived[("json", base)] = _meeting_json(meeting, base)
    return rendered


def _meeting_json(meeting: Meeting, base: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": meeting.slug,
        "name": meeting.name,
        "url": f"{base}/meetings/{meeting.slug}",
        "attendance": meeting.attendance,
        "status": meeting.status,
        "language": meeting.language,
        "timezone": meeting.place.timezone,
        "times": [
            {"weekday": t.weekday, "day": schedule.to_url(t.weekday), "start": t.start.strftime("%H:%M"),
             "duration_minutes": t.duration_minutes,
             "end": meeting_guide.end_time(t.start, t.duration_minutes).strftime("%H:%M")}
            for t in sorted(meeting.times, key=lambda t: (t.weekday, t.start))
        ],
        "formats": _formats(meeting),
        "place": place_json(meeting.place, exact=meeting.attendance != "online"),
        "conference_url": meeting.conference_url if meeting.is_online else "",
        "conference_notes": meeting.conference_notes if meeting.is_online else "",
        "phone": meeting.phone if meeting.is_online else "",
        "phone_notes": meeting.phone_notes if meeting.is_online else "",
        "notes": meeting.notes,
        "translations": _translations_json(meeting),
        "service_body_id": meeting.service_body_id,
        "group_id": meeting.group_id,
        "updated_at": _iso(meeting.updated_at),
        "confirmed_at": _iso(meeting.confirmed_at),
        # A mark set by several visitors' "nobody was there" reports, until a moderator resolves them.
        "reported_not_meeting": meeting.reported_at is not None and meeting.status != "inactive",
    }
    return data


def _translations_json(meeting: Meeting) -> dict[str, dict[str, str]]:
    """The meeting's free text in other languages, as given (online and phone notes only of an online meeting)."""
    hidden = () if meeting.is_online else ("conference_notes", "phone_notes")
    found = {language: {field: text for field, text in fields.items() if field not in hidden}
             for language, fields in texts.translations_of(meeting).items()}
    return {language: fields for language, fields in found.items() if fields}


def _upcoming_json(meeting: Meeting, now: dt.datetime, upcoming: int) -> dict[str, Any]:
    occurrences = schedule.next_occurrences(meeting.times, meeting.place.timezone, now, meeting.exceptions,
                                            n=upcoming) if visibility.still_meets(meeting) else []
    return {
        "upcoming": [{"start": o.start.isoformat(), "end": o.end.isoformat(), "in_progress": o.is_in_progress(now)}
                     for o in occurrences],
        "exceptions": [{"kind": e.kind, "start_date": e.start_date.isoformat(), "end_date": e.end_date.isoformat(),
                        "reason": e.reason}
                       for e in meeting.exceptions if e.end_date >= now.date() - dt.timedelta(days=1)],
    }


def center_json(center: TreatmentCenter, base: str) -> dict[str, Any]:
    return {
        "slug": center.slug, "name": center.name, "name2": center.name2, "url": f"{base}/centers/{center.slug}",
        "phone": center.phone, "intake_phone": center.intake_phone, "website": center.website,
        "facility_type": center.facility_type,
        "services": [{"code": s.code, "name": s.name, "category": s.category} for s in center.services],
        "place": place_json(center.place), "updated_at": _iso(center.updated_at),
    }


def counselor_json(counselor: Counselor, base: str) -> dict[str, Any]:
    """A counselor; phone, email and website only when the counselor made their contact public."""
    public = counselor.contact_public
    return {
        "slug": counselor.slug, "name": counselor.name, "url": f"{base}/counselors/{counselor.slug}",
        "credentials": counselor.credentials, "license_number": counselor.license_number,
        "license_state": counselor.license_state,
        "phone": counselor.phone if public else "", "email": counselor.email if public else "",
        "website": counselor.website if public else "",
        "telehealth": counselor.telehealth, "in_person": counselor.in_person, "accepting": counselor.accepting,
        "fees": counselor.fees, "sliding_scale": counselor.sliding_scale, "bio": counselor.bio,
        "terms": [{"kind": t.kind, "code": t.code, "name": t.name} for t in counselor.terms],
        "offices": [place_json(p) for p in counselor.offices], "updated_at": _iso(counselor.updated_at),
    }


def body_json(body: ServiceBody, base: str) -> dict[str, Any]:
    return {
        "id": body.id, "parent_id": body.parent_id, "kind": body.kind, "name": body.name,
        "description": body.description, "url": body.url, "helpline": body.helpline, "world_id": body.world_id,
        "meeting_guide_feed": f"{base}/feeds/meeting-guide/{body.id}.json",
    }


def _distance(km: float | None) -> dict[str, float | None]:
    return {"distance_km": None if km is None else round(km, 3),
            "distance_miles": None if km is None else round(km_to_miles(km), 3)}


def search_json(query: SearchQuery, results: SearchResults, base: str, now: dt.datetime) -> dict[str, Any]:
    """/api/v1/search's answer: the query as understood, the page of hits and the totals."""
    return {
        "query": {"lat": query.point[0] if query.point else None, "lon": query.point[1] if query.point else None,
                  "radius_km": query.radius_km, "nearest": query.nearest, "kinds": sorted(query.kinds),
                  "sort": query.sort},
        "radius_km": results.radius_km, "page": results.page, "per_page": results.per_page, "pages": results.pages,
        "total": {"meetings": results.total_meetings, "centers": results.total_centers,
                  "counselors": results.total_counselors},
        "meetings": [{**meeting_json(h.meeting, base, now), **_distance(h.distance_km),
                      "next_start": _iso(h.next_start), "in_progress": h.in_progress,
                      "starts_in_minutes": h.starts_in_minutes, "is_online_only": h.is_online_only}
                     for h in results.meetings],
        "centers": [{**center_json(h.center, base), **_distance(h.distance_km)} for h in results.centers],
        "counselors": [{**counselor_json(h.counselor, base), **_distance(h.distance_km),
                        "nearest_office": place_json(h.office) if h.office is not None else None}
                       for h in results.counselors],
    }
