"""Test helper: a CSRF token pair for tests that set the session themselves (not a test module)."""
from __future__ import annotations

from typing import Any


def csrf_pair(app: Any, raw: str = "a-known-csrf-token") -> tuple[str, str]:
    """(what Flask-WTF keeps in the session, the signed token a form sends) for a test that sets the session."""
    from itsdangerous import URLSafeTimedSerializer

    return raw, URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)
