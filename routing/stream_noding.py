"""Join line ends across files and node the lines into a raw network, on arrays.

The same rules as :mod:`routing.joins` and :func:`routing.lines.lines_to_graph` (whose
docstrings state them; they are the oracle of this module's tests), computed on
coordinate arrays instead of one LineString per line:

* line ends of *different* files within the tolerance become one vertex (nearest
  pair first, never two ends of one file; the representative is the member of the
  lowest file); every occurrence of a moved coordinate moves with it;
* lines are cut only at vertices they share exactly (rounded to 1e-7 degrees), never
  at crossings; repeated consecutive vertices are dropped;
* every piece between two cut vertices becomes a raw edge in each direction it may be
  travelled (two-way lines give two raw edges, the second with the reversed line).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from pyproj import Geod, Transformer
from scipy.spatial import cKDTree

from routing.joins import COORD_DECIMALS, NEAR_FACTOR
from routing.raw import NO_ACCESS, Combo, RawNetwork, Table
from routing.snap import utm_crs_for
from routing.stream_lines import LineArrays

__all__ = ["JoinFacts", "join_line_ends", "node_lines", "vertex_codes"]

_GEOD = Geod(ellps="WGS84")
_SCALE = 10**COORD_DECIMALS
_LON_OFF = 180 * _SCALE
_LAT_OFF = 90 * _SCALE


def vertex_codes(coords: NDArray[np.float64]) -> NDArray[np.int64]:
    """
    One int64 per point, ordered like the ``(lon, lat)`` keys of :func:`routing.joins.vertex_keys`.

    Parameters
    ----------
    coords
        ``(n, 2)`` lon/lat points.

    Returns
    -------
    numpy.ndarray
        Equal codes mean the same vertex (to 1e-7 degrees); the order of the codes is
        the lexicographic order of the rounded ``(lon, lat)`` pairs.
    """
    keys = np.round(coords * _SCALE).astype(np.int64)
    if len(keys) and (np.abs(keys[:, 0]).max() > _LON_OFF or np.abs(keys[:, 1]).max() > _LAT_OFF):
        # outside lon/lat: rank the pairs instead (still exact, slower)
        _, inverse = np.unique(keys, axis=0, return_inverse=True)
        return inverse.ravel().astype(np.int64)
    return (keys[:, 0] + _LON_OFF) * np.int64(2**31) + (keys[:, 1] + _LAT_OFF)


@dataclass
class JoinFacts:
    """What :func:`join_line_ends` did (as :class:`routing.joins.JoinResult`, without lines)."""

    joins: int = 0
    moved: int = 0
    joins_per_source: dict[int, int] = field(default_factory=dict)
    near_misses: list[tuple[float, float, float]] = field(default_factory=list)


def join_line_ends(
    coords: NDArray[np.float64],
    offsets: NDArray[np.int64],
    source: NDArray[np.int64],
    *,
    tolerance_m: float,
) -> JoinFacts:
    """
    Make line ends of different files within ``tolerance_m`` one vertex (in place).

    Parameters
    ----------
    coords, offsets
        The lines' coordinates (modified in place where ends are joined).
    source
        Per line, the index of its file.
    tolerance_m
        See :func:`routing.joins.join_endpoints`.

    Returns
    -------
    JoinFacts
        The join counts.
    """
    facts = JoinFacts()
    n_lines = len(offsets) - 1
    if n_lines == 0:
        return facts
    ends = np.vstack([coords[offsets[:-1]], coords[offsets[1:] - 1]])
    end_src = np.concatenate([source, source]).astype(np.int64)
    codes = vertex_codes(ends)
    ukeys, pos_of = np.unique(codes, return_inverse=True)
    pos_of = pos_of.ravel()
    n_pos = len(ukeys)
    coord = np.zeros((n_pos, 2))
    coord[pos_of] = ends
    pair_code = np.unique(pos_of * np.int64(max(int(end_src.max()) + 1, 1)) + end_src)
    n_src = max(int(end_src.max()) + 1, 1)
    p_pos, p_src = np.divmod(pair_code, n_src)
    files_count = np.bincount(p_pos, minlength=n_pos)
    lowest = np.full(n_pos, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(lowest, p_pos, p_src)

    involved: dict[int, set[int]] = {}
    pairs = np.zeros((0, 2), dtype=np.int64)
    dist = np.zeros(0)
    if len(np.unique(end_src)) >= 2:
        near = _near_pairs(coord, p_pos, p_src, radius_m=max(tolerance_m, 0.0) * NEAR_FACTOR)
        pairs, dist, involved = near
    parent = {p: p for p in involved}
    cluster = {p: set(s) for p, s in involved.items()}
    for (i, j), d in zip(pairs.tolist(), dist.tolist(), strict=True):
        if d > tolerance_m:
            break
        ri, rj = _find_in(parent, i), _find_in(parent, j)
        if ri == rj or cluster[ri] & cluster[rj]:
            continue
        parent[rj] = ri
        cluster[ri] |= cluster[rj]
    roots = np.arange(n_pos, dtype=np.int64)
    for p in involved:
        roots[p] = _find_in(parent, p)

    # representative of each cluster: member from the lowest file, then smallest key
    order = np.lexsort((ukeys, lowest, roots))
    first = np.ones(n_pos, dtype=bool)
    first[1:] = roots[order][1:] != roots[order][:-1]
    rep_of_root = np.empty(n_pos, dtype=np.int64)
    rep_of_root[roots[order][first]] = order[first]
    rep = rep_of_root[roots]
    # join points: clusters holding ends of two or more files
    plain = np.ones(n_pos, dtype=bool)
    plain[list(involved)] = False
    multi = np.flatnonzero(plain & (files_count >= 2))
    facts.joins = len(multi)
    per = np.bincount(p_src[np.isin(p_pos, multi)], minlength=n_src)
    facts.joins_per_source = {int(s): int(c) for s, c in enumerate(per) if c}
    for r in {roots[p] for p in involved}:
        members = cluster[int(r)]
        if len(members) >= 2:
            facts.joins += 1
            for s in members:
                facts.joins_per_source[s] = facts.joins_per_source.get(s, 0) + 1
    facts.joins_per_source = dict(sorted(facts.joins_per_source.items()))
    moving = np.flatnonzero(rep != np.arange(n_pos))
    facts.moved = len(moving)
    for (i, j), d in zip(pairs.tolist(), dist.tolist(), strict=True):
        ri, rj = int(roots[i]), int(roots[j])
        if d > tolerance_m and ri != rj and cluster[ri].isdisjoint(cluster[rj]):
            mid = (coord[i] + coord[j]) / 2.0
            facts.near_misses.append((float(d), float(mid[0]), float(mid[1])))
    if len(moving):
        all_codes = vertex_codes(coords)
        hit = np.flatnonzero(np.isin(all_codes, ukeys[moving]))
        target = coord[rep[moving]]
        where = np.searchsorted(ukeys[moving], all_codes[hit])
        coords[hit] = target[where]
    return facts


def _find_in(parent: dict[int, int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _near_pairs(
    coord: NDArray[np.float64],
    p_pos: NDArray[np.int64],
    p_src: NDArray[np.int64],
    *,
    radius_m: float,
) -> tuple[NDArray[np.int64], NDArray[np.float64], dict[int, set[int]]]:
    """Pairs of end positions of different files within ``radius_m``, nearest first.

    The pairs of :func:`routing.joins._candidate_pairs` (same projection, search
    radius, geodesic check and order), with the file sets made only for the positions
    in a pair; also returns those sets.
    """
    empty: tuple[NDArray[np.int64], NDArray[np.float64], dict[int, set[int]]] = (
        np.zeros((0, 2), dtype=np.int64),
        np.zeros(0),
        {},
    )
    if len(coord) < 2 or radius_m <= 0:
        return empty
    lon, lat = coord.mean(axis=0)
    to_utm = Transformer.from_crs("EPSG:4326", utm_crs_for(float(lon), float(lat)), always_xy=True)
    x, y = to_utm.transform(coord[:, 0], coord[:, 1])
    tree = cKDTree(np.column_stack([x, y]))
    pairs = tree.query_pairs(radius_m * 1.01 + 0.01, output_type="ndarray")
    if len(pairs) == 0:
        return empty
    starts = np.searchsorted(p_pos, pairs.ravel())
    stops = np.searchsorted(p_pos, pairs.ravel(), side="right")
    files = {
        int(p): {int(s) for s in p_src[a:b]}
        for p, a, b in zip(pairs.ravel().tolist(), starts.tolist(), stops.tolist(), strict=True)
    }
    cross = np.array([files[i].isdisjoint(files[j]) for i, j in pairs.tolist()], dtype=bool)
    pairs = pairs[cross]
    if len(pairs) == 0:
        return empty
    a, b = coord[pairs[:, 0]], coord[pairs[:, 1]]
    _, _, dist = _GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    dist = np.asarray(dist, dtype=np.float64)
    keep = dist <= radius_m
    pairs, dist = pairs[keep], dist[keep]
    order = np.lexsort((pairs[:, 1], pairs[:, 0], dist))
    pairs, dist = pairs[order].astype(np.int64), dist[order]
    involved = {int(p): files[int(p)] for p in np.unique(pairs)}
    return pairs, dist, involved


@dataclass
class NodedLines:
    """Lines noded into a raw network, and what the join did."""

    raw: RawNetwork
    joins: JoinFacts


def node_lines(tables: list[LineArrays], *, join_tolerance_m: float) -> NodedLines:
    """
    Join the files' line ends and node every line into one raw network.

    Parameters
    ----------
    tables
        The lines of each file (file ``i`` is source ``i``); their coordinates are
        released.
    join_tolerance_m
        See :func:`routing.joins.join_endpoints`.

    Returns
    -------
    NodedLines
        The raw network (nodes ``0..n-1``, as :func:`routing.lines.lines_to_graph`
        numbers them) and the join facts.
    """
    coords = np.concatenate([t.coords for t in tables])
    counts = np.concatenate([np.diff(t.offsets) for t in tables])
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    source = np.concatenate([np.full(t.n_lines, i, dtype=np.int64) for i, t in enumerate(tables)])
    direction = np.concatenate([t.direction for t in tables])
    combo, combos, label, labels, name, names = _line_attributes(tables)
    for t in tables:
        t.coords = np.zeros((0, 2))
    joins = join_line_ends(coords, offsets, source, tolerance_m=join_tolerance_m)
    line_of = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    del counts
    raw = _pieces(coords, line_of, direction, source, combo, label, name)
    raw.combos, raw.labels, raw.names = combos, labels, names
    return NodedLines(raw=raw, joins=joins)


def _line_attributes(
    tables: list[LineArrays],
) -> tuple[
    NDArray[np.int32], list[Combo], NDArray[np.int32], list[str], NDArray[np.int32], list[str]
]:
    """Per line: its combo, class label and name codes, over all files."""
    any_speed = any(t.maxspeed is not None for t in tables)
    combos: Table = Table()
    labels: Table = Table()
    names: Table = Table()
    combo_parts, label_parts, name_parts = [], [], []
    for t in tables:
        n = t.n_lines
        hw = np.asarray(t.highways, dtype=object)
        if t.maxspeed is not None:
            pair = t.highway.astype(np.int64) * max(len(t.maxspeeds), 1) + t.maxspeed
            uniq, inv = np.unique(pair, return_inverse=True)
            hs, ms = np.divmod(uniq, max(len(t.maxspeeds), 1))
            table_codes = np.array(
                [
                    combos.code((False, str(hw[h]), t.maxspeeds[m], NO_ACCESS))
                    for h, m in zip(hs.tolist(), ms.tolist(), strict=True)
                ],
                dtype=np.int32,
            )
            combo_parts.append(table_codes[inv.ravel()])
        else:
            speed = "" if any_speed else None
            table_codes = np.array(
                [combos.code((False, str(h), speed, NO_ACCESS)) for h in hw.tolist()],
                dtype=np.int32,
            )
            combo_parts.append(table_codes[t.highway] if n else np.zeros(0, dtype=np.int32))
        lab = np.array([labels.code(str(h).strip() or "road") for h in hw.tolist()], dtype=np.int32)
        label_parts.append(lab[t.highway] if n else np.zeros(0, dtype=np.int32))
        nm = np.array([names.code(str(x).strip()) for x in t.names], dtype=np.int32)
        name_parts.append(nm[t.name] if n else np.zeros(0, dtype=np.int32))
    return (
        np.concatenate(combo_parts),
        list(combos.values),
        np.concatenate(label_parts),
        list(labels.values),
        np.concatenate(name_parts),
        list(names.values),
    )


def _pieces(
    coords: NDArray[np.float64],
    line_of: NDArray[np.int64],
    direction: NDArray[np.int8],
    source: NDArray[np.int64],
    combo: NDArray[np.int32],
    label: NDArray[np.int32],
    name: NDArray[np.int32],
) -> RawNetwork:
    """Node lines at shared vertices into raw edges (see :func:`routing.lines.lines_to_graph`)."""
    codes = vertex_codes(coords)
    uniq, first, vid = np.unique(codes, return_index=True, return_inverse=True)
    vid = vid.ravel()
    del codes
    keep = np.ones(len(vid), dtype=bool)
    keep[1:] = ~((vid[1:] == vid[:-1]) & (line_of[1:] == line_of[:-1]))
    vid, line_of = vid[keep], line_of[keep]
    del keep
    counts = np.bincount(vid, minlength=len(uniq))
    rep = coords[first]
    del coords, first
    xy = rep[vid]
    starts = np.ones(len(vid), dtype=bool)
    starts[1:] = line_of[1:] != line_of[:-1]
    ends = np.roll(starts, -1)
    if len(ends):
        ends[-1] = True
    is_node = starts | ends | (counts[vid] >= 2)
    del starts, ends, counts
    node_pos = np.flatnonzero(is_node)
    del is_node
    a, b = node_pos[:-1], node_pos[1:]
    same = line_of[a] == line_of[b]
    a, b = a[same], b[same]
    piece_line = line_of[a]
    _, _, seg = _GEOD.inv(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1])
    seg = np.where(line_of[1:] == line_of[:-1], seg, 0.0)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    length = cum[b] - cum[a]
    del cum
    u_vid, v_vid = vid[a], vid[b]
    good = length > 0
    a, b, piece_line, length = a[good], b[good], piece_line[good], length[good]
    # each piece's geodesic length summed segment by segment, in line order: what the
    # base network would measure on the forward line (same point pairs, same order)
    n_seg = b - a
    seg_pos = np.repeat(a - np.concatenate([[0], np.cumsum(n_seg)[:-1]]), n_seg) + np.arange(
        int(n_seg.sum())
    )
    geodesic = np.bincount(
        np.repeat(np.arange(len(a)), n_seg), weights=seg[seg_pos], minlength=len(a)
    )
    del seg, seg_pos
    u_vid, v_vid = u_vid[good], v_vid[good]
    used = np.unique(np.concatenate([u_vid, v_vid]))
    node_id = np.full(len(uniq), -1, dtype=np.int64)
    node_id[used] = np.arange(len(used))
    u, v = node_id[u_vid].astype(np.int32), node_id[v_vid].astype(np.int32)
    d = direction[piece_line].astype(np.int8)
    fwd, rev = np.flatnonzero(d >= 0), np.flatnonzero(d <= 0)
    # raw edges in the order lines_to_graph adds them: per piece, forward then reverse
    edge_piece = np.concatenate([fwd, rev])
    edge_rev = np.concatenate([np.zeros(len(fwd), bool), np.ones(len(rev), bool)])
    order = np.lexsort((edge_rev, edge_piece))
    edge_piece, edge_rev = edge_piece[order], edge_rev[order]
    sizes = (b - a + 1)[edge_piece]
    offsets = np.zeros(len(edge_piece) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    k = np.arange(int(offsets[-1])) - np.repeat(offsets[:-1], sizes)
    start = np.repeat(a[edge_piece], sizes)
    step = np.where(np.repeat(edge_rev, sizes), np.repeat(sizes, sizes) - 1 - k, k)
    geom = np.ascontiguousarray(xy[start + step])
    del xy, start, step, k
    pl = piece_line[edge_piece]
    return RawNetwork(
        node_ids=np.arange(len(used), dtype=np.int64),
        node_lon=np.ascontiguousarray(rep[used, 0]),
        node_lat=np.ascontiguousarray(rep[used, 1]),
        tail=np.where(edge_rev, v[edge_piece], u[edge_piece]).astype(np.int32),
        head=np.where(edge_rev, u[edge_piece], v[edge_piece]).astype(np.int32),
        geom_offsets=offsets,
        geom_coords=geom,
        raw_length=length[edge_piece],
        oneway=d[edge_piece] != 0,
        ferry=np.zeros(len(edge_piece), dtype=bool),
        duration_min=np.full(len(edge_piece), np.nan),
        source=source[pl].astype(np.int16),
        combo=combo[pl],
        combos=[],
        label=label[pl],
        labels=[],
        name=name[pl],
        names=[],
        geodesic=geodesic[edge_piece],
    )
