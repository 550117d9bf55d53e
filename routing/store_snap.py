"""The shared snapping index of a network store (the ``snap`` derived slot).

Built once at write time (:func:`build_snap_index`, found by
:mod:`routing.store_derived`) over the base network, saved as ``snap_*.npy`` next to
it, and read back memory-mapped (:func:`load_snap_index`): every profile and every
forked worker share one copy. A profile skips the roads it may not use
(:class:`routing.snap.Snapper`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyproj
from numpy.typing import NDArray

from routing.snap import indexed_arcs, utm_crs_for
from routing.snap_index import ARRAYS, GridIndex, build_grid_index
from routing.store_derived import DerivedIndex
from routing.store_types import StoreError, StoreNetwork, StoreProfile

__all__ = ["PREFIX", "build_snap_index", "load_snap_index", "project_coords"]

#: File prefix of the index arrays in ``network/``.
PREFIX = "snap_"


def project_coords(
    lon: NDArray[np.float64], lat: NDArray[np.float64], *, epsg: int
) -> NDArray[np.float64]:
    """``(k, 2)`` projected coordinates of lon/lat arrays."""
    to_xy = pyproj.Transformer.from_crs(4326, epsg, always_xy=True)
    x, y = to_xy.transform(np.asarray(lon), np.asarray(lat))
    return np.column_stack([x, y])


def build_snap_index(network: StoreNetwork, profiles: Sequence[StoreProfile]) -> DerivedIndex:
    """
    Build the grid snapping index of a store's base network (one for all profiles).

    Parameters
    ----------
    network
        The sorted base network.
    profiles
        Not used: the index holds every road (profiles skip what they cannot use).

    Returns
    -------
    DerivedIndex
        ``snap_*`` arrays and the grid's scalars (``meta.json`` ``derived.snap.grid``).
    """
    del profiles
    lon, lat = np.asarray(network.node_lon), np.asarray(network.node_lat)
    if lon.shape[0] == 0:
        msg = "cannot index an empty network"
        raise StoreError(msg)
    epsg = utm_crs_for(float(np.mean(lon)), float(np.mean(lat))).to_epsg()
    assert epsg is not None  # a UTM zone always has one
    coords = np.asarray(network.geom_coords)
    xy = project_coords(coords[:, 0], coords[:, 1], epsg=epsg)
    arcs = indexed_arcs(network.edge_twin, network.edge_ferry)
    index = build_grid_index(xy, network.geom_offsets, arcs, n_arcs=network.n_arcs, epsg=epsg)
    arrays: dict[str, NDArray[Any]] = {PREFIX + k: v for k, v in index.arrays().items()}
    return DerivedIndex(arrays=arrays, meta={"grid": index.grid_meta()})


def load_snap_index(network: StoreNetwork) -> GridIndex | None:
    """
    The saved index of a store as read (arrays as loaded, usually memory-mapped).

    Parameters
    ----------
    network
        The store's network (:func:`routing.store.read_network`).

    Returns
    -------
    GridIndex or None
        None when the store has no index (built without a builder).
    """
    facts = network.meta.get("derived", {}).get("snap", {})
    if facts.get("status") != "built" or "grid" not in facts:
        return None
    arrays = {}
    for name in ARRAYS:
        arr = network.derived.get(PREFIX + name)
        if arr is None:
            return None
        arrays[name] = arr
    return GridIndex.from_arrays(facts["grid"], arrays)
