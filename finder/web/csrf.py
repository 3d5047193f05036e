"""CSRF protection for every form, on Flask-WTF's CSRFProtect: a token in the session, checked on unsafe requests.

What Flask-WTF does: a random token kept in the session, sent in forms as a signed value (`csrf_token`) or in
the `X-CSRF-Token` header, compared in constant time. What this module adds: views marked `exempt` (the JSON
API, called from other sites without a session) and account-only views called by strangers (the view sends
them to the login page before doing anything) are not checked, a request no view will answer keeps its
404/405, and a refusal is our own 400 page with the crisis numbers. Settings made here, and why:
WTF_CSRF_TIME_LIMIT None (a token lives as long as the session: organizers take their time over the form),
WTF_CSRF_SSL_STRICT off (our Referrer-Policy is no-referrer, so browsers send no Referer for it to check;
SameSite=Lax session cookies already keep cross-site posts out).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf, validate_csrf
from markupsafe import Markup, escape
from wtforms import ValidationError

from finder.admin import auth

FIELD_NAME = "csrf_token"
HEADER_NAME = "X-CSRF-Token"

F = TypeVar("F", bound=Callable[..., Any])

_protect = CSRFProtect()


def token() -> str:
    """This session's token as forms send it (signed), created on first use."""
    return generate_csrf()


def csrf_field() -> Markup:
    """The hidden input every form carries: {{ csrf_field() }}."""
    return Markup(f'<input type="hidden" name="{FIELD_NAME}" value="{escape(token())}">')


def exempt(view: F) -> F:
    """Mark a view that takes unsafe requests without a session (a JSON API called from other sites)."""
    view._csrf_exempt = True  # type: ignore[attr-defined]  # a mark on the view function, read by _check
    return view


def is_valid(sent: str | None) -> bool:
    """Whether sent is this session's token (Flask-WTF's check)."""
    try:
        validate_csrf(sent)
    except ValidationError:
        return False
    return True


def _check() -> None:
    if request.method not in current_app.config["WTF_CSRF_METHODS"]:
        return
    if request.routing_exception is not None:
        return  # no view will run: let the 404/405 answer stand
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, "_csrf_exempt", False):
        return
    if view is not None and getattr(view, "_requires_account", False) and auth.current_user() is None:
        return  # the view itself refuses strangers (to the login page) before doing anything
    _protect.protect()  # raises CSRFError


def _refuse(_error: CSRFError) -> Any:
    return render_template("csrf_error.html"), 400


def init_app(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked by _check, with the exceptions above
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    app.config.setdefault("WTF_CSRF_SSL_STRICT", False)
    app.config.setdefault("WTF_CSRF_FIELD_NAME", FIELD_NAME)
    app.config.setdefault("WTF_CSRF_HEADERS", [HEADER_NAME])
    _protect.init_app(app)
    app.before_request(_check)
    app.register_error_handler(CSRFError, _refuse)
