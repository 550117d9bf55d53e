"""The answers of the coverage analyses as JSON, GeoJSON and CSV.

Made once from the typed results of :mod:`geo_api.coverage` (``CoverageResult``,
``Band`` lists, ``SitingAnswer``); the routers and the CLI only pick the format.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import numpy as np
import shapely

from geo_api.coverage import CELL_SNAP_MAX_M, CoverageResult, SitingAnswer
from layers.population import PopulationGrid
from routing.isochrones import ACCESS_M, Band

__all__ = [
    "area_geojson",
    "area_rows",
    "band_features",
    "population_model",
    "rows_csv",
    "sites_body",
    "stats_body",
]


def _num(v: float, digits: int = 1) -> float | None:
    return round(float(v), digits) if math.isfinite(v) else None


def _key(m: float) -> str:
    return f"{m:g}"


def area_rows(result: CoverageResult) -> list[dict[str, Any]]:
    """One flat record per area (also the CSV columns), in area order."""
    cov, t = result.coverage, result.areas
    rank = np.empty(len(t), dtype=np.int64)
    rank[result.ranking()] = np.arange(1, len(t) + 1)
    pct = cov.percent
    rows = []
    for i in range(len(t)):
        row: dict[str, Any] = {
            "id": t.ids[i],
            "code": t.codes[i],
            "name": t.names[i],
            "level": t.level,
            "population": round(float(cov.population[i])),
        }
        for j, m in enumerate(result.minutes):
            row[f"covered_{_key(m)}min"] = round(float(cov.covered[i, j]))
            row[f"percent_{_key(m)}min"] = _num(pct[i, j], 2)
            row[f"uncovered_{_key(m)}min"] = round(float(cov.uncovered[i, j]))
        row["median_min"] = _num(cov.median_s[i] / 60.0)
        row["p90_min"] = _num(cov.p90_s[i] / 60.0)
        row["underserved_rank"] = int(rank[i])
        rows.append(row)
    return rows


def stats_body(result: CoverageResult, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON answer of ``/coverage/stats``."""
    totals = result.coverage.totals()
    return {
        "category": result.category,
        "profile": result.profile,
        "level": result.level,
        "minutes": result.minutes,
        "demo": result.demo,
        "population_model": population_model(result.grid),
        "facilities": len(result.facilities.snaps),
        "facilities_off_network": result.facilities.off_network,
        "totals": {
            "population": round(float(totals["population"])),  # type: ignore[arg-type]
            **{
                f"percent_{_key(m)}min": _num(p, 2) if p is not None else None
                for m, p in zip(result.minutes, totals["percent"], strict=True)  # type: ignore[call-overload]
            },
        },
        "underserved_ranked_by": f"uncovered population within {_key(result.rank_minutes)} min",
        "areas": rows,
    }


_HOW = {
    "settlements": "over the settlement area (RBI PEMUKIMAN) inside it: each cell gets the "
    "share of the area's settlement m² that lies in the cell",
    "raster": "in proportion to the population raster's people in each cell (official "
    "totals kept); areas without a figure take the raster's own counts",
    "road_length": "in proportion to the road length in each cell (road density as a "
    "settlement proxy)",
    "uniform": "in equal shares over its cells",
}


def population_model(grid: PopulationGrid) -> dict[str, Any]:
    """How the population was spread, for every answer that uses it.

    ``method`` is the best weighting used (``settlements``, ``raster``, ``road_length``
    or ``uniform``), ``data`` what each weighting used, ``fallbacks`` the populated areas
    that had to use a lesser one.
    """
    by_method: dict[str, int] = {}
    for m in grid.area_method:
        by_method[m] = by_method.get(m, 0) + 1
    return {
        "method": grid.method,
        "description": (
            f"each {grid.areas.level}'s population is spread "
            f"{_HOW.get(grid.method, 'by ' + grid.weighting)}; H3 res "
            f"{grid.resolution} cells cut by an area boundary hold one row per area, so "
            "every area's cells sum to its figure"
        ),
        "source_level": grid.areas.level,
        "cells": "H3",
        "h3_resolution": grid.resolution,
        "n_cells": len(set(grid.cells)),
        "n_rows": len(grid),
        "weighting": grid.weighting,
        "population": round(grid.total),
        "data": grid.data,
        "areas_by_method": by_method,
        "fallbacks": grid.fallbacks,
        "assumptions": grid.assumptions,
        "cell_snap_max_m": CELL_SNAP_MAX_M,
    }


def area_geojson(result: CoverageResult, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Areas with their coverage as a GeoJSON FeatureCollection."""
    feats = [
        {
            "type": "Feature",
            "id": row["id"],
            "geometry": shapely.geometry.mapping(geom),
            "properties": row,
        }
        for row, geom in zip(rows, result.areas.geoms, strict=True)
    ]
    body = stats_body(result, [])
    body.pop("areas")
    return {"type": "FeatureCollection", **body, "features": feats}


def band_features(bands: list[Band], **props: Any) -> list[dict[str, Any]]:
    """Isochrone bands as GeoJSON features."""
    return [
        {
            "type": "Feature",
            "geometry": shapely.geometry.mapping(b.band),
            "properties": {
                **props,
                "minutes": b.minutes,
                "from_minutes": b.from_minutes,
                "area_km2": round(b.area_km2, 3),
                "road_km_within": round(b.road_km, 2),
                "access_m": ACCESS_M,
            },
        }
        for b in bands
    ]


def rows_csv(rows: list[dict[str, Any]]) -> str:
    """Area rows as CSV text (header from the first row)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["id"])
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def sites_body(
    ans: SitingAnswer,
    *,
    category: str,
    profile: str,
    minutes: float,
    k: int,
    places: dict[str, list[str | None]] | None = None,
) -> dict[str, Any]:
    """The answer of ``POST /plan/sites``: the sites as GeoJSON plus the solution's quality.

    Sites come in the solver's order (``rank``): each adds ``newly_covered_population``
    to the sites ranked before it and says the coverage with them all
    (``covered_after``, ``percent_after``; the last one's is the answer's), and, with
    ``places`` (level → one name per chosen site, in rank order), the kecamatan and
    kabupaten it lies in.
    """
    r = ans.result
    total = ans.population
    after = ans.covered_before + r.objective

    def pct(v: float) -> float | None:
        return round(100.0 * v / total, 2) if total > 0 else None

    feats = []
    running = ans.covered_before
    for rank, (j, gain) in enumerate(zip(r.chosen, r.gains, strict=True), start=1):
        running += gain
        names = {lvl: (places or {}).get(lvl, []) for lvl in ("kecamatan", "kabupaten")}
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [ans.lons[j], ans.lats[j]]},
                "properties": {
                    "rank": rank,
                    "candidate": j,
                    "candidate_kind": ans.kind[j],
                    "newly_covered_population": round(gain),
                    "kecamatan": names["kecamatan"][rank - 1]
                    if rank <= len(names["kecamatan"])
                    else None,
                    "kabupaten": names["kabupaten"][rank - 1]
                    if rank <= len(names["kabupaten"])
                    else None,
                    "covered_after": round(running),
                    "percent_after": pct(running),
                },
            }
        )

    demo = ans.grid.demo or ans.facilities.demo
    return {
        "type": "FeatureCollection",
        "category": category,
        "profile": profile,
        "minutes": minutes,
        "count": k,
        "demo": demo,
        "population": round(total),
        "covered_before": round(ans.covered_before),
        "percent_before": pct(ans.covered_before),
        "covered_after": round(after),
        "percent_after": pct(after),
        "newly_covered": round(r.objective),
        "candidates": ans.n_candidates,
        "solution": {
            "method": r.method,
            "objective": round(r.objective),
            "greedy_objective": round(r.greedy_objective),
            "milp_objective": None if r.milp_objective is None else round(r.milp_objective),
            "milp_status": r.milp_status,
            "bound": round(r.bound),
            "gap": round(r.gap, 6),
            "greedy_gap": round(r.greedy_gap, 6),
            "seconds": round(r.seconds, 3),
            "capacity_aware": False,
            "notes": r.notes,
        },
        "population_model": population_model(ans.grid),
        "features": feats,
    }
