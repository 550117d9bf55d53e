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

import dataclasses
import json
import shutil
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from routing.store_derived import (
    DERIVED_SLOTS,
    DerivedBuilder,
    DerivedIndex,
    DerivedSlot,
    build_derived,
    register_derived,
    unregister_derived,
)
from routing.store_files import carry_over, replace_folder
from routing.store_sort import check_arrays, sort_network
from routing.store_types import (
    FORMAT_VERSION,
    MAGIC,
    NETWORK_ARRAYS,
    NETWORK_DIR,
    BaseArrays,
    ProfileTimes,
    Store,
    StoreError,
    StoreNetwork,
    StoreProfile,
)

__all__ = [
    "DERIVED_SLOTS",
    "FORMAT_VERSION",
    "NETWORK_DIR",
    "BaseArrays",
    "DerivedBuilder",
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
    "sort_network",
    "unregister_derived",
    "write_store",
]


def profile_path(folder: str | Path, profile: str) -> Path:
    """The file of a profile in a graph folder."""
    return Path(folder) / f"{profile}.npz"


def is_store(folder: str | Path) -> bool:
    """Whether a folder holds a format-3 network (``network/meta.json``)."""
    return (Path(folder) / NETWORK_DIR / "meta.json").is_file()


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
    if folder.exists() and not folder.is_dir():
        msg = f"cannot write the network store: {folder} is a file, not a folder"
        raise StoreError(msg)
    check_arrays(base, profiles)
    network, stored, counts = sort_network(base, profiles)
    store_id = uuid.uuid4().hex
    derived, derived_meta = build_derived(network, stored)
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
        carry_over(folder, tmp, {p.profile for p in stored})
        replace_folder(tmp, folder)
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
