"""What templates may call besides filters: directions links, explanation links, all registered on the app."""
from __future__ import annotations

from finder.web import template_globals


def test_maps_links_are_plain_links_with_the_point_https_first():
    found = template_globals.maps_links(39.9487, -75.1685, "St. Mark's Church, 1625 Locust St")
    links = dict(found)
    # https links open on every phone and computer; geo: (Android only) comes last, never first.
    assert [url.split(":", 1)[0] for _, url in found] == ["https", "https", "https", "geo"]
    assert links["Open in your maps app"].startswith("geo:39.948700,-75.168500?q=39.948700,-75.168500(")
    assert links["Apple Maps"].startswith("https://maps.apple.com/?daddr=39.948700,-75.168500")
    assert "destination=39.948700,-75.168500" in links["Google Maps"]
    assert links["OpenStreetMap"].startswith("https://www.openstreetmap.org/directions?to=39.948700,-75.168500")
    assert all("'" not in url and " " not in url for url in links.values())


def test_explanation_urls_for_services_and_approaches():
    assert template_globals.service_url("BU") == "/learn/detox#med-buprenorphine"
    assert template_globals.service_url("A2") == "/learn/detox#med-alpha2"
    assert template_globals.service_url("DT") == "/learn/detox"
    assert template_globals.service_url("RES") == "/learn/rehab"
    assert template_globals.service_url("MD") is None
    assert template_globals.approach_url("psychodynamic") == "/learn/counseling#approach-psychodynamic"
    assert template_globals.approach_url("unknown") is None


def test_every_global_is_registered_on_the_app(sqlite_app):
    registered = sqlite_app.jinja_env.globals
    assert all(registered[name] is value for name, value in template_globals.GLOBALS.items())


def test_pages_see_the_site_and_language_values(sqlite_app):
    with sqlite_app.test_request_context("/"):
        values: dict = {}
        sqlite_app.update_template_context(values)
    assert values["site_name"] == sqlite_app.config["SITE_NAME"] and values["language"] == "en"
    assert {"demo_data", "map_tile_url", "language_links", "language_field"} <= values.keys()
