"""Response compression: text answers in brotli or gzip, binary ones unchanged.

The oracle is the uncompressed answer to the same request and the standard library's
``gzip`` / Google's ``brotli`` decoders (not the middleware's own code).
"""

from __future__ import annotations

import gzip
import json

import brotli
import pytest
from fastapi.testclient import TestClient

from geo_api.compression import choose_encoding
from web.assets import file_version, static_file

BBOX = "105.0,-5.6,105.5,-5.2"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("gzip", "gzip"),
        ("gzip, br", "br"),
        ("br;q=0, gzip", "gzip"),
        ("gzip;q=0.5, br;q=0.4", "gzip"),
        ("*", "br"),
        ("identity", None),
        ("gzip;q=0", None),
    ],
)
def test_choose_encoding(header: str | None, expected: str | None) -> None:
    assert choose_encoding(header) == expected


def _decode(body: bytes, encoding: str | None) -> bytes:
    if encoding == "br":
        return bytes(brotli.decompress(body))
    if encoding == "gzip":
        return gzip.decompress(body)
    return body


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_geojson_is_compressed_and_decodes_to_the_plain_answer(
    demo_client: TestClient, encoding: str
) -> None:
    url = f"/collections/service_points/items?bbox={BBOX}&limit=500"
    plain = demo_client.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert "content-encoding" not in plain.headers
    with demo_client.stream("GET", url, headers={"Accept-Encoding": encoding}) as packed:
        wire = b"".join(packed.iter_raw())
        assert packed.headers["content-encoding"] == encoding
        assert "Accept-Encoding" in packed.headers["vary"]
    assert len(wire) < len(plain.content) / 3
    decoded = json.loads(_decode(wire, encoding))
    expected = plain.json()
    decoded.pop("timeStamp", None)
    expected.pop("timeStamp", None)
    assert decoded == expected


@pytest.mark.parametrize(
    ("package", "path"), [("leaflet", "leaflet.js"), ("app", "app.css"), ("app", "citizen.js")]
)
def test_static_files_are_precompressed(demo_client: TestClient, package: str, path: str) -> None:
    found = static_file(package, path)
    assert found is not None
    raw = found.read_bytes()
    with demo_client.stream(
        "GET", f"/static/{package}/{path}", headers={"Accept-Encoding": "br, gzip"}
    ) as r:
        wire = b"".join(r.iter_raw())
        assert r.headers["content-encoding"] == "br"
    assert _decode(wire, "br") == raw
    assert len(wire) < len(raw) / 2
    r = demo_client.get(f"/static/{package}/{path}", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert r.content == raw
    assert r.headers["cache-control"] == "public, max-age=3600"
    etag = r.headers["etag"]
    again = demo_client.get(f"/static/{package}/{path}", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_versioned_static_url_is_immutable(demo_client: TestClient) -> None:
    found = static_file("leaflet", "leaflet.js")
    assert found is not None
    r = demo_client.get(f"/static/leaflet/leaflet.js?v={file_version(found)}")
    assert "immutable" in r.headers["cache-control"]
    stale = demo_client.get("/static/leaflet/leaflet.js?v=000000000000")
    assert "immutable" not in stale.headers["cache-control"]


def test_binary_and_small_answers_pass_unchanged(demo_client: TestClient) -> None:
    icon = demo_client.get("/favicon.ico", headers={"Accept-Encoding": "br, gzip"})
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/x-icon"
    assert "content-encoding" not in icon.headers
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # the ICO signature
    small = demo_client.get("/health", headers={"Accept-Encoding": "br, gzip"})
    if len(small.content) < 1024:
        assert "content-encoding" not in small.headers


def test_page_links_its_favicon(demo_client: TestClient) -> None:
    html = demo_client.get("/peta").text
    assert 'rel="icon"' in html
    assert "/static/app/favicon.svg?v=" in html
    assert demo_client.get("/static/app/favicon.svg").status_code == 200
