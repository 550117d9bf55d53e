"""The report of one graph build (see :func:`routing.build.build_graph`).

Road lengths are *km of road*: a two-way road counts once (its two directed
edges count half each), a one-way road once; ferry edges are not road and do
not count. Per file: ``km_read = km_forbidden + km_kept + km_dropped`` (up to
rounding and the few millimetres by which a join moves an endpoint).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["OUTSIDE_WARN_SHARE", "BuildReport", "Fragment", "KeptComponent", "SourceReport"]

#: A file gets a warning when more than this share of its routable road length
#: (after the profile) lies outside the kept network.
OUTSIDE_WARN_SHARE = 0.10


@dataclass(frozen=True)
class Fragment:
    """
    A piece of road network that was dropped (not in a kept component).

    Attributes
    ----------
    km
        Road length of one file in this piece.
    lon, lat
        A point on the piece (the middle of its longest edge of that file).
    """

    km: float
    lon: float
    lat: float


@dataclass(frozen=True)
class KeptComponent:
    """
    A strongly connected component kept in the graph.

    Attributes
    ----------
    km
        Road length.
    nodes, edges
        Size.
    lon, lat
        A point on it (the middle of its longest edge).
    sources
        Indexes of the files with roads in it.
    """

    km: float
    nodes: int
    edges: int
    lon: float
    lat: float
    sources: tuple[int, ...]


@dataclass
class SourceReport:
    """
    What happened to the roads of one input file.

    Attributes
    ----------
    index
        Position of the file in the build's sources (the edges' ``source_index``).
    label
        Name of the file in reports.
    path
        Path of the file as given.
    preset
        Column preset used (``"none"``: no attribute table; None for OSM).
    features
        Lines (features) read.
    km_read
        Road read.
    km_forbidden
        Road removed by the profile.
    km_kept
        Road in the final graph.
    km_dropped
        Routable road outside the kept components (small fragments, one-way
        dead ends).
    joins
        Join points with lines of other files (see :mod:`routing.joins`).
    largest_dropped
        The largest dropped fragments of this file (at most 5), largest first.
    missing_dbf
        Name of the missing ``.dbf``, if any.
    default_class
        Class given to every line because the ``.dbf`` is missing.
    dropped_dims
        ``"Z"``, ``"M"`` or ``"ZM"`` if such coordinates were dropped on read.
    unknown_values
        Road class values the preset does not know (built as ``road``).
    warnings
        Problems a user must see (missing ``.dbf``, much road outside the network).
    """

    index: int
    label: str
    path: str
    preset: str | None = None
    features: int = 0
    km_read: float = 0.0
    km_forbidden: float = 0.0
    km_kept: float = 0.0
    km_dropped: float = 0.0
    joins: int = 0
    largest_dropped: list[Fragment] = field(default_factory=list)
    missing_dbf: str | None = None
    default_class: str | None = None
    dropped_dims: str = ""
    unknown_values: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def km_routable(self) -> float:
        """Road the profile may use (kept + dropped)."""
        return self.km_kept + self.km_dropped

    @property
    def outside_share(self) -> float:
        """Share of the routable road outside the kept network (0 when none is routable)."""
        routable = self.km_routable
        return self.km_dropped / routable if routable > 0 else 0.0


@dataclass
class BuildReport:
    """
    What :func:`build_graph` did.

    Attributes
    ----------
    source
        Label of the input, or the labels of all inputs joined by ``", "``.
    profile
        Profile name.
    input_format
        ``"osm"`` (XML), ``"pbf"`` or ``"lines"``.
    nodes, edges
        Size of the final graph.
    ferry_edges
        Ferry edges in the final graph (both directions counted).
    dropped_components
        Strongly connected components removed (all but the kept ones).
    dropped_nodes, dropped_edges
        Nodes and edges removed with them.
    seconds
        Total build time.
    stage_seconds
        Time per stage (``read``, ``profile``, ``ferries``, ``directions``,
        ``components``).
    raw_nodes, raw_edges
        Size of the graph as read, before the profile.
    forbidden_edges
        Edges removed because the profile may not use them.
    ferry_ways_parsed
        Ferry ways found in the input (OSM only).
    ferry_ways_skipped
        Ferry ways unusable as read (clipped by the extract to one point).
    ferry_connectors
        Connector edges added between ferry ends and the nearest road.
    ferry_links
        Scheduled ferry links (from the database) added.
    preset
        Column preset of a single GIS line file (None for OSM input or
        several files: see ``sources``).
    notes
        Other facts worth knowing (unknown class values, dropped Z, etc.).
    sources
        One record per input file, in input order.
    joins
        Join points of lines of different files.
    join_tolerance_m
        Largest endpoint distance joined across files.
    min_component_km
        Smallest strongly connected component kept (the largest is always kept).
    kept_components
        The kept components, largest first.
    self_loops_split
        Closed roads (self-loop edges) split in two at their farthest vertex.
    warnings
        Every warning of the build (also listed per file in ``sources``).
    """

    source: str
    profile: str
    input_format: str = ""
    nodes: int = 0
    edges: int = 0
    ferry_edges: int = 0
    dropped_components: int = 0
    dropped_nodes: int = 0
    dropped_edges: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    raw_nodes: int = 0
    raw_edges: int = 0
    forbidden_edges: int = 0
    ferry_ways_parsed: int = 0
    ferry_ways_skipped: int = 0
    ferry_connectors: int = 0
    ferry_links: int = 0
    preset: str | None = None
    notes: list[str] = field(default_factory=list)
    sources: list[SourceReport] = field(default_factory=list)
    joins: int = 0
    join_tolerance_m: float = 0.0
    min_component_km: float = 0.0
    kept_components: list[KeptComponent] = field(default_factory=list)
    self_loops_split: int = 0
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        """Return a readable multi-line summary (with a per-file table) for the terminal."""
        fmt = self.input_format + (f", preset {self.preset}" if self.preset else "")
        count = f"{len(self.sources)} files" if len(self.sources) > 1 else self.source
        lines = [
            f"Graph from {count} ({fmt}), profile {self.profile}",
            f"  read       {self.raw_nodes:>9,} nodes {self.raw_edges:>9,} edges",
            f"  forbidden  {self.forbidden_edges:>25,} edges removed by the profile",
            f"  dropped    {self.dropped_nodes:>9,} nodes {self.dropped_edges:>9,} edges "
            f"in {self.dropped_components:,} strongly connected components not kept",
            f"  result     {self.nodes:>9,} nodes {self.edges:>9,} edges "
            f"({self.ferry_edges:,} ferry) in {len(self.kept_components):,} components",
        ]
        lines.extend(self._source_table())
        if len(self.sources) > 1 or self.joins:
            lines.append(
                f"  joins      {self.joins:,} line ends joined across files "
                f"(tolerance {self.join_tolerance_m:g} m)"
            )
        lines.extend(self._components_lines())
        if self.self_loops_split:
            lines.append(f"  loops      {self.self_loops_split:,} closed roads split in two")
        if self.ferry_links:
            lines.append(f"  ferries    {self.ferry_links:,} scheduled links added")
        if self.ferry_ways_parsed or self.ferry_connectors:
            lines.append(
                f"  ferries    {self.ferry_ways_parsed:,} ways read, "
                f"{self.ferry_ways_skipped:,} unusable, {self.ferry_connectors:,} connectors"
            )
        stages = ", ".join(f"{k} {v:.2f}s" for k, v in self.stage_seconds.items())
        lines.append(f"  time       {self.seconds:.2f}s ({stages})")
        lines.extend(f"  note: {n}" for n in self.notes)
        lines.extend(f"  WARNING: {w}" for w in self.warnings)
        return "\n".join(lines)

    def _source_table(self) -> list[str]:
        if not self.sources:
            return []
        width = max(12, *(len(s.label) for s in self.sources))
        head = (
            f"  {'file':<{width}} {'preset':<7} {'lines':>7} {'km read':>9} "
            f"{'km barred':>10} {'km kept':>9} {'km dropped':>10} {'joins':>6}"
        )
        rows = [head]
        for s in self.sources:
            rows.append(
                f"  {s.label:<{width}} {s.preset or '-':<7} {s.features:>7,} {s.km_read:>9,.1f} "
                f"{s.km_forbidden:>10,.1f} {s.km_kept:>9,.1f} {s.km_dropped:>10,.1f} "
                f"{s.joins:>6,}"
            )
        if len(self.sources) > 1:
            total = [
                sum(getattr(s, k) for s in self.sources)
                for k in ("features", "km_read", "km_forbidden", "km_kept", "km_dropped")
            ]
            rows.append(
                f"  {'total':<{width}} {'':<7} {total[0]:>7,} {total[1]:>9,.1f} "
                f"{total[2]:>10,.1f} {total[3]:>9,.1f} {total[4]:>10,.1f} {self.joins:>6,}"
            )
        for s in self.sources:
            if s.largest_dropped:
                parts = ", ".join(
                    f"{f.km:.2f} km at {f.lon:.5f},{f.lat:.5f}" for f in s.largest_dropped
                )
                rows.append(f"  largest dropped in {s.label}: {parts}")
        return rows

    def _components_lines(self) -> list[str]:
        if not self.kept_components:
            return []
        shown = self.kept_components[:8]
        labels = {s.index: s.label for s in self.sources}
        parts = []
        for c in shown:
            where = "+".join(labels.get(i, str(i)) for i in c.sources) if len(labels) > 1 else ""
            parts.append(
                f"{c.km:,.1f} km at {c.lon:.4f},{c.lat:.4f}" + (f" [{where}]" if where else "")
            )
        more = len(self.kept_components) - len(shown)
        tail = f" and {more} more" if more > 0 else ""
        return [
            f"  kept       {len(self.kept_components):,} components "
            f"(>= {self.min_component_km:g} km, and the largest): " + "; ".join(parts) + tail
        ]
