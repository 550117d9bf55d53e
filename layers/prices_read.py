"""Reading food-price tables as the national panels publish them (CSV or XLSX).

Layouts (detected from the header row, which may follow a few title rows):

- **long**: one price per row, columns commodity (``komoditas``), date (``tanggal``)
  and price (``harga``, ``harga pangan``, ``price``, ``nilai``), optionally market
  (``pasar``) or region (``wilayah``, ``provinsi``, ``kabupaten/kota``);
- **wide by date** (PIHPS "per tanggal" exports): one row per commodity, one column
  per date; a leading ``No`` column is ignored;
- **wide by commodity**: one row per date, one column per commodity.

Values as the panels write them: dates ``dd/mm/yyyy`` (also ``dd-mm-yyyy``,
``dd/ mm/ yyyy`` and ISO ``yyyy-mm-dd``; spreadsheet dates as they are), prices
``"33,400"``, ``33.400``, ``Rp 33.400``, ``33.400,50`` (groups of three digits are
thousands, the last separator before one or two digits is the decimal mark), and
``-`` (or empty) for no figure that day. A CSV row quoted as a whole
(``"Beras,11/01/2018,""11,200""…"`` with the closing quotes), as in BPS Lampung's
``harga_pangan.csv``, is read as the row it holds. Nothing here touches the database:
:func:`read_price_table` returns plain observations or raises
:class:`~layers.errors.IngestError` naming rows.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from layers.errors import IngestError

HEADER_SCAN_ROWS = 15
MAX_ERRORS = 20
GAP_TOKENS = frozenset({"", "-", "--", "—", "–", "n/a", "na", "null", "none", "tidak ada"})

_COMMODITY = ("komoditas", "komoditi", "commodity", "namakomoditas", "jeniskomoditas", "item")
_DATE = ("tanggal", "tgl", "date", "periode", "waktu")
_PRICE = ("harga", "hargapangan", "price", "nilai", "hargarp", "hargarata2", "hargaratarata")
_MARKET = ("pasar", "market", "namapasar")
_REGION = ("wilayah", "provinsi", "kabupatenkota", "kabkota", "region", "daerah", "kota")
_IGNORED = ("no", "nomor", "satuan", "unit", "keterangan")
_DATE_RE = re.compile(r"^\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{4})\s*$")
_ISO_RE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.]+)?\s*$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$")


@dataclass(frozen=True, slots=True)
class Observation:
    """One cell of the table: what, where (as written), when, how much (None: a gap)."""

    row: int
    label: str
    date: date
    price: float | None
    place: str | None = None


@dataclass(frozen=True, slots=True)
class PriceTable:
    """The observations of a file and how it was read."""

    layout: str
    observations: list[Observation]
    place_column: str | None
    rows_read: int


def _key(value: object) -> str:
    return re.sub(r"[^0-9a-z]", "", str(value or "").lower())


def parse_date(value: object) -> date | None:
    """A panel date (dd/mm/yyyy and friends, ISO, or a spreadsheet date), else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = str(value or "")
    found = _DATE_RE.match(raw)
    try:
        if found:
            return date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
        found = _ISO_RE.match(raw)
        if found:
            return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:
        return None
    return None


def parse_price(value: object) -> float | None:
    """``"33,400"`` / ``33.400`` / ``Rp 33.400,50`` → number; ``-``/empty → None.

    Raises
    ------
    ValueError
        Not a price (text, a negative number, zero).
    """
    if isinstance(value, bool):
        raise ValueError(f"not a price: {value!r}")
    if isinstance(value, int | float):
        number = float(value)
    else:
        raw = str(value or "").strip()
        if raw.lower() in GAP_TOKENS:
            return None
        text = re.sub(r"^(?:rp\.?|idr)\s*", "", raw, flags=re.IGNORECASE).replace(" ", "")
        if _THOUSANDS.match(text):
            number = float(re.sub(r"[.,]", "", text))
        elif re.fullmatch(r"\d+", text):
            number = float(text)
        elif re.fullmatch(r"\d{1,3}(?:\.\d{3})*,\d{1,2}", text):  # 33.400,50
            number = float(text.replace(".", "").replace(",", "."))
        elif re.fullmatch(r"\d{1,3}(?:,\d{3})*\.\d{1,2}", text):  # 33,400.50
            number = float(text.replace(",", ""))
        elif re.fullmatch(r"\d+[.,]\d{1,2}", text):
            number = float(text.replace(",", "."))
        else:
            raise ValueError(f"not a price: {raw!r}")
    if not number > 0 or number != number or number == float("inf"):
        raise ValueError(f"a price must be > 0, got {value!r}")
    return number


def _csv_rows(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = raw.decode("cp1252", errors="replace")
    lines = content.splitlines()
    sample = "\n".join(lines[:HEADER_SCAN_ROWS])
    delimiter = max(";,\t|", key=lambda d: sample.count(d)) if sample else ","
    rows = []
    for row in csv.reader(io.StringIO(content), delimiter=delimiter):
        if len(row) == 1 and delimiter in row[0]:
            row = next(csv.reader([row[0]], delimiter=delimiter))  # a row quoted whole
        rows.append([c.strip() for c in row])
    return rows


def _xlsx_rows(path: Path, sheet: str | None) -> list[list[object]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile / openpyxl errors: not an xlsx file
        msg = f"cannot read {path.name} as an .xlsx workbook ({type(exc).__name__})"
        raise IngestError(msg, field="file") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            msg = f"no sheet {sheet!r}; sheets: {book.sheetnames}"
            raise IngestError(msg, field="sheet")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        return [
            [c.strip() if isinstance(c, str) else c for c in row]
            for row in ws.iter_rows(values_only=True)
        ]
    finally:
        book.close()


def _find_header(rows: list[list[object]]) -> tuple[int, str, dict[str, int]]:
    """Index of the header row, the layout, and the columns that matter."""
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        keys = [_key(c) for c in row]
        cols: dict[str, int] = {}
        for j, k in enumerate(keys):
            for role, names in (
                ("commodity", _COMMODITY),
                ("date", _DATE),
                ("price", _PRICE),
                ("market", _MARKET),
                ("region", _REGION),
            ):
                if k in names and role not in cols:
                    cols[role] = j
        dates = sum(1 for c in row if parse_date(c) is not None)
        if {"commodity", "date", "price"} <= set(cols):
            return i, "long", cols
        if "commodity" in cols and dates >= 1:
            return i, "wide_by_date", cols
        if "date" in cols and len([k for k in keys if k and k not in _IGNORED]) >= 2:
            return i, "wide_by_commodity", cols
    msg = (
        "no header row found in the first 15 rows: expected columns commodity/komoditas, "
        "date/tanggal and price/harga (long), komoditas + one column per date, or "
        "tanggal + one column per commodity"
    )
    raise IngestError(msg, field="header")


def read_price_table(path: str | Path, *, sheet: str | None = None) -> PriceTable:
    """Every observation of a price table, or an error naming up to 20 bad rows.

    Row numbers count data rows from 1 (the header is not counted), as the other
    ingest commands do.
    """
    path = Path(path)
    if not path.exists():
        msg = f"{path} does not exist"
        raise IngestError(msg, field="file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path, sheet)
    elif suffix in (".csv", ".txt", ".tsv"):
        rows = _csv_rows(path)  # type: ignore[assignment]
    else:
        msg = f"{path.name}: price tables are .csv or .xlsx"
        raise IngestError(msg, field="file")
    head, layout, cols = _find_header(rows)
    header = rows[head]
    body = rows[head + 1 :]
    obs: list[Observation] = []
    errors: list[tuple[int, str, str]] = []

    def bad(row: int, field: str, reason: str) -> None:
        errors.append((row, field, reason))

    for n, row in enumerate(body, start=1):
        if all(c is None or str(c).strip() == "" for c in row):
            continue
        cells = list(row) + [None] * (len(header) - len(row))
        if layout == "long":
            label = str(cells[cols["commodity"]] or "").strip()
            when = parse_date(cells[cols["date"]])
            place_col = cols.get("market", cols.get("region"))
            place = str(cells[place_col] or "").strip() or None if place_col is not None else None
            if not label:
                bad(n, "commodity", "no commodity")
            if when is None:
                bad(n, "date", f"not a date (dd/mm/yyyy): {cells[cols['date']]!r}")
            try:
                price = parse_price(cells[cols["price"]])
            except ValueError as exc:
                bad(n, "price", str(exc))
                continue
            if label and when is not None:
                obs.append(Observation(n, label, when, price, place))
        elif layout == "wide_by_date":
            label = str(cells[cols["commodity"]] or "").strip()
            if not label:
                continue  # a group heading or a total row without a name
            for j, h in enumerate(header):
                when = parse_date(h)
                if when is None:
                    continue
                try:
                    obs.append(Observation(n, label, when, parse_price(cells[j])))
                except ValueError as exc:
                    bad(n, f"{h}", str(exc))
        else:
            when = parse_date(cells[cols["date"]])
            if when is None:
                bad(n, "date", f"not a date (dd/mm/yyyy): {cells[cols['date']]!r}")
                continue
            for j, h in enumerate(header):
                if j == cols["date"] or _key(h) in _IGNORED or not _key(h):
                    continue
                try:
                    obs.append(Observation(n, str(h).strip(), when, parse_price(cells[j])))
                except ValueError as exc:
                    bad(n, str(h), str(exc))
    if errors:
        shown = "; ".join(f"row {r} ({f}): {why}" for r, f, why in errors[:MAX_ERRORS])
        more = f"; and {len(errors) - MAX_ERRORS} more" if len(errors) > MAX_ERRORS else ""
        msg = f"{len(errors)} bad value(s): {shown}{more}"
        raise IngestError(msg, row=errors[0][0], field=errors[0][1])
    place_column = None
    if layout == "long":
        for role in ("market", "region"):
            if role in cols:
                place_column = role
    return PriceTable(
        layout=layout, observations=obs, place_column=place_column, rows_read=len(body)
    )


__all__ = ["Observation", "PriceTable", "parse_date", "parse_price", "read_price_table"]
