"""What ``import rbi`` did, per kabupaten folder and per layer (typed, for the CLI and API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from layers.bps import PopulationTable
from layers.rbi_layers import LayerFile


@dataclass(slots=True)
class LayerReport:
    """One layer of one folder: features read, features loaded, skipped ones by reason.

    ``loaded`` counts the file's features that went into the database, alone or merged
    with pieces from other files (a kecamatan drawn as several polygons is one row).
    """

    layer: str
    file: str | None = None
    read: int = 0
    loaded: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, n: int = 1) -> None:
        """Count ``n`` features skipped for ``reason``."""
        self.skipped[reason] = self.skipped.get(reason, 0) + n

    @property
    def skipped_total(self) -> int:
        """All skipped features."""
        return sum(self.skipped.values())


@dataclass(slots=True)
class FolderReport:
    """One kabupaten folder: its own kabupaten, its layers, warnings, time spent."""

    folder: Path
    kabupaten: str | None = None
    layers: dict[str, LayerReport] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def layer(self, role: str, name: str) -> LayerReport:
        """The report of a layer (created on first use)."""
        if role not in self.layers:
            self.layers[role] = LayerReport(name)
        return self.layers[role]


@dataclass(frozen=True, slots=True)
class RbiImportReport:
    """The whole import: per folder, rows written per table, import-wide warnings.

    ``road_files`` are the folders' ``JALAN_LN_50K`` layers, for the road-graph step
    that runs after the layers are loaded.
    """

    folders: tuple[FolderReport, ...]
    written: dict[str, int]
    warnings: tuple[str, ...]
    road_files: tuple[LayerFile, ...]
    population: PopulationTable | None
    seconds: float
