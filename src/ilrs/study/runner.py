"""One twin run of a study: a variant of the base scenario at a site, reduced to its KPIs.

Every run of a study simulates the same span (the base scenario's period, its start
resolved once), so their KPIs compare. What a run shares with the others is kept per worker
process (:class:`_Shared`): the roadmap, and per site the geometry with its memoized per-step
arrays (interpolated Sun/Earth/relay quantities, solar power per m², link rates), so a plant
variant reruns only the plant's own arithmetic and the compiled loop.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ilrs.campaign import Roadmap
from ilrs.errors import InputError
from ilrs.lighting.stats import runs
from ilrs.scale.alloc import keep_large_arrays_on_heap
from ilrs.sky.timescale import tdb_s_to_utc_iso
from ilrs.station import Scenario, Twin
from ilrs.station.config import Fault
from ilrs.station.geometry import Geometry, HorizonSource
from ilrs.station.twin import load_roadmap_for
from ilrs.study.arrivals import Slips
from ilrs.study.fields import delays, set_fields

__all__ = ["KPI_UNITS", "Job", "StudyBase", "flat_kpis", "run_job", "series_path"]

#: The KPIs of every study row, with their units (``1`` for a pure number).
KPI_UNITS = {
    "survival_ok": "1",
    "survival_unserved_kwh": "kWh",
    "brownout_hours": "h",
    "min_soc": "1",
    "science_hours": "h",
    "science_shed_kwh": "kWh",
    "data_returned_gb": "GB",
    "data_lost_gb": "GB",
    "o2_produced_kg": "kg",
    "energy_generated_kwh": "kWh",
    "energy_curtailed_kwh": "kWh",
    "contact_fraction": "1",
    "crew_days_supported": "d",
    "heater_kwh": "kWh",
    "heater_night_max_kwh": "kWh",
    "node_min_k": "K",
    "surface_mean_k": "K",
    "sun_visible_pct": "%",
    "earth_visible_pct": "%",
    "longest_night_h": "h",
}
#: Sampling of the site's own lighting KPIs (from the run's geometry), s.
SITE_SAMPLE_S = 600.0
#: Ceiling of each worker's memo of per-step arrays, bytes (a 10-year run at one-minute
#: steps shares about 1.3 GB of them between runs).
MEMO_MAX_BYTES = 3.0e9


def memo_bytes() -> float:
    """Each worker's memo: :data:`MEMO_MAX_BYTES`, or a quarter of the machine's memory
    per core where that is less (every core runs a worker)."""
    try:
        ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return MEMO_MAX_BYTES
    return min(MEMO_MAX_BYTES, 0.25 * ram / (os.cpu_count() or 1))


def flat_kpis(kpis: dict) -> dict[str, Any]:
    """The study KPIs (:data:`KPI_UNITS`) of a run's ``kpis.json``, and when and why
    survival first failed (``first_brownout_utc``, ``brownout_cause``; ``None`` when it
    did not)."""
    e = kpis["energy_kwh"]
    surv = kpis["survival"]
    first = surv["brownouts"][0] if surv["brownouts"] else {}
    return {
        "first_brownout_utc": surv.get("first_brownout_utc"),
        "brownout_cause": first.get("cause"),
        "survival_ok": float(kpis["survival"]["ok"]),
        "survival_unserved_kwh": float(kpis["energy_not_served_kwh"]["survival"]),
        "brownout_hours": float(kpis["survival"]["brownout_hours"]),
        "min_soc": float(kpis["min_soc"]) if kpis["min_soc"] is not None else math.nan,
        "science_hours": float(sum(kpis["science_hours"].values())),
        "science_shed_kwh": float(kpis["energy_not_served_kwh"]["science_shed_by_fdir"]),
        "data_returned_gb": float(kpis["data_returned_gb"]),
        "data_lost_gb": float(kpis["data_lost_gb"]),
        "o2_produced_kg": float(kpis["o2_produced_kg"]),
        "energy_generated_kwh": float(e["generated"]),
        "energy_curtailed_kwh": float(e["curtailed"]),
        "contact_fraction": float(kpis["contact_availability"]["any"]),
        "crew_days_supported": float(kpis["crew_days_supported"]),
        **_thermal(kpis.get("thermal")),
    }


def _thermal(th) -> dict[str, float]:
    """Survival heater energy (all of it, and the worst night of the arrays), the coldest
    node and the mean regolith surface under the landers."""
    if not th:
        return {"heater_kwh": math.nan, "heater_night_max_kwh": math.nan,
                "node_min_k": math.nan, "surface_mean_k": math.nan}
    return {"heater_kwh": float(th["heater_kwh"]),
            "heater_night_max_kwh": float(th["heater_per_night_kwh"]["max"]),
            "node_min_k": float(th["node_min_k"]) if th["node_min_k"] is not None
            else math.nan,
            "surface_mean_k": float(th["surface_k"]["mean"])}


@dataclass(frozen=True)
class StudyBase:
    """What every run of a study starts from: the scenario with its period fixed, and the
    DEMs horizons are computed from (besides the scenario's own)."""

    scenario: Scenario
    dems: tuple[str, ...] = ()

    @classmethod
    def of(cls, scenario: Scenario, dems=()) -> StudyBase:
        """The base with ``period.start: first-landing`` resolved to a date, so delayed
        missions do not move the span simulated."""
        if scenario.period.start == "first-landing":
            twin = Twin.from_campaign(load_roadmap_for(scenario),
                                      HorizonSource("ideal", 0.0, 0.0), scenario)
            start, _ = twin.period_tdb_s()
            iso = tdb_s_to_utc_iso([start], 0)[0]
            period = scenario.period.model_copy(update={"start": iso})
            data = scenario._data
            scenario = scenario.model_copy(update={"period": period})
            scenario._data = data
        return cls(scenario, tuple(str(d) for d in dems))

    def span_tdb_s(self) -> tuple[float, float]:
        """First and last step of the period, TDB s."""
        twin = Twin.from_campaign(load_roadmap_for(self.scenario),
                                  HorizonSource("ideal", 0.0, 0.0), self.scenario)
        return twin.period_tdb_s()

    @property
    def key(self) -> str:
        """A digest of everything a run's result depends on besides its own job."""
        text = json.dumps([self.scenario.model_dump(mode="json"), list(self.dems)],
                          sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Job:
    """One run: field values, a site (``None``: the scenario's), extra faults and, for a
    Monte Carlo trial, its drawn landing dates."""

    values: dict[str, float] = field(default_factory=dict)
    site: tuple[float, float] | None = None
    landings: dict[str, str] = field(default_factory=dict)
    faults: tuple[Fault, ...] | None = None        # None: the scenario's; else all of them
    label: str = ""

    @property
    def key(self) -> str:
        faults = None if self.faults is None else [f.model_dump(mode="json")
                                                   for f in self.faults]
        text = json.dumps([sorted(self.values.items()), self.site, sorted(self.landings.items()),
                           faults, self.label], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class _Shared:
    """Per-process cache: roadmaps and slip schedules by base, geometries by site."""

    def __init__(self, max_geometries: int = 1):
        self.roadmaps: dict[str, tuple[Roadmap, Slips]] = {}
        self.geometries: OrderedDict[tuple, Geometry] = OrderedDict()
        self.max_geometries = max_geometries

    def roadmap(self, base: StudyBase) -> tuple[Roadmap, Slips]:
        key = base.key
        if key not in self.roadmaps:
            roadmap = load_roadmap_for(base.scenario)
            self.roadmaps = {key: (roadmap, Slips.of(roadmap))}
        return self.roadmaps[key]

    def geometry(self, key: tuple, twin: Twin) -> Geometry:
        if key in self.geometries:
            self.geometries.move_to_end(key)
            return self.geometries[key]
        start, stop = twin.period_tdb_s()
        n = math.floor((stop - start + 0.01) / twin.scenario.period.step_s) + 1
        geo = twin.geometry(start, start + (n - 1) * twin.scenario.period.step_s).memoized(
            memo_bytes())
        self.geometries[key] = geo
        while len(self.geometries) > self.max_geometries:
            self.geometries.popitem(last=False)
        return geo


_SHARED = _Shared()


def _geometry_key(base: StudyBase, sc: Scenario, horizon: HorizonSource) -> tuple:
    """Everything the geometry depends on: site, horizon, period, masts, antenna, masks."""
    comms = sc.comms
    return (base.key, horizon.kind, horizon.lat_deg, horizon.lon_deg, horizon.dems,
            sc.site.height_m, sc.period.model_dump_json(),
            tuple(sorted({a.mast_m for a in sc.solar_arrays} | {sc.site.element_mast_m})),
            comms.model_dump_json() if comms else None)


def build_twin(base: StudyBase, job: Job, roadmap: Roadmap, slips: Slips) -> Twin:
    """The twin of one job (no run): fields set, site moved, landings shifted."""
    sc = set_fields(base.scenario, job.values)
    if job.faults is not None:
        sc = sc.model_copy(update={"faults": job.faults})
    if job.site is not None:
        lat, lon = job.site
        sc = sc.model_copy(update={"site": sc.site.model_copy(update={
            "lat_deg": lat, "lon_deg": lon, "name": f"{lat:g},{lon:g}"})})
    s = sc.site
    try:
        horizon = HorizonSource(s.horizon, s.lat_deg, s.lon_deg, s.height_m, s.name,
                                tuple(s.dems) + base.dems)
    except InputError as exc:
        raise InputError(f"site {s.lat_deg:g}, {s.lon_deg:g}", exc.value, exc.expected) from None
    twin = Twin.from_campaign(roadmap, horizon, sc)
    landings = {**slips.delayed(delays(job.values)), **job.landings}
    if landings:
        twin = dataclasses.replace(twin, up=twin.up.with_arrivals(landings))
    return twin


def site_kpis(twin: Twin, geo: Geometry) -> dict[str, float]:
    """The site's own lighting over the period, every :data:`SITE_SAMPLE_S`: any part of the
    Sun above the arrays' horizon (the highest mast), the Earth above the antenna's horizon
    and mask, and the longest night of the arrays."""
    start, stop = twin.period_tdb_s()
    t = start + SITE_SAMPLE_S * np.arange(int((stop - start) // SITE_SAMPLE_S) + 1)
    sc = twin.scenario
    mast = max([a.mast_m for a in sc.solar_arrays] or [sc.site.element_mast_m])
    lit = geo.at("sun_fraction", t, float(mast)) > 0.0
    earth = geo.at("earth_margin_rad", t) > 0.0
    _, nights = runs(~lit)
    return {"sun_visible_pct": 100.0 * float(lit.mean()),
            "earth_visible_pct": 100.0 * float(earth.mean()),
            "longest_night_h": float(nights.max() if nights.size else 0) * SITE_SAMPLE_S
            / 3600.0}


def series_path(series_dir: str | Path, job: Job) -> Path:
    """Where a job's binned time series goes (``trial-12.parquet``; the key if unlabelled)."""
    name = job.label.replace(" ", "-") if job.label else job.key
    return Path(series_dir) / f"{name}.parquet"


def run_job(base: StudyBase, job: Job, series_dir: str | None = None) -> dict[str, Any]:
    """Run one job; its row: the varied values, the site, the KPIs. With ``series_dir``,
    the run's binned time series (``Results.table``) is written there too, by whichever
    process runs it (a remote cluster needs a folder its workers share)."""
    keep_large_arrays_on_heap()                 # per-step arrays: heap, not mmap (Dask)
    roadmap, slips = _SHARED.roadmap(base)
    twin = build_twin(base, job, roadmap, slips)
    geo = _SHARED.geometry(_geometry_key(base, twin.scenario, twin.horizon), twin)
    res = twin.run(geometry=geo)
    if series_dir is not None:
        import pyarrow.parquet as pq

        path = series_path(series_dir, job)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        pq.write_table(res.table(), partial)
        partial.replace(path)                   # whole or absent: a rerun redoes it
    row: dict[str, Any] = {"key": job.key, **job.values}
    if job.site is not None:
        row["lat_deg"], row["lon_deg"] = job.site
    row.update(flat_kpis(res.kpis))
    row.update(site_kpis(twin, geo))
    return row
