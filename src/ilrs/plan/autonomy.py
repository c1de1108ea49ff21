"""Seeds of the closed loop: random faults per seed, the plan against the limited rules.

Each seed draws its faults (:func:`draw_faults`, the kinds the twin models, at the rates of
:data:`FAULT_RATES`) over the span; the station then runs twice under exactly those faults
(dated in its scenario, beside the scenario's own dated faults; its random ones replaced):
with the planner on board in closed loop (:func:`ilrs.plan.closed_loop.closed_loop`, in
:func:`ilrs.plan.value.station_for_plan`: after the same warm-up as the rules) and
by the limited rules (:func:`ilrs.plan.value.limited_rules`: the rules held to the plan's
flight rules and battery floor). Both are measured the same way: survival energy
unserved, safe-mode hours, the one value measure (:mod:`ilrs.plan.value`) and data
returned. Seeds run where ``scheduler`` says (:func:`ilrs.scale.map_chunks`: a local Dask
cluster by default, a scheduler address, or inline).
"""

from __future__ import annotations

import csv
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ilrs.plan.closed_loop import closed_loop, safe_mode_hours
from ilrs.plan.horizon import utc_to_tdb
from ilrs.plan.model import ActivitySet
from ilrs.plan.plan import _utc
from ilrs.plan.replay import _kpis, _period_twin, warm_state
from ilrs.plan.value import limited_rules, station_for_plan
from ilrs.station import Twin
from ilrs.station import _kernels as k
from ilrs.station.components import SECONDS_PER_YEAR
from ilrs.station.config import Fault
from ilrs.station.faults import TARGETS

__all__ = ["FAULT_RATES", "FaultRate", "ceiling", "draw_faults", "limited_run", "run_seed",
           "run_seeds", "seeded_twin", "write_table"]


@dataclass(frozen=True)
class FaultRate:
    """A kind of fault drawn at random (Poisson arrivals) for the closed loop's seeds."""

    kind: str
    rate_per_yr: float
    magnitude: float = 0.0
    duration_h: float = 0.0
    source: str = ""


#: The random faults of a closed-loop seed. The ILRS has published no failure rates: these
#: are assumptions, tied where possible to the reference scenario's own faults.
FAULT_RATES = (
    FaultRate("battery-cell-loss", 0.2, magnitude=0.10,
              source="assumption: one in five years; 10 % as the reference scenario's "
                     "2036-01-10 cell loss"),
    FaultRate("array-degradation", 0.5, magnitude=0.05,
              source="assumption: one in two years; 5 % as the reference scenario's "
                     "2038-05-01 array degradation"),
    FaultRate("relay-outage", 1.0, duration_h=72.0,
              source="assumption: one a year; 72 h as the reference scenario's 2032 outage"),
    FaultRate("isru-stuck", 2.0, duration_h=12.0,
              source="the reference scenario's random ISRU fault (2 a year, 12 h)"),
    FaultRate("rover-fault", 2.0, duration_h=48.0,
              source="the reference scenario's random rover fault (48 h), one a year for "
                     "each of the two rovers (reference: 1 a year for the pair)"),
)


def _present(twin: Twin) -> dict[str, list[tuple[str, float]]]:
    sc, up = twin.scenario, twin.up
    out = {g: [(c.id, up.arrival(c.arrives_with)) for c in getattr(sc, g)]
           for g in ("batteries", "solar_arrays", "isru", "rovers")}
    out["relay"] = ([("relay", up.relay_arrival_tdb_s)]
                    if sc.comms and math.isfinite(up.relay_arrival_tdb_s) else [])
    return out


def draw_faults(twin: Twin, start_tdb_s: float, stop_tdb_s: float, seed: int,
                rates=FAULT_RATES) -> tuple[Fault, ...]:
    """The faults of seed ``seed`` in [start, stop): Poisson arrivals of each kind of
    ``rates``, each on a component of its group on site then (drawn), dated to the
    minute. The same seed gives the same faults."""
    present = _present(twin)
    out = []
    for i, r in enumerate(rates):
        rng = np.random.default_rng([int(seed), i])
        t = start_tdb_s
        while True:
            t += float(rng.exponential(SECONDS_PER_YEAR / r.rate_per_yr))
            if t >= stop_tdb_s:
                break
            here = [cid for cid, arrival in present[TARGETS[r.kind]] if arrival <= t]
            if not here:
                continue
            target = here[int(rng.integers(len(here)))]
            at = _utc(start_tdb_s + 60.0 * math.floor((t - start_tdb_s) / 60.0))[:19]
            out.append(Fault(kind=r.kind, at=at, magnitude=r.magnitude,
                             duration_h=r.duration_h,
                             target=None if r.kind == "relay-outage" else target))
    return tuple(sorted(out, key=lambda f: f.at))


def seeded_twin(twin: Twin, faults) -> Twin:
    """``twin`` with ``faults`` beside its scenario's dated faults (its random ones out)."""
    sc = twin.scenario
    dated = tuple(f for f in sc.faults if f.at is not None)
    return Twin(sc.model_copy(update={"faults": (*dated, *faults)}), twin.roadmap,
                twin.horizon, twin.up)


def limited_run(twin: Twin, acts: ActivitySet, start_tdb_s: float, stop_tdb_s: float,
                warm_days: float = 30.0) -> dict:
    """The limited rules' KPIs over [start, stop) after their own warm-up (the same
    measures as the closed loop's, safe-mode hours included)."""
    limited = limited_rules(twin, acts)
    warm = warm_state(limited, start_tdb_s, warm_days)
    run_twin = _period_twin(limited, start_tdb_s - warm_days * 86400.0, stop_tdb_s, 3600.0)
    result = run_twin.run()
    kpis = _kpis(result, run_twin, acts, warm=warm["result"] if warm else None)
    safe0 = bool(warm and warm["result"].final_state[k.S_SAFE] > 0.5)
    kpis["safe_mode_h"] = safe_mode_hours(result.events, start_tdb_s, stop_tdb_s, safe0)
    return kpis


#: The KPIs a seed's row keeps for each side.
MEASURES = ("survival_unserved_kwh", "safe_mode_h", "value", "data_returned_gb")


def run_seed(job: dict) -> dict:
    """One seed (``job``: ``scenario`` path or None, ``start`` ISO, ``days``, ``seed``,
    ``horizon_days``, ``warm_days``, ``planner``, ``time_limit_s``, ``activities`` path or
    None): its faults, the closed loop and the limited rules; a module-level function so
    Dask workers can run it."""
    from ilrs.plan import load_activities
    from ilrs.station import load_scenario

    t0 = time.perf_counter()
    twin = Twin.from_scenario(load_scenario(job["scenario"]))
    acts = load_activities(job.get("activities"))
    start = utc_to_tdb(job["start"])
    stop = start + job["days"] * 86400.0
    faults = draw_faults(twin, start, stop, job["seed"])
    twin = seeded_twin(twin, faults)
    # the plan's station starts from the limited rules' warm-up, as they do
    loop = closed_loop(station_for_plan(twin, acts), acts, start, job["days"],
                       horizon_days=job["horizon_days"],
                       warm_days=job["warm_days"], planner=job["planner"],
                       time_limit_s=job["time_limit_s"])
    t_loop = time.perf_counter() - t0
    rules = limited_run(twin, acts, start, stop, job["warm_days"])
    row = {"seed": job["seed"],
           "faults": [f"{f.at} {f.kind} {f.target or 'all'}" for f in faults],
           "replans": loop.kpis["replans"],
           "replan_reasons": _reasons(loop.replans),
           "replan_s": loop.kpis["replan_s"], "replan_max_s": loop.kpis["replan_max_s"],
           "loop_s": t_loop,
           "wall_s": time.perf_counter() - t0}
    row |= {f"plan_{m}": loop.kpis[m] for m in MEASURES}
    row |= {f"rules_{m}": rules[m] for m in MEASURES}
    if job.get("unbound"):    # the limited rules where energy never binds (batteries x10)
        big = tuple(b.model_copy(update={"capacity_wh": 10 * b.capacity_wh})
                    for b in twin.scenario.batteries)
        unbound = Twin(twin.scenario.model_copy(update={"batteries": big}), twin.roadmap,
                       twin.horizon, twin.up)
        row["rules_unbound_value"] = limited_run(unbound, acts, start, stop,
                                                 job["warm_days"])["value"]
    row["value_ratio"] = row["plan_value"] / max(row["rules_value"], 1e-9)
    row["data_ratio"] = row["plan_data_returned_gb"] / max(row["rules_data_returned_gb"], 1e-9)
    return row


def ceiling(scenario: str | None, start_utc: str, days: float, warm_days: float = 30.0,
            activities: str | None = None) -> dict:
    """The most any plan can be worth over the closed loop's span, faults or none
    (:func:`ilrs.plan.bound.span_ceiling`: energy unlimited, each type's conditions and
    daily goal, the rovers' campaign kilometres left after the warm-up the loop runs)."""
    from ilrs.plan import load_activities
    from ilrs.plan.bound import span_ceiling
    from ilrs.plan.closed_loop import _warm_up
    from ilrs.station import LiveTwin, load_scenario

    acts = load_activities(activities)
    twin = station_for_plan(Twin.from_scenario(load_scenario(scenario)), acts)
    start = utc_to_tdb(start_utc)
    live = LiveTwin(twin, start - warm_days * 86400.0)
    _warm_up(live, acts, start)
    km_left = {r.id: max(0.0, r.campaign_km - live.driven_km(i))
               for i, r in enumerate(twin.scenario.rovers)}
    return span_ceiling(twin, acts, start, days, km_left)


def _reasons(replans: list[dict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in replans:
        for why in r["why"].split(", "):
            key = why.split(" ")[0] if why.startswith(("fault", "cleared")) else why
            out[key] = out.get(key, 0) + 1
    return out


def run_seeds(scenario: str | None, start_utc: str, days: float, seeds: list[int], *,
              scheduler=None, horizon_days: float = 7.0, warm_days: float = 30.0,
              planner: str = "greedy", time_limit_s: float = 10.0,
              activities: str | None = None, progress: bool = True,
              unbound: bool = False) -> dict:
    """Every seed's row (:func:`run_seed`) run on ``scheduler``, and their mean;
    ``unbound``: also the limited rules' value with batteries ten times larger (energy
    never binds: about the most any plan can add by managing energy)."""
    from ilrs.scale import map_chunks

    jobs = [{"scenario": scenario, "start": start_utc, "days": days, "seed": s,
             "horizon_days": horizon_days, "warm_days": warm_days, "planner": planner,
             "time_limit_s": time_limit_s, "activities": activities, "unbound": unbound}
            for s in seeds]
    rows = map_chunks(run_seed, jobs, scheduler, progress, description="seeds")
    return {"scenario": scenario or "reference", "start": start_utc, "days": days,
            "horizon_days": horizon_days, "warm_days": warm_days, "planner": planner,
            "fault_rates": [r.__dict__ for r in FAULT_RATES],
            "rows": rows, "mean": summary(rows)}


def summary(rows: list[dict]) -> dict:
    """The mean of every measure over the seeds, and the goals' tallies."""
    keys = [f"{side}_{m}" for side in ("plan", "rules") for m in MEASURES]
    keys += ["value_ratio", "data_ratio", "replans", "wall_s"]
    mean = {key: float(np.mean([r[key] for r in rows])) for key in keys}
    mean["seeds"] = len(rows)
    mean["seeds_fewer_safe_mode_h"] = sum(r["plan_safe_mode_h"] < r["rules_safe_mode_h"]
                                          for r in rows)
    mean["seeds_no_more_safe_mode_h"] = sum(r["plan_safe_mode_h"] <= r["rules_safe_mode_h"]
                                            for r in rows)
    mean["plan_survival_unserved_kwh_max"] = max(r["plan_survival_unserved_kwh"]
                                                 for r in rows)
    return mean


def write_table(result: dict, out: Path) -> tuple[Path, Path]:
    """``campaign.json`` (everything) and ``campaign.csv`` (a row per seed, then the
    mean) in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    js = out / "campaign.json"
    js.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    cols = ["seed", *[f"{s}_{m}" for m in MEASURES for s in ("plan", "rules")],
            "value_ratio", "data_ratio", "replans", "wall_s"]
    path = out / "campaign.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for r in result["rows"]:
            w.writerow([r[c] for c in cols])
        w.writerow(["mean", *[result["mean"][c] for c in cols[1:]]])
    return js, path
