"""Keep the usable strongly connected components of a road graph, and account for them.

A province import holds kabupaten whose road files do not touch each other
(Kota Metro, Kab. Mesuji), and islands without a ferry in the data: keeping
only the largest strongly connected component would drop whole kabupaten.
:func:`keep_components` keeps **every** strongly connected component with at
least ``min_km`` km of road, and always the largest; routes between kept
components are simply unreachable. Edges between two kept components (a
one-way link from one to the other) are removed too, so that every kept
component stays strongly connected on its own.

:func:`road_km_by_source` and :func:`dropped_fragments` measure road length
per input file (the edges' ``source_index``) for the build report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from routing.report import OUTSIDE_WARN_SHARE, BuildReport, Fragment, KeptComponent

__all__ = [
    "ComponentOutcome",
    "dropped_fragments",
    "finish_source_reports",
    "keep_components",
    "keep_usable_components",
    "road_km_by_source",
    "road_weight",
]

#: Fragments listed per file in the report.
TOP_FRAGMENTS = 5


def road_weight(data: dict[str, Any]) -> float:
    """Kilometres of road one directed edge stands for (half of a two-way road; 0 for ferries)."""
    if data.get("ferry", False):
        return 0.0
    share = 1.0 if data.get("oneway", False) else 0.5
    return float(data.get("length", 0.0)) * share / 1000.0


def road_km_by_source(edges: Iterable[tuple[Any, Any, dict[str, Any]]]) -> dict[int, float]:
    """
    Sum the road length of edges per ``source_index``.

    Parameters
    ----------
    edges
        ``(u, v, data)`` triples; edges without ``source_index`` count as -1.

    Returns
    -------
    dict
        Kilometres of road (two-way roads once) by source index.
    """
    km: dict[int, float] = {}
    for _, _, data in edges:
        s = int(data.get("source_index", -1))
        km[s] = km.get(s, 0.0) + road_weight(data)
    return km


@dataclass
class ComponentOutcome:
    """
    What :func:`keep_components` kept and removed.

    Attributes
    ----------
    kept
        The kept components, largest first.
    dropped_components
        Strongly connected components removed.
    dropped_nodes, dropped_edges
        Nodes and edges removed.
    removed
        The removed edges ``(u, v, data)`` (for :func:`dropped_fragments`).
    removed_xy
        Coordinates of the removed nodes.
    """

    kept: list[KeptComponent] = field(default_factory=list)
    dropped_components: int = 0
    dropped_nodes: int = 0
    dropped_edges: int = 0
    removed: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)
    removed_xy: dict[int, tuple[float, float]] = field(default_factory=dict)


def _midpoint(edges: list[dict[str, Any]]) -> tuple[float, float]:
    longest = max(edges, key=lambda d: float(d.get("length", 0.0)))
    point = shapely.line_interpolate_point(longest["geometry"], 0.5, normalized=True)
    return float(point.x), float(point.y)


def keep_components(graph: nx.MultiDiGraph, *, min_km: float) -> ComponentOutcome:
    """
    Keep every strongly connected component of at least ``min_km`` km of road, and the largest.

    Parameters
    ----------
    graph
        A road graph whose edges have ``length``, ``oneway``, ``ferry`` and
        ``geometry`` (modified in place).
    min_km
        Smallest road length (two-way roads once) of a kept component; the
        largest component (by road length, then nodes) is always kept.

    Returns
    -------
    ComponentOutcome
        What was kept and removed.
    """
    outcome = ComponentOutcome()
    if graph.number_of_nodes() == 0:
        return outcome
    comp_of: dict[int, int] = {}
    sizes: list[int] = []
    for i, nodes in enumerate(nx.strongly_connected_components(graph)):
        sizes.append(len(nodes))
        for n in nodes:
            comp_of[n] = i
    km = np.zeros(len(sizes))
    inner: dict[int, list[dict[str, Any]]] = {}
    for u, v, data in graph.edges(data=True):
        c = comp_of[u]
        if comp_of[v] == c:
            km[c] += road_weight(data)
            inner.setdefault(c, []).append(data)
    largest = max(range(len(sizes)), key=lambda c: (km[c], sizes[c], -c))
    keep = {c for c in range(len(sizes)) if km[c] >= min_km} | {largest}
    for c in sorted(keep, key=lambda c: (-km[c], -sizes[c], c)):
        edges = inner.get(c, [])
        lon, lat = _midpoint(edges) if edges else _node_xy(graph, c, comp_of)
        sources = tuple(sorted({int(d.get("source_index", -1)) for d in edges} - {-1}))
        outcome.kept.append(
            KeptComponent(
                km=float(km[c]),
                nodes=sizes[c],
                edges=len(edges),
                lon=lon,
                lat=lat,
                sources=sources,
            )
        )
    outcome.dropped_components = len(sizes) - len(keep)
    removed_nodes = [n for n, c in comp_of.items() if c not in keep]
    outcome.removed = [
        (u, v, d)
        for u, v, d in graph.edges(data=True)
        if comp_of[u] != comp_of[v] or comp_of[u] not in keep
    ]
    outcome.removed_xy = {n: (graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in removed_nodes}
    outcome.dropped_nodes = len(removed_nodes)
    outcome.dropped_edges = len(outcome.removed)
    graph.remove_edges_from(
        [(u, v, k) for u, v, k in graph.edges(keys=True) if comp_of[u] != comp_of[v]]
    )
    graph.remove_nodes_from(removed_nodes)
    return outcome


def _node_xy(graph: nx.MultiDiGraph, comp: int, comp_of: dict[int, int]) -> tuple[float, float]:
    node = next(n for n, c in comp_of.items() if c == comp)
    return float(graph.nodes[node]["x"]), float(graph.nodes[node]["y"])


def dropped_fragments(
    outcome: ComponentOutcome, *, top: int = TOP_FRAGMENTS
) -> dict[int, list[Fragment]]:
    """
    Group the removed edges into fragments and list the largest per file.

    A fragment is a connected piece of the removed nodes (ignoring direction)
    with the removed edges that touch it; an edge between two kept components
    belongs to no fragment.

    Parameters
    ----------
    outcome
        The result of :func:`keep_components`.
    top
        Fragments listed per file.

    Returns
    -------
    dict
        Source index to its largest fragments (road km of that file, and a
        point on the fragment), largest first.
    """
    nodes = sorted(outcome.removed_xy)
    if not nodes:
        return {}
    index = {n: i for i, n in enumerate(nodes)}
    pairs = [(index[u], index[v]) for u, v, _ in outcome.removed if u in index and v in index]
    rows = np.array([a for a, _ in pairs], dtype=np.int64)
    cols = np.array([b for _, b in pairs], dtype=np.int64)
    adj = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(nodes), len(nodes)))
    _, label = connected_components(adj, directed=True, connection="weak")
    per: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for u, v, data in outcome.removed:
        node = u if u in index else v if v in index else None
        if node is None or road_weight(data) == 0.0:
            continue
        key = (int(data.get("source_index", -1)), int(label[index[node]]))
        per.setdefault(key, []).append(data)
    result: dict[int, list[Fragment]] = {}
    for (source, _), edges in per.items():
        km = sum(road_weight(d) for d in edges)
        lon, lat = _midpoint(edges)
        result.setdefault(source, []).append(Fragment(km=km, lon=lon, lat=lat))
    for source, frags in result.items():
        frags.sort(key=lambda f: (-f.km, f.lon, f.lat))
        result[source] = frags[:top]
    return result


def keep_usable_components(graph: nx.MultiDiGraph, report: BuildReport, *, min_km: float) -> None:
    """
    Keep the usable components of a built graph and record them in its report.

    Parameters
    ----------
    graph
        The graph (modified in place, see :func:`keep_components`).
    report
        The build report: kept components, dropped counts and each file's
        largest dropped fragments are filled.
    min_km
        See :func:`keep_components`.
    """
    outcome = keep_components(graph, min_km=min_km)
    report.kept_components = outcome.kept
    report.dropped_components = outcome.dropped_components
    report.dropped_nodes = outcome.dropped_nodes
    report.dropped_edges = outcome.dropped_edges
    for source, fragments in dropped_fragments(outcome).items():
        if 0 <= source < len(report.sources):
            report.sources[source].largest_dropped = fragments


def finish_source_reports(
    report: BuildReport, graph: nx.MultiDiGraph, routable: Mapping[int, float]
) -> None:
    """
    Fill kept and dropped road per file, and warn where much road is outside the network.

    Parameters
    ----------
    report
        The build report (its ``sources`` and ``warnings`` are filled).
    graph
        The final graph.
    routable
        Road km per source index before components were chosen (after the profile).
    """
    kept = road_km_by_source(graph.edges(data=True))
    for rec in report.sources:
        rec.km_kept = kept.get(rec.index, 0.0)
        rec.km_dropped = max(routable.get(rec.index, 0.0) - rec.km_kept, 0.0)
        if rec.outside_share > OUTSIDE_WARN_SHARE:
            rec.warnings.append(
                f"{rec.label}: {rec.outside_share:.0%} of its routable road "
                f"({rec.km_dropped:,.1f} of {rec.km_routable:,.1f} km) is outside the kept "
                f"network (components under {report.min_component_km:g} km, one-way dead "
                "ends); see its largest dropped fragments"
            )
        report.warnings.extend(rec.warnings)
