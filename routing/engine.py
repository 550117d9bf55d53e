"""The routing-engine interface and its factory.

Three implementations stand behind :class:`RoutingEngine`:

* :class:`~routing.cch.CCHEngine` (``kind="cch"``, the default): RoutingKit's
  customizable contraction hierarchies; the metric-independent order is saved with a
  network store and shared by its profiles, each profile customizes it at load;
  routes re-summed exactly, matrices and nearest from pinned one-to-many sweeps
  (``docs/network-store.md``, README "Routing engine").
* :class:`~routing.ch.CHEngine` (``kind="ch"``): pandana contraction
  hierarchies for point-to-point routes (~0.03 ms per CH query on the 33k-node
  Jakarta graph) with costs re-summed exactly in float64; matrices from CH
  distances; ``nearest`` / ``multi_source`` from scipy.
* :class:`~routing.dijkstra.ScipyEngine` (``kind="scipy"``): everything on
  ``scipy.sparse.csgraph.dijkstra`` (~3.5 ms per full search on Jakarta); no
  preprocessing, exact float64 sums.

``make_engine(cg)`` picks the CCH engine when ``routingkit_cch`` is importable, else
the pandana CH engine, else scipy. Travel
times are in seconds; distances in metres; unreachable means ``inf``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

import numpy as np

from data.budget import UNLIMITED, Budget
from routing.dijkstra import Direction, NearestHit, ScipyEngine
from routing.paths import Route
from routing.snap import Snap

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from routing.cch import SharedCCH
    from routing.compiled import CompiledGraph

__all__ = [
    "Direction",
    "EngineKind",
    "NearestHit",
    "RoutingEngine",
    "make_engine",
    "node_values_at",
]

EngineKind = Literal["auto", "cch", "ch", "scipy"]


@runtime_checkable
class RoutingEngine(Protocol):
    """Shortest travel-time queries over one :class:`CompiledGraph`."""

    compiled: CompiledGraph
    kind: str

    def route(self, origin: Snap, destination: Snap) -> Route:
        """Return the single best route between two snapped locations.

        Raises :class:`~routing.errors.UnreachableError` when there is none.
        """
        ...

    def duration(self, origin: Snap, destination: Snap) -> float:
        """Return the best travel time in seconds, ``inf`` when unreachable."""
        ...

    def durations(
        self,
        origins: Sequence[Snap],
        destinations: Sequence[Snap],
        *,
        budget: Budget = UNLIMITED,
    ) -> NDArray[np.float64]:
        """Return the origins x destinations travel-time matrix (s; ``inf`` unreachable).

        ``budget`` is checked between bounded batches of searches."""
        ...

    def nearest(
        self,
        origin: Snap,
        targets: Sequence[Snap],
        *,
        k: int,
        max_duration_s: float | None = None,
        with_routes: bool = False,
    ) -> list[NearestHit]:
        """Return up to ``k`` hits (target index, duration s, distance m[, route]), fastest
        first; routes come from the same search (``with_routes``)."""
        ...

    def multi_source(
        self,
        sources: Sequence[Snap] | NDArray[np.integer],
        *,
        limit_s: float | None = None,
        direction: Direction = "from_sources",
    ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Return per-node travel time to/from the nearest source and its index."""
        ...


def make_engine(
    compiled: CompiledGraph,
    *,
    kind: EngineKind = "auto",
    shared: SharedCCH | None = None,
    scale: float | None = None,
) -> RoutingEngine:
    """Create a routing engine for a compiled graph.

    Parameters
    ----------
    compiled : CompiledGraph
        The compiled graph.
    kind : {"auto", "cch", "ch", "scipy"}, default "auto"
        ``"cch"``: customizable contraction hierarchies (RoutingKit; order saved in
        a network store, customization per profile in a fraction of a second).
        ``"ch"``: contraction hierarchies (pandana; rebuilt at every load, kept for
        comparison). ``"scipy"``: no preprocessing, one Dijkstra search per query.
        ``"auto"``: ``"cch"`` if ``routingkit_cch`` imports, else ``"ch"`` if
        pandana does, else ``"scipy"``.
    shared : SharedCCH, optional
        The network's CCH (a store's, from its saved order), for ``"cch"``.
    scale : float, optional
        The CCH weight scale saved with the store, for ``"cch"``.

    Returns
    -------
    RoutingEngine
        The engine.
    """
    if kind not in ("auto", "cch", "ch", "scipy"):
        msg = f"kind must be 'auto', 'cch', 'ch' or 'scipy', got {kind!r}"
        raise ValueError(msg)
    if kind == "scipy":
        return ScipyEngine(compiled)
    if kind in ("auto", "cch"):
        try:
            from routing.cch import CCHEngine
        except ImportError:
            if kind == "cch":
                raise
        else:
            return CCHEngine(compiled, shared=shared, scale=scale)
    try:
        from routing.ch import CHEngine
    except ImportError:
        if kind == "ch":
            raise
        return ScipyEngine(compiled)
    return CHEngine(compiled)


def node_values_at(
    compiled: CompiledGraph,
    snaps: Sequence[Snap],
    node_times: NDArray[np.float64],
    *,
    direction: Direction = "to_sources",
) -> NDArray[np.float64]:
    """Carry per-node travel times (from :meth:`RoutingEngine.multi_source`) to snaps.

    For coverage: with ``node_times`` from ``multi_source(facilities,
    direction="to_sources")``, a home snapped on edge ``u -> v`` at ``t`` needs
    ``min((1 - t) w + T[v], t w' + T[u])``. With ``direction="from_sources"`` the
    destination rule applies instead. Trips that stay on the home's own road
    (facility on the same edge) are not considered.

    Parameters
    ----------
    compiled : CompiledGraph
        The compiled graph.
    snaps : sequence of Snap
        The locations (e.g. homes).
    node_times : numpy.ndarray
        Per-node travel times.
    direction : {"to_sources", "from_sources"}, default "to_sources"
        Which search produced ``node_times``.

    Returns
    -------
    numpy.ndarray
        One travel time per snap (``inf`` when unreachable).
    """
    from routing.dijkstra import _candidate_arrays
    from routing.paths import destination_candidates, origin_candidates

    make = origin_candidates if direction == "to_sources" else destination_candidates
    nodes, costs = _candidate_arrays(compiled, snaps, make)
    return np.min(np.asarray(node_times)[nodes] + costs, axis=1)
