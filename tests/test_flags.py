"""finder.core.flags: one reading of on/off words, and every caller (settings, search and print arguments, feed
URLs, admin checkboxes, import cells) reading them through it."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from finder import config
from finder.admin import edits
from finder.calendars.feeds import canonical_feed_args
from finder.core.flags import parse_flag
from finder.core.print_options import OptionError, parse_options
from finder.imports import writer
from finder.imports.report import RowError
from finder.search.params import query_from_args
from finder.search.query import SearchError

ON = ["1", "true", "yes", "on", "TRUE", "Yes", " on "]
OFF = ["0", "false", "no", "off", "FALSE", "No", " off "]
NEITHER = ["2", "y", "enabled", "oui", "１"]


@pytest.mark.parametrize("word", ON)
def test_on_words(word: str) -> None:
    assert parse_flag(word) is True


@pytest.mark.parametrize("word", OFF)
def test_off_words(word: str) -> None:
    assert parse_flag(word) is False


@pytest.mark.parametrize("value", [None, "", "  "])
def test_missing_or_blank_is_the_default(value: str | None) -> None:
    assert parse_flag(value, default=True) is True and parse_flag(value, default=False) is False
    with pytest.raises(ValueError):
        parse_flag(value)


@pytest.mark.parametrize("word", NEITHER)
def test_other_words_are_refused(word: str) -> None:
    with pytest.raises(ValueError):
        parse_flag(word, default=False)


def test_settings() -> None:
    assert config.from_env({"FINDER_DEBUG": "Yes", "SMTP_STARTTLS": "off"}, "/tmp")["DEBUG"] is True
    assert config.from_env({"SMTP_STARTTLS": "off"}, "/tmp")["SMTP_STARTTLS"] is False
    assert config.from_env({}, "/tmp")["SMTP_STARTTLS"] is True
    assert config.from_env({"LOG_CLIENT_IP": ""}, "/tmp")["LOG_CLIENT_IP"] is False
    with pytest.raises(config.ConfigError, match="FINDER_DEBUG"):
        config.from_env({"FINDER_DEBUG": "enabled"}, "/tmp")


def test_search_arguments() -> None:
    for word in ON:
        assert query_from_args(MultiDict({"wheelchair": word}), None).wheelchair is True
    for word in [*OFF, ""]:
        assert query_from_args(MultiDict({"wheelchair": word}), None).wheelchair is False
    with pytest.raises(SearchError):
        query_from_args(MultiDict({"wheelchair": "y"}), None)


def test_print_arguments() -> None:
    assert parse_options(MultiDict({"large": "yes"})).large is True
    assert parse_options(MultiDict({"large": "off"})).large is False
    with pytest.raises(OptionError):
        parse_options(MultiDict({"large": "big"}))


def test_feed_urls_spell_flags_as_the_search_reads_them() -> None:
    assert canonical_feed_args([("wheelchair", "Yes")]) == [("wheelchair", "1")]
    assert canonical_feed_args([("wheelchair", "off")]) == []
    assert canonical_feed_args([("wheelchair", "y")]) == [("wheelchair", "y")]  # left for the search to refuse


def test_admin_checkboxes() -> None:
    assert edits._flag({"published": "on"}, "published") is True
    assert edits._flag({"published": "1"}, "published") is True
    assert edits._flag({}, "published") is False
    assert edits._flag({"published": "nonsense"}, "published") is False


def test_import_cells_also_take_a_letter() -> None:
    for cell, expected in [("yes", True), ("Y", True), ("t", True), ("1", True), ("", False), ("n", False),
                           ("F", False), ("no", False), (True, True)]:
        assert writer.flag(cell, "published") is expected
    with pytest.raises(RowError):
        writer.flag("maybe", "published")
