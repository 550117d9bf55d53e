"""OGC API – Features Part 2 (crs, bbox-crs, Content-Crs), links that never echo a
client's Host header, and the security headers of every answer.

The CRS oracle is pyproj (not the PostGIS transform the API uses); the counts' oracle a
direct SQL count.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pyproj import Transformer
from sqlalchemy import Engine, create_engine, text

from geo_api.app import create_app
from geo_api.settings import ApiSettings, Settings
from layers.params import CRS84, EPSG_3857, EPSG_4326

ITEMS = "/collections/ports/items"
BBOX = (105.00123, -5.60123, 105.90123, -5.20123)  # no demo point (4 decimals) on an edge
TO_3857 = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)


@pytest.fixture(scope="module")
def demo_engine(demo_url: str) -> Iterator[Engine]:
    engine = create_engine(demo_url)
    yield engine
    engine.dispose()


def _coords(client: TestClient, **params: str) -> dict[int, list[float]]:
    r = client.get(ITEMS, params=params)
    assert r.status_code == 200, r.text
    return {f["id"]: f["geometry"]["coordinates"] for f in r.json()["features"]}


def test_collections_advertise_the_same_crs_list(demo_client: TestClient) -> None:
    body = demo_client.get("/collections").json()
    assert body["crs"] == [CRS84, EPSG_4326, EPSG_3857]
    for c in body["collections"]:
        if c["geometryType"] is None:  # vehicle_classes: no geometry, no CRS
            assert "crs" not in c and "storageCrs" not in c
        else:
            assert c["crs"] == body["crs"] and c["storageCrs"] == CRS84
    conf = demo_client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf


def test_items_in_each_crs(demo_client: TestClient) -> None:
    lonlat = _coords(demo_client)
    assert demo_client.get(ITEMS).headers["content-crs"] == f"<{CRS84}>"
    latlon = _coords(demo_client, crs=EPSG_4326)
    assert latlon == {k: [v[1], v[0]] for k, v in lonlat.items()}  # EPSG:4326 is lat, lon
    r = demo_client.get(ITEMS, params={"crs": EPSG_3857})
    assert r.headers["content-crs"] == f"<{EPSG_3857}>"
    merc = {f["id"]: f["geometry"]["coordinates"] for f in r.json()["features"]}
    for fid, (lon, lat) in lonlat.items():
        x, y = TO_3857.transform(lon, lat)
        assert merc[fid] == pytest.approx([x, y], abs=0.02)
    one = demo_client.get(f"{ITEMS}/1", params={"crs": EPSG_4326})
    assert one.headers["content-crs"] == f"<{EPSG_4326}>"
    assert one.json()["geometry"]["coordinates"] == latlon[1]


@pytest.mark.parametrize("crs", [CRS84, EPSG_4326, EPSG_3857])
def test_bbox_in_each_crs(demo_client: TestClient, demo_engine: Engine, crs: str) -> None:
    minx, miny, maxx, maxy = BBOX
    if crs == EPSG_4326:
        box = (miny, minx, maxy, maxx)
    elif crs == EPSG_3857:
        box = (*TO_3857.transform(minx, miny), *TO_3857.transform(maxx, maxy))
    else:
        box = BBOX
    params = {"bbox": ",".join(f"{v:.9f}" for v in box), "bbox-crs": crs, "limit": "10000"}
    r = demo_client.get("/collections/service_points/items", params=params)
    assert r.status_code == 200, r.text
    with demo_engine.connect() as conn:
        want = conn.execute(
            text(
                "SELECT count(*) FROM service_points WHERE "
                "ST_Intersects(geom, ST_MakeEnvelope(:a, :b, :c, :d, 4326))"
            ),
            dict(zip("abcd", BBOX, strict=True)),
        ).scalar_one()
    assert r.json()["numberMatched"] == want > 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"crs": "EPSG:4326"}, "crs"),
        ({"crs": "http://www.opengis.net/def/crs/EPSG/0/999999"}, "crs"),
        ({"bbox-crs": "urn:ogc:def:crs:EPSG::3857", "bbox": "1,2,3,4"}, "bbox-crs"),
        ({"bbox-crs": EPSG_3857, "bbox": "0,0,1e9,1"}, "bbox"),
        ({"bbox-crs": EPSG_4326, "bbox": "105,-5,106,-4"}, "bbox"),  # lat 105
    ],
)
def test_unsupported_crs_and_bad_boxes(demo_client: TestClient, params: dict, field: str) -> None:
    r = demo_client.get(ITEMS, params=params)
    assert r.status_code == 400 and r.json()["field"] == field, r.text


# -- links ---------------------------------------------------------------------------
def _hrefs(client: TestClient, **headers: str) -> list[str]:
    body = client.get("/collections/ports/items", params={"limit": 1}, headers=headers).json()
    landing = client.get("/", headers=headers).json()
    return [link["href"] for link in body["links"] + landing["links"]]


def test_host_header_is_never_echoed(demo_client: TestClient) -> None:
    for hrefs in (
        _hrefs(demo_client, host="evil.example"),
        _hrefs(demo_client, **{"x-forwarded-host": "evil.example", "x-forwarded-proto": "https"}),
    ):
        assert hrefs and all(h.startswith("http://testserver/") for h in hrefs), hrefs


def test_links_from_the_public_url(demo_settings: Settings) -> None:
    settings = Settings(
        database=demo_settings.database,
        routing=demo_settings.routing,
        api=ApiSettings(public_url="https://peta.lampungprov.go.id/geo/"),
    )
    with TestClient(create_app(settings)) as client:
        hrefs = _hrefs(client, host="evil.example")
        r = client.get("/geo/collections/ports")  # a proxy that keeps the prefix
        assert r.status_code == 200
    assert all(h.startswith("https://peta.lampungprov.go.id/geo/") for h in hrefs), hrefs


def test_forwarded_headers_only_from_trusted_proxies(demo_settings: Settings) -> None:
    settings = Settings(
        database=demo_settings.database,
        routing=demo_settings.routing,
        api=ApiSettings(trusted_proxies=["10.0.0.0/8"]),
    )
    forwarded = {
        "x-forwarded-host": "peta.example.id",
        "x-forwarded-proto": "https",
        "x-forwarded-prefix": "/geo",
    }
    app = create_app(settings)
    with TestClient(app, client=("10.1.2.3", 5000)) as proxy:
        assert all(h.startswith("https://peta.example.id/geo/") for h in _hrefs(proxy, **forwarded))
        # a forged host is not a host name: the server's own address instead
        bad = _hrefs(proxy, **{"x-forwarded-host": "evil.example/x?"})
        assert all(h.startswith("http://testserver/") for h in bad), bad
    with TestClient(app, client=("192.0.2.9", 5000)) as stranger:
        assert all(h.startswith("http://testserver/") for h in _hrefs(stranger, **forwarded))


# -- security headers ----------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/collections/ports/items",
        "/collections/nope",
        "/collections/ports/tiles/0/0/0",
        "/static/app/common.js",
        "/peta",
        "/docs",
        "/openapi.json",
        "/route?from=1,2",
    ],
)
def test_security_headers_everywhere(demo_client: TestClient, path: str) -> None:
    r = demo_client.get(path)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert r.headers["x-frame-options"] == "DENY"
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    if r.headers["content-type"].startswith("text/html") and path == "/peta":
        assert "script-src 'self' 'sha256-" in csp and "unsafe-inline" not in csp
        assert "img-src 'self' data: https://tile.openstreetmap.org" in csp
    elif path != "/docs":
        assert csp.startswith("default-src 'none'")


def test_allow_header_lists_every_method(demo_client: TestClient) -> None:
    r = demo_client.delete("/shipments")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, POST"
    r = demo_client.post("/shipments/1")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD, PATCH"
    assert r.json()["code"] == "MethodNotAllowed"
    r = demo_client.post("/static/app/common.js")  # a route outside the OpenAPI document
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"
