"""The road networks the API serves, loaded at start-up."""

from __future__ import annotations

import hashlib
import logging
import math
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypedDict

import shapely
from sqlalchemy import Connection

from data.demo_roads import roads
from geo_api.errors import GraphNotBuiltError
from geo_api.settings import RoutingSettings
from layers.points import ferry_link_rows
from routing.build import (
    DEFAULT_CLASS,
    JOIN_TOLERANCE_M,
    MIN_COMPONENT_KM,
    BuildReport,
    build_graph,
)
from routing.compiled import FORMAT_VERSION, CompiledGraph
from routing.errors import GraphBuildError, UnknownProfileError
from routing.ferry import FerryLink
from routing.network import Network, compile_and_save, graph_path, load_networks
from routing.profiles import PROFILES, Profile, get_profile
from routing.store import write_store
from routing.stream_build import NetworkBuild, build_network

log = logging.getLogger("lampung_geo.api")


def load_all(graph_dir: Path, *, snap_max_m: float) -> dict[str, Network]:
    """Load every compiled graph of ``graph_dir`` and log how long each took."""

    def skipped(path: Path, exc: Exception) -> None:
        log.error("graph %s not loaded: %s; rebuild it with `lampung-geo graph build`", path, exc)

    networks = load_networks(graph_dir, snap_max_m=snap_max_m, on_error=skipped)
    for name, net in networks.items():
        log.info(
            "graph %s: %d nodes, %d edges, loaded in %.2f s (%s engine)",
            name,
            net.compiled.n_nodes,
            net.compiled.n_edges,
            net.load_seconds,
            net.engine.kind,
        )
    if not networks:
        log.warning("no compiled graphs in %s: routing endpoints will answer 503", graph_dir)
    return networks


def network_for(networks: dict[str, Network], profile: str) -> Network:
    """The network of a profile, or a clear error naming what exists."""
    if profile not in PROFILES:
        msg = f"unknown profile {profile!r}; profiles: {sorted(PROFILES)}"
        raise UnknownProfileError(msg)
    net = networks.get(profile)
    if net is None:
        msg = (
            f"no road graph is loaded for profile {profile!r} (loaded: {sorted(networks)}); "
            "build one with `lampung-geo graph build`"
        )
        raise GraphNotBuiltError(msg, field="profile")
    return net


def ferries_from_db(conn: Connection) -> list[FerryLink]:
    """The database's ferry links as routing ferry links."""
    links = []
    for row in ferry_link_rows(conn):
        links.append(
            FerryLink(
                link_id=int(row["id"]),
                name=str(row["name"]),
                from_lonlat=(float(row["from_lon"]), float(row["from_lat"])),
                to_lonlat=(float(row["to_lon"]), float(row["to_lat"])),
                crossing_minutes=float(row["crossing_minutes"]),
                departures_per_day=int(row["departures_per_day"]),
                geometry=shapely.from_wkt(row["wkt"]) if row["wkt"] else None,
            )
        )
    return links


class BuildOptions(TypedDict):
    """Graph-build options of the routing settings (see :func:`build_options`)."""

    join_tolerance_m: float
    min_component_km: float
    default_class: str | None
    motorcycle_path_speed_kph: float | None


def build_options(routing: RoutingSettings) -> BuildOptions:
    """The graph-build options of the settings, for ``build_network_file(..., **options)``.

    ``default_class="none"`` becomes None (refuse a ``.shp`` without its ``.dbf``).
    """
    default_class = routing.default_class.strip().lower()
    return BuildOptions(
        join_tolerance_m=routing.join_tolerance_m,
        min_component_km=routing.min_component_km,
        default_class=None if default_class == "none" else default_class,
        motorcycle_path_speed_kph=routing.motorcycle_path_speed_kph,
    )


def build_network_file(
    sources: Path | Sequence[Path],
    out: Path,
    *,
    profile: str,
    ferries: Sequence[FerryLink] = (),
    labels: Sequence[str] | None = None,
    preset: str | None = None,
    layer: str | None = None,
    join_tolerance_m: float = JOIN_TOLERANCE_M,
    min_component_km: float = MIN_COMPONENT_KM,
    default_class: str | None = DEFAULT_CLASS,
    motorcycle_path_speed_kph: float | None = None,
    progress: bool = False,
) -> tuple[BuildReport, CompiledGraph, float]:
    """Build one profile's graph from one or several road files, compile it and save it.

    Parameters
    ----------
    sources
        One road file, or several GIS line files built into one graph (e.g. the
        ``JALAN_LN_50K.shp`` of each RBI folder). OSM extracts only one at a time.
    out
        The ``.npz`` file to write (replaced only once the build succeeded).
    profile
        ``motorcycle``, ``car``, ``truck`` or ``walk``.
    ferries
        Scheduled ferry links to add (see :func:`ferries_from_db`).
    labels
        One name per file for the report (default: file name, or
        ``<folder>/<file name>`` where names repeat).
    preset, layer
        Column preset and layer of GIS line files (auto-detected / first layer).
    join_tolerance_m, min_component_km, default_class
        See :func:`routing.build.build_graph` (``default_class=None`` refuses a
        ``.shp`` without its ``.dbf``).
    motorcycle_path_speed_kph
        Motorcycle speed on Jalan Setapak / OSM ``path`` for a ``motorcycle``
        build: None keeps the profile's (10 km/h), 0 bars paths. Ignored for the
        other profiles (cars and trucks never use paths).
    progress
        Show the build stages on stderr.

    Returns
    -------
    report, compiled, seconds
        The build report (per file), the compiled graph and the compile-and-save seconds.

    Raises
    ------
    routing.errors.RoutingError
        ``GraphBuildError`` for bad input (clear message naming the file or
        option), ``UnknownProfileError`` for an unknown profile.
    """
    prof = _profile(profile, motorcycle_path_speed_kph)
    graph, report = build_graph(
        [sources] if isinstance(sources, Path) else list(sources),
        profile=prof,
        labels=labels,
        preset=preset,
        layer=layer,
        join_tolerance_m=join_tolerance_m,
        min_component_km=min_component_km,
        default_class=default_class,
        ferry_links=ferries,
        progress=progress,
    )
    started = time.perf_counter()
    compiled = compile_and_save(graph, out)
    return report, compiled, time.perf_counter() - started


def _profile(name: str, motorcycle_path_speed_kph: float | None) -> Profile:
    """A built-in profile, the motorcycle's path speed set from the settings."""
    prof = get_profile(name)
    if prof.name == "motorcycle" and motorcycle_path_speed_kph is not None:
        kph = motorcycle_path_speed_kph
        if not (math.isfinite(kph) and kph >= 0):
            msg = f"motorcycle_path_speed_kph must be >= 0 (0 bars paths), got {kph}"
            raise GraphBuildError(msg)
        speed = motorcycle_path_speed_kph if motorcycle_path_speed_kph > 0 else None
        prof = replace(prof, path_speed_kph=speed)
    return prof


def build_network_store(
    sources: Path | Sequence[Path],
    graph_dir: Path,
    *,
    profiles: Sequence[str],
    ferries: Sequence[FerryLink] = (),
    labels: Sequence[str] | None = None,
    preset: str | None = None,
    layer: str | None = None,
    join_tolerance_m: float = JOIN_TOLERANCE_M,
    min_component_km: float = MIN_COMPONENT_KM,
    default_class: str | None = DEFAULT_CLASS,
    motorcycle_path_speed_kph: float | None = None,
    progress: bool = False,
) -> tuple[NetworkBuild, float]:
    """Build every profile at once with the streaming build and write a network store.

    The store (format 3, ``docs/network-store.md``) is ``graph_dir/network/`` plus one
    ``graph_dir/<profile>.npz`` per profile; ``graph_dir`` is replaced as a whole once
    everything is written (format-2 files of other profiles in it are kept).

    Parameters
    ----------
    sources, ferries, labels, preset, layer, join_tolerance_m, min_component_km,
    default_class, motorcycle_path_speed_kph, progress
        As for :func:`build_network_file`.
    graph_dir
        The graph folder.
    profiles
        The profiles to build (together: they share one base network).

    Returns
    -------
    build, seconds
        What was built (base arrays, profile times, one report per profile) and the
        seconds the store took to write.

    Raises
    ------
    routing.errors.RoutingError
        As :func:`build_network_file`; ``StoreError`` if the store cannot be written.
    """
    profs = [_profile(name, motorcycle_path_speed_kph) for name in profiles]
    built = build_network(
        [sources] if isinstance(sources, Path) else list(sources),
        profiles=profs,
        labels=labels,
        preset=preset,
        layer=layer,
        join_tolerance_m=join_tolerance_m,
        min_component_km=min_component_km,
        default_class=default_class,
        ferry_links=ferries,
        progress=progress,
    )
    started = time.perf_counter()
    write_store(graph_dir, built.base, built.profiles, meta=built.meta)
    return built, time.perf_counter() - started


def build_demo_graphs(conn: Connection, graph_dir: Path) -> list[str]:
    """Build the demo road network's graphs for every profile (skips unchanged ones)."""
    links = ferries_from_db(conn)
    built = []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "demo_roads.geojson"
        roads().to_file(src, driver="GeoJSON")
        stamp = hashlib.sha256(
            src.read_bytes() + repr(links).encode() + f"format {FORMAT_VERSION}".encode()
        ).hexdigest()
        for name in PROFILES:
            target = graph_path(graph_dir, name)
            stamp_file = target.with_suffix(".stamp")
            if target.exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
                continue
            build_network_file(src, target, profile=name, ferries=links)
            stamp_file.write_text(stamp)
            built.append(name)
    return built
