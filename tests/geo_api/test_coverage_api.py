"""Coverage endpoints on the demo platform: isochrones, stats, underserved, siting, errors."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from fastapi.testclient import TestClient
from PIL import Image
from rasterio.transform import from_origin
from shapely.geometry import shape
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from data import facts
from geo_api.app import create_app
from geo_api.cli import app as cli_app
from geo_api.settings import DatabaseSettings, PopulationSettings, RoutingSettings, Settings
from layers.db.engine import make_engine
from layers.demo import load_demo
from layers.writer import SourceInfo, upsert_rows

runner = CliRunner()

BANDAR_LAMPUNG = (105.26, -5.43)


def _err(r, status: int, field: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["reason"]
    if field is not None:
        assert body["field"] == field, body
    return body


def test_isochrones_nest_and_do_not_overlap(demo_client: TestClient):
    r = demo_client.get(
        "/isochrones",
        params={"lon": BANDAR_LAMPUNG[0], "lat": BANDAR_LAMPUNG[1], "minutes": "20,10,30"},
    )
    assert r.status_code == 200, r.text
    feats = r.json()["features"]
    assert [f["properties"]["minutes"] for f in feats] == [10, 20, 30]
    polys = [shape(f["geometry"]) for f in feats]
    assert all(not p.is_empty for p in polys)
    for i in range(len(polys)):
        for j in range(i + 1, len(polys)):
            # shared boundaries only (snapping to the 1e-7 degree grid leaves mm slivers)
            assert polys[i].intersection(polys[j]).area < 1e-6 * polys[i].area
    # the origin is inside the first band
    assert (
        polys[0].buffer(1e-4).contains(shapely.Point(*BANDAR_LAMPUNG))
        or polys[0].distance(shapely.Point(*BANDAR_LAMPUNG)) < 0.003
    )


def test_coverage_areas_of_a_category(demo_client: TestClient):
    r = demo_client.get("/coverage/areas", params={"category": "rumah_sakit", "minutes": "15,30"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["facilities"] > 10 and body["demo"] is True
    assert [f["properties"]["minutes"] for f in body["features"]] == [15, 30]


def test_coverage_stats_json_csv_geojson(demo_client: TestClient):
    params = {"category": "puskesmas", "minutes": "15,30,60", "level": "kabupaten"}
    r = demo_client.get("/coverage/stats", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["demo"] is True
    model = body["population_model"]
    assert model["source_level"] == "kecamatan"  # demo kecamatan estimates
    # no settlements in the demo, no raster: road length; kecamatan without any road
    # (islands without a ferry in the demo) are spread uniformly and listed
    assert model["method"] == "road_length"
    assert model["areas_by_method"]["road_length"] > 200
    assert sum(model["areas_by_method"].values()) == 226
    assert len(model["fallbacks"]) == 226 - model["areas_by_method"]["road_length"]
    assert model["data"]["road_length"]["road_km"] > 100
    assert "road length" in model["description"] and "road" in model["weighting"]
    areas = body["areas"]
    assert len(areas) == 15
    for a in areas:
        assert a["covered_15min"] <= a["covered_30min"] <= a["covered_60min"] <= a["population"]
        if a["population"]:
            assert a["percent_30min"] == pytest.approx(
                100 * a["covered_30min"] / a["population"], abs=0.02
            )
    # population spread keeps each kabupaten's BPS total
    total = sum(a["population"] for a in areas)
    assert total == pytest.approx(body["population_model"]["population"], abs=15)
    ranks = sorted(areas, key=lambda a: a["underserved_rank"])
    unc = [a["uncovered_15min"] for a in ranks]
    assert unc == sorted(unc, reverse=True)

    r = demo_client.get("/coverage/stats", params={**params, "f": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 15 and "percent_30min" in rows[0]

    r = demo_client.get("/coverage/stats", params={**params, "f": "geojson"})
    assert r.status_code == 200
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 15
    assert fc["features"][0]["geometry"]["type"] == "MultiPolygon"


def _today_wib() -> str:
    """Today in WIB, computed here without zoneinfo: UTC + 7 hours."""
    return (datetime.now(UTC) + timedelta(hours=7)).date().isoformat()


def _filename(r) -> str:
    m = re.fullmatch(r'attachment; filename="([^"]+)"', r.headers["content-disposition"])
    assert m, r.headers["content-disposition"]
    return m.group(1)


def _class_rgb(percent: float | None) -> tuple[int, int, int]:
    """The fixed classes < 50, 50-70, 70-85, 85-95, >= 95 % (OrRd), written out by hand."""
    colors = ["#b30000", "#e34a33", "#fc8d59", "#fdcc8a", "#fef0d9"]
    if percent is None:
        hexa = "#cccccc"
    else:
        hexa = colors[(percent >= 50) + (percent >= 70) + (percent >= 85) + (percent >= 95)]
    return int(hexa[1:3], 16), int(hexa[3:5], 16), int(hexa[5:7], 16)


def test_coverage_files_gpkg_and_png(demo_client: TestClient, tmp_path: Path):
    q = {"category": "puskesmas", "minutes": "30", "level": "kabupaten", "profile": "car"}
    truth = demo_client.get("/coverage/stats", params=q).json()
    day = _today_wib()
    stem = f"coverage_puskesmas_car_30min_kabupaten_{day}"
    for f in ("csv", "geojson"):
        r = demo_client.get("/coverage/stats", params=q | {"f": f})
        assert _filename(r) == f"{stem}.{f}"

    r = demo_client.get("/coverage/stats", params=q | {"f": "gpkg"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/geopackage+sqlite3"
    assert _filename(r) == f"{stem}.gpkg"
    path = tmp_path / _filename(r)
    path.write_bytes(r.content)
    areas = gpd.read_file(path, layer="areas")
    assert areas.crs.to_epsg() == 4326
    assert len(areas) == len(truth["areas"]) == 15
    by_name = {a["name"]: a for a in truth["areas"]}
    for _, row in areas.iterrows():
        want = by_name[row["name"]]
        assert row["population"] == want["population"]
        assert row["percent_30min"] == pytest.approx(want["percent_30min"], abs=1e-9)
        assert row["uncovered_30min"] == want["uncovered_30min"]
    points = gpd.read_file(path, layer="service_points")
    assert len(points) == truth["facilities"] + truth["facilities_off_network"]
    cells = gpd.read_file(path, layer="cells")
    assert cells["population"].sum() == pytest.approx(
        sum(by_name[n]["population"] for n in by_name), rel=1e-3
    )
    about = dict(gpd.read_file(path, layer="about")[["key", "value"]].itertuples(index=False))
    assert about["profile"] == "car" and about["minutes"] == "30" and about["date"] == day
    assert about["demo"] == "true"

    r = demo_client.get("/coverage/stats", params=q | {"f": "png", "lang": "id"})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert _filename(r) == f"{stem}.png"
    image = Image.open(io.BytesIO(r.content)).convert("RGB")
    assert image.width > 400 and image.height > 400
    colors = {c for _, c in image.getcolors(maxcolors=1_000_000)}
    for a in truth["areas"]:  # every area's class colour is on the map
        assert _class_rgb(a["percent_30min"]) in colors, a["name"]
    english = demo_client.get("/coverage/stats", params=q | {"f": "png"}).content
    assert english != r.content  # the texts follow lang

    three = demo_client.get("/coverage/stats", params=q | {"f": "png", "minutes": "15,30,60"})
    assert _filename(three) == f"coverage_puskesmas_car_15-30-60min_kabupaten_{day}.png"
    wide = Image.open(io.BytesIO(three.content))
    assert wide.width > 1.3 * image.width  # one map per threshold, side by side
    bad = demo_client.get("/coverage/stats", params=q | {"f": "png", "lang": "fr"})
    _err(bad, 400, "lang")


def test_underserved_leaves_out_areas_with_nobody_uncovered(demo_client: TestClient):
    q = {"category": "puskesmas", "minutes": "60", "level": "kecamatan"}
    stats = demo_client.get("/coverage/stats", params=q).json()["areas"]
    uncovered = sorted(
        (a for a in stats if a["uncovered_60min"] > 0), key=lambda a: -a["uncovered_60min"]
    )
    assert 0 < len(uncovered) < len(stats)  # some kecamatan are fully covered
    r = demo_client.get("/coverage/underserved", params=q | {"limit": 1000})
    got = r.json()["areas"]
    assert [a["id"] for a in got] == [a["id"] for a in uncovered]
    assert all(a["uncovered_60min"] > 0 for a in got)
    assert r.json()["numberReturned"] == len(uncovered)


def test_sites_have_names_and_coverage_after(demo_client: TestClient, demo_url: str):
    r = demo_client.post(
        "/plan/sites",
        json={"category": "puskesmas", "count": 3, "minutes": 30, "max_candidates": 120},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    engine = make_engine(demo_url)
    running = body["covered_before"]
    try:
        with engine.connect() as conn:
            for f in body["features"]:
                x, y = f["geometry"]["coordinates"]
                names = dict(
                    conn.execute(
                        text(
                            "SELECT level, name FROM admin_areas WHERE level IN "
                            "('kecamatan', 'kabupaten') AND ST_Intersects(geom, "
                            "ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
                        ),
                        {"x": x, "y": y},
                    ).all()
                )
                p = f["properties"]
                assert p["kecamatan"] == names["kecamatan"]
                assert p["kabupaten"] == names["kabupaten"]
                running += p["newly_covered_population"]
                assert p["covered_after"] == pytest.approx(running, abs=2)
                assert p["percent_after"] == pytest.approx(
                    100 * p["covered_after"] / body["population"], abs=0.01
                )
    finally:
        engine.dispose()
    assert body["features"][-1]["properties"]["covered_after"] == pytest.approx(
        body["covered_after"], abs=2
    )


def test_underserved_ranking(demo_client: TestClient):
    r = demo_client.get(
        "/coverage/underserved", params={"category": "rumah_sakit", "minutes": "30", "limit": 5}
    )
    assert r.status_code == 200, r.text
    areas = r.json()["areas"]
    assert len(areas) == 5
    unc = [a["uncovered_30min"] for a in areas]
    assert unc == sorted(unc, reverse=True)
    assert [a["underserved_rank"] for a in areas] == [1, 2, 3, 4, 5]


def test_plan_sites_greedy_and_milp(demo_client: TestClient):
    r = demo_client.post(
        "/plan/sites",
        json={"category": "rumah_sakit", "count": 3, "minutes": 30, "max_candidates": 120},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    sol = body["solution"]
    assert len(body["features"]) == 3
    assert sol["greedy_objective"] <= sol["bound"] + 1
    if sol["milp_objective"] is not None:
        assert sol["greedy_objective"] <= sol["milp_objective"] + 1
    assert body["covered_after"] >= body["covered_before"]
    assert body["newly_covered"] == pytest.approx(
        sum(f["properties"]["newly_covered_population"] for f in body["features"]), abs=3
    )


def test_plan_sites_with_given_candidates(demo_client: TestClient):
    cands = [[t.lon, t.lat] for t in facts.TOWNS[:8]]
    r = demo_client.post(
        "/plan/sites",
        json={"category": "rumah_sakit", "count": 2, "minutes": 20, "candidates": cands},
    )
    assert r.status_code == 200, r.text
    for f in r.json()["features"]:
        assert f["geometry"]["coordinates"] in cands


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/coverage/stats", {"category": "nope", "minutes": "30"}, "category"),
        ("/coverage/stats", {"category": "puskesmas", "minutes": "0"}, "minutes"),
        ("/coverage/stats", {"category": "puskesmas", "minutes": "181"}, "minutes"),
        ("/coverage/stats", {"category": "puskesmas", "minutes": "abc"}, "minutes"),
        ("/coverage/stats", {"category": "puskesmas", "minutes": "30", "level": "rt"}, "level"),
        ("/coverage/stats", {"category": "puskesmas", "minutes": "30", "f": "xls"}, "f"),
        ("/coverage/areas", {"category": "puskesmas", "minutes": "200"}, "minutes"),
        ("/isochrones", {"lon": 105.26, "lat": -5.43, "minutes": "-5"}, "minutes"),
        (
            "/isochrones",
            {"lon": 105.26, "lat": -5.43, "minutes": "30", "profile": "boat"},
            "profile",
        ),
        ("/coverage/underserved", {"category": "puskesmas", "minutes": "15,30"}, "minutes"),
    ],
)
def test_bad_input_is_400(demo_client: TestClient, path: str, params: dict, field: str):
    _err(demo_client.get(path, params=params), 400, field)


def test_level_without_areas_is_422(demo_client: TestClient):
    r = demo_client.get(
        "/coverage/stats", params={"category": "puskesmas", "minutes": "30", "level": "desa"}
    )
    body = _err(r, 422, "level")
    assert "desa" in body["reason"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"category": "puskesmas", "count": 0, "minutes": 30}, "count"),
        ({"category": "puskesmas", "count": 51, "minutes": 30}, "count"),
        ({"category": "puskesmas", "count": 3, "minutes": 500}, "minutes"),
        ({"category": "nope", "count": 3, "minutes": 30}, "category"),
        ({"category": "puskesmas", "count": 3, "minutes": 30, "candidates": [[500, 1]]}, None),
    ],
)
def test_plan_sites_bad_input(demo_client: TestClient, payload: dict, field: str | None):
    r = demo_client.post("/plan/sites", json=payload)
    _err(r, 400, field)


def test_no_population_is_422(scratch_url: str, clean_engine: Engine, demo_graph_dir: Path):
    with clean_engine.begin() as conn:
        conn.execute(text("INSERT INTO sources (id, title) VALUES ('t', 'no figures')"))
        conn.execute(
            text(
                "INSERT INTO admin_areas (source, source_id, level, name, geom) VALUES "
                "('t', 'k1', 'desa', 'Kelurahan X', ST_GeomFromText("
                "'MULTIPOLYGON(((105.2 -5.5,105.3 -5.5,105.3 -5.4,105.2 -5.4,105.2 -5.5)))', 4326))"
            )
        )
    settings = Settings(
        database=DatabaseSettings(database_url=scratch_url),
        routing=RoutingSettings(graph_dir=demo_graph_dir),
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        r = client.get("/coverage/stats", params={"category": "puskesmas", "minutes": "30"})
        body = _err(r, 422, "population")
        assert "population" in body["reason"]
        r = client.post("/plan/sites", json={"category": "puskesmas", "count": 2, "minutes": 30})
        _err(r, 422, "population")
        # a stated assumption fills the gap (like DKI Jakarta's census total)
        r = client.get(
            "/coverage/stats",
            params={
                "category": "puskesmas",
                "minutes": "30",
                "level": "desa",
                "assume_population": 50000,
            },
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["areas"][0]["population"] == 50000
        assert "assumed total" in body["population_model"]["assumptions"][0]
        r = client.get(
            "/coverage/stats",
            params={"category": "puskesmas", "minutes": "30", "assume_population": -1},
        )
        _err(r, 400, "assume_population")


def test_cli_analyse_coverage_and_sites(demo_url: str, demo_graph_dir: Path, tmp_path: Path):
    env = {
        "LAMPUNG_GEO_DATABASE_URL": demo_url,
        "LAMPUNG_GEO_ROUTING_GRAPH_DIR": str(demo_graph_dir),
    }
    args = ["analyse", "coverage", "--category", "puskesmas", "--minutes", "15,30,60"]
    r = runner.invoke(cli_app, [*args, "--out", str(tmp_path), "--resolution", "7"], env=env)
    assert r.exit_code == 0, r.output
    assert "Underserved kabupaten areas" in r.stdout and "DEMO" in r.stdout
    # the same names as the API's downloads: threshold, profile, level and date in it
    stem = f"coverage_puskesmas_motorcycle_15-30-60min_kabupaten_{_today_wib()}"
    gpkg = tmp_path / f"{stem}.gpkg"
    png = tmp_path / f"{stem}.png"
    assert png.stat().st_size > 10_000
    areas = gpd.read_file(gpkg, layer="areas")
    assert len(areas) == 15 and "percent_30min" in areas.columns
    assert len(gpd.read_file(gpkg, layer="cells")) > 100
    out = tmp_path / "sites.geojson"
    r = runner.invoke(
        cli_app,
        [
            "analyse",
            "sites",
            "--category",
            "rumah_sakit",
            "--count",
            "3",
            "--minutes",
            "30",
            "--max-candidates",
            "100",
            "--resolution",
            "7",
            "--out",
            str(out),
        ],
        env=env,
    )
    assert r.exit_code == 0, r.output
    assert "greedy gap" in r.stdout
    body = json.loads(out.read_text())
    assert len(body["features"]) == 3
    bad = runner.invoke(
        cli_app, ["analyse", "sites", "--category", "puskesmas", "--count", "0"], env=env
    )
    assert bad.exit_code == 2 and "between 1 and 50" in bad.output
    bad = runner.invoke(
        cli_app, ["analyse", "coverage", "--category", "puskesmas", "--minutes", "500"], env=env
    )
    assert bad.exit_code == 2 and "minutes" in bad.output
    bad = runner.invoke(
        cli_app, ["analyse", "coverage", "--category", "nope", "--out", str(tmp_path)], env=env
    )
    assert bad.exit_code == 2 and "unknown category" in bad.output


def _settlement(conn, box: tuple[float, float, float, float]) -> None:
    upsert_rows(
        conn,
        "settlements",
        SourceInfo(id="pemukiman-test", title="settlements (test)"),
        [{"source_id": "1", "geom": f"SRID=4326;{shapely.MultiPolygon([shapely.box(*box)]).wkt}"}],
    )


def _write_raster(path: Path, box: tuple[float, float, float, float], people: float) -> Path:
    """A 0.001 degree GeoTIFF over ``box`` with ``people`` spread evenly, one nodata pixel."""
    w = round((box[2] - box[0]) / 0.001)
    h = round((box[3] - box[1]) / 0.001)
    values = np.full((h, w), people / (w * h - 1), dtype=np.float32)
    values[0, 0] = -1.0
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=w,
        height=h,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(box[0], box[3], 0.001, 0.001),
        nodata=-1.0,
    ) as dst:
        dst.write(values, 1)
    return path


def test_population_method_follows_the_data(
    scratch_url: str, clean_engine: Engine, demo_graph_dir: Path, tmp_path: Path
):
    with clean_engine.connect() as conn:
        load_demo(conn)  # its own transaction
        # population from the 15 kabupaten figures (the demo's kecamatan estimates are
        # finer and would be used first): this test counts areas at kabupaten level
        conn.execute(text("DELETE FROM admin_areas WHERE level = 'kecamatan'"))
        conn.commit()
        kab = conn.execute(
            text(
                "SELECT id, name, population FROM admin_areas WHERE level = 'kabupaten' "
                "AND ST_Contains(geom, ST_SetSRID(ST_Point(:x, :y), 4326))"
            ),
            {"x": BANDAR_LAMPUNG[0], "y": BANDAR_LAMPUNG[1]},
        ).one()
    settings = Settings(
        database=DatabaseSettings(database_url=scratch_url),
        routing=RoutingSettings(graph_dir=demo_graph_dir),
    )
    params = {"category": "puskesmas", "minutes": "15,30", "level": "kabupaten"}
    x, y = BANDAR_LAMPUNG
    village = (x - 0.004, y - 0.003, x + 0.004, y + 0.003)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        before = client.get("/coverage/stats", params=params).json()
        assert before["population_model"]["method"] == "road_length"
        # settlements loaded while the app runs: the cached grid notices (fingerprint)
        with clean_engine.begin() as conn:
            _settlement(conn, village)
        r = client.get("/coverage/stats", params=params)
        assert r.status_code == 200, r.text
        after = r.json()
        model = after["population_model"]
        assert model["method"] == "settlements"
        assert model["data"]["settlements"]["settlements"] == 1
        area_km2 = model["data"]["settlements"]["area_km2"]
        assert 0.5 < area_km2 < 0.7  # 0.008 x 0.006 degrees at 5.4 S
        assert model["areas_by_method"] == {"settlements": 1, "road_length": 14}
        fb = {f["id"]: f for f in model["fallbacks"]}
        assert len(fb) == 14 and kab.id not in fb
        assert all(f["method"] == "road_length" for f in fb.values())
        assert all(f["reason"] == "no settlement inside the area" for f in fb.values())
        assert any("no settlement inside" in a for a in model["assumptions"])
        # official totals kept, whatever the method
        pops = {a["id"]: a["population"] for a in after["areas"]}
        assert pops == {a["id"]: a["population"] for a in before["areas"]}
        assert pops[kab.id] == kab.population
        sites = client.post(
            "/plan/sites", json={"category": "rumah_sakit", "count": 2, "minutes": 30}
        )
        assert sites.status_code == 200, sites.text
        assert sites.json()["population_model"]["method"] == "settlements"
    # a population raster (setting) comes first where it has people
    tif = _write_raster(tmp_path / "worldpop.tif", (x - 0.01, y - 0.01, x + 0.01, y + 0.01), 900)
    settings.population = PopulationSettings(raster=tif)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        body = client.get("/coverage/stats", params=params).json()
        model = body["population_model"]
        assert model["method"] == "raster"
        assert model["data"]["raster"]["file"] == "worldpop.tif"
        assert model["data"]["raster"]["crs"] == "EPSG:4326"
        assert model["data"]["raster"]["nodata_pixels"] == 1
        assert model["areas_by_method"] == {"raster": 1, "road_length": 14}
        assert {a["id"]: a["population"] for a in body["areas"]} == pops
    # a broken raster setting is a clear error, not a traceback
    bad = tmp_path / "broken.tif"
    bad.write_text("no raster")
    settings.population = PopulationSettings(raster=bad)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        r = client.get("/coverage/stats", params=params)
        assert r.status_code == 500
        err = r.json()
        assert err["field"] == "population_raster" and "broken.tif" in err["reason"]
        assert str(tmp_path) not in err["reason"]


def test_cli_population_raster_option(demo_url: str, demo_graph_dir: Path, tmp_path: Path):
    env = {
        "LAMPUNG_GEO_DATABASE_URL": demo_url,
        "LAMPUNG_GEO_ROUTING_GRAPH_DIR": str(demo_graph_dir),
    }
    x, y = BANDAR_LAMPUNG
    tif = _write_raster(tmp_path / "hrsl.tif", (x - 0.01, y - 0.01, x + 0.01, y + 0.01), 500)
    args = ["analyse", "coverage", "--category", "puskesmas", "--minutes", "30"]
    r = runner.invoke(
        cli_app,
        [*args, "--resolution", "7", "--out", str(tmp_path), "--population-raster", str(tif)],
        env=env,
    )
    assert r.exit_code == 0, r.output
    assert "population method: raster" in r.stdout and "file hrsl.tif" in r.stdout
    assert "no raster population inside" in r.stdout  # the other kabupaten, listed
    # the setting (LAMPUNG_GEO_POPULATION_RASTER) works the same way
    r = runner.invoke(
        cli_app,
        ["analyse", "sites", "--category", "rumah_sakit", "--count", "2", "--resolution", "7"],
        env={**env, "LAMPUNG_GEO_POPULATION_RASTER": str(tif)},
    )
    assert r.exit_code == 0, r.output
    assert "population method: raster" in r.stdout
    r = runner.invoke(
        cli_app,
        [*args, "--out", str(tmp_path), "--population-raster", str(tmp_path / "none.tif")],
        env=env,
    )
    assert r.exit_code == 2 and "--population-raster" in r.output
    broken = tmp_path / "broken.tif"
    broken.write_text("no raster")
    r = runner.invoke(
        cli_app, [*args, "--out", str(tmp_path), "--population-raster", str(broken)], env=env
    )
    assert r.exit_code == 2 and "cannot be read as a raster" in r.output
    assert "Traceback" not in r.output
