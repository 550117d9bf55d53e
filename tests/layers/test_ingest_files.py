"""Ingest of real-world file defects: duplicates, DB refusals, JSON booleans, control
characters, source ids per file name, missing .dbf, settlements."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point
from sqlalchemy import Engine, text

from layers.errors import IngestError
from layers.ingest import ingest_file
from layers.writer import SourceInfo, upsert_source
from tests.conftest import shared_file


def _geojson(path: Path, props: list[dict[str, object]]) -> Path:
    feats = [
        {
            "type": "Feature",
            "properties": p,
            "geometry": {"type": "Point", "coordinates": [105 + i / 100, -5.4]},
        }
        for i, p in enumerate(props)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def _rows(engine: Engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql)).all()]


DUPES = [
    {"id": "7", "name": "a", "category": "polisi"},
    {"id": "7", "name": "b", "category": "polisi"},
    {"id": "7-2", "name": "c", "category": "polisi"},
    {"id": "7", "name": "d", "category": "polisi"},
]


@pytest.mark.parametrize(
    ("mode", "expected", "note"),
    [
        ("first", [("7", "a"), ("7-2", "c")], "skipped 2 rows"),
        ("last", [("7", "d"), ("7-2", "c")], "kept the last"),
        ("renumber", [("7", "a"), ("7-2", "c"), ("7-3", "b"), ("7-4", "d")], "renumbered 2"),
    ],
)
def test_on_duplicate_modes(clean_engine: Engine, tmp_path: Path, mode, expected, note):
    path = _geojson(tmp_path / "d.geojson", DUPES)
    with clean_engine.connect() as conn:
        result = ingest_file(conn, path, kind="points", on_duplicate=mode)
    got = _rows(clean_engine, "SELECT source_id, name FROM service_points ORDER BY source_id")
    assert got == expected
    assert any(note in w for w in result.warnings)
    with clean_engine.connect() as conn:  # re-run: same rows, nothing added
        ingest_file(conn, path, kind="points", on_duplicate=mode)
    assert len(_rows(clean_engine, "SELECT id FROM service_points")) == len(expected)


def test_on_duplicate_error_is_the_default(clean_engine: Engine, tmp_path: Path):
    path = _geojson(tmp_path / "d.geojson", DUPES)
    with clean_engine.connect() as conn, pytest.raises(IngestError) as err:
        ingest_file(conn, path, kind="points")
    assert err.value.row == 2 and err.value.field == "source_id"
    assert "--on-duplicate" in str(err.value)
    with clean_engine.connect() as conn, pytest.raises(IngestError, match="must be one of"):
        ingest_file(conn, path, kind="points", on_duplicate="maybe")  # type: ignore[arg-type]


def test_database_refusal_is_mapped_to_row_and_field(clean_engine: Engine, tmp_path: Path):
    props = [{"name": f"P{i}", "category": "polisi", "capacity": 10} for i in range(5)]
    props[3]["capacity"] = 3_000_000_000  # passes our checks (>= 0), not PostgreSQL's integer
    path = _geojson(tmp_path / "cap.geojson", props)
    with clean_engine.connect() as conn, pytest.raises(IngestError) as err:
        ingest_file(conn, path, kind="points")
    assert (err.value.row, err.value.field) == (4, "capacity")
    message = str(err.value)
    assert "out of range" in message and "2,147,483,647" in message
    for sql_word in ("INSERT", "SELECT", "ON CONFLICT", "%(", "psycopg"):
        assert sql_word not in message
    assert _rows(clean_engine, "SELECT count(*) FROM service_points") == [(0,)]
    assert _rows(clean_engine, "SELECT count(*) FROM sources") == [(0,)]


def test_unique_code_refusal_names_the_column(clean_engine: Engine, tmp_path: Path):
    first = _geojson(tmp_path / "ports_a.geojson", [{"code": "MRK", "name": "Merak"}])
    second = _geojson(
        tmp_path / "ports_b.geojson",
        [{"code": "BKH", "name": "Bakauheni"}, {"code": "MRK", "name": "Merak lagi"}],
    )
    with clean_engine.connect() as conn:
        ingest_file(conn, first, kind="points", layer="ports")
        with pytest.raises(IngestError) as err:
            ingest_file(conn, second, kind="points", layer="ports")
    assert (err.value.row, err.value.field) == (2, "code")
    assert "'MRK' is already used by another row of ports" in str(err.value)
    assert _rows(clean_engine, "SELECT code FROM ports") == [("MRK",)]  # BKH not written


@pytest.mark.parametrize("value", [False, True])
def test_json_booleans_are_not_numbers(clean_engine: Engine, tmp_path: Path, value: bool):
    path = _geojson(
        tmp_path / "b.geojson", [{"name": "x", "category": "polisi", "capacity": value}]
    )
    with clean_engine.connect() as conn, pytest.raises(IngestError) as err:
        ingest_file(conn, path, kind="points")
    assert err.value.field == "capacity" and err.value.row == 1
    assert f"got {json.dumps(value)}" in str(err.value)


def test_control_characters(clean_engine: Engine, tmp_path: Path):
    bad = _geojson(tmp_path / "c.geojson", [{"name": "Pos\u0007 1", "category": "polisi"}])
    with clean_engine.connect() as conn, pytest.raises(IngestError) as err:
        ingest_file(conn, bad, kind="points")
    assert (err.value.row, err.value.field) == (1, "name")
    assert "U+0007 at position 4" in str(err.value)
    nul = _geojson(tmp_path / "n.geojson", [{"name": "A\u0000B", "category": "polisi"}])
    with clean_engine.connect() as conn, pytest.raises(IngestError, match="U\\+0000"):
        ingest_file(conn, nul, kind="points")
    padded = _geojson(
        tmp_path / "p.geojson",
        [{"name": "Pos 2\u0000\u0000", "category": "polisi", "catatan": "x\u0000y"}],
    )
    with clean_engine.connect() as conn:
        ingest_file(conn, padded, kind="points")
    assert _rows(clean_engine, "SELECT name, attributes->>'catatan' FROM service_points") == [
        ("Pos 2", "xy")
    ]


def test_same_stem_different_extension_are_two_sources(clean_engine: Engine, tmp_path: Path):
    _geojson(tmp_path / "a.geojson", [{"id": 1, "name": "geo", "category": "polisi"}])
    (tmp_path / "a.csv").write_text("id,name,category,lon,lat\n1,csv,polisi,105.5,-5.5\n")
    with clean_engine.connect() as conn:
        ingest_file(conn, tmp_path / "a.geojson", kind="points")
        ingest_file(conn, tmp_path / "a.csv", kind="points")
    got = _rows(clean_engine, "SELECT source, name FROM service_points ORDER BY source")
    assert got == [("a.csv", "csv"), ("a.geojson", "geo")]


def test_old_database_keeps_its_stem_source_id(clean_engine: Engine, tmp_path: Path):
    path = _geojson(tmp_path / "lama.geojson", [{"id": 1, "name": "x", "category": "polisi"}])
    with clean_engine.begin() as conn:  # what the old default wrote: id = stem, title = name
        upsert_source(conn, SourceInfo(id="lama", title="lama.geojson"))
    with clean_engine.connect() as conn:
        result = ingest_file(conn, path, kind="points")
    assert result.source == "lama"
    assert any("kept the source id 'lama'" in w for w in result.warnings)


def test_empty_geojson_and_missing_dbf_are_refused(clean_engine: Engine, tmp_path: Path):
    (tmp_path / "kosong.geojson").write_text("")
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(105, -5)], crs=4326).to_file(
        tmp_path / "t.shp"
    )
    (tmp_path / "t.dbf").unlink()
    with clean_engine.connect() as conn:
        with pytest.raises(IngestError, match=re.escape("kosong.geojson is empty")):
            ingest_file(conn, tmp_path / "kosong.geojson", kind="points")
        with pytest.raises(IngestError, match=re.escape("t.dbf is missing")) as err:
            ingest_file(conn, tmp_path / "t.shp", kind="points")
    assert "name" in str(err.value)


def test_encoding_and_layer_name(clean_engine: Engine, tmp_path: Path):
    gdf = gpd.GeoDataFrame(
        {"name": ["Kantor “Camat”"], "category": ["kantor_camat"]},
        geometry=[Point(105, -5)],
        crs=4326,
    )
    gdf.to_file(tmp_path / "k.shp", encoding="cp1252")
    (tmp_path / "k.cpg").unlink(missing_ok=True)
    gdf.to_file(tmp_path / "two.gpkg", layer="satu")
    gdf.assign(name=["Dua"]).to_file(tmp_path / "two.gpkg", layer="dua")
    with clean_engine.connect() as conn:
        result = ingest_file(conn, tmp_path / "k.shp", kind="points")
        assert any("cp1252" in w for w in result.warnings)
        with pytest.raises(IngestError, match="choose one with --layer-name") as err:
            ingest_file(conn, tmp_path / "two.gpkg", kind="points")
        assert err.value.field == "--layer-name"
        ingest_file(conn, tmp_path / "two.gpkg", kind="points", layer_name="dua")
        ingest_file(
            conn,
            tmp_path / "two.gpkg",
            kind="points",
            file_layer="satu",
            source=SourceInfo(id="old-alias", title="t"),
        )
    names = _rows(clean_engine, "SELECT name FROM service_points ORDER BY name")
    assert names == [("Dua",), ("Kantor “Camat”",), ("Kantor “Camat”",)]


@pytest.mark.shared_data
def test_settlements_are_ingestible(clean_engine: Engine):
    path = shared_file("lampung", "rbi", "metro", "PEMUKIMAN_AR_50K.shp")
    with clean_engine.connect() as conn:
        result = ingest_file(
            conn,
            path,
            kind="areas",
            layer="settlements",
            mapping={"NAMOBJ": "name", "REMARK": "kind"},
        )
    assert result.rows == 238 and result.layer == "settlements"
    assert any("dropped Z coordinates from 238 geometries" in w for w in result.warnings)
    got = _rows(
        clean_engine,
        "SELECT count(*), count(DISTINCT kind), bool_and(ST_IsValid(geom)) FROM settlements",
    )
    assert got == [(238, 1, True)]
