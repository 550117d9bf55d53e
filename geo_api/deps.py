"""Dependencies for the routers, as ``Annotated`` aliases.

Database access goes through :data:`ConnectionDep` only: it first takes a slot of the
``db`` admission gate (waiting on the event loop), then one pooled connection that the
whole request uses (:func:`write` for its writes), released as soon as the endpoint
returns. Expensive endpoints declare a work dependency (:data:`IsochronesBudget`,
:data:`CoverageBudget`, ... :data:`NearestBudget`) *before* the connection: it takes a
slot of a CPU gate and gives the endpoint a :class:`~data.budget.Budget` to pass to the
domain code, cancelled when the client disconnects. See :mod:`geo_api.admission`.
:data:`EngineDep` is for code that must not hold a connection; a request never opens one
from it (only :func:`db_admitted` blocks may).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy import Connection, Engine

from data.budget import Budget, WorkStoppedError
from geo_api import schemas as sc
from geo_api.admission import DB_SLOT_HELD, Admission, client_watch
from geo_api.caches import Caches
from geo_api.networks import network_for
from geo_api.settings import Settings
from layers.collections import COLLECTIONS, Collection
from layers.errors import UnknownCollectionError
from routing.network import Network
from routing.profiles import PROFILES

# Dependencies that only read app state are ``async def``: FastAPI runs them on the
# event loop instead of sending each through the thread pool.


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Engine:
    """The app's database engine."""
    engine: Engine = request.app.state.engine
    return engine


@asynccontextmanager
async def db_admitted(request: Request, *, wait_s: float | None = None) -> AsyncIterator[None]:
    """Hold a slot of the ``db`` gate for the block (the wait holds no thread).

    For code that opens its connection itself (tiles, health); endpoints use
    :data:`ConnectionDep`.
    """
    admission: Admission = request.app.state.admission
    watch = client_watch(request.scope, request.receive)
    await admission.db.acquire(gone=watch.wait, wait_s=wait_s)
    token = DB_SLOT_HELD.set(True)
    try:
        yield
    finally:
        DB_SLOT_HELD.reset(token)
        admission.db.release()


async def db_slot(request: Request) -> AsyncIterator[None]:
    """Hold a slot of the ``db`` gate for the request (dependency)."""
    async with db_admitted(request):
        yield


def get_connection(
    _slot: Annotated[None, Depends(db_slot, scope="function")],
    engine: Annotated[Engine, Depends(get_engine)],
) -> Iterator[Connection]:
    """The request's one pooled connection, taken once it holds a ``db`` slot and
    released when the endpoint returns (before the answer is sent)."""
    with engine.connect() as conn:
        yield conn


@contextmanager
def write(conn: Connection) -> Iterator[Connection]:
    """A transaction for writes on the request's connection (committed at the end).

    Reads made before on the same connection (an API-key check, a plan) ran in their
    own transaction, which is committed first.
    """
    if conn.in_transaction():
        conn.commit()
    with conn.begin():
        yield conn


def _work(gate: str, budget_field: str, label: str) -> Callable[[Request], AsyncIterator[Budget]]:
    async def dependency(request: Request) -> AsyncIterator[Budget]:
        admission: Admission = request.app.state.admission
        settings: Settings = request.app.state.settings
        metrics = request.app.state.metrics
        watch = client_watch(request.scope, request.receive)
        chosen = getattr(admission, gate)
        await chosen.acquire(gone=watch.wait)
        budget = Budget(getattr(settings.budgets, budget_field), label=label)

        def cancel() -> None:
            budget.cancel("the client disconnected; the work was stopped")

        watch.on_gone(cancel)
        metrics.work.start(gate, budget)
        try:
            yield budget
        except WorkStoppedError as exc:
            metrics.work_stopped.labels(gate, type(exc).__name__.removesuffix("Error")).inc()
            raise
        finally:
            watch.forget(cancel)
            metrics.work.finish(budget)
            chosen.release()

    return dependency


def analysis_budget(kind: str) -> object:
    """Dependency: an ``analysis`` slot and the time budget of ``kind``
    (``isochrones``, ``coverage``, ``siting`` or ``allocation``)."""
    return Depends(_work("analysis", f"{kind}_s", "the analysis"), scope="function")


def search_budget(kind: str) -> object:
    """Dependency: a ``search`` slot and the time budget of ``kind`` (``nearest`` or
    ``matrix``)."""
    return Depends(_work("search", f"{kind}_s", f"the {kind} search"), scope="function")


def find_collection(collection_id: str) -> Collection:
    """The collection named in the path, or a 404 naming it."""
    collection = COLLECTIONS.get(collection_id)
    if collection is None:
        msg = f"no collection {collection_id!r}; collections: {sorted(COLLECTIONS)}"
        raise UnknownCollectionError(msg, field="collectionId")
    return collection


CollectionIdPath = Annotated[
    str,
    Path(
        description="a collection of /collections (others: 404)",
        json_schema_extra=sc.enum(COLLECTIONS),
    ),
]


async def get_collection(collection_id: CollectionIdPath) -> Collection:
    """The collection named in the path (dependency)."""
    return find_collection(collection_id)


async def get_caches(request: Request) -> Caches:
    """The app's caches."""
    caches: Caches = request.app.state.caches
    return caches


SettingsDep = Annotated[Settings, Depends(get_settings)]
CachesDep = Annotated[Caches, Depends(get_caches)]
EngineDep = Annotated[Engine, Depends(get_engine)]
ConnectionDep = Annotated[Connection, Depends(get_connection, scope="function")]
CollectionDep = Annotated[Collection, Depends(get_collection)]


async def get_networks(request: Request) -> dict[str, Network]:
    """All loaded road networks, by profile."""
    networks: dict[str, Network] = request.app.state.networks
    return networks


async def get_network(
    networks: Annotated[dict[str, Network], Depends(get_networks)],
    profile: Annotated[
        str,
        Query(
            description="motorcycle, car, truck or walk",
            json_schema_extra=sc.enum(sorted(PROFILES)),
        ),
    ] = "motorcycle",
) -> Network:
    """The network of the ``profile`` query parameter."""
    return network_for(networks, profile)


NetworksDep = Annotated[dict[str, Network], Depends(get_networks)]
NetworkDep = Annotated[Network, Depends(get_network)]

# Declare these *before* ConnectionDep in a signature: CPU slot first, then database.
IsochronesBudget = Annotated[Budget, analysis_budget("isochrones")]
CoverageBudget = Annotated[Budget, analysis_budget("coverage")]
SitingBudget = Annotated[Budget, analysis_budget("siting")]
AllocationBudget = Annotated[Budget, analysis_budget("allocation")]
NearestBudget = Annotated[Budget, search_budget("nearest")]
MatrixBudget = Annotated[Budget, search_budget("matrix")]
