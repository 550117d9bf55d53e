"""The one error :mod:`data.vector_io` raises; callers map it to their own error."""

from __future__ import annotations


class VectorReadError(ValueError):
    """A vector file cannot be read as it is.

    ``reason`` is one plain line for the user (never GDAL's text), ``field`` what is at
    fault (``"FILE"``, ``"layer"``, ``"encoding"``, ``"crs"``, a column, ``"geometry"``)
    and ``row`` the 1-based feature, or None when the whole file is at fault.
    """

    def __init__(self, reason: str, *, field: str = "FILE", row: int | None = None) -> None:
        super().__init__(reason if row is None else f"row {row}: {reason}")
        self.reason = reason
        self.field = field
        self.row = row
