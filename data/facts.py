"""Public facts that the DEMO data generator is built from.

Everything here is either a published figure (BPS population and crop production) or
an approximate location from general knowledge (town centres, ports, markets), given
to about 0.01 degree (~1 km). Figures that are planning *assumptions* rather than
published facts are marked ``ASSUMPTION`` in a comment.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Kabupaten:
    """A kabupaten or kota of Lampung with its capital town."""

    code: str
    name: str
    capital: str
    lon: float
    lat: float
    population: int

    @property
    def short_name(self) -> str:
        """The name without "Kabupaten"/"Kota" (``"Lampung Barat"``)."""
        return self.name.split(" ", 1)[1]


@dataclass(frozen=True, slots=True)
class Town:
    """A town (kecamatan centre) other than a kabupaten capital; location approximate."""

    name: str
    kabupaten_code: str
    lon: float
    lat: float


@dataclass(frozen=True, slots=True)
class Port:
    """A ferry terminal or seaport. ``land_dir`` is the (east, north) direction of land."""

    code: str
    name: str
    kind: str
    lon: float
    lat: float
    land_dir: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Market:
    """A wholesale market (pasar induk) with planning demand in tonnes per month."""

    slug: str
    name: str
    address: str
    lon: float
    lat: float
    demand_t_per_month: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class FerryLink:
    """A ferry crossing between two ports."""

    from_port: str
    to_port: str
    name: str
    crossing_minutes: float
    departures_per_day: int
    daily_capacity_vehicles: int
    tariffs: tuple[tuple[str, int], ...]
    tariff_source: str


@dataclass(frozen=True, slots=True)
class Production:
    """BPS (or assumed) annual production of a commodity in one kabupaten."""

    commodity: str
    kabupaten_code: str
    tonnes_per_year: float
    year: int
    source: str


PROVINCE_CODE = "18"
PROVINCE_NAME = "Provinsi Lampung"

# BPS population (jiwa) per kabupaten/kota, year 2023, as published in the BPS
# "Lampung Dalam Angka 2024" table (Jumlah Penduduk).
POPULATION_YEAR = 2023
POPULATION_SOURCE = "BPS, Lampung Dalam Angka 2024"

KABUPATEN: tuple[Kabupaten, ...] = (
    Kabupaten("1801", "Kabupaten Lampung Barat", "Liwa", 104.08, -5.03, 303931),
    Kabupaten("1802", "Kabupaten Tanggamus", "Kota Agung", 104.62, -5.49, 659818),
    Kabupaten("1803", "Kabupaten Lampung Selatan", "Kalianda", 105.59, -5.73, 1090174),
    Kabupaten("1804", "Kabupaten Lampung Timur", "Sukadana", 105.55, -5.07, 1137434),
    Kabupaten("1805", "Kabupaten Lampung Tengah", "Gunung Sugih", 105.21, -4.97, 1522426),
    Kabupaten("1806", "Kabupaten Lampung Utara", "Kotabumi", 104.89, -4.83, 635903),
    Kabupaten("1807", "Kabupaten Way Kanan", "Blambangan Umpu", 104.56, -4.44, 485056),
    Kabupaten("1808", "Kabupaten Tulang Bawang", "Menggala", 105.25, -4.47, 431623),
    Kabupaten("1809", "Kabupaten Pesawaran", "Gedong Tataan", 105.09, -5.38, 492474),
    Kabupaten("1810", "Kabupaten Pringsewu", "Pringsewu", 104.97, -5.36, 409858),
    Kabupaten("1811", "Kabupaten Mesuji", "Mesuji", 105.40, -4.00, 235546),
    Kabupaten("1812", "Kabupaten Tulang Bawang Barat", "Panaragan", 105.09, -4.48, 291437),
    Kabupaten("1813", "Kabupaten Pesisir Barat", "Krui", 103.94, -5.19, 165937),
    Kabupaten("1871", "Kota Bandar Lampung", "Tanjung Karang", 105.26, -5.43, 1234988),
    Kabupaten("1872", "Kota Metro", "Metro", 105.31, -5.11, 172505),
)

# Kota areas are drawn as discs around the capital (radius in metres), roughly matching
# their real land area (Bandar Lampung ~197 km², Metro ~69 km²).
CITY_RADIUS_M: dict[str, float] = {"1871": 9_000.0, "1872": 6_000.0}

# Other towns (kecamatan centres) per kabupaten: "code: Name lon lat, Name lon lat, ...".
_TOWN_TABLE: tuple[str, ...] = (
    "1801: Sekincau 104.29 -5.08, Sumber Jaya 104.38 -4.97, Belalau 104.16 -5.11",
    "1802: Talang Padang 104.76 -5.37, Gisting 104.7 -5.43, Pulau Panggung 104.67 -5.28, "
    "Wonosobo 104.52 -5.46, Limau 104.84 -5.62",
    "1803: Natar 105.21 -5.3, Jati Agung 105.33 -5.3, Tanjung Bintang 105.38 -5.42, "
    "Katibung 105.4 -5.53, Sidomulyo 105.54 -5.58, Penengahan 105.68 -5.78, "
    "Ketapang 105.79 -5.62",
    "1804: Pekalongan 105.4 -5.06, Way Jepara 105.7 -5.18, Labuhan Maringgai 105.79 -5.33, "
    "Sekampung 105.46 -5.18, Purbolinggo 105.5 -4.98, Jabung 105.58 -5.42",
    "1805: Terbanggi Besar 105.2 -4.86, Kota Gajah 105.33 -4.98, "
    "Seputih Banyak 105.54 -4.83, Rumbia 105.62 -4.7, Kalirejo 104.97 -5.13",
    "1806: Bukit Kemuning 104.54 -4.73, Abung Selatan 104.95 -4.92, Abung Timur 105.03 -4.73",
    "1807: Baradatu 104.64 -4.58, Kasui 104.43 -4.53, Banjit 104.35 -4.43, "
    "Pakuan Ratu 104.83 -4.22",
    "1808: Unit 2 105.33 -4.4, Gedung Aji 105.55 -4.4, Dente Teladas 105.78 -4.55, "
    "Rawajitu 105.76 -4.22",
    "1809: Negeri Katon 105.13 -5.28, Kedondong 105.02 -5.44, Tegineneng 105.19 -5.17, "
    "Padang Cermin 105.14 -5.55, Punduh Pidada 105.05 -5.66",
    "1810: Pagelaran 104.92 -5.41, Sukoharjo 104.97 -5.28, Gadingrejo 105.03 -5.35",
    "1811: Simpang Pematang 105.29 -4.13, Tanjung Raya 105.45 -4.15, "
    "Way Serdang 105.1 -4.05, Mesuji Timur 105.65 -3.95",
    "1812: Tumijajar 105.02 -4.4, Lambu Kibang 105.0 -4.57, Gunung Agung 104.95 -4.3",
    "1813: Pesisir Utara 103.86 -5.07, Lemong 103.73 -4.97, Biha 104.03 -5.33, "
    "Ngambur 104.12 -5.44, Bengkunat 104.3 -5.6",
    "1871: Teluk Betung 105.265 -5.455, Kedaton 105.245 -5.395, Rajabasa 105.235 -5.365, "
    "Sukarame 105.305 -5.385",
    "1872: Metro Utara 105.305 -5.085, Metro Timur 105.34 -5.115, Metro Selatan 105.3 -5.14",
)


def _places(table: str) -> list[tuple[str, float, float]]:
    """Parse ``"Name lon lat, Name lon lat"`` into (name, lon, lat) tuples."""
    out = []
    for item in table.split(","):
        name, lon, lat = item.strip().rsplit(" ", 2)
        out.append((name, float(lon), float(lat)))
    return out


def _coords(table: str) -> tuple[tuple[float, float], ...]:
    """Parse ``"lon lat, lon lat"`` into (lon, lat) tuples."""
    pairs = [item.split() for item in table.split(",")]
    return tuple((float(lon), float(lat)) for lon, lat in pairs)


TOWNS: tuple[Town, ...] = tuple(
    Town(name, code, lon, lat)
    for code, places in (row.split(": ", 1) for row in _TOWN_TABLE)
    for name, lon, lat in _places(places)
)

# Java-side towns on the Merak–Jakarta corridor (approximate centres).
JAVA_TOWNS: tuple[Town, ...] = (
    Town("Merak", "3672", 106.016, -5.948),
    Town("Cilegon", "3672", 106.05, -6.01),
    Town("Serang", "3673", 106.15, -6.12),
    Town("Balaraja", "3603", 106.45, -6.20),
    Town("Tangerang", "3671", 106.63, -6.18),
    Town("Jakarta", "3173", 106.827, -6.175),
)

# Hand-drawn, strongly simplified outline of Lampung province (lon, lat), clockwise from
# the Bengkulu border on the west coast; it follows Semangka Bay and Lampung Bay in the
# south and the Sunda Strait / Java Sea coast in the east.
LAMPUNG_OUTLINE: tuple[tuple[float, float], ...] = _coords(
    "103.60 -4.88, 103.95 -4.72, 104.20 -4.62, 104.25 -4.38, 104.45 -4.10, 104.80 -4.02, "
    "105.10 -3.88, 105.40 -3.74, 105.80 -3.88, 105.90 -4.20, 105.88 -4.70, 105.92 -5.05, "
    "105.86 -5.40, 105.84 -5.70, 105.765 -5.865, 105.757 -5.885, 105.755 -5.90, "
    "105.64 -5.86, 105.57 -5.77, 105.48 -5.68, 105.38 -5.56, 105.33 -5.49, "
    "105.26 -5.475, 105.20 -5.52, 105.14 -5.60, 105.05 -5.72, 104.92 -5.80, "
    "104.75 -5.66, 104.65 -5.53, 104.56 -5.55, 104.52 -5.70, 104.58 -5.93, 104.40 -5.80, "
    "104.15 -5.54, 103.90 -5.22"
)

# Toll interchanges (T:) and other waypoints (W:) along the real corridors (approximate).
ROAD_WAYPOINTS: dict[str, tuple[float, float]] = {
    name: (lon, lat)
    for name, lon, lat in _places(
        "T:Bakauheni 105.735 -5.848, T:Kalianda 105.615 -5.69, T:Sidomulyo 105.545 -5.565, "
        "T:Lematang 105.37 -5.37, T:Kotabaru 105.31 -5.3, T:Natar 105.225 -5.27, "
        "T:Tegineneng 105.2 -5.15, T:Gunung Sugih 105.185 -4.985, "
        "T:Terbanggi Besar 105.17 -4.88, T:Menggala 105.205 -4.52, "
        "T:Simpang Pematang 105.26 -4.15, T:Batas Sumatera Selatan 105.275 -3.81, "
        "W:Batas Sumatera Selatan 105.31 -3.81, W:Batas Way Kanan 104.5 -4.16, "
        "W:Batas Bengkulu 103.645 -4.905, W:Semaka 104.45 -5.56, W:Liwa-Krui 104.0 -5.12, "
        "W:Braja Selebah 105.8 -5.02, W:Pantai Timur 105.78 -4.75, W:Lempasing 105.2 -5.49, "
        "T:Merak 106.028 -5.962, T:Cilegon Barat 106.03 -5.99, T:Cilegon Timur 106.08 -6.03, "
        "T:Serang Barat 106.12 -6.095, T:Serang Timur 106.19 -6.125, T:Ciujung 106.3 -6.15, "
        "T:Balaraja Barat 106.42 -6.185, T:Balaraja Timur 106.47 -6.205, "
        "T:Cikupa 106.52 -6.215, T:Bitung 106.565 -6.215, T:Tangerang 106.64 -6.2, "
        "T:Karang Tengah 106.71 -6.2, T:Kebon Jeruk 106.77 -6.19, T:Tomang 106.79 -6.175, "
        "T:Slipi 106.8 -6.197, T:Semanggi 106.814 -6.219, T:Kuningan 106.832 -6.236, "
        "T:Cawang 106.873 -6.243, T:Taman Mini 106.88 -6.29, T:Rawamangun 106.882 -6.2, "
        "T:Cempaka Putih 106.876 -6.17, T:Tanjung Priok 106.893 -6.118, "
        "W:Ciujung 106.3 -6.16, W:Cikupa 106.51 -6.23, W:Kalideres 106.7 -6.155, "
        "W:Grogol 106.79 -6.165, W:Bundaran HI 106.823 -6.195, W:Semanggi 106.811 -6.222, "
        "W:Kuningan 106.83 -6.239, W:Cawang 106.868 -6.247, W:Cililitan 106.866 -6.262, "
        "W:Salemba 106.85 -6.195, W:Jatinegara 106.87 -6.215, W:DI Panjaitan 106.878 -6.228, "
        "W:Gunung Sahari 106.84 -6.14"
    )
}

# Main roads, one per entry: "highway|name|maxspeed|lanes|key>key>...". Keys are town
# names, port codes, market slugs or facts.ROAD_WAYPOINTS keys; the road runs through them in order.
ROAD_CORRIDORS: tuple[str, ...] = (
    "motorway|Jalan Tol Trans-Sumatera|100|4|T:Bakauheni>T:Kalianda>T:Sidomulyo>T:Lematang>"
    "T:Kotabaru>T:Natar>T:Tegineneng>T:Gunung Sugih>T:Terbanggi Besar>T:Menggala>"
    "T:Simpang Pematang>T:Batas Sumatera Selatan",
    "trunk|Jalan Lintas Sumatera|80|2|BKH>Penengahan>Kalianda>Sidomulyo>Katibung>PJG>"
    "Teluk Betung>Tanjung Karang>Kedaton>Rajabasa>Natar>Tegineneng>Gunung Sugih>"
    "Terbanggi Besar>Menggala>Unit 2>Simpang Pematang>W:Batas Sumatera Selatan",
    "trunk|Jalan Lintas Tengah Sumatera|80|2|Terbanggi Besar>Abung Selatan>Kotabumi>"
    "Bukit Kemuning>Baradatu>Blambangan Umpu>W:Batas Way Kanan",
    "primary|Jalan Lintas Barat Sumatera||2|Tanjung Karang>Gedong Tataan>Gadingrejo>Pringsewu>"
    "Pagelaran>Talang Padang>Gisting>Kota Agung>Wonosobo>W:Semaka>Bengkunat>Ngambur>Biha>"
    "Krui>Pesisir Utara>Lemong>W:Batas Bengkulu",
    "primary|Jalan Raya Liwa–Bukit Kemuning||2|Bukit Kemuning>Sumber Jaya>Sekincau>Liwa",
    "primary|Jalan Raya Liwa–Krui||2|Liwa>W:Liwa-Krui>Krui",
    "primary|Jalan Ir. Sutami||2|Sukarame>Tanjung Bintang>Jabung>Labuhan Maringgai",
    "primary|Jalan Lintas Pantai Timur||2|BKH>Ketapang>Labuhan Maringgai>Way Jepara>"
    "W:Braja Selebah>W:Pantai Timur>Dente Teladas>Rawajitu>Mesuji Timur",
    "primary|Jalan Metro–Sukadana||2|Metro>Pekalongan>Sukadana>Way Jepara",
    "primary|Jalan Raya Metro–Tegineneng||2|Metro>Tegineneng",
    "primary|Jalan Gunung Sugih–Metro||2|Gunung Sugih>Kota Gajah>Metro",
    "primary|Jalan Panaragan–Menggala||2|Panaragan>Menggala",
    "secondary|Jalan Sultan Agung||2|Tanjung Karang>Sukarame",
    "secondary|Jalan Sukarame–Jati Agung||2|Sukarame>Jati Agung",
    "secondary|Jalan Kota Gajah–Sukadana||2|Kota Gajah>Purbolinggo>Sukadana",
    "secondary|Jalan Purbolinggo–Seputih Banyak||2|Purbolinggo>Seputih Banyak",
    "secondary|Jalan Terbanggi Besar–Rumbia||2|Terbanggi Besar>Seputih Banyak>Rumbia>"
    "Gedung Aji>Unit 2",
    "secondary|Jalan Gedung Aji–Dente Teladas||2|Gedung Aji>Dente Teladas",
    "secondary|Jalan Metro–Jabung||2|Metro>Sekampung>Jabung",
    "secondary|Jalan Gunung Sugih–Pringsewu||2|Gunung Sugih>Kalirejo>Sukoharjo>Pringsewu",
    "secondary|Jalan Gedong Tataan–Tegineneng||2|Gedong Tataan>Negeri Katon>Tegineneng",
    "secondary|Jalan Gedong Tataan–Kedondong||2|Gedong Tataan>Kedondong",
    "secondary|Jalan Raya Padang Cermin||2|Teluk Betung>W:Lempasing>Padang Cermin",
    "secondary|Jalan Talang Padang–Pulau Panggung||2|Talang Padang>Pulau Panggung",
    "secondary|Jalan Liwa–Belalau||2|Liwa>Belalau",
    "secondary|Jalan Kota Agung–Limau||2|Kota Agung>Limau",
    "secondary|Jalan Padang Cermin–Punduh Pidada||2|Padang Cermin>Punduh Pidada",
    "secondary|Jalan Baradatu–Banjit||2|Baradatu>Kasui>Banjit",
    "secondary|Jalan Blambangan Umpu–Panaragan||2|Blambangan Umpu>Pakuan Ratu>Gunung Agung>"
    "Tumijajar>Panaragan",
    "secondary|Jalan Kotabumi–Panaragan||2|Kotabumi>Abung Timur>Lambu Kibang>Panaragan",
    "secondary|Jalan Simpang Pematang–Mesuji||2|Simpang Pematang>Tanjung Raya>Mesuji",
    "secondary|Jalan Mesuji–Mesuji Timur||2|Mesuji>Mesuji Timur",
    "secondary|Jalan Simpang Pematang–Way Serdang||2|Simpang Pematang>Way Serdang",
    "tertiary|Jalan Metro–Metro Utara||2|Metro>Metro Utara",
    "tertiary|Jalan Metro–Metro Timur||2|Metro>Metro Timur",
    "tertiary|Jalan Metro–Metro Selatan||2|Metro>Metro Selatan",
    # Java side.
    "motorway|Jalan Tol Tangerang–Merak|100|4|T:Merak>T:Cilegon Barat>T:Cilegon Timur>"
    "T:Serang Barat>T:Serang Timur>T:Ciujung>T:Balaraja Barat>T:Balaraja Timur>T:Cikupa>"
    "T:Bitung>T:Tangerang",
    "motorway|Jalan Tol Jakarta–Tangerang|100|4|T:Tangerang>T:Karang Tengah>T:Kebon Jeruk>T:Tomang",
    "motorway|Jalan Tol Dalam Kota|80|4|T:Tomang>T:Slipi>T:Semanggi>T:Kuningan>T:Cawang",
    "motorway|Jalan Tol Jagorawi|100|4|T:Cawang>T:Taman Mini",
    "motorway|Jalan Tol Wiyoto Wiyono|80|4|T:Cawang>T:Rawamangun>T:Cempaka Putih>T:Tanjung Priok",
    "primary|Jalan Raya Pelabuhan Merak||2|MRK>Merak",
    "primary|Jalan Raya Merak||2|Merak>Cilegon",
    "primary|Jalan Raya Serang||2|Cilegon>Serang>W:Ciujung>Balaraja>W:Cikupa>Tangerang",
    "primary|Jalan Daan Mogot||2|Tangerang>W:Kalideres>W:Grogol>Jakarta",
    "primary|Jalan Jenderal Sudirman||2|Jakarta>W:Bundaran HI>W:Semanggi",
    "primary|Jalan Gatot Subroto||2|W:Semanggi>W:Kuningan>W:Cawang",
    "primary|Jalan Matraman Raya||2|Jakarta>W:Salemba>W:Jatinegara",
    "primary|Jalan Otto Iskandardinata||2|W:Jatinegara>W:Cawang",
    "primary|Jalan Raya Bogor||2|W:Cawang>W:Cililitan>kramat-jati",
    "primary|Jalan D.I. Panjaitan||2|W:Cawang>W:DI Panjaitan>cipinang",
    "secondary|Jalan Pisangan Lama||2|W:Jatinegara>cipinang",
    "primary|Jalan Gunung Sahari||2|Jakarta>W:Gunung Sahari>TPK",
)

# Toll-gate access roads: "town>interchange" pairs.
TOLL_ACCESS = (
    "BKH>T:Bakauheni, Kalianda>T:Kalianda, Sidomulyo>T:Sidomulyo, Sukarame>T:Lematang, "
    "Jati Agung>T:Kotabaru, Natar>T:Natar, Tegineneng>T:Tegineneng, "
    "Gunung Sugih>T:Gunung Sugih, Terbanggi Besar>T:Terbanggi Besar, "
    "Menggala>T:Menggala, Simpang Pematang>T:Simpang Pematang, Merak>T:Merak, "
    "Cilegon>T:Cilegon Timur, Serang>T:Serang Timur, Balaraja>T:Balaraja Timur, "
    "Tangerang>T:Tangerang, W:Semanggi>T:Semanggi, W:Cawang>T:Cawang, "
    "kramat-jati>T:Taman Mini, cipinang>T:Rawamangun, TPK>T:Tanjung Priok"
)

PORTS: tuple[Port, ...] = (
    Port("BKH", "Pelabuhan Bakauheni", "ferry", 105.752, -5.872, (0, 1)),
    Port("MRK", "Pelabuhan Merak", "ferry", 106.005, -5.930, (1, 0)),
    Port("PJG", "Pelabuhan Panjang", "sea", 105.322, -5.472, (0, 1)),
    Port("TPK", "Pelabuhan Tanjung Priok", "sea", 106.88, -6.10, (0, -1)),
)

# ASSUMPTION: demand figures are planning numbers, not published statistics. Cipinang
# handles most of Jakarta's rice (order of 2,000-3,000 t/day arrives); 60,000 t/month
# is taken as the demo figure. Kramat Jati figures for bananas, cassava and maize are
# plausible orders of magnitude for a fruit-and-vegetable wholesale market.
MARKETS: tuple[Market, ...] = (
    Market(
        "kramat-jati",
        "Pasar Induk Kramat Jati",
        "Jl. Raya Bogor, Kramat Jati, Jakarta Timur",
        106.8665,
        -6.2790,
        (("pisang", 9_000.0), ("ubi_kayu", 4_500.0), ("jagung", 3_000.0)),
    ),
    Market(
        "cipinang",
        "Pasar Induk Beras Cipinang",
        "Jl. Pisangan Lama Selatan, Pisangan Timur, Pulo Gadung, Jakarta Timur",
        106.884,
        -6.213,
        (("padi", 60_000.0),),
    ),
)

# Tariffs in IDR per vehicle per crossing by ASDP golongan. APPROXIMATE: rounded from
# the Merak–Bakauheni tariffs published by ASDP around 2023 (they change yearly).
# ASSUMPTION: departures per day and the daily vehicle capacity are planning figures:
# 27 departures a day per direction, ~150 vehicles per sailing -> ~4,000 vehicles/day.
FERRY_LINK = FerryLink(
    from_port="BKH",
    to_port="MRK",
    name="Lintasan Bakauheni–Merak",
    crossing_minutes=120.0,
    departures_per_day=27,
    daily_capacity_vehicles=4_000,
    tariffs=(
        ("II", 60_000),
        ("IVA", 480_000),
        ("IVB", 450_000),
        ("VB", 950_000),
        ("VIB", 1_600_000),
        ("VIIB", 2_200_000),
    ),
    tariff_source=(
        "Approximate ASDP Merak–Bakauheni tariffs (about 2023), rounded; "
        "check current ASDP tariffs before real use"
    ),
)

_PADI = "BPS produksi padi (GKG) 2023"
_JAGUNG = "BPS produksi jagung 2017 (latest year with data)"
_UBI = "BPS produksi ubi kayu 2022 (latest year with data)"
_ASSUMED = "ASSUMPTION: order of magnitude, not a BPS figure"

# Annual production per kabupaten for the demo farms. Padi is dried unhusked rice (GKG)
# as BPS reports it (x ~0.64 for milled rice). Jagung has no BPS figure after 2017 and
# ubi kayu none for 2023 in the source table, so older years are used. Pisang and kopi
# are ASSUMPTIONS.
PRODUCTION: tuple[Production, ...] = (
    Production("padi", "1805", 608_009.47, 2023, _PADI),
    Production("padi", "1804", 475_668.41, 2023, _PADI),
    Production("padi", "1808", 319_193.91, 2023, _PADI),
    Production("padi", "1811", 296_526.82, 2023, _PADI),
    Production("padi", "1810", 128_637.72, 2023, _PADI),
    Production("jagung", "1803", 690_784.55, 2017, _JAGUNG),
    Production("jagung", "1804", 735_742.84, 2017, _JAGUNG),
    Production("jagung", "1805", 426_966.41, 2017, _JAGUNG),
    Production("ubi_kayu", "1805", 3_180_332.45, 2022, _UBI),
    Production("ubi_kayu", "1804", 1_313_546.50, 2022, _UBI),
    Production("ubi_kayu", "1806", 913_545.38, 2022, _UBI),
    Production("ubi_kayu", "1812", 679_718.20, 2022, _UBI),
    Production("pisang", "1803", 600_000.0, 2023, _ASSUMED),
    Production("pisang", "1809", 200_000.0, 2023, _ASSUMED),
    Production("pisang", "1802", 120_000.0, 2023, _ASSUMED),
    Production("kopi", "1801", 55_000.0, 2023, _ASSUMED),
    Production("kopi", "1802", 35_000.0, 2023, _ASSUMED),
    Production("kopi", "1807", 12_000.0, 2023, _ASSUMED),
)

# Typical harvest months per commodity (ASSUMPTION, agronomic common knowledge):
# padi main season Feb-Apr and second season Aug-Sep; maize three cropping windows;
# cassava and bananas all year; robusta coffee May-Aug.
HARVEST_MONTHS: dict[str, tuple[int, ...]] = {
    "padi": (2, 3, 4, 8, 9),
    "jagung": (1, 2, 3, 6, 7, 10),
    "ubi_kayu": tuple(range(1, 13)),
    "pisang": tuple(range(1, 13)),
    "kopi": (5, 6, 7, 8),
}

KABUPATEN_BY_CODE: dict[str, Kabupaten] = {k.code: k for k in KABUPATEN}
