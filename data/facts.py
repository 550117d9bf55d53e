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
    Kabupaten("1801", "Kabupaten Lampung Barat", "Liwa", 104.08, -5.037, 303931),
    Kabupaten("1802", "Kabupaten Tanggamus", "Kota Agung", 104.625, -5.492, 659818),
    Kabupaten("1803", "Kabupaten Lampung Selatan", "Kalianda", 105.592, -5.722, 1090174),
    Kabupaten("1804", "Kabupaten Lampung Timur", "Sukadana", 105.55, -5.066, 1137434),
    Kabupaten("1805", "Kabupaten Lampung Tengah", "Gunung Sugih", 105.21, -4.97, 1522426),
    Kabupaten("1806", "Kabupaten Lampung Utara", "Kotabumi", 104.881, -4.813, 635903),
    Kabupaten("1807", "Kabupaten Way Kanan", "Blambangan Umpu", 104.519, -4.508, 485056),
    Kabupaten("1808", "Kabupaten Tulang Bawang", "Menggala", 105.246, -4.493, 431623),
    Kabupaten("1809", "Kabupaten Pesawaran", "Gedong Tataan", 105.163, -5.366, 492474),
    Kabupaten("1810", "Kabupaten Pringsewu", "Pringsewu", 104.975, -5.359, 409858),
    Kabupaten("1811", "Kabupaten Mesuji", "Mesuji", 105.493, -3.845, 235546),
    Kabupaten("1812", "Kabupaten Tulang Bawang Barat", "Panaragan", 105.089, -4.482, 291437),
    Kabupaten("1813", "Kabupaten Pesisir Barat", "Krui", 103.934, -5.188, 165937),
    Kabupaten("1871", "Kota Bandar Lampung", "Tanjung Karang", 105.247, -5.419, 1234988),
    Kabupaten("1872", "Kota Metro", "Metro", 105.306, -5.116, 172505),
)

# Other towns (kecamatan centres) per kabupaten: "code: Name lon lat, Name lon lat, ...".
# Outside Lampung Tengah, capitals and towns sit at the RBI *Kantor Camat* of their
# kecamatan (rounded to 0.001 degree; see data/boundaries.py), so they lie in the real
# outlines. Lampung Tengah's are approximate (general knowledge, ~0.01 degree).
_TOWN_TABLE: tuple[str, ...] = (
    "1801: Sekincau 104.295 -5.021, Sumber Jaya 104.487 -5.009, Belalau 104.192 -4.994",
    "1802: Talang Padang 104.784 -5.364, Gisting 104.739 -5.423, "
    "Pulau Panggung 104.745 -5.318, Wonosobo 104.52 -5.465, Limau 104.809 -5.601",
    "1803: Natar 105.193 -5.308, Jati Agung 105.346 -5.319, Tanjung Bintang 105.42 -5.418, "
    "Katibung 105.445 -5.533, Sidomulyo 105.521 -5.585, Penengahan 105.685 -5.748, "
    "Ketapang 105.773 -5.734",
    "1804: Pekalongan 105.356 -5.084, Way Jepara 105.705 -5.177, "
    "Labuhan Maringgai 105.801 -5.346, Sekampung 105.435 -5.133, Purbolinggo 105.501 -4.973, "
    "Jabung 105.672 -5.458",
    "1805: Terbanggi Besar 105.2 -4.86, Kota Gajah 105.33 -4.98, "
    "Seputih Banyak 105.54 -4.83, Rumbia 105.62 -4.7, Kalirejo 104.97 -5.13",
    "1806: Bukit Kemuning 104.577 -4.861, Abung Selatan 104.962 -4.875, Abung Timur 104.935 -4.754",
    "1807: Baradatu 104.545 -4.729, Kasui 104.453 -4.71, Banjit 104.488 -4.794, "
    "Pakuan Ratu 104.721 -4.342",
    "1808: Unit 2 105.221 -4.301, Gedung Aji 105.36 -4.317, Dente Teladas 105.792 -4.425, "
    "Rawajitu 105.707 -4.21",
    "1809: Negeri Katon 105.101 -5.309, Kedondong 105.0 -5.467, Tegineneng 105.126 -5.179, "
    "Padang Cermin 105.077 -5.604, Punduh Pidada 105.145 -5.741",
    "1810: Pagelaran 104.93 -5.371, Sukoharjo 104.983 -5.303, Gadingrejo 105.062 -5.375",
    "1811: Simpang Pematang 105.246 -4.019, Tanjung Raya 105.339 -3.988, "
    "Way Serdang 105.159 -4.174, Mesuji Timur 105.562 -3.996",
    "1812: Tumijajar 105.1 -4.622, Lambu Kibang 105.156 -4.337, Gunung Agung 105.052 -4.24",
    "1813: Pesisir Utara 103.767 -5.031, Lemong 103.685 -4.957, Biha 104.016 -5.319, "
    "Ngambur 104.137 -5.437, Bengkunat 104.233 -5.524",
    "1871: Teluk Betung 105.254 -5.445, Kedaton 105.261 -5.393, Rajabasa 105.231 -5.371, "
    "Sukarame 105.293 -5.376",
    "1872: Metro Utara 105.286 -5.094, Metro Timur 105.328 -5.12, Metro Selatan 105.302 -5.157",
)

# The RBI source has no kecamatan file for Lampung Tengah, so the DEMO generates its 28
# kecamatan as Voronoi cells of these approximate centres (general knowledge, ~0.02
# degree), clipped to the real kabupaten outline. Names are the real kecamatan names;
# the outlines are GENERATED and labelled so.
LAMPUNG_TENGAH_KECAMATAN = (
    "Gunung Sugih 105.21 -4.97, Terbanggi Besar 105.2 -4.86, Kota Gajah 105.33 -4.98, "
    "Seputih Banyak 105.54 -4.83, Rumbia 105.62 -4.7, Kalirejo 104.97 -5.13, "
    "Padang Ratu 104.85 -5.03, Selagai Lingga 104.7 -5.1, Pubian 105.05 -5.02, "
    "Anak Tuha 105.1 -5.08, Anak Ratu Aji 104.98 -4.98, Sendang Agung 104.85 -5.13, "
    "Bangun Rejo 105.03 -5.13, Bekri 105.16 -5.06, Bumi Ratu Nuban 105.23 -5.04, "
    "Trimurjo 105.27 -5.08, Punggur 105.31 -5.04, Seputih Raman 105.36 -4.92, "
    "Seputih Agung 105.3 -4.89, Way Pengubuan 105.12 -4.8, Terusan Nunyai 105.22 -4.72, "
    "Seputih Mataram 105.4 -4.82, Bandar Mataram 105.38 -4.62, Way Seputih 105.46 -4.9, "
    "Bumi Nabung 105.53 -4.87, Putra Rumbia 105.68 -4.62, Seputih Surabaya 105.63 -4.78, "
    "Bandar Surabaya 105.72 -4.72"
)

# ASSUMPTION (demo planning figures, not statistics): how the generated villages and their
# roads look per kabupaten/kota. ``km2`` is the land area per generated village (desa)
# and ``road`` the OSM class of village roads. The two kota are dense and paved; Pesisir
# Barat (a narrow coast below the Bukit Barisan range) and Mesuji (swamp and plantation
# land) have sparse villages on unpaved roads, as planners there report; everything
# else is in between. These choices make the demo's coverage differ the way it does.
VILLAGE_PATTERN: dict[str, tuple[float, str]] = {
    "1871": (2.0, "residential"),
    "1872": (3.0, "residential"),
    "1813": (22.0, "track"),
    "1811": (22.0, "track"),
}
VILLAGE_PATTERN_DEFAULT: tuple[float, str] = (18.0, "unclassified")


def _places(table: str) -> list[tuple[str, float, float]]:
    """Parse ``"Name lon lat, Name lon lat"`` into (name, lon, lat) tuples."""
    out = []
    for item in table.split(","):
        name, lon, lat = item.strip().rsplit(" ", 2)
        out.append((name, float(lon), float(lat)))
    return out


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

# Toll interchanges (T:) and other waypoints (W:) along the real corridors (approximate).
ROAD_WAYPOINTS: dict[str, tuple[float, float]] = {
    name: (lon, lat)
    for name, lon, lat in _places(
        "T:Bakauheni 105.735 -5.848, T:Kalianda 105.615 -5.69, T:Sidomulyo 105.545 -5.565, "
        "T:Lematang 105.37 -5.37, T:Kotabaru 105.31 -5.3, T:Natar 105.225 -5.27, "
        "T:Tegineneng 105.2 -5.15, T:Gunung Sugih 105.185 -4.985, "
        "T:Terbanggi Besar 105.17 -4.88, T:Menggala 105.205 -4.52, "
        "T:Simpang Pematang 105.26 -4.15, T:Batas Sumatera Selatan 105.288 -3.815, "
        "W:Batas Sumatera Selatan 105.31 -3.81, W:Batas Way Kanan 104.541 -4.264, "
        "W:Batas Bengkulu 103.645 -4.905, W:Semaka 104.45 -5.56, W:Liwa-Krui 104.0 -5.12, "
        "W:Braja Selebah 105.8 -5.02, W:Pantai Timur 105.78 -4.75, W:Lempasing 105.227 -5.481, "
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
