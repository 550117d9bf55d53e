"""Travel profiles: speed parsing, forbidden classes, access tags."""

from __future__ import annotations

from dataclasses import replace

import pytest

from routing.errors import UnknownProfileError
from routing.profiles import PROFILES, Profile, get_profile, parse_maxspeed


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("60kmh", 60.0),
        ("30 mph", 30 * 1.609344),
        ("ID:urban", 50.0),
        ("ID:rural", 80.0),
        ("ID:motorway", 100.0),
        ("50;60", 50.0),
        ("80|60", 60.0),
        (["40", "30 mph"], 40.0),
        (70, 70.0),
        ("12.5", 12.5),
        ("none", None),
        ("signals", None),
        ("fast", None),
        ("0", None),
        ("", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_parse_maxspeed(value: object, expected: float | None) -> None:
    result = parse_maxspeed(value)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_profiles_exist_and_default() -> None:
    assert set(PROFILES) == {"motorcycle", "car", "truck", "walk"}
    assert get_profile("motorcycle") is PROFILES["motorcycle"]
    assert get_profile(" Walk ") is PROFILES["walk"]
    custom = Profile(
        name="bajaj",
        speeds={"primary": 20.0},
        respect_oneway=True,
        forbidden=frozenset({"motorway"}),
        default_speed_kph=15.0,
        max_speed_kph=40.0,
    )
    assert get_profile(custom) is custom


def test_unknown_profile_lists_valid_names() -> None:
    with pytest.raises(UnknownProfileError) as info:
        get_profile("bicycle")
    message = str(info.value)
    assert "bicycle" in message
    for name in ("car", "motorcycle", "truck", "walk"):
        assert name in message


@pytest.mark.parametrize(
    "highway", ["motorway", "motorway_link", "footway", "steps", "pedestrian", "cycleway"]
)
def test_motorcycle_forbidden(highway: str) -> None:
    assert get_profile("motorcycle").edge_speed_kph(highway, None) is None


def test_path_open_to_motorcycles_only() -> None:
    # RBI Jalan Setapak / OSM path: ridden by motorcycle at a low speed, barred for cars
    moto = get_profile("motorcycle")
    assert moto.path_speed_kph == 10.0
    assert moto.edge_speed_kph("path", None) == 10.0
    assert moto.edge_speed_kph("path", "30") == 10.0  # a posted limit cannot raise it
    assert moto.edge_speed_kph("path", "5") == 5.0
    assert moto.edge_speed_kph("path", None, access={"motorcycle": "no"}) is None
    assert moto.edge_speed_kph("path", None, access={"motor_vehicle": "no"}) is None
    assert moto.edge_speed_kph(["unclassified", "path"], None) == 10.0  # slowest part
    for name in ("car", "truck"):
        assert get_profile(name).path_speed_kph is None
        assert get_profile(name).edge_speed_kph("path", None) is None
    assert get_profile("walk").edge_speed_kph("path", None) == 5.0
    # OSM track stays open to every vehicle (farm and estate tracks)
    assert moto.edge_speed_kph("track", None) == 15.0
    assert get_profile("car").edge_speed_kph("track", None) == 15.0
    # a profile setting: None bars paths again, another speed is used as given
    barred = replace(moto, path_speed_kph=None)
    assert barred.edge_speed_kph("path", None) is None
    assert replace(moto, path_speed_kph=14.0).edge_speed_kph("path", None) == 14.0
    with pytest.raises(ValueError, match="path_speed_kph"):
        replace(moto, path_speed_kph=0.0)


def test_toll_road_allowed_for_cars_and_trucks_not_walk() -> None:
    assert get_profile("car").edge_speed_kph("motorway", None) == 80.0
    assert get_profile("truck").edge_speed_kph("motorway_link", None) == 60.0
    assert get_profile("walk").edge_speed_kph("motorway", None) is None
    assert get_profile("walk").edge_speed_kph("motorway_link", None) is None
    assert get_profile("walk").edge_speed_kph("trunk", None) == 5.0


def test_never_routable_classes() -> None:
    for name in PROFILES:
        assert get_profile(name).edge_speed_kph("construction", None) is None
        assert get_profile(name).edge_speed_kph("proposed", None) is None


def test_link_uses_base_class_speed() -> None:
    moto = get_profile("motorcycle")
    assert moto.edge_speed_kph("primary_link", None) == moto.edge_speed_kph("primary", None)


def test_maxspeed_only_lowers_class_speed() -> None:
    car = get_profile("car")
    assert car.edge_speed_kph("primary", "30") == 30.0
    assert car.edge_speed_kph("primary", "80") == car.class_speed_kph("primary")
    assert car.edge_speed_kph("primary", "garbage") == car.class_speed_kph("primary")
    assert car.edge_speed_kph("residential", "10 mph") == pytest.approx(16.09344)
    assert get_profile("walk").edge_speed_kph("residential", "30") == 5.0


def test_highway_list_is_strict() -> None:
    moto = get_profile("motorcycle")
    # one chain: forbidden if any part is forbidden, else the slowest part
    assert moto.edge_speed_kph(["primary", "motorway"], None) is None
    assert moto.edge_speed_kph(["primary", "residential"], None) == moto.class_speed_kph(
        "residential"
    )
    assert moto.edge_speed_kph(None, None) == moto.class_speed_kph("road")


def test_access_tags() -> None:
    moto = get_profile("motorcycle")
    # a gang mapped as footway but open to motorcycles
    assert moto.edge_speed_kph("footway", None, access={"motorcycle": "yes"}) == 10.0
    # a separated motorcycle lane on a toll road (PP 44/2009)
    assert moto.edge_speed_kph("motorway", None, access={"motorcycle": "designated"}) == 60.0
    # the most specific key wins
    assert moto.edge_speed_kph("residential", None, access={"access": "no", "motorcycle": "yes"})
    assert moto.edge_speed_kph("residential", None, access={"motor_vehicle": "no"}) is None
    assert get_profile("car").edge_speed_kph("service", None, access={"access": "private"}) is None
    assert get_profile("walk").edge_speed_kph("footway", None, access={"motorcycle": "no"}) == 5.0


def test_walk_ignores_oneway_vehicles_respect_it() -> None:
    assert get_profile("walk").respect_oneway is False
    for name in ("motorcycle", "car", "truck"):
        assert get_profile(name).respect_oneway is True


def test_profile_is_frozen() -> None:
    with pytest.raises(AttributeError):
        get_profile("car").max_speed_kph = 200.0  # type: ignore[misc]
