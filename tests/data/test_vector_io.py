"""data.vector_io on real deliveries and faithful copies of their defects (tmp_path)."""

from __future__ import annotations

import json
import re
import sqlite3
import struct
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from pyogrio.raw import write as raw_write
from shapely.geometry import MultiPolygon, Point, Polygon

from data.vector_io import VectorReadError, read_vector
from tests.conftest import shared_file

NAMES = ["Kantor “Lurah” – Café", "Pasar € Baru", "Way Halim"]


def _points(names: list[str]) -> gpd.GeoDataFrame:
    geoms = [Point(105 + i / 100, -5.4) for i in range(len(names))]
    return gpd.GeoDataFrame({"NAMA": names}, geometry=geoms, crs=4326)


@pytest.mark.shared_data
def test_real_rbi_z_is_dropped_and_said_once():
    got = read_vector(shared_file("lampung", "rbi", "metro", "JALAN_LN_50K.shp"))
    assert len(got.frame) == 1706
    assert not got.frame.geometry.has_z.any()
    assert got.dropped_z == 1706
    assert got.notes.count("dropped Z coordinates from 1,706 geometries") == 1
    assert str(got.frame.crs) == "EPSG:4326"


@pytest.mark.shared_data
def test_real_shp_without_dbf_reads_geometry_only():
    got = read_vector(shared_file("lampung", "rbi", "mesuji", "JALAN_LN_50K.shp"))
    assert got.missing_attributes
    assert list(got.frame.columns) == ["geometry"]
    assert len(got.frame) == 14_566
    assert any("JALAN_LN_50K.dbf is missing" in n for n in got.notes)


def test_shp_without_dbf_copy(tmp_path: Path):
    _points(["a", "b"]).to_file(tmp_path / "t.shp")
    (tmp_path / "t.dbf").unlink()
    got = read_vector(tmp_path / "t.shp")
    assert got.missing_attributes and len(got.frame) == 2


def test_xym_shapefile_and_geopackage(tmp_path: Path):
    # hand-written ISO WKB PointM (type 2001) through pyogrio: GDAL writes a PointM .shp
    wkb = [
        struct.pack("<BIddd", 1, 2001, 105.1, -5.1, 7.0),
        struct.pack("<BIddd", 1, 2001, 105.2, -5.2, 8.0),
    ]
    geoms = np.array(wkb, dtype=object)
    fields = [np.array(["a", "b"], dtype=object)]
    raw_write(
        tmp_path / "m.shp",
        geoms,
        fields,
        ["name"],
        driver="ESRI Shapefile",
        geometry_type="Unknown",
        crs="EPSG:4326",
    )
    header = (tmp_path / "m.shp").read_bytes()[:36]
    assert int.from_bytes(header[32:36], "little") == 21  # the file really is PointM
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plain = pyogrio.read_dataframe(tmp_path / "m.shp")  # what pyogrio does by itself:
    assert any("Measured (M)" in str(w.message) for w in caught)  # warns and drops M
    assert plain.geometry.iloc[0].wkt == "POINT (105.1 -5.1)"
    got = read_vector(tmp_path / "m.shp")
    assert got.dropped_m == 2 and "dropped M (measure) values from 2 geometries" in got.notes
    assert [(p.x, p.y) for p in got.frame.geometry] == [(105.1, -5.1), (105.2, -5.2)]
    assert list(got.frame["name"]) == ["a", "b"]
    # a GeoPackage whose blobs carry M with a generic layer type: pyogrio drops it silently
    raw_write(
        tmp_path / "m.gpkg",
        geoms,
        fields,
        ["name"],
        driver="GPKG",
        geometry_type="Unknown",
        crs="EPSG:4326",
    )
    with sqlite3.connect(tmp_path / "m.gpkg") as con:
        assert con.execute("SELECT m FROM gpkg_geometry_columns").fetchone()[0] in (1, 2)
    got = read_vector(tmp_path / "m.gpkg")
    assert got.dropped_m == 2 and not got.frame.geometry.has_z.any()


def test_geojson_z_and_m_positions(tmp_path: Path):
    feats = [
        {
            "type": "Feature",
            "properties": {"n": 1},
            "geometry": {"type": "LineString", "coordinates": [[105, -5, 10], [105.1, -5, 11]]},
        },
        {
            "type": "Feature",
            "properties": {"n": 2},
            "geometry": {"type": "Point", "coordinates": [105, -5, 0, 3]},
        },
    ]
    path = tmp_path / "zm.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    got = read_vector(path)
    assert got.dropped_z == 2 and got.dropped_m == 1
    assert not got.frame.geometry.has_z.any()


def test_cp1252_without_cpg_is_detected(tmp_path: Path):
    _points(NAMES).to_file(tmp_path / "c.shp", encoding="cp1252")
    (tmp_path / "c.cpg").unlink(missing_ok=True)
    raw = (tmp_path / "c.dbf").read_bytes()
    assert "“".encode("cp1252") in raw  # the bytes really are cp1252
    got = read_vector(tmp_path / "c.shp")
    assert list(got.frame["NAMA"]) == NAMES
    assert got.encoding == "cp1252"
    assert any("no .cpg" in n and "cp1252" in n for n in got.notes)


def test_utf8_without_cpg_says_so(tmp_path: Path):
    _points(NAMES).to_file(tmp_path / "u.shp", encoding="utf-8")
    (tmp_path / "u.cpg").unlink(missing_ok=True)
    got = read_vector(tmp_path / "u.shp")
    assert list(got.frame["NAMA"]) == NAMES and got.encoding == "utf-8"
    assert any("valid UTF-8" in n for n in got.notes)


def test_latin1_with_a_cpg_saying_utf8(tmp_path: Path):
    names = ["Café Ñandú", "Pasar Baru"]
    _points(names).to_file(tmp_path / "l.shp", encoding="ISO-8859-1")
    (tmp_path / "l.cpg").write_text("UTF-8")
    with pytest.raises(UnicodeDecodeError):  # what GDAL/pyogrio alone does
        pyogrio.read_dataframe(tmp_path / "l.shp")
    got = read_vector(tmp_path / "l.shp")  # falls back, with a note
    assert list(got.frame["NAMA"]) == names
    assert any("l.cpg says UTF-8" in n and "row 1, column NAMA" in n for n in got.notes)
    got = read_vector(tmp_path / "l.shp", encoding="latin-1")  # the way out: no note
    assert list(got.frame["NAMA"]) == names and not got.notes
    with pytest.raises(VectorReadError, match="not valid utf-8 \\(row 1, column NAMA\\)") as err:
        read_vector(tmp_path / "l.shp", encoding="utf-8")
    assert err.value.field == "encoding"
    with pytest.raises(VectorReadError, match="unknown encoding"):
        read_vector(tmp_path / "l.shp", encoding="klingon")


def test_two_layer_geopackage(tmp_path: Path):
    path = tmp_path / "two.gpkg"
    _points(["a"]).to_file(path, layer="kantor")
    _points(["b", "c"]).to_file(path, layer="pasar")
    with pytest.raises(
        VectorReadError, match="2 layers with geometry \\('kantor', 'pasar'\\)"
    ) as err:
        read_vector(path)
    assert err.value.field == "layer"
    assert len(read_vector(path, layer="pasar").frame) == 2
    assert read_vector(path, layer="PASAR").layer == "pasar"
    with pytest.raises(VectorReadError, match="no layer 'jalan'; its layers: 'kantor', 'pasar'"):
        read_vector(path, layer="jalan")


def test_unknown_crs_is_refused(tmp_path: Path):
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "EPSG:999999"}},
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Point", "coordinates": [105, -5]},
            }
        ],
    }
    path = tmp_path / "x.geojson"
    path.write_text(json.dumps(doc))
    assert gpd.read_file(path).crs == "EPSG:4326"  # GDAL would take it as WGS 84
    with pytest.raises(VectorReadError, match="unknown CRS 'EPSG:999999'") as err:
        read_vector(path)
    assert err.value.field == "crs"
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32748"}}
    path.write_text(json.dumps(doc))
    assert read_vector(path).frame.crs.to_epsg() == 32748
    _points(["a"]).to_file(tmp_path / "p.shp")
    (tmp_path / "p.prj").write_text("GEOGCS[NOT A CRS")
    with pytest.raises(VectorReadError, match=re.escape("p.prj holds a CRS that cannot be read")):
        read_vector(tmp_path / "p.shp")
    _points(["a"]).to_file(tmp_path / "g.gpkg")
    with sqlite3.connect(tmp_path / "g.gpkg") as con:
        con.execute(
            "INSERT INTO gpkg_spatial_ref_sys "
            "VALUES ('x', 999999, 'EPSG', 999999, 'undefined', NULL)"
        )
        con.execute("UPDATE gpkg_geometry_columns SET srs_id = 999999")
    with pytest.raises(VectorReadError, match="unknown CRS \\(srs_id 999999\\)"):
        read_vector(tmp_path / "g.gpkg")


def test_no_crs_stays_none(tmp_path: Path):
    _points(["a"]).to_file(tmp_path / "n.shp")
    (tmp_path / "n.prj").unlink()
    assert read_vector(tmp_path / "n.shp").frame.crs is None


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("", "is empty (0 bytes)"),
        ("  \n", "is empty: a GeoJSON file needs a FeatureCollection"),
        ("{}", "not a GeoJSON FeatureCollection"),
        ("[1, 2]", "not a GeoJSON FeatureCollection"),
        ('{"type": "FeatureCollection", "features": [', "not valid JSON (line 1"),
    ],
)
def test_empty_and_invalid_geojson(tmp_path: Path, content: str, words: str):
    path = tmp_path / "e.geojson"
    path.write_text(content)
    with pytest.raises(VectorReadError, match=words.replace("(", "\\(").replace(")", "\\)")):
        read_vector(path)


def test_not_a_vector_file(tmp_path: Path):
    for name in ("z.shp", "z.gpkg"):
        (tmp_path / name).write_bytes(b"hello world" * 20)
    (tmp_path / "z.shx").write_bytes(b"x" * 100)
    with pytest.raises(
        VectorReadError, match=re.escape("z.shp is not a readable Shapefile")
    ) as err:
        read_vector(tmp_path / "z.shp")
    assert "GDAL" not in err.value.reason.replace("(GDAL cannot open it)", "")
    with pytest.raises(VectorReadError, match=re.escape("z.gpkg is not a readable GeoPackage")):
        read_vector(tmp_path / "z.gpkg")
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(VectorReadError, match="unsupported file type"):
        read_vector(tmp_path / "a.txt")
    with pytest.raises(VectorReadError, match="file not found"):
        read_vector(tmp_path / "nope.geojson")


def test_json_types_survive_and_one_part_multis_are_kept(tmp_path: Path):
    square = Polygon([(105, -5), (105.1, -5), (105.1, -5.1), (105, -5.1)])
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": 9,
                "properties": {"cap": False, "t": {"a": 1}},
                "geometry": json.loads(
                    json.dumps(shapely.geometry.mapping(MultiPolygon([square])))
                ),
            },
            {"type": "Feature", "properties": {"cap": 10}, "geometry": None},
        ],
    }
    path = tmp_path / "t.geojson"
    path.write_text(json.dumps(doc))
    got = read_vector(path)
    assert got.frame["cap"].tolist() == [False, 10]
    assert got.frame["cap"].iloc[0] is False
    assert got.frame["t"].iloc[0] == {"a": 1}
    assert got.frame["id"].iloc[0] == 9
    assert got.frame.geometry.iloc[0].geom_type == "MultiPolygon"
    assert got.frame.geometry.iloc[1] is None


def test_csv_encoding_fallback(tmp_path: Path):
    path = tmp_path / "p.csv"
    path.write_bytes("nama;lon;lat\nCafé “A”;105,1;-5,2\n".encode("cp1252"))
    got = read_vector(path)
    assert got.frame["nama"].tolist() == ["Café “A”"] and got.encoding == "cp1252"
    assert any("not valid UTF-8" in n for n in got.notes)
