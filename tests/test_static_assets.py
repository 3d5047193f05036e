"""Fingerprinted static URLs and their cache lifetimes."""
from __future__ import annotations

import re

from flask import url_for

from finder.web import static_assets


def test_url_for_static_carries_the_content_hash(sqlite_app):
    with sqlite_app.test_request_context():
        url = url_for("static", filename="css/site.css")
    digest = static_assets.content_hash(f"{sqlite_app.static_folder}/css/site.css")
    assert url == f"/static/css/site.{digest}.css"
    assert re.fullmatch(r"[0-9a-f]{12}", digest)


def test_pages_link_the_fingerprinted_stylesheet(sqlite_app):
    html = sqlite_app.test_client().get("/").get_data(as_text=True)
    assert re.search(r'href="/static/css/site\.[0-9a-f]{12}\.css"', html)


def test_hashed_url_is_immutable_for_a_year(sqlite_app):
    client = sqlite_app.test_client()
    with sqlite_app.test_request_context():
        url = url_for("static", filename="css/site.css")
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    with open(f"{sqlite_app.static_folder}/css/site.css", "rb") as handle:
        assert response.data == handle.read()
    response.close()


def test_plain_and_stale_names_revalidate(sqlite_app):
    client = sqlite_app.test_client()
    for url in ("/static/css/site.css", "/static/css/site.000000000000.css"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "public, max-age=0, must-revalidate"
        response.close()


def test_missing_and_traversal_are_404(sqlite_app):
    client = sqlite_app.test_client()
    assert client.get("/static/css/nope.css").status_code == 404
    assert client.get("/static/../finder/config.py").status_code == 404
    assert client.get("/static/..%2ffinder%2fconfig.py").status_code == 404


def test_hash_follows_file_changes(tmp_path):
    path = tmp_path / "app.js"
    path.write_text("one")
    first = static_assets.fingerprinted("app.js", str(tmp_path))
    path.write_text("two!")
    second = static_assets.fingerprinted("app.js", str(tmp_path))
    assert first != second and first.startswith("app.") and first.endswith(".js")
    assert static_assets.fingerprinted("missing.js", str(tmp_path)) == "missing.js"
