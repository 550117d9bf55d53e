"""The report of one graph build (see :func:`routing.build.build_graph`)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["BuildReport"]


@dataclass
class BuildReport:
    """
    What :func:`build_graph` did.

    Attributes
    ----------
    source
        File name of the input.
    profile
        Profile name.
    input_format
        ``"osm"`` (XML), ``"pbf"`` or ``"lines"``.
    nodes, edges
        Size of the final graph.
    ferry_edges
        Ferry edges in the final graph (both directions counted).
    dropped_components
        Strongly connected components removed (all but the largest).
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
        Column preset used for GIS lines (None for OSM input).
    notes
        Other facts worth knowing (unknown class values, etc.).
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

    def __str__(self) -> str:
        """Return a short multi-line summary for the terminal."""
        fmt = self.input_format + (f", preset {self.preset}" if self.preset else "")
        lines = [
            f"Graph from {self.source} ({fmt}), profile {self.profile}",
            f"  read       {self.raw_nodes:>9,} nodes {self.raw_edges:>9,} edges",
            f"  forbidden  {self.forbidden_edges:>25,} edges removed by the profile",
            f"  dropped    {self.dropped_nodes:>9,} nodes {self.dropped_edges:>9,} edges "
            f"in {self.dropped_components:,} smaller strongly connected components",
            f"  result     {self.nodes:>9,} nodes {self.edges:>9,} edges "
            f"({self.ferry_edges:,} ferry)",
        ]
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
        return "\n".join(lines)
