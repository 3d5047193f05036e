"""The application factory, configuration errors, the health check and the always-present page parts."""
from __future__ import annotations

import pytest

from finder import create_app
from finder.config import ConfigError
from finder.models import set_setting
from finder.web import site


def test_secret_key_required_outside_debug(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FINDER_DEBUG", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})


@pytest.mark.parametrize("url", ["not a url", "mysql://root@localhost/x"])
def test_bad_database_url_is_one_clear_line(url):
    with pytest.raises(ConfigError) as info:
        create_app({"DATABASE_URL": url, "TESTING": True})
    assert "DATABASE_URL" in str(info.value) and "\n" not in str(info.value)


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "schema": "current"}


def test_healthz_unmigrated_is_503(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/empty.sqlite3"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["schema"] == "missing"


def test_healthz_unreachable_is_503(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_every_page_has_crisis_help_and_disclaimer(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="tel:988"' in html and 'href="tel:911"' in html and "1-800-662-4357" in html
    assert "information, not medical advice" in html.lower()
    assert "Demo data" not in html


def test_demo_notice_when_demo_loaded(app, session, client):
    set_setting(session, "demo_loaded", "1")
    session.commit()
    site.forget_demo_state()
    assert "Demo data, not real meetings" in client.get("/").get_data(as_text=True)


def test_meeting_page(client, session, make_meeting):
    meeting = make_meeting(name="Just for Today <Group>")
    session.commit()
    html = client.get(f"/meetings/{meeting.slug}").get_data(as_text=True)
    assert "Just for Today &lt;Group&gt;" in html
    assert client.get("/meetings/no-such-meeting").status_code == 404


def test_unpublished_meeting_is_not_found(client, session, make_meeting):
    meeting = make_meeting(published=False)
    session.commit()
    assert client.get(f"/meetings/{meeting.slug}").status_code == 404


@pytest.mark.parametrize(("database_url", "extra"), [
    ("sqlite:////srv/finder.sqlite3", 0),  # in each worker: an extra worker would only compete with it
    ("postgresql+psycopg://finder@localhost/finder", 0),  # on these cores too
    ("postgresql+psycopg://finder@127.0.0.1:5432/finder", 0),
    ("postgresql+psycopg://finder@db.internal:5432/finder", 1),  # elsewhere: one more keeps the cores busy
])
def test_gunicorn_workers_follow_the_cores_and_where_the_database_runs(monkeypatch, database_url, extra):
    import os
    import runpy
    from pathlib import Path

    conf = str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py")
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert runpy.run_path(conf)["workers"] == (os.cpu_count() or 1) + extra
    monkeypatch.setenv("WEB_CONCURRENCY", "7")
    assert runpy.run_path(conf)["workers"] == 7
