"""Ingest of ferry links: port codes → ids, line geometry, all-or-nothing, idempotency."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import LineString
from sqlalchemy import Engine, text

from layers.errors import IngestError
from layers.ingest import ingest_file

MERAK = (106.004, -5.927)
BAKAUHENI = (105.752, -5.870)
PANJANG = (105.320, -5.470)


def _geojson(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _feature(geometry: dict[str, Any] | None, **props: object) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def _line(*coords: tuple[float, float]) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": [list(c) for c in coords]}


def _link(**overrides: object) -> dict[str, Any]:
    props: dict[str, Any] = {
        "id": "merak-bakauheni",
        "name": "Merak – Bakauheni",
        "from_port": "MRK",
        "to_port": "BKH",
        "crossing_minutes": 120,
        "departures_per_day": 48,
        "daily_capacity_vehicles": 5000,
        "tariffs": {"I": 15000, "VIIB": 3_000_000},
        "tariff_source": "ASDP 2024",
        "operator": "ASDP",
    }
    props.update(overrides)
    geometry = props.pop("geometry", _line(MERAK, BAKAUHENI))
    return _feature(geometry, **props)


@pytest.fixture
def ports(clean_engine: Engine, tmp_path: Path) -> dict[str, int]:
    """Three ports loaded through ingest; their code → id."""
    path = _geojson(
        tmp_path / "ports.geojson",
        [
            _feature({"type": "Point", "coordinates": list(xy)}, code=code, name=code, id=code)
            for code, xy in (("MRK", MERAK), ("BKH", BAKAUHENI), ("PJG", PANJANG))
        ],
    )
    with clean_engine.connect() as conn:
        ingest_file(conn, path, kind="points", layer="ports")
        return dict(conn.execute(text("SELECT code, id FROM ports")).all())  # type: ignore[arg-type]


def _links(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT source_id, name, from_port_id, to_port_id, crossing_minutes, "
                "departures_per_day, daily_capacity_vehicles, tariffs, tariff_source, "
                "attributes, ST_GeometryType(geom), ST_SRID(geom) FROM ferry_links "
                "ORDER BY source_id"
            )
        ).all()
    return [tuple(r) for r in rows]


def test_ferry_links_are_written_with_port_ids(
    clean_engine: Engine, ports: dict[str, int], tmp_path: Path
):
    path = _geojson(
        tmp_path / "ferry.geojson",
        [
            _link(),
            _link(
                id="bakauheni-merak",
                name="Bakauheni – Merak",
                from_port="BKH",
                to_port="MRK",
                geometry={"type": "MultiLineString", "coordinates": [[BAKAUHENI, MERAK]]},
                daily_capacity_vehicles=None,
                tariffs=None,
                tariff_source=None,
            ),
        ],
    )
    with clean_engine.connect() as conn:
        result = ingest_file(conn, path, kind="lines")
    assert result.layer == "ferry_links" and result.rows == 2
    rows = _links(clean_engine)
    assert rows[0][:9] == (
        "bakauheni-merak",
        "Bakauheni – Merak",
        ports["BKH"],
        ports["MRK"],
        120.0,
        48,
        None,
        None,
        None,
    )
    assert rows[1][2:4] == (ports["MRK"], ports["BKH"])
    assert rows[1][6:9] == (5000, {"I": 15000, "VIIB": 3_000_000}, "ASDP 2024")
    assert rows[1][9] == {"operator": "ASDP"}
    assert all(r[10] == "ST_LineString" and r[11] == 4326 for r in rows)


def test_gpkg_lines_reprojected_with_mapping(
    clean_engine: Engine, ports: dict[str, int], tmp_path: Path
):
    line = gpd.GeoSeries([LineString([MERAK, BAKAUHENI])], crs=4326).to_crs(32748)
    gdf = gpd.GeoDataFrame(
        {
            "NAMA": ["Merak – Bakauheni"],
            "DARI": ["MRK"],
            "KE": ["BKH"],
            "MENIT": ["120,5"],
            "TRIP": [48],
            "TARIF": ['{"IVB": 900000}'],
        },
        geometry=line,
        crs=32748,
    )
    path = tmp_path / "ferry.gpkg"
    gdf.to_file(path, driver="GPKG")
    mapping = {
        "NAMA": "name",
        "DARI": "from_port",
        "KE": "to_port",
        "MENIT": "crossing_minutes",
        "TRIP": "departures_per_day",
        "TARIF": "tariffs",
    }
    with clean_engine.connect() as conn:
        ingest_file(conn, path, kind="lines", mapping=mapping)
        row = conn.execute(
            text("SELECT crossing_minutes, tariffs, ST_XMin(geom), ST_YMax(geom) FROM ferry_links")
        ).one()
    assert row[0] == pytest.approx(120.5)
    assert row[1] == {"IVB": 900000}
    assert row[2] == pytest.approx(BAKAUHENI[0], abs=1e-6)
    assert row[3] == pytest.approx(BAKAUHENI[1], abs=1e-6)


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        ({"to_port": "XYZ"}, "to_port", "unknown to_port 'XYZ'"),
        ({"crossing_minutes": -5}, "crossing_minutes", "must be > 0"),
        ({"crossing_minutes": 0}, "crossing_minutes", "must be > 0"),
        ({"departures_per_day": 0}, "departures_per_day", ">= 1"),
        ({"departures_per_day": 2.5}, "departures_per_day", "whole number"),
        ({"from_port": None}, "from_port", "missing required field 'from_port'"),
        ({"tariffs": {"I": -1}}, "tariffs", "tariffs['I'] must be >= 0"),
        ({"tariffs": {"I": "gratis"}}, "tariffs", "JSON object of whole numbers"),
        ({"tariffs": "[1, 2]"}, "tariffs", "JSON object of whole numbers"),
        ({"geometry": {"type": "Point", "coordinates": list(MERAK)}}, "geometry", "got Point"),
        (
            {"geometry": {"type": "MultiLineString", "coordinates": [[MERAK, BAKAUHENI]] * 2}},
            "geometry",
            "MultiLineString of 2 parts",
        ),
        ({"geometry": _line((12.5, 41.9), (12.6, 41.9))}, "geometry", "outside Indonesia"),
    ],
)
def test_bad_row_writes_nothing_and_names_the_row(
    clean_engine: Engine, ports: dict[str, int], tmp_path: Path, bad, field, words
):
    first = _geojson(tmp_path / "ok.geojson", [_link()])
    with clean_engine.connect() as conn:
        ingest_file(conn, first, kind="lines")
    before = _links(clean_engine)
    feats = [
        _link(id="a", crossing_minutes=999),  # would update the first file's row if written
        _link(id="b", from_port="PJG"),
        _link(id="c", **bad),
        _link(id="d"),
    ]
    path = _geojson(tmp_path / "ok.geojson", feats)  # same source: would upsert over it
    with clean_engine.connect() as conn, pytest.raises(IngestError) as err:
        ingest_file(conn, path, kind="lines")
    assert err.value.row == 3
    assert err.value.field == field
    assert words in str(err.value)
    assert _links(clean_engine) == before


def test_unknown_port_lists_the_known_codes(
    clean_engine: Engine, ports: dict[str, int], tmp_path: Path
):
    path = _geojson(tmp_path / "f.geojson", [_link(from_port="CNG")])
    with clean_engine.connect() as conn, pytest.raises(IngestError) as err:
        ingest_file(conn, path, kind="lines")
    assert err.value.row == 1
    assert "['BKH', 'MRK', 'PJG']" in str(err.value)
    assert "ports.code" in str(err.value)


def test_reingest_is_idempotent_and_updates(
    clean_engine: Engine, ports: dict[str, int], tmp_path: Path
):
    path = _geojson(tmp_path / "ferry.geojson", [_link(), _link(id="x", to_port="PJG")])
    for _ in range(2):
        with clean_engine.connect() as conn:
            ingest_file(conn, path, kind="lines")
    assert len(_links(clean_engine)) == 2
    _geojson(path, [_link(departures_per_day=60), _link(id="x", to_port="PJG")])
    with clean_engine.connect() as conn:
        ingest_file(conn, path, kind="lines")
    rows = _links(clean_engine)
    assert len(rows) == 2
    assert rows[0][5] == 60


def test_lines_layer_must_be_a_lines_layer(clean_engine: Engine, tmp_path: Path):
    path = _geojson(tmp_path / "f.geojson", [_link()])
    with clean_engine.connect() as conn, pytest.raises(IngestError, match="unknown lines layer"):
        ingest_file(conn, path, kind="lines", layer="ports")
