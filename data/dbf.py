"""Text encoding of a Shapefile's ``.dbf``, decided from its bytes.

GDAL's own guess (the ``.cpg``, else the dBase language byte, else ISO-8859-1) fails in
two common ways on real deliveries: a ``.cpg`` that says UTF-8 over Latin-1 bytes makes
the read stop with a decoding error, and Windows-1252 text without a ``.cpg`` comes out
with control characters where ``€``, ``“”`` or ``–`` were. So we read the records
ourselves and check which encoding decodes every text cell.
"""

from __future__ import annotations

import codecs
import struct
from dataclasses import dataclass
from pathlib import Path

# Tried in this order when nothing is declared (or the declaration is wrong). Latin-1
# decodes any byte, so the last try always succeeds.
FALLBACKS = ("utf-8", "cp1252", "latin-1")

# What .cpg files say, upper-cased with spaces, dashes and underscores removed.
_CPG_NAMES = {
    "UTF8": "utf-8",
    "65001": "utf-8",
    "1252": "cp1252",
    "ANSI1252": "cp1252",
    "CP1252": "cp1252",
    "WINDOWS1252": "cp1252",
    "88591": "latin-1",
    "ISO88591": "latin-1",
    "LATIN1": "latin-1",
    "ASCII": "ascii",
    "USASCII": "ascii",
}


@dataclass(frozen=True, slots=True)
class DbfField:
    """One dBase column: name, type letter, byte offset in the record and width."""

    name: str
    type: str
    offset: int
    width: int


@dataclass(frozen=True, slots=True)
class BadBytes:
    """Where bytes do not decode: 1-based record number and the column."""

    row: int
    field: str


@dataclass(frozen=True, slots=True)
class EncodingChoice:
    """The encoding to read a ``.dbf`` with, and what to tell the user (or None)."""

    encoding: str
    note: str | None


class DbfError(ValueError):
    """The ``.dbf`` cannot be parsed, or the requested encoding does not fit it."""


def codec_name(name: str) -> str | None:
    """A Python codec for an encoding name as written in a ``.cpg`` or by a user."""
    key = name.strip().upper().replace(" ", "").replace("-", "").replace("_", "")
    if key in _CPG_NAMES:
        return _CPG_NAMES[key]
    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        return None


def read_fields(data: bytes) -> tuple[int, int, int, list[DbfField]]:
    """Parse a dBase header: (records, header length, record length, fields)."""
    if len(data) < 32:
        msg = "the .dbf is too short to be a dBase file"
        raise DbfError(msg)
    n_records, header_len, record_len = struct.unpack("<IHH", data[4:12])
    fields: list[DbfField] = []
    offset = 1  # the deletion flag
    pos = 32
    while pos + 32 <= min(header_len, len(data)) and data[pos] != 0x0D:
        raw = data[pos : pos + 32]
        name = raw[:11].split(b"\x00", 1)[0].decode("latin-1").strip()
        width = raw[16]
        fields.append(DbfField(name, chr(raw[11]), offset, width))
        offset += width
        pos += 32
    return n_records, header_len, record_len, fields


def find_undecodable(data: bytes, encoding: str) -> BadBytes | None:
    """The first text cell of a ``.dbf`` that ``encoding`` cannot decode, or None."""
    n_records, header_len, record_len, fields = read_fields(data)
    text = [f for f in fields if f.type in "CM"]
    if not text or record_len <= 0:
        return None
    body = data[header_len : header_len + n_records * record_len]
    try:
        body.decode(encoding)
        return None
    except UnicodeDecodeError:
        pass  # find the cell below
    for i in range(min(n_records, len(body) // record_len)):
        record = body[i * record_len : (i + 1) * record_len]
        for f in text:
            cell = record[f.offset : f.offset + f.width].rstrip(b" \x00")
            try:
                cell.decode(encoding)
            except UnicodeDecodeError:
                return BadBytes(i + 1, f.name)
    return None


def choose_encoding(dbf: Path, *, cpg: Path | None, requested: str | None) -> EncodingChoice:
    """Decide how to decode ``dbf``'s text.

    Parameters
    ----------
    dbf
        The ``.dbf`` file.
    cpg
        Its ``.cpg`` file, or None when there is none.
    requested
        An encoding the user asked for: used as it is, and refused (with the row and
        column) when it does not decode the file.

    Raises
    ------
    DbfError
        Unknown encoding name, or ``requested`` does not decode the file.
    """
    data = dbf.read_bytes()
    if requested is not None:
        codec = codec_name(requested)
        if codec is None:
            msg = f"unknown encoding {requested!r} (try utf-8, cp1252 or latin-1)"
            raise DbfError(msg)
        bad = find_undecodable(data, codec)
        if bad is not None:
            msg = f"{dbf.name} is not valid {requested} (row {bad.row}, column {bad.field})"
            raise DbfError(msg)
        return EncodingChoice(codec, None)
    declared = cpg.read_text(encoding="latin-1").strip() if cpg is not None else ""
    declared_codec = codec_name(declared) if declared else None
    if declared_codec is not None:
        bad = find_undecodable(data, declared_codec)
        if bad is None:
            return EncodingChoice(declared_codec, None)
        fallback = _first_fitting(data, skip=declared_codec)
        note = (
            f"{cpg.name if cpg else ''} says {declared} but {dbf.name} is not valid {declared} "
            f"(row {bad.row}, column {bad.field}); read it as {fallback} "
            "(choose another with --encoding)"
        )
        return EncodingChoice(fallback, note)
    found = _first_fitting(data, skip=None)
    if declared:
        note = f"{cpg.name if cpg else ''} names an unknown encoding {declared!r}; "
        return EncodingChoice(found, note + f"read {dbf.name} as {found}")
    if find_undecodable(data, "ascii") is None:
        return EncodingChoice(found, None)  # plain ASCII: the encoding does not matter
    if found == "utf-8":
        return EncodingChoice(found, f"{dbf.name} has no .cpg; its text is valid UTF-8")
    note = f"{dbf.name} has no .cpg and is not valid UTF-8; read it as {found}"
    return EncodingChoice(found, note + " (choose another with --encoding)")


def _first_fitting(data: bytes, *, skip: str | None) -> str:
    for codec in FALLBACKS:
        if codec != skip and find_undecodable(data, codec) is None:
            return codec
    return "latin-1"
