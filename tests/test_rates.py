"""finder.core.rates: rate settings from text, and Flask-Limiter's notation for them."""
from __future__ import annotations

import pytest

from finder.core import rates
from finder.core.rates import Rate


@pytest.mark.parametrize("text, rate", [
    ("5/hour", Rate(5, 3600)), ("20/15min", Rate(20, 900)), ("3 per day", Rate(3, 86400)),
    ("10/s", Rate(10, 1)), ("2/minutes", Rate(2, 60)),
])
def test_parse_rate(text, rate):
    assert rates.parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "five/hour", "5/fortnight", "0/hour", "5/0min", "-1/hour", "5", "²/hour"])
def test_parse_rate_refuses_nonsense(text):
    with pytest.raises(ValueError):
        rates.parse_rate(text)


def test_parse_rates_and_flask_limiter_notation():
    parsed = rates.parse_rates("5/min; 10/hour;20/day")
    assert parsed == [Rate(5, 60), Rate(10, 3600), Rate(20, 86400)]
    assert rates.limits_string(parsed) == "5 per 60 second;10 per 3600 second;20 per 86400 second"


def test_settings_check_imports_no_web_plumbing() -> None:
    """finder.config checks rate settings with this parser; it must not import finder.web to do so."""
    import ast
    from pathlib import Path

    config = Path(__file__).resolve().parent.parent / "finder" / "config.py"
    imported = {node.module for node in ast.walk(ast.parse(config.read_text()))
                if isinstance(node, ast.ImportFrom) and node.module}
    assert "finder.core.rates" in imported
    assert not [m for m in imported if m.startswith("finder.web")]
