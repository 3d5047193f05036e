"""Organizers' private links (finder.submissions.tokens): signed, expiring, naming one submission."""
from __future__ import annotations

import datetime as dt

import pytest
from itsdangerous import URLSafeTimedSerializer

from finder.submissions import tokens

SECRET = "a-test-secret"
SIGNED = dt.datetime.now(dt.timezone.utc)  # itsdangerous stamps the token with the wall clock


def test_a_token_reads_back_as_the_submission_it_names():
    token = tokens.make_token(SECRET, 42, "NA-7Q2K")
    assert tokens.read_token(SECRET, token, max_age_days=30) == (42, "NA-7Q2K")
    assert tokens.read_token(SECRET, token, max_age_days=30, now=SIGNED + dt.timedelta(days=29)) == (42, "NA-7Q2K")


def test_an_old_token_is_expired_not_invalid():
    token = tokens.make_token(SECRET, 42, "NA-7Q2K")
    with pytest.raises(tokens.TokenError) as caught:
        tokens.read_token(SECRET, token, max_age_days=30, now=SIGNED + dt.timedelta(days=31))
    assert caught.value.expired


@pytest.mark.parametrize("damage", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # a changed signature
    lambda t: "x" + t,  # a changed payload
    lambda t: "",
    lambda t: "not-a-token",
])
def test_a_damaged_token_is_refused_and_not_called_expired(damage):
    token = tokens.make_token(SECRET, 42, "NA-7Q2K")
    with pytest.raises(tokens.TokenError) as caught:
        tokens.read_token(SECRET, damage(token), max_age_days=30)
    assert not caught.value.expired


def test_a_signed_payload_of_the_wrong_shape_is_refused():
    forged = URLSafeTimedSerializer(SECRET, salt=tokens._SALT).dumps({"s": "42", "r": ["NA"]})
    with pytest.raises(tokens.TokenError):
        tokens.read_token(SECRET, forged, max_age_days=30)


def test_no_secret_no_token():
    with pytest.raises(ValueError):
        tokens.make_token("", 42, "NA-7Q2K")


def test_tokens_round_trip_and_refuse_tampering_and_age():
    token = tokens.make_token("secret", 42, "NA-ABC234")
    assert tokens.read_token("secret", token, max_age_days=90) == (42, "NA-ABC234")
    with pytest.raises(tokens.TokenError) as info:
        tokens.read_token("other secret", token, max_age_days=90)
    assert not info.value.expired
    with pytest.raises(tokens.TokenError):
        tokens.read_token("secret", token.replace(".", "x", 1), max_age_days=90)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=91)
    with pytest.raises(tokens.TokenError) as info:
        tokens.read_token("secret", token, max_age_days=90, now=later)
    assert info.value.expired
    assert tokens.read_token("secret", token, max_age_days=90, now=later - dt.timedelta(days=2))[0] == 42
