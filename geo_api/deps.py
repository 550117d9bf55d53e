"""Dependencies for the routers, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy import Connection, Engine

from geo_api import schemas as sc
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


def get_connection(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Connection]:
    """A pooled connection for one request (released afterwards)."""
    with engine.connect() as conn:
        yield conn


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
ConnectionDep = Annotated[Connection, Depends(get_connection)]
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
