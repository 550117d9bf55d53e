"""Admin areas as the population grid's source: plain columns, levels, fingerprints.

* :func:`population_areas` — the finest level that has any population figure;
  :func:`finest_areas` — the finest level holding areas at all (for an assumed total or
  a raster's own counts).
* :func:`admin_stamp` — a fingerprint of ``admin_areas`` for caches.
* :func:`assign_areas` — the area containing each point (grid rows to a reporting level).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from layers.errors import LayersError

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "LEVELS_FINEST_FIRST",
    "AreaTable",
    "NoAreasError",
    "NoPopulationError",
    "admin_stamp",
    "areas_at_level",
    "assign_areas",
    "finest_areas",
    "population_areas",
]

LEVELS_FINEST_FIRST = ("desa", "kecamatan", "kabupaten", "provinsi")


class NoPopulationError(LayersError):
    """No admin area carries a population figure (and no assumption was given)."""


class NoAreasError(LayersError):
    """There are no admin areas at the requested level."""


@dataclass(frozen=True)
class AreaTable:
    """Admin areas of one level as plain columns (population NaN where missing)."""

    level: str
    ids: list[int]
    codes: list[str | None]
    names: list[str]
    population: NDArray[np.float64]
    geoms: list[BaseGeometry]
    demo: list[bool]

    def __len__(self) -> int:
        return len(self.ids)


def admin_stamp(conn: Connection) -> tuple[int, int, int]:
    """A fingerprint of ``admin_areas`` (count, max id, newest row version)."""
    row = conn.execute(
        text(
            "SELECT count(*), coalesce(max(id), 0), "
            "coalesce(max(xmin::text::bigint), 0) FROM admin_areas"
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def areas_at_level(conn: Connection, level: str, *, field: str = "level") -> AreaTable:
    """All admin areas of ``level``; raises :class:`NoAreasError` when there are none."""
    rows = conn.execute(
        text(
            "SELECT a.id, a.code, a.name, a.population, ST_AsBinary(a.geom), s.is_demo "
            "FROM admin_areas a JOIN sources s ON s.id = a.source "
            "WHERE a.level = :level AND a.geom IS NOT NULL ORDER BY a.id"
        ),
        {"level": level},
    ).all()
    if not rows:
        present = list(
            conn.execute(text("SELECT DISTINCT level FROM admin_areas ORDER BY 1")).scalars()
        )
        msg = f"there are no admin areas at level {level!r}; levels present: {present}"
        raise NoAreasError(msg, field=field)
    return AreaTable(
        level=level,
        ids=[int(r[0]) for r in rows],
        codes=[r[1] for r in rows],
        names=[str(r[2]) for r in rows],
        population=np.array([math.nan if r[3] is None else float(r[3]) for r in rows]),
        geoms=list(shapely.from_wkb([bytes(r[4]) for r in rows])),
        demo=[bool(r[5]) for r in rows],
    )


def population_areas(conn: Connection) -> AreaTable:
    """The areas of the finest level that has any population figure."""
    have = set(
        conn.execute(
            text("SELECT DISTINCT level FROM admin_areas WHERE population IS NOT NULL")
        ).scalars()
    )
    for level in LEVELS_FINEST_FIRST:
        if level in have:
            return areas_at_level(conn, level)
    msg = (
        "no admin area has a population figure; ingest areas with a population column "
        "(or give an assumed total, e.g. `lampung-geo analyse coverage --assume-population`)"
    )
    raise NoPopulationError(msg, field="population")


def finest_areas(conn: Connection) -> AreaTable:
    """The areas of the finest level holding areas at all (figures or not)."""
    have = set(conn.execute(text("SELECT DISTINCT level FROM admin_areas")).scalars())
    for level in LEVELS_FINEST_FIRST:
        if level in have:
            return areas_at_level(conn, level)
    msg = "there are no admin areas; ingest some with `lampung-geo ingest areas`"
    raise NoAreasError(msg, field="level")


def assign_areas(
    lon: NDArray[np.float64], lat: NDArray[np.float64], geoms: Sequence[BaseGeometry]
) -> NDArray[np.int64]:
    """Index of the area containing each point (first match; -1 outside all)."""
    out = np.full(lon.shape[0], -1, dtype=np.int64)
    if lon.shape[0] == 0 or not geoms:
        return out
    tree = shapely.STRtree(list(geoms))
    pts = shapely.points(np.column_stack([lon, lat]))
    pairs = tree.query(pts, predicate="intersects")
    # first (lowest area index) match per point
    order = np.lexsort((pairs[1], pairs[0]))
    p, a = pairs[0][order], pairs[1][order]
    first = np.ones(p.shape[0], dtype=bool)
    first[1:] = p[1:] != p[:-1]
    out[p[first]] = a[first]
    return out
