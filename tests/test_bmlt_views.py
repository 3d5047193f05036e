"""finder.bmlt.views: the JSON and JSONP endpoints (callbacks, what crouton asks on load, ETags)."""
from __future__ import annotations

import json

import pytest

from tests.helpers import BMLT_ROOT as ROOT
from tests.helpers import assert_all_strings
from tests.helpers import bmlt_get as get


def test_crouton_load_sequence(client, world) -> None:
    """What crouton asks on load, via JSONP, parsed as a browser would run it."""
    response = client.get("/bmlt/client_interface/jsonp/?switcher=GetSearchResults&get_used_formats&lang_enum=en"
                          f"&services[]={world.area1.id}&recursive=1&sort_keys=start_time&callback=croutonCb")
    assert response.status_code == 200 and response.mimetype == "application/javascript"
    body = response.get_data(as_text=True)
    assert body.startswith("croutonCb(") and body.endswith(");")
    data = json.loads(body[len("croutonCb("):-2])
    assert [r["start_time"] for r in data["meetings"]] == ["07:00:00", "12:00:00", "18:30:00", "19:00:00"]
    formats = get(client, "switcher=GetFormats&key_strings[]=TC&key_strings[]=VM&key_strings[]=HY")
    assert sorted(f["key_string"] for f in formats) == ["HY", "TC", "VM"]
    bodies = get(client, f"switcher=GetServiceBodies&parents=1&services[]={world.area1.id}")
    assert sorted(b["name"] for b in bodies) == ["Eastern PA Region", "Philadelphia Area"]
    assert_all_strings(bodies)


@pytest.mark.parametrize("callback", ["", "alert(1)", "a b", "<script>", "x" * 101, "1abc", "cb\u00e9", "\u0441b",
                                      "a.b.c.d.e", "a..b", "cb;alert(1)", "cb\u2028", "cb%00"])
def test_jsonp_callback_is_validated(client, world, callback: str) -> None:
    response = client.get("/bmlt/client_interface/jsonp/", query_string={"switcher": "GetServerInfo",
                                                                         "callback": callback})
    assert response.status_code == 400 and response.mimetype == "application/json"


@pytest.mark.parametrize("callback", ["croutonCb", "jQuery3710123456_1700000000000", "ns.cb", "$", "_cb1", "a.b.c.d"])
def test_jsonp_callbacks_clients_send_are_accepted(client, world, callback: str) -> None:
    response = client.get("/bmlt/client_interface/jsonp/", query_string={"switcher": "GetServerInfo",
                                                                         "callback": callback})
    assert response.status_code == 200 and response.get_data(as_text=True).startswith(f"{callback}(")


def test_etag_answers_304(client, world) -> None:
    first = client.get(f"{ROOT}?switcher=GetServiceBodies")
    again = client.get(f"{ROOT}?switcher=GetServiceBodies", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
