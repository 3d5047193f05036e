"""The meeting form shared by organizers and moderators (finder.submissions.forms): rows, choices, placing."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from werkzeug.datastructures import MultiDict

from finder.core import texts
from finder.submissions import forms, workflow


def test_rows_show_every_filled_day_plus_an_empty_one():
    assert forms.row_count({}) == forms.MIN_TIME_ROWS
    assert forms.row_count({"day_0": "1", "start_2": "19:00"}) == 4  # rows 0..2 filled, one empty below
    assert forms.row_count({}, proposal_times=3) == 4
    assert forms.row_count({"rows": "3", "action": "add_row"}) == 4
    assert forms.row_count({"rows": str(workflow.MAX_TIME_ROWS), "action": "add_row"}) == workflow.MAX_TIME_ROWS
    assert forms.row_count({"rows": "999"}) == forms.MIN_TIME_ROWS  # a count out of range is not believed


def test_choices_leave_out_derived_formats_and_groups(sqlite_app, session, make_body):
    make_body(kind="area", name="Philly Area")
    make_body(kind="group", name="Hope Group")
    session.commit()
    with sqlite_app.test_request_context("/"):
        choices = forms.form_choices(session)
    offered = {f.code for group in choices["format_groups"].values() for f in group}
    assert offered and not offered & {"O", "C", "ON", "HY", "TC"}
    assert [label for _, label in choices["body_options"]] == ["Philly Area (area)"]
    assert choices["weekday_options"][0] == (0, "Monday")


@pytest.mark.parametrize("language, spanish", [("en", "Spanish"), ("es", "Español")])
def test_meeting_languages_are_named_in_the_readers_language(sqlite_app, language, spanish):
    with sqlite_app.test_request_context(f"/?locale={language}"):
        names = dict(forms.language_options())
    assert names["es"] == spanish and len(names) == len(texts.LANGUAGES)


def test_a_place_not_found_is_said_beside_the_city(sqlite_app):
    sqlite_app.extensions["finder.geocoder"] = SimpleNamespace(geocode=lambda text: None)
    result = workflow.validate_meeting(MultiDict({"name": "Hope", "open_closed": "O", "day_0": "2",
                                                  "start_0": "19:00", "city": "Nowhere", "street": "1 Main St",
                                                  "attendance": "in_person"}),
                                       known_formats={"O"}, known_bodies=set())
    with sqlite_app.test_request_context("/"):
        assert forms.locate_proposal(result) is None
    assert "could not find this place" in result.errors["city"]
