"""The loaded road network as map lines, so that maps stay readable without base tiles.

Glue between :mod:`routing` (the compiled graph's edge geometry) and the web pages:
each undirected road edge once, with its bounding box, selected by a view's bbox and
capped, most important roads first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from routing.compiled import CompiledGraph

# Smaller rank: drawn first and kept when the cap cuts.
HIGHWAY_RANK = {
    "motorway": 0,
    "trunk": 1,
    "primary": 2,
    "secondary": 3,
    "tertiary": 4,
    "unclassified": 5,
    "residential": 6,
}
OTHER_RANK = 7
ROUND = 5


@dataclass(frozen=True, slots=True)
class RoadLines:
    """Undirected road edges of a graph with their boxes, sorted by importance."""

    edges: NDArray[np.int64]
    rank: NDArray[np.int64]
    box: NDArray[np.float64]  # (m, 4): minx, miny, maxx, maxy
    graph: CompiledGraph


def road_lines(graph: CompiledGraph) -> RoadLines:
    """The road lines of a compiled graph (each two-way road once, most important first)."""
    m = graph.n_edges
    idx = np.arange(m, dtype=np.int64)
    rev = graph.edge_twin.astype(np.int64)
    keep = ((rev < 0) | (idx < rev)) & ~graph.edge_ferry
    edges = idx[keep]
    names = graph.highways[graph.edge_highway[edges]]
    rank = np.array([HIGHWAY_RANK.get(str(h), OTHER_RANK) for h in names], dtype=np.int64)
    starts = graph.geom_offsets[:-1]  # every edge has at least two positions
    xs, ys = graph.geom_coords[:, 0], graph.geom_coords[:, 1]
    box = np.column_stack(
        [
            np.minimum.reduceat(xs, starts),
            np.minimum.reduceat(ys, starts),
            np.maximum.reduceat(xs, starts),
            np.maximum.reduceat(ys, starts),
        ]
    )[edges]
    order = np.argsort(rank, kind="stable")
    return RoadLines(edges=edges[order], rank=rank[order], box=box[order], graph=graph)


def roads_in_view(
    lines: RoadLines,
    bbox: tuple[float, float, float, float] | None,
    *,
    limit: int,
    max_rank: int = OTHER_RANK,
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the road lines meeting ``bbox``.

    Parameters
    ----------
    lines
        The road lines of a graph (:func:`road_lines`, cached by the caller).
    bbox
        ``(minx, miny, maxx, maxy)`` in lon/lat; None for everything.
    limit
        At most this many lines, the most important first.
    max_rank
        Leave out roads less important than this rank (see ``HIGHWAY_RANK``).
    """
    graph = lines.graph
    mask = lines.rank <= max_rank
    if bbox is not None:
        minx, miny, maxx, maxy = bbox
        b = lines.box
        mask &= (b[:, 0] <= maxx) & (b[:, 2] >= minx) & (b[:, 1] <= maxy) & (b[:, 3] >= miny)
    chosen = np.flatnonzero(mask)
    matched = len(chosen)
    features = []
    for i in chosen[:limit]:
        e = int(lines.edges[i])
        coords = np.round(graph.edge_coords(e), ROUND).tolist()
        features.append(
            {
                "type": "Feature",
                "id": e,
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": {
                    "highway": str(graph.highways[graph.edge_highway[e]]),
                    "name": str(graph.names[graph.edge_name[e]]),
                    "rank": int(lines.rank[i]),
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": len(features),
        "features": features,
    }
