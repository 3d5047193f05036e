"""A BMLT root server on loopback for sync tests: real-shaped JSON (every value a string, one row per weekday).

Tests change `server.meetings`, `server.bodies`, `server.formats` or `server.feed` (a Meeting Guide feed at
/meetings.json) between two syncs, or set `server.fault` to
make the next answers HTML, a 404, malformed JSON or a huge body. `server.requests` lists every query received.
"""
from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT_PATH = "/main_server"
INTERFACE = f"{ROOT_PATH}/client_interface/json/"

FORMATS: list[dict[str, str]] = [
    {"key_string": key, "name_string": name, "description_string": "", "lang": "en", "id": str(ident),
     "world_id": world, "root_server_uri": "", "format_type_enum": kind}
    for key, name, ident, world, kind in [
        ("O", "Open", 4, "OPEN", "O"), ("C", "Closed", 3, "CLOSED", "O"), ("D", "Discussion", 8, "DISC", "FC1"),
        ("St", "Step Study", 27, "STEP", "FC1"), ("BT", "Basic Text", 46, "BT", "FC1"),
        ("WC", "Wheel Chair", 33, "WCHR", "FC2"), ("TC", "Temporarily Closed Facility", 57, "TC", "FC2"),
        ("VM", "Virtual Meeting", 54, "VM", "FC2"), ("HY", "Hybrid Meeting", 55, "HYBR", "FC2"),
        ("ES", "Español", 20, "LANG", "LANG"), ("ZZZ", "A local format", 99, "", "FC3"),
    ]
]

BODIES: list[dict[str, str]] = [
    {"id": "2", "parent_id": "0", "name": "Eastern Pennsylvania Region", "description": "", "type": "RS",
     "url": "https://eprna.example", "helpline": "", "world_id": "RG123"},
    {"id": "12", "parent_id": "2", "name": "Philadelphia Area", "description": "Philadelphia Area Service Committee",
     "type": "AS", "url": "https://phillyna.example", "helpline": "215-555-0100", "world_id": "AR12345"},
    {"id": "13", "parent_id": "2", "name": "Montgomery County Area", "description": "", "type": "AS", "url": "",
     "helpline": "610-555-0199", "world_id": "AR54321"},
]

MEETING_KEYS = (
    "id_bigint", "worldid_mixed", "shared_group_id_bigint", "service_body_bigint", "weekday_tinyint", "venue_type",
    "start_time", "duration_time", "time_zone", "formats", "lang_enum", "longitude", "latitude", "distance_in_km",
    "distance_in_miles", "email_contact", "meeting_name", "location_text", "location_info", "location_street",
    "location_city_subsection", "location_neighborhood", "location_municipality", "location_sub_province",
    "location_province", "location_postal_code_1", "location_nation", "comments", "train_lines", "bus_lines",
    "contact_phone_2", "contact_email_2", "contact_name_2", "contact_phone_1", "contact_email_1", "contact_name_1",
    "phone_meeting_number", "virtual_meeting_link", "virtual_meeting_additional_info", "published",
    "root_server_uri", "format_shared_id_list",
)


def row(id_bigint: int, name: str, weekday: int, start: str, **fields: str) -> dict[str, str]:
    """One GetSearchResults row as a root server sends it: every key present, every value a string."""
    values = {key: "" for key in MEETING_KEYS}
    values.update({
        "id_bigint": str(id_bigint), "meeting_name": name, "weekday_tinyint": str(weekday), "start_time": start,
        "duration_time": "01:00:00", "service_body_bigint": "12", "venue_type": "1", "time_zone": "America/New_York",
        "lang_enum": "en", "published": "1", "formats": "O,D", "location_text": "St. Mark's Church",
        "location_street": "1625 Locust St", "location_municipality": "Philadelphia", "location_province": "PA",
        "location_postal_code_1": "19103", "location_nation": "US", "latitude": "39.9487", "longitude": "-75.1685",
    })
    values.update(fields)
    return values


def sample_meetings() -> list[dict[str, str]]:
    """A group meeting on three weekdays (three rows), a hybrid, an online Spanish meeting, a closed building."""
    group = dict(worldid_mixed="G00012345", formats="O,D,WC,BT", duration_time="01:30:00",
                 location_info="Basement", comments="Newcomers welcome")
    return [
        row(1001, "Monday Night Miracles", 2, "19:00:00", **group),
        row(1002, "Monday Night Miracles", 4, "19:00:00", **group),
        row(1003, "Monday Night Miracles", 6, "19:00:00", **group),
        row(1010, "Lunch Bunch", 5, "12:00:00", venue_type="3", formats="C,St,HY", location_text="Recovery Clubhouse",
            location_street="4500 Frankford Ave", location_postal_code_1="19124", latitude="40.0107",
            longitude="-75.0847", virtual_meeting_link="https://zoom.us/j/81234567890",
            phone_meeting_number="+16465588656,,81234567890#", virtual_meeting_additional_info="Passcode 1953"),
        row(1020, "Esperanza", 7, "20:00:00", service_body_bigint="13", venue_type="2", formats="O,ES,VM",
            lang_enum="es", location_text="", location_street="", location_municipality="Norristown",
            location_postal_code_1="", latitude="40.1215", longitude="-75.3433",
            virtual_meeting_link="https://meet.google.com/abc-defg-hij"),
        row(1030, "Late Night", 6, "23:30:00", service_body_bigint="13", formats="C,TC,ZZZ", duration_time="01:30:00",
            location_text="Community Hall", location_street="100 Main St", location_municipality="Lansdale",
            location_postal_code_1="19446", latitude="40.2415", longitude="-75.2838"),
    ]


@dataclass
class RootServer:
    """What the loopback root server answers; tests edit it between fetches."""

    meetings: list[dict[str, str]] = field(default_factory=sample_meetings)
    bodies: list[dict[str, str]] = field(default_factory=lambda: [dict(b) for b in BODIES])
    formats: list[dict[str, str]] = field(default_factory=lambda: [dict(f) for f in FORMATS])
    feed: list[Any] = field(default_factory=list)  # a Meeting Guide feed served at /meetings.json
    fault: str = ""  # "", "html", "404", "500", "malformed", "huge", "not_a_list"
    requests: list[str] = field(default_factory=list)
    url: str = ""  # the root, e.g. http://127.0.0.1:PORT/main_server

    def descendants(self, ids: set[str]) -> set[str]:
        found = set(ids)
        while True:
            more = {b["id"] for b in self.bodies if b["parent_id"] in found} - found
            if not more:
                return found
            found |= more

    def answer(self, path: str, query: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for one GET."""
        self.requests.append(query)
        if self.fault == "html":
            return 200, "text/html", b"<!doctype html><title>Maintenance</title><p>Back soon</p>"
        if self.fault in ("404", "500"):
            return int(self.fault), "text/html", b"<p>error</p>"
        if self.fault == "malformed":
            return 200, "application/json", b'[{"id_bigint": "1001", "meeting_name": '
        if self.fault == "huge":
            return 200, "application/json", b"[" + b" " * (3 * 1024 * 1024) + b"]"
        if path == "/meetings.json":
            return self._json(self.feed)
        if path.rstrip("/") != INTERFACE.rstrip("/"):
            return 404, "text/html", b"<p>not found</p>"
        args = parse_qs(query, keep_blank_values=True)
        switcher = args.get("switcher", [""])[0]
        root = self.url + "/"
        if switcher == "GetServiceBodies":
            return self._json(self.bodies)
        if switcher == "GetFormats":
            return self._json([{**f, "root_server_uri": root} for f in self.formats])
        if switcher == "GetServerInfo":
            return self._json([{"version": "3.0.3", "versionInt": "3000003", "nativeLang": "en"}])
        if switcher != "GetSearchResults":
            return 422, "text/html", b"Invalid data format or endpoint name."
        services = {s for key in ("services[]", "services") for v in args.get(key, []) for s in v.split(",") if s}
        if services and args.get("recursive", ["0"])[0] == "1":
            services = self.descendants(services)
        rows = [{**m, "root_server_uri": root} for m in self.meetings
                if m["published"] == "1" and (not services or m["service_body_bigint"] in services)]
        if self.fault == "not_a_list":
            return self._json({"meetings": "none"})
        if "get_used_formats" in args:
            used = {key for m in rows for key in m["formats"].split(",") if key}
            formats = [{**f, "root_server_uri": root} for f in self.formats if f["key_string"] in used]
            return self._json({"meetings": rows, "formats": formats})
        return self._json(rows)

    @staticmethod
    def _json(payload: Any) -> tuple[int, str, bytes]:
        return 200, "application/json", json.dumps(payload).encode()


class _Handler(http.server.BaseHTTPRequestHandler):
    server_state: RootServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        status, content_type, body = self.server_state.answer(parts.path, parts.query)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client refused the answer (too large): what the test wanted

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def running(state: RootServer | None = None) -> Iterator[RootServer]:
    """Serve `state` on 127.0.0.1 (a free port) in a thread until the block ends."""
    state = state or RootServer()
    handler = type("Handler", (_Handler,), {"server_state": state})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}{ROOT_PATH}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
