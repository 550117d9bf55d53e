"""Ferry ways of an ``.osm.pbf`` added to its raw network (as routing.osm does with pyrosm).

Every ``route=ferry`` way, through its nodes present in the file, in both directions;
an end with exactly (to 1e-7 degrees) the coordinates of a road node is that node
(the last one in pyrosm's node order when several are), else a new node numbered
after the largest node id; a ferry clipped by the extract to fewer than two distinct
points is counted as unusable. Its ``duration``, ``motor_vehicle``, ``motorcar`` and
``foot`` tags are kept.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from routing.osm import ACCESS_TAGS, parse_duration_minutes
from routing.raw import RawNetwork, Table, joined_name

__all__ = ["UNDEFINED", "add_ferries", "degrees"]

#: A coordinate the location index does not know.
UNDEFINED = 2**31 - 1


def degrees(fixed: NDArray[np.int64]) -> NDArray[np.float64]:
    """Degrees of 1e-7-degree integers (osmium's ``lon``/``lat``: ``x / 1e7``)."""
    return fixed.astype(np.float64) / 1e7


def add_ferries(
    raw: RawNetwork,
    ferries: list[tuple[dict[str, str], list[int], list[int], list[int]]],
    rank_of_id: dict[int, int],
) -> tuple[int, int]:
    """Add the ferry ways in both directions (as routing.osm does); (parsed, skipped)."""
    if not ferries:
        return 0, 0
    parsed = skipped = 0
    next_id = int(raw.node_ids.max()) + 1 if raw.n_nodes else 1
    new_nodes: dict[tuple[float, float], tuple[int, float, float]] = {}
    extra: list[tuple[int, int, NDArray[np.float64], dict[str, str]]] = []
    for tags, refs, xs, ys in ferries:
        fx, fy = np.asarray(xs, dtype=np.int64), np.asarray(ys, dtype=np.int64)
        ok = (fx != UNDEFINED) & (fy != UNDEFINED)
        if int(ok.sum()) < 2:
            continue  # no line: pyrosm gives no LineString for it
        del refs
        parsed += 1
        coords = np.column_stack([degrees(fx[ok]), degrees(fy[ok])])
        keep = np.ones(len(coords), dtype=bool)
        keep[1:] = np.any(coords[1:] != coords[:-1], axis=1)
        coords = coords[keep]
        if len(coords) < 2:
            skipped += 1  # clipped by the extract to a single point
            continue
        ends = []
        for x, y in (coords[0], coords[-1]):
            key = (round(float(x), 7), round(float(y), 7))
            node = _road_node_at(raw, key, rank_of_id)
            if node is None:
                if key not in new_nodes:
                    new_nodes[key] = (next_id, float(x), float(y))
                    next_id += 1
                node = new_nodes[key][0]
            ends.append(node)
        extra.append((ends[0], ends[1], coords, tags))
    if not extra:
        return parsed, skipped
    _append_ferries(raw, extra, new_nodes)
    return parsed, skipped


def _road_node_at(
    raw: RawNetwork, key: tuple[float, float], rank_of_id: dict[int, int]
) -> int | None:
    """The road node whose coordinates round to ``key`` (the last in pyrosm's node order)."""
    near = np.flatnonzero(
        (np.abs(raw.node_lon - key[0]) < 1e-6) & (np.abs(raw.node_lat - key[1]) < 1e-6)
    )
    found = [
        int(raw.node_ids[i])
        for i in near.tolist()
        if (round(float(raw.node_lon[i]), 7), round(float(raw.node_lat[i]), 7)) == key
    ]
    if not found:
        return None
    return max(found, key=lambda n: rank_of_id.get(n, -1))


def _append_ferries(
    raw: RawNetwork,
    extra: list[tuple[int, int, NDArray[np.float64], dict[str, str]]],
    new_nodes: dict[tuple[float, float], tuple[int, float, float]],
) -> None:
    """Add the ferry edges (and their new nodes) to the raw network, in place."""
    if new_nodes:
        add = sorted(new_nodes.values())
        ids = np.concatenate([raw.node_ids, np.array([a[0] for a in add], dtype=np.int64)])
        lon = np.concatenate([raw.node_lon, np.array([a[1] for a in add])])
        lat = np.concatenate([raw.node_lat, np.array([a[2] for a in add])])
        order = np.argsort(ids, kind="stable")
        remap = np.empty(len(ids), dtype=np.int64)
        remap[order] = np.arange(len(ids))
        raw.tail = remap[raw.tail].astype(np.int32)
        raw.head = remap[raw.head].astype(np.int32)
        raw.node_ids, raw.node_lon, raw.node_lat = ids[order], lon[order], lat[order]
    combos = Table(raw.combos)
    labels = Table(raw.labels)
    names = Table(raw.names)
    tails, heads, lines, combo, name, minutes = [], [], [], [], [], []
    for u, v, coords, tags in extra:
        iu, iv = (int(np.searchsorted(raw.node_ids, n)) for n in (u, v))
        line = coords.copy()
        line[0] = (raw.node_lon[iu], raw.node_lat[iu])
        line[-1] = (raw.node_lon[iv], raw.node_lat[iv])
        access = tuple(
            tags.get(k) if k in ("motor_vehicle", "motorcar", "foot") else None for k in ACCESS_TAGS
        )
        c = combos.code((True, "ferry", None, access))
        nm = names.code(joined_name(str(tags.get("name") or "")))
        dur = parse_duration_minutes(tags.get("duration"))
        for a, b, pts in ((iu, iv, line), (iv, iu, line[::-1])):
            tails.append(a)
            heads.append(b)
            lines.append(np.ascontiguousarray(pts))
            combo.append(c)
            name.append(nm)
            minutes.append(dur if dur else np.nan)
    sizes = np.array([len(x) for x in lines], dtype=np.int64)
    raw.geom_offsets = np.concatenate([raw.geom_offsets, raw.geom_offsets[-1] + np.cumsum(sizes)])
    raw.geom_coords = np.concatenate([raw.geom_coords, *lines])
    k = len(tails)
    raw.tail = np.concatenate([raw.tail, np.array(tails, dtype=np.int32)])
    raw.head = np.concatenate([raw.head, np.array(heads, dtype=np.int32)])
    raw.raw_length = np.concatenate([raw.raw_length, np.full(k, np.nan)])
    raw.oneway = np.concatenate([raw.oneway, np.zeros(k, dtype=bool)])
    raw.ferry = np.concatenate([raw.ferry, np.ones(k, dtype=bool)])
    raw.duration_min = np.concatenate([raw.duration_min, np.array(minutes, dtype=np.float64)])
    raw.source = np.concatenate([raw.source, np.zeros(k, dtype=np.int16)])
    raw.combo = np.concatenate([raw.combo, np.array(combo, dtype=np.int32)])
    raw.label = np.concatenate([raw.label, np.full(k, labels.code("ferry"), dtype=np.int32)])
    raw.name = np.concatenate([raw.name, np.array(name, dtype=np.int32)])
    raw.combos, raw.labels, raw.names = list(combos.values), list(labels.values), list(names.values)
