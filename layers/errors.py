"""Errors raised by the layers package.

Each error names the offending ``field`` (a query parameter, an ingest column, a
file row) and the ``reason``; the API turns them into 4xx JSON bodies through one
status-code table in :mod:`geo_api.errors`.
"""

from __future__ import annotations


class LayersError(Exception):
    """Base of all layer errors."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason if field is None else f"{field}: {reason}")
        self.reason = reason
        self.field = field


class InvalidParameterError(LayersError):
    """A query parameter has a bad value (bbox, limit, filter, ...)."""


class UnknownReferenceError(InvalidParameterError):
    """A well-formed value naming a row the database does not hold (a market, a vehicle
    class planners can edit): the API answers 422, since no schema can list them."""


class UnknownCollectionError(LayersError):
    """No collection has this id."""


class FeatureNotFoundError(LayersError):
    """No feature in the collection has this id."""


class IngestError(LayersError):
    """A file could not be ingested; nothing was written.

    ``row`` is the 1-based number of the offending feature in the file (for CSV, the
    data row; the header is not counted), or None when the whole file is at fault.
    """

    def __init__(self, reason: str, *, row: int | None = None, field: str | None = None) -> None:
        super().__init__(reason, field=field)
        self.row = row

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}" if self.row is not None else self.reason
