"""Finding and reading the standard BIG RBI layers of a kabupaten folder.

A Bappeda GIS office gets one folder per kabupaten with the RBI 1:50,000 layers under
their standard names (``ADMINISTRASIKABUPATEN_AR_50K.shp``, ...), in any letter case,
as Shapefiles or GeoPackages. Every layer is read through :func:`data.vector_io.read_vector`
(Z dropped, encoding decided from the bytes) and brought to EPSG:4326.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pyogrio

from data.vector_io import VectorReadError, read_vector
from layers.errors import IngestError

STANDARD_LAYERS: dict[str, str] = {
    "kabupaten": "ADMINISTRASIKABUPATEN_AR_50K",
    "kecamatan": "ADMINISTRASIKECAMATAN_AR_50K",
    "roads": "JALAN_LN_50K",
    "offices": "PEMERINTAHAN_PT_50K",
    "settlements": "PEMUKIMAN_AR_50K",
}
SUFFIXES = (".shp", ".gpkg")


@dataclass(frozen=True, slots=True)
class LayerFile:
    """Where one standard layer of a folder is: the file and, in a GeoPackage, the layer."""

    role: str
    name: str
    path: Path
    layer: str | None = None

    @property
    def label(self) -> str:
        """``folder/FILE.shp`` or ``folder/FILE.gpkg:layer``."""
        where = f"{self.path.parent.name}/{self.path.name}"
        return f"{where}:{self.layer}" if self.layer else where


@dataclass(slots=True)
class LayerRead:
    """A layer as read: the frame (EPSG:4326, 2-D) and the notes to report."""

    file: LayerFile
    frame: gpd.GeoDataFrame
    notes: list[str] = field(default_factory=list)
    missing_attributes: bool = False
    dropped_z: int = 0


def find_layers(folder: Path) -> tuple[dict[str, LayerFile], list[str]]:
    """The standard layers found in ``folder`` (by role) and notes on what is missing.

    Raises
    ------
    IngestError
        The folder does not exist or holds none of the standard layers.
    """
    if not folder.is_dir():
        msg = f"{folder} is not a folder"
        raise IngestError(msg, field="DIR")
    files = sorted(p for p in folder.iterdir() if p.is_file())
    found: dict[str, LayerFile] = {}
    notes: list[str] = []
    gpkgs = [p for p in files if p.suffix.lower() == ".gpkg"]
    for role, name in STANDARD_LAYERS.items():
        candidates = [
            LayerFile(role, name, p)
            for suffix in SUFFIXES
            for p in files
            if p.stem.upper() == name and p.suffix.lower() == suffix
        ]
        for gpkg in gpkgs:
            if gpkg.stem.upper() == name:
                continue
            candidates += [
                LayerFile(role, name, gpkg, layer)
                for layer in _gpkg_layers(gpkg)
                if layer.upper() == name
            ]
        if not candidates:
            notes.append(f"{name} is missing")
            continue
        found[role] = candidates[0]
        if len(candidates) > 1:
            others = ", ".join(c.label for c in candidates[1:])
            notes.append(f"{name}: used {candidates[0].label}, ignored {others}")
    if not found:
        names = ", ".join(STANDARD_LAYERS.values())
        msg = f"{folder} holds none of the RBI layers ({names}), in .shp or .gpkg"
        raise IngestError(msg, field="DIR")
    return found, notes


def _gpkg_layers(path: Path) -> list[str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [str(n) for n, _ in pyogrio.list_layers(path)]
    except Exception:  # an unreadable GeoPackage holds no layer we can use
        return []


def read_layer(file: LayerFile, *, encoding: str | None = None) -> LayerRead:
    """Read one standard layer into EPSG:4326.

    Raises
    ------
    IngestError
        The file cannot be read, or has coordinates that are not lon/lat and no CRS.
    """
    try:
        got = read_vector(file.path, layer=file.layer, encoding=encoding)
    except VectorReadError as exc:
        where = f"row {exc.row}: " if exc.row is not None else ""
        raise IngestError(f"{file.label}: {where}{exc.reason}", field=exc.field) from None
    frame = got.frame
    if frame.crs is None:
        minx, miny, maxx, maxy = frame.total_bounds if len(frame) else (0, 0, 0, 0)
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            msg = f"{file.label} has no CRS and its coordinates are not lon/lat; add a .prj"
            raise IngestError(msg, field="crs")
        frame = frame.set_crs("EPSG:4326")
    elif frame.crs.to_epsg() != 4326:
        frame = frame.to_crs("EPSG:4326")
    notes = [n for n in got.notes if not n.startswith("dropped Z coordinates")]
    return LayerRead(file, frame, notes, got.missing_attributes, got.dropped_z)


def inspect_roads(file: LayerFile) -> tuple[int, list[str]]:
    """Feature count and notes of a road layer, without reading its geometries.

    The road graph is built by a separate step; the import only reports what is there.
    """
    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            info = pyogrio.read_info(file.path, layer=file.layer)
    except Exception:  # pyogrio raises several types for unreadable files
        return 0, [f"{file.name}: cannot be read"]
    if file.path.suffix.lower() == ".shp":
        stems = {p.name.lower() for p in file.path.parent.iterdir()}
        if f"{file.path.stem.lower()}.dbf" not in stems:
            notes.append(f"{file.path.stem}.dbf is missing: roads have geometry only, no class")
    return int(info.get("features") or 0), notes
