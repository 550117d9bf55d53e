"""Snap lon/lat locations to the nearest point of the road network.

Locations snap to the nearest point on the nearest edge *segment* (not to the
nearest node), so a house beside the middle of a long road starts its trip in
the middle of that road. Distances are computed in the UTM zone of the graph's
centre (EPSG:32748, UTM 48S, for both Lampung and Jakarta), whose scale error is
below 0.04 % inside the zone; one projection for the whole graph keeps the
segment index a single planar grid (:mod:`routing.snap_index`: numpy arrays, no
Python object per segment, shared by the profiles of a network store).

Two-way roads have two directed edges with the same geometry (twins, see
:attr:`routing.compiled.CompiledGraph.edge_twin`); only one of them is indexed and
the engine leaves over the twin when that is shorter. A profile snaps only to roads
it may use in at least one direction; when it may use only the twin of the indexed
edge (a one-way road digitised against its direction), the snap is on the twin at
``1 - t``. Ferry edges are not snapped to (a point at sea should not become a trip
start halfway across the strait).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pyproj

from routing.errors import OffNetworkError
from routing.snap_index import GridIndex, build_grid_index

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

    from routing.compiled import CompiledGraph

__all__ = [
    "Snap",
    "SnapArrays",
    "Snapper",
    "indexed_arcs",
    "node_snap",
    "utm_crs_for",
]

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
    true; ``distance_m`` always holds the distance to the nearest usable segment
    (``inf`` for locations far outside the network's area).
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
        ``t = 0`` on one of the node's usable out-edges (or ``t = 1`` on a usable
        in-edge when it has none).
    """
    lon, lat = float(cg.node_lon[node]), float(cg.node_lat[node])
    start, stop = int(cg.indptr[node]), int(cg.indptr[node + 1])
    usable = np.flatnonzero(np.isfinite(cg.edge_time[start:stop]))
    if usable.shape[0]:
        return Snap(edge=start + int(usable[0]), t=0.0, lon=lon, lat=lat)
    incoming = np.flatnonzero((np.asarray(cg.edge_head) == node) & np.isfinite(cg.edge_time))
    if incoming.shape[0] == 0:
        msg = f"node index {node} has no edges"
        raise ValueError(msg)
    return Snap(edge=int(incoming[0]), t=1.0, lon=lon, lat=lat)


def indexed_arcs(
    twin: NDArray[np.integer], ferry: NDArray[np.bool_], *, include_ferries: bool = False
) -> NDArray[np.int64]:
    """Arcs whose segments go into a snapping index: one direction of each two-way road.

    Of two twins (the same line run both ways) the one with the lower index is indexed.
    """
    twin = np.asarray(twin, dtype=np.int64)
    edges = np.arange(twin.shape[0], dtype=np.int64)
    keep = ~((twin >= 0) & (twin < edges))
    if not include_ferries:
        keep &= ~np.asarray(ferry, dtype=bool)
    return edges[keep]


class Snapper:
    """Nearest-segment snapping over a compiled graph (one profile).

    Parameters
    ----------
    cg : CompiledGraph
        The compiled graph (or a profile's view of a network store).
    crs : pyproj.CRS or str, optional
        Metric CRS used for distances; defaults to the UTM zone of the graph's
        centre (:func:`utm_crs_for`). Ignored when ``index`` is given.
    include_ferries : bool, default False
        Also index ferry edges. Ignored when ``index`` is given.
    index : GridIndex, optional
        A prebuilt index (a network store's, shared by its profiles); built from
        ``cg`` when omitted.
    twin : numpy.ndarray, optional
        The twins the index was built with (a store's base twins); default
        ``cg.edge_twin``.
    """

    def __init__(
        self,
        cg: CompiledGraph,
        *,
        crs: pyproj.CRS | str | None = None,
        include_ferries: bool = False,
        index: GridIndex | None = None,
        twin: NDArray[np.int32] | None = None,
    ) -> None:
        self.compiled = cg
        self._twin = np.asarray(cg.edge_twin if twin is None else twin)
        if index is None:
            if crs is None:
                crs = utm_crs_for(float(np.mean(cg.node_lon)), float(np.mean(cg.node_lat)))
            epsg = pyproj.CRS.from_user_input(crs).to_epsg()
            if epsg is None:
                msg = f"the snapping CRS needs an EPSG code, got {crs!r}"
                raise ValueError(msg)
            to_xy = pyproj.Transformer.from_crs(4326, epsg, always_xy=True)
            x, y = to_xy.transform(cg.geom_coords[:, 0], cg.geom_coords[:, 1])
            arcs = indexed_arcs(self._twin, cg.edge_ferry, include_ferries=include_ferries)
            index = build_grid_index(
                np.column_stack([x, y]), cg.geom_offsets, arcs, n_arcs=cg.n_edges, epsg=epsg
            )
        self.index = index
        self.crs = pyproj.CRS.from_epsg(index.epsg)
        self._to_xy = pyproj.Transformer.from_crs(4326, self.crs, always_xy=True)
        time = np.asarray(cg.edge_time)
        usable = np.isfinite(time)
        if bool(np.all(usable)):
            self._seg_ok: NDArray[np.bool_] | None = None
        else:  # roads this profile may use in at least one direction
            tw = self._twin.astype(np.int64)
            road_ok = usable | ((tw >= 0) & usable[np.maximum(tw, 0)])
            self._seg_ok = road_ok[np.asarray(index.seg_edge)]
        self._usable = usable

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
            found, dist = self.index.nearest(x[idx], y[idx], self._seg_ok)
            ok = found >= 0
            seg[idx[ok]] = found[ok]
            distance[idx[ok]] = dist[ok]
        ix = self.index
        if ix.n_segments == 0:
            seg_s = np.zeros(lon.shape[0], dtype=np.float64)
            edge = np.zeros(lon.shape[0], dtype=np.int64)
            t = np.zeros(lon.shape[0])
            a_idx = np.zeros(lon.shape[0], dtype=np.int64)
        else:
            _, seg_s = ix.point_segment(np.nan_to_num(x), np.nan_to_num(y), seg)
            edge = np.asarray(ix.seg_edge)[seg].astype(np.int64)
            arc_len = np.asarray(ix.arc_len)[edge]
            with np.errstate(invalid="ignore", divide="ignore"):
                t = (np.asarray(ix.seg_before)[seg] + seg_s * np.asarray(ix.seg_len)[seg]) / arc_len
            t = np.clip(np.where(arc_len > 0, t, 0.0), 0.0, 1.0)
            a_idx = np.asarray(ix.seg_start)[seg]
        coords = self.compiled.geom_coords
        ll_a = coords[a_idx]
        ll_b = coords[np.minimum(a_idx + 1, coords.shape[0] - 1)]
        snapped = ll_a + seg_s[:, None] * (ll_b - ll_a)
        # a road usable only against the indexed direction: the snap is on its twin
        flip = ~self._usable[edge]
        if np.any(flip):
            edge = np.where(flip, self._twin[edge], edge)
            t = np.where(flip, 1.0 - t, t)
        off = ~(distance <= max_distance_m)
        return SnapArrays(
            edge=np.where(off, -1, edge).astype(np.int64),
            t=np.where(off, np.nan, t),
            lon=np.where(off, np.nan, snapped[:, 0]),
            lat=np.where(off, np.nan, snapped[:, 1]),
            distance_m=distance,
            off_network=off,
        )

    @cached_property
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
