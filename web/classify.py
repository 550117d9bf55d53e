"""Fixed, documented choropleth classes of the planning map.

The classes do not depend on the data shown, so a map of March and a map of June,
or of two kabupaten, can be compared by colour; and nothing is computed on the server
(the page used to send every value to a Fisher-Jenks endpoint, which a single public
request could keep busy for hours).

Coverage (share of the population reaching a service within the threshold):
``< 50``, ``50–70``, ``70–85``, ``85–95`` and ``≥ 95`` %, darkest for the worst areas
(ColorBrewer OrRd, colour-blind safe). A value on a break belongs to the class above
it (50 is in 50–70). An area without population has no class and is drawn grey.

Population (the fallback when the server offers no coverage analysis): ``< 100,000``,
``100,000–250,000``, ``250,000–500,000``, ``500,000–1,000,000`` and ``≥ 1,000,000``
people, darkest for the most populous (ColorBrewer Blues).

Citizen reports (the "Laporan warga" layer): reports per 10,000 people ``< 0.5``,
``0.5–2``, ``2–5``, ``5–20`` and ``≥ 20`` (a kecamatan of 50,000 people with one report
is at 0.2, Jakarta's JakLapor in full use is well above 20 a year); where an area of
the map has no population, reports are counted instead: ``< 1`` (none), ``1–3``,
``3–10``, ``10–30``, ``≥ 30``. Darkest for the most reports (ColorBrewer Purples).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FixedClasses:
    """Class breaks (ascending), one colour per class and the unit of the values.

    Class ``i`` holds the values ``v`` with ``breaks[i-1] <= v < breaks[i]``; there is
    one class more than there are breaks.
    """

    kind: str
    breaks: tuple[float, ...]
    colors: tuple[str, ...]
    unit: str
    no_data: str = "#cccccc"

    def __post_init__(self) -> None:
        if len(self.colors) != len(self.breaks) + 1:
            msg = f"{self.kind}: {len(self.breaks)} breaks need {len(self.breaks) + 1} colours"
            raise ValueError(msg)
        if list(self.breaks) != sorted(set(self.breaks)):
            msg = f"{self.kind}: breaks must be strictly ascending"
            raise ValueError(msg)

    def index(self, value: float | None) -> int | None:
        """The class of ``value`` (None for a missing or non-finite value)."""
        if value is None or not math.isfinite(value):
            return None
        return sum(1 for b in self.breaks if value >= b)

    def color(self, value: float | None) -> str:
        """The fill colour of ``value`` (:attr:`no_data` without a class)."""
        i = self.index(value)
        return self.no_data if i is None else self.colors[i]

    def labels(self, *, thousands: str = ",") -> list[str]:
        """``< 50``, ``50–70``, …, ``≥ 95`` (numbers with ``thousands`` separators)."""

        def num(v: float) -> str:
            return f"{v:,.0f}".replace(",", thousands)

        b = self.breaks
        out = [f"< {num(b[0])}"]
        out += [f"{num(lo)}–{num(hi)}" for lo, hi in itertools.pairwise(b)]
        out.append(f"≥ {num(b[-1])}")
        return out

    def as_config(self) -> dict[str, Any]:
        """What the page's script needs (``web/static/planning.js``)."""
        return {
            "kind": self.kind,
            "breaks": list(self.breaks),
            "colors": list(self.colors),
            "unit": self.unit,
            "noData": self.no_data,
        }


COVERAGE = FixedClasses(
    "coverage",
    (50.0, 70.0, 85.0, 95.0),
    # OrRd, dark (worst: < 50 %) to light (>= 95 %).
    ("#b30000", "#e34a33", "#fc8d59", "#fdcc8a", "#fef0d9"),
    "%",
)
POPULATION = FixedClasses(
    "population",
    (100_000.0, 250_000.0, 500_000.0, 1_000_000.0),
    # Blues, light (few people) to dark (many).
    ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"),
    "",
)
# ColorBrewer Purples (6 classes) without its lightest, light (few reports) to dark
# (many): the 5-class scheme's lightest (#f2f0f7) was almost white on the basemap, so
# areas with a few reports looked like areas without a colour.
REPORT_PURPLES = ("#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f")
REPORT_RATE = FixedClasses(
    "report_rate",
    (0.5, 2.0, 5.0, 20.0),
    REPORT_PURPLES,
    "",
)
REPORT_COUNT = FixedClasses(
    "report_count",
    (1.0, 3.0, 10.0, 30.0),
    REPORT_PURPLES,
    "",
)
