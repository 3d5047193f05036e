"""The submission form in a real headless Chromium at a phone's size: fill, fix an error, add a day, check, send."""
from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from finder import db
from finder.models import Submission

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
PHONE = {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}


def _unavailable(reason: str) -> None:
    from conftest import unavailable

    unavailable(reason)


@pytest.fixture
def live_server(sqlite_app):
    """The app served on 127.0.0.1 by werkzeug in a thread; places found by a small fake geocoder."""
    sqlite_app.extensions["finder.geocoder"] = SimpleNamespace(geocode=lambda text: SimpleNamespace(
        lat=39.9524, lon=-75.1636, label="Philadelphia, PA", precision="postal_code", timezone="America/New_York"
    ) if "19103" in text or "philadelphia" in text.lower() else None)
    sqlite_app.extensions["finder.timezone_at"] = lambda lat, lon: "America/New_York"
    server = make_server("127.0.0.1", 0, sqlite_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def phone_page():
    if not Path(CHROMIUM).exists():
        _unavailable(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as exc:
            _unavailable(f"Chromium would not start: {str(exc).splitlines()[0]}")
        context = browser.new_context(**PHONE)
        page = context.new_page()
        yield page
        context.close()
        browser.close()


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.browser
def test_submit_a_meeting_on_a_phone(live_server, phone_page, sqlite_app):
    page = phone_page
    page.goto(f"{live_server}/submit/new")
    assert page.get_by_role("heading", name="Add a meeting").is_visible()
    assert no_sideways_scroll(page)

    page.get_by_label("Meeting name").fill("Hope Without Fear <b>")
    page.get_by_label("Open: anyone may attend").check()
    page.get_by_label("Beginners").check()
    page.locator("#f-day_0").select_option("1")
    page.locator("#f-start_0").fill("19:30")
    page.get_by_label("City").fill("Philadelphia")
    page.get_by_label("Postal code").fill("19103")
    page.get_by_role("button", name="Check before sending").click()

    # The street was left out: the message sits beside the field, tied to it, and what was typed is kept.
    error = page.locator("#f-street-error")
    assert error.is_visible() and "street address" in error.inner_text()
    assert "f-street-error" in page.locator("#f-street").get_attribute("aria-describedby")
    assert page.locator("#f-street").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Meeting name").input_value() == "Hope Without Fear <b>"
    assert page.locator("#error-summary").is_visible()

    page.get_by_role("button", name="Add another day").click()
    assert page.locator("#f-day_2").count() == 1
    page.locator("#f-day_1").select_option("3")
    page.locator("#f-start_1").fill("12:00")
    page.get_by_label("Street address").fill("1625 Locust St")
    page.get_by_role("button", name="Check before sending").click()

    assert page.get_by_role("heading", name="Where we placed it").is_visible()
    assert page.get_by_label("Latitude").input_value().startswith("39.95")
    assert no_sideways_scroll(page)
    page.get_by_role("button", name="Send").click()

    assert page.get_by_text("Thank you, we received it.").is_visible()
    reference = page.get_by_role("heading").first.inner_text().split()[-1]
    assert reference.startswith("NA-")
    assert no_sideways_scroll(page)

    session = db.session_factory(sqlite_app)()
    try:
        stored = session.scalars(select(Submission)).one()
        assert stored.reference == reference and stored.payload["name"] == "Hope Without Fear <b>"
        assert [t["weekday"] for t in stored.payload["times"]] == [1, 3]
    finally:
        session.close()
