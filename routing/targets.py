"""Targets prepared once for many queries: a fixed set of snapped destinations.

``/nearest`` asks, for every request, which of the same few hundred service points
are reachable soonest. What depends only on the targets — each target's candidate
nodes and partial-road costs (:func:`routing.paths.destination_candidates`), the
distinct candidate nodes an engine pins its one-to-many sweep on, and which targets
lie on which road — is computed once here, when the snapped targets are made
(``geo_api.facilities`` keeps a :class:`TargetSet` with its cached snaps), instead
of in a Python loop over every target on every request.

A :class:`TargetSet` is an immutable ``Sequence[Snap]``, so every engine accepts it
where it accepts a list of snaps; engines that know it (``_candidate_arrays`` in
:mod:`routing.dijkstra`, :class:`routing.cch.CCHEngine`) use the prepared arrays,
which are exactly those the per-request code computes. ``key`` identifies the set
(a new one per :func:`prepare_targets`), so an engine may keep a query pinned on it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, overload

import numpy as np

from routing.paths import destination_candidates

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from routing.compiled import CompiledGraph
    from routing.snap import Snap

__all__ = ["TargetSet", "as_target_set", "prepare_targets"]


class TargetSet(Sequence["Snap"]):
    """Snapped targets with their destination candidates, for one compiled graph.

    Attributes
    ----------
    nodes, costs : ndarray of shape (n, 2)
        Each target's candidate nodes and partial-road costs (s), padded with an
        ``inf`` cost (as ``routing.dijkstra._candidate_arrays``).
    pinned : ndarray of int64
        The distinct candidate nodes with a finite cost, sorted.
    pin_index : ndarray of shape (n, 2)
        Position of each candidate node in ``pinned`` (padding: any valid position).
    by_edge : dict of int to tuple of int
        Target indices by the road edge they lie on.
    key : str
        Identifies this set (new for every :func:`prepare_targets`).
    n_nodes : int
        Nodes of the graph it was prepared for (engines refuse a set of another size).
    """

    __slots__ = ("_snaps", "by_edge", "costs", "key", "n_nodes", "nodes", "pin_index", "pinned")

    def __init__(self, snaps: Sequence[Snap], cg: CompiledGraph) -> None:
        self._snaps: tuple[Snap, ...] = tuple(snaps)
        n = len(self._snaps)
        nodes = np.zeros((n, 2), dtype=np.int64)
        costs = np.full((n, 2), np.inf)
        by_edge: dict[int, list[int]] = {}
        for i, s in enumerate(self._snaps):
            for j, c in enumerate(destination_candidates(cg, s)):
                nodes[i, j], costs[i, j] = c.node, c.cost
            by_edge.setdefault(int(s.edge), []).append(i)
        pinned = np.unique(nodes[np.isfinite(costs)])
        self.nodes: NDArray[np.int64] = nodes
        self.costs: NDArray[np.float64] = costs
        self.pinned: NDArray[np.int64] = pinned
        self.pin_index: NDArray[np.int64] = np.searchsorted(pinned, nodes).clip(
            0, max(pinned.shape[0] - 1, 0)
        )
        self.by_edge: dict[int, tuple[int, ...]] = {e: tuple(v) for e, v in by_edge.items()}
        self.key = uuid.uuid4().hex
        self.n_nodes = int(cg.n_nodes)
        for a in (self.nodes, self.costs, self.pinned, self.pin_index):
            a.flags.writeable = False

    def check_graph(self, cg: CompiledGraph) -> None:
        """Raise ``ValueError`` if the set was prepared for a graph of another size."""
        if cg.n_nodes != self.n_nodes:
            msg = f"targets prepared for a graph of {self.n_nodes:,} nodes, not {cg.n_nodes:,}"
            raise ValueError(msg)

    @overload
    def __getitem__(self, index: int) -> Snap: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Snap]: ...

    def __getitem__(self, index: int | slice) -> Snap | Sequence[Snap]:
        return self._snaps[index]

    def __len__(self) -> int:
        return len(self._snaps)

    def __iter__(self) -> Iterator[Snap]:
        return iter(self._snaps)

    def __repr__(self) -> str:
        return f"TargetSet({len(self._snaps)} targets, {self.pinned.shape[0]} pinned nodes)"


def prepare_targets(cg: CompiledGraph, snaps: Sequence[Snap]) -> TargetSet:
    """Prepare snapped targets of ``cg`` for repeated nearest / matrix queries.

    Parameters
    ----------
    cg
        The compiled graph (or profile view) the snaps were made on.
    snaps
        The targets, in the order hits will refer to them.

    Returns
    -------
    TargetSet
        An immutable sequence of the snaps with their prepared arrays.
    """
    return TargetSet(snaps, cg)


def as_target_set(cg: CompiledGraph, targets: Sequence[Snap]) -> TargetSet:
    """``targets`` as a prepared set of ``cg``: as given if it is one (checked against
    the graph), else prepared now."""
    if isinstance(targets, TargetSet):
        targets.check_graph(cg)
        return targets
    return prepare_targets(cg, targets)
