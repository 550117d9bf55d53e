"""Snap lon/lat locations to the nearest point of the road network.

Locations snap to the nearest point on the nearest edge *segment* (not to the
nearest node), so a house beside the middle of a long road starts its trip in
the middle of that road. Distances are computed in the UTM zone of the graph's
centre (EPSG:32748, UTM 48S, for both Lampung and Jakarta), whose scale error is
below 0.04 % inside the zone; one projection for the whole graph keeps the
segment index a single planar STRtree.

Two-way roads have two directed edges with the same geometry (twins, see
:attr:`routing.compiled.CompiledGraph.edge_twin`); only one of them is indexed and
the engine leaves over the twin when that is shorter.
Ferry edges are not snapped to (a point at sea should not become a trip start
halfway across the strait).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyproj
import shapely

from routing.errors import OffNetworkError

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

    from routing.compiled import CompiledGraph

__all__ = ["Snap", "SnapArrays", "Snapper", "node_snap", "utm_crs_for"]

DEFAULT_MAX_DISTANCE_M = 2000.0
#: Locations farther than this outside the network's bounding box are not projected
#: (far from the UTM zone a projection can be infinite); they are simply off the network.
FAR_M = 300_000.0


@dataclass(frozen=True, slots=True)
class Snap:
    """A location on the network: a point part-way along one directed edge.

    Attributes
    ----------
    edge : int
        Edge index in the :class:`~routing.compiled.CompiledGraph`.
    t : float
        Position along the edge in ``[0, 1]`` (share of its length, which is
        also the share of its travel time).
    lon, lat : float
        The snapped point.
    distance_m : float
        Distance from the original location to the snapped point, in metres.
    """

    edge: int
    t: float
    lon: float
    lat: float
    distance_m: float = 0.0


@dataclass(frozen=True, slots=True)
class SnapArrays:
    """Vectorised snapping result (see :meth:`Snapper.snap_many`).

    ``edge`` is -1 and ``t``/``lon``/``lat`` are NaN where ``off_network`` is
    true; ``distance_m`` always holds the distance to the nearest segment.
    """

    edge: NDArray[np.int64]
    t: NDArray[np.float64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    distance_m: NDArray[np.float64]
    off_network: NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.edge.shape[0])

    def to_snaps(self) -> list[Snap | None]:
        """Return one :class:`Snap` per location, ``None`` where off the network."""
        return [
            None
            if off
            else Snap(edge=int(e), t=float(t), lon=float(x), lat=float(y), distance_m=float(d))
            for e, t, x, y, d, off in zip(
                self.edge,
                self.t,
                self.lon,
                self.lat,
                self.distance_m,
                self.off_network,
                strict=True,
            )
        ]


def utm_crs_for(lon: float, lat: float) -> pyproj.CRS:
    """Return the WGS 84 / UTM CRS of the zone containing ``(lon, lat)``.

    Parameters
    ----------
    lon, lat : float
        A location in degrees.

    Returns
    -------
    pyproj.CRS
        EPSG:326xx (north) or EPSG:327xx (south); EPSG:32748 for Lampung.
    """
    zone = int(np.floor((lon + 180.0) / 6.0)) % 60 + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def node_snap(cg: CompiledGraph, node: int) -> Snap:
    """Return a zero-distance snap located exactly at a graph node.

    Parameters
    ----------
    cg : CompiledGraph
        The compiled graph.
    node : int
        Node *index* (see :meth:`CompiledGraph.node_index`).

    Returns
    -------
    Snap
        ``t = 0`` on one of the node's out-edges (or ``t = 1`` on an in-edge
        when it has none).
    """
    lon, lat = float(cg.node_lon[node]), float(cg.node_lat[node])
    start, stop = int(cg.indptr[node]), int(cg.indptr[node + 1])
    if stop > start:
        return Snap(edge=start, t=0.0, lon=lon, lat=lat)
    incoming = np.flatnonzero(cg.edge_head == node)
    if incoming.shape[0] == 0:
        msg = f"node index {node} has no edges"
        raise ValueError(msg)
    return Snap(edge=int(incoming[0]), t=1.0, lon=lon, lat=lat)


class Snapper:
    """Nearest-segment snapping index over a compiled graph.

    Parameters
    ----------
    cg : CompiledGraph
        The compiled graph.
    crs : pyproj.CRS or str, optional
        Metric CRS used for distances; defaults to the UTM zone of the graph's
        centre (:func:`utm_crs_for`).
    include_ferries : bool, default False
        Also index ferry edges.
    """

    def __init__(
        self,
        cg: CompiledGraph,
        *,
        crs: pyproj.CRS | str | None = None,
        include_ferries: bool = False,
    ) -> None:
        self.compiled = cg
        if crs is None:
            crs = utm_crs_for(float(np.mean(cg.node_lon)), float(np.mean(cg.node_lat)))
        self.crs = pyproj.CRS.from_user_input(crs)
        self._to_xy = pyproj.Transformer.from_crs(4326, self.crs, always_xy=True)
        edges = _indexed_edges(cg, include_ferries=include_ferries)
        coords = cg.geom_coords
        xs, ys = self._to_xy.transform(coords[:, 0], coords[:, 1])
        xy = np.column_stack([xs, ys])
        # segments k -> k+1 inside each indexed edge
        starts, stops = cg.geom_offsets[edges], cg.geom_offsets[edges + 1] - 1
        counts = stops - starts
        seg_edge = np.repeat(edges, counts)
        first = np.repeat(starts - np.cumsum(counts) + counts, counts)
        seg_a = first + np.arange(seg_edge.shape[0])
        seg_len = np.hypot(*(xy[seg_a + 1] - xy[seg_a]).T)
        # cumulative length before each segment within its edge, and edge lengths
        cum = np.cumsum(seg_len)
        edge_start = np.repeat(np.cumsum(counts) - counts, counts)
        before = cum - seg_len - np.where(edge_start > 0, cum[np.maximum(edge_start - 1, 0)], 0.0)
        total = np.zeros(cg.n_edges, dtype=np.float64)
        np.add.at(total, seg_edge, seg_len)
        self._seg_edge = seg_edge
        self._seg_a = seg_a
        self._seg_before = before
        self._seg_len = seg_len
        self._edge_len = total
        self._xy = xy
        segments = np.asarray(shapely.linestrings(np.stack([xy[seg_a], xy[seg_a + 1]], 1)))
        self._tree = shapely.STRtree(segments)

    def snap(
        self, lon: float, lat: float, *, max_distance_m: float = DEFAULT_MAX_DISTANCE_M
    ) -> Snap:
        """Snap one location to the nearest point of the network.

        Parameters
        ----------
        lon, lat : float
            Location in degrees (EPSG:4326).
        max_distance_m : float, default 2000.0
            Largest accepted distance to the network.

        Returns
        -------
        Snap
            The snapped location.

        Raises
        ------
        OffNetworkError
            If the nearest segment is farther than ``max_distance_m``.
        """
        res = self.snap_many([lon], [lat], max_distance_m=max_distance_m)
        dist = float(res.distance_m[0])
        if res.off_network[0]:
            if np.isfinite(dist):
                msg = (
                    f"location ({lon:.6f}, {lat:.6f}) is {dist:.0f} m from the nearest road, "
                    f"farther than the {max_distance_m:.0f} m snapping limit"
                )
            else:
                dist = self._distance_to_area(lon, lat)
                w, s_, e, n = self.bounds
                msg = (
                    f"location ({lon:.6f}, {lat:.6f}) is more than {dist / 1000:,.0f} km from "
                    f"the road network (lon {w:.3f}..{e:.3f}, lat {s_:.3f}..{n:.3f}), farther "
                    f"than the {max_distance_m:.0f} m snapping limit"
                )
            raise OffNetworkError(
                msg, distance_m=dist, max_distance_m=max_distance_m, lon=lon, lat=lat
            )
        return Snap(
            edge=int(res.edge[0]),
            t=float(res.t[0]),
            lon=float(res.lon[0]),
            lat=float(res.lat[0]),
            distance_m=dist,
        )

    def snap_many(
        self,
        lons: ArrayLike,
        lats: ArrayLike,
        *,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    ) -> SnapArrays:
        """Snap many locations at once.

        Parameters
        ----------
        lons, lats : array_like of float
            Locations in degrees (EPSG:4326), same length.
        max_distance_m : float, default 2000.0
            Largest accepted distance; farther locations are flagged in
            ``off_network`` instead of raising.

        Returns
        -------
        SnapArrays
            Edge, position, snapped point, distance and off-network mask.
        """
        lon = np.atleast_1d(np.asarray(lons, dtype=np.float64))
        lat = np.atleast_1d(np.asarray(lats, dtype=np.float64))
        if lon.shape != lat.shape or lon.ndim != 1:
            msg = "lons and lats must be 1-d arrays of the same length"
            raise ValueError(msg)
        # Only locations near the network's area are projected and searched: far from
        # the UTM zone's meridian a projection can be infinite or meaningless.
        near = self._near_area(lon, lat, max(max_distance_m, FAR_M))
        x = np.full(lon.shape[0], np.nan)
        y = np.full(lon.shape[0], np.nan)
        if np.any(near):
            x[near], y[near] = self._to_xy.transform(lon[near], lat[near])
        near &= np.isfinite(x) & np.isfinite(y)
        seg = np.zeros(lon.shape[0], dtype=np.int64)  # a valid index for every location
        distance = np.full(lon.shape[0], np.inf)
        idx = np.flatnonzero(near)
        if idx.shape[0]:
            pts = shapely.points(np.column_stack([x[idx], y[idx]]))
            pairs, dist = self._tree.query_nearest(pts, return_distance=True, all_matches=False)
            seg[idx[pairs[0]]] = pairs[1]
            distance[idx[pairs[0]]] = dist
        a = self._xy[self._seg_a[seg]]
        d = self._xy[self._seg_a[seg] + 1] - a
        seg_len2 = np.einsum("ij,ij->i", d, d)
        rel = np.column_stack([x, y]) - a
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.clip(np.einsum("ij,ij->i", rel, d) / seg_len2, 0.0, 1.0)
        s = np.where(seg_len2 > 0, s, 0.0)
        edge = self._seg_edge[seg]
        with np.errstate(invalid="ignore", divide="ignore"):
            t = (self._seg_before[seg] + s * self._seg_len[seg]) / self._edge_len[edge]
        t = np.clip(np.where(self._edge_len[edge] > 0, t, 0.0), 0.0, 1.0)
        ll_a = self.compiled.geom_coords[self._seg_a[seg]]
        ll_b = self.compiled.geom_coords[self._seg_a[seg] + 1]
        snapped = ll_a + s[:, None] * (ll_b - ll_a)
        off = ~(distance <= max_distance_m)
        return SnapArrays(
            edge=np.where(off, -1, edge).astype(np.int64),
            t=np.where(off, np.nan, t),
            lon=np.where(off, np.nan, snapped[:, 0]),
            lat=np.where(off, np.nan, snapped[:, 1]),
            distance_m=distance,
            off_network=off,
        )

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """The network's lon/lat bounding box ``(west, south, east, north)``."""
        cg = self.compiled
        return (
            float(np.min(cg.node_lon)),
            float(np.min(cg.node_lat)),
            float(np.max(cg.node_lon)),
            float(np.max(cg.node_lat)),
        )

    def _distance_to_area(self, lon: float, lat: float) -> float:
        """Geodesic metres to the network's bounding box (a lower bound; inf if not finite)."""
        if not (np.isfinite(lon) and np.isfinite(lat)):
            return float("inf")
        w, s, e, n = self.bounds
        _, _, d = pyproj.Geod(ellps="WGS84").inv(lon, lat, min(max(lon, w), e), min(max(lat, s), n))
        return float(d)

    def _near_area(
        self, lon: NDArray[np.float64], lat: NDArray[np.float64], pad_m: float
    ) -> NDArray[np.bool_]:
        """Finite locations within the network's box grown by ``pad_m`` metres."""
        w, s, e, n = self.bounds
        pad_lat = pad_m / 110_000.0 + 1e-6  # a degree of latitude is >= 110.5 km
        cos = np.cos(np.radians(min(max(abs(s), abs(n)) + pad_lat, 89.0)))
        pad_lon = pad_lat / max(cos, 1e-6)
        with np.errstate(invalid="ignore"):
            return (
                np.isfinite(lon)
                & np.isfinite(lat)
                & (lon >= w - pad_lon)
                & (lon <= e + pad_lon)
                & (lat >= s - pad_lat)
                & (lat <= n + pad_lat)
            )

    def snap_node(self, node_id: int) -> Snap:
        """Return a zero-distance snap at a graph node given by its *graph id*."""
        return node_snap(self.compiled, int(self.compiled.node_index([node_id])[0]))


def _indexed_edges(cg: CompiledGraph, *, include_ferries: bool) -> NDArray[np.int64]:
    """Edges whose segments go into the index: one direction of each two-way road."""
    edges = np.arange(cg.n_edges, dtype=np.int64)
    twin = cg.edge_twin.astype(np.int64)
    keep = ~((twin >= 0) & (twin < edges))  # the twin (same geometry) is indexed
    if not include_ferries:
        keep &= ~cg.edge_ferry
    return edges[keep]
