"""Every public page in Spanish: rendered with ?locale=es, no English interface words are left (meeting names and
organizers' words are data, and text marked with a language of its own is not the interface's); search and API
errors, the format-code notes, the crisis table and the template-free error page speak Spanish too."""
from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from finder import create_app, db
from finder.calendars.lists import encode_list
from finder.models import CalendarList, Meeting, OutboxMessage, ServiceBody, Submission
from finder.web import errors, site
from tests.browser.conftest import _seed
from tests.helpers import FakeGeocoder, english_left


def test_english_left_finds_interface_english_and_leaves_data_alone() -> None:
    page = ('<html lang="es"><title>Reuniones</title><p>Buscar <b>meetings</b> near you</p>'
            '<p lang="en">Side door, use the bell</p><a hreflang="en" lang="en">English</a>'
            '<p>Clean and Serene</p><script>var the = 1;</script><input type="submit" value="Send">'
            '<img alt="Map of the area"></html>')
    assert [found.split(" in ")[0] for found in english_left(page)] == [
        "'meetings'", "'near'", "'you'", "'Send'", "'Map'", "'of'", "'the'"]


class Site:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.client = app.test_client()
        self.session = db.session_factory(app)()
        self.meeting = self.session.scalars(select(Meeting).where(Meeting.slug == "clean-and-serene")).one()
        self.body = self.session.scalars(select(ServiceBody)).first()

    def csrf(self, url: str) -> str:
        html = self.client.get(url).get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture(scope="module")
def spanish_site(sqlite_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The browser tests' seeded site (meetings around Philadelphia, one in Spanish, a center, a counselor)."""
    path = tmp_path_factory.mktemp("spanish") / "site.sqlite3"
    shutil.copy(sqlite_template, path)
    site.forget_demo_state()
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "spanish-pages",
                      "MODERATOR_EMAILS": "mods@example.org"})
    _seed(app)
    app.extensions["finder.geocoder"] = FakeGeocoder()
    app.extensions["finder.timezone_at"] = lambda lat, lon: "America/New_York"
    found = Site(app)
    yield found
    found.session.close()
    db.dispose_engines(app)


HERE = "lat=39.9526&lon=-75.1652"
SEARCHES = [
    "q=Philadelphia, PA", HERE, f"{HERE}&day=mon&day=sat", f"{HERE}&from=18:00&to=22:00", f"{HERE}&soon=120",
    f"{HERE}&now=1", f"{HERE}&format=O&format=BEG", f"{HERE}&attendance=online", f"{HERE}&attendance=hybrid",
    f"{HERE}&lang=es", f"{HERE}&wheelchair=1", f"{HERE}&open=closed", f"{HERE}&text=serene", f"{HERE}&sort=next",
    f"{HERE}&online=1", f"{HERE}&radius=5&unit=km", f"{HERE}&nearest=2", f"{HERE}&per_page=1&page=2",
    f"{HERE}&kind=centers", f"{HERE}&kind=centers&service=DT&payment=MD", f"{HERE}&kind=counselors",
    f"{HERE}&kind=counselors&approach=psychodynamic&telehealth=1&accepting=1",
    "lat=40.5&lon=-116.5",  # nothing near: the wider-radius and online offers
    "q=Nowhere at all", "q=1600 Zzyzx Rd, Philadelphia, PA 19103", f"{HERE}&day=someday", f"{HERE}&radius=5000",
    f"{HERE}&from=25:99", f"{HERE}&format=NOPE", f"{HERE}&kind=counselors&approach=nope", "lat=91&lon=0",
]
PAGES = [
    "/", "/about", "/learn/", "/feeds/codes", "/print/", "/submit/", "/submit/new",
    "/meetings/clean-and-serene", "/meetings/just-for-today", "/meetings/spring-garden-step",
    "/meetings/mile-high-online", "/meetings/clean-and-serene/report", "/centers/hope-recovery",
    "/counselors/alex-rivera", "/submit/meetings/clean-and-serene/change",
    "/submit/meetings/clean-and-serene/cancel", "/submit/meetings/clean-and-serene/close",
    "/submit/meetings/clean-and-serene/inactive",
    "/no-such-page", "/meetings/no-such-meeting",
]


def _learn_pages() -> list[str]:
    from finder.learn.content import PAGES as LEARN

    return [f"/learn/{page.slug}" for page in LEARN] + ["/learn/crisis?country=MX", "/learn/crisis?country=GB"]


def _check(response: Any, url: str) -> None:
    html = response.get_data(as_text=True)
    assert '<html lang="es"' in html, f"{url}: not a Spanish page"
    left = english_left(html)
    assert not left, f"{url} ({response.status_code}) still speaks English:\n" + "\n".join(left)


@pytest.mark.parametrize("url", PAGES + _learn_pages() + [f"/search?{query}" for query in SEARCHES])
def test_every_public_page_speaks_spanish(spanish_site: Site, url: str) -> None:
    response = spanish_site.client.get(url + ("&" if "?" in url else "?") + "locale=es")
    assert response.status_code in (200, 400, 404), (url, response.status_code)
    _check(response, url)


def test_pages_of_a_service_body_and_its_calendars_speak_spanish(spanish_site: Site) -> None:
    body = spanish_site.body.id
    meeting = spanish_site.meeting.id
    for url in (f"/bodies/{body}", f"/calendars/body/{body}", f"/calendars/add/{meeting}",
                f"/calendars/list/{encode_list([meeting])}"):
        response = spanish_site.client.get(url + ("&" if "?" in url else "?") + "locale=es")
        assert response.status_code == 200, (url, response.status_code)
        _check(response, url)


def test_a_personal_list_speaks_spanish(spanish_site: Site) -> None:
    client, meeting = spanish_site.client, spanish_site.meeting.id
    url = f"/calendars/add/{meeting}?locale=es"
    added = client.post(url, data={"csrf_token": spanish_site.csrf(url)})
    assert added.status_code == 303, added.get_data(as_text=True)[:300]
    location = added.headers["Location"]
    public_id = urlsplit(location).path.split("/")[3]
    key = parse_qs(urlsplit(location).query)["key"][0]
    for page in (location, f"/calendars/my/{public_id}?locale=es", f"/calendars/my/{public_id}/edit?key={key}&locale=es"):
        response = client.get(page)
        assert response.status_code == 200, page
        _check(response, page)
    spanish_site.session.expire_all()
    assert spanish_site.session.scalar(select(CalendarList).where(CalendarList.public_id == public_id))


def test_the_submission_preview_status_and_organizer_mail_speak_spanish(spanish_site: Site) -> None:
    client = spanish_site.client
    form = {
        "csrf_token": spanish_site.csrf("/submit/new?locale=es"), "name": "Esperanza sin Miedo", "open_closed": "O",
        "formats": ["BEG", "JFT"], "day_0": "1", "start_0": "19:30", "duration_0": "90", "attendance": "in_person",
        "language": "es", "location_name": "Iglesia San Marcos", "street": "1625 Locust St", "city": "Philadelphia",
        "region": "PA", "postal_code": "19103", "country": "US", "location_notes": "Sótano", "contact_name": "Sam",
        "contact_email": "sam@example.org", "message": "", "leave_this_empty": "", "action": "check",
    }
    errors_page = client.post("/submit/new?locale=es", data={**form, "name": "", "start_0": "99:99"})
    assert errors_page.status_code == 422
    _check(errors_page, "the form with errors")
    preview = client.post("/submit/new?locale=es", data=form)
    assert preview.status_code == 200
    _check(preview, "the preview")
    sent = client.post("/submit/new?locale=es", data={**form, "action": "send", **_hidden(preview)})
    assert sent.status_code == 303, sent.get_data(as_text=True)[:500]
    status = client.get(sent.headers["Location"])
    _check(status, "the status page")
    spanish_site.session.expire_all()
    submission = spanish_site.session.scalars(select(Submission).order_by(Submission.id.desc())).first()
    mail = spanish_site.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == "sam@example.org").order_by(OutboxMessage.id.desc())
    ).first()
    assert submission.reference in mail.subject
    words = english_left('<html lang="es"><p>' + mail.subject + "\n" + mail.body.replace("<", "&lt;") + "</p>")
    assert words == [], "the organizer's mail still speaks English"


def _hidden(response: Any) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.get_data(as_text=True)))


@pytest.mark.parametrize("status", [400, 403, 404, 405, 413, 429, 500, 503])
def test_error_pages_speak_spanish(spanish_site: Site, status: int) -> None:
    with spanish_site.app.test_request_context("/somewhere?locale=es"):
        response = errors.error_response(status)
    assert response.status_code == status
    _check(response, f"the {status} page")
    assert "marque 2" in response.get_data(as_text=True)


def test_a_refused_post_speaks_spanish(spanish_site: Site) -> None:
    not_here = spanish_site.client.post("/learn/?locale=es")
    assert not_here.status_code in (400, 405)
    _check(not_here, "POST /learn/")


def test_the_template_free_error_page_speaks_the_visitors_language(spanish_site: Site, monkeypatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("template layer down")

    monkeypatch.setattr(errors, "render_template", broken)
    with spanish_site.app.test_request_context("/x", headers={"Accept-Language": "es-MX,es;q=0.9"}):
        spanish = errors.error_response(500).get_data(as_text=True)
    with spanish_site.app.test_request_context("/x"):
        english = errors.error_response(500).get_data(as_text=True)
    assert '<html lang="es">' in spanish and "<h1>Algo salió mal</h1>" in spanish
    assert "marque 2" in spanish and "AYUDA" in spanish and 'href="tel:988"' in spanish
    assert english_left(spanish) == []
    assert '<html lang="en">' in english and "Need help right now?" in english and 'href="tel:988"' in english


def test_search_errors_speak_spanish_on_pages_and_in_the_api(spanish_site: Site) -> None:
    client = spanish_site.client
    page = client.get(f"/search?{HERE}&day=someday&locale=es").get_data(as_text=True)
    assert "Los días son mon (lunes)" in page
    api = client.get(f"/api/v1/search?{HERE}&format=NOPE", headers={"Accept-Language": "es"})
    error = api.get_json()["error"]
    assert api.status_code == 400 and error["code"] == "invalid_parameter" and error["field"] == "format"
    assert error["message"] == "Formato desconocido: NOPE." and "O" in error["suggestions"]
    assert api.headers["Content-Language"] == "es" and "Accept-Language" in api.headers.get("Vary", "")
    english = client.get(f"/api/v1/search?{HERE}&format=NOPE").get_json()["error"]
    assert english == {**error, "message": "Unknown format: NOPE."}  # only the words change


@pytest.mark.parametrize("url, code, field, spanish", [
    ("/api/v1/meetings/no-such-meeting", "not_found", "slug", "no hay ningún registro publicado con el slug"),
    ("/api/v1/service-bodies/999999", "not_found", "body_id", "no existe el cuerpo de servicio 999999"),
    ("/api/v1/nowhere", "not_found", None, "no existe la ruta de la API /api/v1/nowhere"),
    ("/api/v1/search?q=Nowhere%20at%20all", "invalid_parameter", "q", "No encontramos ese lugar"),
])
def test_api_errors_keep_code_and_field_and_translate_the_message(spanish_site: Site, url: str, code: str,
                                                                  field: str | None, spanish: str) -> None:
    client = spanish_site.client
    asked = client.get(url + ("&" if "?" in url else "?") + "locale=es").get_json()["error"]
    english = client.get(url, headers={"Accept-Language": "en"}).get_json()["error"]
    assert asked["code"] == english["code"] == code and asked["field"] == english["field"] == field
    assert spanish in asked["message"] and spanish not in english["message"]


def test_api_405_in_spanish(spanish_site: Site) -> None:
    response = spanish_site.client.delete("/api/v1/formats", headers={"Accept-Language": "es"})
    assert response.status_code == 405 and response.get_json()["error"] == {
        "code": "method_not_allowed", "field": None, "message": "esta API es de solo lectura: use GET"}


def test_json_errors_outside_the_api_views_speak_the_asked_language(spanish_site: Site) -> None:
    with spanish_site.app.test_request_context("/api/v1/search?locale=es"):
        response = errors.error_response(429)
    body = response.get_json()["error"]
    assert body["status"] == 429 and body["title"] == "Demasiadas solicitudes"
    assert response.headers["Content-Language"] == "es"


def test_the_format_code_notes_and_crisis_table_speak_spanish(spanish_site: Site) -> None:
    codes = spanish_site.client.get("/feeds/codes?locale=es").get_data(as_text=True)
    assert "Tipo de Meeting Guide, más nuestro código de NA BT" in codes and "se envía como Discusión" in codes
    assert 'lang="en"' not in codes.split("<table", 1)[1]
    table = spanish_site.client.get("/feeds/codes.json").get_json()  # the machine-readable table stays English
    assert {"na_code": "TOP", "note": "sent as Discussion"}.items() <= next(r for r in table if r["na_code"] == "TOP").items()
    crisis = spanish_site.client.get("/learn/crisis?locale=es").get_data(as_text=True)
    assert "988 Línea de Prevención del Suicidio y Crisis" in crisis and "al llamar, marque 2" in crisis
    assert "Policía, ambulancia, bomberos" in crisis and "Police, ambulance" not in crisis


def test_cached_fragments_keep_the_way_the_language_was_chosen(spanish_site: Site) -> None:
    """Result cards are rendered once per language and reused (finder.web.filters.fragment_cache): a card made for
    a URL that chose Spanish links on with ?locale=es, one made for a browser that asked for it does not."""
    client = spanish_site.client
    for _ in range(2):  # either order: the second round reads what the first one cached
        chosen = client.get(f"/search?{HERE}&text=serene&locale=es").get_data(as_text=True)
        asked = client.get(f"/search?{HERE}&text=serene", headers={"Accept-Language": "es"}).get_data(as_text=True)
        assert "/learn/open-closed?locale=es#open" in chosen
        assert "/learn/open-closed#open" in asked and "/learn/open-closed?locale=es" not in asked
