"""Read the inputs of a build into a raw network, and the read part of its report.

GIS lines go through :mod:`routing.stream_lines` and :mod:`routing.stream_noding`,
``.osm.pbf`` through osmium (:mod:`routing.stream_osm`), OSM XML through osmnx
(:func:`routing.osm.read_osm_xml`, converted by :func:`routing.raw.raw_from_graph`).
The report gets the same per-file facts as :func:`routing.sources.read_sources` gives.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from routing.errors import GraphBuildError
from routing.osm import read_osm_xml
from routing.raw import RawNetwork, raw_from_graph
from routing.report import BuildReport
from routing.sources import SourceSpec
from routing.stream_lines import LineArrays, read_line_arrays
from routing.stream_noding import NodedLines, node_lines

__all__ = ["read_raw"]


def read_raw(
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
