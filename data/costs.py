"""The cost figures that freight planning starts with, each with its source.

These rows seed the ``cost_parameters`` table (migration 0002). A planner updates
them there (``PUT /logistics/parameters/{key}``); nothing reads this module at run
time. Ferry tariffs are not here: they belong to each ferry link
(``ferry_links.tariffs``, keyed by ASDP golongan, with ``tariff_source``).

Figures are public prices or stated ASSUMPTIONS, rounded; all are to be verified by
planners before real use (prices change: fuel monthly, toll and ferry tariffs yearly).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CostParameter:
    """One planning figure."""

    key: str
    value: float
    unit: str
    description: str
    source: str


_VERIFY = "to be verified by planners"
_PERTAMINA = f"Pertamina price list, 2024; {_VERIFY}"
_JTTS = (
    "APPROXIMATE: per-km rate derived from the BPJT / Hutama Karya tariff of the "
    "Bakauheni–Terbanggi Besar toll road (about 2023, ~140 km), rounded; " + _VERIFY
)
_JM = (
    "APPROXIMATE: per-km rate derived from the BPJT tariffs of the Tangerang–Merak and "
    "Jakarta–Tangerang toll roads (about 2023), rounded; " + _VERIFY
)
# (group, IDR per km) for Golongan I-V: Gol I = cars and small trucks, II = 2-axle,
# III = 3-axle, IV = 4-axle, V = 5+ axle trucks.
_TOLL_TRANS_SUMATERA = (
    ("I", 900.0),
    ("II", 1350.0),
    ("III", 1350.0),
    ("IV", 1800.0),
    ("V", 1800.0),
)
_TOLL_JAKARTA_MERAK = (("I", 800.0), ("II", 1300.0), ("III", 1300.0), ("IV", 1700.0), ("V", 1700.0))

COST_PARAMETERS: tuple[CostParameter, ...] = (
    CostParameter(
        "fuel_price.solar",
        6_800.0,
        "IDR/l",
        "Biosolar (B35 diesel), subsidised; price unchanged since September 2022",
        _PERTAMINA,
    ),
    CostParameter(
        "fuel_price.dexlite",
        13_000.0,
        "IDR/l",
        "Dexlite (non-subsidised diesel); adjusted monthly, about Rp 13,000/l in 2024",
        _PERTAMINA,
    ),
    CostParameter(
        "driver_cost_per_hour",
        30_000.0,
        "IDR/h",
        "Driver and helper (kenek) per vehicle per hour of trip, port waiting included: "
        "wages, meals and allowances",
        "ASSUMPTION: about Rp 600,000 for a 20-hour Lampung–Jakarta trip; " + _VERIFY,
    ),
    CostParameter(
        "co2_per_litre.diesel",
        2.68,
        "kg CO2/l",
        "Tank-to-wheel CO2 of diesel; the biogenic share of the B35 blend is not deducted",
        "IPCC 2006 Guidelines, Vol. 2 ch. 3, default 74,100 kg CO2/TJ x 43.0 TJ/Gg x "
        "0.84 kg/l ~ 2.68 kg/l",
    ),
    CostParameter(
        "ferry_freight_share",
        0.5,
        "share",
        "Share of a ferry link's daily vehicle capacity available to the allocation's "
        "freight vehicles (the rest carries cars, buses and other trucks)",
        "ASSUMPTION for planning; " + _VERIFY,
    ),
    *(
        CostParameter(
            f"toll_per_km.trans_sumatera.{g}",
            v,
            "IDR/km",
            f"Trans-Sumatera toll road, Golongan {g}",
            _JTTS,
        )
        for g, v in _TOLL_TRANS_SUMATERA
    ),
    *(
        CostParameter(
            f"toll_per_km.jakarta_merak.{g}",
            v,
            "IDR/km",
            f"Merak–Tangerang–Jakarta toll roads, Golongan {g}",
            _JM,
        )
        for g, v in _TOLL_JAKARTA_MERAK
    ),
)

#: Fuel kinds a plan can be priced with, and the parameter holding each price.
FUEL_PARAMETERS: dict[str, str] = {"solar": "fuel_price.solar", "dexlite": "fuel_price.dexlite"}
