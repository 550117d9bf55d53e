"""json_bytes: the same JSON as json.dumps, valid where json.dumps is not, never a 500."""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np

from geo_api.json_body import json_bytes


def test_same_text_as_json_dumps() -> None:
    body = {
        "type": "FeatureCollection",
        "features": [
            {
                "id": 7,
                "properties": {"name": "Puskesmas Kedaton – Bandar Lampung", "rank": 1},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[105.2571, -5.3912], [105.1, -5.0]],
                },
            }
        ],
        "numbers": [0.1, 123456789.123, -0.0, 2**53],
    }
    compact = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    assert json_bytes(body) == compact
    # exponents are written 1e-7 (json.dumps: 1e-07): the same number
    assert json.loads(json_bytes({"x": 1e-7})) == {"x": 1e-7}


def test_nan_and_infinity_become_null() -> None:
    out = json.loads(json_bytes({"a": float("nan"), "b": [float("inf"), 1.5]}))
    assert out == {"a": None, "b": [None, 1.5]}


def test_unknown_values_fall_back_to_text() -> None:
    out = json.loads(json_bytes({"price": Decimal("14900.50"), 3: "int key"}))
    assert out == {"price": "14900.50", "3": "int key"}


def test_numpy_values() -> None:
    out = json.loads(json_bytes({"c": np.array([[1.5, 2.0]]), "n": np.int64(3)}))
    assert out == {"c": [[1.5, 2.0]], "n": 3}
