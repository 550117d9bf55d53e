"""Check a builder's arrays and put them in store order (CSR, copies collapsed, twins)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from routing.compiled import twin_edges
from routing.store_types import BaseArrays, ProfileTimes, StoreError, StoreNetwork, StoreProfile

__all__ = ["check_arrays", "sort_network"]

_PROFILE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _fail(msg: str) -> StoreError:
    return StoreError(f"cannot write the network store: {msg}")


def check_arrays(base: BaseArrays, profiles: Sequence[ProfileTimes]) -> None:
    """Every rule of the interface, checked in O(m) before anything is written."""
    n, m = base.n_nodes, base.n_arcs
    ids = np.asarray(base.node_ids)
    if n == 0 or m == 0:
        raise _fail("the network has no nodes or no arcs")
    if n >= 2**31 - 1:
        raise _fail(f"{n:,} nodes do not fit the int32 arc ends")
    if np.any(np.diff(ids) <= 0):
        raise _fail("node_ids must be strictly ascending")
    for name in ("node_lon", "node_lat"):
        if getattr(base, name).shape != (n,):
            raise _fail(f"{name} must have one value per node")
    lon, lat = np.asarray(base.node_lon), np.asarray(base.node_lat)
    if not (np.all(np.abs(lon) <= 180) and np.all(np.abs(lat) <= 90)):
        raise _fail("node coordinates must be lon/lat degrees")
    for name in (
        "edge_head", "edge_length", "edge_highway", "edge_name", "edge_ferry",
        "edge_ferry_link", "edge_source",
    ):  # fmt: skip
        if getattr(base, name).shape != (m,):
            raise _fail(
                f"{name} must have one value per arc ({m:,}), got {getattr(base, name).shape}"
            )
    tail, head = np.asarray(base.edge_tail), np.asarray(base.edge_head)
    if tail.min() < 0 or head.min() < 0 or tail.max() >= n or head.max() >= n:
        raise _fail("edge_tail/edge_head must be node indexes")
    length = np.asarray(base.edge_length)
    if not np.all(np.isfinite(length) & (length > 0)):
        raise _fail("edge_length must be finite and > 0")
    for name, table in (("edge_highway", base.highways), ("edge_name", base.names)):
        codes = np.asarray(getattr(base, name))
        if codes.min() < 0 or codes.max() >= len(table):
            raise _fail(f"{name} must index its table")
    off, xy = np.asarray(base.geom_offsets), np.asarray(base.geom_coords)
    if off.shape != (m + 1,) or off[0] != 0 or off[-1] != len(xy) or xy.ndim != 2:
        raise _fail("geom_offsets must be m + 1 offsets into geom_coords (k, 2)")
    if np.any(np.diff(off) < 2):
        raise _fail("every arc's line needs at least two points")
    ends_ok = (
        (xy[off[:-1], 0] == lon[tail]) & (xy[off[:-1], 1] == lat[tail])
        & (xy[off[1:] - 1, 0] == lon[head]) & (xy[off[1:] - 1, 1] == lat[head])
    )  # fmt: skip
    if not np.all(ends_ok):
        bad = int(np.flatnonzero(~ends_ok)[0])
        raise _fail(f"the line of arc {bad} does not start and end at its nodes")
    names = [p.profile for p in profiles]
    if not names or len(set(names)) != len(names):
        raise _fail(f"give one ProfileTimes per profile, names unique (got {names})")
    for p in profiles:
        if not _PROFILE_NAME.match(p.profile):
            raise _fail(f"profile name {p.profile!r} must be lower-case letters, digits, _")
        t = np.asarray(p.edge_time)
        if t.shape != (m,):
            raise _fail(f"profile {p.profile}: edge_time must have one value per arc")
        if np.any(np.isnan(t)) or np.any(t <= 0):
            raise _fail(f"profile {p.profile}: edge_time must be > 0 (inf: not usable), never NaN")


def _line_keys(
    tail: NDArray[np.int64],
    head: NDArray[np.int64],
    off: NDArray[np.int64],
    xy: NDArray[np.float64],
) -> NDArray[np.uint64]:
    """A 64-bit hash of each arc's ends and exact coordinates (equal lines, equal keys)."""
    with np.errstate(over="ignore"):
        n_v = np.diff(off)
        owner = np.repeat(np.arange(len(tail)), n_v)
        pos = (np.arange(len(xy)) - off[:-1][owner]).astype(np.uint64)
        bits = np.ascontiguousarray(xy).view(np.uint64).reshape(-1, 2)
        h = bits[:, 0] * np.uint64(0x9E3779B97F4A7C15) ^ bits[:, 1] * np.uint64(0xBF58476D1CE4E5B9)
        h ^= (pos + np.uint64(1)) * np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(29)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        key = np.add.reduceat(h, off[:-1]) if len(off) > 1 else np.zeros(0, np.uint64)
        key ^= tail.astype(np.uint64) * np.uint64(0xD6E8FEB86659FD93)
        key ^= head.astype(np.uint64) * np.uint64(0xA5A5A5A5A5A5A5A5)
    return np.asarray(key, dtype=np.uint64)


def _same_lines(
    a: NDArray[np.int64], b: NDArray[np.int64], off: NDArray[np.int64], xy: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """Whether arcs ``a[i]`` and ``b[i]`` have exactly the same coordinates."""
    na, nb = off[a + 1] - off[a], off[b + 1] - off[b]
    ok = na == nb
    idx = np.flatnonzero(ok)
    if len(idx) == 0:
        return ok
    counts = na[idx]
    k = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    pa = np.repeat(off[a[idx]], counts) + k
    pb = np.repeat(off[b[idx]], counts) + k
    same = np.all(xy[pa] == xy[pb], axis=1)
    ok[idx] = np.logical_and.reduceat(same, np.cumsum(counts) - counts)
    return ok


def _subset_lines(
    off: NDArray[np.int64], xy: NDArray[np.float64], which: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    sizes = off[which + 1] - off[which]
    new = np.zeros(len(which) + 1, dtype=np.int64)
    np.cumsum(sizes, out=new[1:])
    pos = np.repeat(off[which] - new[:-1], sizes) + np.arange(int(new[-1]))
    return new, np.ascontiguousarray(xy[pos])


def sort_network(
    base: BaseArrays, profiles: Sequence[ProfileTimes]
) -> tuple[StoreNetwork, list[StoreProfile], dict[str, int]]:
    """
    Sort the arcs into CSR order, collapse exact copies and pair twins.

    Parameters
    ----------
    base, profiles
        As for :func:`write_store` (checked already).

    Returns
    -------
    network, profiles, counts
        The network as it is stored, the profiles' times aligned with it, and counts
        (``copies_collapsed``, ``twins``).
    """
    tail = np.asarray(base.edge_tail, dtype=np.int64)
    head = np.asarray(base.edge_head, dtype=np.int64)
    off, xy = np.asarray(base.geom_offsets, dtype=np.int64), np.asarray(base.geom_coords)
    key = _line_keys(tail, head, off, xy)
    order = np.lexsort((key, head, tail))
    t_s, h_s, k_s = tail[order], head[order], key[order]
    # exact copies are neighbours in this order (same ends, same key): check them exactly
    cand = np.flatnonzero((t_s[1:] == t_s[:-1]) & (h_s[1:] == h_s[:-1]) & (k_s[1:] == k_s[:-1]))
    starts = np.ones(len(order), dtype=bool)
    if len(cand):
        same = _same_lines(order[cand], order[cand + 1], off, xy)
        starts[cand[same] + 1] = False
    first = np.flatnonzero(starts)
    keep = order[first]
    new_off, new_xy = _subset_lines(off, xy, keep)
    tail_k, head_k = tail[keep], head[keep]
    n = base.n_nodes
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail_k, minlength=n), out=indptr[1:])
    twin = twin_edges(tail_k, head_k, new_off, new_xy)
    network = StoreNetwork(
        node_ids=np.asarray(base.node_ids, dtype=np.int64),
        node_lon=np.asarray(base.node_lon, dtype=np.float64),
        node_lat=np.asarray(base.node_lat, dtype=np.float64),
        indptr=indptr,
        edge_tail=tail_k.astype(np.int32),
        edge_head=head_k.astype(np.int32),
        edge_length=np.asarray(base.edge_length, dtype=np.float64)[keep],
        edge_twin=twin,
        edge_highway=np.asarray(base.edge_highway)[keep].astype(np.int16),
        edge_name=np.asarray(base.edge_name)[keep].astype(np.int32),
        edge_ferry=np.asarray(base.edge_ferry, dtype=np.bool_)[keep],
        edge_ferry_link=np.asarray(base.edge_ferry_link)[keep].astype(np.int64),
        edge_source=np.asarray(base.edge_source)[keep].astype(np.int16),
        geom_offsets=new_off,
        geom_coords=new_xy,
        highways=np.asarray(base.highways, dtype=np.str_),
        names=np.asarray(base.names, dtype=np.str_),
    )
    out = []
    for p in profiles:
        times = np.minimum.reduceat(np.asarray(p.edge_time, dtype=np.float64)[order], first)
        out.append(StoreProfile(p.profile, times, dict(p.settings), dict(p.report)))
    counts = {
        "copies_collapsed": int(len(order) - len(keep)),
        "twins": int(np.count_nonzero(twin >= 0)),
    }
    return network, out, counts
