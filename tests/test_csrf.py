"""CSRF protection (finder.web.csrf): every unsafe request carries the session's token, in the form or a header,
except views marked exempt and account-only views a stranger reaches; a refusal is our own 400 page."""
from __future__ import annotations

from flask import Flask

from finder.web import csrf
from tests.helpers import csrf_pair


def test_csrf_tokens_are_per_session_and_checked_in_constant_time():
    app = Flask(__name__)
    app.secret_key = "x"
    with app.test_request_context("/"):
        first = csrf.token()
        assert csrf.token() == first and len(first) >= 32
        assert csrf.is_valid(first) and not csrf.is_valid(first + "x") and not csrf.is_valid(None)
        assert f'value="{first}"' in str(csrf.csrf_field())
    with app.test_request_context("/"):  # a new visitor: another session, another token
        assert csrf.token() != first and not csrf.is_valid(first)


def test_every_unsafe_request_needs_the_token(sqlite_app):
    client = sqlite_app.test_client()
    assert client.post("/submit/new").status_code == 400
    assert client.post("/login", data={"email": "a@example.org", "password": "x"}).status_code == 400
    assert client.put("/submit/new").status_code == 405  # no view runs: the routing answer stands
    assert client.get("/submit/new").status_code == 200


def test_strangers_posting_to_admin_views_go_to_the_login_page(sqlite_app):
    """Without an account nothing happens either way; the answer is the login page, not a CSRF error."""
    response = sqlite_app.test_client().post("/admin/submissions/1/approve")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _with_test_views(app):
    @app.post("/test/exempt")
    @csrf.exempt
    def exempt_view():
        return "taken"

    @app.post("/test/form")
    def form_view():
        return "taken"

    return app.test_client()


def test_exempt_views_take_posts_without_a_token(sqlite_app):
    client = _with_test_views(sqlite_app)
    assert client.post("/test/exempt").get_data(as_text=True) == "taken"
    refused = client.post("/test/form")
    assert refused.status_code == 400 and "tel:988" in refused.get_data(as_text=True)  # our page, crisis lines


def test_the_token_may_come_in_the_form_or_the_header(sqlite_app):
    client = _with_test_views(sqlite_app)
    raw, signed = csrf_pair(sqlite_app)
    with client.session_transaction() as state:
        state[csrf.FIELD_NAME] = raw
    assert client.post("/test/form", data={csrf.FIELD_NAME: signed}).status_code == 200
    assert client.post("/test/form", headers={csrf.HEADER_NAME: signed}).status_code == 200
    assert client.post("/test/form", data={csrf.FIELD_NAME: signed + "x"}).status_code == 400


def test_a_post_to_no_route_keeps_its_404(sqlite_app):
    assert sqlite_app.test_client().post("/no/such/page").status_code == 404
