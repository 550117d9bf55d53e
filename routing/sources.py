"""Read one or several road files into one raw road graph.

A province import is one road file per kabupaten (BIG RBI folders all name
theirs ``JALAN_LN_50K.shp``). :func:`read_line_sources` reads every GIS line
file (its column preset detected per file, or given), joins line ends cut at
a common border (:mod:`routing.joins`) and nodes all lines together
(:func:`routing.lines.lines_to_graph`). Every edge carries ``source_index``,
the position of its file in the input list.

OSM extracts (``.osm``/``.osm.pbf``) are built one file at a time; mixing
them with line files is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np

from routing.errors import GraphBuildError
from routing.joins import JoinResult, join_endpoints
from routing.lines import LineTable, lines_to_graph, read_line_table
from routing.osm import read_osm_pbf, read_osm_xml
from routing.profiles import NON_ROUTABLE_HIGHWAYS
from routing.report import BuildReport

__all__ = [
    "LineSources",
    "SourceSpec",
    "read_line_sources",
    "read_sources",
    "resolve_sources",
    "source_format",
    "source_labels",
]

_CLASS = re.compile(r"^[a-z][a-z_]*$")

_FORMATS = {
    ".osm.pbf": "pbf",
    ".pbf": "pbf",
    ".osm.bz2": "osm",
    ".xml.bz2": "osm",
    ".osm": "osm",
    ".xml": "osm",
    ".gpkg": "lines",
    ".shp": "lines",
    ".geojson": "lines",
    ".json": "lines",
}


def source_format(source: str | Path) -> str:
    """
    Tell the input format of a file from its extension.

    Parameters
    ----------
    source
        Path of the input file.

    Returns
    -------
    str
        ``"osm"`` (OSM XML, optionally ``.bz2``), ``"pbf"`` or ``"lines"``.

    Raises
    ------
    GraphBuildError
        If the extension is not supported.
    """
    name = Path(source).name.lower()
    for suffix, kind in _FORMATS.items():
        if name.endswith(suffix):
            return kind
    msg = f"unsupported road file {Path(source).name!r}; supported: {', '.join(_FORMATS)}"
    raise GraphBuildError(msg)


def source_labels(paths: Sequence[Path], labels: Sequence[str] | None = None) -> list[str]:
    """
    Name every input file for reports.

    Parameters
    ----------
    paths
        The input files.
    labels
        One label per file, or None for the default: the file name, or
        ``<parent folder>/<file name>`` for names that repeat (every RBI
        folder has a ``JALAN_LN_50K.shp``), or the full path if that repeats too.

    Returns
    -------
    list of str
        Unique, non-empty labels.

    Raises
    ------
    GraphBuildError
        If given labels are not one per file, empty or repeated.
    """
    if labels is not None:
        out = [str(x).strip() for x in labels]
        if len(out) != len(paths):
            msg = f"labels: {len(out)} given for {len(paths)} road files; give one per file"
            raise GraphBuildError(msg)
        if any(not x for x in out) or len(set(out)) != len(out):
            msg = f"labels must be non-empty and unique, got {out}"
            raise GraphBuildError(msg)
        return out
    names = [p.name for p in paths]
    out = [p.name if names.count(p.name) == 1 else f"{p.parent.name}/{p.name}" for p in paths]
    return [str(p) if out.count(x) > 1 else x for p, x in zip(paths, out, strict=True)]


@dataclass(frozen=True)
class SourceSpec:
    """The checked inputs of a build: paths, their format, labels and presets."""

    paths: tuple[Path, ...]
    kind: str
    labels: tuple[str, ...]
    presets: tuple[str | None, ...]


def resolve_sources(
    source: str | Path | Sequence[str | Path],
    *,
    labels: Sequence[str] | None,
    preset: str | Sequence[str | None] | None,
    default_class: str | None,
) -> SourceSpec:
    """
    Check the road files of a build and name them.

    Parameters
    ----------
    source
        One path or a sequence of paths.
    labels, preset, default_class
        See :func:`routing.build.build_graph`.

    Returns
    -------
    SourceSpec
        The checked inputs.

    Raises
    ------
    GraphBuildError
        If no file is given, a file is missing, given twice or of an
        unsupported type, OSM extracts are mixed with other files, or the
        labels, presets or default class do not fit.
    """
    items = [source] if isinstance(source, str | Path) else list(source)
    if not items:
        msg = "no road file given"
        raise GraphBuildError(msg)
    paths = tuple(Path(p) for p in items)
    kinds = [source_format(p) for p in paths]
    for p in paths:
        if not p.is_file():
            msg = f"road file not found: {p}"
            raise GraphBuildError(msg)
    if len({p.resolve() for p in paths}) != len(paths):
        msg = "the same road file is given twice"
        raise GraphBuildError(msg)
    if len(paths) > 1 and any(k != "lines" for k in kinds):
        osm = [p.name for p, k in zip(paths, kinds, strict=True) if k != "lines"]
        msg = (
            f"OSM extracts ({', '.join(osm)}) are built one file at a time; several "
            "files must all be GIS road lines (.gpkg/.shp/.geojson)"
        )
        raise GraphBuildError(msg)
    if preset is None or isinstance(preset, str):
        presets: tuple[str | None, ...] = (preset,) * len(paths)
    else:
        presets = tuple(preset)
        if len(presets) != len(paths):
            msg = f"preset: {len(presets)} given for {len(paths)} road files; give one per file"
            raise GraphBuildError(msg)
    if default_class is not None and (
        not _CLASS.match(default_class) or default_class in NON_ROUTABLE_HIGHWAYS
    ):
        msg = (
            f"default_class {default_class!r} is not a routable OSM highway class "
            "(e.g. unclassified, residential, track, path)"
        )
        raise GraphBuildError(msg)
    return SourceSpec(
        paths=paths, kind=kinds[0], labels=tuple(source_labels(paths, labels)), presets=presets
    )


@dataclass
class LineSources:
    """
    Road lines of several files noded into one raw graph.

    Attributes
    ----------
    graph
        The raw graph (see :func:`routing.lines.lines_to_graph`), edges with
        ``source_index``.
    tables
        Per file, what was read (geometries released).
    joins
        The joins across files.
    """

    graph: nx.MultiDiGraph
    tables: list[LineTable]
    joins: JoinResult


def read_line_sources(
    spec: SourceSpec,
    *,
    layer: str | None,
    columns: Mapping[str, str] | None,
    default_class: str | None,
    join_tolerance_m: float,
) -> LineSources:
    """
    Read every line file of ``spec``, join them at their borders and node them together.

    Parameters
    ----------
    spec
        The checked inputs (all GIS line files).
    layer, columns, default_class
        See :func:`routing.lines.read_line_table` (applied to every file).
    join_tolerance_m
        See :func:`routing.joins.join_endpoints`.

    Returns
    -------
    LineSources
        The raw graph, what each file held, and the joins.
    """
    tables = []
    for path, preset in zip(spec.paths, spec.presets, strict=True):
        try:
            table = read_line_table(
                path, layer=layer, columns=columns, preset=preset, default_class=default_class
            )
        except GraphBuildError as exc:
            if len(spec.paths) == 1 or str(path) in str(exc):
                raise
            msg = f"{path}: {exc}"
            raise GraphBuildError(msg) from exc
        tables.append(table)
    geoms = np.concatenate([t.geoms for t in tables])
    source = np.concatenate(
        [np.full(len(t.geoms), i, dtype=np.int64) for i, t in enumerate(tables)]
    )
    direction = np.concatenate([t.direction for t in tables])
    attrs: dict[str, np.ndarray | None] = {"source_index": source}
    for key in ("highway", "name", "maxspeed", "lanes"):
        parts = [t.attrs.get(key) for t in tables]
        if all(p is None for p in parts):
            attrs[key] = None
            continue
        attrs[key] = np.concatenate(
            [
                p if p is not None else np.full(len(t.geoms), "", dtype=object)
                for p, t in zip(parts, tables, strict=True)
            ]
        )
    joins = join_endpoints(geoms, source, tolerance_m=join_tolerance_m)
    graph = lines_to_graph(joins.geoms, direction=direction, attrs=attrs)
    for t in tables:
        t.geoms = np.empty(0, dtype=object)
    joins.geoms = np.empty(0, dtype=object)
    return LineSources(graph=graph, tables=tables, joins=joins)


def read_sources(
    spec: SourceSpec,
    report: BuildReport,
    *,
    layer: str | None,
    columns: Mapping[str, str] | None,
    default_class: str | None,
    join_tolerance_m: float,
) -> nx.MultiDiGraph:
    """
    Read the inputs of a build into one raw graph and fill the read part of its report.

    Parameters
    ----------
    spec
        The checked inputs (one OSM extract, or GIS line files).
    report
        The build report; its ``sources`` records (one per file) are filled.
    layer, columns, default_class, join_tolerance_m
        See :func:`read_line_sources` (GIS lines only).

    Returns
    -------
    networkx.MultiDiGraph
        The raw graph; every edge has ``source_index``.
    """
    if spec.kind != "lines":
        path = spec.paths[0]
        raw, info = read_osm_xml(path) if spec.kind == "osm" else read_osm_pbf(path)
        report.ferry_ways_parsed = int(info["ferry_ways_parsed"])
        report.ferry_ways_skipped = int(info["ferry_ways_skipped"])
        for _, _, data in raw.edges(data=True):
            data["source_index"] = 0
        return raw
    read = read_line_sources(
        spec,
        layer=layer,
        columns=columns,
        default_class=default_class,
        join_tolerance_m=join_tolerance_m,
    )
    with_z = []
    for rec, table in zip(report.sources, read.tables, strict=True):
        rec.preset, rec.features = table.preset, table.features
        rec.missing_dbf, rec.default_class = table.missing_dbf, table.default_class
        rec.dropped_dims, rec.unknown_values = table.dropped_dims, table.unknown_values
        rec.joins = read.joins.joins_per_source.get(rec.index, 0)
        if table.dropped_dims:
            with_z.append(rec.label)
        if table.unknown_values:
            report.notes.append(
                f"{rec.label}: unmapped road classes (as 'road'): {table.unknown_values}"
            )
        if table.missing_dbf:
            rec.warnings.append(
                f"{rec.label}: {table.missing_dbf} is missing, so the file has no road "
                f"classes: all {table.features:,} lines were built as {table.default_class!r}"
                " (choose another with --default-class, or refuse with --default-class none)"
            )
    if len(report.sources) == 1:
        report.preset = report.sources[0].preset
    if with_z:
        dims = "/".join(sorted({d for t in read.tables for d in t.dropped_dims}))
        report.notes.append(f"{dims} coordinates dropped on read ({', '.join(with_z)})")
    report.joins = read.joins.joins
    if read.joins.moved:
        report.notes.append(
            f"{read.joins.moved:,} line ends moved by up to {join_tolerance_m:g} m to join "
            "a line end of another file"
        )
    if read.joins.near_misses:
        d, lon, lat = read.joins.near_misses[0]
        report.notes.append(
            f"{len(read.joins.near_misses):,} line ends of different files lie between "
            f"{join_tolerance_m:g} m and {10 * join_tolerance_m:g} m apart and were not "
            f"joined (nearest {d:.1f} m at {lon:.5f},{lat:.5f}; see --join-tolerance)"
        )
    return read.graph
