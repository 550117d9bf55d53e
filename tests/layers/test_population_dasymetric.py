"""Dasymetric population on real RBI data (Kab. Pringsewu), checked against an overlay oracle.

The oracle is geopandas ``overlay`` (settlements x kecamatan x H3 hexagons) done in a
Lambert azimuthal equal-area projection centred on Lampung — another projection and
another intersection order than the code under test (lon/lat intersection, areas in
EPSG:6933).
"""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pytest
import rasterio
import shapely
from pyproj import Geod, Transformer
from rasterio.transform import from_origin
from sqlalchemy import Engine, text

from layers import population_raster
from layers.population import (
    AreaTable,
    PopulationGrid,
    RoadDensity,
    build_grid,
    population_areas,
)
from layers.population_raster import PopulationRasterError, raster_weights
from layers.population_settlements import (
    SettlementLayer,
    load_settlements,
    settlement_stamp,
    settlement_weights,
)
from layers.writer import SourceInfo, upsert_rows
from tests.conftest import shared_file

LAEA = "+proj=laea +lat_0=-5.3 +lon_0=104.9 +datum=WGS84 +units=m +no_defs"
RES = 8
# Tolerance of a cell's people against the oracle, as a share of the area's figure. The
# two computations differ in which plane a segment is straight in (lon/lat here, LAEA in
# the oracle): over a ~530 m hexagon edge the two lines part by a few millimetres, about
# 1 m² of area per edge, a few 1e-7 of an area's settlement m² (measured worst: 8.4e-7;
# the same overlay done in EPSG:6933 agrees to 0.07 m² per pair).
REL_TOL = 5e-6


def _polygonal(geoms: np.ndarray) -> list[shapely.MultiPolygon]:
    """2D, valid MultiPolygons (what `ingest` stores: Z dropped, ST_MakeValid)."""
    out = []
    for g in shapely.make_valid(shapely.force_2d(geoms)):
        parts = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and p.area > 0]
        if not parts:
            # a collection: its polygon members
            parts = [
                q
                for p in shapely.get_parts(g)
                for q in shapely.get_parts(p)
                if q.geom_type == "Polygon" and q.area > 0
            ]
        out.append(shapely.MultiPolygon(parts))
    return out


def _load_rbi(conn, folder: Path) -> dict[str, int]:
    """Kabupaten and kecamatan (with known populations) and settlements of an RBI folder."""
    kab = gpd.read_file(folder / "ADMINISTRASIKABUPATEN_AR_50K.shp")
    kec = gpd.read_file(folder / "ADMINISTRASIKECAMATAN_AR_50K.shp")
    settle = gpd.read_file(folder / "PEMUKIMAN_AR_50K.shp")
    src = SourceInfo(id="rbi-test", title="RBI 1:50,000 (test)", attribution="BIG")
    rows = []
    for i, (name, geom) in enumerate(
        zip(kab["NAMOBJ"], _polygonal(kab.geometry.values), strict=True)
    ):
        rows.append({"source_id": f"kab{i}", "level": "kabupaten", "name": name, "geom": geom.wkt})
    figures = {}
    for i, (name, geom) in enumerate(
        zip(kec["NAMOBJ"], _polygonal(kec.geometry.values), strict=True)
    ):
        figures[f"kec{i}"] = 20_000 + 1_000 * i
        rows.append(
            {
                "source_id": f"kec{i}",
                "level": "kecamatan",
                "name": name,
                "population": figures[f"kec{i}"],
                "geom": geom.wkt,
            }
        )
    for r in rows:
        r["geom"] = f"SRID=4326;{r['geom']}"
    upsert_rows(conn, "admin_areas", src, rows)
    s_rows = [
        {
            "source_id": str(i),
            "name": name,
            "kind": remark,
            "geom": f"SRID=4326;{geom.wkt}",
        }
        for i, (name, remark, geom) in enumerate(
            zip(
                settle["NAMOBJ"],
                settle["REMARK"],
                _polygonal(settle.geometry.values),
                strict=True,
            )
        )
    ]
    upsert_rows(conn, "settlements", src, s_rows)
    return figures


def _roads(folder: Path, resolution: int) -> RoadDensity:
    lines = gpd.read_file(folder / "JALAN_LN_50K.shp").geometry.values
    parts = shapely.get_parts(shapely.force_2d(lines))
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    offsets = np.searchsorted(idx, np.arange(len(parts) + 1)).astype(np.int64)
    return RoadDensity(coords, offsets, resolution=resolution)


def _hexes(cells) -> gpd.GeoDataFrame:
    polys = [shapely.Polygon([(x, y) for y, x in h3.cell_to_boundary(c)]) for c in cells]
    return gpd.GeoDataFrame({"cell": list(cells)}, geometry=polys, crs="EPSG:4326")


@pytest.fixture(scope="module")
def pringsewu() -> Path:
    return shared_file("lampung", "rbi", "pringsewu", "PEMUKIMAN_AR_50K.shp").parent


@pytest.fixture
def rbi(clean_engine: Engine, pringsewu: Path) -> tuple[Engine, dict[str, int]]:
    with clean_engine.begin() as conn:
        figures = _load_rbi(conn, pringsewu)
    return clean_engine, figures


def _oracle(engine: Engine, folder: Path, areas: AreaTable) -> dict[tuple[int, str], float]:
    """m² of settlement per (area id, cell) by geopandas overlay in LAEA."""
    kec = gpd.GeoDataFrame({"area_id": areas.ids}, geometry=areas.geoms, crs="EPSG:4326")
    settle = gpd.read_file(folder / "PEMUKIMAN_AR_50K.shp")
    settle = gpd.GeoDataFrame(geometry=_polygonal(settle.geometry.values), crs="EPSG:4326")
    x0, y0, x1, y1 = kec.total_bounds
    frame = shapely.box(x0 - 0.02, y0 - 0.02, x1 + 0.02, y1 + 0.02)
    hexes = _hexes(h3.geo_to_cells(frame, RES))
    a = gpd.overlay(settle.to_crs(LAEA), kec.to_crs(LAEA), how="intersection")
    b = gpd.overlay(a, hexes.to_crs(LAEA), how="intersection")
    b["m2"] = b.geometry.area
    per = b.groupby(["area_id", "cell"])["m2"].sum()
    return {(int(k[0]), str(k[1])): float(v) for k, v in per.items() if v > 0}


@pytest.mark.shared_data
def test_settlement_grid_matches_overlay_oracle(rbi, pringsewu: Path):
    engine, _figures = rbi
    with engine.connect() as conn:
        areas = population_areas(conn)
        layer = load_settlements(conn)
        n_db = conn.execute(text("SELECT count(*) FROM settlements")).scalar_one()
        sql_total = conn.execute(
            text("SELECT sum(population) FROM admin_areas WHERE level = 'kecamatan'")
        ).scalar_one()
    assert layer is not None and layer.rows == n_db == 833
    assert areas.level == "kecamatan" and len(areas) == 21
    pw = settlement_weights(areas, layer, resolution=RES)
    grid = build_grid(areas, resolution=RES, weight=_roads(pringsewu, RES), pairs=[pw])
    assert grid.method == "settlements"
    # per-area totals are the figures (and the grid holds exactly the SQL total)
    per_area = np.bincount(grid.area, weights=grid.population, minlength=len(areas))
    np.testing.assert_allclose(per_area, areas.population, rtol=1e-12)
    assert grid.total == pytest.approx(float(sql_total), rel=1e-12)
    # each cell's people against the overlay oracle
    m2 = _oracle(engine, pringsewu, areas)
    by_area: dict[int, float] = {}
    for (aid, _), v in m2.items():
        by_area[aid] = by_area.get(aid, 0.0) + v
    figure = dict(zip(areas.ids, areas.population, strict=True))
    expected = {k: figure[k[0]] * v / by_area[k[0]] for k, v in m2.items()}
    method = dict(zip(areas.ids, grid.area_method, strict=True))
    got: dict[tuple[int, str], float] = {}
    for a, c, p in zip(grid.area.tolist(), grid.cells, grid.population.tolist(), strict=True):
        if method[areas.ids[a]] == "settlements":
            got[(areas.ids[a], c)] = got.get((areas.ids[a], c), 0.0) + p
    assert {aid for aid, _ in expected} == {aid for aid, m in method.items() if m == "settlements"}
    keys = set(expected) | {k for k, v in got.items() if v > 0}
    worst = max(abs(got.get(k, 0.0) - expected.get(k, 0.0)) / figure[k[0]] for k in keys)
    print(f"\nworst cell difference vs the overlay oracle: {worst:.2e} of the figure")
    assert worst < REL_TOL, worst
    assert len(keys) > 500
    # areas with people but no settlement fell back to road length, and are listed
    fb = {f["id"]: f for f in grid.fallbacks}
    assert set(fb) == {aid for aid, m in method.items() if m != "settlements"}
    assert {f["name"] for f in fb.values()} >= {"CUKUHBALAK", "ULUBELU"}
    assert all(f["method"] in ("road_length", "uniform") for f in fb.values())
    assert any("no settlement inside" in a for a in grid.assumptions)
    # cells cut by a kecamatan boundary hold one row per area, each row's point in its area
    pts = shapely.points(np.column_stack([grid.lon, grid.lat]))
    geoms = [shapely.buffer(areas.geoms[a], 1e-9) for a in grid.area]
    bad = [
        (areas.names[a], grid.population[i])
        for i, (a, g, p) in enumerate(zip(grid.area, geoms, pts, strict=True))
        if not shapely.contains(g, p)
    ]
    assert not bad, bad
    _cells, counts = np.unique(np.asarray(grid.cells), return_counts=True)
    assert np.any(counts > 1)


def _cell_people(grid: PopulationGrid) -> dict[str, float]:
    out: dict[str, float] = {}
    for c, p in zip(grid.cells, grid.population.tolist(), strict=True):
        out[c] = out.get(c, 0.0) + p
    return out


@pytest.mark.shared_data
def test_people_leave_road_only_cells(rbi, pringsewu: Path):
    engine, _ = rbi
    with engine.connect() as conn:
        areas = population_areas(conn)
        layer = load_settlements(conn)
    assert layer is not None
    roads = _roads(pringsewu, RES)
    t0 = time.perf_counter()
    by_road = build_grid(areas, resolution=RES, weight=roads)
    t_road = time.perf_counter() - t0
    t0 = time.perf_counter()
    pw = settlement_weights(areas, layer, resolution=RES)
    dasy = build_grid(areas, resolution=RES, weight=roads, pairs=[pw])
    t_dasy = time.perf_counter() - t0
    assert by_road.method == "road_length" and dasy.method == "settlements"
    # road cells with no settlement at all, and those farther than 1 km from any
    settled = {i for i, m in enumerate(dasy.area_method) if m == "settlements"}
    union = shapely.union_all(gpd.GeoSeries(list(layer.geoms), crs="EPSG:4326").to_crs(LAEA).values)
    cells = sorted(
        {c for a, c in zip(by_road.area.tolist(), by_road.cells, strict=True) if a in settled}
        & {c for c, m in roads.length_m.items() if m > 0}
    )
    dist = _hexes(cells).to_crs(LAEA).distance(union).to_numpy()
    road_only = {c for c, d in zip(cells, dist, strict=True) if d > 0}
    far = {c for c, d in zip(cells, dist, strict=True) if d > 1000}
    road_p, dasy_p = _cell_people(by_road), _cell_people(dasy)

    def held(p: dict[str, float], where: set[str]) -> float:
        return sum(p.get(c, 0.0) for c in where)

    moved = 0.5 * sum(abs(road_p.get(c, 0.0) - dasy_p.get(c, 0.0)) for c in road_p | dasy_p)
    print(
        f"\nPringsewu RBI, H3 res {RES}: {by_road.total:,.0f} people in {len(areas)} kecamatan "
        f"({len(settled)} with settlements); road-length grid {t_road:.2f}s, settlement grid "
        f"{t_dasy:.2f}s. Road cells without settlement: {len(road_only)}, holding "
        f"{held(road_p, road_only):,.0f} people by road length, "
        f"{held(dasy_p, road_only):,.0f} by settlement area; of them >1 km from any "
        f"settlement: {len(far)} cells, {held(road_p, far):,.0f} vs {held(dasy_p, far):,.0f}. "
        f"People moved between cells: {moved:,.0f} ({100 * moved / by_road.total:.1f}%)"
    )
    assert len(road_only) > 100 and len(far) > 10
    assert held(road_p, road_only) > 0.05 * by_road.total
    assert held(road_p, far) > 0.01 * by_road.total
    assert held(dasy_p, road_only) == 0.0


def test_settlement_rows_follow_boundaries_and_overlaps_count_once(clean_engine: Engine):
    """Two kecamatan side by side, one settlement across their border, loaded twice."""
    x_mid, y0 = 105.0, -5.5
    west = shapely.box(x_mid - 0.05, y0, x_mid, y0 + 0.05)
    east = shapely.box(x_mid, y0, x_mid + 0.05, y0 + 0.05)
    village = shapely.box(x_mid - 0.003, y0 + 0.02, x_mid + 0.001, y0 + 0.022)  # 3/4 west
    src = SourceInfo(id="t", title="test")
    with clean_engine.begin() as conn:
        upsert_rows(
            conn,
            "admin_areas",
            src,
            [
                {
                    "source_id": k,
                    "level": "kecamatan",
                    "name": k,
                    "population": p,
                    "geom": f"SRID=4326;{shapely.MultiPolygon([g]).wkt}",
                }
                for k, p, g in (("west", 3_000, west), ("east", 1_000, east))
            ],
        )
        before = settlement_stamp(conn)
        upsert_rows(
            conn,
            "settlements",
            src,
            [{"source_id": "v", "geom": f"SRID=4326;{shapely.MultiPolygon([village]).wkt}"}],
        )
        assert settlement_stamp(conn) != before
    with clean_engine.connect() as conn:
        areas = population_areas(conn)
        once = settlement_weights(areas, load_settlements(conn), resolution=RES)
    with clean_engine.begin() as conn:  # the same village from a second dataset
        upsert_rows(
            conn,
            "settlements",
            SourceInfo(id="t2", title="copy"),
            [{"source_id": "v", "geom": f"SRID=4326;{shapely.MultiPolygon([village]).wkt}"}],
        )
    with clean_engine.connect() as conn:
        layer = load_settlements(conn)
        twice = settlement_weights(areas, layer, resolution=RES)
    assert layer is not None and layer.rows == 2 and layer.dissolved == 2
    np.testing.assert_allclose(np.sort(twice.weight), np.sort(once.weight), rtol=1e-9)
    # the village's m² split 3:1 between west and east (equal-area, hand ratio)
    per_area = np.bincount(once.area, weights=once.weight, minlength=2)
    assert per_area[0] / per_area[1] == pytest.approx(3.0, rel=1e-3)
    geod_m2 = abs(Geod(ellps="WGS84").geometry_area_perimeter(village)[0])
    assert per_area.sum() == pytest.approx(geod_m2, rel=1e-6)
    grid = build_grid(areas, resolution=RES, pairs=[once])
    assert grid.method == "settlements" and not grid.fallbacks
    per = np.bincount(grid.area, weights=grid.population)
    np.testing.assert_allclose(per, [3_000, 1_000])
    # only cells meeting the village hold people; a cell whose centre lies in the other
    # kecamatan still holds this one's people, on its own row
    people = grid.population > 0
    hexes = _hexes([grid.cells[i] for i in np.flatnonzero(people)])
    assert all(hexes.intersects(village))
    cut = 0
    for i in np.flatnonzero(people):
        y, x = h3.cell_to_latlng(grid.cells[i])
        own = areas.geoms[grid.area[i]]
        assert own.contains(shapely.Point(grid.lon[i], grid.lat[i]))
        cut += not own.contains(shapely.Point(x, y))
    assert cut >= 1
    assert len(set(grid.cells)) < len(grid.cells)


# -- population raster --------------------------------------------------------------
A_BOX = (105.000, -5.500, 105.020, -5.480)  # has a figure: the raster weights it
B_BOX = (105.020, -5.500, 105.040, -5.490)  # no figure: the raster's counts fill it
BBOX = (105.000, -5.500, 105.040, -5.480)  # the window read (whole pixels here)
NODATA = -99999.0


def _two_areas(figure_a: float = 5_000.0) -> AreaTable:
    return AreaTable(
        level="kecamatan",
        ids=[1, 2],
        codes=[None, None],
        names=["A", "B"],
        population=np.array([figure_a, np.nan]),
        geoms=[shapely.box(*A_BOX), shapely.box(*B_BOX)],
        demo=[False, False],
    )


def _write_tif(path: Path, values: np.ndarray, *, crs, transform, nodata=NODATA) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=values.shape[0],
        width=values.shape[1],
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(values.astype(np.float32), 1)
    return path


def _which(x: float, y: float) -> int:
    for i, (x0, y0, x1, y1) in enumerate((A_BOX, B_BOX)):
        if x0 < x < x1 and y0 < y < y1:
            return i
    return -1


def _hand(centres: list[tuple[float, float, float]]) -> tuple[dict, float]:
    """People per (area index, cell) from (lon, lat, count) pixel centres, and the people
    inside the areas' bounding box but outside both areas."""
    out: dict[tuple[int, str], float] = {}
    outside = 0.0
    for x, y, v in centres:
        a = _which(x, y)
        if a < 0:
            if BBOX[0] < x < BBOX[2] and BBOX[1] < y < BBOX[3]:
                outside += v
            continue
        key = (a, h3.latlng_to_cell(y, x, RES))
        out[key] = out.get(key, 0.0) + v
    return out, outside


def _pairs(pw) -> dict[tuple[int, str], float]:
    return {(int(a), c): float(w) for a, c, w in zip(pw.area, pw.cells, pw.weight, strict=True)}


def _counts(shape: tuple[int, int], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = np.zeros(shape)
    idx = rng.choice(values.size, 60, replace=False)
    values.flat[idx] = rng.integers(1, 100, 60)
    return values


@pytest.mark.parametrize("strip", [None, 150], ids=["one strip", "strips of 3 rows"])
def test_raster_counts_per_cell_equal_a_hand_computation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strip: int | None
):
    if strip is not None:
        monkeypatch.setattr(population_raster, "STRIP_SUBPIXELS", strip)
    px = 0.001  # ~110 m: smaller than a third of the res 8 edge, so no split
    x0, y0 = 104.995, -5.475
    values = _counts((30, 50), seed=4)
    values[5, 10] = NODATA  # inside A: no data, not people
    values[6, 10] = np.nan  # inside A: no data either
    values[12, 2] = 7.0  # west of A: outside every area and the window
    values[7, 40] = 11.0  # north of B, inside the window: outside every area
    path = _write_tif(
        tmp_path / "worldpop.tif", values, crs="EPSG:4326", transform=from_origin(x0, y0, px, px)
    )
    centres = [
        (x0 + (c + 0.5) * px, y0 - (r + 0.5) * px, float(values[r, c]))
        for r, c in zip(*np.nonzero(np.isfinite(values) & (values > 0)), strict=True)
    ]
    expected, outside = _hand(centres)
    areas = _two_areas()
    pw = raster_weights(path, areas, resolution=RES)
    assert pw.method == "raster" and pw.counts
    got = _pairs(pw)
    assert got.keys() == expected.keys()
    for k, v in expected.items():
        assert got[k] == pytest.approx(v, rel=1e-6)
    assert pw.data["nodata_pixels"] == 2
    assert pw.data["people_in_window_outside_areas"] == pytest.approx(outside)
    assert outside >= 11
    assert pw.data["crs"] == "EPSG:4326" and pw.data["pixel_to_cell"] == "pixel centre"
    # the grid: A keeps its figure (raster as weights), B takes the raster's counts
    grid = build_grid(areas, resolution=RES, pairs=[pw])
    assert grid.method == "raster"
    per = np.bincount(grid.area, weights=grid.population, minlength=2)
    a_raster = sum(v for (a, _), v in expected.items() if a == 0)
    b_raster = sum(v for (a, _), v in expected.items() if a == 1)
    assert per[0] == pytest.approx(5_000) and per[1] == pytest.approx(b_raster)
    for a, c, p in zip(grid.area.tolist(), grid.cells, grid.population.tolist(), strict=True):
        v = expected.get((a, c), 0.0)
        assert p == pytest.approx(5_000 * v / a_raster if a == 0 else v, abs=1e-9)
    assert any("raster's own counts" in n for n in grid.assumptions)


def test_raster_in_another_crs_is_read_by_pixel_centres(tmp_path: Path):
    utm = "EPSG:32748"  # UTM 48S, metres
    to_utm = Transformer.from_crs("EPSG:4326", utm, always_xy=True)
    to_ll = Transformer.from_crs(utm, "EPSG:4326", always_xy=True)
    ox, oy = (round(v, -2) for v in to_utm.transform(104.995, -5.475))
    px = 100.0
    values = _counts((32, 52), seed=9)
    nx, ny = to_utm.transform(105.01, -5.49)  # inside A
    values[int((oy - ny) // px), int((nx - ox) // px)] = NODATA
    path = _write_tif(
        tmp_path / "hrsl_utm.tif", values, crs=utm, transform=from_origin(ox, oy, px, px)
    )
    rr, cc = np.nonzero((values != NODATA) & (values > 0))
    xs, ys = to_ll.transform(ox + (cc + 0.5) * px, oy - (rr + 0.5) * px)
    centres = list(zip(xs.tolist(), ys.tolist(), values[rr, cc].tolist(), strict=True))
    expected, _ = _hand(centres)
    pw = raster_weights(path, _two_areas(), resolution=RES)
    got = _pairs(pw)
    assert pw.data["crs"] == utm and pw.data["nodata_pixels"] == 1
    assert got.keys() == expected.keys() and len(got) > 10
    for k, v in expected.items():
        assert got[k] == pytest.approx(v, rel=1e-6)
    assert pw.data["people_in_areas"] == pytest.approx(sum(expected.values()))


def test_coarse_raster_pixels_are_split_so_no_cell_is_skipped(tmp_path: Path):
    px = 0.01  # ~1.1 km pixels, larger than a res 8 cell
    values = np.full((4, 6), 100.0)  # 104.99..105.05 x -5.47..-5.51
    path = _write_tif(
        tmp_path / "coarse.tif",
        values,
        crs="EPSG:4326",
        transform=from_origin(104.99, -5.47, px, px),
    )
    areas = _two_areas()
    pw = raster_weights(path, areas, resolution=RES)
    assert pw.data["pixel_to_cell"] == "centres of 7x7 sub-pixels"
    # A is exactly 2 x 2 pixels, B 2 x 1: 400 and 200 people
    per = np.bincount(pw.area, weights=pw.weight, minlength=2)
    np.testing.assert_allclose(per, [400.0, 200.0])
    grid = build_grid(areas, resolution=RES, pairs=[pw])
    whole = grid.population[_centre_rows(grid)]
    assert whole.size >= 5 and np.all(whole > 0)  # 4 + 2 pixel centres alone would skip some
    assert any("7x7 sub-pixels" in n for n in grid.assumptions)


def _centre_rows(grid: PopulationGrid) -> np.ndarray:
    """Rows whose cell centre lies inside their own area."""
    out = []
    for a, c in zip(grid.area.tolist(), grid.cells, strict=True):
        y, x = h3.cell_to_latlng(c)
        out.append(grid.areas.geoms[a].contains(shapely.Point(x, y)))
    return np.asarray(out)


def test_raster_outside_the_areas_falls_back(tmp_path: Path):
    path = _write_tif(
        tmp_path / "elsewhere.tif",
        np.ones((10, 10)),
        crs="EPSG:4326",
        transform=from_origin(110.0, -7.0, 0.001, 0.001),
    )
    areas = _two_areas()
    pw = raster_weights(path, areas, resolution=RES)
    assert len(pw) == 0 and any("does not cover" in n for n in pw.notes)
    grid = build_grid(areas, resolution=RES, pairs=[pw])
    assert grid.method == "uniform" and grid.total == pytest.approx(5_000)
    assert grid.fallbacks == [] and any("does not cover" in n for n in grid.assumptions)


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_bad_rasters_are_refused_clearly(tmp_path: Path):
    areas = _two_areas()
    no_crs = tmp_path / "no_crs.tif"
    with rasterio.open(
        no_crs, "w", driver="GTiff", height=2, width=2, count=1, dtype="float32"
    ) as dst:
        dst.write(np.ones((2, 2), dtype=np.float32), 1)
    negative = _write_tif(
        tmp_path / "negative.tif",
        -np.ones((40, 60)),
        crs="EPSG:4326",
        transform=from_origin(104.99, -5.47, 0.001, 0.001),
    )
    text_file = tmp_path / "notes.tif"
    text_file.write_text("not a raster")
    cases = [
        (no_crs, "no coordinate reference system"),
        (negative, "negative counts"),
        (text_file, "cannot be read as a raster"),
        (tmp_path / "missing.tif", "does not exist"),
    ]
    for path, words in cases:
        with pytest.raises(PopulationRasterError) as err:
            raster_weights(path, areas, resolution=RES)
        assert words in err.value.reason and path.name in err.value.reason
        assert err.value.field == "population_raster"
        assert str(tmp_path) not in err.value.reason  # no server path in the message


def test_assumed_total_uses_a_weighting_present_in_every_area():
    """DKI-style: no figures, one stated total. Settlements loaded for only one of the two
    areas must not pile the whole total there."""
    west, east = shapely.box(*A_BOX), shapely.box(*B_BOX)
    areas = AreaTable(
        level="desa",
        ids=[1, 2],
        codes=[None, None],
        names=["west", "east"],
        population=np.array([np.nan, np.nan]),
        geoms=[west, east],
        demo=[False, False],
    )
    v_west = shapely.box(105.005, -5.495, 105.008, -5.492)
    v_east = shapely.box(105.025, -5.497, 105.031, -5.493)

    def grid_with(villages: list) -> PopulationGrid:
        layer = SettlementLayer(
            geoms=np.asarray(villages, dtype=object),
            rows=len(villages),
            sources=["t"],
            dissolved=0,
            demo=False,
        )
        pw = settlement_weights(areas, layer, resolution=RES)
        return build_grid(areas, resolution=RES, pairs=[pw], assumed_total=10_000)

    partial = grid_with([v_west])
    per = np.bincount(partial.area, weights=partial.population, minlength=2)
    assert per.sum() == pytest.approx(10_000) and np.all(per > 0)
    assert partial.method == "uniform" and "spread by uniform" in partial.assumptions[0]
    full = grid_with([v_west, v_east])
    per = np.bincount(full.area, weights=full.population, minlength=2)
    geod = Geod(ellps="WGS84")
    m2 = [abs(geod.geometry_area_perimeter(v)[0]) for v in (v_west, v_east)]
    assert full.method == "settlements"
    np.testing.assert_allclose(per, 10_000 * np.array(m2) / sum(m2), rtol=1e-6)
