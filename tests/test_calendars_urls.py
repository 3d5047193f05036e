"""Tests for finder.calendars.urls: the subscribe and download links the calendar partial shows."""
from flask import render_template_string


def test_a_meeting_page_offers_two_choices_with_the_apps_behind_subscribe(app, session, make_meeting, make_body):
    area = make_body(kind="area", name="Center City Area")
    group = make_body(kind="group", name="Serenity Group", parent_id=area.id)
    meeting = make_meeting(times=[(0, "19:30", 60), (3, "19:30", 60)], group_id=group.id, service_body_id=area.id)
    session.commit()
    with app.test_request_context("/meetings/x"):
        html = render_template_string('{% include "calendars/_calendar_actions.html" %}', meeting=meeting)
    assert "Subscribe (stays up to date)" in html and "Download once (.ics)" in html
    subscribe = html.split("<details", 1)[1].split("</details>", 1)[0]
    assert f'href="webcal://localhost/meetings/{meeting.slug}.ics"' in subscribe
    assert f'value="http://localhost/meetings/{meeting.slug}.ics"' in subscribe
    assert "calendar.google.com/calendar/r?cid=webcal" in subscribe
    assert "outlook.live.com/calendar/0/addfromweb?url=http" in subscribe
    assert "outlook.office.com/calendar/0/addfromweb?url=http" in subscribe
    assert "action=TEMPLATE" not in html  # one-off copies are not a subscription: only "Download once" is
    assert f'href="/calendars/add/{meeting.id}"' in html
    assert f'href="/calendars/group/{group.id}"' in html and "All meetings of Serenity Group" in html
    assert f'href="/calendars/body/{area.id}"' in html


def test_the_reminder_option_rewrites_every_link(app, session, make_meeting):
    meeting = make_meeting()
    session.commit()
    with app.test_request_context(f"/meetings/{meeting.slug}?alarm=30"):
        html = render_template_string('{% include "calendars/_calendar_actions.html" %}', meeting=meeting)
    assert "<details class=\"calendar-subscribe\" open>" in html
    assert f"webcal://localhost/meetings/{meeting.slug}.ics?alarm=30" in html
    assert f"cid=webcal%3A%2F%2Flocalhost%2Fmeetings%2F{meeting.slug}.ics%3Falarm%3D30" in html
    assert f'href="http://localhost/meetings/{meeting.slug}.ics?alarm=30" download' in html
    assert '<option value="30" selected>30 minutes before</option>' in html and "Remove: Alerts" in html
    with app.test_request_context(f"/meetings/{meeting.slug}?alarm=99999"):  # out of range: no reminder offered
        html = render_template_string('{% include "calendars/_calendar_actions.html" %}', meeting=meeting)
    assert "alarm=" not in html.split("<form", 1)[0]


def test_calendar_actions_partial_for_results(app):
    with app.test_request_context("/search?q=19103&radius=5&day=tue&day=mon&page=2"):
        html = render_template_string('{% include "calendars/_calendar_actions.html" %}')
    assert "webcal://localhost/calendars/search.ics?day=mon&amp;day=tue&amp;q=19103&amp;radius=5" in html
    assert "page=2" not in html.split("<form", 1)[0]
    with app.test_request_context("/search"):
        assert "webcal" not in render_template_string('{% include "calendars/_calendar_actions.html" %}')
