"""Build the base network and every profile's times in one streaming pass over the input.

:func:`build_network` is the array twin of :func:`routing.build.build_graph`, for all
profiles at once and without a Python object per edge:

1. **read** the input into a :class:`~routing.raw.RawNetwork`: GIS lines in batches
   (:mod:`routing.stream_lines`, joined and noded by :mod:`routing.stream_noding`),
   ``.osm.pbf`` with osmium (:mod:`routing.stream_osm`), OSM XML through osmnx
   (:func:`routing.osm.read_osm_xml`, converted by :func:`routing.raw.raw_from_graph`);
2. **base**: fix the lines, split closed roads, add the reverse arc of every one-way
   road, measure lengths (:mod:`routing.stream_base`);
3. **profile**: per profile, speeds per distinct attribute combination, ferry-end
   connectors and scheduled ferry links (:mod:`routing.stream_profiles`);
4. **components**: per profile, strongly connected components on its usable arcs
   and the build report (:mod:`routing.stream_components`).

The result is what :func:`routing.store.write_store` takes: one
:class:`~routing.store.BaseArrays` with both directions of every road that some
profile can use, and one :class:`~routing.store.ProfileTimes` per profile (``inf``
where the profile may not use an arc), plus a :class:`~routing.report.BuildReport`
per profile with the same figures as :func:`~routing.build.build_graph` gives.
The arcs with a finite time in a profile are exactly the edges ``build_graph`` makes
for it: same node ids and coordinates, same lines, times equal to rounding.
"""

from __future__ import annotations

import copy
import dataclasses
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from routing.build import DEFAULT_CLASS, JOIN_TOLERANCE_M, MIN_COMPONENT_KM, _validate
from routing.errors import GraphBuildError
from routing.ferry import FerryLink
from routing.osm import read_osm_xml
from routing.profiles import Profile
from routing.raw import RawNetwork, raw_from_graph
from routing.report import OUTSIDE_WARN_SHARE, BuildReport, SourceReport
from routing.sources import SourceSpec
from routing.store import BaseArrays, ProfileTimes
from routing.stream_base import BaseArcs, base_arcs
from routing.stream_components import ArcTable, keep_components
from routing.stream_lines import LineArrays, read_line_arrays
from routing.stream_noding import NodedLines, node_lines
from routing.stream_profiles import CONNECTOR, CONNECTOR_NAME, ExtraArc, ProfileUse, profile_use

__all__ = ["NetworkBuild", "build_network", "profile_settings"]

_STAGES = ("read", "base", "profile", "components")


@dataclass
class NetworkBuild:
    """
    What :func:`build_network` made.

    Attributes
    ----------
    base
        The base network (arcs of every road some profile may use, both directions).
    profiles
        One :class:`~routing.store.ProfileTimes` per profile, in the order asked.
    reports
        The build report of each profile, by name.
    meta
        Facts about the build for ``meta.json`` (sources, options).
    """

    base: BaseArrays
    profiles: list[ProfileTimes]
    reports: dict[str, BuildReport]
    meta: dict[str, Any]


def profile_settings(prof: Profile, **options: Any) -> dict[str, Any]:
    """A profile's parameters (and the build options) as JSON-ready values."""
    out: dict[str, Any] = {f.name: getattr(prof, f.name) for f in dataclasses.fields(prof)}
    out["speeds"] = dict(prof.speeds)
    out["forbidden"] = sorted(prof.forbidden)
    out["access_keys"] = list(prof.access_keys)
    out.update(options)
    return out


def build_network(
    source: str | Path | Sequence[str | Path],
    *,
    profiles: Sequence[str | Profile] = ("motorcycle",),
    labels: Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
    layer: str | None = None,
    preset: str | Sequence[str | None] | None = None,
    default_class: str | None = DEFAULT_CLASS,
    join_tolerance_m: float = JOIN_TOLERANCE_M,
    min_component_km: float = MIN_COMPONENT_KM,
    ferry_links: Iterable[FerryLink] = (),
    progress: bool = False,
) -> NetworkBuild:
    """
    Build the base network and the times of several profiles from one or several road files.

    Parameters
    ----------
    source, labels, columns, layer, preset, default_class, join_tolerance_m,
    min_component_km, ferry_links, progress
        As for :func:`routing.build.build_graph`.
    profiles
        The profiles to build (names or :class:`~routing.profiles.Profile`), unique.

    Returns
    -------
    NetworkBuild
        Base arrays, one time array per profile and the reports.

    Raises
    ------
    GraphBuildError, UnknownProfileError
        As :func:`routing.build.build_graph` (bad inputs, nothing routable).
    """
    if not profiles:
        msg = "give at least one profile"
        raise GraphBuildError(msg)
    checked = [
        _validate(source, p, labels, columns, layer, preset, default_class,
                  join_tolerance_m, min_component_km)
        for p in profiles
    ]  # fmt: skip
    profs = [prof for prof, _ in checked]
    spec = checked[0][1]
    if len({p.name for p in profs}) != len(profs):
        msg = f"profiles must be unique, got {[p.name for p in profs]}"
        raise GraphBuildError(msg)
    links = list(ferry_links)
    started = time.perf_counter()
    template = BuildReport(
        source=", ".join(spec.labels),
        profile="",
        input_format=spec.kind,
        join_tolerance_m=float(join_tolerance_m),
        min_component_km=float(min_component_km),
    )
    template.sources = [
        SourceReport(index=i, label=label, path=str(path))
        for i, (label, path) in enumerate(zip(spec.labels, spec.paths, strict=True))
    ]
    bar = tqdm(total=2 + 2 * len(profs), desc="network", file=sys.stderr, disable=not progress)
    with bar:
        bar.set_description("network: read")
        t0 = time.perf_counter()
        raw = _read(spec, template, layer=layer, columns=columns, default_class=default_class,
                    join_tolerance_m=join_tolerance_m)  # fmt: skip
        template.stage_seconds["read"] = round(time.perf_counter() - t0, 3)
        bar.update(1)
        bar.set_description("network: base")
        t0 = time.perf_counter()
        base = base_arcs(raw)
        template.stage_seconds["base"] = round(time.perf_counter() - t0, 3)
        bar.update(1)
        shared = time.perf_counter() - started
        uses = []
        for prof in profs:
            bar.set_description(f"network: {prof.name}")
            t0 = time.perf_counter()
            uses.append((profile_use(raw, base, prof, ferry_links=links), time.perf_counter() - t0))
            bar.update(1)
        arcs, extra_keys = _all_arcs(raw, base, [u for u, _ in uses], links)
        times: list[NDArray[np.float64]] = []
        reports: dict[str, BuildReport] = {}
        for (use, used_s), prof in zip(uses, profs, strict=True):
            bar.set_description(f"network: {prof.name} components")
            t0 = time.perf_counter()
            report = copy.deepcopy(template)
            report.profile = prof.name
            final = _finish_profile(raw, arcs, use, extra_keys, report, min_component_km)
            report.stage_seconds["profile"] = round(used_s, 3)
            report.stage_seconds["components"] = round(time.perf_counter() - t0, 3)
            report.seconds = shared + used_s + report.stage_seconds["components"]
            times.append(final)
            reports[prof.name] = report
            bar.update(1)
    base_arrays, kept = _base_arrays(arcs, times)
    options = {
        "join_tolerance_m": float(join_tolerance_m),
        "min_component_km": float(min_component_km),
        "default_class": default_class,
        "ferry_links": [
            {"link_id": lk.link_id, "name": lk.name, "crossing_minutes": lk.crossing_minutes,
             "departures_per_day": lk.departures_per_day}
            for lk in links
        ],
    }  # fmt: skip
    out = [
        ProfileTimes(
            profile=prof.name,
            edge_time=t[kept],
            settings=profile_settings(prof, **options),
            report=_report_dict(reports[prof.name]),
        )
        for prof, t in zip(profs, times, strict=True)
    ]
    meta = {
        "sources": [{"label": s.label, "path": s.path} for s in template.sources],
        "input_format": spec.kind,
        "options": options,
        "seconds": round(time.perf_counter() - started, 3),
    }
    return NetworkBuild(base=base_arrays, profiles=out, reports=reports, meta=meta)


def _report_dict(report: BuildReport) -> dict[str, Any]:
    return dataclasses.asdict(report)


def _read(
    spec: SourceSpec,
    report: BuildReport,
    *,
    layer: str | None,
    columns: Mapping[str, str] | None,
    default_class: str | None,
    join_tolerance_m: float,
) -> RawNetwork:
    """Read the inputs into a raw network and fill the read part of the report."""
    if spec.kind == "osm":
        graph, info = read_osm_xml(spec.paths[0])
        raw = raw_from_graph(graph, source_index=0)
        del graph
        report.ferry_ways_parsed = int(info["ferry_ways_parsed"])
        report.ferry_ways_skipped = int(info["ferry_ways_skipped"])
    elif spec.kind == "pbf":
        from routing.stream_osm import read_pbf  # osmium is only needed here

        raw, facts = read_pbf(spec.paths[0])
        report.ferry_ways_parsed = int(facts["ferry_ways_parsed"])
        report.ferry_ways_skipped = int(facts["ferry_ways_skipped"])
    else:
        raw = _read_lines(
            spec,
            report,
            layer=layer,
            columns=columns,
            default_class=default_class,
            join_tolerance_m=join_tolerance_m,
        )
    report.raw_nodes, report.raw_edges = raw.n_nodes, raw.n_edges
    weight = raw.road_weight_km()
    km = np.bincount(raw.source.astype(np.int64), weights=weight, minlength=len(report.sources))
    for s, value in enumerate(km.tolist()):
        if s < len(report.sources):
            report.sources[s].km_read = float(value)
    return raw


def _read_lines(
    spec: SourceSpec,
    report: BuildReport,
    *,
    layer: str | None,
    columns: Mapping[str, str] | None,
    default_class: str | None,
    join_tolerance_m: float,
) -> RawNetwork:
    """GIS line files: read, join, node; the per-file facts as routing.sources records them."""
    tables: list[LineArrays] = []
    for path, preset in zip(spec.paths, spec.presets, strict=True):
        try:
            table = read_line_arrays(
                path, layer=layer, columns=columns, preset=preset, default_class=default_class
            )
        except GraphBuildError as exc:
            if len(spec.paths) == 1 or str(path) in str(exc):
                raise
            msg = f"{path}: {exc}"
            raise GraphBuildError(msg) from exc
        tables.append(table)
    facts = [
        (t.preset, t.features, t.missing_dbf, t.default_class, t.dropped_dims, t.unknown_values)
        for t in tables
    ]
    noded: NodedLines = node_lines(tables, join_tolerance_m=join_tolerance_m)
    with_z = []
    for rec, (preset, features, missing, default, dims, unknown) in zip(
        report.sources, facts, strict=True
    ):
        rec.preset, rec.features = preset, features
        rec.missing_dbf, rec.default_class = missing, default
        rec.dropped_dims, rec.unknown_values = dims, unknown
        rec.joins = noded.joins.joins_per_source.get(rec.index, 0)
        if dims:
            with_z.append(rec.label)
        if unknown:
            report.notes.append(f"{rec.label}: unmapped road classes (as 'road'): {unknown}")
        if missing:
            rec.warnings.append(
                f"{rec.label}: {missing} is missing, so the file has no road "
                f"classes: all {features:,} lines were built as {default!r}"
                " (choose another with --default-class, or refuse with --default-class none)"
            )
    if len(report.sources) == 1:
        report.preset = report.sources[0].preset
    if with_z:
        dims = "/".join(sorted({f[4] for f in facts if f[4]}))
        report.notes.append(f"{dims} coordinates dropped on read ({', '.join(with_z)})")
    joins = noded.joins
    report.joins = joins.joins
    if joins.moved:
        report.notes.append(
            f"{joins.moved:,} line ends moved by up to {join_tolerance_m:g} m to join "
            "a line end of another file"
        )
    if joins.near_misses:
        d, lon, lat = joins.near_misses[0]
        report.notes.append(
            f"{len(joins.near_misses):,} line ends of different files lie between "
            f"{join_tolerance_m:g} m and {10 * join_tolerance_m:g} m apart and were not "
            f"joined (nearest {d:.1f} m at {lon:.5f},{lat:.5f}; see --join-tolerance)"
        )
    return noded.raw


@dataclass
class _Arcs:
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


def _all_arcs(
    raw: RawNetwork, base: BaseArcs, uses: list[ProfileUse], links: list[FerryLink]
) -> tuple[_Arcs, dict[tuple[int, int, int, int], int]]:
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
    arcs_out = _Arcs(table, base.node_ids, label, labels, name, names, ferry_link, n_base, partner)
    return arcs_out, {k: n_base + i for i, k in enumerate(keys)}


def _link_id(link: FerryLink) -> int:
    try:
        return int(link.link_id)
    except (TypeError, ValueError):
        msg = f"ferry link id {link.link_id!r} must be a whole number to be stored"
        raise GraphBuildError(msg) from None


def _finish_profile(
    raw: RawNetwork,
    arcs: _Arcs,
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


def _base_arrays(
    arcs: _Arcs, times: list[NDArray[np.float64]]
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
