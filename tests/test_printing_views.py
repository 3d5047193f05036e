"""Tests for finder.printing.views: printed meeting lists read back from the PDF (every weekly time once and
in order, the legend, the QR codes, page sizes, the options, languages), the bad input, and the ETag."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.dates import format_date, format_skeleton
from babel.support import Translations

import finder
from finder.core.schedule import zone_of
from finder.clock import utcnow
from tests.helpers import EXPECTED, qr_codes, read, sizes, texts

NY = "America/New_York"
CATALOGS = Path(finder.__file__).resolve().parent / "translations"


def test_a_body_list_read_back_holds_every_weekly_time_once_in_order(client, area):
    response = client.get(f"/print/meetings.pdf?body={area['region'].id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = read(response.data)
    pages = texts(reader)
    whole = "\n".join(pages)
    positions = []
    for line in EXPECTED:
        assert whole.count(line) == 1, line
        positions.append(whole.index(line))
    assert positions == sorted(positions)
    assert "Not Ours" not in whole and "Long Gone" not in whole
    assert sizes(reader) == {(612.0, 792.0)}
    for page in pages:  # the zone the times are printed in, and the date, on every page
        assert "Times are in America/New_York" in page
        assert "check online for changes" in page
    front = pages[0]
    assert "Delaware Valley Region" in front and "(215) 555-0142" in front
    assert "988" in front and "1-800-662-4357" in front
    holiday = area["holiday"]
    assert f"Not meeting {holiday:%a, %b} {holiday.day} (Feast)" in whole
    assert "Building temporarily closed" in whole
    assert whole.count("No formats listed") == 1  # Night Owls: listed all the same
    assert "Online: https://example.org/j/123" in whole and "Dial in: +1 555 0100" in whole
    assert "Online meetings" in whole
    assert "Your first meeting" in pages[-1]


def test_the_legend_covers_every_code_printed(client, area):
    reader = read(client.get(f"/print/meetings.pdf?body={area['region'].id}").data)
    front = texts(reader)[0]
    legend = front[front.index("What the codes mean") + len("What the codes mean"):]
    codes_used = {"O", "C", "STEP", "SPK", "WCHR", "DISC", "TC", "VM", "HYBR"}
    names = {"O": "Open", "C": "Closed", "STEP": "Step study", "SPK": "Speaker", "WCHR": "Wheelchair accessible",
             "DISC": "Discussion", "TC": "Temporarily closed facility", "VM": "Virtual", "HYBR": "Hybrid"}
    for code in codes_used:
        assert f"{code} {names[code]}" in " ".join(legend.split()), code
    listed = set(re.findall(r"(?:^|· )([A-Z][A-Z-]*) [A-Z]", " ".join(legend.split()).strip()))
    assert listed == codes_used  # nothing in the legend that no meeting uses


def test_the_qr_codes_decode_to_the_live_list_and_the_join_links(client, area):
    reader = read(client.get(f"/print/meetings.pdf?body={area['region'].id}").data)
    assert qr_codes(reader) == {f"http://localhost/bodies/{area['region'].id}", "https://example.org/j/123",
                                "https://example.org/j/456"}


def test_paper_booklet_and_pocket_give_the_sheets_asked_for(client, area):
    body = area["region"].id
    a4 = read(client.get(f"/print/meetings.pdf?body={body}&paper=a4").data)
    assert sizes(a4) == {(595.3, 841.9)}
    booklet = read(client.get(f"/print/meetings.pdf?body={body}&booklet=1").data)
    assert sizes(booklet) == {(792.0, 612.0)} and len(booklet.pages) % 2 == 0  # both sides of folded sheets
    assert "\n".join(texts(booklet)).count("7:00 PM – 8:00 PM Alpha Step") == 1
    pocket = read(client.get(f"/print/meetings.pdf?body={body}&pocket=1&columns=1").data)
    assert sizes(pocket) == {(612.0, 792.0)}
    plain = read(client.get(f"/print/meetings.pdf?body={body}&columns=1").data)
    assert len(pocket.pages) < len(plain.pages)  # four small pages to a sheet


def test_the_options_change_the_output(client, area, make_meeting, session):
    for n in range(24):
        make_meeting(name=f"Filler {n:02d}", times=[(n % 7, "12:00", 60)], service_body_id=area["child"].id,
                     place_fields={"city": "Allentown" if n % 2 else "Philadelphia"})
    session.commit()
    body = area["region"].id
    regular = read(client.get(f"/print/meetings.pdf?body={body}").data)
    large = read(client.get(f"/print/meetings.pdf?body={body}&large=1&columns=1").data)
    assert len(large.pages) > len(regular.pages)
    by_city = "\n".join(texts(read(client.get(f"/print/meetings.pdf?body={body}&order=city").data)))
    assert by_city.index("Allentown") < by_city.index("Philadelphia")
    assert "Monday 12:00 PM – 1:00 PM Filler 00" in by_city  # by city, each entry names its day
    inline = "\n".join(texts(read(client.get(f"/print/meetings.pdf?body={body}&virtual=inline").data)))
    assert "Online meetings" not in inline and inline.count("Screen Time") == 1
    chicago = texts(read(client.get(f"/print/meetings.pdf?body={body}&zone=America/Chicago").data))
    assert all("Times are in America/Chicago" in page for page in chicago)
    assert "6:00 PM – 7:00 PM Alpha Step" in "\n".join(chicago)


def test_a_page_budget_shrinks_the_type_or_says_it_cannot(client, area, make_meeting, session):
    for n in range(40):
        make_meeting(name=f"Filler {n:02d}", times=[(n % 7, "12:00", 60)], service_body_id=area["child"].id)
    session.commit()
    body = area["region"].id
    asked = len(read(client.get(f"/print/meetings.pdf?body={body}").data).pages)
    budget = asked - 1
    fitted = client.get(f"/print/meetings.pdf?body={body}&max_pages={budget}")
    assert fitted.status_code == 200
    reader = read(fitted.data)
    assert len(reader.pages) <= budget
    assert "\n".join(texts(reader)).count("7:00 PM – 8:00 PM Alpha Step") == 1
    refused = client.get(f"/print/meetings.pdf?body={body}&max_pages=1")
    assert refused.status_code == 400 and refused.mimetype == "text/html"
    assert "does not fit in 1 page" in refused.get_data(as_text=True)


def test_an_empty_list_is_one_page_that_says_so_with_the_crisis_numbers(client, session, make_body):
    empty = make_body(kind="area", name="Quiet Area")
    session.commit()
    response = client.get(f"/print/meetings.pdf?body={empty.id}&booklet=1")
    reader = read(response.data)
    assert len(reader.pages) == 1
    text = texts(reader)[0]
    assert "No meetings match this list." in text and "988" in text and "1-800-662-4357" in text


def test_a_search_prints_and_stays_private(client, area):
    response = client.get("/print/meetings.pdf?lat=39.9487&lon=-75.1685&radius=5")
    assert response.status_code == 200
    assert response.cache_control.private and not response.cache_control.public
    reader = read(response.data)
    assert "NA meetings near 39.949, -75.16" in texts(reader)[0]
    assert "http://localhost/search?lat=39.9487&lon=-75.1685&radius=5" in qr_codes(reader)
    body = client.get(f"/print/meetings.pdf?body={area['region'].id}")
    assert body.cache_control.public


def test_etag_answers_304_until_the_data_changes(client, area, make_meeting, session):
    url = f"/print/meetings.pdf?body={area['region'].id}"
    first = client.get(url)
    etag = first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get(url + "&columns=1", headers={"If-None-Match": etag}).status_code == 200  # other options
    make_meeting(name="Newcomer Night", times=[(2, "20:00", 60)], service_body_id=area["child"].id)
    session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "Newcomer Night" in "\n".join(texts(read(changed.data)))


@pytest.mark.parametrize(("query", "status", "says"), [
    ("body=999999", 404, "There is no service body 999999"),
    ("body={body}&columns=9", 400, "Columns: choose 1 to 3."),
    ("body={body}&max_pages=abc", 400, "At most N pages"),
    ("body={body}&zone=Mars/Base", 400, "That time zone is unknown"),
    ("body={body}&paper=legal", 400, "Paper is Letter or A4."),
    ("", 400, "Choose a list to print"),
    ("day=mon", 400, "Choose where the list is for"),
    ("q=Nowhereville%20XY", 400, "couldn"),
    ("body={body}&language=fr", 400, "Language: English (en) or Spanish (es)."),
    ("body={body}&second_language=xx", 400, "The second language: English (en) or Spanish (es)."),
    ("body={body}&language=es&second_language=es", 400, "The second language must differ from the first."),
])
def test_bad_input_gets_the_options_page_saying_what_to_change(client, area, query, status, says):
    response = client.get("/print/meetings.pdf?" + query.format(body=area["region"].id))
    assert response.status_code == status and response.mimetype == "text/html"
    assert says in response.get_data(as_text=True)


@pytest.mark.parametrize(("query", "status", "says"), [
    ("body={body}&columns=9", 400, "Columnas: elija de 1 a 3."),
    ("body=999999", 404, "Aquí no hay un cuerpo de servicio 999999"),
    ("body={body}&language=fr", 400, "Idioma: inglés (en) o español (es)."),
    ("body={body}&large=1&columns=3", 400, "caben como máximo 2 columnas"),
    ("", 400, "Elija una lista para imprimir"),
])
def test_bad_input_is_explained_in_the_readers_language(client, area, query, status, says):
    response = client.get("/print/meetings.pdf?" + query.format(body=area["region"].id) + "&locale=es")
    assert response.status_code == status and says in response.get_data(as_text=True)


def test_what_was_typed_is_kept(client, area):
    page = client.get(f"/print/meetings.pdf?body={area['region'].id}&max_pages=abc&paper=a4").get_data(as_text=True)
    assert 'name="max_pages" value="abc"' in page
    assert 'value="a4" checked' in page
    assert f'name="body" value="{area["region"].id}"' in page


def test_a_list_too_long_says_how_to_narrow_it(app, client, area):
    app.config["PRINT_MAX_MEETINGS"] = 3
    response = client.get(f"/print/meetings.pdf?body={area['region'].id}")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "a printed list holds at most 3" in text and "Narrow it" in text


def test_the_options_page_describes_the_list(client, area):
    page = client.get(f"/print/?body={area['region'].id}").get_data(as_text=True)
    assert "Delaware Valley Region" in page and "7 meetings" in page
    assert 'action="/print/meetings.pdf"' in page


def test_links_from_results_body_pages_and_feeds(client, area):
    region = area["region"].id
    results = client.get("/search?lat=39.9487&lon=-75.1685&radius=5").get_data(as_text=True)
    assert 'href="/print/?lat=39.9487&amp;lon=-75.1685&amp;radius=5">Print this list' in results
    page = client.get(f"/bodies/{region}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Center City Area" in text and "Alpha Step" in text and f"/print/?body={region}" in text
    assert client.get("/bodies/999999").status_code == 404
    link = f'</print/meetings.pdf?body={region}>; rel="alternate"; type="application/pdf"'
    assert client.get(f"/feeds/meeting-guide/{region}.json").headers["Link"].startswith(link)
    assert client.get(f"/calendars/body/{region}.ics").headers["Link"].startswith(link)


def test_the_list_prints_in_its_own_language_whatever_the_page_language(client, area):
    spanish_page = client.get(f"/print/meetings.pdf?body={area['region'].id}&locale=es")
    assert "7:00 PM – 8:00 PM Alpha Step" in "\n".join(texts(read(spanish_page.data)))
    assert "Imprimir esta lista" in client.get(f"/print/?body={area['region'].id}&locale=es").get_data(as_text=True)


# The same list in Spanish: Sunday first, times as Spanish readers in the US write them.
EXPECTED_ES = [
    "10:00 a.m. – 11:00 a.m. Both Ways",
    "7:00 p.m. – 8:00 p.m. Alpha Step",
    "7:00 a.m. – 8:00 a.m. Beta Speaker",
    "6:00 p.m. – 7:00 p.m. Closed Doors",
    "7:30 p.m. – 8:30 p.m. Beta Speaker",
    "7:00 p.m. – 8:00 p.m. Holiday Group",
    "11:30 p.m. – 1:00 a.m. (día siguiente) Night Owls",
    "8:00 p.m. – 9:00 p.m. Screen Time",
]


def _in_order(whole: str, lines: list[str]) -> bool:
    return all(whole.count(line) == 1 for line in lines) and \
        [whole.index(line) for line in lines] == sorted(whole.index(line) for line in lines)


def test_a_spanish_list_read_back(client, area):
    reader = read(client.get(f"/print/meetings.pdf?body={area['region'].id}&language=es").data)
    pages = texts(reader)
    whole = "\n".join(pages)
    assert _in_order(whole, EXPECTED_ES)
    flat = " ".join(whole.split())
    for heading in ("Domingo", "Lunes", "Martes", "Miércoles", "Jueves", "Viernes", "Sábado"):
        assert heading in flat
    assert "Reuniones en persona (las híbridas también en línea)" in flat and "Reuniones en línea" in flat
    front = " ".join(pages[0].split())
    assert "Qué significan los códigos" in front and "STEP Estudio de pasos" in front and "SPK Orador" in front
    assert "Esta lista, siempre al día" in front and "Línea de ayuda: (215) 555-0142" in front
    today = utcnow().astimezone(zone_of(NY)).date()
    printed = format_date(today, "long", locale="es_US")
    for page in pages:
        assert "Horarios en America/New_York" in page and f"Impresa el {printed}" in " ".join(page.split())
    holiday = area["holiday"]
    assert f"No hay reunión el {format_skeleton('MMMEd', holiday, locale='es_US')} (Feast)" in flat
    assert "Local cerrado temporalmente" in flat and "Sin formatos indicados" in flat
    assert "Por teléfono: +1 555 0100" in flat
    back = " ".join(pages[-1].split())
    assert "Su primera reunión" in back
    assert "Usted es bienvenido. Las reuniones son gratuitas y nadie tiene que hablar: puede solo escuchar." in back
    assert "Your first meeting" not in flat and "What the codes mean" not in flat
    # The QR code opens the live list in Spanish.
    assert f"http://localhost/bodies/{area['region'].id}?locale=es" in qr_codes(reader)


def test_a_bilingual_list_says_its_front_legend_and_back_in_both(client, area):
    reader = read(client.get(f"/print/meetings.pdf?body={area['region'].id}&second_language=es").data)
    pages = texts(reader)
    whole = "\n".join(pages)
    assert _in_order(whole, EXPECTED)  # the list itself in the first language
    front = " ".join(pages[0].split())
    # The crisis heading's Spanish is the catalog's own (its wording is tuned for phones), so it is read from there.
    help_now_es = Translations.load(str(CATALOGS), ["es"], domain="messages").gettext("Need help now?")
    for words in ("What the codes mean", "Qué significan los códigos", "Need help now?", help_now_es,
                  "STEP Step study", "STEP Estudio de pasos", "Printed on", "Impresa el"):
        assert words in front, words
    back = " ".join(pages[-1].split())
    assert "Your first meeting" in back and "Su primera reunión" in back
    assert "You are welcome." in back and "Usted es bienvenido." in back
    spanish_first = "\n".join(texts(read(client.get(
        f"/print/meetings.pdf?body={area['region'].id}&language=es&second_language=en").data)))
    assert _in_order(spanish_first, EXPECTED_ES) and "What the codes mean" in spanish_first


def test_the_options_page_offers_the_languages_and_keeps_them(client, area):
    page = client.get(f"/print/?body={area['region'].id}&locale=es").get_data(as_text=True)
    assert '<option value="es" selected>Español</option>' in page  # a Spanish reader's list defaults to Spanish
    assert 'name="second_language"' in page
    chosen = client.get(f"/print/?body={area['region'].id}&language=en&second_language=es").get_data(as_text=True)
    assert '<option value="en" selected>English</option>' in chosen
    assert '<option value="es" selected>Español</option>' in chosen
