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


# -- citizen reports (laporan) ---------------------------------------------------------
GOVERNMENT_LEVELS: tuple[str, ...] = ("kabupaten", "provinsi")
"""Levels of government an agency office works at (kabupaten/kota or the province)."""


@dataclass(frozen=True, slots=True)
class Agency:
    """A kind of regional government agency (OPD) that handles reports.

    One agency code stands for the same OPD in every kabupaten/kota and at the province
    (``dinkes`` is Dinas Kesehatan Kabupaten Pringsewu as well as Dinas Kesehatan
    Provinsi Lampung); its offices say where and at which level. ``name_keys`` are the
    lower-case letters-and-digits fragments an office name must contain to be one of
    its offices (RBI ``PEMERINTAHAN`` names, see :mod:`layers.rbi`).
    """

    code: str
    name_id: str
    name_en: str
    name_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReportCategory:
    """A kind of problem citizens report, with its service level (SLA).

    ``sla_response_h`` is the most hours from submission to the first officer step,
    ``sla_resolution_h`` to *Selesai*; ``level`` is the level of government that
    handles it first (:data:`REPORT_ROUTING` maps category x level to an agency).
    """

    code: str
    name_id: str
    name_en: str
    sla_response_h: float
    sla_resolution_h: float
    level: str = "kabupaten"


AGENCIES: tuple[Agency, ...] = (
    Agency(
        "dinas_pu",
        "Dinas Pekerjaan Umum (PU/PUPR, Bina Marga)",
        "Public works agency (roads, drainage)",
        ("dinaspekerjaanumum", "dinaspu", "kantorpekerjaanumum", "binamarga", "dinaspupr"),
    ),
    Agency(
        "dlh",
        "Dinas Lingkungan Hidup (DLH)",
        "Environment agency (waste)",
        ("lingkunganhidup", "bplh", "pengelolaansampah"),
    ),
    Agency(
        "bpbd",
        "Badan Penanggulangan Bencana Daerah (BPBD)",
        "Regional disaster management agency",
        ("bpbd", "penanggulanganbencana"),
    ),
    Agency(
        "dinkes",
        "Dinas Kesehatan (Dinkes)",
        "Health agency",
        ("dinaskesehatan",),
    ),
    Agency(
        "inspektorat",
        "Inspektorat",
        "Inspectorate (internal audit, illegal levies)",
        ("inspektorat",),
    ),
    Agency(
        "dishub",
        "Dinas Perhubungan (Dishub)",
        "Transport agency (street lights, traffic)",
        ("dinasperhubungan",),
    ),
    Agency(
        "satpol_pp",
        "Satuan Polisi Pamong Praja (Satpol PP)",
        "Public order agency",
        ("satpolpp", "satuanpolisipamongpraja"),
    ),
)

# First response within 6 hours was Jakarta's JakLapor target in 2020; floods and fallen
# trees get 2 hours. Resolution times are planning defaults (ASSUMPTION) that a
# deployment edits in the report_categories table.
REPORT_CATEGORIES: tuple[ReportCategory, ...] = (
    ReportCategory("jalan_rusak", "Jalan rusak", "Damaged road", 6, 168),
    ReportCategory("drainase", "Saluran air / drainase tersumbat", "Blocked drain", 6, 120),
    ReportCategory("sampah", "Sampah", "Rubbish", 6, 72),
    ReportCategory("banjir", "Banjir / genangan", "Flooding", 2, 48),
    ReportCategory("pohon_tumbang", "Pohon tumbang", "Fallen tree", 2, 24),
    ReportCategory("lampu_jalan", "Lampu jalan mati", "Street light out", 6, 72),
    ReportCategory(
        "layanan_puskesmas", "Layanan puskesmas", "Community health centre service", 6, 120
    ),
    ReportCategory("pungli", "Pungutan liar (pungli)", "Illegal levy", 6, 336),
    ReportCategory("ketertiban", "Ketertiban umum", "Public order", 6, 72),
)

REPORT_ROUTING: dict[tuple[str, str], str] = {
    (category, level): agency
    for category, agency in (
        ("jalan_rusak", "dinas_pu"),
        ("drainase", "dinas_pu"),
        ("sampah", "dlh"),
        ("banjir", "bpbd"),
        ("pohon_tumbang", "bpbd"),
        ("lampu_jalan", "dishub"),
        ("layanan_puskesmas", "dinkes"),
        ("pungli", "inspektorat"),
        ("ketertiban", "satpol_pp"),
    )
    for level in GOVERNMENT_LEVELS
}
"""(category, level) → agency: the rows a fresh ``report_routing`` table starts with."""

REPORT_CATEGORY_CODES: frozenset[str] = frozenset(c.code for c in REPORT_CATEGORIES)
AGENCY_CODES: frozenset[str] = frozenset(a.code for a in AGENCIES)


# -- food prices (harga pangan) --------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PriceCommodity:
    """A commodity of the national food-price panels (PIHPS, Panel Harga Pangan).

    ``unit`` is what one price is for (``kg`` or ``liter``); ``farm_commodity`` is the
    farm commodity (:data:`COMMODITIES`) whose shipments this price values (``beras`` ↔
    ``padi``: a shipment of milled rice); ``aliases`` are the names the panels' files
    use (matched without case, spaces or punctuation). Quality grades (*Beras Medium*,
    *Beras Premium*, *Minyak Goreng Curah/Kemasan*) are different series, not aliases: a
    file that has them names the series to load them into (``--commodity "Beras
    Medium=beras"``).
    """

    code: str
    name_id: str
    name_en: str
    unit: str
    farm_commodity: str | None = None
    aliases: tuple[str, ...] = ()


PRICE_COMMODITIES: tuple[PriceCommodity, ...] = (
    PriceCommodity("beras", "Beras", "Rice", "kg", "padi", ()),
    PriceCommodity(
        "jagung",
        "Jagung pipilan kering",
        "Dried shelled maize",
        "kg",
        "jagung",
        ("Jagung", "Jagung Tk Peternak", "Jagung Pipilan"),
    ),
    PriceCommodity(
        "ubi_kayu", "Ubi kayu (singkong)", "Cassava", "kg", "ubi_kayu", ("Singkong", "Ubi Kayu")
    ),
    PriceCommodity("pisang", "Pisang", "Banana", "kg", "pisang"),
    PriceCommodity(
        "kopi",
        "Kopi robusta (biji)",
        "Robusta coffee beans",
        "kg",
        "kopi",
        ("Kopi", "Kopi Robusta"),
    ),
    PriceCommodity(
        "daging_ayam",
        "Daging ayam ras",
        "Chicken meat",
        "kg",
        None,
        ("Daging Ayam", "Daging Ayam Ras", "Daging Ayam Ras Segar"),
    ),
    PriceCommodity(
        "daging_sapi",
        "Daging sapi",
        "Beef",
        "kg",
        None,
        ("Daging Sapi", "Daging Sapi Murni"),
    ),
    PriceCommodity(
        "telur_ayam",
        "Telur ayam ras",
        "Chicken eggs",
        "kg",
        None,
        ("Telur Ayam", "Telur Ayam Ras", "Telur Ayam Ras Segar"),
    ),
    PriceCommodity("bawang_merah", "Bawang merah", "Shallots", "kg", None, ("Bawang Merah",)),
    PriceCommodity(
        "bawang_putih",
        "Bawang putih",
        "Garlic",
        "kg",
        None,
        ("Bawang Putih", "Bawang Putih Bonggol"),
    ),
    PriceCommodity(
        "cabai_merah_besar",
        "Cabai merah besar",
        "Large red chilli",
        "kg",
        None,
        ("Cabai Merah Besar",),
    ),
    # The Lampung panel file names this series "Cabai Merah" in 2020-2021 and "Cabai
    # Merah Keriting" before and after; the two never appear on the same day.
    PriceCommodity(
        "cabai_merah_keriting",
        "Cabai merah keriting",
        "Curly red chilli",
        "kg",
        None,
        ("Cabai Merah Keriting", "Cabai Merah"),
    ),
    PriceCommodity(
        "cabai_rawit_hijau",
        "Cabai rawit hijau",
        "Green bird's-eye chilli",
        "kg",
        None,
        ("Cabai Rawit Hijau",),
    ),
    PriceCommodity(
        "cabai_rawit_merah",
        "Cabai rawit merah",
        "Red bird's-eye chilli",
        "kg",
        None,
        ("Cabai Rawit Merah",),
    ),
    PriceCommodity(
        "minyak_goreng",
        "Minyak goreng",
        "Cooking oil",
        "liter",
        None,
        ("Minyak Goreng",),
    ),
    PriceCommodity(
        "gula_pasir",
        "Gula pasir",
        "Sugar",
        "kg",
        None,
        ("Gula Pasir",),
    ),
)
PRICE_COMMODITY_CODES: frozenset[str] = frozenset(c.code for c in PRICE_COMMODITIES)
