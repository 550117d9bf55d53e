"""A loaded road network of one profile: compiled graph, engine and snapper together.

A graph folder holds a network store (format 3: ``network/`` shared by the profiles
plus one small ``<profile>.npz`` of times each, ``docs/network-store.md``) or
format-2 ``<profile>.npz`` compiled graphs, one full copy per profile; the API loads
all of them at start-up with :func:`load_networks`. The profiles of a store share one
copy of everything that does not depend on speeds: the memory-mapped base arrays, the
grid snapping index and the CCH built from the saved order (each profile customizes
its own metric). A :class:`Network` knows its snapping
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
import numpy as np
from numpy.typing import ArrayLike

from data.budget import UNLIMITED, Budget
from routing.compiled import CompiledGraph, compile_graph, load_compiled, save_compiled
from routing.engine import EngineKind, NearestHit, RoutingEngine, make_engine
from routing.errors import CompiledGraphError, OffNetworkError, UnknownProfileError
from routing.profiles import PROFILES
from routing.snap import DEFAULT_MAX_DISTANCE_M, Snap, SnapArrays, Snapper
from routing.snap_index import GridIndex
from routing.store import is_store, profile_path, read_network, read_profile
from routing.store_cch import compute_order, saved_order, saved_scale
from routing.store_snap import build_snap_index, load_snap_index
from routing.store_types import StoreNetwork
from routing.store_view import profile_graph
from routing.targets import TargetSet, prepare_targets

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

    def prepare_targets(self, snaps: Sequence[Snap]) -> TargetSet:
        """Snaps of this network prepared for repeated :meth:`nearest` calls (an
        immutable sequence of the same snaps; see :mod:`routing.targets`)."""
        return prepare_targets(self.compiled, snaps)

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
        An engine that ranks every target in one sweep (``ranks_all_targets``: the CCH
        engine) is asked once, without rings.
        With ``with_routes`` every hit carries its route from the same search.
        ``budget`` is checked before each ring (one search each).
        """
        if getattr(self.engine, "ranks_all_targets", False):  # CCH: one sweep ranks all
            budget.check()
            return self.engine.nearest(origin, targets, k=k, with_routes=with_routes)
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


def _store_snap_index(network: StoreNetwork) -> GridIndex:
    """The store's saved snapping index, or one built now (a store written without)."""
    index = load_snap_index(network)
    if index is None:
        built = build_snap_index(network, ())
        meta = built.meta["grid"]
        index = GridIndex.from_arrays(
            meta, {k.removeprefix("snap_"): v for k, v in built.arrays.items()}
        )
    return index


def load_store(
    graph_dir: str | Path,
    *,
    kind: EngineKind = "auto",
    snap_max_m: float = DEFAULT_MAX_DISTANCE_M,
    profiles: Sequence[str] | None = None,
) -> dict[str, Network]:
    """
    Load the profiles of a network store, sharing what does not depend on speeds.

    The base arrays are memory-mapped (shared with other processes through the page
    cache); the snapping index is the saved one (memory-mapped); the CCH is built once
    from the saved order (computed now when the store has none) and customized per
    profile with its saved weight scale.

    Parameters
    ----------
    graph_dir
        The graph folder (``network/`` and ``<profile>.npz``).
    kind
        The engine (see :func:`routing.engine.make_engine`).
    snap_max_m
        The snapping limit of every profile.
    profiles
        Which profiles to load (default: all in the store).

    Returns
    -------
    dict of str to Network
        By profile name.

    Raises
    ------
    routing.store.StoreError
        If the store or a profile file is unreadable or of another store.
    """
    from routing.cch import SharedCCH

    started = time.perf_counter()
    folder = Path(graph_dir)
    network = read_network(folder, mmap=True)
    names = list(network.meta.get("profiles", {})) if profiles is None else list(profiles)
    index = _store_snap_index(network)
    shared: SharedCCH | None = None
    if kind in ("auto", "cch"):
        order = saved_order(network)
        if order is None:
            order = compute_order(
                network.n_nodes,
                network.edge_tail,
                network.edge_head,
                network.node_lon,
                network.node_lat,
            )
        shared = SharedCCH(order, network.edge_tail, network.edge_head)
    common = time.perf_counter() - started
    highway = np.asarray(network.edge_highway, dtype=np.int32)
    out: dict[str, Network] = {}
    for name in names:
        t0 = time.perf_counter()
        prof = read_profile(folder, name, meta=network.meta)
        cg = profile_graph(network, prof, highway=highway)
        engine = make_engine(cg, kind=kind, shared=shared, scale=saved_scale(network, name))
        snapper = Snapper(cg, index=index, twin=network.edge_twin)
        out[name] = Network(
            profile=name,
            compiled=cg,
            engine=engine,
            snapper=snapper,
            source=str(profile_path(folder, name)),
            load_seconds=common + time.perf_counter() - t0,
            snap_max_m=snap_max_m,
        )
    return out


def load_networks(
    graph_dir: str | Path,
    *,
    kind: EngineKind = "auto",
    snap_max_m: float = DEFAULT_MAX_DISTANCE_M,
    on_error: Callable[[Path, CompiledGraphError], None] | None = None,
) -> dict[str, Network]:
    """Load the networks of ``graph_dir`` (missing folder: no networks).

    A network store's profiles come from :func:`load_store` (sharing one base
    network); other ``<profile>.npz`` files are format-2 compiled graphs. A store or
    file that is not of this code's formats (e.g. written by an older version) is
    skipped and passed to ``on_error``; without ``on_error`` it raises.
    """
    folder = Path(graph_dir)
    networks: dict[str, Network] = {}
    if not folder.is_dir():
        return networks
    in_store: set[str] = set()
    if is_store(folder):
        try:
            networks.update(load_store(folder, kind=kind, snap_max_m=snap_max_m))
        except CompiledGraphError as exc:
            if on_error is None:
                raise
            on_error(folder / "network", exc)
        in_store = set(_store_profiles(folder))
    for profile in PROFILES:
        path = folder / f"{profile}{SUFFIX}"
        if not path.exists() or profile in networks or profile in in_store:
            continue
        try:
            networks[profile] = Network.load(path, kind=kind, snap_max_m=snap_max_m)
        except CompiledGraphError as exc:
            if on_error is None:
                raise
            on_error(path, exc)
    return networks


def _store_profiles(folder: Path) -> list[str]:
    """Profile names listed in a store's ``meta.json`` (empty if unreadable)."""
    import json

    try:
        doc = json.loads((folder / "network" / "meta.json").read_text())
    except (OSError, ValueError):
        return []
    return list(doc.get("profiles", {}))
