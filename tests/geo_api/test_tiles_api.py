"""Tile, page, static and road endpoints over the demo platform."""

from __future__ import annotations

from fastapi.testclient import TestClient

from geo_api.routers.tiles import MVT
from tests.layers.test_tiles import decode_mvt

TILE = "/collections/service_points/tiles/10/811/527"


def test_tile_headers_and_body(demo_client: TestClient) -> None:
    r = demo_client.get(TILE)
    assert r.status_code == 200
    assert r.headers["content-type"] == MVT
    assert r.headers["cache-control"].startswith("public, max-age=")
    assert r.headers["etag"].startswith('"')
    layer = decode_mvt(r.content)["service_points"]
    assert layer["ids"]
    again = demo_client.get(TILE)
    assert again.content == r.content and again.headers["etag"] == r.headers["etag"]


def test_if_none_match_gives_304(demo_client: TestClient) -> None:
    etag = demo_client.get(TILE).headers["etag"]
    r = demo_client.get(TILE, headers={"If-None-Match": etag})
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers["etag"] == etag
    assert demo_client.get(TILE, headers={"If-None-Match": f'W/{etag}, "x"'}).status_code == 304
    assert demo_client.get(TILE, headers={"If-None-Match": '"other"'}).status_code == 200


def test_tiles_differ_by_address(demo_client: TestClient) -> None:
    a = demo_client.get("/collections/service_points/tiles/0/0/0")
    b = demo_client.get("/collections/admin_areas/tiles/0/0/0")
    assert a.headers["etag"] != b.headers["etag"]
    assert list(decode_mvt(b.content)) == ["admin_areas"]


def test_repeated_tile_comes_from_the_cache(demo_client: TestClient) -> None:
    """(Tile latency is measured in bench/web.py, not asserted here.)"""
    first = demo_client.get(TILE)
    caches = demo_client.app.state.caches  # type: ignore[attr-defined]
    hits = caches.tiles.hits
    for _ in range(20):
        again = demo_client.get(TILE)
        assert again.status_code == 200 and again.content == first.content
    assert caches.tiles.hits == hits + 20


def test_empty_tile_and_errors(demo_client: TestClient) -> None:
    empty = demo_client.get("/collections/service_points/tiles/10/0/0")
    assert empty.status_code == 200 and empty.content == b""
    for path, field, status in [
        # outside the tile matrix set: no such tile (OGC API - Tiles)
        ("/collections/service_points/tiles/23/0/0", "z", 404),
        ("/collections/service_points/tiles/2/4/0", "x", 404),
        ("/collections/service_points/tiles/2/0/9", "y", 404),
        # not a tile address at all
        ("/collections/service_points/tiles/a/0/0", "z", 400),
        ("/collections/service_points/tiles/1/-1/0", "x", 400),
    ]:
        r = demo_client.get(path)
        assert r.status_code == status, path
        assert r.json()["field"] == field
    assert demo_client.get("/collections/nope/tiles/0/0/0").status_code == 404


def test_pages_and_static(demo_client: TestClient) -> None:
    for path in ("/peta", "/peta/logistik", "/peta/perencanaan"):
        for lang in ("id", "en"):
            r = demo_client.get(path, params={"lang": lang})
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/html")
            assert len(r.content) < 1_000_000
            assert f'<html lang="{lang}">' in r.text
    js = demo_client.get("/static/leaflet/leaflet.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "max-age" in js.headers["cache-control"]
    assert demo_client.get("/static/app/common.js").status_code == 200
    assert demo_client.get("/static/leaflet/images/marker-icon.png").status_code == 200
    assert demo_client.get("/static/app/../pages.py").status_code == 404
    assert demo_client.get("/static/app/%2e%2e/pages.py").status_code == 404
    assert demo_client.get("/static/other/x.js").status_code == 404


def test_roads(demo_client: TestClient) -> None:
    r = demo_client.get("/roads", params={"bbox": "105.0,-5.6,105.5,-5.2", "limit": 50})
    assert r.status_code == 200
    body = r.json()
    assert body["numberReturned"] == 50 < body["numberMatched"]
    ranks = [f["properties"]["rank"] for f in body["features"]]
    assert ranks == sorted(ranks)  # most important roads first
    assert body["features"][0]["geometry"]["type"] == "LineString"
    major = demo_client.get("/roads", params={"max_rank": 0}).json()
    assert {f["properties"]["highway"] for f in major["features"]} == {"motorway"}
    assert demo_client.get("/roads", params={"bbox": "1,2"}).status_code == 400
    assert demo_client.get("/roads", params={"limit": 0}).status_code == 400


def test_classify_endpoint_is_gone(demo_client: TestClient) -> None:
    """Fisher-Jenks on public values burnt a core for hours: the pages use fixed classes."""
    r = demo_client.post("/peta/classify", json={"values": [1, 2, 3, 10, 20, None], "k": 3})
    assert r.status_code in (404, 405)
    assert "/peta/classify" not in demo_client.get("/openapi.json").json()["paths"]


def test_view_collection_tiles(demo_client: TestClient) -> None:
    """shipments reads a view: no row versions, so the ETag is the bytes' hash."""
    r = demo_client.get("/collections/shipments/tiles/0/0/0")
    assert r.status_code == 200 and r.headers["content-type"] == MVT
    again = demo_client.get(
        "/collections/shipments/tiles/0/0/0", headers={"If-None-Match": r.headers["etag"]}
    )
    assert again.status_code == 304
