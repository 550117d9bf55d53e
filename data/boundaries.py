"""Real kabupaten and kecamatan outlines of Lampung for the DEMO, simplified.

The demo reads one small committed file, :data:`DEFAULT_PATH` (gzip'd GeoJSON), derived
by :func:`derive` from BIG's RBI 1:50,000 boundaries in ``../shared/data/lampung``
(``kabupaten_rbi50k.gpkg``, ``kecamatan_rbi50k.gpkg``, ``kantor_pemerintahan_rbi50k.geojson``).
Re-derive it with::

    .venv/bin/python -m data.boundaries --shared ../shared/data/lampung

Derivation (all in UTM 48S metres):

1. kecamatan are dissolved per (kabupaten, name) and clipped to their kabupaten; the
   parts of a kabupaten no kecamatan covers go to the kecamatan they touch most;
2. islands and slivers under :data:`MIN_PART_M2` are dropped;
3. :func:`shapely.coverage_clean` removes gaps narrower than :data:`GAP_WIDTH_M` and
   overlaps, so neighbours share identical edges; holes of the province (rivers that
   form kabupaten borders are left out of the source polygons) are shared out, each
   point to the nearest neighbour; :func:`shapely.coverage_simplify`
   simplifies the shared edges once (:data:`TOLERANCE_M`), keeping the topology;
4. coordinates are rounded to :data:`NDIGITS` decimals (~11 m).

Kabupaten outlines are the union of their kecamatan (so both levels share borders
exactly), except for kabupaten whose kecamatan file is missing in the source (Lampung
Tengah), which are stored as one kabupaten outline. Each kecamatan carries a centre:
the RBI *Kantor Camat* point inside it when there is one, else a point on its surface.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from data import facts

DEFAULT_PATH = Path(__file__).with_name("lampung_boundaries.geojson.gz")
SOURCE = (
    "RBI 1:50,000 administrative boundaries, Badan Informasi Geospasial (BIG); "
    "via AiraBilqis/ProvinsiLampung.github.io at commit f2f6f8d "
    "('Data Provinsi Lampung/<Kab>/*_50K.shp'); simplified by lampung-geo (data/boundaries.py)"
)
LICENCE = "RBI: public use with attribution to Badan Informasi Geospasial (BIG)"
UTM_CRS = "EPSG:32748"
TOLERANCE_M = 200.0
GAP_WIDTH_M = 300.0
MIN_PART_M2 = 200_000.0
NDIGITS = 4


@dataclass(frozen=True, slots=True)
class KecamatanOutline:
    """One real kecamatan: its kabupaten's BPS code, names, centre and shape (EPSG:4326)."""

    kabupaten_code: str
    name: str
    source_name: str
    centre: tuple[float, float]
    centre_source: str
    geometry: MultiPolygon


@dataclass(frozen=True, slots=True)
class Boundaries:
    """The simplified outlines.

    ``kabupaten`` maps every BPS code of :data:`data.facts.KABUPATEN` to its outline;
    ``kecamatan`` holds the real kecamatan (none for the codes in ``missing``, whose
    kecamatan the source lacks).
    """

    kabupaten: dict[str, MultiPolygon]
    kecamatan: tuple[KecamatanOutline, ...]
    missing: frozenset[str]
    metadata: dict[str, Any]


def _key(name: str) -> str:
    """``"Kota Bandarlampung"``, ``"BANDARLAMPUNG"``, ``"Bandar Lampung"`` → one key."""
    return name.upper().replace("KOTA", "").replace("KAB.", "").replace(" ", "")


def kabupaten_code(name: str) -> str:
    """The BPS code of a kabupaten/kota named as in the RBI files.

    Raises
    ------
    KeyError
        If the name matches none of :data:`data.facts.KABUPATEN`.
    """
    codes = {_key(k.short_name): k.code for k in facts.KABUPATEN}
    try:
        return codes[_key(name)]
    except KeyError:
        msg = f"unknown kabupaten/kota name {name!r}; known: {sorted(codes)}"
        raise KeyError(msg) from None


def pretty_name(raw: str) -> str:
    """``"TELUKBETUNG BARAT"`` → ``"Telukbetung Barat"`` (the source's own spelling)."""
    return " ".join(word.capitalize() for word in raw.split())


def _multi(geom: BaseGeometry) -> MultiPolygon:
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and not p.is_empty]
    return MultiPolygon(parts)


def _drop_small(geom: BaseGeometry) -> MultiPolygon:
    return MultiPolygon(
        [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and p.area >= MIN_PART_M2]
    )


def _pieces(kab: Any, kec: Any) -> tuple[list[BaseGeometry], list[dict[str, Any]]]:
    """Kecamatan clipped to their kabupaten, gaps inside a kabupaten given to a neighbour."""
    geoms: list[BaseGeometry] = []
    meta: list[dict[str, Any]] = []
    kec = kec.assign(geometry=kec.make_valid()).dissolve(by=["code", "NAMOBJ"]).reset_index()
    for code, outline in zip(kab["code"], kab.make_valid(), strict=True):
        own = kec[kec["code"] == code].sort_values("NAMOBJ")
        if own.empty:
            geoms.append(_drop_small(outline))
            meta.append({"level": "kabupaten", "code": code})
            continue
        parts = [g.intersection(outline) for g in own.geometry]
        for gap in shapely.get_parts(outline.difference(shapely.union_all(parts))):
            if gap.area <= 0:
                continue
            touch = [gap.buffer(1.0).intersection(p).area for p in parts]
            best = int(np.argmax(touch)) if max(touch) > 0 else int(np.argmin(gap.distance(parts)))
            parts[best] = parts[best].union(gap)
        for raw, part in zip(own["NAMOBJ"], parts, strict=True):
            geoms.append(_drop_small(shapely.make_valid(part)))
            meta.append({"level": "kecamatan", "kabupaten_code": code, "source_name": raw})
    return geoms, meta


def _fill_holes(geoms: list[BaseGeometry]) -> None:
    """Share every hole of the province (gaps between the source's kabupaten) out.

    Each point of a hole goes to the neighbour nearest to it: Voronoi cells of the
    hole's boundary vertices (every ~100 m), each owned by the nearest neighbour.
    """
    land = shapely.union_all(geoms)
    holes = [Polygon(ring) for part in shapely.get_parts(land) for ring in part.interiors]
    tree = shapely.STRtree(geoms)
    for hole in holes:
        gap = hole.difference(land)
        near = tree.query(hole.buffer(1.0), predicate="intersects")
        if gap.is_empty or len(near) == 0:
            continue
        xy = shapely.get_coordinates(shapely.segmentize(hole.exterior, 100.0))[:-1]
        pts: Any = shapely.points(xy)
        dist = shapely.distance(pts[:, None], np.asarray([geoms[i] for i in near])[None, :])
        owner = near[np.argmin(dist, axis=1)]
        cells = shapely.voronoi_polygons(MultiPoint(xy), extend_to=hole, ordered=True)
        cell_list = np.asarray(list(cells.geoms), dtype=object)
        for i in np.unique(owner):
            part = shapely.union_all(cell_list[owner == i]).intersection(gap)
            geoms[i] = _multi(shapely.make_valid(geoms[i].union(part)))


def _centres(geoms: Sequence[BaseGeometry], meta: list[dict[str, Any]], offices: Any) -> None:
    """Set ``centre``: the Kantor Camat inside each kecamatan, else a point on its surface."""
    camat = offices[offices["REMARK"].str.contains("Camat", case=False, na=False)]
    pts = list(camat.geometry)
    names = [str(n).upper().replace(" ", "") for n in camat["NAMOBJ"]]
    for geom, m in zip(geoms, meta, strict=True):
        if m["level"] != "kecamatan":
            continue
        inside = [i for i, p in enumerate(pts) if geom.contains(p)]
        key = m["source_name"].upper().replace(" ", "")
        named = [i for i in inside if key in names[i]]
        picks = named or inside
        point = pts[picks[0]] if picks else geom.representative_point()
        m["centre_source"] = "RBI Kantor Camat" if picks else "point on surface"
        m["centre"] = point


def derive(
    shared_dir: Path, out: Path = DEFAULT_PATH, *, tolerance_m: float = TOLERANCE_M
) -> dict[str, Any]:
    """Derive the simplified outline file from the RBI files in ``shared_dir``.

    Parameters
    ----------
    shared_dir : Path
        Folder holding ``kabupaten_rbi50k.gpkg``, ``kecamatan_rbi50k.gpkg`` and
        ``kantor_pemerintahan_rbi50k.geojson`` (``../shared/data/lampung``).
    out : Path
        The gzip'd GeoJSON to write (deterministic bytes).
    tolerance_m : float
        Simplification tolerance in metres.

    Returns
    -------
    dict
        ``features``, ``vertices`` and ``bytes`` of the written file.

    Raises
    ------
    FileNotFoundError
        If a source file is missing.
    """
    import geopandas as gpd

    files = [
        shared_dir / n
        for n in (
            "kabupaten_rbi50k.gpkg",
            "kecamatan_rbi50k.gpkg",
            "kantor_pemerintahan_rbi50k.geojson",
        )
    ]
    for path in files:
        if not path.exists():
            msg = f"boundary source missing: {path}"
            raise FileNotFoundError(msg)
    kab = gpd.read_file(files[0]).to_crs(UTM_CRS)
    kab["code"] = kab["NAMOBJ"].map(kabupaten_code)
    kec = gpd.read_file(files[1]).to_crs(UTM_CRS)
    kec["code"] = kec["WADMKK"].map(kabupaten_code)
    offices = gpd.read_file(files[2]).to_crs(UTM_CRS)
    geoms, meta = _pieces(kab.sort_values("code"), kec)
    cover_clean: Any = getattr(shapely, "coverage_clean")  # noqa: B009 (shapely >= 2.2; not in the stubs)
    clean = list(cover_clean(geoms, gap_width=GAP_WIDTH_M))
    _fill_holes(clean)  # rivers between kabupaten are left out of the source polygons
    clean = list(cover_clean(clean, gap_width=GAP_WIDTH_M))
    _centres(clean, meta, offices)
    simple = shapely.coverage_simplify(clean, tolerance=tolerance_m)
    wgs = gpd.GeoSeries(simple, crs=UTM_CRS).to_crs("EPSG:4326")
    rounded = shapely.set_precision(np.asarray(wgs.values), 10.0**-NDIGITS)
    centres = gpd.GeoSeries([m.get("centre", Point(0, 0)) for m in meta], crs=UTM_CRS).to_crs(
        "EPSG:4326"
    )
    features = []
    for m, geom, centre in zip(meta, rounded, centres, strict=True):
        props = dict(m)
        if m["level"] == "kecamatan":
            props["name"] = pretty_name(m["source_name"])
            if not geom.contains(centre):
                centre, props["centre_source"] = geom.representative_point(), "point on surface"
            props["centre"] = [round(centre.x, NDIGITS + 1), round(centre.y, NDIGITS + 1)]
        features.append({"type": "Feature", "properties": props, "geometry": mapping(_multi(geom))})
    doc = {
        "type": "FeatureCollection",
        "metadata": {
            "source": SOURCE,
            "licence": LICENCE,
            "derived_by": "python -m data.boundaries (data/boundaries.py:derive)",
            "tolerance_m": tolerance_m,
            "gap_width_m": GAP_WIDTH_M,
            "min_part_m2": MIN_PART_M2,
            "ndigits": NDIGITS,
            "missing_kecamatan": sorted(m["code"] for m in meta if m["level"] == "kabupaten"),
        },
        "features": features,
    }
    raw = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    out.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    vertices = int(shapely.get_num_coordinates(rounded).sum())
    return {"features": len(features), "vertices": vertices, "bytes": out.stat().st_size}


@functools.lru_cache(maxsize=4)
def load(path: Path = DEFAULT_PATH) -> Boundaries:
    """Read the committed outline file (cached).

    Returns
    -------
    Boundaries
        Kabupaten outlines for all 15 codes (the union of their kecamatan where the
        source has them) and the real kecamatan, sorted by kabupaten code and name.
    """
    doc = json.loads(gzip.decompress(path.read_bytes()))
    kab: dict[str, list[BaseGeometry]] = {}
    kecamatan = []
    missing = set()
    for feat in doc["features"]:
        props, geom = feat["properties"], _multi(shape(feat["geometry"]))
        if props["level"] == "kabupaten":
            kab[props["code"]] = [geom]
            missing.add(props["code"])
            continue
        code = props["kabupaten_code"]
        kab.setdefault(code, []).append(geom)
        kecamatan.append(
            KecamatanOutline(
                kabupaten_code=code,
                name=props["name"],
                source_name=props["source_name"],
                centre=(float(props["centre"][0]), float(props["centre"][1])),
                centre_source=props["centre_source"],
                geometry=geom,
            )
        )
    outlines = {k.code: _multi(shapely.coverage_union_all(kab[k.code])) for k in facts.KABUPATEN}
    kecamatan.sort(key=lambda k: (k.kabupaten_code, k.name))
    return Boundaries(outlines, tuple(kecamatan), frozenset(missing), doc["metadata"])


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: derive the outline file from ``--shared`` into ``--out``."""
    parser = argparse.ArgumentParser(prog="python -m data.boundaries", description=__doc__)
    parser.add_argument("--shared", type=Path, default=Path("../shared/data/lampung"))
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--tolerance-m", type=float, default=TOLERANCE_M)
    args = parser.parse_args(argv)
    try:
        info = derive(args.shared, args.out, tolerance_m=args.tolerance_m)
    except (FileNotFoundError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"wrote {args.out}: {info['features']} features, {info['vertices']} vertices, "
        f"{info['bytes']:,} bytes"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
