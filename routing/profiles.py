"""Travel profiles: which roads a mode may use and how fast it moves on them.

Four profiles are defined: ``motorcycle`` (the default, the most common way
citizens of Lampung reach public services), ``car``, ``truck`` (logistics) and
``walk``.

Sources
-------
Speed limits come from Peraturan Menteri Perhubungan PM 111 Tahun 2015
(Tata Cara Penetapan Batas Kecepatan), Art. 3(4):

* jalan bebas hambatan (freeway / toll road): minimum 60, maximum 100 km/h;
* jalan antarkota (inter-city roads): maximum 80 km/h;
* jalan kawasan perkotaan (urban roads): maximum 50 km/h;
* jalan kawasan permukiman (residential areas): maximum 30 km/h.

These are *limits*. The per-class speeds below are typical *effective* speeds,
deliberately lower than the limits: mixed traffic, markets, school zones,
road condition and (for trucks) load and gradient keep real averages well below
the legal maximum, and an access model that overpromises travel times is worse
than one that is slightly pessimistic. The numbers are planning assumptions,
not measurements; change them by building your own :class:`Profile`.

Toll roads (``motorway``/``motorway_link``) are closed to motorcycles and to
pedestrians: UU 38/2004 tentang Jalan and PP 15/2005 tentang Jalan Tol, Art. 38
(toll roads are for motor vehicles with two or more axles; PP 44/2009 amended
Art. 38 to allow motorcycles only on a physically separated motorcycle lane,
which OSM expresses as ``motorcycle=yes`` on the way, see ``access`` below).
Walking along a trunk road is legal in Indonesia and is allowed.

Motorcycles on footpaths (Jalan Setapak)
----------------------------------------
In rural Lampung the RBI ``Jalan Setapak`` (mapped to OSM ``path``) are the
earth and concrete tracks between villages, gardens and plantations, and they
are ridden by motorcycle every day: barring them cuts whole hamlets off the
network. :attr:`Profile.path_speed_kph` opens ``path`` to a mode at a low
speed. The motorcycle profile uses **10 km/h** (a planning assumption, not a
measurement: narrow, unpaved, often muddy tracks ridden at roughly twice
walking speed; the low end of the 10-15 km/h range at which such tracks are
ridden, so that travel times are not overpromised). Cars and trucks stay
barred; ``footway``, ``steps`` and ``pedestrian`` stay barred for motorcycles
(unless an OSM ``motorcycle=yes`` opens them). An explicit ``motorcycle=no``
(or ``motor_vehicle=no`` ...) still closes a path. OSM ``track`` (farm and
estate tracks, wider than paths) was already open to every vehicle and stays
so: motorcycle and car 15 km/h, truck 10 km/h.

Effective speed
---------------
``speed = min(class speed, posted maxspeed, profile max speed)``. A posted
``maxspeed`` can only lower the typical speed of a road class, never raise it,
because it is a legal upper bound and not an observed speed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from routing.errors import UnknownProfileError
from routing.maxspeed import parse_maxspeed

__all__ = [
    "DEFAULT_PROFILE",
    "FERRY_SPEED_KPH",
    "NON_ROUTABLE_HIGHWAYS",
    "PROFILES",
    "Profile",
    "base_highway",
    "get_profile",
    "parse_maxspeed",
]

#: Name of the profile used when none is given.
DEFAULT_PROFILE = "motorcycle"

#: Speed of an OSM ``route=ferry`` way without a ``duration`` tag. The ASDP
#: Merak–Bakauheni crossing is about 28 km in about 2 hours, i.e. ~14–15 km/h.
FERRY_SPEED_KPH = 15.0

#: Highway values that are never routable for any profile (not built yet,
#: gone, or not a way you travel along).
NON_ROUTABLE_HIGHWAYS: frozenset[str] = frozenset(
    {
        "abandoned",
        "bus_guideway",
        "bus_stop",
        "busway",
        "construction",
        "disused",
        "emergency_bay",
        "escape",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "rest_area",
        "services",
    }
)

#: The class of footpaths (RBI *Jalan Setapak*) that :attr:`Profile.path_speed_kph` opens.
_PATH = "path"

#: Access values that close a way to the mode (``private`` follows osmnx's
#: drive filter: gated housing estates are not public through-routes).
_DENY = frozenset({"no", "private", "agricultural", "forestry", "delivery_no"})
#: Access values that open a way to the mode even if its class is forbidden.
_ALLOW = frozenset({"yes", "designated", "permissive", "destination", "customers"})


def base_highway(highway: str) -> str:
    """
    Return the base class of an OSM highway value (``"primary_link"`` → ``"primary"``).

    Parameters
    ----------
    highway
        An OSM ``highway`` value.

    Returns
    -------
    str
        The value in lower case, without a ``_link`` suffix.
    """
    text = highway.strip().lower()
    return text.removesuffix("_link")


@dataclass(frozen=True)
class Profile:
    """
    How one travel mode uses the road network.

    Attributes
    ----------
    name
        Profile name (``"motorcycle"``, ``"car"``, ``"truck"``, ``"walk"``).
    speeds
        Typical effective speed in km/h per OSM highway class. ``_link``
        classes use their base class. A forbidden class may still have a
        speed, used when an access tag explicitly opens the way.
    respect_oneway
        Whether one-way streets can only be used in their direction.
    forbidden
        Highway classes the mode may not use (unless an access tag opens them).
    default_speed_kph
        Speed for highway classes not in ``speeds``.
    max_speed_kph
        Cap on any edge speed for this mode.
    access_keys
        OSM access keys, most specific first, whose first present value
        decides access (``no``/``private`` close, ``yes``/``designated`` open).
    ferry_allowed
        Whether the mode may board ferries.
    path_speed_kph
        When set, ``path`` (OSM footpath, RBI *Jalan Setapak*) is open to this
        mode at this speed even if ``path`` is in :attr:`forbidden`; None:
        ``path`` follows :attr:`forbidden` and :attr:`speeds` like any class
        (barred for motor vehicles, 5 km/h on foot).
    """

    name: str
    speeds: Mapping[str, float]
    respect_oneway: bool
    forbidden: frozenset[str]
    default_speed_kph: float
    max_speed_kph: float
    access_keys: tuple[str, ...] = ("access",)
    ferry_allowed: bool = True
    path_speed_kph: float | None = None

    def __post_init__(self) -> None:
        """Reject a non-positive path speed (use None to bar paths)."""
        if self.path_speed_kph is not None and not self.path_speed_kph > 0:
            msg = f"path_speed_kph must be > 0 or None (barred), got {self.path_speed_kph!r}"
            raise ValueError(msg)

    def is_forbidden(self, highway: str) -> bool:
        """
        Tell whether a single highway class is closed to this mode.

        Parameters
        ----------
        highway
            An OSM ``highway`` value (``_link`` classes use their base).

        Returns
        -------
        bool
            True when the class is not routable or in :attr:`forbidden`.
        """
        text = highway.strip().lower()
        if text in NON_ROUTABLE_HIGHWAYS:
            return True
        if text == _PATH and self.path_speed_kph is not None:
            return False
        return text in self.forbidden or base_highway(text) in self.forbidden

    def class_speed_kph(self, highway: str) -> float:
        """
        Return the typical speed of one highway class, ignoring access rules.

        Parameters
        ----------
        highway
            An OSM ``highway`` value.

        Returns
        -------
        float
            Speed in km/h from :attr:`speeds`, else :attr:`default_speed_kph`.
        """
        text = highway.strip().lower()
        if text == _PATH and self.path_speed_kph is not None:
            return float(self.path_speed_kph)
        speed = self.speeds.get(text, self.speeds.get(base_highway(text)))
        return float(speed) if speed is not None else self.default_speed_kph

    def access_verdict(self, access: Mapping[str, Any] | None) -> bool | None:
        """
        Read the OSM access tags that apply to this mode.

        Parameters
        ----------
        access
            Tag values by key (``{"motorcycle": "yes", "access": "no"}``);
            missing, None or empty values are ignored.

        Returns
        -------
        bool or None
            True when explicitly allowed, False when explicitly denied, None
            when no applicable tag is present.
        """
        if not access:
            return None
        for key in self.access_keys:
            raw = access.get(key)
            if raw is None or (isinstance(raw, float) and math.isnan(raw)):
                continue
            values = raw if isinstance(raw, list | tuple) else str(raw).split(";")
            words = {str(v).strip().lower() for v in values} - {""}
            if not words:
                continue
            if words & _DENY:
                return False
            if words & _ALLOW:
                return True
        return None

    def edge_speed_kph(
        self,
        highway: str | Sequence[str] | None,
        maxspeed: Any = None,
        *,
        access: Mapping[str, Any] | None = None,
    ) -> float | None:
        """
        Return the speed of this mode on an edge, or None if it may not use it.

        Parameters
        ----------
        highway
            OSM highway class, or a list of classes (osmnx merges the tags of
            the ways it simplifies into one edge). A list describes one chain
            that must be travelled whole, so the edge is forbidden if *any*
            class is forbidden, and its speed is that of the *slowest* class.
            None or empty is treated as ``"road"`` (unknown class).
        maxspeed
            Posted limit in any form :func:`parse_maxspeed` understands.
        access
            OSM access tags (see :meth:`access_verdict`). An explicit ``yes``
            opens a forbidden class (e.g. ``motorcycle=yes`` on a gang tagged
            ``footway``, or the motorcycle lane of a toll road); ``no`` or
            ``private`` closes any class. Never-routable classes such as
            ``construction`` stay closed.

        Returns
        -------
        float or None
            ``min(class speed, maxspeed, max_speed_kph)`` in km/h, or None.
        """
        if highway is None or (isinstance(highway, str) and not highway.strip()):
            classes = ["road"]
        elif isinstance(highway, str):
            classes = [highway]
        else:
            classes = [str(h) for h in highway if h] or ["road"]
        if any(h.strip().lower() in NON_ROUTABLE_HIGHWAYS for h in classes):
            return None
        verdict = self.access_verdict(access)
        if verdict is False:
            return None
        if verdict is None and any(self.is_forbidden(h) for h in classes):
            return None
        speed = min(self.class_speed_kph(h) for h in classes)
        posted = parse_maxspeed(maxspeed)
        if posted is not None:
            speed = min(speed, posted)
        return float(min(speed, self.max_speed_kph))


#: Classes meant for people on foot (or bicycles): closed to motor vehicles.
_FOOT_ONLY = frozenset(
    {
        "bridleway",
        "corridor",
        "crossing",
        "cycleway",
        "elevator",
        "footway",
        "path",
        "pedestrian",
        "sidewalk",
        "steps",
        "trail",
    }
)

_MOTORCYCLE = Profile(
    name="motorcycle",
    # Motorcycles filter through congestion, so urban speeds are close to cars'
    # or above; on inter-city roads they stay well below the 80 km/h limit.
    speeds=MappingProxyType(
        {
            "motorway": 60.0,  # only where a separated motorcycle lane exists
            "trunk": 55.0,
            "primary": 50.0,
            "secondary": 45.0,
            "tertiary": 40.0,
            "unclassified": 30.0,
            "road": 30.0,
            "residential": 25.0,
            "service": 20.0,
            "living_street": 15.0,
            "track": 15.0,
            "footway": 10.0,  # gang with motorcycle=yes
            "path": 10.0,
            "pedestrian": 10.0,
        }
    ),
    respect_oneway=True,
    forbidden=frozenset({"motorway"}) | _FOOT_ONLY,
    default_speed_kph=25.0,
    max_speed_kph=80.0,
    access_keys=("motorcycle", "motor_vehicle", "vehicle", "access"),
    path_speed_kph=10.0,  # Jalan Setapak ridden daily in rural Lampung (see module doc)
)

_CAR = Profile(
    name="car",
    speeds=MappingProxyType(
        {
            "motorway": 80.0,  # toll roads: limit 100, typical average lower
            "trunk": 60.0,
            "primary": 45.0,
            "secondary": 40.0,
            "tertiary": 35.0,
            "unclassified": 30.0,
            "road": 30.0,
            "residential": 20.0,
            "service": 15.0,
            "living_street": 10.0,
            "track": 15.0,
        }
    ),
    respect_oneway=True,
    forbidden=_FOOT_ONLY,
    default_speed_kph=20.0,
    max_speed_kph=100.0,
    access_keys=("motorcar", "motor_vehicle", "vehicle", "access"),
)

_TRUCK = Profile(
    name="truck",
    # Loaded trucks: PM 111/2015 minimum on toll roads is 60 km/h, which loaded
    # trucks just about hold on the flat; elsewhere they are much slower.
    speeds=MappingProxyType(
        {
            "motorway": 60.0,
            "trunk": 45.0,
            "primary": 40.0,
            "secondary": 35.0,
            "tertiary": 30.0,
            "unclassified": 25.0,
            "road": 25.0,
            "residential": 15.0,
            "service": 15.0,
            "living_street": 10.0,
            "track": 10.0,
        }
    ),
    respect_oneway=True,
    forbidden=_FOOT_ONLY,
    default_speed_kph=15.0,
    max_speed_kph=80.0,
    access_keys=("hgv", "goods", "motor_vehicle", "vehicle", "access"),
)

_WALK = Profile(
    name="walk",
    speeds=MappingProxyType({"steps": 3.0, "elevator": 1.0}),
    respect_oneway=False,
    forbidden=frozenset({"motorway"}),  # motorway_link via its base class
    default_speed_kph=5.0,
    max_speed_kph=5.0,
    access_keys=("foot", "access"),
)

#: All built-in profiles by name.
PROFILES: Mapping[str, Profile] = MappingProxyType(
    {p.name: p for p in (_MOTORCYCLE, _CAR, _TRUCK, _WALK)}
)


def get_profile(name: str | Profile) -> Profile:
    """
    Return a built-in profile by name (a :class:`Profile` is returned as is).

    Parameters
    ----------
    name
        ``"motorcycle"``, ``"car"``, ``"truck"`` or ``"walk"`` (case-insensitive).

    Returns
    -------
    Profile
        The profile.

    Raises
    ------
    UnknownProfileError
        If the name is not a built-in profile; the message lists the valid names.
    """
    if isinstance(name, Profile):
        return name
    key = str(name).strip().lower()
    if key not in PROFILES:
        valid = ", ".join(sorted(PROFILES))
        msg = f"unknown travel profile {name!r}; valid profiles: {valid}"
        raise UnknownProfileError(msg)
    return PROFILES[key]
