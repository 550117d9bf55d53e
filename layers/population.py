"""A population grid: admin-area population spread over H3 hexagons (dasymetric).

Model (replaceable; every choice is a parameter):

* **Source areas.** Population comes from ``admin_areas`` at the *finest* level that
  has any population figure (desa, then kecamatan, kabupaten, provinsi). Areas of that
  level without a figure count as 0 people and are listed in the grid's
  ``assumptions`` — unless an ``assumed_total`` is given, which is then spread over
  all of them together (e.g. DKI Jakarta's kelurahan carry no population; the 2020
  census total :data:`DKI_CENSUS_2020` = 10,562,088 is used), or a population raster
  is used, whose own counts then fill them.
* **Rows.** The grid rows are ``(cell, area)`` pairs: every H3 cell at ``resolution``
  (default 8, ~0.74 km²) whose centre lies inside the area (an area too small to hold
  a centre gets the cell of its representative point), plus every cell *cut* by the
  area's boundary that holds settlement or raster people of the area although its
  centre lies outside. Such a cell has one row per area it holds people of; the row's
  point (``lon``/``lat``) is inside the area, where those people are (the largest
  settlement fragment, or the most populated pixel), so a row is always located in
  its own area; a whole cell's row sits at the cell centre.
* **Weighting, per area, best first** (:mod:`layers.population_weights`):

  1. ``settlements`` — settlement area (m²) of *settlements ∩ area ∩ cell*
     (:mod:`layers.population_settlements`), or ``raster`` — a population raster's
     people (:mod:`layers.population_raster`), when given;
  2. ``road_length`` — road metres in the cell (:class:`RoadDensity`), centre cells;
  3. ``uniform`` — equal shares over the centre cells.

  Each area takes the first weighting with a positive total inside it, so its cells
  always sum to its figure. An area falling back is listed (``fallbacks``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import h3
import numpy as np
import shapely

from layers.population_areas import (
    LEVELS_FINEST_FIRST,
    AreaTable,
    NoAreasError,
    NoPopulationError,
    admin_stamp,
    areas_at_level,
    assign_areas,
    finest_areas,
    population_areas,
)
from layers.population_weights import PIECE_M, PairWeights, RoadDensity, cells_of

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "DEFAULT_RESOLUTION",
    "DKI_CENSUS_2020",
    "LEVELS_FINEST_FIRST",
    "PIECE_M",
    "AreaTable",
    "NoAreasError",
    "NoPopulationError",
    "PairWeights",
    "PopulationGrid",
    "RoadDensity",
    "admin_stamp",
    "areas_at_level",
    "assign_areas",
    "build_grid",
    "finest_areas",
    "population_areas",
]

DEFAULT_RESOLUTION = 8
DKI_CENSUS_2020 = 10_562_088
"""BPS Sensus Penduduk 2020 population of DKI Jakarta."""

Weighting = Callable[[Sequence[str]], "NDArray[np.float64]"]
_NOUN = {
    "settlements": "settlement",
    "raster": "raster population",
    "road_length": "road",
}


@dataclass(frozen=True)
class PopulationGrid:
    """People per ``(cell, area)`` row, with the source areas and how they were spread.

    ``method`` is the best weighting used by at least one area; ``area_method`` says
    which one each area used (``"none"``: the area holds nobody), ``fallbacks`` lists
    the populated areas that used another, and ``data`` what each weighting used.
    """

    resolution: int
    cells: list[str]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    population: NDArray[np.float64]
    area: NDArray[np.int64]  # index into ``areas``
    areas: AreaTable
    weighting: str
    assumptions: list[str] = field(default_factory=list)
    method: str = "uniform"
    area_method: list[str] = field(default_factory=list)
    fallbacks: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.cells)

    @property
    def total(self) -> float:
        """All people in the grid."""
        return float(self.population.sum())

    @property
    def demo(self) -> bool:
        """True when any source area is DEMO data."""
        return any(self.areas.demo)


@dataclass
class _Chain:
    """The weightings of a build, best first, as one weight per row each."""

    methods: list[str]
    descriptions: list[str]
    counts: list[bool]
    data: list[dict[str, Any]]
    weights: list[NDArray[np.float64]]
    notes: list[str] = field(default_factory=list)


def _rows(
    areas: AreaTable, resolution: int, pairs: Sequence[PairWeights]
) -> tuple[list[str], list[int], list[bool], list[float], list[float], list[NDArray[np.int64]]]:
    """Grid rows: centre cells of each area, then the pairs' extra ``(cell, area)`` rows."""
    cells: list[str] = []
    area: list[int] = []
    centre: list[bool] = []
    lon: list[float] = []
    lat: list[float] = []
    index: dict[tuple[int, str], int] = {}
    for a, geom in enumerate(areas.geoms):
        own = cells_of(geom, resolution)
        for c in own:
            index[(a, c)] = len(cells)
            y, x = h3.cell_to_latlng(c)
            if len(own) == 1 and not geom.contains(shapely.points(x, y)):
                p = geom.representative_point()  # an area smaller than a cell
                x, y = p.x, p.y
            cells.append(c)
            area.append(a)
            centre.append(True)
            lon.append(x)
            lat.append(y)
    where: list[NDArray[np.int64]] = []
    for pw in pairs:
        rows = np.empty(len(pw), dtype=np.int64)
        for j, (a, c, x, y) in enumerate(
            zip(pw.area.tolist(), pw.cells, pw.lon.tolist(), pw.lat.tolist(), strict=True)
        ):
            i = index.get((a, c))
            if i is None:
                i = index[(a, c)] = len(cells)
                cells.append(c)
                area.append(a)
                centre.append(False)
                lon.append(x)
                lat.append(y)
            rows[j] = i
        where.append(rows)
    return cells, area, centre, lon, lat, where


def _names(areas: AreaTable, idx: Sequence[int] | NDArray[np.int64]) -> str:
    return ", ".join(f"{areas.names[int(i)]} (id {areas.ids[int(i)]})" for i in idx)


def build_grid(
    areas: AreaTable,
    *,
    resolution: int = DEFAULT_RESOLUTION,
    weight: Weighting | None = None,
    weighting: str = "road length in the cell",
    assumed_total: float | None = None,
    pairs: Sequence[PairWeights] = (),
) -> PopulationGrid:
    """Spread each area's population over its H3 cells, best weighting first.

    Parameters
    ----------
    areas : AreaTable
        The source areas (population NaN where missing).
    resolution : int, default 8
        H3 resolution (0-15).
    weight : callable, optional
        ``cells -> weights`` over the cells whose centre lies in the area (e.g. a
        :class:`RoadDensity`); the fallback after ``pairs``.
    weighting : str
        How ``weight`` weights, for the record (a :class:`RoadDensity` names itself).
    assumed_total : float, optional
        People spread together over the areas without a population figure.
    pairs : sequence of PairWeights
        Weightings per ``(area, cell)`` pair, best first (settlements, raster).

    Returns
    -------
    PopulationGrid
        The grid; per area, its rows sum to its figure (or its share of
        ``assumed_total``, or a raster's counts).

    Raises
    ------
    NoPopulationError
        If no area has a population and neither ``assumed_total`` nor a raster's
        counts give any.
    """
    if not 0 <= resolution <= 15:
        msg = f"H3 resolution must be 0..15, got {resolution}"
        raise ValueError(msg)
    cells, area_l, centre_l, lon_l, lat_l, where = _rows(areas, resolution, pairs)
    n, n_areas = len(cells), len(areas)
    area = np.asarray(area_l, dtype=np.int64)
    centre = np.asarray(centre_l, dtype=bool)
    chain = _Chain([], [], [], [], [])
    for pw, rows in zip(pairs, where, strict=True):
        w = np.zeros(n)
        np.add.at(w, rows, pw.weight)
        chain.methods.append(pw.method)
        chain.descriptions.append(pw.description)
        chain.counts.append(pw.counts)
        chain.data.append(pw.data)
        chain.weights.append(w)
        chain.notes.extend(pw.notes)
    if weight is not None:
        chain.methods.append(str(getattr(weight, "method", "road_length")))
        chain.descriptions.append(str(getattr(weight, "description", weighting)))
        chain.counts.append(False)
        chain.data.append(dict(getattr(weight, "data", {})))
        chain.weights.append(np.where(centre, np.asarray(weight(cells), dtype=np.float64), 0.0))
    chain.methods.append("uniform")
    chain.descriptions.append("equal shares over the cells whose centre lies in the area")
    chain.counts.append(False)
    chain.data.append({})
    chain.weights.append(centre.astype(np.float64))
    wm = np.vstack(chain.weights) if n else np.zeros((len(chain.methods), 0))
    per_area: NDArray[np.float64] = np.vstack(
        [np.bincount(area, weights=w, minlength=n_areas) for w in wm]
    )
    positive = per_area > 0
    choice = np.where(positive.any(axis=0), positive.argmax(axis=0), -1).astype(np.int64)
    known = ~np.isnan(areas.population)
    figure = np.where(known, areas.population, 0.0)
    pop, notes, used = _spread(areas, area, wm, per_area, choice, figure, known)
    counted: NDArray[np.bool_] = np.zeros(n_areas, dtype=bool)
    missing = ~known
    if np.any(missing) and assumed_total is not None:
        notes.insert(0, _spread_assumed(areas, area, wm, chain, missing, assumed_total, pop, used))
    elif np.any(missing):
        counts: NDArray[np.bool_] = np.array(chain.counts)[choice] & missing & (choice >= 0)
        if np.any(counts):
            sel = np.flatnonzero(counts[area])
            pop[sel] = wm[choice[area[sel]], sel]
            used[counts] = choice[counts]
            counted = counts
            people = float(pop[sel].sum())
            notes.append(
                f"{int(counts.sum())} {areas.level} area(s) without a population figure take "
                f"the raster's own counts ({people:,.0f} people)"
            )
        zero = missing & ~counts
        if np.any(zero):
            notes.append(
                f"{int(zero.sum())} {areas.level} area(s) without a population figure "
                "count as 0 people"
            )
        if not np.any(known) and not np.any(counts):
            msg = (
                f"none of the {n_areas} {areas.level} areas has a population figure "
                "and no assumed total was given"
            )
            raise NoPopulationError(msg, field="population")
    return _finish(areas, resolution, cells, lon_l, lat_l, pop, area, chain, used, notes, counted)


def _spread(
    areas: AreaTable,
    area: NDArray[np.int64],
    wm: NDArray[np.float64],
    per_area: NDArray[np.float64],
    choice: NDArray[np.int64],
    figure: NDArray[np.float64],
    known: NDArray[np.bool_],
) -> tuple[NDArray[np.float64], list[str], NDArray[np.int64]]:
    """Each known figure over its area's rows by the area's chosen weighting."""
    pop = np.zeros(area.size)
    used = np.full(len(areas), -1, dtype=np.int64)
    ok = known & (choice >= 0)
    rows = np.flatnonzero(ok[area])
    a = area[rows]
    pop[rows] = figure[a] * wm[choice[a], rows] / per_area[choice[a], a]
    used[ok & (figure > 0)] = choice[ok & (figure > 0)]
    notes = []
    lost = known & (choice < 0) & (figure > 0)
    if np.any(lost):
        notes.append(
            f"{int(lost.sum())} area(s) with an empty outline hold no cell: "
            f"{_names(areas, np.flatnonzero(lost))}"
        )
    return pop, notes, used


def _spread_assumed(
    areas: AreaTable,
    area: NDArray[np.int64],
    wm: NDArray[np.float64],
    chain: _Chain,
    missing: NDArray[np.bool_],
    assumed_total: float,
    pop: NDArray[np.float64],
    used: NDArray[np.int64],
) -> str:
    """Spread ``assumed_total`` over all rows of the areas without a figure together.

    The weighting is the best one with a positive weight in *every* such area (holding
    a cell), so a gap in the data (settlements loaded for part of a city) does not pile
    the whole total into the covered part; uniform always qualifies.
    """
    rows = np.flatnonzero(missing[area])
    note = (
        f"{int(missing.sum())} area(s) without a population figure share an assumed "
        f"total of {assumed_total:,.0f} people"
    )
    if rows.size == 0:
        return note + ", but they hold no cell: nobody was placed"
    per_area = np.vstack(
        [np.bincount(area[rows], weights=w[rows], minlength=len(areas)) for w in wm]
    )
    holding = missing & (per_area[-1] > 0)  # areas with a cell
    covers = np.all(per_area[:, holding] > 0, axis=1)
    m = int(np.argmax(covers))
    pop[rows] = float(assumed_total) * wm[m, rows] / wm[m, rows].sum()
    used[holding] = m
    return note + f", spread by {chain.methods[m].replace('_', ' ')} over all of them"


def _finish(
    areas: AreaTable,
    resolution: int,
    cells: list[str],
    lon: list[float],
    lat: list[float],
    pop: NDArray[np.float64],
    area: NDArray[np.int64],
    chain: _Chain,
    used: NDArray[np.int64],
    notes: list[str],
    counted: NDArray[np.bool_],
) -> PopulationGrid:
    """The grid with its method, per-area methods, fallbacks and data."""
    populated = used >= 0
    main = int(used[populated].min()) if np.any(populated) else len(chain.methods) - 1
    share = np.bincount(area, weights=pop, minlength=len(areas))
    fallbacks: list[dict[str, Any]] = []
    by_method: dict[int, list[int]] = {}
    for a in np.flatnonzero(populated & (used != main)).tolist():
        skipped = [_NOUN.get(m, m) for m in chain.methods[main : int(used[a])]]
        fallbacks.append(
            {
                "id": areas.ids[a],
                "code": areas.codes[a],
                "name": areas.names[a],
                "population": round(float(share[a])),
                "method": chain.methods[int(used[a])],
                "reason": "no " + " and no ".join(skipped) + " inside the area",
            }
        )
        by_method.setdefault(int(used[a]), []).append(a)
    for k, idx in sorted(by_method.items()):
        nouns = " or ".join(_NOUN.get(x, x) for x in chain.methods[main:k])
        notes.append(
            f"{len(idx)} {areas.level} area(s) with people but no {nouns} inside: spread by "
            f"{chain.methods[k].replace('_', ' ')} ({chain.descriptions[k]}): {_names(areas, idx)}"
        )
    notes.extend(chain.notes)
    data: dict[str, dict[str, Any]] = {}
    for i, name in enumerate(chain.methods):
        if name != "uniform" or np.any(used == i):
            data[name] = {**chain.data[i], "areas": int(np.sum(used == i))}
            if np.any(counted & (used == i)):
                data[name]["areas_counted_without_figure"] = int(np.sum(counted & (used == i)))
    return PopulationGrid(
        resolution=resolution,
        cells=cells,
        lon=np.asarray(lon, dtype=np.float64),
        lat=np.asarray(lat, dtype=np.float64),
        population=pop,
        area=area,
        areas=areas,
        weighting=chain.descriptions[main],
        assumptions=notes,
        method=chain.methods[main],
        area_method=[chain.methods[int(u)] if u >= 0 else "none" for u in used],
        fallbacks=fallbacks,
        data=data,
    )
