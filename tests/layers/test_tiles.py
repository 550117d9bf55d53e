"""Vector tiles built in PostGIS: the bytes decode, hold the right features, and bad
tile addresses are refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, text

from layers.collections import COLLECTIONS
from layers.db.engine import make_engine
from layers.errors import InvalidParameterError
from layers.tiles import build_tile, data_fingerprint, parse_tile, tile_properties


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _fields(buf: bytes) -> Iterator[tuple[int, int, Any]]:
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            size, i = _varint(buf, i)
            value, i = buf[i : i + size], i + size
        elif wire == 5:
            value, i = buf[i : i + 4], i + 4
        elif wire == 1:
            value, i = buf[i : i + 8], i + 8
        else:
            raise ValueError(f"wire type {wire}")
        yield number, wire, value


def decode_mvt(data: bytes) -> dict[str, dict[str, Any]]:
    """A minimal Mapbox vector tile reader: per layer, its keys, feature ids and types."""
    layers: dict[str, dict[str, Any]] = {}
    for number, _, layer in _fields(data):
        assert number == 3, "a tile holds only layers"
        info: dict[str, Any] = {"keys": [], "ids": [], "types": [], "extent": 4096}
        for n, _, v in _fields(layer):
            if n == 1:
                info["name"] = v.decode()
            elif n == 3:
                info["keys"].append(v.decode())
            elif n == 5:
                info["extent"] = v
            elif n == 2:
                feature = {fn: fv for fn, _, fv in _fields(v)}
                info["ids"].append(feature.get(1))
                info["types"].append(feature.get(3))
        layers[info["name"]] = info
    return layers


@pytest.fixture(scope="module")
def demo_conn(demo_url: str) -> Iterator[Connection]:
    engine = make_engine(demo_url)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def _expected_ids(conn: Connection, table: str, z: int, x: int, y: int) -> set[int]:
    rows = conn.execute(
        text(
            f"SELECT id FROM {table} WHERE ST_Intersects(ST_Transform(geom, 3857), "
            "ST_TileEnvelope(:z, :x, :y))"
        ),
        {"z": z, "x": x, "y": y},
    ).scalars()
    return set(rows)


@pytest.mark.parametrize("z,x,y", [(0, 0, 0), (8, 202, 132), (10, 811, 527)])
def test_points_tile_holds_the_points_in_it(demo_conn: Connection, z: int, x: int, y: int) -> None:
    coll = COLLECTIONS["service_points"]
    data = build_tile(demo_conn, coll, parse_tile(z, x, y))
    expected = _expected_ids(demo_conn, "service_points", z, x, y)
    assert expected, "the test tile should hold demo points"
    layers = decode_mvt(data)
    assert list(layers) == ["service_points"]
    layer = layers["service_points"]
    # The buffer may add points just outside the tile, never drop one inside.
    assert expected <= set(layer["ids"])
    assert set(layer["types"]) == {1}  # POINT
    assert {"name", "category", "demo"} <= set(layer["keys"])
    assert "attributes" not in layer["keys"]  # objects cannot travel in MVT


def test_polygon_and_line_tiles(demo_conn: Connection) -> None:
    areas = decode_mvt(build_tile(demo_conn, COLLECTIONS["admin_areas"], parse_tile(6, 50, 32)))
    assert set(areas["admin_areas"]["types"]) == {3}  # POLYGON
    # The demo's province, kabupaten and kecamatan that meet the tile (a direct SQL count).
    expected = _expected_ids(demo_conn, "admin_areas", 6, 50, 32)
    assert len(expected) > 16 and expected <= set(areas["admin_areas"]["ids"])
    ferry = decode_mvt(build_tile(demo_conn, COLLECTIONS["ferry_links"], parse_tile(5, 25, 16)))
    assert set(ferry["ferry_links"]["types"]) == {2}  # LINESTRING


def test_empty_tile(demo_conn: Connection) -> None:
    assert build_tile(demo_conn, COLLECTIONS["service_points"], parse_tile(10, 0, 0)) == b""


@pytest.mark.parametrize(
    "z,x,y,field",
    [
        (23, 0, 0, "z"),
        (-1, 0, 0, "z"),
        (1, 2, 0, "x"),
        (1, 0, 2, "y"),
        ("a", 0, 0, "z"),
        (3, -1, 0, "x"),
        (3, 0, "1.5", "y"),
    ],
)
def test_bad_tile_address(z: Any, x: Any, y: Any, field: str) -> None:
    with pytest.raises(InvalidParameterError) as err:
        parse_tile(z, x, y)
    assert err.value.field == field


def test_tile_properties_are_scalar() -> None:
    for coll in COLLECTIONS.values():
        props = {p.name: p.type for p in coll.properties}
        assert all(
            props[name] in {"string", "integer", "number", "boolean"}
            for name in tile_properties(coll)
        )


def test_fingerprint(demo_conn: Connection) -> None:
    count, max_id, version = data_fingerprint(demo_conn, COLLECTIONS["service_points"])
    assert count == demo_conn.execute(text("SELECT count(*) FROM service_points")).scalar_one()
    assert max_id > 0 and version > 0
