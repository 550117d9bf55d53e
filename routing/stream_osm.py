"""Read an ``.osm.pbf`` extract with osmium into a raw network, as compact arrays.

One pass over the file with pyosmium (``osmium.FileProcessor`` with a node-location
index) keeps only ways with a ``highway`` or ``route`` tag, and of those only a few
integer codes per way (road class, name, ``maxspeed``, ``oneway``, ``junction``,
access tags) and their node ids and locations (the integer 1e-7 degree
coordinates of the file). Nothing per node or per way stays a Python object.

It makes the same raw graph as the pyrosm reader that built ``.osm.pbf`` graphs until
now (:func:`routing.osm.read_osm_pbf`, the oracle of the tests):

* roads: every way with a ``highway`` tag except ``area=yes`` and the classes
  pyrosm's ``all`` network leaves out (:data:`EXCLUDED_HIGHWAY`); a way whose
  nodes are missing from the extract is cut through the nodes that remain;
* one-way rules of pyrosm's driving graph (``oneway`` in ``yes/true/1/-1/T/F``,
  roundabouts), then the topological simplification of
  :mod:`routing.stream_simplify`, not merging across a change of road class,
  ``maxspeed`` or access tags;
* ferries: every way with ``route=ferry``, through its nodes present in the file, in
  both directions; an end with exactly (to 1e-7 degrees) the coordinates of a road
  node is that node, else a new node (numbered after the largest node id); a ferry
  clipped by the extract to fewer than two distinct points is counted as unusable.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from routing.errors import GraphBuildError
from routing.osm import ACCESS_TAGS
from routing.raw import RawNetwork, Table, first_text, joined_name
from routing.stream_ferries import UNDEFINED, add_ferries, degrees
from routing.stream_simplify import simplify_rows

__all__ = ["EXCLUDED_HIGHWAY", "read_pbf"]

#: Highway values of the ways that pyrosm's ``all`` network leaves out.
EXCLUDED_HIGHWAY = frozenset(
    {
        "abandoned", "construction", "no", "planned", "platform", "proposed",
        "raceway", "razed", "rest_area", "services",
    }
)  # fmt: skip
#: ``oneway`` values of a one-way way, and those of a way mapped against its direction.
ONEWAY_VALUES = frozenset({"yes", "true", "1", "-1", "T", "F"})
AGAINST_VALUES = frozenset({"-1", "T"})
#: The road tags kept per way, in the order of the code matrix.
ROAD_TAGS = ("highway", "maxspeed", *ACCESS_TAGS, "name", "oneway", "junction")
#: Tags that must not change along a simplified edge (the first columns of ROAD_TAGS).
_DIFFER = 2 + len(ACCESS_TAGS)
_YES = frozenset({"yes"})


def _multi_in(value: str, values: frozenset[str]) -> bool:
    """A tag value in a list, also as one of ``;``-separated values (pyrosm's MultiValue)."""
    if value in values:
        return True
    return ";" in value and any(part.strip() in values for part in value.split(";"))


class _Ways:
    """Growing arrays of the kept ways (codes per tag) and their nodes."""

    def __init__(self) -> None:
        self.tables = {k: Table() for k in ROAD_TAGS}
        self.codes: list[array[int]] = [array("i") for _ in ROAD_TAGS]
        self.refs: array[int] = array("q")
        self.x: array[int] = array("i")
        self.y: array[int] = array("i")
        self.ends: array[int] = array("q")

    def add(self, tags: Any, nodes: Any) -> None:
        for col, key in zip(self.codes, ROAD_TAGS, strict=True):
            value = tags.get(key)
            col.append(-1 if value is None else self.tables[key].code(value))
        _extend_nodes(nodes, self.refs, self.x, self.y)
        self.ends.append(len(self.refs))


def _extend_nodes(nodes: Any, refs: Any, xs: Any, ys: Any) -> None:
    """Append a way's node ids and fixed-point coordinates (one pass over its nodes)."""
    ref_add, x_add, y_add = refs.append, xs.append, ys.append
    for node in nodes:
        loc = node.location
        ref_add(node.ref)
        x_add(loc.x)
        y_add(loc.y)


def _scan(path: Path) -> tuple[_Ways, list[tuple[dict[str, str], list[int], list[int], list[int]]]]:
    """One pass over the file: road ways and ferry ways."""
    import osmium  # imported here: only .osm.pbf builds need it

    ways = _Ways()
    ferries: list[tuple[dict[str, str], list[int], list[int], list[int]]] = []
    wanted = ("name", "duration", "motor_vehicle", "motorcar", "foot")
    try:
        fp = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway", "route"))
        )
        for obj in fp:
            way: Any = obj  # the filter lets ways through only
            tags = way.tags
            highway = tags.get("highway")
            if highway is not None and not (
                _multi_in(highway, EXCLUDED_HIGHWAY) or _multi_in(tags.get("area") or "", _YES)
            ):
                ways.add(tags, way.nodes)
            if tags.get("route") == "ferry":
                kept = {k: str(tags.get(k)) for k in wanted if tags.get(k) is not None}
                refs: list[int] = []
                xs: list[int] = []
                ys: list[int] = []
                _extend_nodes(way.nodes, refs, xs, ys)
                ferries.append((kept, refs, xs, ys))
    except (RuntimeError, OSError, ValueError) as exc:
        msg = f"cannot read OSM PBF {path}: {exc}"
        raise GraphBuildError(msg) from exc
    return ways, ferries


def _haversine_mm(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> NDArray[np.float64]:
    """Great-circle metres rounded to millimetres (the ``length`` pyrosm gives a segment)."""
    radius = 6371.0088 * 1000.0
    lat1, lng1, lat2, lng2 = map(np.deg2rad, (lat1, lon1, lat2, lon2))
    d = (
        np.sin((lat2 - lat1) * 0.5) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lng2 - lng1) * 0.5) ** 2
    )
    return np.asarray((2 * radius * np.arcsin(np.sqrt(d))).round(3), dtype=np.float64)


def read_pbf(path: Path) -> tuple[RawNetwork, dict[str, int]]:
    """
    Read an ``.osm.pbf`` extract into a raw network (see the module docstring).

    Parameters
    ----------
    path
        The extract.

    Returns
    -------
    raw, facts
        The raw network and ``ways``, ``ferry_ways_parsed``, ``ferry_ways_skipped``.

    Raises
    ------
    GraphBuildError
        If osmium cannot read the file or it holds no roads.
    """
    ways, ferries = _scan(path)
    n_ways = len(ways.ends)
    if n_ways == 0:
        msg = f"{path} has no roads (highway=*)"
        raise GraphBuildError(msg)
    refs = np.frombuffer(ways.refs, dtype=np.int64)
    fx = np.frombuffer(ways.x, dtype=np.int32).astype(np.int64)
    fy = np.frombuffer(ways.y, dtype=np.int32).astype(np.int64)
    ends = np.frombuffer(ways.ends, dtype=np.int64)
    codes = np.column_stack([np.frombuffer(c, dtype=np.int32) for c in ways.codes])
    way_of = np.repeat(np.arange(n_ways), np.diff(np.concatenate([[0], ends])))
    valid = (fx != UNDEFINED) & (fy != UNDEFINED)
    # a way is cut through its nodes that remain; fewer than two: no segment
    pos = np.flatnonzero(valid)
    seg = np.flatnonzero(way_of[pos[1:]] == way_of[pos[:-1]])
    a, b = pos[seg], pos[seg + 1]
    seg_way = way_of[a]
    # node coordinates by id, and the order of first use (the order of pyrosm's node table)
    node_ids, first_use = np.unique(refs[pos], return_index=True)
    lon = degrees(fx[pos][first_use])
    lat = degrees(fy[pos][first_use])
    length = _haversine_mm(degrees(fx[a]), degrees(fy[a]), degrees(fx[b]), degrees(fy[b]))
    raw = _roads(ways, codes, refs[a], refs[b], seg_way, length, node_ids, lon, lat)
    facts = {"ways": len(np.unique(seg_way))}
    first_rank = np.empty(len(node_ids), dtype=np.int64)
    first_rank[np.argsort(first_use, kind="stable")] = np.arange(len(node_ids))
    rank_of_id = dict(zip(node_ids.tolist(), first_rank.tolist(), strict=True))
    parsed, skipped = add_ferries(raw, ferries, rank_of_id)
    facts["ferry_ways_parsed"], facts["ferry_ways_skipped"] = parsed, skipped
    return raw, facts


def _roads(
    ways: _Ways,
    codes: NDArray[np.int32],
    seg_u: NDArray[np.int64],
    seg_v: NDArray[np.int64],
    seg_way: NDArray[np.int64],
    length: NDArray[np.float64],
    node_ids: NDArray[np.int64],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
) -> RawNetwork:
    """Direct the segments, simplify them, and make the raw edges."""
    text = {k: ways.tables[k].values for k in ROAD_TAGS}
    col = {k: i for i, k in enumerate(ROAD_TAGS)}

    def per_way(key: str, values: frozenset[str]) -> NDArray[np.bool_]:
        hit = np.array([v in values for v in text[key]] + [False], dtype=bool)
        return hit[codes[:, col[key]]]  # code -1 reads the trailing False

    oneway = per_way("oneway", ONEWAY_VALUES) | per_way("junction", frozenset({"roundabout"}))
    against = per_way("oneway", AGAINST_VALUES)
    s_one, s_against = oneway[seg_way], against[seg_way]
    along = np.flatnonzero(s_one & ~s_against)
    back = np.flatnonzero(s_one & s_against)
    two = np.flatnonzero(~s_one)
    rows = np.concatenate([along, back, two, two])
    swapped = np.concatenate(
        [
            np.zeros(len(along), bool),
            np.ones(len(back), bool),
            np.zeros(len(two), bool),
            np.ones(len(two), bool),
        ]
    )
    src = np.where(swapped, seg_v[rows], seg_u[rows])
    dst = np.where(swapped, seg_u[rows], seg_v[rows])
    _, way_attr = np.unique(codes[:, :_DIFFER], axis=0, return_inverse=True)
    row_way = seg_way[rows]
    chains = simplify_rows(src, dst, way_attr.ravel().astype(np.int64)[row_way])
    row_oneway = np.bincount(rows, minlength=len(seg_u))[rows] == 1
    n_chains = len(chains.ptr) - 1
    chain_of = np.repeat(np.arange(n_chains), np.diff(chains.ptr))
    crow = chains.rows
    first_row = crow[chains.ptr[:-1]]
    last_row = crow[chains.ptr[1:] - 1]
    tail_id = chains.uniques[chains.tail[first_row]]
    head_id = chains.uniques[chains.head[last_row]]
    # geometry: the tail node, then the head of every row, in walk order
    heads = chains.uniques[chains.head[crow]]
    sizes = np.diff(chains.ptr) + 1
    offsets = np.zeros(n_chains + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    pts = np.empty(int(offsets[-1]), dtype=np.int64)
    pts[offsets[:-1]] = tail_id
    mask = np.ones(len(pts), dtype=bool)
    mask[offsets[:-1]] = False
    pts[mask] = heads
    at = np.searchsorted(node_ids, pts)
    coords = np.column_stack([lon[at], lat[at]])
    chain_len = np.bincount(chain_of, weights=length[rows][crow], minlength=n_chains)
    chain_oneway = np.bincount(chain_of, weights=row_oneway[crow], minlength=n_chains) > 0
    first_way = row_way[first_row]
    combos: Table = Table()
    labels: Table = Table()
    names: Table = Table()
    way_combo, way_label = _way_codes(codes, text, combos, labels)
    name_code = codes[:, col["name"]]
    chain_name = _chain_names(name_code[row_way[crow]], chain_of, chains.ptr, text["name"], names)
    used = np.unique(np.concatenate([tail_id, head_id]))
    at_used = np.searchsorted(node_ids, used)
    return RawNetwork(
        node_ids=used,
        node_lon=lon[at_used],
        node_lat=lat[at_used],
        tail=np.searchsorted(used, tail_id).astype(np.int32),
        head=np.searchsorted(used, head_id).astype(np.int32),
        geom_offsets=offsets,
        geom_coords=np.ascontiguousarray(coords),
        raw_length=chain_len.astype(np.float64),
        oneway=chain_oneway,
        ferry=np.zeros(n_chains, dtype=bool),
        duration_min=np.full(n_chains, np.nan),
        source=np.zeros(n_chains, dtype=np.int16),
        combo=way_combo[first_way],
        combos=list(combos.values),
        label=way_label[first_way],
        labels=list(labels.values),
        name=chain_name,
        names=list(names.values),
    )


def _way_codes(
    codes: NDArray[np.int32], text: dict[str, list[Any]], combos: Table, labels: Table
) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """Per way, the code of its attribute combination and of its road class label."""
    uniq, inverse = np.unique(codes[:, :_DIFFER], axis=0, return_inverse=True)
    combo_of = np.empty(len(uniq), dtype=np.int32)
    label_of = np.empty(len(uniq), dtype=np.int32)
    keys = ("highway", "maxspeed", *ACCESS_TAGS)
    for i, row in enumerate(uniq.tolist()):
        values = [text[k][c] if c >= 0 else None for k, c in zip(keys, row, strict=True)]
        access: tuple[Hashable, ...] = tuple(values[2:])
        combo_of[i] = combos.code((False, values[0], values[1], access))
        label_of[i] = labels.code(first_text(values[0]) or "road")
    inv = inverse.ravel()
    return combo_of[inv], label_of[inv]


def _chain_names(
    row_name: NDArray[np.int32],
    chain_of: NDArray[np.int64],
    ptr: NDArray[np.int64],
    values: list[Any],
    names: Table,
) -> NDArray[np.int32]:
    """Per chain, its distinct names in walk order joined by " / " (routing.raw.joined_name)."""
    n_chains = len(ptr) - 1
    texts = [first_text(v) for v in values]
    first = row_name[ptr[:-1]]
    uniform = np.ones(n_chains, dtype=bool)
    changes = np.flatnonzero((chain_of[1:] == chain_of[:-1]) & (row_name[1:] != row_name[:-1]))
    uniform[chain_of[changes]] = False
    code_of_text = np.array([names.code(t) for t in texts] + [names.code("")], dtype=np.int32)
    out = code_of_text[first]  # code -1 reads the trailing ""
    for k in np.flatnonzero(~uniform).tolist():
        seq = [values[c] if c >= 0 else None for c in row_name[ptr[k] : ptr[k + 1]].tolist()]
        out[k] = names.code(joined_name(seq))
    return out
