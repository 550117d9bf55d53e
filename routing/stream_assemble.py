"""All arcs of a build, each profile's final times and report, and the base arrays.

The base arcs are shared; the ferry-end connectors and scheduled ferry links of all
profiles are added once each (equal ones merged). Each profile then keeps its
components (:mod:`routing.stream_components`) and gets its report, and the arcs of the
roads some profile can use become the :class:`~routing.store.BaseArrays`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from routing.errors import GraphBuildError
from routing.ferry import FerryLink
from routing.raw import RawNetwork
from routing.report import OUTSIDE_WARN_SHARE, BuildReport
from routing.store import BaseArrays
from routing.stream_base import BaseArcs
from routing.stream_components import ArcTable, keep_components
from routing.stream_profiles import CONNECTOR, CONNECTOR_NAME, ExtraArc, ProfileUse

__all__ = ["AllArcs", "all_arcs", "base_arrays", "finish_profile"]


@dataclass
class AllArcs:
    """Every arc of the build: base arcs, then the connectors and links of all profiles."""

    table: ArcTable
    node_ids: NDArray[np.int64]
    label: NDArray[np.int32]
    labels: list[str]
    name: NDArray[np.int32]
    names: list[str]
    ferry_link: NDArray[np.int64]
    n_base: int
    partner: NDArray[np.int64]


def all_arcs(
    raw: RawNetwork, base: BaseArcs, uses: list[ProfileUse], links: list[FerryLink]
) -> tuple[AllArcs, dict[tuple[int, int, int, int], int]]:
    """The base arcs plus every distinct extra arc of the profiles (and its position)."""
    extras: dict[tuple[int, int, int, int], ExtraArc] = {}
    for use in uses:
        for arc in use.extras:
            extras.setdefault(arc.key, arc)
    keys = list(extras)
    n_base = base.n_arcs
    labels = list(raw.labels)
    names = list(raw.names)
    label = raw.label[base.raw]
    name = raw.name[base.raw]
    source = raw.source[base.raw]
    ferry = raw.ferry[base.raw]
    ferry_link = np.full(n_base, -1, dtype=np.int64)
    offsets, coords, length = base.geom_offsets, base.geom_coords, base.length
    tail, head = base.tail, base.head
    if keys:
        arcs = [extras[k] for k in keys]
        code = {v: i for i, v in enumerate(labels)}
        ncode = {v: i for i, v in enumerate(names)}

        def lab(value: str, table: list[str], where: dict[str, int]) -> int:
            if value not in where:
                where[value] = len(table)
                table.append(value)
            return where[value]

        e_label = [lab("service" if a.kind == CONNECTOR else "ferry", labels, code) for a in arcs]
        e_name = [
            lab(CONNECTOR_NAME if a.kind == CONNECTOR else links[a.link].name, names, ncode)
            for a in arcs
        ]
        sizes = np.array([len(a.coords) for a in arcs], dtype=np.int64)
        label = np.concatenate([label, np.array(e_label, dtype=np.int32)])
        name = np.concatenate([name, np.array(e_name, dtype=np.int32)])
        source = np.concatenate([source, np.full(len(arcs), -1, dtype=np.int16)])
        ferry = np.concatenate([ferry, np.array([a.kind != CONNECTOR for a in arcs])])
        ferry_link = np.concatenate(
            [ferry_link, np.array([_link_id(links[a.link]) if a.link >= 0 else -1 for a in arcs])]
        )
        offsets = np.concatenate([offsets, offsets[-1] + np.cumsum(sizes)])
        coords = np.concatenate(
            [coords, np.array([c for a in arcs for c in a.coords], dtype=np.float64)]
        )
        length = np.concatenate([length, np.array([a.length for a in arcs])])
        tail = np.concatenate([tail, np.array([a.tail for a in arcs], dtype=np.int32)])
        head = np.concatenate([head, np.array([a.head for a in arcs], dtype=np.int32)])
    table = ArcTable(
        n_nodes=len(base.node_ids),
        node_lon=base.node_lon,
        node_lat=base.node_lat,
        tail=tail,
        head=head,
        length=length,
        source=source,
        ferry=ferry,
        geom_offsets=offsets,
        geom_coords=coords,
    )
    partner = np.concatenate([base.partner, np.full(len(tail) - n_base, -1, dtype=np.int64)])
    arcs_out = AllArcs(
        table, base.node_ids, label, labels, name, names, ferry_link, n_base, partner
    )
    return arcs_out, {k: n_base + i for i, k in enumerate(keys)}


def _link_id(link: FerryLink) -> int:
    try:
        return int(link.link_id)
    except (TypeError, ValueError):
        msg = f"ferry link id {link.link_id!r} must be a whole number to be stored"
        raise GraphBuildError(msg) from None


def finish_profile(
    raw: RawNetwork,
    arcs: AllArcs,
    use: ProfileUse,
    extra_keys: dict[tuple[int, int, int, int], int],
    report: BuildReport,
    min_km: float,
) -> NDArray[np.float64]:
    """A profile's final times (inf outside its kept components) and its report."""
    table = arcs.table
    m = len(table.tail)
    t = np.full(m, np.inf)
    t[: arcs.n_base] = use.time
    share = np.full(m, 0.5)
    share[: arcs.n_base] = use.oneway_share
    for extra in use.extras:
        t[extra_keys[extra.key]] = extra.time
    weight = np.where(table.ferry, 0.0, table.length * share / 1000.0)
    report.forbidden_edges = use.forbidden_edges
    for rec in report.sources:
        rec.km_forbidden = use.km_forbidden.get(rec.index, 0.0)
    report.self_loops_split = use.self_loops_split
    if use.loops_dropped:
        report.notes.append(f"{use.loops_dropped:,} closed roads without any vertex apart dropped")
    report.ferry_connectors = use.connectors
    report.ferry_links = use.links
    result = keep_components(table, t, weight, min_km=min_km)
    report.kept_components = result.kept
    report.dropped_components = result.dropped_components
    report.dropped_nodes = result.dropped_nodes
    report.dropped_edges = result.dropped_edges
    for s, fragments in result.fragments.items():
        if 0 <= s < len(report.sources):
            report.sources[s].largest_dropped = fragments
    if not np.any(result.keep):
        msg = f"{report.source} has no edges usable by profile {use.profile.name!r}"
        raise GraphBuildError(msg)
    for rec in report.sources:
        rec.km_kept = result.kept_km.get(rec.index, 0.0)
        rec.km_dropped = max(result.routable_km.get(rec.index, 0.0) - rec.km_kept, 0.0)
        if rec.outside_share > OUTSIDE_WARN_SHARE:
            rec.warnings.append(
                f"{rec.label}: {rec.outside_share:.0%} of its routable road "
                f"({rec.km_dropped:,.1f} of {rec.km_routable:,.1f} km) is outside the kept "
                f"network (components under {report.min_component_km:g} km, one-way dead "
                "ends); see its largest dropped fragments"
            )
        report.warnings.extend(rec.warnings)
    report.nodes = result.nodes
    report.edges = int(np.count_nonzero(result.keep))
    report.ferry_edges = int(np.count_nonzero(result.keep & table.ferry))
    return np.where(result.keep, t, np.inf)


def base_arrays(
    arcs: AllArcs, times: list[NDArray[np.float64]]
) -> tuple[BaseArrays, NDArray[np.int64]]:
    """The arcs of the roads some profile uses (both directions), as BaseArrays.

    A two-way road's two arcs, and connector and ferry-link pairs, are usable by the
    same profiles; a one-way road's arc and its added reverse are partners.
    """
    table = arcs.table
    used = np.zeros(len(table.tail), dtype=bool)
    for t in times:
        used |= np.isfinite(t)
    keep_arc = used | ((arcs.partner >= 0) & used[np.maximum(arcs.partner, 0)])
    kept = np.flatnonzero(keep_arc)
    node_used = np.zeros(table.n_nodes, dtype=bool)
    node_used[table.tail[kept]] = True
    node_used[table.head[kept]] = True
    nodes = np.flatnonzero(node_used)
    new_index = np.full(table.n_nodes, -1, dtype=np.int64)
    new_index[nodes] = np.arange(len(nodes))
    off = table.geom_offsets
    sizes = off[kept + 1] - off[kept]
    new_off = np.zeros(len(kept) + 1, dtype=np.int64)
    np.cumsum(sizes, out=new_off[1:])
    pos = np.repeat(off[kept] - new_off[:-1], sizes) + np.arange(int(new_off[-1]))
    lab_used, lab_code = np.unique(arcs.label[kept], return_inverse=True)
    name_used, name_code = np.unique(arcs.name[kept], return_inverse=True)
    if len(lab_used) > np.iinfo(np.int16).max:
        msg = f"{len(lab_used):,} road classes do not fit the store (at most 32,767)"
        raise GraphBuildError(msg)
    base = BaseArrays(
        node_ids=arcs.node_ids[nodes],
        node_lon=table.node_lon[nodes],
        node_lat=table.node_lat[nodes],
        edge_tail=new_index[table.tail[kept]].astype(np.int32),
        edge_head=new_index[table.head[kept]].astype(np.int32),
        edge_length=table.length[kept],
        edge_highway=lab_code.ravel().astype(np.int16),
        edge_name=name_code.ravel().astype(np.int32),
        edge_ferry=table.ferry[kept],
        edge_ferry_link=arcs.ferry_link[kept],
        edge_source=table.source[kept].astype(np.int16),
        geom_offsets=new_off,
        geom_coords=np.ascontiguousarray(table.geom_coords[pos]),
        highways=np.array([arcs.labels[i] for i in lab_used.tolist()], dtype=np.str_),
        names=np.array([arcs.names[i] for i in name_used.tolist()], dtype=np.str_),
    )
    return base, kept
