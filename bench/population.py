"""Benchmark of the population grid per method on real RBI data (run by hand, not in tests).

Usage::

    .venv/bin/python bench/population.py [--kabupaten pringsewu] [--resolution 8]

* **One kabupaten** (an RBI folder: kecamatan, PEMUKIMAN_AR, JALAN_LN): every kecamatan
  gets a made-up figure (20,000 + 1,000 i); the grid is built by road length (the old
  model), by settlement area (exact intersection) and by a WorldPop-like raster derived
  from the settlements (3 arc-second pixels, people where the pixel centre is settled).
  Reported: build time, people on road cells holding no settlement and on those farther
  than 1 km from any (in the kecamatan that have settlements), and the people moved
  between cells against road length.
* **Province scale**: the 265 kecamatan of ``kecamatan_rbi50k.gpkg`` with the
  settlements of all four RBI folders (the rest fall back to uniform here: no roads are
  given), and a synthetic 3 arc-second raster over the whole province (every land pixel
  populated: the worst case for the pixel loop).

Writes ``bench/results/population.json``. Needs ``../shared/data``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import geopandas as gpd  # noqa: E402
import rasterio  # noqa: E402
import shapely  # noqa: E402
from rasterio.features import rasterize  # noqa: E402
from rasterio.transform import from_origin  # noqa: E402

from layers.population import AreaTable, PopulationGrid, RoadDensity, build_grid  # noqa: E402
from layers.population_raster import raster_weights  # noqa: E402
from layers.population_settlements import (  # noqa: E402
    SettlementLayer,
    _dissolve_overlaps,
    _polygons,
    settlement_weights,
)

SHARED = REPO.parent / "shared" / "data" / "lampung"
LAEA = "+proj=laea +lat_0=-5.3 +lon_0=104.9 +datum=WGS84 +units=m +no_defs"
ARCSEC3 = 1 / 1200


def _polygonal(geoms: Any) -> list[Any]:
    out = []
    for g in shapely.make_valid(shapely.force_2d(np.asarray(geoms, dtype=object))):
        parts = [
            q
            for p in shapely.get_parts(g)
            for q in shapely.get_parts(p)
            if q.geom_type == "Polygon" and q.area > 0
        ]
        out.append(shapely.MultiPolygon(parts))
    return out


def _areas(gdf: gpd.GeoDataFrame, names: str) -> AreaTable:
    n = len(gdf)
    return AreaTable(
        level="kecamatan",
        ids=list(range(1, n + 1)),
        codes=[None] * n,
        names=[str(x) for x in gdf[names]],
        population=20_000.0 + 1_000.0 * np.arange(n),
        geoms=_polygonal(gdf.geometry.values),
        demo=[False] * n,
    )


def _settlements(folders: list[Path]) -> SettlementLayer:
    geoms = np.concatenate(
        [
            np.asarray(_polygonal(gpd.read_file(f / "PEMUKIMAN_AR_50K.shp").geometry.values))
            for f in folders
        ]
    )
    parts, n = _dissolve_overlaps(_polygons(geoms))
    return SettlementLayer(geoms=parts, rows=len(geoms), sources=["rbi"], dissolved=n, demo=False)


def _roads(folder: Path, resolution: int) -> RoadDensity:
    lines = gpd.read_file(folder / "JALAN_LN_50K.shp").geometry.values
    parts = shapely.get_parts(shapely.force_2d(lines))
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    offsets = np.searchsorted(idx, np.arange(len(parts) + 1)).astype(np.int64)
    return RoadDensity(coords, offsets, resolution=resolution)


def _raster(path: Path, geoms: Any, bounds: Any, *, value: float = 1.0) -> Path:
    """A 3 arc-second GeoTIFF: ``value`` people in each pixel whose centre is in ``geoms``."""
    x0, y0, x1, y1 = bounds
    w, h = int((x1 - x0) / ARCSEC3) + 1, int((y1 - y0) / ARCSEC3) + 1
    transform = from_origin(x0, y1, ARCSEC3, ARCSEC3)
    burn = rasterize(
        [(g, 1) for g in geoms], out_shape=(h, w), transform=transform, fill=0, dtype="uint8"
    )
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=w,
        height=h,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=transform,
        nodata=-99999.0,
        compress="deflate",
    ) as dst:
        dst.write((burn * value).astype(np.float32), 1)
    return path


def _timed(fn: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _cell_people(grid: PopulationGrid) -> dict[str, float]:
    out: dict[str, float] = {}
    for c, p in zip(grid.cells, grid.population.tolist(), strict=True):
        out[c] = out.get(c, 0.0) + p
    return out


def _hexes(cells: list[str]) -> gpd.GeoSeries:
    import h3

    polys = [shapely.Polygon([(x, y) for y, x in h3.cell_to_boundary(c)]) for c in cells]
    return gpd.GeoSeries(polys, crs="EPSG:4326")


def one_kabupaten(name: str, resolution: int, tmp: Path) -> dict[str, Any]:
    """Per-method figures and times on one RBI folder."""
    folder = SHARED / "rbi" / name
    areas = _areas(gpd.read_file(folder / "ADMINISTRASIKECAMATAN_AR_50K.shp"), "NAMOBJ")
    layer = _settlements([folder])
    roads = _roads(folder, resolution)
    tif = _raster(tmp / f"{name}.tif", layer.geoms, shapely.total_bounds(areas.geoms))
    grids: dict[str, PopulationGrid] = {}
    times: dict[str, float] = {}
    grids["road_length"], times["road_length"] = _timed(
        lambda: build_grid(areas, resolution=resolution, weight=roads)
    )
    grids["settlements"], times["settlements"] = _timed(
        lambda: build_grid(
            areas,
            resolution=resolution,
            weight=roads,
            pairs=[settlement_weights(areas, layer, resolution=resolution)],
        )
    )
    grids["raster"], times["raster"] = _timed(
        lambda: build_grid(
            areas,
            resolution=resolution,
            weight=roads,
            pairs=[raster_weights(tif, areas, resolution=resolution)],
        )
    )
    # road cells of the kecamatan that have settlements (the others fall back anyway)
    settled = {i for i, m in enumerate(grids["settlements"].area_method) if m == "settlements"}
    base_grid = grids["road_length"]
    in_settled = {
        c for a, c in zip(base_grid.area.tolist(), base_grid.cells, strict=True) if a in settled
    }
    road_cells = sorted(c for c, m in roads.length_m.items() if m > 0 and c in in_settled)
    union = shapely.union_all(gpd.GeoSeries(list(layer.geoms), crs="EPSG:4326").to_crs(LAEA))
    dist = _hexes(road_cells).to_crs(LAEA).distance(union).to_numpy()
    road_only = {c for c, d in zip(road_cells, dist, strict=True) if d > 0}
    far = {c for c, d in zip(road_cells, dist, strict=True) if d > 1000}
    base = _cell_people(grids["road_length"])
    out: dict[str, Any] = {
        "kabupaten": name,
        "kecamatan": len(areas),
        "people": round(grids["road_length"].total),
        "settlements": layer.rows,
        "kecamatan_with_settlements": len(settled),
        "road_cells_in_them": len(road_cells),
        "road_cells_without_settlement": len(road_only),
        "road_cells_over_1km_from_settlement": len(far),
        "methods": {},
    }
    for method, grid in grids.items():
        people = _cell_people(grid)
        moved = 0.5 * sum(abs(people.get(c, 0.0) - base.get(c, 0.0)) for c in people | base)
        out["methods"][method] = {
            "method": grid.method,
            "build_s": round(times[method], 3),
            "rows": len(grid),
            "fallback_areas": len(grid.fallbacks),
            "people_on_road_cells_without_settlement": round(
                sum(people.get(c, 0.0) for c in road_only)
            ),
            "people_on_road_cells_over_1km": round(sum(people.get(c, 0.0) for c in far)),
            "people_moved_vs_road_length": round(moved),
        }
    return out


def province(resolution: int, tmp: Path) -> dict[str, Any]:
    """Settlements of the four RBI folders and a full-province raster, 265 kecamatan."""
    areas = _areas(gpd.read_file(SHARED / "kecamatan_rbi50k.gpkg"), "NAMOBJ")
    folders = [SHARED / "rbi" / k for k in ("metro", "pringsewu", "pesawaran", "mesuji")]
    layer, t_load = _timed(lambda: _settlements(folders))
    _, t_settle = _timed(
        lambda: build_grid(
            areas,
            resolution=resolution,
            pairs=[settlement_weights(areas, layer, resolution=resolution)],
        )
    )
    tif = _raster(tmp / "lampung.tif", areas.geoms, shapely.total_bounds(areas.geoms), value=3.0)
    with rasterio.open(tif) as ds:
        pixels = ds.width * ds.height
    pw, t_raster_w = _timed(lambda: raster_weights(tif, areas, resolution=resolution))
    _, t_raster = _timed(lambda: build_grid(areas, resolution=resolution, pairs=[pw]))
    _, t_uniform = _timed(lambda: build_grid(areas, resolution=resolution))
    return {
        "kecamatan": len(areas),
        "settlements": layer.rows,
        "settlements_dissolve_s": round(t_load, 2),
        "settlements_grid_s": round(t_settle, 2),
        "raster_pixels": pixels,
        "raster_populated_pixels_in_areas": round(pw.data["people_in_areas"] / 3.0),
        "raster_weights_s": round(t_raster_w, 2),
        "raster_grid_s": round(t_raster_w + t_raster, 2),
        "uniform_grid_s": round(t_uniform, 2),
    }


def main() -> None:
    """Run both parts and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kabupaten", default="pringsewu")
    parser.add_argument("--resolution", type=int, default=8)
    parser.add_argument("--skip-province", action="store_true")
    args = parser.parse_args()
    if not SHARED.exists():
        sys.exit(f"needs {SHARED}")
    with tempfile.TemporaryDirectory() as d:
        result: dict[str, Any] = {
            "one_kabupaten": one_kabupaten(args.kabupaten, args.resolution, Path(d))
        }
        if not args.skip_province:
            result["province"] = province(args.resolution, Path(d))
    print(json.dumps(result, indent=2))
    out = REPO / "bench" / "results" / "population.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
