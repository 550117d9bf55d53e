"""Choropleth classes with mapclassify, and the colours of each class."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

SCHEMES = ("FisherJenks", "Quantiles", "EqualInterval", "NaturalBreaks")
DEFAULT_SCHEME = "FisherJenks"
# ColorBrewer YlGnBu, light to dark (colour-blind safe); 2..7 classes.
PALETTE = ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84")


@dataclass(frozen=True, slots=True)
class Classes:
    """Class upper bounds, the class of every value and a colour per class."""

    scheme: str
    bins: list[float]
    classes: list[int | None]
    colors: list[str]
    lower: float

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "scheme": self.scheme,
            "bins": self.bins,
            "lower": self.lower,
            "classes": self.classes,
            "colors": self.colors,
        }


def classify(values: list[float | None], *, k: int = 5, scheme: str = DEFAULT_SCHEME) -> Classes:
    """Classify ``values`` (None/NaN stay unclassified) with a mapclassify scheme.

    ``k`` is reduced to the number of distinct values when there are fewer.
    """
    if scheme not in SCHEMES:
        msg = f"unknown scheme {scheme!r}; schemes: {list(SCHEMES)}"
        raise ValueError(msg)
    import mapclassify

    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    distinct = len(set(finite))
    if distinct == 0:
        return Classes(scheme, [], [None] * len(values), [], 0.0)
    k = max(1, min(k, distinct, len(PALETTE)))
    y = np.array(finite, dtype=float)
    if k == 1:
        bins = [float(y.max())]
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Numba not installed", "not enough unique values"
            classifier = getattr(mapclassify, scheme)(y, k=k)
        bins = [float(b) for b in classifier.bins]
    colors = _colors(len(bins))
    out: list[int | None] = []
    for v in values:
        if v is None or not math.isfinite(float(v)):
            out.append(None)
        else:
            out.append(min(int(np.searchsorted(bins, float(v), side="left")), len(bins) - 1))
    return Classes(scheme, bins, out, colors, float(y.min()))


def _colors(n: int) -> list[str]:
    if n <= 0:
        return []
    if n == 1:
        return [PALETTE[3]]
    step = (len(PALETTE) - 1) / (n - 1)
    return [PALETTE[round(i * step)] for i in range(n)]
