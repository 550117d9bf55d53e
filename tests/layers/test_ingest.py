"""Ingest: formats, reprojection, repair, all-or-nothing, idempotency."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon
from sqlalchemy import Engine, text

from layers.errors import IngestError
from layers.ingest import ingest_file
from layers.writer import SourceInfo


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _points_geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _pt(lon: float, lat: float, **props: object) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": props,
    }


def test_geojson_points_are_written_with_mapping_and_attributes(
    clean_engine: Engine, tmp_path: Path
):
    path = _points_geojson(
        tmp_path / "pkm.geojson",
        [
            _pt(
                105.26, -5.43, NAMOBJ="Puskesmas Satu", KODE="A1", JAM="Mo-Fr 08:00-14:00", beds=10
            ),
            _pt(105.30, -5.40, NAMOBJ="Puskesmas Dua", KODE="A2", JAM=None, beds=None),
        ],
    )
    with clean_engine.connect() as conn:
        result = ingest_file(
            conn,
            path,
            kind="points",
            defaults={"category": "puskesmas"},
            mapping={"NAMOBJ": "name", "KODE": "source_id", "JAM": "opening_hours"},
        )
    assert result.rows == 2
    with clean_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT name, category, source, source_id, opening_hours, attributes, "
                "ST_X(geom), ST_Y(geom) FROM service_points ORDER BY source_id"
            )
        ).all()
    assert [r[0] for r in rows] == ["Puskesmas Satu", "Puskesmas Dua"]
    assert rows[0][1:5] == ("puskesmas", "pkm.geojson", "A1", "Mo-Fr 08:00-14:00")
    assert rows[0][5] == {"beds": 10}
    assert rows[0][6:] == pytest.approx((105.26, -5.43))


def test_bad_row_writes_nothing_and_names_the_row(clean_engine: Engine, tmp_path: Path):
    good = _points_geojson(
        tmp_path / "a.geojson", [_pt(105.2, -5.4, name="Lama", category="samsat")]
    )
    with clean_engine.connect() as conn:
        ingest_file(conn, good, kind="points")
    bad = _points_geojson(
        tmp_path / "b.geojson",
        [
            _pt(105.2, -5.4, name="Satu", category="samsat"),
            _pt(105.3, -5.5, name="Dua", category="samsat"),
            _pt(105.4, -5.6, name="Tiga", category="bakery"),
            _pt(105.5, -5.7, name="Empat", category="samsat"),
        ],
    )
    with clean_engine.connect() as conn, pytest.raises(IngestError) as err:
        ingest_file(conn, bad, kind="points")
    assert err.value.row == 3
    assert err.value.field == "category"
    assert "bakery" in str(err.value)
    assert _count(clean_engine, "service_points") == 1
    with clean_engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM sources WHERE id = 'b.geojson'")).scalar() == 0
        )


def test_bad_row_in_the_middle_of_a_large_file_writes_nothing(clean_engine: Engine, tmp_path: Path):
    feats = [_pt(105 + i * 1e-4, -5.4, name=f"P{i}", category="polisi", id=i) for i in range(5000)]
    feats[4321]["geometry"]["coordinates"] = [12.5, 41.9]  # Rome: outside Indonesia
    path = _points_geojson(tmp_path / "big.geojson", feats)
    with clean_engine.connect() as conn, pytest.raises(IngestError) as err:
        ingest_file(conn, path, kind="points")
    assert err.value.row == 4322
    assert "outside Indonesia" in str(err.value)
    assert _count(clean_engine, "service_points") == 0


def test_reingest_is_idempotent_and_updates(clean_engine: Engine, tmp_path: Path):
    feats = [
        _pt(105.1, -5.1, name="A", category="mpp", id=1),
        _pt(105.2, -5.2, name="B", category="mpp", id=2),
    ]
    path = _points_geojson(tmp_path / "mpp.geojson", feats)
    for _ in range(2):
        with clean_engine.connect() as conn:
            ingest_file(conn, path, kind="points")
    assert _count(clean_engine, "service_points") == 2
    feats[0]["properties"]["name"] = "A (baru)"
    _points_geojson(path, feats)
    with clean_engine.connect() as conn:
        ingest_file(conn, path, kind="points")
        names = (
            conn.execute(text("SELECT name FROM service_points ORDER BY source_id")).scalars().all()
        )
    assert names == ["A (baru)", "B"]


def test_csv_with_lon_lat_columns(clean_engine: Engine, tmp_path: Path):
    path = tmp_path / "farms.csv"
    path.write_text(
        "nama;komoditas;ton;bujur;lintang;bulan\n"
        "Sawah A;padi;1200,5;105,1;-5,0;3,4,9\n"
        "Kebun B;kopi;80;104,1;-5,0;\n",
        encoding="utf-8",
    )
    with clean_engine.connect() as conn:
        ingest_file(
            conn,
            path,
            kind="points",
            layer="farms",
            mapping={
                "nama": "name",
                "komoditas": "commodity",
                "ton": "production_t_per_year",
                "bulan": "harvest_months",
            },
        )
        rows = conn.execute(
            text(
                "SELECT name, production_t_per_year, harvest_months, ST_X(geom) "
                "FROM farms ORDER BY name"
            )
        ).all()
    assert rows[1][1] == pytest.approx(1200.5)
    assert rows[1][2] == [3, 4, 9]
    assert rows[1][3] == pytest.approx(105.1)
    assert rows[0][2] is None


def test_csv_non_numeric_coordinate_reports_row(clean_engine: Engine, tmp_path: Path):
    path = tmp_path / "x.csv"
    path.write_text("name,category,lon,lat\nA,polisi,105.1,-5.0\nB,polisi,abc,-5.0\n")
    with clean_engine.connect() as conn, pytest.raises(IngestError) as err:
        ingest_file(conn, path, kind="points")
    assert err.value.row == 2


def test_gpkg_areas_reprojected_and_repaired(clean_engine: Engine, tmp_path: Path):
    bowtie = Polygon([(0, 0), (1000, 1000), (1000, 0), (0, 1000), (0, 0)])  # self-intersecting
    square = Polygon([(0, 0), (4000, 0), (4000, 4000), (0, 4000)])
    gdf = gpd.GeoDataFrame(
        {"NAMA": ["Bowtie", "Square"], "KODE": ["1", "2"], "PENDUDUK": [100, 2500]},
        geometry=[
            Polygon([(x + 520000, y + 9400000) for x, y in bowtie.exterior.coords]),
            Polygon([(x + 530000, y + 9400000) for x, y in square.exterior.coords]),
        ],
        crs="EPSG:32748",
    )
    path = tmp_path / "kec.gpkg"
    gdf.to_file(path, driver="GPKG")
    with clean_engine.connect() as conn:
        result = ingest_file(
            conn,
            path,
            kind="areas",
            defaults={"level": "kecamatan"},
            mapping={"NAMA": "name", "KODE": "code", "PENDUDUK": "population"},
        )
        rows = conn.execute(
            text(
                "SELECT name, ST_IsValid(geom), ST_SRID(geom), ST_XMin(geom), "
                "population FROM admin_areas ORDER BY code"
            )
        ).all()
    assert result.repaired == 1
    assert all(r[1] and r[2] == 4326 for r in rows)
    assert 105.1 < rows[0][3] < 105.3  # UTM 48S x=520 km lies just east of 105°E
    assert rows[1][4] == 2500


def test_areas_get_their_parent(clean_engine: Engine, tmp_path: Path):
    big = gpd.GeoDataFrame(
        {"name": ["Kab"], "level": ["kabupaten"]},
        geometry=[Polygon([(105, -6), (106, -6), (106, -5), (105, -5)])],
        crs=4326,
    )
    small = gpd.GeoDataFrame(
        {"name": ["Kec"], "level": ["kecamatan"]},
        geometry=[Point(105.5, -5.5).buffer(0.1)],
        crs=4326,
    )
    big.to_file(tmp_path / "kab.geojson")
    small.to_file(tmp_path / "kec.geojson")
    with clean_engine.connect() as conn:
        ingest_file(conn, tmp_path / "kab.geojson", kind="areas")
        ingest_file(conn, tmp_path / "kec.geojson", kind="areas")
        parent = conn.execute(
            text(
                "SELECT p.name FROM admin_areas c JOIN admin_areas p ON p.id = c.parent_id "
                "WHERE c.name = 'Kec'"
            )
        ).scalar()
    assert parent == "Kab"


@pytest.mark.parametrize(
    ("features", "field", "words"),
    [
        ([_pt(105, -5, category="polisi")], "name", "missing required field 'name'"),
        (
            [
                {
                    "type": "Feature",
                    "geometry": None,
                    "properties": {"name": "x", "category": "polisi"},
                }
            ],
            "geometry",
            "no geometry",
        ),
        (
            [_pt(105, -5, name="x", category="polisi", capacity="banyak")],
            "capacity",
            "whole number",
        ),
        ([_pt(105, -5, name="x", category="polisi", capacity=-4)], "capacity", ">= 0"),
    ],
)
def test_row_errors_name_field_and_reason(
    clean_engine: Engine, tmp_path: Path, features, field, words
):
    path = _points_geojson(tmp_path / "e.geojson", features)
    with clean_engine.connect() as conn, pytest.raises(IngestError) as err:
        ingest_file(conn, path, kind="points")
    assert err.value.field == field
    assert err.value.row == 1
    assert words in str(err.value)


@pytest.mark.filterwarnings("ignore:Several features with id")  # GDAL notices it too
def test_duplicate_ids_in_one_file_are_rejected(clean_engine: Engine, tmp_path: Path):
    path = _points_geojson(
        tmp_path / "d.geojson",
        [
            _pt(105, -5, name="a", category="polisi", id=7),
            _pt(105.1, -5, name="b", category="polisi", id=7),
        ],
    )
    with clean_engine.connect() as conn, pytest.raises(IngestError) as err:
        ingest_file(conn, path, kind="points")
    assert err.value.row == 2


def test_unknown_layer_and_missing_file(clean_engine: Engine, tmp_path: Path):
    with clean_engine.connect() as conn:
        with pytest.raises(IngestError, match="unknown points layer"):
            ingest_file(conn, tmp_path / "x.geojson", kind="points", layer="admin_areas")
        with pytest.raises(IngestError, match="file not found"):
            ingest_file(conn, tmp_path / "nope.geojson", kind="points")


def test_source_attribution_is_recorded(clean_engine: Engine, tmp_path: Path):
    path = _points_geojson(tmp_path / "s.geojson", [_pt(105, -5, name="a", category="polisi")])
    src = SourceInfo(id="my-data", title="My data", attribution="© BIG")
    with clean_engine.connect() as conn:
        ingest_file(conn, path, kind="points", source=src)
        row = conn.execute(text("SELECT title, attribution, is_demo FROM sources")).one()
    assert tuple(row) == ("My data", "© BIG", False)
