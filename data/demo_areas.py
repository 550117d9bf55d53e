"""DEMO admin areas: real kabupaten/kecamatan outlines, generated Lampung Tengah kecamatan.

* Kabupaten/kota and kecamatan outlines are the simplified RBI outlines of
  :mod:`data.boundaries` (real geography, committed as one small derived file).
* The source lacks Lampung Tengah's kecamatan: they are **generated** as Voronoi cells of
  the approximate centres in :data:`data.facts.LAMPUNG_TENGAH_KECAMATAN`, clipped to the
  real kabupaten outline, and named ``"<name> (generated)"``.
* Kecamatan population is an **estimate**: the kabupaten's BPS total spread over its
  kecamatan by land area (largest-remainder rounding, so the sums are exact).

Codes of kecamatan are ``"<kabupaten BPS code>-<nn>"`` (alphabetical within the
kabupaten); they are *not* Kemendagri codes, which the source does not carry.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from data import boundaries, facts

GENERATED_SUFFIX = " (generated)"
POPULATION_ESTIMATE_SOURCE = (
    f"ESTIMATE: {facts.POPULATION_SOURCE} kabupaten total ({facts.POPULATION_YEAR}) "
    "spread over its kecamatan by land area"
)
_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True, slots=True)
class DemoKecamatan:
    """One kecamatan of the demo (EPSG:4326)."""

    code: str
    name: str
    kabupaten_code: str
    centre: tuple[float, float]
    centre_source: str
    generated: bool
    source_name: str | None
    area_km2: float
    population: int
    geometry: MultiPolygon


def _multi(geom: BaseGeometry) -> MultiPolygon:
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and not p.is_empty]
    return MultiPolygon(parts)


def area_km2(geom: BaseGeometry) -> float:
    """Geodesic area of a lon/lat polygon in km²."""
    return abs(_GEOD.geometry_area_perimeter(geom)[0]) / 1e6


def apportion(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to ``weights`` that sum to ``total`` (largest remainder)."""
    w = np.asarray(weights, dtype=np.float64)
    exact = total * w / w.sum()
    out = np.floor(exact).astype(np.int64)
    rest = total - int(out.sum())
    order = np.lexsort((np.arange(len(w)), -(exact - out)))
    out[order[:rest]] += 1
    return [int(v) for v in out]


def _lampung_tengah(outline: MultiPolygon) -> list[tuple[str, Point, MultiPolygon]]:
    """Voronoi cells of the approximate centres, clipped to the real outline."""
    seeds = []
    for item in facts.LAMPUNG_TENGAH_KECAMATAN.split(","):
        name, lon, lat = item.strip().rsplit(" ", 2)
        seeds.append((name, Point(float(lon), float(lat))))
    # Degrees, not metres: at 5 degrees south the cells differ by < 0.5 %, and clipping
    # in lon/lat keeps the outline's own vertices, so the borders stay bit-identical.
    cells = shapely.voronoi_polygons(
        MultiPoint([p for _, p in seeds]), extend_to=outline.envelope.buffer(0.5), ordered=True
    )
    out = []
    for (name, seed), cell in zip(seeds, cells.geoms, strict=True):
        part = _multi(shapely.intersection(cell, outline))
        if not part.contains(seed):
            msg = f"demo kecamatan: the centre of {name} is outside Lampung Tengah's outline"
            raise RuntimeError(msg)
        out.append((name, seed, part))
    return out


@functools.lru_cache(maxsize=1)
def kecamatan() -> tuple[DemoKecamatan, ...]:
    """Every kecamatan of the demo, in kabupaten code and name order.

    Returns
    -------
    tuple of DemoKecamatan
        Real outlines (:mod:`data.boundaries`) and, for Lampung Tengah, generated ones;
        populations sum to each kabupaten's BPS total.

    Raises
    ------
    RuntimeError
        If a generated kecamatan's centre falls outside its outline (a bug in the facts).
    """
    bounds = boundaries.load()
    rows: list[tuple[str, str, tuple[float, float], str, bool, str | None, MultiPolygon]] = []
    for kec in bounds.kecamatan:
        rows.append(
            (
                kec.kabupaten_code,
                kec.name,
                kec.centre,
                kec.centre_source,
                False,
                kec.source_name,
                kec.geometry,
            )
        )
    for code in sorted(bounds.missing):
        if code != "1805":
            msg = f"no kecamatan seeds for kabupaten {code}, whose kecamatan are missing"
            raise RuntimeError(msg)
        for name, seed, geom in _lampung_tengah(bounds.kabupaten[code]):
            centre = (seed.x, seed.y)
            rows.append((code, name + GENERATED_SUFFIX, centre, "approximate", True, None, geom))
    rows.sort(key=lambda r: (r[0], r[1]))
    out: list[DemoKecamatan] = []
    for kab in facts.KABUPATEN:
        own = [r for r in rows if r[0] == kab.code]
        areas = [area_km2(r[6]) for r in own]
        people = apportion(kab.population, areas)
        for n, (row, km2, pop) in enumerate(zip(own, areas, people, strict=True), start=1):
            code, name, centre, centre_source, generated, source_name, geom = row
            out.append(
                DemoKecamatan(
                    code=f"{code}-{n:02d}",
                    name=name,
                    kabupaten_code=code,
                    centre=centre,
                    centre_source=centre_source,
                    generated=generated,
                    source_name=source_name,
                    area_km2=round(km2, 3),
                    population=pop,
                    geometry=geom,
                )
            )
    return tuple(out)


def kabupaten_geometries() -> dict[str, MultiPolygon]:
    """Real (simplified RBI) kabupaten/kota outlines keyed by BPS code, in facts order."""
    return dict(boundaries.load().kabupaten)


@functools.lru_cache(maxsize=1)
def land() -> MultiPolygon:
    """Lampung's land: the union of the kabupaten outlines (islands included)."""
    return _multi(shapely.coverage_union_all(list(boundaries.load().kabupaten.values())))
