"""Outbound fetching: public addresses only, one lookup per hop, every redirect checked, size and time limits.

Everything runs against a loopback server and a stub resolver: no test sends traffic off the machine.
"""
from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator

import pytest

from finder import outbound
from finder.outbound import Fetcher, FetchFailed, RefusedURL, TooLarge


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path, _, query = self.path.partition("?")
        if path == "/ok":
            self._send(200, b'{"ok": true}', extra={"X-Host-Seen": self.headers.get("Host", "")})
        elif path == "/redirect":
            self._send(302, b"", extra={"Location": query.removeprefix("to=")})
        elif path == "/loop":
            self._send(302, b"", extra={"Location": "/loop"})
        elif path == "/big":
            self._send(200, b"x" * 5000)
        elif path == "/unannounced":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"x" * 5000)
            self.close_connection = True
        elif path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(100):  # one byte every 50 ms: each read is quick, the whole answer is not
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.05)
        else:
            self._send(404, b"not found")

    def _send(self, status: int, body: bytes, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join()


class StubResolver:
    """Names -> addresses, counting every lookup; an unknown name fails like DNS would."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host not in self.table:
            raise FetchFailed(f"cannot find the host {host}")
        return list(self.table[host])


def local(table: dict[str, list[str]] | None = None) -> tuple[Fetcher, StubResolver]:
    resolver = StubResolver({"feed.test": ["127.0.0.1"], **(table or {})})
    return Fetcher(resolver=resolver, allow_loopback=True), resolver


def test_fetches_through_the_stub_resolver_and_sends_the_real_host(port):
    fetcher, resolver = local()
    response = fetcher.get(f"http://feed.test:{port}/ok")
    assert response.status == 200 and response.body == b'{"ok": true}'
    assert response.headers["X-Host-Seen"] == f"feed.test:{port}"
    assert resolver.calls == ["feed.test"]


def test_one_lookup_per_hop_connects_to_the_checked_address(port):
    """DNS rebinding: the second answer would be private, but there is no second lookup."""
    fetcher, resolver = local()
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])
    fetcher.resolver = lambda host, port_: resolver.calls.append(host) or next(answers)
    assert fetcher.get(f"http://feed.test:{port}/ok").status == 200
    assert resolver.calls == ["feed.test"]


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "100.127.255.254", "169.254.169.254",
    "0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1", "::1", "fe80::1", "fc00::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::", "ff02::1", "64:ff9b:1::1", "64:ff9b::a9fe:a9fe",
    "64:ff9b::7f00:1", "2002:7f00:1::1", "2002:a00:1::1",
])
def test_non_public_addresses_are_refused(address):
    fetcher = Fetcher(resolver=StubResolver({"inside.test": [address]}))
    with pytest.raises(RefusedURL, match="not on the public internet"):
        fetcher.check_url("http://inside.test/feed.json")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://[::1]/", "http://[::ffff:7f00:1]/", "http://100.64.0.1/", "http://0x7f000001/",
    "http://2130706433/", "http://localhost./",
])
def test_literal_and_disguised_internal_hosts_are_refused(url):
    # 0x7f000001 and 2130706433 are not IP literals to Python; the real resolver would turn them into
    # 127.0.0.1, which the stub mimics.
    fetcher = Fetcher(resolver=StubResolver({"0x7f000001": ["127.0.0.1"], "2130706433": ["127.0.0.1"],
                                             "localhost": ["127.0.0.1", "::1"]}))
    with pytest.raises(RefusedURL):
        fetcher.check_url(url)


def test_one_private_address_among_public_ones_is_refused():
    fetcher = Fetcher(resolver=StubResolver({"mixed.test": ["93.184.216.34", "10.0.0.5"]}))
    with pytest.raises(RefusedURL):
        fetcher.check_url("https://mixed.test/")


def test_public_addresses_pass_the_check():
    fetcher = Fetcher(resolver=StubResolver({"feeds.test": ["93.184.216.34", "2606:2800:220:1::1"]}))
    scheme, host, port, addresses = fetcher.check_url("https://feeds.test/meetings.json")
    assert (scheme, host, port) == ("https", "feeds.test", 443) and len(addresses) == 2


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "ftp://feed.test/x", "gopher://feed.test/", "javascript:alert(1)", "//feed.test/x",
    "http://user:secret@feed.test/", "http:///nohost", "http://feed.test:99999/", "data:text/plain,hi",
])
def test_only_plain_http_and_https_urls(url):
    fetcher, resolver = local()
    with pytest.raises(RefusedURL):
        fetcher.check_url(url)
    assert resolver.calls == []


def test_loopback_needs_the_explicit_test_switch(port):
    fetcher = Fetcher(resolver=StubResolver({"feed.test": ["127.0.0.1"]}))
    with pytest.raises(RefusedURL):
        fetcher.get(f"http://feed.test:{port}/ok")


def test_every_redirect_hop_is_checked(port):
    fetcher, _ = local({"inside.test": ["192.168.0.10"], "cgnat.test": ["100.64.3.4"]})
    base = f"http://feed.test:{port}"
    assert fetcher.get(f"{base}/redirect?to={base}/ok").body == b'{"ok": true}'
    assert fetcher.get(f"{base}/redirect?to=/ok").status == 200  # relative Location
    for target in ("http://inside.test/x", "http://cgnat.test/x", "http://169.254.169.254/latest/meta-data/",
                   "file:///etc/passwd"):
        with pytest.raises(RefusedURL):
            fetcher.get(f"{base}/redirect?to={target}")


def test_redirects_are_bounded(port):
    fetcher, _ = local()
    with pytest.raises(RefusedURL, match="redirects"):
        fetcher.get(f"http://feed.test:{port}/loop", max_redirects=3)
    with pytest.raises(RefusedURL, match="redirects"):
        fetcher.get(f"http://feed.test:{port}/redirect?to=/ok", max_redirects=0)


def test_size_limit_with_and_without_content_length(port):
    fetcher, _ = local()
    for path in ("/big", "/unannounced"):
        with pytest.raises(TooLarge, match="1000 byte limit"):
            fetcher.get(f"http://feed.test:{port}{path}", max_bytes=1000)
    assert len(fetcher.get(f"http://feed.test:{port}/unannounced", max_bytes=5000).body) == 5000


def test_whole_answer_time_limit_stops_a_trickle(port):
    fetcher, _ = local()
    with pytest.raises(FetchFailed, match="too long|timed out"):
        fetcher.get(f"http://feed.test:{port}/trickle", timeout=0.5)


def test_errors_are_outbound_errors(port):
    fetcher, _ = local()
    with pytest.raises(FetchFailed) as missing:
        fetcher.get(f"http://feed.test:{port}/missing")
    assert missing.value.status == 404 and "HTTP 404" in str(missing.value)
    with pytest.raises(FetchFailed, match="cannot find the host"):
        fetcher.get("http://unknown.test/")
    with pytest.raises(FetchFailed, match="cannot fetch"):
        fetcher.get("http://feed.test:9/")  # nothing listens on the discard port


def test_trusted_hosts_skip_only_their_own_check(port):
    fetcher = Fetcher(resolver=StubResolver({"nominatim.internal": ["127.0.0.1"], "other.internal": ["10.0.0.2"]}),
                      trusted_hosts=frozenset({"nominatim.internal"}))
    assert fetcher.get(f"http://nominatim.internal:{port}/ok").status == 200
    with pytest.raises(RefusedURL):
        fetcher.get(f"http://nominatim.internal:{port}/redirect?to=http://other.internal/")


def test_app_fetcher_seam(sqlite_app):
    app = sqlite_app
    stub = Fetcher(resolver=StubResolver({}), allow_loopback=True)
    app.extensions["finder.outbound"] = stub
    with app.app_context():
        assert outbound.get_fetcher() is stub
    assert outbound.get_fetcher() is outbound.default_fetcher
