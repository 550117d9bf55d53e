"""The road networks the API serves, loaded at start-up."""

from __future__ import annotations

import hashlib
import logging
import tempfile
import time
from pathlib import Path

import shapely
from sqlalchemy import Connection

from data.demo_roads import roads
from geo_api.errors import ApiError, register_status
from layers.points import ferry_link_rows
from routing.build import BuildReport, build_graph
from routing.compiled import FORMAT_VERSION, CompiledGraph
from routing.errors import UnknownProfileError
from routing.ferry import FerryLink
from routing.network import Network, compile_and_save, graph_path, load_networks
from routing.profiles import PROFILES

log = logging.getLogger("lampung_geo.api")


class GraphNotBuiltError(ApiError):
    """No compiled graph exists for the requested profile."""


register_status(GraphNotBuiltError, 503)


def load_all(graph_dir: Path) -> dict[str, Network]:
    """Load every compiled graph of ``graph_dir`` and log how long each took."""

    def skipped(path: Path, exc: Exception) -> None:
        log.error("graph %s not loaded: %s; rebuild it with `lampung-geo graph build`", path, exc)

    networks = load_networks(graph_dir, on_error=skipped)
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


def build_network_file(
    source: Path,
    out: Path,
    *,
    profile: str,
    ferries: list[FerryLink],
    preset: str | None = None,
    layer: str | None = None,
    progress: bool = False,
) -> tuple[BuildReport, CompiledGraph, float]:
    """Build, add ferries, compile and save one profile's graph.

    Returns the build report, the compiled graph and the compile-and-save seconds.
    """
    graph, report = build_graph(
        source, profile=profile, preset=preset, layer=layer, ferry_links=ferries, progress=progress
    )
    started = time.perf_counter()
    compiled = compile_and_save(graph, out)
    return report, compiled, time.perf_counter() - started


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
