"""finder.imports.views: the admin import page (upload, dry run, from a URL, limits, admins only)."""
from __future__ import annotations

from finder.models import Meeting
from tests.helpers import FIXTURES, count


def _upload(client, token, kind, files, **fields):
    import io

    data = {"csrf_token": token, "kind": kind, **fields}
    for name, content in files.items():
        data[name] = (io.BytesIO(content), f"{name}.upload")
    return client.post("/admin/imports/", data=data, content_type="multipart/form-data")


CSV = ("slug,name,times,formats,latitude,longitude,city,timezone\r\n"
       "up-one,Uploaded One,mon 19:00 60,O,39.95,-75.16,Philadelphia,America/New_York\r\n"
       "up-bad,Bad,someday,O,39.95,-75.16,Philadelphia,America/New_York\r\n").encode()


def test_upload_dry_run_then_import(client, session, logged_in) -> None:
    token = logged_in("admin")
    page = client.get("/admin/imports/")
    assert page.status_code == 200 and b"Import data" in page.data
    checked = _upload(client, token, "csv-meetings", {"file": CSV}, dry_run="1")
    assert checked.status_code == 200 and b"nothing was saved" in checked.data and b"should look like" in checked.data
    assert count(session, Meeting) == 0
    done = _upload(client, token, "csv-meetings", {"file": CSV})
    assert done.status_code == 200 and b"1 added" in done.data
    session.expire_all()
    assert count(session, Meeting) == 1


def test_upload_bmlt_files_and_fatal_errors(client, session, logged_in) -> None:
    token = logged_in("admin")
    files = {"results": (FIXTURES / "bmlt_search_results.json").read_bytes(),
             "formats": (FIXTURES / "bmlt_formats.json").read_bytes(),
             "service_bodies": (FIXTURES / "bmlt_service_bodies.json").read_bytes()}
    assert b"4 added" in _upload(client, token, "bmlt", files).data
    broken = _upload(client, token, "meeting-guide", {"file": b"{oops"})
    assert broken.status_code == 400 and b"Nothing was imported" in broken.data
    missing = _upload(client, token, "samhsa", {})
    assert missing.status_code == 400 and b"choose a file" in missing.data
    inside = _upload(client, token, "meeting-guide", {}, url="http://127.0.0.1:9/feed.json")
    assert inside.status_code == 400 and b"not on the public internet" in inside.data
    assert _upload(client, token, "nonsense", {"file": b"x"}).status_code == 400


def test_upload_is_for_admins_only(client, logged_in) -> None:
    assert client.get("/admin/imports/").status_code == 302  # to the login page
    logged_in("observer")
    assert client.get("/admin/imports/").status_code == 403


def test_hostile_json_upload_is_a_400_with_a_report(client, logged_in) -> None:
    token = logged_in("admin")
    for data in (b"[" * 100_000, b"[" * 5000 + b"]" * 5000, b'[{"day": ' + b"9" * 5000 + b"}]"):
        response = _upload(client, token, "meeting-guide", {"file": data})
        assert response.status_code == 400 and b"Nothing was imported" in response.data


def test_upload_under_the_import_limit_is_read_even_above_the_form_limit(app, client, logged_in) -> None:
    """The import cap applies before the CSRF check reads the form: 3 MB under a 20 MB cap is not a 413."""
    token = logged_in("admin")
    assert app.config["MAX_CONTENT_LENGTH"] < 3_000_000 < app.config["IMPORT_MAX_BYTES"]
    import io

    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    def post(size: int, **fields: str):
        # Encoded in memory: the test client would spool a large body to a temporary file it never closes.
        boundary, body = encode_multipart({"csrf_token": token, "kind": "meeting-guide", **fields,
                                           "file": FileStorage(io.BytesIO(b"[" + b" " * size + b"]"), "feed.json")})
        return client.post("/admin/imports/", data=body, content_type=f"multipart/form-data; boundary={boundary}")

    assert post(3_000_000, dry_run="1").status_code == 200  # was a 413 from the general 2 MB limit
    assert post(3 * app.config["IMPORT_MAX_BYTES"] + 70_000).status_code == 413


def test_upload_from_url_goes_through_the_app_fetcher(app, client, logged_in, local_server: str) -> None:
    """Import from URL uses finder.outbound: a name is resolved once, by the app's resolver, and checked."""
    from finder import outbound

    token = logged_in("admin")
    port = local_server.rsplit(":", 1)[1]
    app.extensions["finder.outbound"] = outbound.Fetcher(
        resolver=lambda host, _port: {"feeds.test": ["127.0.0.1"], "cgnat.test": ["100.64.9.9"]}[host],
        allow_loopback=True)
    fetched = _upload(client, token, "meeting-guide", {}, url=f"http://feeds.test:{port}/feed.json")
    assert fetched.status_code == 200 and b"4 added" in fetched.data
    refused = _upload(client, token, "meeting-guide", {}, url=f"http://cgnat.test:{port}/feed.json")
    assert refused.status_code == 400 and b"not on the public internet" in refused.data
