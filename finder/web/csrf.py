"""CSRF protection for every form: a random token kept in the session, checked on every unsafe request."""
from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, render_template, request, session
from markupsafe import Markup, escape

from finder.admin import auth

FIELD_NAME = "csrf_token"
HEADER_NAME = "X-CSRF-Token"
_SESSION_KEY = "_csrf"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}

F = TypeVar("F", bound=Callable[..., Any])


def token() -> str:
    """This session's token, created on first use."""
    value = session.get(_SESSION_KEY)
    if not isinstance(value, str) or len(value) < 32:
        value = secrets.token_urlsafe(32)
        session[_SESSION_KEY] = value
    return value


def csrf_field() -> Markup:
    """The hidden input every form carries: {{ csrf_field() }}."""
    return Markup(f'<input type="hidden" name="{FIELD_NAME}" value="{escape(token())}">')


def exempt(view: F) -> F:
    """Mark a view that takes unsafe requests without a session (a JSON API called from other sites)."""
    view._csrf_exempt = True  # type: ignore[attr-defined]
    return view


def is_valid(sent: str | None) -> bool:
    expected = session.get(_SESSION_KEY)
    if not isinstance(sent, str) or not isinstance(expected, str) or not sent:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


def _protect() -> Any:
    if request.method in _SAFE_METHODS:
        return None
    if request.routing_exception is not None:
        return None  # no view will run: let the 404/405 answer stand
    view = _view_function()
    if view is not None and getattr(view, "_csrf_exempt", False):
        return None
    if view is not None and getattr(view, "_requires_account", False):
        if auth.current_user() is None:
            return None  # the view itself refuses strangers (to the login page) before doing anything
    sent = request.form.get(FIELD_NAME) or request.headers.get(HEADER_NAME)
    if is_valid(sent):
        return None
    return render_template("csrf_error.html"), 400


def _view_function() -> Callable[..., Any] | None:
    from flask import current_app

    if request.endpoint is None:
        return None
    return current_app.view_functions.get(request.endpoint)


def init_app(app: Flask) -> None:
    app.before_request(_protect)
    app.add_template_global(csrf_field)
