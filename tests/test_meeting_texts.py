"""A meeting's free text in more than one language (issue 20, item 7): checking, storing, choosing, and every way
in (the submission form, Meeting Guide and CSV imports) and out (pages with lang attributes, the API, calendars,
the Meeting Guide feed, the CSV export)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from html.parser import HTMLParser
from types import SimpleNamespace as NS

import icalendar
import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from finder.admin.auth import create_user
from finder.core import ical, texts
from finder.core.vocab import FORMAT_BY_CODE
from finder.imports import FatalImportError, csv_meetings, exports, meeting_guide
from finder.imports import writer as r
from finder.models import Meeting, Submission
from finder.submissions import workflow
from tests.helpers import FakeGeocoder

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
RESOLVER = r.Resolver(geocode=None, timezone_at=lambda lat, lon: "America/New_York")


def meeting_form(**overrides):
    values = {
        "name": "Hope Without Fear", "day_0": "1", "start_0": "19:30", "duration_0": "90", "open_closed": "O",
        "attendance": "in_person", "language": "en", "location_name": "St. Mark's Church",
        "street": "1625 Locust St", "city": "Philadelphia", "region": "PA", "postal_code": "19103",
        "country": "US", "location_notes": "Basement, side door", "notes": "",
    }
    values.update(overrides)
    return MultiDict(values)


def located(values):
    return workflow.with_location(values, workflow.Located(39.9487, -75.1685, "rooftop", "America/New_York",
                                                           "Philadelphia"))


@pytest.fixture
def admin(session, now, cheap_password_hashes):
    return create_user(session, email="admin@example.org", password="correct horse battery", role="admin",
                       now=now, name="Ada")

SPANISH = {"notes": "Traiga su Texto Básico.", "location_notes": "Sótano, puerta lateral",
           "conference_notes": "Código: 123", "phone_notes": "Marque el 1"}


# --- the pure core -------------------------------------------------------------------------------------------


def test_clean_keeps_known_languages_and_fields_and_tidies():
    cleaned = texts.clean({"ES-mx": {"notes": "  Hola <b>amigos</b>  ", "phone_notes": ""}, "fr": {"notes": ""}},
                          own_language="en")
    assert cleaned == {"es": {"notes": "Hola <b>amigos</b>"}}  # HTML is text: the pages escape it


@pytest.mark.parametrize("value, message", [
    ([1, 2], "must be an object of languages"),
    ({"xx": {"notes": "a"}}, "not a language we know"),
    ({"en": {"notes": "a"}}, "meeting's own language"),
    ({"es": {"name": "a"}}, "cannot be translated"),
    ({"es": {"notes": {"deep": ["junk"]}}}, "must be text, not dict"),
    ({"es": "plain text"}, "must be an object of fields"),
    ({"es": {"notes": "a" * 20_001}}, "longer than 20000"),
    ({"es": {"location_notes": "a" * 501}}, "longer than 500"),
    ({f"{code}": {"notes": "a"} for code, _ in texts.LANGUAGES[1:11]}, "at most 8 languages"),
])
def test_clean_refuses_what_cannot_be_stored(value, message):
    with pytest.raises(texts.TextError, match=message):
        texts.clean(value, own_language="en")


def test_pick_prefers_the_readers_language_then_the_original():
    meeting = NS(language="en", notes="Bring a Basic Text.", place=NS(notes="Basement"),
                 translations={"es": {"notes": "Traiga su Texto Básico."}})
    assert texts.pick(meeting, "notes", "es") == texts.LocalText("Traiga su Texto Básico.", "es")
    assert texts.pick(meeting, "notes", "en") == texts.LocalText("Bring a Basic Text.", "en")
    assert texts.pick(meeting, "notes", "fr") == texts.LocalText("Bring a Basic Text.", "en")
    # Not translated: as written, marked with the meeting's language.
    assert texts.pick(meeting, "location_notes", "es") == texts.LocalText("Basement", "en")
    # Only a translation was given: it is shown, marked with its own language.
    only = NS(language="en", notes="", place=None, translations={"es": {"notes": "Solo en español"}})
    assert texts.pick(only, "notes", "en") == texts.LocalText("Solo en español", "es")
    assert not texts.pick(only, "phone_notes", "en")


# --- the model ---------------------------------------------------------------------------------------------------


def test_translations_are_stored_and_cleaned_at_the_boundary(session, make_meeting):
    meeting = make_meeting(translations={"es": {"notes": "Hola\x00\u202e mundo", "phone_notes": 5}, "fr": "x"})
    session.commit()
    session.expire_all()
    stored = session.get(Meeting, meeting.id)
    assert stored.translations == {"es": {"notes": "Hola mundo"}}
    assert make_meeting().translations == {}


# --- pages ---------------------------------------------------------------------------------------------------


class Marked(HTMLParser):
    """Each text on a page with the nearest lang attribute around it."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr"}

    def __init__(self, html: str) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.found: list[tuple[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(dict(attrs).get("lang") or (self.stack[-1] if self.stack else ""))

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if data.strip():
            self.found.append((" ".join(data.split()), self.stack[-1] if self.stack else ""))

    def lang_of(self, text: str) -> str:
        return next(lang for found, lang in self.found if text in found)


def test_the_page_shows_the_readers_language_and_marks_every_text(client, session, make_meeting):
    meeting = make_meeting(language="en", notes="Bring a <b>Basic Text</b>.", attendance="hybrid",
                           conference_url="https://zoom.us/j/1", conference_notes="Passcode: 123",
                           place_fields={"notes": "Basement, side door"},
                           translations={"es": dict(SPANISH, notes="Traiga su <b>Texto Básico</b>.")})
    session.commit()
    english = client.get(f"/meetings/{meeting.slug}?locale=en").get_data(as_text=True)
    page = Marked(english)
    assert page.lang_of("Bring a <b>Basic Text</b>.") == "en"  # escaped: shown as text, never markup
    assert "&lt;b&gt;Basic Text&lt;/b&gt;" in english and "Texto" not in english
    assert page.lang_of("Basement, side door") == "en" and page.lang_of("Passcode: 123") == "en"

    spanish = Marked(client.get(f"/meetings/{meeting.slug}?locale=es").get_data(as_text=True))
    assert spanish.lang_of("Traiga su <b>Texto Básico</b>.") == "es"
    assert spanish.lang_of("Sótano, puerta lateral") == "es" and spanish.lang_of("Código: 123") == "es"
    assert not any("Bring a" in text for text, _ in spanish.found)


def test_a_spanish_meeting_on_an_english_page_is_marked_spanish(client, session, make_meeting):
    meeting = make_meeting(language="es", notes="Reunión en español.", place_fields={"notes": "Sótano"})
    session.commit()
    page = Marked(client.get(f"/meetings/{meeting.slug}?locale=en").get_data(as_text=True))
    assert page.lang_of("Reunión en español.") == "es" and page.lang_of("Sótano") == "es"
    assert page.lang_of("Notes") == "en"  # the page's own words stay in the page's language


# --- the API, calendars and the Meeting Guide feed ----------------------------------------------------------------


def test_api_lists_translations_and_hides_online_notes_of_an_in_person_meeting(client, session, make_meeting):
    meeting = make_meeting(notes="Bring a Basic Text.", translations={"es": SPANISH})
    session.commit()
    data = client.get(f"/api/v1/meetings/{meeting.slug}").get_json()
    assert data["language"] == "en" and data["notes"] == "Bring a Basic Text."
    assert data["translations"] == {"es": {"notes": SPANISH["notes"], "location_notes": SPANISH["location_notes"]}}


def calendar_meeting(**overrides):
    values = dict(
        id=7, slug="m", name="Clean and Serene", attendance="hybrid", status="active", language="en",
        conference_url="https://zoom.us/j/1", conference_notes="Passcode: 123", phone="", phone_notes="",
        notes="Bring a Basic Text.", sequence=0, created_at=None, updated_at=None, formats=[], exceptions=[],
        times=[NS(id=1, weekday=0, start=dt.time(19), duration_minutes=60)],
        translations={"es": SPANISH},
        place=NS(name="", street="1 Main St", city="Philadelphia", region="PA", postal_code="19103", country="US",
                 latitude=39.9, longitude=-75.1, precision="rooftop", timezone="America/New_York",
                 notes="Basement", full_address="1 Main St, Philadelphia, PA 19103, US"),
    )
    values.update(overrides)
    return NS(**values)


@pytest.mark.parametrize("language, expected, absent", [
    ("es", ["Traiga su Texto Básico.", "Sótano, puerta lateral", "Código: 123"], "Bring a Basic Text."),
    ("en", ["Bring a Basic Text.", "Basement", "Passcode: 123"], "Traiga"),
    ("fr", ["Bring a Basic Text.", "Basement", "Passcode: 123"], "Traiga"),
])
def test_calendar_descriptions_take_the_calendars_language(language, expected, absent):
    links = ical.Links(meeting_url=lambda slug: f"https://finder.example/meetings/{slug}", explanation_url=None,
                       uid_domain="finder.example", language=language)
    body = ical.feed_bytes([calendar_meeting()], ical.FeedInfo("Test"), links, 2026)
    (event,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    description = str(event["DESCRIPTION"])
    assert all(text in description for text in expected) and absent not in description
    assert str(event["UID"]) == "meeting-7-t1@finder.example"  # the same event in every language


def test_meeting_guide_feed_carries_translations_with_its_own_field_names(client, session, make_meeting):
    make_meeting(slug="bilingual", notes="Bring a Basic Text.", attendance="online",
                 conference_url="https://zoom.us/j/1", translations={"es": SPANISH})
    make_meeting(slug="plain", notes="English only")
    session.commit()
    entries = {e["slug"]: e for e in client.get("/feeds/meeting-guide.json").get_json()}
    assert entries["bilingual"]["translations"] == {"es": {
        "notes": SPANISH["notes"], "location_notes": SPANISH["location_notes"],
        "conference_url_notes": SPANISH["conference_notes"], "conference_phone_notes": SPANISH["phone_notes"]}}
    assert "translations" not in entries["plain"]


# --- imports and the export ----------------------------------------------------------------------------------


def feed_entry(**overrides):
    entry = {"name": "Libertad", "slug": "libertad", "day": 1, "time": "19:00", "timezone": "America/New_York",
             "formatted_address": "1625 Locust St, Philadelphia, PA 19103, USA", "latitude": 39.9487,
             "longitude": -75.1685, "types": ["O", "S"], "notes": "Traiga su Texto Básico.",
             "translations": {"en": {"notes": "Bring a Basic Text.", "location_notes": "Basement",
                                     "conference_phone_notes": "Press 1"}}}
    entry.update(overrides)
    return entry


def test_meeting_guide_import_reads_the_language_and_translations(session, now):
    report = meeting_guide.import_feed(session, json.dumps([feed_entry()]).encode(), now=now, resolver=RESOLVER)
    assert report.counts()["added"] == 1, report.to_json()
    meeting = session.scalars(select(Meeting)).one()
    assert meeting.language == "es"  # its one language type (S), not the interface's English
    assert meeting.translations == {"en": {"location_notes": "Basement", "notes": "Bring a Basic Text.",
                                           "phone_notes": "Press 1"}}
    again = meeting_guide.import_feed(session, json.dumps([feed_entry()]).encode(), now=now, resolver=RESOLVER)
    assert again.counts()["unchanged"] == 1


@pytest.mark.parametrize("translations, reason", [
    ({"klingon": {"notes": "x"}}, "not a language we know"),
    ({"es": {"notes": "x"}}, "meeting's own language"),
    ({"en": {"conference_notes": "x"}}, "cannot be translated"),
    ({"en": {"notes": ["nested", {"junk": 1}]}}, "must be text"),
    ({"en": {"notes": "x" * 20_001}}, "longer than 20000"),
    ("not an object", "must be an object"),
])
def test_meeting_guide_import_rejects_bad_translations_and_writes_nothing_of_the_row(session, now, translations,
                                                                                    reason):
    entries = [feed_entry(translations=translations), feed_entry(slug="fine", translations={})]
    report = meeting_guide.import_feed(session, json.dumps(entries).encode(), now=now, resolver=RESOLVER)
    (rejected,) = report.rejected
    assert rejected.key == "libertad" and reason in " ".join(rejected.reasons)
    assert session.scalars(select(Meeting.slug)).all() == ["fine"]


CSV_HEADER = "slug,name,times,language,latitude,longitude,city,timezone,notes,notes:es,location_notes:es\r\n"


def test_csv_import_reads_language_columns_and_rejects_bad_rows(session, now):
    data = (CSV_HEADER
            + "ok,Fine,mon 19:00 60,en,39.95,-75.16,Philadelphia,America/New_York,Bring one,Traiga uno,Sótano\r\n"
            + "own,Own,mon 19:00 60,es,39.95,-75.16,Philadelphia,America/New_York,Hola,Hola otra vez,\r\n"
            + f"long,Long,mon 19:00 60,en,39.95,-75.16,Philadelphia,America/New_York,,,{'x' * 501}\r\n").encode()
    report = csv_meetings.import_csv(session, data, now=now, resolver=RESOLVER)
    assert [row.key for row in report.added] == ["ok"]
    reasons = {row.key: " ".join(row.reasons) for row in report.rejected}
    assert "meeting's own language" in reasons["own"] and "location_notes:es is longer than 500" in reasons["long"]
    assert session.scalars(select(Meeting)).one().translations == {
        "es": {"location_notes": "Sótano", "notes": "Traiga uno"}}


@sqlite_only
@pytest.mark.parametrize("column", ["notes:xx", "name:es"])
def test_csv_import_refuses_unknown_language_columns(session, now, column):
    with pytest.raises(FatalImportError, match="columns we do not know"):
        csv_meetings.import_csv(session, f"slug,name,times,{column}\r\na,A,mon 19:00,x\r\n".encode(), now=now,
                                resolver=RESOLVER)


def test_csv_export_round_trips_translations(session, now, make_meeting):
    make_meeting(slug="a", notes="Bring one", translations={"es": {"notes": "Traiga uno"},
                                                            "fr": {"location_notes": "Sous-sol"}})
    make_meeting(slug="b")
    session.commit()
    first = exports.export_csv(session, "meetings")
    rows = list(csv.DictReader(io.StringIO(first)))
    assert list(rows[0])[-2:] == ["notes:es", "location_notes:fr"]  # the columns its meetings use, no others
    assert rows[0]["notes:es"] == "Traiga uno" and rows[1]["notes:es"] == ""
    same = csv_meetings.import_csv(session, first.encode(), now=now, resolver=RESOLVER)
    assert same.counts()["unchanged"] == 2, same.to_json()
    assert exports.export_csv(session, "meetings") == first


# --- the submission form and its workflow ---------------------------------------------------------------------


def known():
    return set(FORMAT_BY_CODE)


def test_the_form_gives_one_more_language_and_carries_the_others():
    form = meeting_form(text_language="es", notes="Bring one", notes_translated="Traiga uno",
                        location_notes_translated="Sótano", phone_notes_translated="Marque 1",
                        other_translations=json.dumps({"fr": {"notes": "Apportez-en un"}, "es": {"notes": "old"}}))
    result = workflow.validate_meeting(form, known_formats=known())
    assert result.ok, result.errors
    # In person: no online notes in any language; the form's Spanish replaces the carried one.
    assert result.values["translations"] == {"es": {"location_notes": "Sótano", "notes": "Traiga uno"},
                                             "fr": {"notes": "Apportez-en un"}}
    fields = workflow.form_from_proposal(result.values)
    assert fields["text_language"] == "es" and fields["notes_translated"] == "Traiga uno"
    assert json.loads(fields["other_translations"]) == {"fr": {"notes": "Apportez-en un"}}
    again = workflow.validate_meeting(MultiDict({**meeting_form(), **fields}), known_formats=known())
    assert again.values["translations"] == result.values["translations"]


@pytest.mark.parametrize("fields, field, message", [
    ({"notes_translated": "Hola"}, "text_language", "Please choose the language these notes are written in."),
    ({"text_language": "xx", "notes_translated": "Hola"}, "text_language", "Please choose the language"),
    ({"text_language": "en", "notes_translated": "Hello"}, "text_language", "This is the language of the meeting."),
    ({"text_language": "es", "notes_translated": "x" * 2001}, "notes_translated", "at most 2000"),
])
def test_the_forms_other_language_is_checked(fields, field, message):
    result = workflow.validate_meeting(meeting_form(**fields), known_formats=known())
    assert message in result.errors[field]


def test_junk_carried_in_the_hidden_field_is_dropped_not_an_error():
    for junk in ("[[[", json.dumps({"es": {"notes": {"a": 1}}}), "[" * 5000 + "]" * 5000):
        result = workflow.validate_meeting(meeting_form(other_translations=junk), known_formats=known())
        assert result.ok and result.values["translations"] == {}


def test_approval_writes_the_translations_and_a_change_keeps_the_others(session, admin, now):
    values = located(workflow.validate_meeting(meeting_form(text_language="es", notes_translated="Traiga uno"),
                                               known_formats=known()).values)
    submission = workflow.submit(session, kind="new", payload=values, now=now, contact={})
    meeting = workflow.approve(session, submission, actor=admin, now=now)
    session.commit()
    assert meeting.translations == {"es": {"notes": "Traiga uno"}}
    assert "Text in other languages" in [c.label for c in workflow.diff(None, values)]

    proposal = workflow.proposal_from_meeting(meeting)
    form = MultiDict({**workflow.form_from_proposal(proposal), "language": "en", "text_language": "fr",
                      "notes_translated": "Apportez-en un"})
    changed = located(workflow.validate_meeting(form, known_formats=known()).values)
    change = workflow.submit(session, kind="change", payload=changed, now=now, contact={}, meeting=meeting)
    workflow.approve(session, change, actor=admin, now=now)
    session.commit()
    # The form showed Spanish and was switched to French: the Spanish was replaced, as the organizer saw it.
    assert meeting.translations == {"fr": {"notes": "Apportez-en un"}}


class _Inputs(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.fields = MultiDict()
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and (attrs.get("type") not in ("checkbox", "radio")
                                                     or "checked" in attrs):
            self.fields.add(attrs["name"], attrs.get("value") or "")


def csrf_token(client, url: str = "/submit/new") -> str:
    return _Inputs(client.get(url).get_data(as_text=True)).fields["csrf_token"]


def new_form(token: str, **overrides):
    form = {**meeting_form(), "csrf_token": token, "contact_name": "Sam", "contact_email": "sam@example.org",
            "leave_this_empty": ""}
    form.update(overrides)
    return form


def form_fields(html: str, **overrides) -> MultiDict:
    """What the browser would send from the page's form (inputs only), with some values replaced."""
    fields = _Inputs(html).fields
    for key, value in overrides.items():
        fields.setlist(key, [value])
    return fields


@sqlite_only
def test_submit_form_check_and_status_show_the_other_language(app, client, session):
    app.extensions["finder.geocoder"] = FakeGeocoder()
    app.extensions["finder.timezone_at"] = lambda lat, lon: "America/New_York"
    blank = client.get("/submit/new").get_data(as_text=True)
    assert 'id="f-more-languages"' in blank and 'name="text_language"' in blank and "<details" in blank
    token = csrf_token(client)
    checked = client.post("/submit/new", data=new_form(token, action="check", notes="Bring one",
                                                       text_language="es", notes_translated="Traiga <i>uno</i>"))
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200, html
    page = Marked(html)
    assert page.lang_of("Traiga <i>uno</i>") == "es" and page.lang_of("Bring one") == "en"
    sent = client.post("/submit/new", data=form_fields(html, action="send"))
    assert sent.status_code == 303
    status = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Notes also in" in status and "Spanish" in status
    assert session.scalars(select(Submission)).one().payload["translations"] == {"es": {"notes": "Traiga <i>uno</i>"}}


@sqlite_only
def test_check_page_in_spanish_names_the_language_in_spanish(app, client):
    app.extensions["finder.geocoder"] = FakeGeocoder()
    app.extensions["finder.timezone_at"] = lambda lat, lon: "America/New_York"
    token = csrf_token(client, "/submit/new?locale=es")
    html = client.post("/submit/new?locale=es", data=new_form(token, action="check", text_language="en",
                                                               language="es", notes_translated="Bring one")
                       ).get_data(as_text=True)
    assert Marked(html).lang_of("Bring one") == "en" and "<dt>Inglés</dt>" in html


# --- the migration -------------------------------------------------------------------------------------------


def test_migration_0011_goes_down_and_up_in_place_keeping_the_triggers(tmp_path):
    from alembic import command
    from sqlalchemy import text

    from finder import db, migrate
    url = f"sqlite:///{tmp_path / 'down.sqlite3'}"
    engine = db.make_engine(url)
    migrate.upgrade(engine)

    def triggers_and_columns():
        with engine.connect() as connection:
            return (connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars().all(),
                    [row[1] for row in connection.execute(text("PRAGMA table_info(meetings)"))])

    triggers, columns = triggers_and_columns()
    assert triggers and "translations" in columns
    command.downgrade(migrate.alembic_config(url), "-1")  # 0011 is the head it goes down from
    assert triggers_and_columns() == (triggers, [c for c in columns if c != "translations"])
    migrate.upgrade(engine)
    assert triggers_and_columns() == (triggers, columns)
    engine.dispose()
