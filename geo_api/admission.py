"""Admission at the door: bounded gates in front of the database and the CPU.

Why: synchronous endpoints run in a pool of worker threads (``threads``, 40 by
default). When a request took a worker thread and *then* waited for one of the
database pool's connections, 64 concurrent clients took every thread while the
requests that held connections waited for a thread to finish in: every endpoint
stopped for the 30 s pool timeout, then answered 500.

How: a request that needs a scarce resource first waits for a slot of its
:class:`Gate` *on the event loop*, holding no thread and no connection. Only once it
holds a slot does it take a worker thread (and a connection). Each gate has as many
slots as its resource serves at once (the ``db`` gate: the pool's size plus its
overflow), so a request that holds a slot never waits for its resource, and the
threads it occupies are bounded by the slots. The rest of the thread pool stays free
for requests that need neither (``/route``, ``/health/live``, pages, static files).

* A gate's waiting line is bounded (``queue``), and so is each wait (``wait_s``):
  beyond either the request answers 503 with ``Retry-After``
  (:class:`~geo_api.errors.OverloadedError`). A waiting request whose client has
  disconnected leaves the line.
* Gates are taken in one order: CPU gate (``analysis`` or ``search``), then ``db``
  (routers declare the work dependency before the connection), so two requests can
  never each hold the slot the other waits for.
* :data:`DB_SLOT_HELD` says whether the current request holds a ``db`` slot; the app
  counts pool check-outs made without one (``lampung_geo_db_checkouts_unadmitted``),
  which the tests require to be zero.

Everything here runs on the event loop (no locks needed): ``acquire``/``release`` are
called from coroutines only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Receive, Scope

from geo_api.errors import OverloadedError
from geo_api.settings import AdmissionSettings, DatabaseSettings

__all__ = [
    "DB_SLOT_HELD",
    "Admission",
    "ClientWatch",
    "Gate",
    "client_watch",
]

DB_SLOT_HELD: ContextVar[bool] = ContextVar("lampung_geo_db_slot_held", default=False)
"""True inside a request that holds a ``db`` slot (copied into its worker threads)."""

DB_SLOTS_PER_CPU = 2
"""Default database slots per CPU. Database requests spend part of their time in
Python (one interpreter lock per process), so more of them at once add no throughput
and make every other request (``/route``) wait longer for the interpreter."""

#: What each gate guards, for messages.
PURPOSE = {
    "db": "database connection",
    "analysis": "analysis worker",
    "search": "routing search worker",
}


@dataclass
class Gate:
    """A bounded number of slots with a bounded waiting line (first come, first served).

    Parameters
    ----------
    name
        ``db``, ``analysis`` or ``search`` (metrics label).
    slots
        Requests admitted at once.
    queue
        Requests that may wait for a slot; one more is refused at once.
    wait_s
        Longest wait for a slot; then the request is refused.
    retry_after_s
        ``Retry-After`` of the refusals.
    """

    name: str
    slots: int
    queue: int
    wait_s: float
    retry_after_s: int = 5
    in_use: int = 0
    admitted: int = 0
    rejected: dict[str, int] = field(
        default_factory=lambda: {"queue_full": 0, "wait_timeout": 0, "client_gone": 0}
    )
    _waiters: deque[asyncio.Future[None]] = field(default_factory=deque, repr=False)

    @property
    def waiting(self) -> int:
        """Requests waiting for a slot now (a waiter leaves the line when it is handed a
        slot, gives up or is cancelled)."""
        return len(self._waiters)

    def _refuse(self, reason: str, message: str) -> OverloadedError:
        self.rejected[reason] += 1
        return OverloadedError(message, retry_after=self.retry_after_s)

    async def acquire(
        self,
        *,
        gone: Callable[[], Awaitable[object]] | None = None,
        wait_s: float | None = None,
    ) -> None:
        """Take a slot, waiting in line if needed.

        Parameters
        ----------
        gone
            Called only when the request must wait: an awaitable that completes when
            the client has disconnected; the request then leaves the line.
        wait_s
            Longest wait for this request (default: the gate's ``wait_s``).

        Raises
        ------
        OverloadedError
            The line is full, the wait exceeded ``wait_s``, or the client left.
        """
        if self.in_use < self.slots and not self.waiting:
            self.in_use += 1
            self.admitted += 1
            return
        what = PURPOSE.get(self.name, self.name)
        if self.waiting >= self.queue:
            msg = (
                f"the service is busy: {self.waiting} requests are already waiting for a "
                f"{what}; try again in {self.retry_after_s} s"
            )
            raise self._refuse("queue_full", msg)
        loop = asyncio.get_running_loop()
        slot: asyncio.Future[None] = loop.create_future()
        self._waiters.append(slot)
        watcher = asyncio.ensure_future(gone()) if gone is not None else None
        limit = self.wait_s if wait_s is None else wait_s
        try:
            waits: set[asyncio.Future[Any]] = {slot} if watcher is None else {slot, watcher}
            await asyncio.wait(waits, timeout=limit, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            self._leave(slot)
            raise
        finally:
            if watcher is not None:
                watcher.cancel()
        if slot.done() and not slot.cancelled():
            if watcher is not None and watcher.done() and not watcher.cancelled():
                self.release()  # handed a slot just as the client left
                raise self._refuse("client_gone", "the client disconnected while waiting")
            self.admitted += 1
            return
        self._leave(slot)
        if watcher is not None and watcher.done() and not watcher.cancelled():
            raise self._refuse("client_gone", "the client disconnected while waiting")
        msg = (
            f"the service is busy: no {what} became free within {limit:g} s; "
            f"try again in {self.retry_after_s} s"
        )
        raise self._refuse("wait_timeout", msg)

    def _leave(self, slot: asyncio.Future[None]) -> None:
        """Leave the line; a slot handed over meanwhile is passed on."""
        if slot.done() and not slot.cancelled():
            self.release()
            return
        slot.cancel()
        with contextlib.suppress(ValueError):
            self._waiters.remove(slot)

    def release(self) -> None:
        """Give the slot to the first request in line, or free it."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.in_use -= 1

    @contextlib.asynccontextmanager
    async def slot(
        self,
        *,
        gone: Callable[[], Awaitable[object]] | None = None,
        wait_s: float | None = None,
    ) -> AsyncIterator[None]:
        """``async with gate.slot():`` hold a slot for the block."""
        await self.acquire(gone=gone, wait_s=wait_s)
        try:
            yield
        finally:
            self.release()

    def stats(self) -> dict[str, Any]:
        """Slots, in use, waiting, admitted and refused (for metrics and tests)."""
        return {
            "name": self.name,
            "slots": self.slots,
            "in_use": self.in_use,
            "waiting": self.waiting,
            "queue": self.queue,
            "admitted": self.admitted,
            "rejected": dict(self.rejected),
        }


@dataclass
class Admission:
    """The app's gates (``db``, ``analysis``, ``search``) and its thread-pool size."""

    db: Gate
    analysis: Gate
    search: Gate
    threads: int

    @classmethod
    def from_settings(cls, admission: AdmissionSettings, database: DatabaseSettings) -> Admission:
        """Size the gates from the settings (0 slots: the defaults described there).

        Raises
        ------
        ValueError
            More database slots than the pool serves, or gates that would leave fewer
            than ``threads_free`` worker threads to other requests.
        """
        cpus = os.cpu_count() or 2
        capacity = database.pool_capacity
        db_slots = admission.db_slots or min(capacity, DB_SLOTS_PER_CPU * cpus)
        if db_slots > capacity:
            msg = (
                f"LAMPUNG_GEO_ADMISSION_DB_SLOTS={db_slots} exceeds the {capacity} connections "
                "the pool serves (2 x LAMPUNG_GEO_POOL_SIZE): requests would wait for the "
                "pool while holding a worker thread"
            )
            raise ValueError(msg)
        analysis = admission.analysis_slots or max(1, min(cpus, db_slots - 1))
        search = admission.search_slots or max(2, 2 * cpus)
        if analysis >= db_slots:
            msg = (
                f"{analysis} analysis slots would let analyses (which hold a database "
                f"connection while they compute) take all {db_slots} database slots; "
                "give the database gate more slots than the analysis gate"
            )
            raise ValueError(msg)
        free = admission.threads - db_slots - analysis - search
        if free < admission.threads_free:
            msg = (
                f"{admission.threads} worker threads leave only {free} free after "
                f"{db_slots} database, {analysis} analysis and {search} search slots "
                f"(need {admission.threads_free}); raise LAMPUNG_GEO_ADMISSION_THREADS"
            )
            raise ValueError(msg)
        retry = admission.retry_after_s
        return cls(
            db=Gate("db", db_slots, admission.db_queue, admission.db_wait_s, retry),
            analysis=Gate(
                "analysis", analysis, admission.analysis_queue, admission.analysis_wait_s, retry
            ),
            search=Gate("search", search, admission.search_queue, admission.search_wait_s, retry),
            threads=admission.threads,
        )

    def gates(self) -> list[Gate]:
        """Every gate."""
        return [self.db, self.analysis, self.search]


class ClientWatch:
    """Tells when the client of one HTTP request has disconnected.

    One per request (see :func:`client_watch`), started on first use and stopped by
    the app's middleware when the request ends. It reads the ASGI ``receive`` channel
    until ``http.disconnect``, so it must only start once the request body has been
    read: FastAPI reads the body before it solves the dependencies that use this.
    """

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self.gone = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._callbacks: list[Callable[[], None]] = []

    def start(self) -> None:
        """Start watching (idempotent)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            message = await self._receive()
            if message.get("type") == "http.disconnect":
                self.gone.set()
                for callback in self._callbacks:
                    callback()
                return

    def on_gone(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (on the event loop) when the client disconnects."""
        self.start()
        if self.gone.is_set():
            callback()
        else:
            self._callbacks.append(callback)

    def forget(self, callback: Callable[[], None]) -> None:
        """Stop calling ``callback``."""
        with contextlib.suppress(ValueError):
            self._callbacks.remove(callback)

    async def wait(self) -> None:
        """Return once the client has disconnected."""
        self.start()
        await self.gone.wait()

    def close(self) -> None:
        """Stop watching (at the end of the request)."""
        self._callbacks.clear()
        if self._task is not None and not self._task.done():
            self._task.cancel()


SCOPE_KEY = "lampung_geo.client_watch"


def client_watch(scope: Scope, receive: Receive) -> ClientWatch:
    """The request's :class:`ClientWatch` (made on first use, kept in the ASGI scope)."""
    watch = scope.get(SCOPE_KEY)
    if watch is None:
        watch = ClientWatch(receive)
        scope[SCOPE_KEY] = watch
    assert isinstance(watch, ClientWatch)
    return watch
