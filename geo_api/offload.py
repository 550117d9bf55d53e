"""Hand an async endpoint's CPU work to a routing engine's query threads, once.

An ``async def`` endpoint that snaps, searches and builds its answer would otherwise
pass through two threads: one of anyio's (``to_thread.run_sync``), which then hands
the query to the engine's own pool and waits. :func:`run_on_engine` gives the whole
piece of work to the engine's pool directly when the engine has one (the CCH engine:
``submit``), so the engine's methods called inside run where they are, and falls
back to anyio's threads for engines without one.

Cancellation behaves as with anyio's threads: work that has not started is dropped;
work already running is waited for (its :class:`~data.budget.Budget` stops it within
a check), so a disconnected client never leaves work running outside its CPU slot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.to_thread

if TYPE_CHECKING:
    from routing.network import Network

T = TypeVar("T")

__all__ = ["run_on_engine"]


async def run_on_engine(net: Network, fn: Callable[..., T], /, *args: Any) -> T:
    """``fn(*args)`` on one of ``net``'s engine threads (anyio's when it has none)."""
    submit = getattr(net.engine, "submit", None)
    if submit is None:
        return await anyio.to_thread.run_sync(fn, *args)
    future = submit(fn, *args)
    waiter = asyncio.wrap_future(future)
    try:
        return await asyncio.shield(waiter)
    except asyncio.CancelledError:
        future.cancel()  # not started: it never runs
        with anyio.CancelScope(shield=True):
            await asyncio.wait([waiter])  # running: wait until it ends
        raise
