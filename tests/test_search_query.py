"""finder.search.query: invalid queries are refused."""

import datetime as dt
import math

import pytest

from finder.search import MAX_RADIUS_KM, SearchError, SearchQuery, find_nearby



@pytest.mark.parametrize("query", [
    SearchQuery(point=(91.0, 0.0), radius_km=5),
    SearchQuery(point=(0.0, 0.0), radius_km=-1),
    SearchQuery(point=(0.0, 0.0), radius_km=MAX_RADIUS_KM * 2),
    SearchQuery(point=(0.0, 0.0), radius_km=math.nan),
    SearchQuery(point=(0.0, 0.0), nearest=0),
    SearchQuery(radius_km=5),
    SearchQuery(point=(0.0, 0.0), radius_km=5, kinds=frozenset({"bars"})),
    SearchQuery(point=(0.0, 0.0), radius_km=5, page=0),
])
def test_invalid_queries_raise_search_error(sqlite_app, query, now):
    from finder import db

    with db.session_factory(sqlite_app)() as session:
        with pytest.raises(SearchError):
            find_nearby(session, query, now)


def test_naive_now_is_refused(sqlite_app):
    from finder import db

    with db.session_factory(sqlite_app)() as session, pytest.raises(ValueError):
        find_nearby(session, SearchQuery(), dt.datetime(2026, 1, 1))
