"""Safe outbound HTTP: every request the server makes to a URL it was given goes through `Fetcher.get`.

A URL from an admin form, an import file or a remote feed is hostile until checked: it may name an address
inside our network (127.0.0.1, 10.0.0.0/8, the cloud metadata address 169.254.169.254, carrier-grade NAT
100.64.0.0/10 ...), resolve to a public address for the check and a private one for the connection (DNS
rebinding), or redirect to any of those. So a request here:

- accepts only `http` and `https` URLs, without user names or passwords in them;
- resolves the host once, refuses it unless *every* address is globally routable (`ipaddress` `is_global`,
  not multicast; an IPv4-mapped IPv6 address is judged as the IPv4 address it carries), and connects to the
  checked address itself, so no second DNS lookup can change the answer (TLS still verifies the certificate
  against the host name);
- follows at most `max_redirects` redirects, checking every hop like the first URL;
- stops reading past `max_bytes` and gives up after `timeout` seconds in all (connecting, every hop, reading),
  so a slow trickle cannot hold a worker;
- ignores proxy environment variables (a proxy would do the connecting, and its own checks are unknown).

API::

    fetcher = Fetcher()                                     # the system resolver, public addresses only
    response = fetcher.get(url, max_bytes=2**20, timeout=10.0, headers={"Accept": "application/json"})
    response.status, response.url, response.headers["content-type"], response.body  # body: bytes

    get_fetcher(app)   # the app's fetcher: app.extensions["finder.outbound"] when set (tests), else a default

`get` raises `OutboundError` (the message is fit to show an admin) or one of its subclasses: `RefusedURL`
(bad scheme, credentials, an address that is not public, too many redirects), `TooLarge`, `FetchFailed`
(DNS failure, connection refused, timeout, an HTTP status outside 2xx; its `status` is set when the server
answered). Nothing else escapes for network trouble.

Tests never leave the machine: `Fetcher(resolver=stub, allow_loopback=True)` resolves names with a stub
(a callable `(host, port) -> [addresses]`) and may connect to 127.0.0.1/::1, and nothing else that is not
public. `allow_loopback` exists for tests only; the app never sets it. `trusted_hosts` names hosts an
operator configured (a self-hosted Nominatim on a private network): those exact names skip the address check,
and a redirect from them to another host is checked as usual.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

Resolver = Callable[[str, int], list[str]]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_REDIRECTS = 5
REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 64 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}


class OutboundError(Exception):
    """A fetch that did not give a usable answer; the message says why, in words fit for an admin."""


class RefusedURL(OutboundError):
    """The URL (or a redirect) is not one the server may fetch: scheme, credentials or a non-public address."""


class TooLarge(OutboundError):
    """The answer is larger than the limit the caller set."""


class FetchFailed(OutboundError):
    """The host could not be reached or read in time, or answered with an error status (then `status`)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Response:
    """A successful (2xx) answer: the final URL after redirects, its status, headers and the whole body."""

    url: str
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host (the one lookup a fetch makes)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise FetchFailed(f"cannot find the host {host}") from exc
    return [str(info[4][0]) for info in infos]


def _address(text: str) -> Address:
    ip = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone id ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # a NAT64 gateway connects to the IPv4 address in the low bits
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215, local use: never public


def is_public(ip: Address) -> bool:
    """Globally routable unicast: not private, loopback, link-local, shared (100.64/10), reserved or multicast.

    IPv6 addresses that carry an IPv4 address for a translator (NAT64, 6to4) are judged by that IPv4 address.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL:
            return False
        if ip in _NAT64:
            return is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None:
            return is_public(ip.sixtofour)
    return ip.is_global and not ip.is_multicast


@dataclass
class Fetcher:
    """Makes checked GET requests; see the module docstring. Thread-safe (it keeps no per-request state)."""

    resolver: Resolver = system_resolver
    allow_loopback: bool = False  # tests only: the local test server
    trusted_hosts: frozenset[str] = field(default_factory=frozenset)
    user_agent: str = "na-finder/1"

    def check_url(self, url: str) -> tuple[str, str, int, list[Address]]:
        """(scheme, host, port, addresses to connect to) for url; raises RefusedURL or FetchFailed."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise RefusedURL("the URL is not valid") from None
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise RefusedURL("the URL must start with http:// or https://")
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise RefusedURL("the URL has no host name")
        if parts.username is not None or parts.password is not None:
            raise RefusedURL("the URL must not carry a user name or password")
        port = port or _DEFAULT_PORTS[scheme]
        try:
            literal: Address | None = _address(host)
        except ValueError:
            literal = None
        if literal is not None:
            texts = [str(literal)]
        else:
            texts = self.resolver(host, port)
        try:
            addresses = [_address(text) for text in texts]
        except ValueError:
            raise FetchFailed(f"cannot find the host {host}") from None
        if not addresses:
            raise FetchFailed(f"cannot find the host {host}")
        if host.lower() not in self.trusted_hosts:
            for ip in addresses:
                if not (is_public(ip) or (self.allow_loopback and ip.is_loopback)):
                    raise RefusedURL(f"{host} is not on the public internet; the server does not fetch from it")
        return scheme, host, port, addresses

    def get(self, url: str, *, max_bytes: int = DEFAULT_MAX_BYTES, timeout: float = DEFAULT_TIMEOUT,
            headers: Mapping[str, str] | None = None, max_redirects: int = DEFAULT_MAX_REDIRECTS) -> Response:
        """GET url and return the whole 2xx answer; every hop is checked (see the module docstring)."""
        deadline = time.monotonic() + timeout
        sent = {"User-Agent": self.user_agent, "Accept-Encoding": "identity", **(headers or {})}
        for _hop in range(max_redirects + 1):
            scheme, host, port, addresses = self.check_url(url)
            status, reply, body = self._request(scheme, host, port, addresses, _target(url), sent, deadline,
                                                max_bytes)
            if status in REDIRECTS and reply.get("Location"):
                url = urljoin(url, reply["Location"].strip())
                continue
            if not 200 <= status < 300:
                raise FetchFailed(f"{host} answered HTTP {status}", status=status)
            return Response(url=url, status=status, headers=reply, body=body)
        raise RefusedURL(f"more than {max_redirects} redirects")

    def _request(self, scheme: str, host: str, port: int, addresses: Iterable[Address], target: str,
                 headers: Mapping[str, str], deadline: float, max_bytes: int
                 ) -> tuple[int, http.client.HTTPMessage, bytes]:
        connection = _connect(scheme, host, port, list(addresses), deadline)
        sock = connection.sock  # kept: http.client lets go of it once a response owns the connection
        try:
            connection.request("GET", target, headers=dict(headers))
            sock.settimeout(_remaining(deadline, host))
            response = connection.getresponse()
            if response.status in REDIRECTS:
                return response.status, response.headers, b""
            length = response.headers.get("Content-Length", "")
            if length.isascii() and length.isdigit() and int(length) > max_bytes:
                raise TooLarge(f"the answer from {host} is larger than the {max_bytes} byte limit")
            return response.status, response.headers, _read(response, sock, host, deadline, max_bytes)
        except OutboundError:
            raise
        except (OSError, http.client.HTTPException) as exc:
            raise FetchFailed(f"cannot fetch from {host}: {_reason(exc)}") from None
        finally:
            connection.close()


def _target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _remaining(deadline: float, host: str) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchFailed(f"{host} took too long to answer")
    return left


def _reason(exc: BaseException) -> str:
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "timed out"
    return str(getattr(exc, "strerror", None) or exc.__class__.__name__)


def _read(response: http.client.HTTPResponse, sock: socket.socket, host: str, deadline: float,
          max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        sock.settimeout(_remaining(deadline, host))
        chunk = response.read1(_CHUNK) if not response.closed else b""
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"the answer from {host} is larger than the {max_bytes} byte limit")
        chunks.append(chunk)


def _connect(scheme: str, host: str, port: int, addresses: list[Address],
             deadline: float) -> http.client.HTTPConnection:
    """A connection to host that opens its socket to one of the checked addresses, never to a new lookup."""

    def pinned(_address: Any, timeout: Any = None, source_address: Any = None) -> socket.socket:
        last: OSError | None = None
        for ip in addresses:
            try:
                return socket.create_connection((str(ip), port), timeout=_remaining(deadline, host))
            except OSError as exc:
                last = exc
        raise last or OSError("no address")

    timeout = _remaining(deadline, host)
    connection: http.client.HTTPConnection
    if scheme == "https":
        # Certificates are checked against the host name (SNI too), whatever address we connect to.
        connection = http.client.HTTPSConnection(host, port, timeout=timeout,
                                                 context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
    connection._create_connection = pinned  # type: ignore[attr-defined]  # the one seam http.client offers
    try:
        connection.connect()
    except ssl.SSLError as exc:
        connection.close()
        raise FetchFailed(f"cannot fetch from {host}: TLS failed ({exc.reason or exc})") from None
    except OSError as exc:
        connection.close()
        raise FetchFailed(f"cannot fetch from {host}: {_reason(exc)}") from None
    return connection


# The fetcher used outside an app or when the app names none; tests swap it (monkeypatch) for a loopback one.
default_fetcher = Fetcher()


def get_fetcher(app: Any | None = None) -> Fetcher:
    """The fetcher of app, or of the current app when there is one: app.extensions["finder.outbound"] when
    set (tests put one with a stub resolver there), else the default (system resolver, public addresses)."""
    if app is None:
        from flask import current_app, has_app_context

        app = current_app if has_app_context() else None
    if app is not None:
        found = app.extensions.get("finder.outbound")
        if found is not None:
            return found
    return default_fetcher
