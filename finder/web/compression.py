"""gzip for HTML and JSON responses above a size when the client accepts it; never for calendars."""
from __future__ import annotations

import gzip

from flask import Flask, Response, request

MIN_BYTES = 1024  # below this gzip's header and CPU cost more than they save
LEVEL = 5  # close to level 9's size on HTML/JSON at about half the CPU: this machine has two cores
# A page or a search answer (under SMALL_BYTES) is compressed per request, mostly for one reader: zlib's fast
# levels (1-3) halve that CPU (a 34 KB results page: 0.58 -> 0.33 ms; a 29 KB JSON search: 0.38 -> 0.19 ms)
# for about 10 % more bytes (5.8 -> 6.3 KB, 3.9 -> 4.3 KB), which still leave in the first round trip of a new
# connection (ten segments, about 14 KB). Bigger bodies (whole feeds) are compressed once and sent many times.
SMALL_LEVEL = 3
SMALL_BYTES = 64 * 1024
COMPRESSIBLE = frozenset({
    "text/html", "application/json", "application/geo+json", "application/problem+json",
    "application/schema+json", "application/vnd.oai.openapi+json",
})
# Calendar clients (and some proxies in front of them) mishandle Content-Encoding on subscriptions.
NEVER = frozenset({"text/calendar"})


def compressible(mimetype: str, size: int) -> bool:
    """True for an HTML or JSON body big enough to be worth gzipping (never a calendar)."""
    return mimetype in COMPRESSIBLE and mimetype not in NEVER and size >= MIN_BYTES


def gzip_bytes(body: bytes) -> bytes:
    """The gzip encoding every response uses (fixed mtime, so equal bodies give equal bytes and ETags)."""
    return gzip.compress(body, compresslevel=SMALL_LEVEL if len(body) < SMALL_BYTES else LEVEL, mtime=0)


def accepts_gzip() -> bool:
    """True when Accept-Encoding gives gzip (or *) a non-zero quality."""
    return request.accept_encodings["gzip"] > 0


def compress_response(response: Response) -> Response:
    """after_request hook: gzip the body in place when it is worth it and allowed."""
    mimetype = response.mimetype or ""
    if mimetype in NEVER or mimetype not in COMPRESSIBLE:
        return response
    response.vary.add("Accept-Encoding")
    if (
        request.method == "HEAD"
        or response.status_code < 200 or response.status_code in (204, 206, 304)
        or response.direct_passthrough
        or response.is_streamed
        or "Content-Encoding" in response.headers
        or not accepts_gzip()
    ):
        return response
    body = response.get_data()
    if len(body) < MIN_BYTES:
        return response
    return send_gzipped(response, gzip_bytes(body))


def send_gzipped(response: Response, gz: bytes) -> Response:
    """Make `gz` (the gzip encoding of the response's body) what is sent, with its own ETag."""
    response.set_data(gz)
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag:
        # The gzip bytes are a different representation; a distinct tag keeps caches from mixing them.
        response.set_etag(f"{etag}-gzip", weak=bool(weak))
    return response


def init_app(app: Flask) -> None:
    app.after_request(compress_response)
