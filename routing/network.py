"""A loaded road network of one profile: compiled graph, engine and snapper together.

Compiled graphs live in one folder as ``<profile>.npz`` files; the API loads all of
them at start-up with :func:`load_networks`. A :class:`Network` knows its snapping
limit: :meth:`Network.snap` refuses a location farther from any road with an
:class:`~routing.errors.OffNetworkError` that names the request field.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
from numpy.typing import ArrayLike

from data.budget import UNLIMITED, Budget
from routing.compiled import CompiledGraph, compile_graph, load_compiled, save_compiled
from routing.engine import EngineKind, NearestHit, RoutingEngine, make_engine
from routing.errors import CompiledGraphError, OffNetworkError, UnknownProfileError
from routing.profiles import PROFILES
from routing.snap import DEFAULT_MAX_DISTANCE_M, Snap, SnapArrays, Snapper

SUFFIX = ".npz"


@dataclass
class Network:
    """Everything needed to answer routing queries for one profile.

    ``key`` identifies this loaded network (a new one for every load), so caches can
    hold answers per network without relying on ``id()``.
    """

    profile: str
    compiled: CompiledGraph
    engine: RoutingEngine
    snapper: Snapper
    source: str = ""
    load_seconds: float = 0.0
    snap_max_m: float = DEFAULT_MAX_DISTANCE_M
    key: str = field(default_factory=lambda: uuid.uuid4().hex)

    @classmethod
    def from_compiled(
        cls,
        compiled: CompiledGraph,
        *,
        kind: EngineKind = "auto",
        source: str = "",
        snap_max_m: float = DEFAULT_MAX_DISTANCE_M,
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
            snap_max_m=snap_max_m,
        )

    def snap(self, lon: float, lat: float, *, field: str) -> Snap:
        """Snap a location within the network's limit.

        Raises
        ------
        OffNetworkError
            Farther than :attr:`snap_max_m` from any road (``field`` names the request
            field, e.g. ``from`` or ``sources.3``).
        """
        try:
            return self.snapper.snap(lon, lat, max_distance_m=self.snap_max_m)
        except OffNetworkError as exc:
            exc.field = field
            raise

    def snap_many(self, lons: ArrayLike, lats: ArrayLike) -> SnapArrays:
        """Snap many locations within the network's limit (off-network ones flagged)."""
        return self.snapper.snap_many(lons, lats, max_distance_m=self.snap_max_m)

    def nearest(
        self,
        origin: Snap,
        targets: Sequence[Snap],
        *,
        k: int,
        first_limit_s: float = 300.0,
        with_routes: bool = False,
        budget: Budget = UNLIMITED,
    ) -> list[NearestHit]:
        """The ``k`` targets reachable soonest, searching outwards in growing rings.

        A search bounded by ``limit`` is exact for every target within it, so when it
        finds ``k`` targets they are the true ``k`` nearest; otherwise the limit
        doubles, up to an unbounded search. Dense cities finish in the first ring.
        With ``with_routes`` every hit carries its route from the same search.
        ``budget`` is checked before each ring (one search each).
        """
        limit: float | None = first_limit_s
        while True:
            budget.check()
            hits = self.engine.nearest(
                origin, targets, k=k, max_duration_s=limit, with_routes=with_routes
            )
            if len(hits) >= min(k, len(targets)) or limit is None:
                return hits
            limit = None if limit > 4 * 3600 else limit * 2

    @classmethod
    def load(
        cls,
        path: str | Path,
        *,
        kind: EngineKind = "auto",
        snap_max_m: float = DEFAULT_MAX_DISTANCE_M,
    ) -> Network:
        """Load a compiled graph file and prepare it for queries."""
        started = time.perf_counter()
        net = cls.from_compiled(
            load_compiled(path), kind=kind, source=str(path), snap_max_m=snap_max_m
        )
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
    snap_max_m: float = DEFAULT_MAX_DISTANCE_M,
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
            networks[profile] = Network.load(path, kind=kind, snap_max_m=snap_max_m)
        except CompiledGraphError as exc:
            if on_error is None:
                raise
            on_error(path, exc)
    return networks
