"""Tests for finder.geocode: the offline gazetteer and the Nominatim backend against a local HTTP server."""

import json
import socket
import sqlite3
import threading
import time
from types import SimpleNamespace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from finder import geocode as geocode_module
from finder.core import geo
from finder.geocode import (
    GEONAMES_CREDIT,
    GeocodeCache,
    Geocoder,
    NominatimGeocoder,
    OfflineGazetteer,
    country_of_zone,
    get_geocoder,
    make_geocoder,
    normalize,
    parse_lat_lon,
    shared_gazetteer,
    timezone_at,
)


@pytest.fixture(scope="module")
def gazetteer() -> OfflineGazetteer:
    return shared_gazetteer()


def km_from(result, lat, lon):
    return geo.haversine_km(result.lat, result.lon, lat, lon)


# --- Offline ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("St. Louis", "saint louis"),
        ("  ft   WORTH ", "fort worth"),
        ("Mt. Vernon", "mount vernon"),
        ("Köln", "koln"),
        ("Łódź", "lodz"),
        ("O'Fallon", "ofallon"),
        ("Winston-Salem", "winston salem"),
        ("N Little Rock", "north little rock"),
        ("", ""),
        ("!!!", ""),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_literal_coordinates(gazetteer):
    result = gazetteer.geocode(" 40.7128, -74.0060 ")
    assert (result.lat, result.lon) == (40.7128, -74.006)
    assert result.precision == "rooftop"
    assert result.timezone == "America/New_York"
    assert gazetteer.geocode("(-33.87 151.21)").timezone == "Australia/Sydney"
    assert parse_lat_lon("Paris") is None


@pytest.mark.parametrize("text", ["91,0", "0,181", "-90.5, 10", "45, -180.01"])
def test_literal_coordinates_out_of_range(gazetteer, text):
    with pytest.raises(ValueError, match="Latitude must be between"):
        gazetteer.geocode(text)


@pytest.mark.parametrize("text", ["63101", "63101-1234", "631011234", "63101 1234"])
def test_zip_and_zip_plus_four(gazetteer, text):
    result = gazetteer.geocode(text)
    assert result.precision == "postal_code"
    assert result.timezone == "America/Chicago"
    assert result.country == "US"
    assert "63101" in result.label and "MO" in result.label
    assert km_from(result, 38.6270, -90.1994) < 5  # downtown St. Louis


def test_unknown_zip(gazetteer):
    assert gazetteer.geocode("00000") is None


@pytest.mark.parametrize(
    "text",
    ["St Louis, MO", "st louis mo", "Saint Louis, Missouri", "ST. LOUIS, MO", "st. louis, mo, usa",
     "Saint Louis MO 63101", "saint  louis"],
)
def test_us_city_variants(gazetteer, text):
    result = gazetteer.geocode(text)
    assert result is not None, text
    assert result.precision == "city"
    assert result.timezone == "America/Chicago"
    assert km_from(result, 38.6270, -90.1994) < 15


@pytest.mark.parametrize(
    "text,lat,lon,zone",
    [
        ("ft worth", 32.7555, -97.3308, "America/Chicago"),
        ("Fort Worth, Texas", 32.7555, -97.3308, "America/Chicago"),
        ("Paris, TX", 33.6609, -95.5555, "America/Chicago"),
        ("Springfield, IL", 39.7817, -89.6501, "America/Chicago"),
        ("springfield illinois", 39.7817, -89.6501, "America/Chicago"),
        ("Anchorage, AK", 61.2181, -149.9003, "America/Anchorage"),
        ("Honolulu, HI", 21.3069, -157.8583, "Pacific/Honolulu"),
        ("nyc", 40.7128, -74.0060, "America/New_York"),
    ],
)
def test_us_cities(gazetteer, text, lat, lon, zone):
    result = gazetteer.geocode(text)
    assert result is not None, text
    assert km_from(result, lat, lon) < 20, result
    assert result.timezone == zone


@pytest.mark.parametrize(
    "text,lat,lon,zone,country",
    [
        ("Paris", 48.8566, 2.3522, "Europe/Paris", "FR"),
        ("Paris, France", 48.8566, 2.3522, "Europe/Paris", "FR"),
        ("London", 51.5074, -0.1278, "Europe/London", "GB"),
        ("London, Ontario", 42.9849, -81.2453, "America/Toronto", "CA"),
        ("Cologne", 50.9375, 6.9603, "Europe/Berlin", "DE"),
        ("São Paulo", -23.5505, -46.6333, "America/Sao_Paulo", "BR"),
        ("sao paulo, brazil", -23.5505, -46.6333, "America/Sao_Paulo", "BR"),
        ("Tehran", 35.6892, 51.3890, "Asia/Tehran", "IR"),
        ("Auckland, NZ", -36.8485, 174.7633, "Pacific/Auckland", "NZ"),
        ("Suva, Fiji", -18.1416, 178.4419, "Pacific/Fiji", "FJ"),
    ],
)
def test_world_cities(gazetteer, text, lat, lon, zone, country):
    result = gazetteer.geocode(text)
    assert result is not None, text
    assert km_from(result, lat, lon) < 25, result
    assert (result.timezone, result.country, result.precision) == (zone, country, "city")


def test_state_name_is_a_region_but_new_york_is_the_city(gazetteer):
    ohio = gazetteer.geocode("Ohio")
    assert ohio.precision == "region" and ohio.timezone == "America/New_York"
    assert gazetteer.geocode("New York").precision == "city"


@pytest.mark.parametrize("text", ["", "   ", "xyzzy plugh", "\x00\x01", "'; DROP TABLE places; --", "a" * 5000,
                                  "<script>alert(1)</script>", "ｓｔ ｌｏｕｉｓ"])
def test_hostile_or_unknown_text_is_none_not_an_error(gazetteer, text):
    result = gazetteer.geocode(text)
    assert result is None or geo.valid_point(result.lat, result.lon)
    assert isinstance(gazetteer.suggest(text), list)


def test_suggestions(gazetteer):
    assert "Saint Louis, MO" in gazetteer.suggest("Sant Lois, MO")
    assert gazetteer.suggest("Chicgo")[0] == "Chicago, IL"
    assert "Albuquerque, NM" in gazetteer.suggest("Albuqerque")
    assert len(gazetteer.suggest("Springfeld", limit=3)) <= 3
    assert gazetteer.suggest("40.1,50") == [] and gazetteer.suggest("12345") == []


def test_lookups_after_warm_never_build_again(gazetteer, monkeypatch):
    """warm() builds every index up front (a worker's start-up hook), so no request pays for a build."""
    gazetteer.warm()

    def no_build(*_args):
        raise AssertionError("an index was built after warm()")

    for builder in ("_build_us", "_build_world"):
        monkeypatch.setattr(gazetteer, builder, no_build)
    assert gazetteer.geocode("Saint Louis, MO").lat == pytest.approx(38.63, abs=0.2)
    assert gazetteer.geocode("Paris").country == "FR"
    assert "Chicago, IL" in gazetteer.suggest("Chicgo")


def test_timezone_at_offline():
    assert timezone_at(35.6762, 139.6503) == "Asia/Tokyo"
    assert timezone_at(-17.7134, 178.065) == "Pacific/Fiji"


def test_credit_names_geonames_and_its_licence():
    assert "GeoNames" in GEONAMES_CREDIT and "CC BY" in GEONAMES_CREDIT


def test_factory():
    assert isinstance(make_geocoder({}), OfflineGazetteer)
    assert isinstance(make_geocoder({"GEOCODER": "offline"}), Geocoder)
    with pytest.raises(ValueError):
        make_geocoder({"GEOCODER": "google"})


def test_get_geocoder_is_made_once_per_app(tmp_path):
    class FakeApp:  # only the attributes get_geocoder reads
        extensions: dict = {}
        config = {"GEOCODER": "offline"}
        instance_path = str(tmp_path)

    app = FakeApp()
    assert get_geocoder(app) is get_geocoder(app)


# --- Nominatim against a local server ---------------------------------------------------------------------


class NominatimStub:
    """A Nominatim-shaped HTTP server on 127.0.0.1 recording the queries it receives."""

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.queries: list[str] = []
        self.answered: list[str] = []  # queries the stub has finished waiting on and is answering
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                parts = urlsplit(self.path)
                query = parse_qs(parts.query).get("q", [""])[0]
                stub.queries.append(query)
                if stub.delay:
                    time.sleep(stub.delay)
                stub.answered.append(query)
                if parts.path != "/search":
                    self.send_error(404)
                    return
                if query == "221B Baker Street, London":
                    body = [{"lat": "51.5237", "lon": "-0.1585", "display_name": "221B, Baker Street, London",
                             "class": "building", "type": "house", "addresstype": "building"}]
                elif query == "xyzzy boom":
                    self.send_error(500)
                    return
                elif query == "garbage":
                    body = "not json at all"
                elif query == "redirect inside":
                    self.send_response(302)
                    self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                else:
                    body = []
                data = (json.dumps(body) if not isinstance(body, str) else body).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the slow-server test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def stub():
    server = NominatimStub()
    yield server
    server.close()


@pytest.fixture
def nominatim(stub, tmp_path):
    geocoders = []

    def make(url=None, timeout=2.0, min_delay=0.0):
        geocoder = make_geocoder({
            "GEOCODER": "nominatim", "GEOCODER_URL": url or stub.url, "GEOCODER_USER_AGENT": "finder-tests",
            "GEOCODER_TIMEOUT": timeout, "GEOCODER_MIN_DELAY": min_delay,
            "GEOCODER_CACHE_PATH": str(tmp_path / "cache.sqlite3"),
        })
        geocoders.append(geocoder)
        return geocoder

    yield make
    for geocoder in geocoders:
        geocoder.cache.close()


def test_nominatim_answers_addresses(nominatim, stub):
    geocoder = nominatim()
    assert isinstance(geocoder, NominatimGeocoder)
    result = geocoder.geocode("221B Baker Street, London")
    assert (result.lat, result.lon) == (51.5237, -0.1585)
    assert result.precision == "rooftop"
    assert result.timezone == "Europe/London"
    assert stub.queries == ["221B Baker Street, London"]


def test_nominatim_is_not_asked_for_coordinates_or_zip(nominatim, stub):
    geocoder = nominatim()
    assert geocoder.geocode("63101").precision == "postal_code"
    assert geocoder.geocode("38.6,-90.2").precision == "rooftop"
    assert stub.queries == []


def test_nominatim_cache_persists_and_hides_the_query(nominatim, stub, tmp_path):
    nominatim().geocode("221B Baker Street, London")
    again = nominatim().geocode("221b baker street london")  # a new process, same cache file, other spelling
    assert again.lat == 51.5237
    assert len(stub.queries) == 1
    with sqlite3.connect(tmp_path / "cache.sqlite3") as conn:
        dump = "\n".join(conn.iterdump())
    conn.close()
    assert "Baker Street, London" not in dump.split("answer")[0]
    assert GeocodeCache.key("221B Baker Street, London") in dump


def test_nominatim_empty_answer_falls_back_offline_and_is_cached(nominatim, stub):
    geocoder = nominatim()
    result = geocoder.geocode("Saint Louis, MO")
    assert result.precision == "city" and result.timezone == "America/Chicago"
    geocoder.geocode("Saint Louis, MO")
    assert stub.queries == ["Saint Louis, MO"]


@pytest.mark.parametrize("query", ["xyzzy boom", "garbage"])
def test_nominatim_errors_fall_back(nominatim, query):
    assert nominatim().geocode(query) is None  # no such place offline either, and no exception


def test_nominatim_redirect_inside_is_not_followed(nominatim, stub):
    """The operator's own host is trusted; a redirect from it to a private address is refused (finder.outbound)."""
    assert nominatim().geocode("redirect inside") is None
    assert stub.queries == ["redirect inside"]


def test_nominatim_server_down_falls_back(nominatim):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on that port now: connection refused.
    result = nominatim(url=f"http://127.0.0.1:{port}").geocode("Paris, France")
    assert result is not None and result.country == "FR"


def test_nominatim_slow_server_falls_back_within_the_timeout(nominatim):
    slow = NominatimStub(delay=3.0)
    try:
        result = nominatim(url=slow.url, timeout=0.4).geocode("Paris, France")
        waited_for_the_answer = bool(slow.answered)  # read before the stub is released
    finally:
        slow.delay = 0
        slow.close()
    assert result is not None and result.country == "FR"
    assert not waited_for_the_answer, "the timeout, not the server's answer, ended the wait"
    assert len(slow.queries) <= 1, "one attempt only: a retry multiplies the wait before the fallback"


def test_nominatim_is_rate_limited(nominatim, stub, monkeypatch):
    """Calls are spaced by min_delay on the limiter's own clock (a fake one here: no test reads the wall clock)."""
    clock = {"now": 1000.0}
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        clock["now"] += seconds

    monkeypatch.setattr(geocode_module, "time", SimpleNamespace(monotonic=lambda: clock["now"], sleep=sleep,
                                                                perf_counter=time.perf_counter))
    geocoder = nominatim(min_delay=0.3)
    geocoder.geocode("first unknown place")
    clock["now"] += 0.1
    geocoder.geocode("second unknown place")
    clock["now"] += 1.0
    geocoder.geocode("third unknown place")
    assert stub.queries == ["first unknown place", "second unknown place", "third unknown place"]
    assert slept == [0.2]  # only the second call came too soon


def test_nominatim_suggestions_are_offline(nominatim, stub):
    assert "Chicago, IL" in nominatim().suggest("Chicgo")
    assert stub.queries == []


def test_settings_from_the_environment(tmp_path):
    from finder.config import ConfigError, check, from_env

    config = from_env({"GEOCODER": "Nominatim", "GEOCODER_TIMEOUT": "2.5", "GEOCODER_MIN_DELAY": ""}, str(tmp_path))
    assert (config["GEOCODER"], config["GEOCODER_TIMEOUT"], config["GEOCODER_MIN_DELAY"]) == ("nominatim", 2.5, 1.0)
    assert config["GEOCODER_URL"].startswith("https://")
    with pytest.raises(ConfigError, match="GEOCODER_TIMEOUT"):
        from_env({"GEOCODER_TIMEOUT": "soon"}, str(tmp_path))
    with pytest.raises(ConfigError, match="GEOCODER_MIN_DELAY"):
        from_env({"GEOCODER_MIN_DELAY": "-1"}, str(tmp_path))
    with pytest.raises(ConfigError, match="GEOCODER must be"):
        check({**from_env({"GEOCODER": "google"}, str(tmp_path)), "TESTING": True})


@pytest.mark.parametrize(("zone", "country"), [
    ("America/Chicago", "US"), ("Europe/London", "GB"), ("Europe/Dublin", "IE"), ("America/Toronto", "CA"),
    ("Australia/Sydney", "AU"), ("Asia/Kolkata", "IN"), ("UTC", None), ("Not/AZone", None), (None, None),
])
def test_country_of_a_zone(zone, country):
    assert country_of_zone(zone) == country


def test_alternatives_name_other_places_of_that_name_only_when_the_text_was_not_specific(gazetteer):
    chosen = gazetteer.geocode("Portland")
    others = gazetteer.alternatives("Portland")
    assert chosen is not None and chosen.label == "Portland, OR"
    assert others[0] == "Portland, ME" and chosen.label not in others and len(others) == 3
    for specific in ("Portland, ME", "Portland, OR", "19103", "39.95,-75.16", ""):
        assert gazetteer.alternatives(specific) == []
    # Only places that bear the name itself: Amman was once called Philadelphia, but is not one.
    assert all(label.startswith("Philadelphia") for label in gazetteer.alternatives("Philadelphia"))

