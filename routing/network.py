"""A loaded road network of one profile: compiled graph, engine and snapper together.

Compiled graphs live in one folder as ``<profile>.npz`` files; the API loads all of
them at start-up with :func:`load_networks`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from routing.compiled import CompiledGraph, compile_graph, load_compiled, save_compiled
from routing.engine import EngineKind, RoutingEngine, make_engine
from routing.errors import CompiledGraphError, UnknownProfileError
from routing.profiles import PROFILES
from routing.snap import Snap, Snapper

SUFFIX = ".npz"


@dataclass
class Network:
    """Everything needed to answer routing queries for one profile."""

    profile: str
    compiled: CompiledGraph
    engine: RoutingEngine
    snapper: Snapper
    source: str = ""
    load_seconds: float = 0.0

    @classmethod
    def from_compiled(
        cls, compiled: CompiledGraph, *, kind: EngineKind = "auto", source: str = ""
    ) -> Network:
        """Wrap a compiled graph, preparing its engine (CH preprocessing) and snapper."""
        started = time.perf_counter()
        engine = make_engine(compiled, kind=kind)
        snapper = Snapper(compiled)
        return cls(
            profile=compiled.profile,
            compiled=compiled,
            engine=engine,
            snapper=snapper,
            source=source,
            load_seconds=time.perf_counter() - started,
        )

    def nearest(
        self, origin: Snap, targets: Sequence[Snap], *, k: int, first_limit_s: float = 300.0
    ) -> list[tuple[int, float, float]]:
        """The ``k`` targets reachable soonest, searching outwards in growing rings.

        A search bounded by ``limit`` is exact for every target within it, so when it
        finds ``k`` targets they are the true ``k`` nearest; otherwise the limit
        doubles, up to an unbounded search. Dense cities finish in the first ring.
        """
        limit: float | None = first_limit_s
        while True:
            hits = self.engine.nearest(origin, targets, k=k, max_duration_s=limit)
            if len(hits) >= min(k, len(targets)) or limit is None:
                return hits
            limit = None if limit > 4 * 3600 else limit * 2

    @classmethod
    def load(cls, path: str | Path, *, kind: EngineKind = "auto") -> Network:
        """Load a compiled graph file and prepare it for queries."""
        started = time.perf_counter()
        net = cls.from_compiled(load_compiled(path), kind=kind, source=str(path))
        net.load_seconds = time.perf_counter() - started
        return net


def graph_path(graph_dir: str | Path, profile: str) -> Path:
    """The file of a profile's compiled graph in ``graph_dir``."""
    if profile not in PROFILES:
        msg = f"unknown profile {profile!r}; profiles: {sorted(PROFILES)}"
        raise UnknownProfileError(msg)
    return Path(graph_dir) / f"{profile}{SUFFIX}"


def compile_and_save(graph: nx.MultiDiGraph, out: str | Path) -> CompiledGraph:
    """Compile a built graph and write it to ``out`` atomically."""
    compiled = compile_graph(graph)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    save_compiled(compiled, tmp)
    tmp.replace(out)  # readers never see a half-written file
    return compiled


def load_networks(
    graph_dir: str | Path,
    *,
    kind: EngineKind = "auto",
    on_error: Callable[[Path, CompiledGraphError], None] | None = None,
) -> dict[str, Network]:
    """Load every ``<profile>.npz`` of ``graph_dir`` (missing folder: no networks).

    A file that is not a compiled graph of this code's format (e.g. written by an older
    version) is skipped and passed to ``on_error``; without ``on_error`` it raises.
    """
    folder = Path(graph_dir)
    networks: dict[str, Network] = {}
    if not folder.is_dir():
        return networks
    for profile in PROFILES:
        path = folder / f"{profile}{SUFFIX}"
        if not path.exists():
            continue
        try:
            networks[profile] = Network.load(path, kind=kind)
        except CompiledGraphError as exc:
            if on_error is None:
                raise
            on_error(path, exc)
    return networks
