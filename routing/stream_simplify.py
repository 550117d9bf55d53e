"""Collapse OSM way segments into intersection-to-intersection edges, on arrays.

This reproduces the topological simplification that built the road graphs of
``.osm.pbf`` files until now (pyrosm's ``to_graph(..., simplify=True)``, which follows
``osmnx.simplification.simplify_graph``), so the streaming reader makes exactly the
same edges:

1. every segment between two consecutive nodes of a way is a directed *row*: one
   row along a one-way way (``oneway`` in ``yes/true/1/F``, or a roundabout), one
   against it (``-1``/``T``), two for a two-way way;
2. a node is an *endpoint* when it has a self-loop, no row in or no row out, not
   exactly two distinct neighbours with 2 or 4 rows, or rows that differ in road class,
   ``maxspeed`` or an access tag;
3. every chain of rows from an endpoint through non-endpoints to the next endpoint
   is one edge; rings without an endpoint are dropped.

Most non-endpoints are *regular* (one row in and one out, or the two directions of a
two-way road): the walk through them has one way on, so chains are found for all of
them at once by pointer jumping. Only chains that reach an *irregular* non-endpoint
(duplicated ways, a doubled one-way beside a two-way road) depend on the order of
the walk; they are walked one step at a time, in the same order and with the same
rules as the original (first unvisited row on, parallels dropped), so the result is
the same edge for edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["Chains", "simplify_rows"]


@dataclass
class Chains:
    """
    Simplified edges as chains of directed rows.

    Attributes
    ----------
    rows
        Row ids in walk order, chain after chain.
    ptr
        ``len + 1`` offsets of each chain in ``rows``.
    tail, head
        Node factor index of each row (the row's direction).
    uniques
        Node id of each factor index.
    """

    rows: NDArray[np.int64]
    ptr: NDArray[np.int64]
    tail: NDArray[np.int64]
    head: NDArray[np.int64]
    uniques: NDArray[np.int64]


def _endpoints(
    u: NDArray[np.int64], v: NDArray[np.int64], n: int, attr: NDArray[np.int64]
) -> NDArray[np.bool_]:
    """Endpoint rules 1, 2, 3 and 5 (see the module docstring)."""
    out_deg = np.bincount(u, minlength=n)
    in_deg = np.bincount(v, minlength=n)
    self_loop = np.zeros(n, dtype=bool)
    self_loop[u[u == v]] = True
    low, high = np.minimum(u, v), np.maximum(u, v)
    pairs = pd.unique(low * np.int64(n) + high)
    lo, hi = np.divmod(pairs, n)
    distinct = np.bincount(lo, minlength=n) + np.bincount(hi[hi != lo], minlength=n)
    total = in_deg + out_deg
    passing = (distinct == 2) & ((total == 2) | (total == 4))
    endpoint = self_loop | (in_deg == 0) | (out_deg == 0) | ~passing
    # rows meeting at a node with different road attributes
    node = np.concatenate([u, v])
    code = np.concatenate([attr, attr])
    k = np.int64(int(code.max()) + 2) if len(code) else np.int64(1)
    seen = np.unique(node * k + (code + 1))
    endpoint |= np.bincount(seen // k, minlength=n) > 1
    return endpoint


def simplify_rows(
    src: NDArray[np.int64], dst: NDArray[np.int64], attr: NDArray[np.int64]
) -> Chains:
    """
    Simplify directed rows into chains (see the module docstring).

    Parameters
    ----------
    src, dst
        Node id at the start and end of each directed row, in the order the rows
        were made (along, against, two-way forward, two-way backward).
    attr
        Per row, a code of the attributes that must not change along an edge.

    Returns
    -------
    Chains
        The chains, in the order the original walk emits them.
    """
    m = len(src)
    codes, uniques = pd.factorize(np.concatenate([src, dst]), sort=False)
    u, v = codes[:m].astype(np.int64), codes[m:].astype(np.int64)
    n = len(uniques)
    if m == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Chains(empty, np.zeros(1, dtype=np.int64), u, v, np.asarray(uniques, dtype=np.int64))
    is_end = _endpoints(u, v, n, attr)
    order = np.argsort(u, kind="stable")  # CSR positions -> rows
    indices = v[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
    out_deg = np.diff(indptr)
    in_deg = np.bincount(v, minlength=n)
    # regular non-endpoints: 1 in / 1 out, or both directions to two distinct neighbours
    in_order = np.argsort(v, kind="stable")
    in_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(in_deg, out=in_ptr[1:])
    first_out = indices[np.minimum(indptr[:-1], m - 1)]
    second_out = indices[np.minimum(indptr[:-1] + 1, m - 1)]
    first_in = u[in_order][np.minimum(in_ptr[:-1], m - 1)]
    second_in = u[in_order][np.minimum(in_ptr[:-1] + 1, m - 1)]
    one_one = (out_deg == 1) & (in_deg == 1)
    two_two = (out_deg == 2) & (in_deg == 2) & (first_out != second_out) & (first_in != second_in)
    regular = ~is_end & (one_one | two_two)
    # the row after each row whose head is regular: the out-row not going back
    x = v
    has_next = regular[x]
    p0 = indptr[:-1][x]
    back = indices[np.minimum(p0, m - 1)] == u
    pick = np.where(one_one[x] | ~back, p0, p0 + 1)
    succ = np.where(has_next, order[np.minimum(pick, m - 1)], -1)
    pred = np.full(m, -1, dtype=np.int64)
    nxt = np.flatnonzero(succ >= 0)
    pred[succ[nxt]] = nxt
    root, depth, cyclic = _roots(pred)
    live = ~cyclic
    # rows of each run, by root and depth
    run_order = np.lexsort((depth, root))
    run_order = run_order[live[run_order]]
    run_root = root[run_order]
    starts_of = np.searchsorted(run_root, np.arange(m))
    stops_of = np.searchsorted(run_root, np.arange(m), side="right")
    padded = np.append(run_order, -1)  # rows on rings have no run
    last_row = np.where(stops_of > starts_of, padded[np.maximum(stops_of - 1, 0)], -1)
    # chain starts: out-rows of endpoints, in CSR order
    start_pos = np.flatnonzero(is_end[u[order]])
    start_rows = order[start_pos]
    clean = is_end[v[last_row[start_rows]]]
    clean_rows = start_rows[clean]
    if len(clean_rows):
        sizes = stops_of[clean_rows] - starts_of[clean_rows]
        pos = (
            np.repeat(starts_of[clean_rows], sizes)
            + np.arange(int(sizes.sum()))
            - np.repeat(np.cumsum(sizes) - sizes, sizes)
        )
        rows_clean = run_order[pos]
        ptr_clean = np.zeros(len(clean_rows) + 1, dtype=np.int64)
        np.cumsum(sizes, out=ptr_clean[1:])
    else:
        rows_clean = np.zeros(0, dtype=np.int64)
        ptr_clean = np.zeros(1, dtype=np.int64)
    dirty_pos = start_pos[~clean]
    dirty = _walk_dirty(
        dirty_pos, order, indices, indptr, u, v, is_end, run_order, starts_of, stops_of
    )
    # merge clean and dirty chains in the order of their starting CSR position
    chain_pos = np.concatenate([start_pos[clean], np.array([p for p, _ in dirty], dtype=np.int64)])
    sizes = np.concatenate(
        [np.diff(ptr_clean), np.array([len(r) for _, r in dirty], dtype=np.int64)]
    )
    parts_rows = [rows_clean, *[r for _, r in dirty]]
    all_rows = np.concatenate(parts_rows) if len(parts_rows) > 1 else rows_clean
    block_start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    order_chains = np.argsort(chain_pos, kind="stable")
    new_sizes = sizes[order_chains]
    ptr = np.zeros(len(new_sizes) + 1, dtype=np.int64)
    np.cumsum(new_sizes, out=ptr[1:])
    take = (
        np.repeat(block_start[order_chains], new_sizes)
        + np.arange(int(ptr[-1]))
        - np.repeat(ptr[:-1], new_sizes)
    )
    return Chains(all_rows[take], ptr, u, v, np.asarray(uniques, dtype=np.int64))


def _roots(
    pred: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
    """Per row: the first row of its run, its depth in it, and whether it is on a ring."""
    m = len(pred)
    idx = np.arange(m, dtype=np.int64)
    anc = np.where(pred >= 0, pred, idx)
    dist = (pred >= 0).astype(np.int64)
    steps = 1
    while steps < 2 * m + 2:
        dist = dist + dist[anc]
        anc = anc[anc]
        steps *= 2
        if np.all(pred[anc] < 0):
            break
    cyclic = pred[anc] >= 0
    return anc, dist, cyclic


def _walk_dirty(
    dirty_pos: NDArray[np.int64],
    order: NDArray[np.int64],
    indices: NDArray[np.int64],
    indptr: NDArray[np.int64],
    u: NDArray[np.int64],
    v: NDArray[np.int64],
    is_end: NDArray[np.bool_],
    run_order: NDArray[np.int64],
    starts_of: NDArray[np.int64],
    stops_of: NDArray[np.int64],
) -> list[tuple[int, NDArray[np.int64]]]:
    """The chains that reach an irregular node, walked step by step as the original walk does."""
    if len(dirty_pos) == 0:
        return []
    visited: set[int] = set()  # CSR positions of rows taken or dropped as parallels

    def run(row: int) -> NDArray[np.int64]:
        return run_order[starts_of[row] : stops_of[row]]

    def drop_parallels(a: int, b: int) -> None:
        for q in range(int(indptr[a]), int(indptr[a + 1])):
            if indices[q] == b:
                visited.add(q)

    chains: list[tuple[int, NDArray[np.int64]]] = []
    for p in dirty_pos.tolist():
        if p in visited:
            continue
        visited.add(p)
        first = run(int(order[p]))
        parts = [first]
        start = int(u[order[p]])
        prev, cur = int(u[first[-1]]), int(v[first[-1]])
        if len(first) == 1 and not is_end[cur]:
            drop_parallels(start, cur)
        while not is_end[cur]:
            nxt = -1
            for q in range(int(indptr[cur]), int(indptr[cur + 1])):
                if q not in visited and indices[q] != prev:
                    nxt = q
                    break
            if nxt == -1:
                break
            visited.add(nxt)
            drop_parallels(cur, int(indices[nxt]))
            part = run(int(order[nxt]))
            parts.append(part)
            prev, cur = int(u[part[-1]]), int(v[part[-1]])
        chains.append((p, np.concatenate(parts)))
    return chains
