"""Build the base network and every profile's times in one streaming pass over the input.

:func:`build_network` is the array twin of :func:`routing.build.build_graph`, for all
profiles at once and without a Python object per edge:

1. **read** the input into a :class:`~routing.raw.RawNetwork`: GIS lines in batches
   (:mod:`routing.stream_lines`, joined and noded by :mod:`routing.stream_noding`),
   ``.osm.pbf`` with osmium (:mod:`routing.stream_osm`), OSM XML through osmnx
   (:func:`routing.osm.read_osm_xml`, converted by :func:`routing.raw.raw_from_graph`);
2. **base**: fix the lines, split closed roads, add the reverse arc of every one-way
   road, measure lengths (:mod:`routing.stream_base`);
3. **profile**: per profile, speeds per distinct attribute combination, ferry-end
   connectors and scheduled ferry links (:mod:`routing.stream_profiles`);
4. **components**: per profile, strongly connected components on its usable arcs
   and the build report (:mod:`routing.stream_components`).

The result is what :func:`routing.store.write_store` takes: one
:class:`~routing.store.BaseArrays` with both directions of every road that some
profile can use, and one :class:`~routing.store.ProfileTimes` per profile (``inf``
where the profile may not use an arc), plus a :class:`~routing.report.BuildReport`
per profile with the same figures as :func:`~routing.build.build_graph` gives.
The arcs with a finite time in a profile are exactly the edges ``build_graph`` makes
for it: same node ids and coordinates, same lines, times equal to rounding.
"""

from __future__ import annotations

import copy
import dataclasses
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from routing.build import DEFAULT_CLASS, JOIN_TOLERANCE_M, MIN_COMPONENT_KM, _validate
from routing.errors import GraphBuildError
from routing.ferry import FerryLink
from routing.profiles import Profile
from routing.report import BuildReport, SourceReport
from routing.store import BaseArrays, ProfileTimes
from routing.stream_assemble import all_arcs, base_arrays, finish_profile
from routing.stream_base import base_arcs
from routing.stream_profiles import profile_use
from routing.stream_read import read_raw

__all__ = ["NetworkBuild", "build_network", "profile_settings"]

_STAGES = ("read", "base", "profile", "components")


@dataclass
class NetworkBuild:
    """
    What :func:`build_network` made.

    Attributes
    ----------
    base
        The base network (arcs of every road some profile may use, both directions).
    profiles
        One :class:`~routing.store.ProfileTimes` per profile, in the order asked.
    reports
        The build report of each profile, by name.
    meta
        Facts about the build for ``meta.json`` (sources, options).
    """

    base: BaseArrays
    profiles: list[ProfileTimes]
    reports: dict[str, BuildReport]
    meta: dict[str, Any]


def profile_settings(prof: Profile, **options: Any) -> dict[str, Any]:
    """A profile's parameters (and the build options) as JSON-ready values."""
    out: dict[str, Any] = {f.name: getattr(prof, f.name) for f in dataclasses.fields(prof)}
    out["speeds"] = dict(prof.speeds)
    out["forbidden"] = sorted(prof.forbidden)
    out["access_keys"] = list(prof.access_keys)
    out.update(options)
    return out


def build_network(
    source: str | Path | Sequence[str | Path],
    *,
    profiles: Sequence[str | Profile] = ("motorcycle",),
    labels: Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
    layer: str | None = None,
    preset: str | Sequence[str | None] | None = None,
    default_class: str | None = DEFAULT_CLASS,
    join_tolerance_m: float = JOIN_TOLERANCE_M,
    min_component_km: float = MIN_COMPONENT_KM,
    ferry_links: Iterable[FerryLink] = (),
    progress: bool = False,
) -> NetworkBuild:
    """
    Build the base network and the times of several profiles from one or several road files.

    Parameters
    ----------
    source, labels, columns, layer, preset, default_class, join_tolerance_m,
    min_component_km, ferry_links, progress
        As for :func:`routing.build.build_graph`.
    profiles
        The profiles to build (names or :class:`~routing.profiles.Profile`), unique.

    Returns
    -------
    NetworkBuild
        Base arrays, one time array per profile and the reports.

    Raises
    ------
    GraphBuildError, UnknownProfileError
        As :func:`routing.build.build_graph` (bad inputs, nothing routable).
    """
    if not profiles:
        msg = "give at least one profile"
        raise GraphBuildError(msg)
    checked = [
        _validate(source, p, labels, columns, layer, preset, default_class,
                  join_tolerance_m, min_component_km)
        for p in profiles
    ]  # fmt: skip
    profs = [prof for prof, _ in checked]
    spec = checked[0][1]
    if len({p.name for p in profs}) != len(profs):
        msg = f"profiles must be unique, got {[p.name for p in profs]}"
        raise GraphBuildError(msg)
    links = list(ferry_links)
    started = time.perf_counter()
    template = BuildReport(
        source=", ".join(spec.labels),
        profile="",
        input_format=spec.kind,
        join_tolerance_m=float(join_tolerance_m),
        min_component_km=float(min_component_km),
    )
    template.sources = [
        SourceReport(index=i, label=label, path=str(path))
        for i, (label, path) in enumerate(zip(spec.labels, spec.paths, strict=True))
    ]
    bar = tqdm(total=2 + 2 * len(profs), desc="network", file=sys.stderr, disable=not progress)
    with bar:
        bar.set_description("network: read")
        t0 = time.perf_counter()
        raw = read_raw(spec, template, layer=layer, columns=columns, default_class=default_class,
                    join_tolerance_m=join_tolerance_m)  # fmt: skip
        template.stage_seconds["read"] = round(time.perf_counter() - t0, 3)
        bar.update(1)
        bar.set_description("network: base")
        t0 = time.perf_counter()
        base = base_arcs(raw)
        template.stage_seconds["base"] = round(time.perf_counter() - t0, 3)
        bar.update(1)
        shared = time.perf_counter() - started
        uses = []
        for prof in profs:
            bar.set_description(f"network: {prof.name}")
            t0 = time.perf_counter()
            uses.append((profile_use(raw, base, prof, ferry_links=links), time.perf_counter() - t0))
            bar.update(1)
        arcs, extra_keys = all_arcs(raw, base, [u for u, _ in uses], links)
        times: list[NDArray[np.float64]] = []
        reports: dict[str, BuildReport] = {}
        for (use, used_s), prof in zip(uses, profs, strict=True):
            bar.set_description(f"network: {prof.name} components")
            t0 = time.perf_counter()
            report = copy.deepcopy(template)
            report.profile = prof.name
            final = finish_profile(raw, arcs, use, extra_keys, report, min_component_km)
            report.stage_seconds["profile"] = round(used_s, 3)
            report.stage_seconds["components"] = round(time.perf_counter() - t0, 3)
            report.seconds = shared + used_s + report.stage_seconds["components"]
            times.append(final)
            reports[prof.name] = report
            bar.update(1)
    stored, kept = base_arrays(arcs, times)
    options = {
        "join_tolerance_m": float(join_tolerance_m),
        "min_component_km": float(min_component_km),
        "default_class": default_class,
        "ferry_links": [
            {"link_id": lk.link_id, "name": lk.name, "crossing_minutes": lk.crossing_minutes,
             "departures_per_day": lk.departures_per_day}
            for lk in links
        ],
    }  # fmt: skip
    out = [
        ProfileTimes(
            profile=prof.name,
            edge_time=t[kept],
            settings=profile_settings(prof, **options),
            report=_report_dict(reports[prof.name]),
        )
        for prof, t in zip(profs, times, strict=True)
    ]
    meta = {
        "sources": [{"label": s.label, "path": s.path} for s in template.sources],
        "input_format": spec.kind,
        "options": options,
        "seconds": round(time.perf_counter() - started, 3),
    }
    return NetworkBuild(base=stored, profiles=out, reports=reports, meta=meta)


def _report_dict(report: BuildReport) -> dict[str, Any]:
    return dataclasses.asdict(report)
