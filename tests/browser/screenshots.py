"""Write the README's phone screenshots to docs/screenshots/ (run: python -m tests.browser.screenshots).

Uses the browser tests' seeded live server, so the pictures show the same small data set around Philadelphia.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from finder import create_app, db, migrate
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, HOME, _QuietHandler, _seed

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 390, "height": 844}
SHOTS = (
    ("home.png", "/", False),
    ("results.png", "/search?lat=39.953&lon=-75.165&tz=America/New_York", False),
    ("filters.png", "/search?q=19103&open=closed&day=mon", True),
    ("meeting.png", "/meetings/clean-and-serene", False),
    ("center.png", "/centers/hope-recovery", False),
    ("counselor.png", "/counselors/alex-rivera", False),
    ("learn-withdrawal.png", "/learn/withdrawal", False),
)


def main() -> int:
    folder = Path(tempfile.mkdtemp())
    url = f"sqlite:///{folder / 'shots.sqlite3'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "screenshots"})
    migrate.upgrade(db.engine_for(app))
    _seed(app)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, locale="en-US",
                                          timezone_id="America/New_York", geolocation=HOME,
                                          permissions=["geolocation"])
            page = context.new_page()
            for name, path, open_filters in SHOTS:
                page.goto(base + path, wait_until="networkidle")
                if open_filters:
                    page.locator("details.filters").evaluate("d => d.open = true")
                    page.locator("details.filters").scroll_into_view_if_needed()
                page.screenshot(path=str(OUT / name))
                print(OUT / name)
            browser.close()
    finally:
        server.shutdown()
        db.dispose_engines(app)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
