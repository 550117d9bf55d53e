"""People per ``(area, H3 cell)`` pair from a population raster (WorldPop, HRSL GeoTIFF).

Rules:

* **Pixel to cell.** A pixel counts in the H3 cell that holds its centre. At the usual
  resolution 8 (cells of ~0.74 km², edge ~530 m) a 100 m WorldPop pixel is 1/74 of a
  cell: the few pixels straddling a cell edge go whole to one side or the other with
  equal chance, so the error is unbiased and small against the cell's total. A pixel
  larger than a third of the cell edge (1 km WorldPop, or res 9-10 cells) is first
  split into ``k x k`` equal sub-pixels (each carrying ``1/k²`` of the count), so that
  no cell is skipped between two pixel centres; ``k`` is at most 16.
* **Pixel to area.** The same centre rule: the area containing the (sub-)pixel's centre,
  by rasterising the areas on the (sub-)pixel grid (GDAL, centre-inside rule). Pixels
  outside every area are left out (those in the window read are reported).
* **Another CRS.** Pixels are never resampled: pixel centres are transformed to lon/lat
  (pyproj) and areas to the raster's CRS for the area test, so every count stays
  whole. A raster without a CRS is refused.
* **Nodata.** The declared nodata value, NaN and masked pixels count as no data (not as
  zero people). Negative counts are refused.
* Only the window covering the areas is read, in strips of rows, so a national raster
  (even HRSL at 30 m) is fine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h3
import h3.api.basic_int as h3i
import numpy as np
import rasterio
import shapely
from affine import Affine
from pyproj import CRS, Transformer
from rasterio.errors import RasterioError
from rasterio.features import rasterize
from rasterio.windows import Window, from_bounds

from layers.errors import LayersError
from layers.population_weights import PairWeights

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from layers.population import AreaTable

__all__ = ["MAX_SPLIT", "PopulationRasterError", "raster_identity", "raster_weights"]

MAX_SPLIT = 16
STRIP_SUBPIXELS = 4_000_000
"""(Sub-)pixels read and rasterised at once: a national 30 m HRSL file stays in memory."""
_M_PER_DEG = 111_320.0
WGS84 = CRS.from_epsg(4326)


class PopulationRasterError(LayersError):
    """The population raster cannot be used (missing, unreadable, no CRS, bad values)."""

    def __init__(self, reason: str, *, field: str | None = "population_raster") -> None:
        super().__init__(reason, field=field)


def raster_identity(path: Path) -> tuple[str, int, int]:
    """``(resolved path, mtime ns, size)`` of the raster: part of a cache key."""
    try:
        st = path.stat()
    except OSError:
        msg = f"population raster {path.name!r} does not exist or cannot be read"
        raise PopulationRasterError(msg) from None
    return str(path.resolve()), st.st_mtime_ns, st.st_size


def _pixel_m(ds: Any, lat: float) -> float:
    """The larger side of a pixel in metres (approximate)."""
    sx, sy = abs(ds.transform.a), abs(ds.transform.e)
    if ds.crs.is_geographic:
        return max(sx * _M_PER_DEG * math.cos(math.radians(lat)), sy * _M_PER_DEG)
    factor = ds.crs.linear_units_factor[1] if ds.crs.linear_units_factor else 1.0
    return float(max(sx, sy) * factor)


def _to(crs_from: Any, crs_to: Any) -> Transformer:
    return Transformer.from_crs(crs_from, crs_to, always_xy=True)


def _empty(description: str, data: dict[str, Any], notes: list[str]) -> PairWeights:
    z = np.zeros(0, dtype=np.float64)
    return PairWeights(
        method="raster",
        description=description,
        area=np.zeros(0, dtype=np.int64),
        cells=[],
        weight=z,
        lon=z,
        lat=z,
        counts=True,
        data=data,
        notes=notes,
    )


def raster_weights(path: Path, areas: AreaTable, *, resolution: int) -> PairWeights:
    """People per ``(area, cell)`` pair from a single-band population raster.

    Parameters
    ----------
    path : Path
        A GeoTIFF (or any GDAL raster) of people per pixel, band 1.
    areas : AreaTable
        The source areas (lon/lat).
    resolution : int
        H3 resolution of the cells.

    Returns
    -------
    PairWeights
        Method ``raster``, weights in people (``counts=True``).

    Raises
    ------
    PopulationRasterError
        If the file is missing or unreadable, has no CRS, or holds negative counts.
    """
    name = path.name
    if not path.is_file():
        msg = f"population raster {name!r} does not exist"
        raise PopulationRasterError(msg)
    try:
        ds = rasterio.open(path)
    except (RasterioError, OSError) as exc:
        line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        line = line.replace(str(path), name)  # no server path in the message
        msg = f"population raster {name!r} cannot be read as a raster: {line}"
        raise PopulationRasterError(msg) from None
    with ds:
        if ds.crs is None:
            msg = (
                f"population raster {name!r} has no coordinate reference system; set one "
                "(e.g. `gdal_edit.py -a_srs EPSG:4326 file.tif`)"
            )
            raise PopulationRasterError(msg)
        crs = CRS.from_user_input(ds.crs.to_wkt())
        same = crs.equals(WGS84, ignore_axis_order=True)
        x0, y0, x1, y1 = shapely.total_bounds(np.asarray(areas.geoms, dtype=object))
        lat_mid = (y0 + y1) / 2
        edge_m = h3.average_hexagon_edge_length(resolution, unit="m")
        px_m = _pixel_m(ds, lat_mid)
        k = min(MAX_SPLIT, max(1, math.ceil(px_m / (edge_m / 3))))
        data: dict[str, Any] = {
            "file": name,
            "crs": crs.to_string(),
            "pixel_size": [abs(ds.transform.a), abs(ds.transform.e)],
            "pixel_m": round(px_m, 1),
            "width": ds.width,
            "height": ds.height,
            "bands": ds.count,
            "nodata": None if ds.nodata is None else float(ds.nodata),
            "pixel_to_cell": "pixel centre" if k == 1 else f"centres of {k}x{k} sub-pixels",
        }
        description = (
            f"people per pixel of the raster {name} ({crs.to_string()}, ~{px_m:.0f} m pixels), "
            "summed per cell by pixel centre"
        )
        notes: list[str] = []
        if ds.count > 1:
            notes.append(f"raster {name} has {ds.count} bands; band 1 is used")
        if k > 1:
            notes.append(
                f"raster {name}: pixels of ~{px_m:.0f} m are split into {k}x{k} sub-pixels "
                f"(each 1/{k * k} of the count) before counting in H3 res {resolution} cells"
            )
        to_raster = None if same else _to(WGS84, crs)
        if to_raster is None:
            wb = (x0, y0, x1, y1)
        else:
            wb = to_raster.transform_bounds(x0, y0, x1, y1, densify_pts=21)
        win = _window(wb, ds)
        if win is None:
            notes.append(f"raster {name} does not cover the areas")
            return _empty(description, data, notes)
        geoms = np.asarray(areas.geoms, dtype=object)
        if to_raster is not None:
            geoms = _project(geoms, to_raster)
        shapes = [(g, i) for i, g in enumerate(geoms) if not g.is_empty]
        if not shapes:
            return _empty(description, data, notes)
        to_wgs84 = None if to_raster is None else _to(crs, WGS84)
        step = max(1, STRIP_SUBPIXELS // (int(win.width) * k * k))
        strips = [
            _strip(
                ds,
                Window(win.col_off, win.row_off + r, win.width, min(step, win.height - r)),
                k=k,
                shapes=shapes,
                to_wgs84=to_wgs84,
                resolution=resolution,
                name=name,
            )
            for r in range(0, int(win.height), step)
        ]
    data["nodata_pixels"] = sum(st.nodata for st in strips)
    data["people_in_window"] = round(sum(st.in_window for st in strips), 1)
    area = np.concatenate([st.area for st in strips])
    cell_id = np.concatenate([st.cell for st in strips])
    sv = np.concatenate([st.people for st in strips])
    xs = np.concatenate([st.lon for st in strips])
    ys = np.concatenate([st.lat for st in strips])
    data["people_in_areas"] = round(float(sv.sum()), 1)
    data["people_in_window_outside_areas"] = round(
        data["people_in_window"] - data["people_in_areas"], 1
    )
    # group per (area, cell); the pair's point is its most populated (sub-)pixel
    order = np.lexsort((-sv, cell_id, area))
    area, cell_id, sv = area[order], cell_id[order], sv[order]
    xs, ys = xs[order], ys[order]
    first = np.ones(area.size, dtype=bool)
    first[1:] = (area[1:] != area[:-1]) | (cell_id[1:] != cell_id[:-1])
    group = np.cumsum(first) - 1
    if sv.size == 0:
        notes.append(f"raster {name} holds no people inside the areas")
        return _empty(description, data, notes)
    weight = np.bincount(group, weights=sv)
    return PairWeights(
        method="raster",
        description=description,
        area=area[first],
        cells=[h3.int_to_str(int(c)) for c in cell_id[first].tolist()],
        weight=np.asarray(weight, dtype=np.float64),
        lon=xs[first],
        lat=ys[first],
        counts=True,
        data=data,
        notes=notes,
    )


@dataclass
class _Strip:
    """The populated (sub-)pixels of one strip of rows inside an area."""

    area: NDArray[np.int64]
    cell: NDArray[np.uint64]
    people: NDArray[np.float64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    nodata: int
    in_window: float


def _strip(
    ds: Any,
    win: Window,
    *,
    k: int,
    shapes: list[tuple[Any, int]],
    to_wgs84: Transformer | None,
    resolution: int,
    name: str,
) -> _Strip:
    """Read one strip of rows and give its people per (sub-)pixel centre, area and cell."""
    band = ds.read(1, window=win, masked=True)
    values = np.ma.filled(band.astype(np.float64), np.nan)
    nodata = ~np.isfinite(values)
    if np.any(values[~nodata] < 0):
        low = float(values[~nodata].min())
        msg = f"population raster {name!r} holds negative counts (lowest {low:g}); fix the file"
        raise PopulationRasterError(msg)
    rows, cols = np.nonzero(~nodata & (values > 0))
    in_window = float(values[rows, cols].sum())
    count = values[rows, cols] / (k * k)
    # area of each (sub-)pixel centre: rasterise the areas on the sub-pixel grid
    sub = ds.window_transform(win) @ Affine.scale(1 / k, 1 / k)
    label = rasterize(
        shapes,
        out_shape=(band.shape[0] * k, band.shape[1] * k),
        transform=sub,
        fill=-1,
        dtype="int32",
        all_touched=False,
    )
    dr, dc = np.divmod(np.arange(k * k), k)
    sr = (rows[:, None] * k + dr[None, :]).ravel()
    sc = (cols[:, None] * k + dc[None, :]).ravel()
    sv = np.repeat(count, k * k)
    area = label[sr, sc].astype(np.int64)
    inside = area >= 0
    sr, sc, sv, area = sr[inside], sc[inside], sv[inside], area[inside]
    u, v = sc + 0.5, sr + 0.5
    xs = np.asarray(sub.c + sub.a * u + sub.b * v, dtype=np.float64)
    ys = np.asarray(sub.f + sub.d * u + sub.e * v, dtype=np.float64)
    if to_wgs84 is not None:
        lon, lat = to_wgs84.transform(xs, ys)
        xs, ys = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    f = h3i.latlng_to_cell
    cell = np.fromiter(
        (f(y, x, resolution) for x, y in zip(xs.tolist(), ys.tolist(), strict=True)),
        dtype=np.uint64,
        count=xs.size,
    )
    return _Strip(area, cell, sv, xs, ys, int(nodata.sum()), in_window)


def _window(bounds: tuple[float, float, float, float], ds: Any) -> Window | None:
    """The whole-pixel window of the raster covering ``bounds`` (raster CRS), or None."""
    w = from_bounds(*bounds, transform=ds.transform)
    c0 = max(0, math.floor(w.col_off))
    r0 = max(0, math.floor(w.row_off))
    c1 = min(ds.width, math.ceil(w.col_off + w.width))
    r1 = min(ds.height, math.ceil(w.row_off + w.height))
    if c1 <= c0 or r1 <= r0:
        return None
    return Window(c0, r0, c1 - c0, r1 - r0)


def _project(geoms: NDArray[Any], transformer: Transformer) -> NDArray[Any]:
    def project(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return np.asarray(shapely.transform(geoms, project), dtype=object)
