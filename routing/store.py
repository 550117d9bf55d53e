"""The network store (compiled-graph format 3): one base network, profiles as time arrays.

See ``docs/network-store.md`` for the design. A graph folder holds::

    <folder>/
      network/            the base network shared by every profile
        meta.json         format, version 3, store id, counts, build reports, derived indexes
        node_ids.npy ...  one .npy per array (np.save), read back memory-mapped
        cch_order.npy     (when a CCH-order builder is registered, see below)
        snap_*.npy        (when a snapping-index builder is registered)
      <profile>.npz       edge_time, profile, settings, report (+ format_version, store_id)

:func:`write_store` takes what the builder makes (:class:`BaseArrays`, arcs in any
order with both directions of every road, and one :class:`ProfileTimes` per profile),
sorts the arcs into CSR order (by tail, head, then line), collapses exact copies (same
ends, same line: one arc whose time in each profile is the fastest copy's), pairs
twins (:func:`routing.compiled.twin_edges`), builds the derived shared indexes and
writes everything into a temporary folder beside the target, which then replaces the
target at once (``renameat2(RENAME_EXCHANGE)`` on Linux). Files of the old folder
that are not part of a store (format-2 ``<profile>.npz`` of profiles not rebuilt, other
files) are carried over; format-3 profiles of the old store are not (they belong to
its base network).

Derived indexes are filled in by other modules through two named slots
(:data:`DERIVED_SLOTS`): ``cch_order`` (``cch_order.npy``, the metric-independent
CCH order) and ``snap`` (``snap_*.npy``, the snapping index). A slot's builder is
:func:`register_derived`-ed, or found as the function named in the slot in its module
(``routing.store_cch.build_cch_order``, ``routing.store_snap.build_snap_index``) when
that module exists. Without a builder the store lacks those files and ``meta.json``
says so (``"derived": {"cch_order": {"status": "missing", ...}}``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import importlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from routing.compiled import twin_edges
from routing.errors import CompiledGraphError

__all__ = [
    "DERIVED_SLOTS",
    "FORMAT_VERSION",
    "NETWORK_DIR",
    "BaseArrays",
    "DerivedIndex",
    "DerivedSlot",
    "ProfileTimes",
    "Store",
    "StoreError",
    "StoreNetwork",
    "StoreProfile",
    "is_store",
    "profile_path",
    "read_network",
    "read_profile",
    "read_store",
    "register_derived",
    "unregister_derived",
    "write_store",
]

#: Version of the store layout (``meta.json`` ``format_version``).
FORMAT_VERSION = 3
#: ``meta.json`` ``format``, and the ``magic`` of a profile file.
MAGIC = "lampung-geo/network-store"
#: The base network's folder inside a graph folder.
NETWORK_DIR = "network"
#: The magic of format-2 compiled graphs (``routing.compiled``), for carried-over files.
_FORMAT2_MAGIC = "lampung-geo/compiled-graph"
_PROFILE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

#: The base network's arrays, in file order, with their dtypes.
NETWORK_ARRAYS: dict[str, str] = {
    "node_ids": "int64",
    "node_lon": "float64",
    "node_lat": "float64",
    "indptr": "int64",
    "edge_tail": "int32",
    "edge_head": "int32",
    "edge_length": "float64",
    "edge_twin": "int32",
    "edge_highway": "int16",
    "edge_name": "int32",
    "edge_ferry": "bool",
    "edge_ferry_link": "int64",
    "edge_source": "int16",
    "geom_offsets": "int64",
    "geom_coords": "float64",
    "highways": "str",
    "names": "str",
}


class StoreError(CompiledGraphError):
    """A store that cannot be written (bad arrays) or read (missing, other format)."""


@dataclass(frozen=True)
class BaseArrays:
    """A base network as the builder makes it.

    Arcs in any order, both directions of every road (a one-way road's reverse arc
    too), exactly reversed lines for twins.
    """

    node_ids: NDArray[np.int64]
    node_lon: NDArray[np.float64]
    node_lat: NDArray[np.float64]
    edge_tail: NDArray[np.int32]
    edge_head: NDArray[np.int32]
    edge_length: NDArray[np.float64]
    edge_highway: NDArray[np.int16]
    edge_name: NDArray[np.int32]
    edge_ferry: NDArray[np.bool_]
    edge_ferry_link: NDArray[np.int64]
    edge_source: NDArray[np.int16]
    geom_offsets: NDArray[np.int64]
    geom_coords: NDArray[np.float64]
    highways: NDArray[np.str_]
    names: NDArray[np.str_]

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_ids.shape[0])

    @property
    def n_arcs(self) -> int:
        """Number of arcs."""
        return int(self.edge_tail.shape[0])


@dataclass(frozen=True)
class ProfileTimes:
    """One profile's arc times, aligned with its :class:`BaseArrays` (``inf``: not usable)."""

    profile: str
    edge_time: NDArray[np.float64]
    settings: dict[str, Any]
    report: dict[str, Any]


@dataclass(frozen=True)
class StoreNetwork:
    """The base network as stored: arcs in CSR order, copies collapsed, twins paired.

    Array attributes are the :data:`NETWORK_ARRAYS`; ``derived`` holds the arrays of
    derived indexes (``cch_order``, ``snap_*``) present in the folder; ``meta`` is
    ``meta.json``.
    """

    node_ids: NDArray[np.int64]
    node_lon: NDArray[np.float64]
    node_lat: NDArray[np.float64]
    indptr: NDArray[np.int64]
    edge_tail: NDArray[np.int32]
    edge_head: NDArray[np.int32]
    edge_length: NDArray[np.float64]
    edge_twin: NDArray[np.int32]
    edge_highway: NDArray[np.int16]
    edge_name: NDArray[np.int32]
    edge_ferry: NDArray[np.bool_]
    edge_ferry_link: NDArray[np.int64]
    edge_source: NDArray[np.int16]
    geom_offsets: NDArray[np.int64]
    geom_coords: NDArray[np.float64]
    highways: NDArray[np.str_]
    names: NDArray[np.str_]
    derived: dict[str, NDArray[Any]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_ids.shape[0])

    @property
    def n_arcs(self) -> int:
        """Number of arcs."""
        return int(self.edge_tail.shape[0])


@dataclass(frozen=True)
class StoreProfile:
    """One profile of a store: times aligned with :class:`StoreNetwork`'s arcs."""

    profile: str
    edge_time: NDArray[np.float64]
    settings: dict[str, Any]
    report: dict[str, Any]


@dataclass(frozen=True)
class Store:
    """A store as read: the shared network, its profiles and ``meta.json``."""

    folder: Path
    network: StoreNetwork
    profiles: dict[str, StoreProfile]
    meta: dict[str, Any]


@dataclass(frozen=True)
class DerivedIndex:
    """What a derived-index builder returns: arrays to save as ``<name>.npy`` and facts."""

    arrays: dict[str, NDArray[Any]]
    meta: dict[str, Any] = field(default_factory=dict)


#: A derived-index builder: the stored network (arrays in memory) and its profiles.
DerivedBuilder = Callable[[StoreNetwork, Sequence[StoreProfile]], DerivedIndex]


@dataclass(frozen=True)
class DerivedSlot:
    """A named place for a shared index built at write time.

    Attributes
    ----------
    name
        Slot name in ``meta.json`` ``derived``.
    files
        Array names the builder must return (exactly these), or empty.
    prefix
        Prefix every returned array name must have, or "".
    module, function
        Where the builder is found when none is registered.
    """

    name: str
    files: tuple[str, ...] = ()
    prefix: str = ""
    module: str = ""
    function: str = ""


#: The derived indexes of a store.
DERIVED_SLOTS: tuple[DerivedSlot, ...] = (
    DerivedSlot(
        "cch_order", files=("cch_order",), module="routing.store_cch", function="build_cch_order"
    ),
    DerivedSlot("snap", prefix="snap_", module="routing.store_snap", function="build_snap_index"),
)
_REGISTERED: dict[str, DerivedBuilder | None] = {}


def register_derived(name: str, builder: DerivedBuilder | None) -> None:
    """
    Register the builder of a derived-index slot (None: build nothing for it).

    Parameters
    ----------
    name
        ``"cch_order"`` or ``"snap"`` (see :data:`DERIVED_SLOTS`).
    builder
        Called by :func:`write_store` with the sorted network and its profiles.

    Raises
    ------
    StoreError
        If the slot does not exist.
    """
    if name not in {s.name for s in DERIVED_SLOTS}:
        msg = f"unknown derived index {name!r}; slots: {[s.name for s in DERIVED_SLOTS]}"
        raise StoreError(msg)
    _REGISTERED[name] = builder


def unregister_derived(name: str) -> None:
    """Forget a registered builder: the slot's module is looked up again."""
    _REGISTERED.pop(name, None)


def _builder(slot: DerivedSlot) -> tuple[DerivedBuilder | None, str]:
    """The slot's builder and where it came from (or why there is none)."""
    if slot.name in _REGISTERED:
        found = _REGISTERED[slot.name]
        return found, "registered" if found else "disabled (registered as None)"
    try:
        module = importlib.import_module(slot.module)
    except ModuleNotFoundError as exc:
        if exc.name != slot.module:
            raise
        return None, f"no builder: {slot.module}.{slot.function} does not exist yet"
    builder = getattr(module, slot.function, None)
    if builder is None:
        return None, f"no builder: {slot.module} has no {slot.function}"
    return builder, f"{slot.module}.{slot.function}"


def profile_path(folder: str | Path, profile: str) -> Path:
    """The file of a profile in a graph folder."""
    return Path(folder) / f"{profile}.npz"


def is_store(folder: str | Path) -> bool:
    """Whether a folder holds a format-3 network (``network/meta.json``)."""
    return (Path(folder) / NETWORK_DIR / "meta.json").is_file()


# --- writing ---------------------------------------------------------------------------


def _fail(msg: str) -> StoreError:
    return StoreError(f"cannot write the network store: {msg}")


def _check(base: BaseArrays, profiles: Sequence[ProfileTimes]) -> None:
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


def write_store(
    folder: str | Path,
    base: BaseArrays,
    profiles: Sequence[ProfileTimes],
    *,
    meta: Mapping[str, Any],
) -> Path:
    """
    Write a network store (see the module docstring); all or nothing.

    Parameters
    ----------
    folder
        The graph folder (created, or replaced at once).
    base
        The base network as the builder made it.
    profiles
        One :class:`ProfileTimes` per profile (names unique).
    meta
        Facts about the build (sources, options, ...) kept in ``meta.json`` under
        ``"build"`` (must be JSON-serialisable).

    Returns
    -------
    pathlib.Path
        The folder.

    Raises
    ------
    StoreError
        If the arrays break the interface (nothing is written), or a derived-index
        builder fails.
    """
    folder = Path(folder)
    _check(base, profiles)
    network, stored, counts = sort_network(base, profiles)
    store_id = uuid.uuid4().hex
    derived, derived_meta = _derived(network, stored)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".{folder.name}.tmp-{store_id}"
    try:
        net_dir = tmp / NETWORK_DIR
        net_dir.mkdir(parents=True)
        arrays = {name: getattr(network, name) for name in NETWORK_ARRAYS}
        arrays.update(derived)
        for name, arr in arrays.items():
            np.save(net_dir / f"{name}.npy", arr, allow_pickle=False)
        profile_meta = {}
        for p in stored:
            with profile_path(tmp, p.profile).open("wb") as fh:
                np.savez(
                    fh,
                    magic=np.array(MAGIC),
                    format_version=np.array(FORMAT_VERSION, dtype=np.int64),
                    store_id=np.array(store_id),
                    profile=np.array(p.profile),
                    edge_time=p.edge_time,
                    settings=np.array(json.dumps(p.settings, sort_keys=True)),
                    report=np.array(json.dumps(p.report)),
                )
            profile_meta[p.profile] = {
                "file": profile_path(tmp, p.profile).name,
                "usable_arcs": int(np.count_nonzero(np.isfinite(p.edge_time))),
                "report": p.report,
            }
        doc = {
            "format": MAGIC,
            "format_version": FORMAT_VERSION,
            "store_id": store_id,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "counts": {
                "nodes": network.n_nodes,
                "arcs": network.n_arcs,
                "coords": int(network.geom_coords.shape[0]),
                **counts,
            },
            "arrays": {
                name: {"dtype": str(arr.dtype), "shape": list(arr.shape)}
                for name, arr in arrays.items()
            },
            "profiles": profile_meta,
            "derived": derived_meta,
            "build": dict(meta),
        }
        (net_dir / "meta.json").write_text(json.dumps(doc, indent=1, default=_json_default))
        _carry_over(folder, tmp, {p.profile for p in stored})
        _replace_folder(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer | np.floating | np.bool_):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    msg = f"cannot store {type(value).__name__} in meta.json"
    raise TypeError(msg)


def _derived(
    network: StoreNetwork, profiles: Sequence[StoreProfile]
) -> tuple[dict[str, NDArray[Any]], dict[str, Any]]:
    """Run each slot's builder (when there is one) and check what it returns."""
    arrays: dict[str, NDArray[Any]] = {}
    facts: dict[str, Any] = {}
    for slot in DERIVED_SLOTS:
        builder, origin = _builder(slot)
        if builder is None:
            facts[slot.name] = {"status": "missing", "reason": origin}
            continue
        started = time.perf_counter()
        try:
            result = builder(network, profiles)
        except Exception as exc:
            msg = f"derived index {slot.name!r} ({origin}) failed: {exc}"
            raise StoreError(msg) from exc
        names = set(result.arrays)
        wrong = (slot.files and names != set(slot.files)) or (
            slot.prefix and not all(n.startswith(slot.prefix) for n in names)
        )
        if wrong or names & set(NETWORK_ARRAYS) or not names:
            msg = f"derived index {slot.name!r} returned arrays {sorted(names)}"
            raise StoreError(msg)
        arrays.update({k: np.asarray(v) for k, v in result.arrays.items()})
        facts[slot.name] = {
            "status": "built",
            "builder": origin,
            "files": sorted(f"{n}.npy" for n in names),
            "seconds": round(time.perf_counter() - started, 3),
            **result.meta,
        }
    return arrays, facts


def _is_format3_profile(path: Path) -> bool:
    try:
        with np.load(path, allow_pickle=False) as z:
            return "magic" in z.files and str(z["magic"]) != _FORMAT2_MAGIC
    except Exception:  # an unreadable file is not ours to judge: keep it
        return False


def _carry_over(old: Path, new: Path, written: set[str]) -> None:
    """Link (or copy) into ``new`` the files of ``old`` that are not part of a store."""
    if not old.is_dir():
        return
    for entry in old.iterdir():
        name = entry.name
        if name == NETWORK_DIR or name.startswith(f".{old.name}.") or (new / name).exists():
            continue
        stem, suffix = entry.stem, entry.suffix
        if suffix == ".stamp" and stem in written:
            continue  # the stamp of a format-2 file we replaced
        if suffix == ".npz" and _is_format3_profile(entry):
            continue  # belongs to the old base network
        if entry.is_dir():
            shutil.copytree(entry, new / name, copy_function=_link_or_copy)
        else:
            _link_or_copy(str(entry), str(new / name))


def _link_or_copy(src: str, dst: str) -> str:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux renameat2(RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(rc == 0)


def _replace_folder(tmp: Path, target: Path) -> None:
    """Put ``tmp`` in place of ``target`` (readers see the old folder or the new one)."""
    if not target.exists():
        tmp.rename(target)
        return
    if _exchange(tmp, target):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old folder
        return
    old = target.parent / f".{target.name}.old-{uuid.uuid4().hex}"
    target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)


# --- reading ---------------------------------------------------------------------------


def _meta(folder: Path) -> dict[str, Any]:
    path = folder / NETWORK_DIR / "meta.json"
    if not path.is_file():
        msg = f"{folder} holds no network store ({NETWORK_DIR}/meta.json is missing)"
        raise StoreError(msg)
    try:
        doc: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        msg = f"{path} is not readable JSON: {exc}"
        raise StoreError(msg) from None
    if doc.get("format") != MAGIC:
        msg = f"{path} is not a lampung-geo network store"
        raise StoreError(msg)
    if doc.get("format_version") != FORMAT_VERSION:
        msg = (
            f"{path} has store format {doc.get('format_version')}; this code reads {FORMAT_VERSION}"
        )
        raise StoreError(msg)
    return doc


def read_network(folder: str | Path, *, mmap: bool = True) -> StoreNetwork:
    """
    Read a store's base network, its arrays memory-mapped (shared through the page cache).

    Parameters
    ----------
    folder
        The graph folder.
    mmap
        Memory-map the arrays (``np.load(mmap_mode="r")``); False loads them.

    Returns
    -------
    StoreNetwork
        The network, with the derived arrays present and ``meta.json``.

    Raises
    ------
    StoreError
        If the folder holds no store of this format, or arrays are missing or
        inconsistent.
    """
    folder = Path(folder)
    doc = _meta(folder)
    net_dir = folder / NETWORK_DIR
    arrays: dict[str, NDArray[Any]] = {}
    for name in doc.get("arrays", {}):
        path = net_dir / f"{name}.npy"
        if not path.is_file():
            msg = f"{folder}: {NETWORK_DIR}/{name}.npy is missing"
            raise StoreError(msg)
        arrays[name] = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    missing = [n for n in NETWORK_ARRAYS if n not in arrays]
    if missing:
        msg = f"{folder}: the store lacks arrays {missing}"
        raise StoreError(msg)
    n, m = len(arrays["node_ids"]), len(arrays["edge_tail"])
    if arrays["indptr"].shape != (n + 1,) or arrays["geom_offsets"].shape != (m + 1,):
        msg = f"{folder}: the store's arrays do not fit together"
        raise StoreError(msg)
    derived = {k: v for k, v in arrays.items() if k not in NETWORK_ARRAYS}
    base = {k: arrays[k] for k in NETWORK_ARRAYS}
    return StoreNetwork(**base, derived=derived, meta=doc)


def read_profile(
    folder: str | Path, profile: str, *, meta: Mapping[str, Any] | None = None
) -> StoreProfile:
    """
    Read one profile of a store.

    Parameters
    ----------
    folder
        The graph folder.
    profile
        The profile name.
    meta
        The store's ``meta.json`` (read when None), to check the file belongs to it.

    Returns
    -------
    StoreProfile
        Times aligned with the store's arcs.

    Raises
    ------
    StoreError
        If the file is missing, not a format-3 profile, or of another store.
    """
    folder = Path(folder)
    doc = dict(meta) if meta is not None else _meta(folder)
    path = profile_path(folder, profile)
    if not path.is_file():
        msg = f"{path} is missing; profiles in the store: {sorted(doc.get('profiles', {}))}"
        raise StoreError(msg)
    with np.load(path, allow_pickle=False) as z:
        if "magic" not in z.files or str(z["magic"]) != MAGIC:
            msg = f"{path} is not a format-3 profile file"
            raise StoreError(msg)
        if str(z["store_id"]) != doc.get("store_id"):
            msg = f"{path} belongs to another network store than {folder / NETWORK_DIR}"
            raise StoreError(msg)
        times = np.asarray(z["edge_time"], dtype=np.float64)
        out = StoreProfile(
            profile=str(z["profile"]),
            edge_time=times,
            settings=json.loads(str(z["settings"])),
            report=json.loads(str(z["report"])),
        )
    arcs = int(doc["counts"]["arcs"])
    if times.shape != (arcs,):
        msg = f"{path}: edge_time has {times.shape[0]:,} values for {arcs:,} arcs"
        raise StoreError(msg)
    return out


def read_store(folder: str | Path, *, mmap: bool = True) -> Store:
    """
    Read a whole store: the shared network (memory-mapped) and every profile in it.

    Parameters
    ----------
    folder
        The graph folder.
    mmap
        See :func:`read_network`.

    Returns
    -------
    Store
        Network, profiles by name and ``meta.json``.

    Raises
    ------
    StoreError
        See :func:`read_network` and :func:`read_profile`.
    """
    folder = Path(folder)
    network = read_network(folder, mmap=mmap)
    profiles = {
        name: read_profile(folder, name, meta=network.meta)
        for name in network.meta.get("profiles", {})
    }
    return Store(folder=folder, network=network, profiles=profiles, meta=network.meta)
