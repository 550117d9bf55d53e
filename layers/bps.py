"""Population per kabupaten/kota from a BPS table (CSV).

Column mapping, auto-detected from the header (case, spaces and ``_`` ignored) unless
named:

=========  =========================================================================
name       ``Kabupaten/Kota``, ``Kabupaten``, ``Kab/Kota``, ``Wilayah``, ``Nama``, ...
           (else the first column holding text)
year       ``Tahun`` or ``Year`` (optional: without it the table is one year)
value      ``Jumlah_Penduduk``, or any column with "penduduk" or "population"
=========  =========================================================================

Delimiter ``;``, ``,``, tab or ``|``; UTF-8 (BOM allowed), else cp1252. Values may use
thousands separators (``1.234.567``). Rows without a year or a value are skipped (BPS
exports carry empty rows); a name twice in the chosen year is refused.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from data.vector_io import VectorReadError, decode_text
from layers.admin_names import kabupaten_key, text_key
from layers.errors import IngestError

NAME_KEYS = (
    "kabupatenkota",
    "kabkota",
    "kabupaten",
    "kota",
    "namakabupaten",
    "wilayah",
    "namawilayah",
    "daerah",
    "region",
    "nama",
    "name",
)
YEAR_KEYS = ("tahun", "year", "thn")
VALUE_KEYS = ("jumlahpenduduk", "penduduk", "population", "totalpopulation")
DELIMITERS = (";", ",", "\t", "|")


@dataclass(frozen=True, slots=True)
class PopulationFigure:
    """One kabupaten's figure: the name as written, its match key, the value, its row."""

    name: str
    key: str
    value: int
    row: int


@dataclass(frozen=True, slots=True)
class PopulationTable:
    """The figures of one year, by kabupaten key, and the columns they came from."""

    path: Path
    year: int | None
    name_column: str
    year_column: str | None
    value_column: str
    figures: dict[str, PopulationFigure]
    years: tuple[int, ...]

    @property
    def label(self) -> str:
        """Where the figures come from, for ``population_source``."""
        year = f" {self.year}" if self.year is not None else ""
        return f"BPS {self.path.name} ({self.value_column}{year})"


def _pick(header: list[str], named: str | None, keys: tuple[str, ...], what: str) -> str | None:
    if named is not None:
        if named in header:
            return named
        match = [h for h in header if text_key(h) == text_key(named)]
        if len(match) == 1:
            return match[0]
        msg = f"the population table has no column {named!r}; its columns: {header}"
        raise IngestError(msg, field=f"--population-{what}-column")
    by_key = {text_key(h): h for h in header}
    for key in keys:
        if key in by_key:
            return by_key[key]
    if what == "value":
        loose = [h for h in header if "penduduk" in text_key(h) or "population" in text_key(h)]
        return loose[0] if loose else None
    return None


def _number(text: str) -> int:
    raw = text.strip().replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", raw):
        raw = re.sub(r"[.,]", "", raw)
    value = float(raw.replace(",", "."))
    if not value.is_integer() or value < 0:
        raise ValueError(text)
    return int(value)


def read_population(
    path: str | Path,
    *,
    year: int | None = None,
    name_column: str | None = None,
    year_column: str | None = None,
    value_column: str | None = None,
    encoding: str | None = None,
) -> PopulationTable:
    """Read one year's population per kabupaten from a BPS CSV.

    Parameters
    ----------
    path
        The CSV.
    year
        The year to take; default the latest year with figures.
    name_column, year_column, value_column
        Columns to use instead of the detected ones.
    encoding
        Text encoding (default: UTF-8, else cp1252).

    Raises
    ------
    IngestError
        Unreadable file, columns not found, a bad number (with its row), no figures
        for the year, or a name twice in one year.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"population table not found: {path}"
        raise IngestError(msg, field="--population")
    try:
        text, _, _ = decode_text(path.read_bytes(), name=path.name, requested=encoding)
    except VectorReadError as exc:
        raise IngestError(exc.reason, field="--population") from None
    first = text.splitlines()[0] if text.strip() else ""
    if not first:
        msg = f"{path.name} is empty"
        raise IngestError(msg, field="--population")
    delimiter = max(DELIMITERS, key=first.count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = [h.strip() for h in rows[0]]
    name_col = _pick(header, name_column, NAME_KEYS, "name") or header[0]
    year_col = _pick(header, year_column, YEAR_KEYS, "year")
    value_col = _pick(header, value_column, VALUE_KEYS, "value")
    if value_col is None:
        msg = f"no population column found in {header}; name it with --population-column"
        raise IngestError(msg, field="--population-column")
    i_name, i_value = header.index(name_col), header.index(value_col)
    i_year = header.index(year_col) if year_col else None
    by_year: dict[int | None, list[PopulationFigure]] = {}
    for number, cells in enumerate(rows[1:], start=1):
        cells = cells + [""] * (len(header) - len(cells))
        name, value = cells[i_name].strip(), cells[i_value].strip()
        row_year: int | None = None
        if i_year is not None:
            if not cells[i_year].strip():
                continue
            try:
                row_year = _number(cells[i_year])
            except ValueError:
                msg = f"{year_col} must be a year, got {cells[i_year]!r}"
                raise IngestError(f"row {number}: {msg}", field=year_col) from None
        if not name or not value:
            continue
        try:
            figure = PopulationFigure(name, kabupaten_key(name), _number(value), number)
        except ValueError:
            msg = f"{value_col} must be a whole number >= 0, got {value!r}"
            raise IngestError(f"row {number}: {msg}", field=value_col) from None
        by_year.setdefault(row_year, []).append(figure)
    years = tuple(sorted(y for y in by_year if y is not None))
    if not by_year:
        msg = f"{path.name} has no rows with a name and a {value_col} value"
        raise IngestError(msg, field="--population")
    chosen = year if year is not None else (years[-1] if years else None)
    if chosen not in by_year:
        msg = f"{path.name} has no figures for {chosen}; years with figures: {list(years)}"
        raise IngestError(msg, field="--population-year")
    figures: dict[str, PopulationFigure] = {}
    for fig in by_year[chosen]:
        if fig.key in figures:
            other = figures[fig.key].row
            msg = f"{fig.name!r} appears twice for {chosen} (rows {other} and {fig.row})"
            raise IngestError(msg, field=name_col)
        figures[fig.key] = fig
    return PopulationTable(path, chosen, name_col, year_col, value_col, figures, years)
