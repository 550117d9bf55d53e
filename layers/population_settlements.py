"""Settlement area per ``(area, H3 cell)`` pair: the dasymetric weights.

A cell's weight for an area is the area in m² of *settlements ∩ area ∩ cell*, computed
by exact polygon intersection (vectorised shapely, in lon/lat) and measured in an
equal-area projection (:data:`~layers.population_weights.EQUAL_AREA_CRS`, EPSG:6933).

Steps:

1. Settlements overlapping each other (the same village loaded from two sources) are
   dissolved, so no square metre counts twice. Touching outlines are left as they are.
2. Settlements are cut by the areas (STRtree pairs; a settlement lying inside an area
   is taken whole).
3. The candidate cells of each piece are those of its (densified) outline vertices and
   their neighbours, plus the cells whose centre lies inside it; hexagon polygons of
   the candidates go into an STRtree, and each piece is intersected with the hexagons
   it touches. Fragments are summed per ``(area, cell)``.

A cell cut by an area boundary thus gets one pair per area holding settlement in it;
the pair's point is inside its largest fragment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import h3
import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sqlalchemy import Connection, text

from layers.population_weights import EQUAL_AREA_CRS, PairWeights, equal_area_m2, hexagons

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from layers.population import AreaTable

__all__ = [
    "SettlementLayer",
    "load_settlements",
    "settlement_stamp",
    "settlement_weights",
]

_M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class SettlementLayer:
    """Settlement polygons (lon/lat), dissolved where they overlap."""

    geoms: NDArray[Any]
    rows: int
    sources: list[str]
    dissolved: int
    demo: bool

    @property
    def area_m2(self) -> float:
        """Total settlement area in m²."""
        return float(equal_area_m2(self.geoms).sum())


def settlement_stamp(conn: Connection) -> tuple[int, int, int]:
    """A fingerprint of ``settlements`` (count, max id, newest row version)."""
    row = conn.execute(
        text(
            "SELECT count(*), coalesce(max(id), 0), "
            "coalesce(max(xmin::text::bigint), 0) FROM settlements"
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def load_settlements(
    conn: Connection, *, bounds: tuple[float, float, float, float] | None = None
) -> SettlementLayer | None:
    """The settlements (within ``bounds`` lon/lat, if given), or None when there are none."""
    sql = (
        "SELECT ST_AsBinary(s.geom), s.source, src.is_demo FROM settlements s "
        "JOIN sources src ON src.id = s.source"
    )
    params: dict[str, float] = {}
    if bounds is not None:
        sql += " WHERE s.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)"
        params = dict(zip(("x0", "y0", "x1", "y1"), bounds, strict=True))
    rows = conn.execute(text(sql + " ORDER BY s.id"), params).all()
    if not rows:
        return None
    geoms = np.asarray(shapely.from_wkb([bytes(r[0]) for r in rows]), dtype=object)
    geoms = np.asarray(shapely.force_2d(geoms), dtype=object)
    bad = ~shapely.is_valid(geoms)
    if np.any(bad):
        geoms[bad] = shapely.make_valid(geoms[bad])
    parts, n_dissolved = _dissolve_overlaps(_polygons(geoms))
    return SettlementLayer(
        geoms=parts,
        rows=len(rows),
        sources=sorted({str(r[1]) for r in rows}),
        dissolved=n_dissolved,
        demo=any(bool(r[2]) for r in rows),
    )


def _explode(geoms: NDArray[Any]) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """Single parts of ``geoms`` (collections and multi-parts opened all the way down),
    with the index of the geometry each came from."""
    parts, idx = shapely.get_parts(geoms, return_index=True)
    multi = shapely.get_type_id(parts) >= 4
    while np.any(multi):
        sub, sub_idx = shapely.get_parts(parts[multi], return_index=True)
        parts = np.concatenate([parts[~multi], sub])
        idx = np.concatenate([idx[~multi], idx[multi][sub_idx]])
        multi = shapely.get_type_id(parts) >= 4
    return np.asarray(parts, dtype=object), np.asarray(idx, dtype=np.int64)


def _polygons(geoms: NDArray[Any]) -> NDArray[Any]:
    """The polygons in ``geoms`` (any depth) with a positive area."""
    parts, _ = _explode(geoms)
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    return parts[keep]


def _dissolve_overlaps(geoms: NDArray[Any]) -> tuple[NDArray[Any], int]:
    """Union the groups of polygons whose interiors overlap; others unchanged."""
    if len(geoms) < 2:
        return geoms, 0
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    if i.size:
        overlap = shapely.area(shapely.intersection(geoms[i], geoms[j])) > 0
        i, j = i[overlap], j[overlap]
    if i.size == 0:
        return geoms, 0
    n = len(geoms)
    graph = coo_matrix((np.ones(i.size), (i, j)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    sizes = np.bincount(label)
    alone = sizes[label] == 1
    merged = [shapely.union_all(geoms[label == g]) for g in np.flatnonzero(sizes > 1)]
    out = np.concatenate([geoms[alone], _polygons(np.asarray(merged, dtype=object))])
    return out, int((~alone).sum())


def _candidate_cells(pieces: NDArray[Any], resolution: int) -> list[str]:
    """Every H3 cell that may intersect a piece (a superset; exact tests come later).

    A cell meeting a piece either holds part of its outline, or lies wholly inside it.
    The outline is densified to a quarter of the cell edge and the cells of its
    vertices are taken with their neighbours (a segment shorter than an edge cannot
    cross a cell that is not next to the cells of its ends). Cells wholly inside are
    the centre-inside cells (``h3.geo_to_cells``) of the pieces wide enough to hold one.
    """
    edge_deg = h3.average_hexagon_edge_length(resolution, unit="m") / _M_PER_DEG
    rings = shapely.segmentize(shapely.boundary(pieces), max_segment_length=edge_deg / 4)
    xy = shapely.get_coordinates(rings)
    vertex_cells = {h3.latlng_to_cell(y, x, resolution) for x, y in xy.tolist()}
    cells: set[str] = set()
    for c in vertex_cells:
        cells.update(h3.grid_disk(c, 1))
    b = shapely.bounds(pieces)
    wide = np.minimum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) >= edge_deg
    for piece in pieces[wide]:
        cells.update(h3.geo_to_cells(piece, resolution))
    return sorted(cells)


def settlement_weights(areas: AreaTable, layer: SettlementLayer, *, resolution: int) -> PairWeights:
    """Settlement area (m²) per ``(area, cell)`` pair, by exact intersection.

    Parameters
    ----------
    areas : AreaTable
        The source areas (lon/lat).
    layer : SettlementLayer
        The settlements.
    resolution : int
        H3 resolution of the cells.

    Returns
    -------
    PairWeights
        Method ``settlements``; weights in m² (only pairs with a positive area).
    """
    a_geoms = np.asarray(areas.geoms, dtype=object)
    bad = ~shapely.is_valid(a_geoms)
    if np.any(bad):
        a_geoms = a_geoms.copy()
        a_geoms[bad] = shapely.make_valid(a_geoms[bad])
    shapely.prepare(a_geoms)
    s = layer.geoms
    # settlement x area pieces: whole when inside, cut otherwise
    tree = shapely.STRtree(s)
    ai, si = tree.query(a_geoms, predicate="intersects")
    inside = shapely.contains_properly(a_geoms[ai], s[si])
    cut = shapely.intersection(s[si[~inside]], a_geoms[ai[~inside]])
    piece_geoms = np.concatenate([s[si[inside]], cut])
    piece_area = np.concatenate([ai[inside], ai[~inside]])
    parts, owner = _explode(piece_geoms)
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    pieces = np.asarray(parts[keep], dtype=object)
    piece_area = piece_area[owner[keep]]
    in_areas_m2 = float(equal_area_m2(pieces).sum())
    # pieces x hexagons
    cand = _candidate_cells(pieces, resolution) if len(pieces) else []
    hexes = hexagons(cand)
    pk, hk = shapely.STRtree(hexes).query(pieces, predicate="intersects")
    frags = shapely.intersection(pieces[pk], hexes[hk])
    m2 = equal_area_m2(frags)
    pos = m2 > 0
    pk, hk, frags, m2 = pk[pos], hk[pos], frags[pos], m2[pos]
    area_idx = piece_area[pk]
    # group fragments per (area, cell); the largest fragment gives the pair's point
    order = np.lexsort((-m2, hk, area_idx))
    area_idx, hk, frags, m2 = area_idx[order], hk[order], frags[order], m2[order]
    first = np.ones(area_idx.size, dtype=bool)
    first[1:] = (area_idx[1:] != area_idx[:-1]) | (hk[1:] != hk[:-1])
    group = np.cumsum(first) - 1
    weight = np.bincount(group, weights=m2) if m2.size else np.zeros(0)
    points = shapely.point_on_surface(frags[first])
    return PairWeights(
        method="settlements",
        description=(
            "settlement area (RBI PEMUKIMAN) inside the area and the cell, m² by exact "
            f"polygon intersection in an equal-area projection ({EQUAL_AREA_CRS})"
        ),
        area=area_idx[first].astype(np.int64),
        cells=[cand[h] for h in hk[first].tolist()],
        weight=np.asarray(weight, dtype=np.float64),
        lon=np.asarray(shapely.get_x(points), dtype=np.float64),
        lat=np.asarray(shapely.get_y(points), dtype=np.float64),
        data={
            "settlements": layer.rows,
            "polygons": len(layer.geoms),
            "dissolved_overlapping": layer.dissolved,
            "sources": layer.sources,
            "area_km2": round(layer.area_m2 / 1e6, 3),
            "area_in_areas_km2": round(in_areas_m2 / 1e6, 3),
            "equal_area_crs": EQUAL_AREA_CRS,
        },
        notes=(
            [f"{layer.dissolved} overlapping settlement polygons were dissolved (counted once)"]
            if layer.dissolved
            else []
        ),
    )
