"""What one travel profile may use of the base arcs, and at what speed.

The rules of :func:`routing.build.build_graph` (``_apply_profile``, ferry-end
connectors, scheduled ferry links, two-way walking), on arrays:

* a speed is computed once per distinct ``(ferry, class, maxspeed, access)``
  combination (:data:`routing.raw.Combo`) and broadcast to the arcs; a ferry with an
  OSM ``duration`` gets the speed that its length and duration imply;
* a ferry end that touches no road the profile may use is joined to the nearest such
  road node within :data:`FERRY_CONNECT_M` by two connector arcs;
* scheduled ferry links are attached to the nodes nearest their terminals among the
  nodes the profile uses (:func:`routing.ferry.add_ferry_links`);
* a profile that ignores one-way rules (walking) also uses the reverse arcs of
  one-way roads.

Connectors and links depend on the profile (its node set), so each profile returns
its own :class:`ExtraArc` list; the build merges equal ones into shared arcs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod
from scipy.spatial import cKDTree

from routing.errors import GraphBuildError
from routing.ferry import FerryLink, _haversine_m, expected_wait_minutes
from routing.osm import ACCESS_TAGS
from routing.profiles import FERRY_SPEED_KPH, Profile
from routing.raw import Combo, RawNetwork
from routing.stream_base import LOOP_DROPPED, LOOP_SPLIT, MIN_LENGTH_M, BaseArcs

__all__ = [
    "CONNECTOR",
    "FERRY_CONNECT_M",
    "LINK",
    "ExtraArc",
    "ProfileUse",
    "combo_speeds",
    "profile_use",
]

#: A ferry end farther than this from any road is left unconnected.
FERRY_CONNECT_M = 500.0
#: Largest distance between a scheduled ferry terminal and its node.
FERRY_LINK_CONNECT_M = 5000.0
#: Kinds of extra arcs.
CONNECTOR, LINK = 1, 2
#: The name of ferry-terminal connectors.
CONNECTOR_NAME = "ferry terminal connector"

_GEOD = Geod(ellps="WGS84")
#: Smallest radius of curvature of the WGS 84 ellipsoid (metres): a geodesic distance
#: d is never shorter than this radius times the angle, so a search of d / radius
#: radians on the unit sphere finds every node within d.
_MIN_RADIUS_M = 6_335_439.0


@dataclass(frozen=True)
class ExtraArc:
    """A connector or scheduled-ferry arc that one profile adds."""

    kind: int
    tail: int
    head: int
    coords: tuple[tuple[float, float], ...]
    length: float
    time: float
    link: int = -1

    @property
    def key(self) -> tuple[int, int, int, int]:
        """Equal keys are one arc shared by the profiles."""
        return (self.kind, self.link, self.tail, self.head)


@dataclass
class ProfileUse:
    """
    One profile's arcs before components are chosen.

    Attributes
    ----------
    profile
        The profile.
    time
        Seconds per base arc; ``inf`` where the profile may not use it.
    oneway_share
        Per base arc, the share of road km it stands for (1 for a one-way road the
        profile respects, else 0.5).
    extras
        Connector and ferry-link arcs.
    forbidden_edges, self_loops_split, loops_dropped
        Report counts (raw edges).
    km_forbidden
        Road barred by the profile, per source index.
    """

    profile: Profile
    time: NDArray[np.float64]
    oneway_share: NDArray[np.float64]
    extras: list[ExtraArc] = field(default_factory=list)
    forbidden_edges: int = 0
    self_loops_split: int = 0
    loops_dropped: int = 0
    km_forbidden: dict[int, float] = field(default_factory=dict)
    connectors: int = 0
    links: int = 0


def combo_speeds(combos: Sequence[Combo], prof: Profile) -> NDArray[np.float64]:
    """
    Speed (km/h) of the profile on each distinct attribute combination; NaN where barred.

    Parameters
    ----------
    combos
        The combinations of a raw network.
    prof
        The profile.

    Returns
    -------
    numpy.ndarray
        One speed per combination.
    """
    out = np.full(len(combos), np.nan)
    for i, (is_ferry, highway, maxspeed, access) in enumerate(combos):
        tags = {k: a for k, a in zip(ACCESS_TAGS, access, strict=True) if a is not None}
        if is_ferry:
            allowed = prof.ferry_allowed and prof.access_verdict(tags) is not False
            speed = FERRY_SPEED_KPH if allowed else None
        else:
            speed = prof.edge_speed_kph(highway, maxspeed, access=tags)  # type: ignore[arg-type]
        if speed is not None:
            out[i] = speed
    return out


def profile_use(
    raw: RawNetwork,
    base: BaseArcs,
    prof: Profile,
    *,
    ferry_links: Sequence[FerryLink] = (),
) -> ProfileUse:
    """
    The arcs, speeds, connectors and ferry links of one profile (see the module docstring).

    Parameters
    ----------
    raw
        The raw network (attributes of the raw edges).
    base
        The base arcs made from it.
    prof
        The profile.
    ferry_links
        Scheduled ferry links to attach.

    Returns
    -------
    ProfileUse
        Times over the base arcs and the profile's extra arcs.

    Raises
    ------
    GraphBuildError
        If ferry links are given and the profile uses no road, or a terminal is
        farther than 5 km from every node the profile uses.
    """
    raw_speed = combo_speeds(raw.combos, prof)[raw.combo]
    allowed = ~np.isnan(raw_speed)
    use = ProfileUse(profile=prof, time=np.full(base.n_arcs, np.inf), oneway_share=np.zeros(0))
    forb = ~allowed
    use.forbidden_edges = int(np.count_nonzero(forb))
    src = raw.source[forb].astype(np.int64)
    if len(src):
        km = np.bincount(src, weights=raw.road_weight_km()[forb])
        use.km_forbidden = {i: float(k) for i, k in enumerate(km.tolist())}
    use.self_loops_split = int(np.count_nonzero(allowed & (base.loop == LOOP_SPLIT)))
    use.loops_dropped = int(np.count_nonzero(allowed & (base.loop == LOOP_DROPPED)))
    speed = raw_speed[base.raw]
    minutes = raw.duration_min[base.raw]
    timed = raw.ferry[base.raw] & ~np.isnan(minutes) & (minutes > 0) & ~np.isnan(speed)
    speed = np.where(timed, base.length / 1000.0 / (np.where(timed, minutes, 1.0) / 60.0), speed)
    forward = ~np.isnan(speed) & ~base.reverse
    usable = forward | (~np.isnan(speed) & base.reverse & (not prof.respect_oneway))
    use.time = np.where(usable, base.length / (np.where(usable, speed, 1.0) / 3.6), np.inf)
    one = raw.oneway[base.raw] & ~base.reverse & prof.respect_oneway
    use.oneway_share = np.where(one, 1.0, 0.5)
    is_ferry = raw.ferry[base.raw]
    use.extras = _connectors(base, prof, forward & ~is_ferry, forward & is_ferry)
    use.connectors = len(use.extras)
    links = list(ferry_links)
    if links:
        touched = np.zeros(len(base.node_ids), dtype=bool)
        touched[base.tail[forward]] = True
        touched[base.head[forward]] = True
        found = _links(base, np.flatnonzero(touched), links)
        use.extras.extend(found)
        use.links = len(links)
    return use


def _connectors(
    base: BaseArcs, prof: Profile, road: NDArray[np.bool_], ferry: NDArray[np.bool_]
) -> list[ExtraArc]:
    """Join ferry ends that touch no road to the nearest road node within FERRY_CONNECT_M."""
    n = len(base.node_ids)
    road_node = np.zeros(n, dtype=bool)
    road_node[base.tail[road]] = True
    road_node[base.head[road]] = True
    ferry_node = np.zeros(n, dtype=bool)
    ferry_node[base.tail[ferry]] = True
    ferry_node[base.head[ferry]] = True
    dangling = np.flatnonzero(ferry_node & ~road_node)
    roads = np.flatnonzero(road_node)
    if len(dangling) == 0 or len(roads) == 0:
        return []
    lon, lat = base.node_lon, base.node_lat
    tree = cKDTree(_unit_xyz(lon[roads], lat[roads]))
    radius = 2.0 * math.sin(min(1.01 * FERRY_CONNECT_M / _MIN_RADIUS_M, math.pi) / 2.0)
    speed = prof.edge_speed_kph("service") or prof.default_speed_kph
    out: list[ExtraArc] = []
    for node in dangling.tolist():
        x, y = float(lon[node]), float(lat[node])
        cand = np.sort(
            np.asarray(
                tree.query_ball_point(_unit_xyz(np.array([x]), np.array([y]))[0], radius),
                dtype=np.int64,
            )
        )
        if len(cand) == 0:
            continue
        _, _, dist = _GEOD.inv(
            np.full(len(cand), x), np.full(len(cand), y), lon[roads[cand]], lat[roads[cand]]
        )
        dist = np.asarray(dist, dtype=np.float64)
        best = int(np.argmin(dist))
        if dist[best] > FERRY_CONNECT_M:
            continue
        target = int(roads[cand[best]])
        length = max(float(dist[best]), MIN_LENGTH_M)
        t = (float(lon[target]), float(lat[target]))
        time = length / (speed / 3.6)
        out.append(ExtraArc(CONNECTOR, node, target, ((x, y), t), length, time))
        out.append(ExtraArc(CONNECTOR, target, node, (t, (x, y)), length, time))
    return out


def _unit_xyz(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
    lam, phi = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def _links(base: BaseArcs, nodes: NDArray[np.int64], links: list[FerryLink]) -> list[ExtraArc]:
    """Scheduled ferry links between the nodes nearest their terminals (routing.ferry rules)."""
    if len(nodes) == 0:
        msg = "cannot add ferry links to an empty graph"
        raise GraphBuildError(msg)
    lons, lats = base.node_lon[nodes], base.node_lat[nodes]
    planned = []
    for link in links:
        ends = []
        for label, (lon, lat) in (("from", link.from_lonlat), ("to", link.to_lonlat)):
            dist = _haversine_m(lon, lat, lons, lats)
            best = int(np.argmin(dist))
            if dist[best] > FERRY_LINK_CONNECT_M:
                msg = (
                    f"ferry {link.link_id!r} ({link.name}): {label} terminal ({lon}, {lat}) is "
                    f"{dist[best]:,.0f} m from the nearest road node, more than "
                    f"max_connect_m={FERRY_LINK_CONNECT_M:,.0f}"
                )
                raise GraphBuildError(msg)
            ends.append(int(nodes[best]))
        planned.append((link, ends))
    out: list[ExtraArc] = []
    for index, (link, (u, v)) in enumerate(planned):
        route = link.geometry or shapely.LineString([link.from_lonlat, link.to_lonlat])
        coords = [tuple(c) for c in shapely.get_coordinates(route).tolist()]
        start = (float(base.node_lon[u]), float(base.node_lat[u]))
        stop = (float(base.node_lon[v]), float(base.node_lat[v]))
        line = [start, *[c for c in coords if c not in (start, stop)], stop]
        forward = shapely.LineString(line)
        length = max(float(_GEOD.geometry_length(forward)), MIN_LENGTH_M)
        time = (link.crossing_minutes + expected_wait_minutes(link.departures_per_day)) * 60.0
        pts = tuple((float(a), float(b)) for a, b in line)
        out.append(ExtraArc(LINK, u, v, pts, length, time, link=index))
        out.append(ExtraArc(LINK, v, u, pts[::-1], length, time, link=index))
    return out
