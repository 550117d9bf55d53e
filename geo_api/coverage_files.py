"""Coverage results as files an office can use: a GeoPackage and a PNG choropleth.

Both are made from the same typed :class:`~geo_api.coverage.CoverageResult` (and its
:func:`~geo_api.coverage_output.area_rows`) as the JSON, CSV and GeoJSON answers, by
``GET /coverage/stats?f=gpkg|png`` and by ``lampung-geo analyse coverage``.

- **GeoPackage** layers: ``areas`` (one row per area: the same columns as the CSV,
  with its outline), ``cells`` (the H3 population grid with each cell's minutes to the
  nearest service point; optional), ``service_points`` (the category's points) and
  ``about`` (no geometry: what was analysed, when, and how the population was spread).
- **PNG**: one map per threshold, side by side, in the fixed coverage classes of the
  web map (:data:`web.classify.COVERAGE`: < 50, 50–70, 70–85, 85–95, ≥ 95 %, darkest
  for the worst), the area boundaries, the service points, a legend whose title says
  the threshold and travel mode, and a DEMO note when the data is generated. Drawn
  offline with matplotlib (Agg).

File names carry the category, travel profile, threshold(s), level and the date
(:func:`file_stem`), e.g. ``coverage_puskesmas_motorcycle_30min_kabupaten_2026-11-30``.
"""

from __future__ import annotations

import io
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from web.classify import COVERAGE

if TYPE_CHECKING:
    from geo_api.coverage import CoverageResult

__all__ = [
    "LABELS",
    "choropleth_png",
    "file_stem",
    "geopackage_bytes",
    "today_wib",
    "write_choropleth",
    "write_geopackage",
]

WIB = ZoneInfo("Asia/Jakarta")
DPI = 120

#: Texts of the PNG in both page languages.
LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "{category}: population within reach, by {mode}, per {level}",
        "panel": "within {minutes} min",
        "legend": "% of people within {minutes} min ({mode})",
        "no_data": "no data",
        "points": "{category} (existing)",
        "demo": "DEMO data, not survey data",
        "footer": "{day} · population: {level} figures spread over H3 cells by {method}; "
        "travel time to the nearest point on the road graph · lampung-geo",
        "motorcycle": "motorcycle",
        "car": "car",
        "walk": "walking",
        "truck": "truck",
    },
    "id": {
        "method_road_length": "panjang jalan",
        "method_settlements": "luas permukiman",
        "method_raster": "raster penduduk",
        "method_uniform": "bagian rata",
        "title": "{category}: penduduk terjangkau, dengan {mode}, per {level}",
        "panel": "dalam {minutes} menit",
        "legend": "% penduduk dalam {minutes} menit ({mode})",
        "no_data": "tanpa data",
        "points": "{category} (yang ada)",
        "demo": "DATA DEMO, bukan data survei",
        "footer": "{day} · penduduk: angka {level} dibagi ke sel H3 menurut {method}; "
        "waktu tempuh ke titik terdekat pada jaringan jalan · lampung-geo",
        "motorcycle": "sepeda motor",
        "car": "mobil",
        "walk": "jalan kaki",
        "truck": "truk",
    },
}


def today_wib() -> date:
    """Today's date in Lampung and Jakarta (WIB)."""
    return datetime.now(WIB).date()


def _minutes_part(minutes: list[float]) -> str:
    return "-".join(f"{m:g}" for m in minutes) + "min"


def file_stem(result: CoverageResult, *, day: date | None = None) -> str:
    """``coverage_<category>_<profile>_<minutes>min_<level>_<YYYY-MM-DD>``.

    Several thresholds are joined with ``-`` (``15-30-60min``); the date is the day
    the file was made (WIB).
    """
    when = (day or today_wib()).isoformat()
    return (
        f"coverage_{result.category}_{result.profile}_{_minutes_part(result.minutes)}_"
        f"{result.level}_{when}"
    )


def write_geopackage(
    result: CoverageResult,
    rows: list[dict[str, Any]],
    path: Path,
    *,
    cells: bool = True,
    day: date | None = None,
) -> None:
    """Write the layers ``areas``, ``cells`` (with ``cells``), ``service_points``, ``about``.

    An existing file at ``path`` is replaced.
    """
    import geopandas as gpd
    import h3
    import numpy as np
    import pandas as pd
    import pyogrio
    import shapely

    from geo_api.coverage_output import population_model

    if path.exists():
        path.unlink()
    areas = gpd.GeoDataFrame(rows, geometry=list(result.areas.geoms), crs="EPSG:4326")
    areas.to_file(path, layer="areas", driver="GPKG")
    if cells:
        g = result.grid
        hexes = [shapely.Polygon([(x, y) for y, x in h3.cell_to_boundary(c)]) for c in g.cells]
        t = result.cell_times
        grid = gpd.GeoDataFrame(
            {
                "h3": g.cells,
                "population": g.population,
                "minutes_to_nearest": np.where(np.isfinite(t), t / 60.0, np.nan),
                "area_id": [result.areas.ids[i] if i >= 0 else None for i in result.cell_area],
            },
            geometry=hexes,
            crs="EPSG:4326",
        )
        grid.to_file(path, layer="cells", driver="GPKG")
    fac = result.facilities
    if fac.rows:
        pts = gpd.GeoDataFrame(
            [
                {"id": r["id"], "name": r["properties"].get("name"), "category": result.category}
                for r in fac.rows
            ],
            geometry=gpd.points_from_xy([r["lon"] for r in fac.rows], [r["lat"] for r in fac.rows]),
            crs="EPSG:4326",
        )
        pts.to_file(path, layer="service_points", driver="GPKG")
    model = population_model(result.grid)
    about = pd.DataFrame(
        [
            {"key": "category", "value": result.category},
            {"key": "profile", "value": result.profile},
            {"key": "minutes", "value": ",".join(f"{m:g}" for m in result.minutes)},
            {"key": "level", "value": result.level},
            {"key": "date", "value": (day or today_wib()).isoformat()},
            {"key": "demo", "value": "true" if result.demo else "false"},
            {"key": "population_method", "value": model["method"]},
            {"key": "population_model", "value": model["description"]},
            {"key": "classes", "value": ", ".join(COVERAGE.labels()) + " % covered"},
        ]
    )
    pyogrio.write_dataframe(about, path, layer="about", driver="GPKG")


def geopackage_bytes(
    result: CoverageResult, rows: list[dict[str, Any]], *, day: date | None = None
) -> bytes:
    """The GeoPackage of :func:`write_geopackage` as bytes (written in a temp folder)."""
    with tempfile.TemporaryDirectory(prefix="lampung-geo-gpkg-") as tmp:
        path = Path(tmp) / "coverage.gpkg"
        write_geopackage(result, rows, path, day=day)
        return path.read_bytes()


def write_choropleth(
    result: CoverageResult,
    rows: list[dict[str, Any]],
    path: Path | io.BytesIO,
    *,
    lang: str = "en",
    day: date | None = None,
) -> None:
    """Percent covered per area, one map per threshold, in the fixed coverage classes."""
    import geopandas as gpd
    import matplotlib

    matplotlib.use("Agg")  # no display; pyplot's global figures are not used (threads)
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    t = LABELS.get(lang, LABELS["en"])
    mode = t.get(result.profile, result.profile)
    category = result.category.replace("_", " ").capitalize()
    areas = gpd.GeoDataFrame(rows, geometry=list(result.areas.geoms), crs="EPSG:4326")
    n = len(result.minutes)
    fig = Figure(figsize=(5.2 * n, 6.2))
    axes = fig.subplots(1, n, squeeze=False)
    fac = result.facilities
    labels = COVERAGE.labels()
    for ax, m in zip(axes[0], result.minutes, strict=True):
        col = f"percent_{m:g}min"
        colors = [COVERAGE.color(None if v is None else float(v)) for v in areas[col]]
        areas.plot(ax=ax, color=colors, edgecolor="#333333", linewidth=0.5)
        if fac.rows:
            ax.scatter(
                [r["lon"] for r in fac.rows],
                [r["lat"] for r in fac.rows],
                s=4,
                c="#08306b",
                zorder=3,
            )
        ax.set_title(t["panel"].format(minutes=f"{m:g}"), fontsize=11)
        ax.set_aspect("equal")
        ax.set_axis_off()
    # one legend for all maps, right of them: the worst class (darkest) first, as on the
    # web map
    handles: list[Artist] = [
        Patch(facecolor=COVERAGE.colors[i], edgecolor="#333333", label=f"{labels[i]} %")
        for i in range(len(COVERAGE.colors))
    ]
    handles.append(Patch(facecolor=COVERAGE.no_data, edgecolor="#333333", label=t["no_data"]))
    if fac.rows:
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markersize=4,
                color="#08306b",
                label=t["points"].format(category=category),
            )
        )
    fig.legend(
        handles=handles,
        title=t["legend"].format(minutes="/".join(f"{m:g}" for m in result.minutes), mode=mode),
        loc="center left",
        bbox_to_anchor=(0.98, 0.5),
        fontsize=9,
        title_fontsize=9,
        frameon=False,
    )
    title = t["title"].format(category=category, mode=mode, level=result.level)
    if result.demo:
        title += f" — {t['demo']}"
    fig.suptitle(title, fontsize=12)
    fig.text(
        0.5,
        0.01,
        t["footer"].format(
            day=(day or today_wib()).isoformat(),
            level=result.grid.areas.level,
            method=t.get("method_" + result.grid.method, result.grid.method.replace("_", " ")),
        ),
        ha="center",
        fontsize=7,
    )
    fig.savefig(path, dpi=DPI, bbox_inches="tight", format="png")


def choropleth_png(
    result: CoverageResult,
    rows: list[dict[str, Any]],
    *,
    lang: str = "en",
    day: date | None = None,
) -> bytes:
    """The PNG of :func:`write_choropleth` as bytes."""
    buf = io.BytesIO()
    write_choropleth(result, rows, buf, lang=lang, day=day)
    return buf.getvalue()
