"""Join road lines of different files that were cut at a common border.

Government road data comes as one file per kabupaten, and a road that crosses
the kabupaten line is cut there: one piece ends on the border in each file.
:func:`join_endpoints` makes such ends one vertex, so that the noding of
:func:`routing.lines.lines_to_graph` (which joins lines only at *exactly*
shared vertices) connects them.

Rules
-----
* Only line **endpoints** are joined, and only endpoints of **different**
  files, lying within ``tolerance_m`` metres (geodesic) of each other.
  Endpoints of one file are never joined to each other (a gap inside one
  file is the file's own topology, possibly a real dead end), and lines that
  merely cross are never joined (bridges, overpasses).
* An endpoint is not joined to an *interior* vertex of another file's line.
  Evidence: on the real BIG RBI 1:50k border of Pringsewu and Pesawaran all 63
  Pringsewu endpoints that lie within 1 m of any Pesawaran geometry coincide
  exactly with a Pesawaran **endpoint**; none lies on a Pesawaran line's
  interior (the next-nearest end is 3.4 m away, then 29.7 m). The producer cut
  both files at the same border vertex, so end-to-end joins are what the data
  needs, and joining to interiors would only add false junctions.
* Clusters are formed nearest pair first (union-find in metres); two clusters
  are merged only if they share no file, so a chain of joins can never make
  two distinct endpoints of the same file one vertex. Each cluster gets one
  representative coordinate: that of its member from the lowest file index
  (ties: the smallest coordinate), so the first file's geometry stays exact.
* A vertex that two files share *exactly* is a node like any shared vertex
  (the noding rule of :mod:`routing.lines`); on the RBI folders the only such
  vertices are the 63 border ends, which are counted as joins.
* Every occurrence of a moved coordinate (in any line, endpoint or interior)
  gets the representative, so vertices that were shared exactly stay shared.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod, Transformer
from scipy.spatial import cKDTree

from routing.snap import utm_crs_for

__all__ = ["COORD_DECIMALS", "JoinResult", "join_endpoints", "vertex_keys"]

#: Coordinates are compared after rounding to this many decimal degrees (~1 cm).
COORD_DECIMALS = 7
#: Endpoint pairs of different files up to this many times the tolerance apart
#: are reported as near misses (not joined).
NEAR_FACTOR = 10.0

_GEOD = Geod(ellps="WGS84")


@dataclass
class JoinResult:
    """
    What :func:`join_endpoints` did.

    Attributes
    ----------
    geoms
        The lines, with joined endpoints moved to their cluster's coordinate.
    joins
        Join points: clusters of endpoints from two or more files (endpoints
        that coincide exactly count too).
    moved
        Distinct endpoint coordinates that were moved (joins closer than 1 cm
        but not exact, or up to the tolerance).
    joins_per_source
        Join points that involve each file, by file index.
    near_misses
        ``(metres, lon, lat)`` of endpoint pairs of different files farther
        apart than the tolerance but within ``NEAR_FACTOR`` times it, nearest
        first (not joined).
    """

    geoms: NDArray[np.object_]
    joins: int = 0
    moved: int = 0
    joins_per_source: dict[int, int] = field(default_factory=dict)
    near_misses: list[tuple[float, float, float]] = field(default_factory=list)


def vertex_keys(coords: NDArray[np.float64]) -> NDArray[np.int64]:
    """
    Return the integer keys (coordinates rounded to 1e-7 degrees) of lon/lat points.

    Parameters
    ----------
    coords
        ``(n, 2)`` lon/lat array.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` int64 keys; equal keys mean the same vertex.
    """
    return np.round(coords * 10**COORD_DECIMALS).astype(np.int64)


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def join_endpoints(
    geoms: NDArray[np.object_],
    source: NDArray[np.int64],
    *,
    tolerance_m: float,
) -> JoinResult:
    """
    Make endpoints of lines from different files within a tolerance one vertex.

    Parameters
    ----------
    geoms
        2-D lon/lat LineStrings (at least two vertices each).
    source
        Per line, the index of the file it came from.
    tolerance_m
        Largest geodesic distance, in metres, between two endpoints that are
        joined; 0 joins only endpoints that coincide (to about 1 cm).

    Returns
    -------
    JoinResult
        The moved lines and the join counts (see the module docstring).
    """
    if len(geoms) == 0:
        return JoinResult(geoms=geoms)
    first = shapely.get_coordinates(shapely.get_point(geoms, 0))
    last = shapely.get_coordinates(shapely.get_point(geoms, -1))
    ends = np.vstack([first, last])
    end_src = np.concatenate([source, source]).astype(np.int64)
    keys, pos_of = np.unique(vertex_keys(ends), axis=0, return_inverse=True)
    pos_of = pos_of.ravel()
    n_pos = len(keys)
    coord = np.zeros((n_pos, 2))
    coord[pos_of] = ends  # one coordinate per distinct endpoint position
    files: list[set[int]] = [set() for _ in range(n_pos)]
    for p, s in zip(pos_of.tolist(), end_src.tolist(), strict=True):
        files[p].add(s)

    near_m = max(tolerance_m, 0.0) * NEAR_FACTOR
    pairs, dist = _candidate_pairs(coord, files, radius_m=near_m)
    parent = list(range(n_pos))
    cluster_files = [set(f) for f in files]
    for (i, j), d in zip(pairs.tolist(), dist.tolist(), strict=True):
        if d > tolerance_m:
            break
        ri, rj = _find(parent, i), _find(parent, j)
        if ri == rj or cluster_files[ri] & cluster_files[rj]:
            continue
        parent[rj] = ri
        cluster_files[ri] |= cluster_files[rj]
    roots = np.array([_find(parent, i) for i in range(n_pos)], dtype=np.int64)

    result = JoinResult(geoms=geoms)
    # representative of each cluster: member from the lowest file, then smallest key
    lowest = np.array([min(f) for f in files], dtype=np.int64)
    order = np.lexsort((keys[:, 1], keys[:, 0], lowest, roots))
    rep_of_root: dict[int, int] = {}
    for p in order.tolist():
        rep_of_root.setdefault(int(roots[p]), p)
    for root, _ in rep_of_root.items():
        involved = cluster_files[root]
        if len(involved) >= 2:
            result.joins += 1
            for s in involved:
                result.joins_per_source[s] = result.joins_per_source.get(s, 0) + 1
    rep = np.array([rep_of_root[int(r)] for r in roots], dtype=np.int64)
    moving = np.flatnonzero(rep != np.arange(n_pos))
    result.moved = len(moving)
    for (i, j), d in zip(pairs.tolist(), dist.tolist(), strict=True):
        ri, rj = int(roots[i]), int(roots[j])
        if d > tolerance_m and ri != rj and cluster_files[ri].isdisjoint(cluster_files[rj]):
            mid = (coord[i] + coord[j]) / 2.0
            result.near_misses.append((float(d), float(mid[0]), float(mid[1])))
    if len(moving):
        result.geoms = _move_vertices(geoms, keys[moving], coord[rep[moving]])
    return result


def _candidate_pairs(
    coord: NDArray[np.float64], files: list[set[int]], *, radius_m: float
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Pairs of endpoint positions of different files within radius_m, nearest first."""
    empty = (np.zeros((0, 2), dtype=np.int64), np.zeros(0))
    if len(coord) < 2 or radius_m <= 0 or len({s for f in files for s in f}) < 2:
        return empty
    lon, lat = coord.mean(axis=0)
    to_utm = Transformer.from_crs("EPSG:4326", utm_crs_for(float(lon), float(lat)), always_xy=True)
    x, y = to_utm.transform(coord[:, 0], coord[:, 1])
    # UTM scale error is below 0.1 % in and near the zone; the geodesic check decides
    tree = cKDTree(np.column_stack([x, y]))
    pairs = tree.query_pairs(radius_m * 1.01 + 0.01, output_type="ndarray")
    if len(pairs) == 0:
        return empty
    cross = np.array([files[i].isdisjoint(files[j]) for i, j in pairs.tolist()], dtype=bool)
    pairs = pairs[cross]
    if len(pairs) == 0:
        return empty
    a, b = coord[pairs[:, 0]], coord[pairs[:, 1]]
    _, _, dist = _GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    dist = np.asarray(dist, dtype=np.float64)
    keep = dist <= radius_m
    pairs, dist = pairs[keep], dist[keep]
    order = np.lexsort((pairs[:, 1], pairs[:, 0], dist))
    return pairs[order].astype(np.int64), dist[order]


def _move_vertices(
    geoms: NDArray[np.object_], keys: NDArray[np.int64], targets: NDArray[np.float64]
) -> NDArray[np.object_]:
    """Give every vertex whose key is in ``keys`` the matching target coordinate."""
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    all_keys = vertex_keys(coords)
    lookup = {(int(k[0]), int(k[1])): t for k, t in zip(keys, targets, strict=True)}
    hit = np.flatnonzero(np.isin(all_keys[:, 0], keys[:, 0]) & np.isin(all_keys[:, 1], keys[:, 1]))
    for i in hit.tolist():
        target = lookup.get((int(all_keys[i, 0]), int(all_keys[i, 1])))
        if target is not None:
            coords[i] = target
    return np.asarray(shapely.linestrings(coords, indices=owner), dtype=object)
