"""Shared indexes derived at write time: the ``cch_order`` and ``snap`` slots of a store.

Other modules fill them in without touching the writer: a slot's builder is
registered with :func:`register_derived`, or found as the function named in the slot
in its module when that module exists (``routing.store_cch.build_cch_order``,
``routing.store_snap.build_snap_index``). A builder is called with the stored network
(arcs sorted, copies collapsed, twins paired; arrays in memory) and its profiles and
returns a :class:`DerivedIndex`: the arrays to save next to the network
(``cch_order.npy``; ``snap_*.npy``) and facts for ``meta.json``. Without a builder the
store lacks those files and ``meta.json`` says ``"status": "missing"``.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from routing.store_types import NETWORK_ARRAYS, StoreError, StoreNetwork, StoreProfile

__all__ = [
    "DERIVED_SLOTS",
    "DerivedBuilder",
    "DerivedIndex",
    "DerivedSlot",
    "build_derived",
    "register_derived",
    "unregister_derived",
]


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


def build_derived(
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
