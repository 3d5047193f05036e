"""Moderators on a phone: the queue and a submission read at 390 px with every word whole and values in words."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from finder import db
from finder.admin import auth
from finder.submissions import workflow

pytestmark = pytest.mark.browser

# Every word in the page's tables and lists that is drawn on more than one line (a word cut at the end of a
# line is drawn on two).
_BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('main td, main th, main dd, main dt, main h1, main li')) {
    if (cell.closest('.vh, thead')) { continue; }  // read by screen readers only (visually 1 px wide)
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent;
      for (const match of text.matchAll(/[A-Za-z]{2,}/g)) {
        const range = document.createRange();
        range.setStart(node, match.index); range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (lines.size > 1) { broken.push(match[0]); }
      }
    }
  }
  return broken;
}"""


def test_queue_and_review_read_whole_words_at_390(form_server, new_page, monkeypatch):  # noqa: F811  # type: ignore[no-untyped-def]
    monkeypatch.setattr(auth, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
    url, app = form_server
    now = dt.datetime.now(dt.timezone.utc)
    session = db.session_factory(app)()
    try:
        auth.create_user(session, email="mod@example.org", password="correct horse battery", role="admin",
                         now=now, name="Mo")
        proposal = {"name": "Recovery Unlimited Wednesday Candlelight Meditation",
                    "times": [{"weekday": 2, "start": "19:30", "duration_minutes": 90}],
                    "formats": ["C", "CAN", "MED"], "attendance": "hybrid", "language": "es", "service_body_id": None,
                    "place": {"name": "Fellowship Hall", "street": "1 Main St", "city": "Philadelphia", "region": "PA",
                              "postal_code": "19103", "country": "US", "notes": "", "latitude": 39.95,
                              "longitude": -75.16, "precision": "rooftop", "timezone": "America/New_York"},
                    "conference_url": "https://meet.example.org/j/1234567890", "conference_notes": "",
                    "phone": "", "phone_notes": "", "notes": ""}
        workflow.submit(session, kind="new", payload=proposal, now=now, contact={"contact_name": "Sam"})
        session.commit()
    finally:
        session.close()

    page: Any = new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{url}/admin/")
    page.get_by_label("E-mail").fill("mod@example.org")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Waiting for a decision (1)").wait_for()
    assert page.evaluate(_BROKEN_WORDS) == []
    page.get_by_role("link", name="NA-").first.click()
    page.get_by_role("heading", name="Proposed meeting").wait_for()
    assert page.evaluate(_BROKEN_WORDS) == []
    text = page.locator("table.diff").inner_text()
    # Stored codes read as words.
    for words in ("Wednesday 7:30 PM", "Closed", "Candlelight", "In person and online", "Spanish"):
        assert words in text
    for code in ("hybrid", "19:30", "CAN"):
        assert code not in text
