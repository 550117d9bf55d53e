"""The ``lampung-geo`` command: db lifecycle and ingest, with clean errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from geo_api.cli import app
from layers.db.cluster import free_port
from tests.conftest import new_cluster_dir

runner = CliRunner()


def _geojson(path: Path, cats: list[str]) -> Path:
    feats = [
        {
            "type": "Feature",
            "properties": {"NAMA": f"Titik {i}", "JENIS": c, "KODE": i},
            "geometry": {"type": "Point", "coordinates": [105.2 + i / 100, -5.4]},
        }
        for i, c in enumerate(cats)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def test_ingest_points_cli(clean_engine: Engine, scratch_url: str, tmp_path: Path):
    env = {"LAMPUNG_GEO_DATABASE_URL": scratch_url}
    path = _geojson(tmp_path / "titik.geojson", ["samsat", "dukcapil"])
    args = [
        "ingest",
        "points",
        str(path),
        "--map",
        "NAMA=name",
        "--map",
        "JENIS=category",
        "--map",
        "KODE=source_id",
        "--attribution",
        "© contoh",
    ]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "2 rows" in result.output
    with clean_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM service_points")).scalar() == 2


def test_ingest_bad_row_cli_reports_row_and_writes_nothing(
    clean_engine: Engine, scratch_url: str, tmp_path: Path
):
    env = {"LAMPUNG_GEO_DATABASE_URL": scratch_url}
    path = _geojson(tmp_path / "salah.geojson", ["samsat", "samsat", "warung"])
    args = ["ingest", "points", str(path), "--map", "NAMA=name", "--map", "JENIS=category"]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 1
    assert "row 3" in result.output and "warung" in result.output
    assert "nothing was written" in result.output
    assert "Traceback" not in result.output
    with clean_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM service_points")).scalar() == 0


def _collection(path: Path, features: list[tuple[dict, dict]]) -> Path:
    feats = [{"type": "Feature", "geometry": g, "properties": p} for g, p in features]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def test_ingest_lines_cli(clean_engine: Engine, scratch_url: str, tmp_path: Path):
    env = {"LAMPUNG_GEO_DATABASE_URL": scratch_url}
    merak, bakauheni = [106.004, -5.927], [105.752, -5.870]
    ports = _collection(
        tmp_path / "pelabuhan.geojson",
        [
            ({"type": "Point", "coordinates": merak}, {"code": "MRK", "name": "Merak"}),
            ({"type": "Point", "coordinates": bakauheni}, {"code": "BKH", "name": "Bakauheni"}),
        ],
    )
    result = runner.invoke(app, ["ingest", "points", str(ports), "--layer", "ports"], env=env)
    assert result.exit_code == 0, result.output
    line = {"type": "LineString", "coordinates": [merak, bakauheni]}
    props = {"NAMA": "Merak – Bakauheni", "from_port": "MRK", "to_port": "BKH"}
    props |= {"crossing_minutes": 120, "departures_per_day": 48, "tariffs": {"I": 15000}}
    good = _collection(tmp_path / "ferry.geojson", [(line, props)])
    args = ["ingest", "lines", str(good), "--map", "NAMA=name"]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "1 rows" in result.output and "ferry_links" in result.output
    bad = _collection(
        tmp_path / "salah.geojson", [(line, props), (line, props | {"to_port": "CNG"})]
    )
    result = runner.invoke(app, ["ingest", "lines", str(bad), "--map", "NAMA=name"], env=env)
    assert result.exit_code == 1
    assert "row 2" in result.output and "CNG" in result.output and "MRK" in result.output
    assert "nothing was written" in result.output and "Traceback" not in result.output
    with clean_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ferry_links")).scalar() == 1


def test_ingest_table_cli(clean_engine: Engine, scratch_url: str, tmp_path: Path):
    env = {"LAMPUNG_GEO_DATABASE_URL": scratch_url}
    path = tmp_path / "kendaraan.csv"
    header = "kode,name_id,name_en,payload_t,fuel_l_per_km,toll_group,ferry_class\n"
    path.write_text(header + "test_cli,Truk uji,Test truck,3,0.15,I,VB\n")
    args = ["ingest", "table", str(path), "--layer", "vehicle_classes", "--map", "kode=code"]
    try:
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 0, result.output
        assert "1 rows" in result.output and "1 new" in result.output
        path.write_text(header + "test_cli,Truk uji,Test truck,banyak,0.15,I,VB\n")
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 1
        assert "row 1" in result.output and "payload_t" in result.output
        assert "nothing was written" in result.output and "Traceback" not in result.output
        with clean_engine.connect() as conn:
            payload = conn.execute(
                text("SELECT payload_t FROM vehicle_classes WHERE code = 'test_cli'")
            ).scalar()
        assert payload == 3.0
    finally:
        with clean_engine.begin() as conn:
            conn.execute(text("DELETE FROM vehicle_classes WHERE code = 'test_cli'"))


@pytest.mark.parametrize("bad", [["--map", "NAMA"], ["--map", "NOPE=name"], ["--layer", "roads"]])
def test_ingest_bad_options(scratch_url: str, tmp_path: Path, bad: list[str]):
    path = _geojson(tmp_path / "t.geojson", ["samsat"])
    result = runner.invoke(
        app, ["ingest", "points", str(path), *bad], env={"LAMPUNG_GEO_DATABASE_URL": scratch_url}
    )
    assert result.exit_code in (1, 2)
    assert "error" in result.output and "Traceback" not in result.output


def test_db_start_status_stop_private_cluster():
    folder = new_cluster_dir()
    env = {
        "LAMPUNG_GEO_CLUSTER_DIR": str(folder / "pg"),
        "LAMPUNG_GEO_CLUSTER_PORT": str(free_port()),
        "LAMPUNG_GEO_DATABASE_URL": "",
    }
    try:
        started = runner.invoke(app, ["db", "start"], env=env)
        assert started.exit_code == 0, started.output
        assert "schema at head" in started.output
        status = runner.invoke(app, ["db", "status"], env=env)
        assert status.exit_code == 0 and "running" in status.output
        assert (folder / "pg" / "data" / "PG_VERSION").exists()
        stopped = runner.invoke(app, ["db", "stop"], env=env)
        assert stopped.exit_code == 0
        after = runner.invoke(app, ["db", "status"], env=env)
        assert after.exit_code == 3 and "stopped" in after.output
    finally:
        runner.invoke(app, ["db", "stop"], env=env)
        shutil.rmtree(folder, ignore_errors=True)


def test_ingest_cli_database_refusal_has_no_sql(
    clean_engine: Engine, scratch_url: str, tmp_path: Path
):
    env = {"LAMPUNG_GEO_DATABASE_URL": scratch_url}
    path = _geojson(tmp_path / "kapasitas.geojson", ["samsat", "samsat"])
    doc = json.loads(path.read_text())
    doc["features"][1]["properties"]["capacity"] = 3_000_000_000
    path.write_text(json.dumps(doc))
    args = ["ingest", "points", str(path), "--map", "NAMA=name", "--map", "JENIS=category"]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 1
    assert "row 2" in result.output and "capacity" in result.output
    assert "nothing was written" in result.output
    for word in ("Traceback", "INSERT", "SQL", "psycopg"):
        assert word not in result.output


def test_ingest_cli_new_options(clean_engine: Engine, scratch_url: str, tmp_path: Path):
    env = {"LAMPUNG_GEO_DATABASE_URL": scratch_url}
    path = _geojson(tmp_path / "ulang.geojson", ["samsat", "samsat", "samsat"])
    doc = json.loads(path.read_text())
    for feat in doc["features"]:
        feat["properties"]["KODE"] = 1
    path.write_text(json.dumps(doc))
    base = ["ingest", "points", str(path), "--map", "NAMA=name", "--map", "JENIS=category"]
    base += ["--map", "KODE=source_id"]
    result = runner.invoke(app, base, env=env)
    assert result.exit_code == 1 and "--on-duplicate" in result.output
    result = runner.invoke(app, [*base, "--on-duplicate", "renumber"], env=env)
    assert result.exit_code == 0, result.output
    assert "renumbered 2" in result.output and "'1' -> '1-2'" in result.output
    result = runner.invoke(app, [*base, "--on-duplicate", "kadang"], env=env)
    assert result.exit_code == 2 and "--on-duplicate" in result.output
    result = runner.invoke(app, [*base, "--encoding", "klingon"], env=env)
    assert result.exit_code == 1 and "unknown encoding" in result.output
    with clean_engine.connect() as conn:
        ids = conn.execute(text("SELECT source_id FROM service_points ORDER BY 1")).scalars()
        assert list(ids) == ["1", "1-2", "1-3"]


@pytest.mark.shared_data
def test_import_rbi_cli(clean_engine: Engine, scratch_url: str, tmp_path: Path):
    """The four real folders in one run: layers, population and the motorcycle graph."""
    from routing.network import Network
    from tests.conftest import shared_file

    graphs = tmp_path / "graphs"
    env = {
        "LAMPUNG_GEO_DATABASE_URL": scratch_url,
        "LAMPUNG_GEO_ROUTING_GRAPH_DIR": str(graphs),
        "COLUMNS": "200",
    }
    names = ("metro", "pringsewu", "pesawaran", "mesuji")
    folders = [str(shared_file("lampung", "rbi", f)) for f in names]
    pop = str(shared_file("lampung", "bps", "sosial_ekonomi.csv"))
    args = ["import", "rbi", *folders, "--population", pop, "--profile", "motorcycle"]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Kota Metro" in out and "Kabupaten Mesuji" in out
    assert "JALAN_LN_50K.dbf is missing" in out and "dropped Z" in out
    assert "written" in out and "Traceback" not in out and "SELECT" not in out
    assert "63 line ends joined across files" in out
    assert all(n in out for n in names)  # the per-folder road table
    assert sorted(p.name for p in graphs.iterdir()) == ["motorcycle.npz"]
    with clean_engine.connect() as conn:
        pop_metro = conn.execute(
            text(
                "SELECT population FROM admin_areas "
                "WHERE level = 'kabupaten' AND name = 'Kota Metro'"
            )
        ).scalar_one()
        seats = conn.execute(
            text(
                "SELECT a.name, ST_X(p.geom), ST_Y(p.geom) FROM service_points p "
                "JOIN admin_areas a ON a.level = 'kabupaten' AND ST_Contains(a.geom, p.geom) "
                "WHERE p.category = 'kantor_bupati' ORDER BY a.name"
            )
        ).all()
    assert pop_metro == 172505  # "Metro;2023;172505" in sosial_ekonomi.csv
    # a route crosses the Pringsewu–Pesawaran border: from one seat to the other
    where = {name: (x, y) for name, x, y in seats}
    net = Network.load(graphs / "motorcycle.npz")
    a = net.snapper.snap(*where["Kabupaten Pesawaran"])
    b = net.snapper.snap(*where["Kabupaten Pringsewu"])
    route = net.engine.route(a, b)
    assert 5_000 < route.distance_m < 40_000
    # a failure writes nothing: neither rows nor graphs
    before = {p.name: p.stat().st_mtime_ns for p in graphs.iterdir()}
    bad = runner.invoke(app, [*args, "--population-year", "1999"], env=env)
    assert bad.exit_code == 1 and "no figures for 1999" in bad.output
    assert {p.name: p.stat().st_mtime_ns for p in graphs.iterdir()} == before
    bad = runner.invoke(app, ["import", "rbi", str(tmp_path / "tidak-ada")], env=env)
    assert bad.exit_code == 1 and "is not a folder" in bad.output
    assert "nothing was written" in bad.output and "Traceback" not in bad.output


# --------------------------------------------------------------------------- graph build


def _road_file(path: Path, rows: list[tuple[str, list[tuple[float, float]]]]) -> Path:
    import geopandas as gpd
    from shapely.geometry import LineString

    path.parent.mkdir(parents=True, exist_ok=True)
    frame = gpd.GeoDataFrame(
        {"REMARK": [r[0] for r in rows]},
        geometry=[LineString(r[1]) for r in rows],
        crs="EPSG:4326",
    )
    frame.to_file(path)
    return path


def _two_kabupaten(tmp_path: Path) -> list[Path]:
    """Two RBI-like folders whose roads meet 3 m apart at their border."""
    x, y, gap = 105.0, -5.4, 3.0 / 110_574.0
    a = _road_file(
        tmp_path / "pringsewu" / "JALAN_LN_50K.shp",
        [("Jalan Lain", [(x, y), (x + 0.01, y)]), ("Jalan Setapak", [(x, y), (x, y + 0.01)])],
    )
    b = _road_file(
        tmp_path / "pesawaran" / "JALAN_LN_50K.shp",
        [("Jalan Lokal", [(x + 0.01, y + gap), (x + 0.02, y)])],
    )
    return [a, b]


def test_graph_build_several_files_cli(tmp_path: Path):
    files = _two_kabupaten(tmp_path)
    out = tmp_path / "graphs" / "motorcycle.npz"
    args = ["graph", "build", *map(str, files), "--out", str(out), "--min-component-km", "0"]
    result = runner.invoke(app, [*args, "--label", "Pringsewu", "--label", "Pesawaran"])
    assert result.exit_code == 0, result.output
    assert "Pringsewu" in result.output and "Pesawaran" in result.output
    assert "0 line ends joined across files (tolerance 1 m)" in result.output
    assert "not joined" in result.output and out.exists()
    # a wider tolerance, from the option or from the settings
    wide = runner.invoke(app, [*args, "--join-tolerance", "5"])
    assert wide.exit_code == 0, wide.output
    assert "1 line ends joined across files (tolerance 5 m)" in wide.output
    assert "pringsewu/JALAN_LN_50K.shp" in wide.output  # default labels: folder/file
    env = {"LAMPUNG_GEO_ROUTING_JOIN_TOLERANCE_M": "5"}
    from_env = runner.invoke(app, args, env=env)
    assert "1 line ends joined across files (tolerance 5 m)" in from_env.output
    # Jalan Setapak: ridden by motorcycles unless barred
    from routing.compiled import load_compiled

    assert "path" in set(load_compiled(out).highways)
    barred = runner.invoke(app, [*args, "--motorcycle-path-speed", "0"])
    assert barred.exit_code == 0, barred.output
    assert "path" not in set(load_compiled(out).highways)


def test_graph_build_missing_dbf_cli(tmp_path: Path):
    files = _two_kabupaten(tmp_path)
    (files[1].with_suffix(".dbf")).unlink()
    out = tmp_path / "car.npz"
    args = ["graph", "build", *map(str, files), "--profile", "car", "--out", str(out)]
    result = runner.invoke(app, [*args, "--min-component-km", "0"])
    assert result.exit_code == 0, result.output
    assert "WARNING" in result.output and "JALAN_LN_50K.dbf is missing" in result.output
    out.unlink()
    refused = runner.invoke(app, [*args, "--default-class", "none"])
    assert refused.exit_code == 1
    assert "error" in refused.output and "JALAN_LN_50K.dbf is missing" in refused.output
    assert "Traceback" not in refused.output and not out.exists()
    bad = runner.invoke(app, [*args, "--default-class", "Jalan Besar"])
    assert bad.exit_code == 1 and "not a routable" in bad.output
    mixed = runner.invoke(app, ["graph", "build", str(files[0]), str(tmp_path / "x.osm.pbf")])
    assert mixed.exit_code == 1 and "not found" in mixed.output


def test_graph_build_format3_cli(tmp_path: Path):
    """``--format 3``: all profiles at once into one network store (network/ + profiles)."""
    from routing.compiled import load_compiled
    from routing.store import read_store

    files = _two_kabupaten(tmp_path)
    graphs = tmp_path / "graphs"
    args = ["graph", "build", *map(str, files), "--min-component-km", "0", "--out", str(graphs)]
    old = runner.invoke(app, [*args, "--profile", "truck"])  # format 2 (the default) first
    assert old.exit_code == 0, old.output
    result = runner.invoke(
        app,
        [*args, "--format", "3", "--profile", "motorcycle", "--profile", "car",
         "--join-tolerance", "5", "--motorcycle-path-speed", "0"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "network store (format 3)" in result.output
    assert "cch_order built, snap built" in result.output  # the saved CCH order and snap index
    assert "1 line ends joined across files (tolerance 5 m)" in result.output
    store = read_store(graphs)
    assert set(store.profiles) == {"motorcycle", "car"}
    assert store.profiles["car"].report["joins"] == 1
    assert load_compiled(graphs / "truck.npz").n_edges > 0  # the format-2 file is kept
    # Jalan Setapak barred for motorcycles by the option, and cars never use it: a road
    # no stored profile can use is not in the store
    assert "path" not in set(store.network.highways)
    bad = runner.invoke(app, [*args, "--format", "3", "--out", str(tmp_path / "x.npz")])
    assert bad.exit_code == 1 and "graph folder" in bad.output
    twice = runner.invoke(app, [*args, "--format", "3", "--profile", "car", "--profile", "car"])
    assert twice.exit_code == 1 and "unique" in twice.output and "Traceback" not in twice.output
