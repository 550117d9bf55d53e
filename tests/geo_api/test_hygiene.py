"""No 500 from any input: the NUL-byte and huge-value corpus, body limits, keep-alive.

Every route is sent a NUL byte (and other control characters) in each of its text
parameters, path segments and body fields; each must answer 400 naming the field.
Then huge numbers, NaN/Infinity spellings, JSON ``false``/``true`` where numbers are
expected, deeply nested JSON and a 10 MB body. The fuzzer (test_schemathesis.py) did
not find these, so they are kept here as explicit cases.
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from geo_api.app import create_app
from geo_api.settings import Settings

NUL = "\x00"
ITEMS = "/collections/{c}/items"

# (path, text query parameters, a valid base query)
QUERY_ROUTES: list[tuple[str, list[str], dict[str, str]]] = [
    (
        "/collections/service_points/items",
        ["category", "name", "source", "source_id", "bbox", "limit", "offset", "f", "crs"],
        {},
    ),
    ("/collections/farms/items", ["commodity", "name", "bbox-crs"], {}),
    ("/collections/admin_areas/items", ["level", "code", "name"], {}),
    ("/collections/ports/items", ["code", "kind"], {}),
    ("/collections/shipments/items", ["status", "commodity", "code", "vehicle_class"], {}),
    ("/collections/vehicle_classes/items", ["code", "toll_group", "ferry_class"], {}),
    ("/collections/service_points/items/1", ["crs"], {}),
    ("/route", ["from", "to", "profile"], {"from": "105.26,-5.43", "to": "105.30,-5.40"}),
    (
        "/nearest",
        ["category", "profile", "lon", "lat", "k"],
        {"lon": "105.3", "lat": "-5.4", "category": "puskesmas"},
    ),
    ("/isochrones", ["minutes", "profile", "lon"], {"lon": "105.3", "lat": "-5.4"}),
    ("/coverage/areas", ["category", "minutes", "profile"], {"category": "puskesmas"}),
    (
        "/coverage/stats",
        ["category", "minutes", "level", "f", "rank_minutes", "assume_population"],
        {"category": "puskesmas"},
    ),
    ("/coverage/underserved", ["category", "minutes", "level"], {"category": "puskesmas"}),
    ("/shipments", ["status", "commodity", "market", "from", "to", "limit"], {}),
    ("/roads", ["bbox", "profile", "limit"], {}),
    ("/peta", ["lang"], {}),
    ("/peta/logistik", ["lang"], {}),
    ("/peta/perencanaan", ["lang"], {}),
    ("/collections", ["f"], {}),
    ("/health", ["x"], {}),
]
QUERY_CASES = [(path, name, base) for path, names, base in QUERY_ROUTES for name in names]

PATH_CASES = [
    "/collections/service\x00points",
    "/collections/service_points/items/1\x00",
    "/collections/vehicle_classes/items/pick\x00up",
    "/collections/service_points/queryables\x00",
    "/collections/service_points/tiles/8/\x00/1",
    "/shipments/1\x00",
    "/shipments/1\x00/events",
    "/static/app/\x00.js",
    "/static/app/common\x00.js",
    "/logistics/parameters/fuel\x00price",
]

PLAN = {
    "origin": [105.3, -5.4],
    "market": "cipinang",
    "commodity": "padi",
    "tonnes": 8,
    "vehicle_class": "medium_truck",
    "departure": "2026-03-02T06:00:00+07:00",
}
# (method, path, a valid body, its text fields as dotted paths)
BODY_ROUTES: list[tuple[str, str, dict[str, Any], list[str]]] = [
    ("POST", "/matrix", {"sources": [[105.3, -5.4]], "targets": [[105.2, -5.4]]}, ["profile"]),
    (
        "POST",
        "/plan/sites",
        {"category": "puskesmas", "count": 2},
        ["category", "profile"],
    ),
    (
        "POST",
        "/logistics/plan",
        PLAN | {"code": "X-1", "fuel": "solar"},
        ["market", "commodity", "vehicle_class", "departure", "code", "fuel"],
    ),
    (
        "POST",
        "/logistics/allocate",
        {"month": 3, "commodity": "padi", "vehicle_class": "heavy_truck"},
        ["commodity", "vehicle_class", "fuel"],
    ),
    ("PUT", "/logistics/parameters/fuel_price.solar", {"value": 1, "source": "abc"}, ["source"]),
    ("POST", "/shipments", PLAN | {"code": "X-2"}, ["market", "commodity", "code", "departure"]),
    ("PATCH", "/shipments/1", {"status": "loading", "note": "n", "at": "2026-03-02"}, ["note"]),
    ("PATCH", "/shipments/1", {"status": "loading"}, ["status", "at"]),
]
BODY_CASES = [(m, p, b, f) for m, p, b, fields in BODY_ROUTES for f in fields]


def _set(body: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(body))
    target = out
    *parents, leaf = dotted.split(".")
    for p in parents:
        target = target[int(p) if p.isdigit() else p]
    target[leaf] = value
    return out


def _assert_refused(r: Any, field: str, status: int = 400) -> None:
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert body["field"] == field, body
    assert "Traceback" not in r.text and "SELECT" not in r.text


@pytest.mark.parametrize(("path", "name", "base"), QUERY_CASES)
def test_nul_in_query_parameter(
    demo_client: TestClient, path: str, name: str, base: dict[str, str]
) -> None:
    r = demo_client.get(path, params=base | {name: f"a{NUL}b"})
    _assert_refused(r, name)
    assert "NUL" in r.json()["description"]


@pytest.mark.parametrize("char", ["\x01", "\x1f", "\x7f", "\n", "\t", "\r"])
def test_other_control_characters_in_query(demo_client: TestClient, char: str) -> None:
    r = demo_client.get("/collections/service_points/items", params={"name": f"x{char}y"})
    _assert_refused(r, "name")


def test_nul_in_a_parameter_name(demo_client: TestClient) -> None:
    r = demo_client.get("/collections/service_points/items", params={f"na{NUL}me": "x"})
    _assert_refused(r, "na\\x00me")


@pytest.mark.parametrize("path", PATH_CASES)
def test_nul_in_path(demo_client: TestClient, path: str) -> None:
    r = demo_client.get(quote(path, safe="/"))
    _assert_refused(r, "path")


@pytest.mark.parametrize(("method", "path", "body", "field"), BODY_CASES)
def test_nul_in_body_field(
    demo_client: TestClient, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    r = demo_client.request(method, path, json=_set(body, field, f"a{NUL}b"))
    _assert_refused(r, field)


def test_nul_deep_in_a_body_and_in_keys(demo_client: TestClient) -> None:
    r = demo_client.post("/matrix", json={"sources": [[105.3, -5.4]], "targets": [["\x00", 1]]})
    _assert_refused(r, "targets.0.0")
    r = demo_client.post("/matrix", json={"sources": [[105.3, -5.4]], "tar\x00gets": 1})
    _assert_refused(r, "tar\\x00gets")
    # an escaped backslash followed by u0000 is text, not a NUL
    r = demo_client.post(
        "/logistics/allocate",
        content=b'{"month": 3, "commodity": "\\\\u0000"}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code in (400, 422) and r.json()["field"] == "commodity"
    assert "NUL" not in r.json()["description"]


def test_note_keeps_tab_and_newline_but_not_other_controls(
    writable_client: TestClient, admin_key: str
) -> None:
    client, key = writable_client, {"X-API-Key": admin_key}
    made = client.post("/shipments", json=PLAN | {"code": "HYG-NOTE"}, headers=key)
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    ok = client.patch(
        f"/shipments/{sid}",
        json={"status": "loading", "note": "line 1\n\tline 2\r\n"},
        headers=key | {"Idempotency-Key": "hyg-note-1"},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["event"]["note"] == "line 1\n\tline 2\r\n"
    for i, note in enumerate(["bell \x07", "x\x00", "del \x7f"]):
        bad = client.patch(
            f"/shipments/{sid}", json={"note": note}, headers=key | {"Idempotency-Key": f"n{i}"}
        )
        _assert_refused(bad, "note")
    # a code is an identifier, not a note: no line breaks
    _assert_refused(client.post("/shipments", json=PLAN | {"code": "A\nB"}, headers=key), "code")


def test_lone_surrogate_in_a_body(demo_client: TestClient) -> None:
    r = demo_client.post(
        "/logistics/allocate",
        content=b'{"month": 3, "commodity": "\\ud800"}',
        headers={"Content-Type": "application/json"},
    )
    _assert_refused(r, "commodity")
    # a well-formed pair (an emoji) is text: answered as an unknown commodity, not refused
    r = demo_client.post(
        "/logistics/allocate",
        content=b'{"month": 3, "commodity": "\\ud83c\\udf4c"}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code in (400, 422) and r.json()["field"] == "commodity"
    assert "surrogate" not in r.json()["description"]


def test_nul_in_a_header_we_read(demo_client: TestClient) -> None:
    r = demo_client.patch(
        "/shipments/1",
        json={"status": "loading"},
        headers={"Idempotency-Key": "abc\x01def", "X-API-Key": "k"},
    )
    _assert_refused(r, "Idempotency-Key")


@pytest.fixture(scope="module")
def writable_client(writable_demo_settings: Settings) -> Any:
    with TestClient(create_app(writable_demo_settings), raise_server_exceptions=False) as c:
        yield c


# -- huge and odd values -------------------------------------------------------------
HUGE_QUERIES = [
    ("/collections/service_points/items", {"limit": "9" * 40}, "limit"),
    ("/collections/service_points/items", {"offset": "9" * 40}, "offset"),
    ("/collections/service_points/items", {"capacity": "9" * 40}, "capacity"),
    ("/collections/admin_areas/items", {"parent_id": "-" + "9" * 30}, "parent_id"),
    ("/collections/service_points/items", {"bbox": "1e999,0,1,1"}, "bbox"),
    ("/collections/service_points/items/" + "9" * 40, {}, "featureId"),
    ("/nearest", {"lon": "1e999", "lat": "0", "category": "puskesmas"}, "lon"),
    ("/nearest", {"lon": "NaN", "lat": "-5.4", "category": "puskesmas"}, "lon"),
    ("/nearest", {"lon": "105", "lat": "-Infinity", "category": "puskesmas"}, "lat"),
    ("/nearest", {"lon": "105", "lat": "-5", "category": "puskesmas", "k": "9" * 30}, "k"),
    ("/route", {"from": "inf,0", "to": "105.3,-5.4"}, "from"),
    ("/route", {"from": "105.3,-5.4", "to": "nan,nan"}, "to"),
    ("/isochrones", {"lon": "105.3", "lat": "-5.4", "minutes": "1e308"}, "minutes"),
    ("/isochrones", {"lon": "105.3", "lat": "-5.4", "minutes": "NaN"}, "minutes"),
    (
        "/coverage/stats",
        {"category": "puskesmas", "assume_population": "Infinity"},
        "assume_population",
    ),
    ("/coverage/stats", {"category": "puskesmas", "rank_minutes": "NaN"}, "rank_minutes"),
    ("/coverage/underserved", {"category": "puskesmas", "limit": "9" * 25}, "limit"),
    ("/shipments", {"limit": "9" * 25}, "limit"),
    ("/shipments", {"offset": "9" * 25}, "offset"),
    ("/shipments", {"market": "9" * 40}, "market"),
    ("/shipments", {"from": "99999-01-01"}, "from"),
    ("/shipments/" + "9" * 30, {}, "shipment_id"),
    ("/collections/service_points/tiles/99/1/1", {}, "z"),
    ("/collections/service_points/tiles/8/" + "9" * 30 + "/1", {}, "x"),
    ("/roads", {"limit": "9" * 30}, "limit"),
    ("/roads", {"bbox": "nan,nan,nan,nan"}, "bbox"),
]


@pytest.mark.parametrize(("path", "params", "field"), HUGE_QUERIES)
def test_huge_and_non_finite_query_values(
    demo_client: TestClient, path: str, params: dict[str, str], field: str
) -> None:
    r = demo_client.get(path, params=params)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert r.json()["field"] == field, r.text


# Bodies as JSON text: 1e400 and the NaN/Infinity tokens cannot be written by json.dumps
# with allow_nan=False, and a client may send them anyway (Python's parser reads them).
HUGE_BODIES = [
    ("POST", "/matrix", '{"sources": [[1e308, 0]], "targets": [[105.2, -5.4]]}', "sources.0.0"),
    ("POST", "/matrix", '{"sources": [[105.3, -5.4]], "targets": [[105.2, 1e400]]}', "targets.0.1"),
    ("POST", "/matrix", '{"sources": [[NaN, 0]], "targets": [[105.2, -5.4]]}', "sources.0.0"),
    ("POST", "/matrix", '{"sources": [["NaN", 0]], "targets": [[105.2, -5.4]]}', "sources.0.0"),
    ("POST", "/plan/sites", '{"category": "puskesmas", "count": 1' + "0" * 30 + "}", "count"),
    ("POST", "/plan/sites", '{"category": "puskesmas", "count": 1, "minutes": 1e308}', "minutes"),
    ("POST", "/plan/sites", '{"category": "puskesmas", "count": 1, "minutes": NaN}', "minutes"),
    (
        "POST",
        "/plan/sites",
        '{"category": "puskesmas", "count": 1, "assume_population": Infinity}',
        "assume_population",
    ),
    ("POST", "/logistics/plan", json.dumps(PLAN | {"tonnes": 1e308}), "tonnes"),
    ("POST", "/logistics/plan", json.dumps(PLAN)[:-1] + ', "tonnes": Infinity}', "tonnes"),
    ("POST", "/logistics/plan", json.dumps(PLAN | {"tonnes": "Infinity"}), "tonnes"),
    ("POST", "/logistics/plan", json.dumps(PLAN | {"market": 10**30}), "market"),
    ("POST", "/logistics/plan", json.dumps(PLAN | {"departure": "99999-01-01T00:00"}), "departure"),
    ("POST", "/logistics/plan", json.dumps(PLAN | {"departure": "9999-12-31T23:59+00:00"}), None),
    ("POST", "/logistics/allocate", '{"month": 1' + "0" * 40 + "}", "month"),
    (
        "POST",
        "/logistics/allocate",
        '{"month": 3, "ferry_freight_share": NaN}',
        "ferry_freight_share",
    ),
    ("POST", "/logistics/allocate", '{"month": 3, "year": -1e999}', "year"),
    ("PUT", "/logistics/parameters/fuel_price.solar", '{"value": 1e400, "source": "abc"}', "value"),
    ("PUT", "/logistics/parameters/fuel_price.solar", '{"value": NaN, "source": "abc"}', "value"),
    ("PUT", "/logistics/parameters/fuel_price.solar", '{"value": 1e300, "source": "abc"}', "value"),
    ("PATCH", "/shipments/1", '{"position": [1e308, 0]}', "position.0"),
    ("PATCH", "/shipments/1", '{"position": [105.3, -Infinity]}', "position.1"),
    ("PATCH", "/shipments/1", '{"at": "99999-12-31T00:00"}', "at"),
    ("PATCH", "/shipments/" + "9" * 30, '{"note": "x"}', "shipment_id"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), HUGE_BODIES)
def test_huge_and_non_finite_body_values(
    writable_client: TestClient,
    admin_key: str,
    method: str,
    path: str,
    body: str,
    field: str | None,
) -> None:
    headers = {
        "X-API-Key": admin_key,
        "Idempotency-Key": f"huge-{field}",
        "Content-Type": "application/json",
    }
    r = writable_client.request(method, path, content=body, headers=headers)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    if field is not None:
        assert r.json()["field"] == field, r.text


# JSON booleans are not numbers: false must never be read as 0, true as 1.
BOOLEAN_BODIES = [
    ("POST", "/matrix", {"sources": [[False, -5.4]], "targets": [[105.2, -5.4]]}, "sources.0.0"),
    ("POST", "/matrix", {"sources": [[105.3, -5.4]], "targets": [[105.2, True]]}, "targets.0.1"),
    ("POST", "/plan/sites", {"category": "puskesmas", "count": True}, "count"),
    ("POST", "/plan/sites", {"category": "puskesmas", "count": 1, "minutes": False}, "minutes"),
    (
        "POST",
        "/plan/sites",
        {"category": "puskesmas", "count": 1, "candidates": [[True, False]]},
        "candidates.0.0",
    ),
    (
        "POST",
        "/plan/sites",
        {"category": "puskesmas", "count": 1, "assume_population": True},
        "assume_population",
    ),
    ("POST", "/logistics/plan", PLAN | {"tonnes": True}, "tonnes"),
    ("POST", "/logistics/plan", PLAN | {"origin": [False, -5.4]}, "origin.0"),
    ("POST", "/logistics/plan", PLAN | {"market": False}, "market"),
    ("POST", "/logistics/allocate", {"month": True}, "month"),
    ("POST", "/logistics/allocate", {"month": 3, "year": False}, "year"),
    (
        "POST",
        "/logistics/allocate",
        {"month": 3, "ferry_freight_share": False},
        "ferry_freight_share",
    ),
    ("PUT", "/logistics/parameters/fuel_price.solar", {"value": False, "source": "abc"}, "value"),
    ("PATCH", "/shipments/1", {"position": [105.3, True]}, "position.1"),
    ("POST", "/shipments", PLAN | {"tonnes": False}, "tonnes"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), BOOLEAN_BODIES)
def test_false_is_not_a_number(
    writable_client: TestClient,
    admin_key: str,
    method: str,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    headers = {"X-API-Key": admin_key, "Idempotency-Key": "b"}
    r = writable_client.request(method, path, json=body, headers=headers)
    _assert_refused(r, field)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/logistics/plan", PLAN | {"tonnes": "8"}, "tonnes"),
        ("/logistics/plan", PLAN | {"origin": ["105.3", "-5.4"]}, "origin.0"),
        ("/logistics/plan", PLAN | {"save": "true"}, "save"),
        ("/logistics/plan", PLAN | {"save": 1}, "save"),
        ("/logistics/allocate", {"month": "3"}, "month"),
        ("/logistics/allocate", {"month": 3.5}, "month"),  # 3.0 is a whole number: taken
        ("/plan/sites", {"category": "puskesmas", "count": "2"}, "count"),
        (
            "/matrix",
            {"sources": [[105.3, -5.4]], "targets": [[105.2, -5.4]], "profile": 1},
            "profile",
        ),
    ],
)
def test_strings_are_not_numbers_in_bodies(
    demo_client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    _assert_refused(demo_client.post(path, json=body), field)


# -- bodies: size and shape ----------------------------------------------------------
def test_ten_megabyte_body_is_refused_with_413(demo_client: TestClient) -> None:
    body = b'{"sources": [' + b"[105.3, -5.4]," * 750_000 + b"[105.3, -5.4]], "
    body += b'"targets": [[105.2, -5.4]]}'
    assert len(body) > 10_000_000
    r = demo_client.post("/matrix", content=body, headers={"Content-Type": "application/json"})
    _assert_refused(r, "body", 413)
    r = demo_client.put(
        "/logistics/parameters/fuel_price_solar",
        content=b"x" * 10_000_001,
        headers={"Content-Type": "application/json"},
    )
    _assert_refused(r, "body", 413)


def test_chunked_body_over_the_limit_is_refused(demo_client: TestClient) -> None:
    def chunks() -> Any:
        for _ in range(200):
            yield b" " * 65_536

    r = demo_client.post("/matrix", content=chunks(), headers={"Content-Type": "application/json"})
    _assert_refused(r, "body", 413)


@pytest.mark.parametrize("depth", [40, 5_000, 100_000])
def test_deeply_nested_json(demo_client: TestClient, depth: int) -> None:
    body = "[" * depth + "]" * depth
    r = demo_client.post(
        "/matrix",
        content=f'{{"sources": {body}, "targets": [[1, 2]]}}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.text
    nested = '{"a":' * depth + '"\\u0000"' + "}" * depth
    r = demo_client.post(
        "/logistics/allocate",
        content=f'{{"month": 3, "commodity": {nested}}}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.text


def test_body_that_is_not_json(demo_client: TestClient) -> None:
    for content in (b"\xff\xfe\x00", b"{", b"null", b"[]", b'"x"', b"1e999"):
        r = demo_client.post(
            "/matrix", content=content, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400, (content, r.status_code, r.text)


# -- the connection survives ---------------------------------------------------------
def test_keep_alive_survives_bad_requests(live_server: Any, demo_settings: Settings) -> None:
    bad = [
        ("GET", "/collections/service_points/items?category=%00", None),
        ("GET", "/nearest?lon=105.3&lat=-5.4&category=a%00", None),
        ("GET", "/shipments?market=%00", None),
        ("GET", "/static/app/%00.js", None),
        ("POST", "/logistics/plan", json.dumps(PLAN | {"market": "\x00"})),
        ("PUT", "/logistics/parameters/%00", json.dumps({"value": 1, "source": "abc"})),
        ("PATCH", "/shipments/1", json.dumps({"note": "\x00"})),
    ]
    with live_server(create_app(demo_settings)) as url:
        host, port = url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.connect()
        sock = conn.sock
        for method, path, body in bad:
            headers = {"Content-Type": "application/json"} if body else {}
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 400, (method, path, resp.status)
            assert not resp.will_close, f"{method} {path} closed the connection"
        conn.request("GET", "/health")
        assert conn.getresponse().status == 200
        assert conn.sock is sock  # one connection for every request
        conn.close()
