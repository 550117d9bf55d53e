"""Matching Indonesian administrative names as they are really written.

The same kabupaten is "Tulang Bawang" in one file and "Tulangbawang" or "TULANGBAWANG" in
another, "Kota Metro" in ``NAMOBJ`` and "METRO" in ``WADMKK``, "Kabupaten Pesawaran" at
BPS. Names are compared on a key: accents folded, lower case, the level prefix
("Kabupaten", "Kab.", "Kota", "Kecamatan", "Kec.") removed, then everything that is not a
letter or digit removed.

Known limit: "Kota X" and "Kabupaten X" get the same key. Lampung has no such pair
(Java has, e.g. Bekasi); callers that need the difference must keep the prefix.
"""

from __future__ import annotations

import re
import unicodedata

from data.facts import KABUPATEN, Kabupaten

_KABUPATEN_PREFIX = re.compile(r"^(kabupaten|kab\.?|kota(madya)?|kotamadya)\s+")
_KECAMATAN_PREFIX = re.compile(r"^(kecamatan|kec\.?)\s+")


def _fold(name: str) -> str:
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text.strip().lower())


def kabupaten_key(name: str | None) -> str:
    """Key of a kabupaten/kota name: ``"Kota Metro"`` and ``"METRO"`` give ``"metro"``."""
    if not name:
        return ""
    text = _KABUPATEN_PREFIX.sub("", _fold(name))
    return re.sub(r"[^0-9a-z]", "", text)


def kecamatan_key(name: str | None) -> str:
    """Key of a kecamatan name (only "Kecamatan"/"Kec." is removed: "Kota Agung" stays)."""
    if not name:
        return ""
    text = _KECAMATAN_PREFIX.sub("", _fold(name))
    return re.sub(r"[^0-9a-z]", "", text)


def text_key(name: str | None) -> str:
    """Key of any name: folded, lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", _fold(name or ""))


BPS_BY_KEY: dict[str, Kabupaten] = {kabupaten_key(k.name): k for k in KABUPATEN}


def bps_kabupaten(name: str | None) -> Kabupaten | None:
    """The BPS kabupaten/kota of Lampung (:data:`data.facts.KABUPATEN`) with this name."""
    return BPS_BY_KEY.get(kabupaten_key(name))


def specific_code(value: object, *, digits: int) -> str | None:
    """A code with at least ``digits`` digits ("18.72" -> "1872"), else None.

    RBI files carry codes such as ``KDPPUM = "18"`` on kabupaten features: that is the
    province, not the kabupaten, and must not be used to tell kabupaten apart.
    """
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = re.sub(r"[\s.\-]", "", str(value))
    return text if text.isdigit() and len(text) >= digits else None
