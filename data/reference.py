"""Reference lists that seed the lookup tables.

Service categories, commodities and vehicle classes live in database tables (so a
deployment can add its own); these are the rows a fresh database starts with.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Category:
    """A kind of public-service point."""

    code: str
    name_id: str
    name_en: str


@dataclass(frozen=True, slots=True)
class Commodity:
    """A food commodity that farms produce and markets demand."""

    code: str
    name_id: str
    name_en: str


@dataclass(frozen=True, slots=True)
class VehicleClass:
    """A freight vehicle class.

    ``ferry_class`` is the ASDP *golongan* the vehicle sails in; ``toll_group`` is the
    Indonesian toll-road group (Golongan I-V) used by BPJT tariffs.
    """

    code: str
    name_id: str
    name_en: str
    payload_t: float
    fuel_l_per_km: float
    toll_group: str
    ferry_class: str


CATEGORIES: tuple[Category, ...] = (
    Category("puskesmas", "Puskesmas", "Community health centre"),
    Category("rumah_sakit", "Rumah sakit", "Hospital"),
    Category("dukcapil", "Dinas Dukcapil", "Civil registry office"),
    Category("samsat", "Samsat", "Vehicle registration office"),
    Category("mpp", "Mal Pelayanan Publik", "Public-service mall"),
    Category("polisi", "Kantor polisi", "Police station"),
    Category("kantor_camat", "Kantor camat", "District office"),
    Category("kantor_desa", "Kantor kepala desa / kelurahan", "Village office"),
    Category("kantor_bupati", "Kantor bupati / wali kota", "Regent's or mayor's office"),
)

COMMODITIES: tuple[Commodity, ...] = (
    Commodity("padi", "Padi / beras", "Rice"),
    Commodity("jagung", "Jagung", "Maize"),
    Commodity("ubi_kayu", "Ubi kayu", "Cassava"),
    Commodity("pisang", "Pisang", "Banana"),
    Commodity("kopi", "Kopi", "Coffee"),
)

# Payload and fuel use are typical figures for Indonesian freight vehicles; they are
# planning defaults that a planner can edit in the ``vehicle_classes`` table.
VEHICLE_CLASSES: tuple[VehicleClass, ...] = (
    VehicleClass("pickup", "Mobil bak (pick-up)", "Pick-up", 1.0, 0.10, "I", "IVB"),
    VehicleClass("light_truck", "Truk ringan (engkel)", "Light truck", 4.0, 0.14, "I", "VB"),
    VehicleClass("medium_truck", "Truk sedang (fuso)", "Medium truck", 8.0, 0.20, "II", "VIB"),
    VehicleClass("heavy_truck", "Truk berat (tronton)", "Heavy truck", 20.0, 0.30, "III", "VIIB"),
)

CATEGORY_CODES: frozenset[str] = frozenset(c.code for c in CATEGORIES)
COMMODITY_CODES: frozenset[str] = frozenset(c.code for c in COMMODITIES)
