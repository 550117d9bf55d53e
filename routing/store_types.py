"""The arrays of a network store and the errors of writing or reading one (see routing.store)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from routing.errors import CompiledGraphError

__all__ = [
    "FORMAT_VERSION",
    "MAGIC",
    "NETWORK_ARRAYS",
    "NETWORK_DIR",
    "BaseArrays",
    "ProfileTimes",
    "Store",
    "StoreError",
    "StoreNetwork",
    "StoreProfile",
]

FORMAT_VERSION = 3
#: ``meta.json`` ``format``, and the ``magic`` of a profile file.
MAGIC = "lampung-geo/network-store"
#: The base network's folder inside a graph folder.
NETWORK_DIR = "network"

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
