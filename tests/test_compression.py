"""gzip for large HTML and JSON when accepted; never for calendars, small bodies or refusing clients."""
from __future__ import annotations

import gzip
import json

import pytest
from flask import Response, jsonify

BIG = {"items": [{"name": f"Clean and Serene {i}", "n": i} for i in range(200)]}


@pytest.fixture
def client(sqlite_app):
    @sqlite_app.get("/_test/big.json")
    def big():
        return jsonify(BIG)

    @sqlite_app.get("/_test/small.json")
    def small():
        return jsonify(ok=True)

    @sqlite_app.get("/_test/feed.ics")
    def feed():
        return Response("BEGIN:VCALENDAR\r\n" + "X-A:b\r\n" * 1000 + "END:VCALENDAR\r\n", mimetype="text/calendar")

    return sqlite_app.test_client()


def test_json_is_gzipped_and_round_trips(client):
    response = client.get("/_test/big.json", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert json.loads(gzip.decompress(response.data)) == BIG
    assert int(response.headers["Content-Length"]) == len(response.data)


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0", "br", "deflate"])
def test_no_gzip_unless_accepted(client, accept):
    headers = {"Accept-Encoding": accept} if accept else {}
    response = client.get("/_test/big.json", headers=headers)
    assert "Content-Encoding" not in response.headers
    assert response.get_json() == BIG


def test_small_bodies_stay_plain(client):
    assert "Content-Encoding" not in client.get("/_test/small.json", headers={"Accept-Encoding": "gzip"}).headers


def test_calendars_never(client):
    response = client.get("/_test/feed.ics", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in response.headers
    assert response.data.startswith(b"BEGIN:VCALENDAR")


def test_etag_and_304_on_compressed_body(client):
    first = client.get("/_test/big.json", headers={"Accept-Encoding": "gzip"})
    again = client.get("/_test/big.json", headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    plain = client.get("/_test/big.json", headers={"If-None-Match": first.headers["ETag"]})
    assert plain.status_code == 200  # the plain representation has its own tag


def test_pages_use_the_fast_level_and_whole_feeds_the_thorough_one():
    from finder.web import compression

    page = json.dumps(BIG).encode()
    feed = json.dumps({"items": [{"name": f"Clean and Serene {i}", "n": i} for i in range(4000)]}).encode()
    assert len(page) < compression.SMALL_BYTES < len(feed)
    assert compression.gzip_bytes(page) == gzip.compress(page, compresslevel=compression.SMALL_LEVEL, mtime=0)
    assert compression.gzip_bytes(feed) == gzip.compress(feed, compresslevel=compression.LEVEL, mtime=0)
    assert gzip.decompress(compression.gzip_bytes(page)) == page and compression.gzip_bytes(page) == compression.gzip_bytes(page)
