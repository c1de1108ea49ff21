"""A plan checked by simulation: replayed in the station twin, its violations and KPIs.

The twin runs the plan's period at its own step (1 minute) with the plan driving the
science loads (:class:`ilrs.station.schedule.Schedule`): survival, communications, ISRU,
storage and FDIR are the twin's. A valid plan has no violation: no brown-out (survival
energy unserved), no data lost (buffer overflow), no FDIR intervention (science shed,
buffer hold, safe mode: the plan was not executed as written), no activity unserved, no
activity running while a condition it needs is false (checked at every step) and none on a
payload or rover before it is on site.
"""

from __future__ import annotations

import numpy as np

from ilrs.plan.horizon import station_arrivals
from ilrs.plan.model import ActivitySet
from ilrs.plan.plan import Plan, _utc
from ilrs.station import Scenario, Twin
from ilrs.station import _kernels as k
from ilrs.station.config import Fault
from ilrs.station.schedule import Schedule, fidelity

__all__ = ["executed_json", "fault_scenario", "load_values", "replay", "rule_kpis",
           "science_value_of_loads", "warm_state"]

#: FDIR events that mean the plan did not run as written.
FDIR_KINDS = ("shed-science", "buffer-hold", "safe-mode")


def _period_twin(twin: Twin, start_tdb_s: float, stop_tdb_s: float,
                 aggregate_s: float) -> Twin:
    sc = twin.scenario
    step = sc.period.step_s
    period = sc.period.model_copy(update={"start": _utc(start_tdb_s),
                                          "stop": _utc(stop_tdb_s - step)})
    output = sc.output.model_copy(update={"aggregate_s": aggregate_s,
                                          "full_resolution_start": None})
    scenario: Scenario = sc.model_copy(update={"period": period, "output": output})
    return Twin(scenario, twin.roadmap, twin.horizon, twin.up)


def warm_state(twin: Twin, start_tdb_s: float, warm_days: float) -> dict | None:
    """The station's state at ``start_tdb_s`` after ``warm_days`` of rule-based operation
    (``None`` for ``warm_days == 0``: a fresh station): stored energy, buffer, FDIR hold."""
    if warm_days <= 0:
        return None
    result = _period_twin(twin, start_tdb_s - warm_days * 86400.0, start_tdb_s,
                          3600.0).run()
    st = result.final_state
    return {"energy_j": float(st[k.S_E]), "buffer_bit": float(st[k.S_BUF]),
            "hold": bool(st[k.S_HOLD] > 0.5), "result": result}


def load_values(acts: ActivitySet) -> dict[str, float]:
    """Value per hour of each twin load (payload name or rover id): its lowest-valued
    activity type, so crewed or one-off work never inflates the routine rate."""
    out: dict[str, float] = {}
    for t in acts.activities:
        load = t.payload or t.rover
        if load is not None:
            out[load] = min(out.get(load, np.inf), t.value_per_h)
    return out


def science_value_of_loads(kpis: dict, twin: Twin, acts: ActivitySet,
                           duty: bool) -> float:
    """The value of the hours each load ran with science served (the same measure for a
    plan replay and for the twin's rules; ``duty``: scale by the rules' duty factors)."""
    values = load_values(acts)
    total = 0.0
    for p in twin.up.payloads:
        if p.priority == 2 and p.name in values:
            total += kpis["science_hours"][p.name] * (p.duty if duty else 1.0) * values[p.name]
    for r in twin.scenario.rovers:
        if r.id in values:
            hours = kpis["rover_km"][r.id] / (r.speed_m_s * 3.6)
            total += hours * values[r.id]
    return total


def _kpis(result, twin: Twin, acts: ActivitySet, duty: bool, warm=None) -> dict:
    """KPIs of the plan's window: the run less its warm-up (the same prefix)."""
    acc = result.acc - (warm.acc if warm is not None else 0.0)
    kp = result.kpis
    hours = dict(kp["science_hours"])
    km = dict(kp["rover_km"])
    if warm is not None:
        hours = {n: v - warm.kpis["science_hours"][n] for n, v in hours.items()}
        km = {n: v - warm.kpis["rover_km"][n] for n, v in km.items()}
    first = warm.n_steps * warm.step_s if warm is not None else 0.0
    inside = result.bin_tdb_s >= result.start_tdb_s + first - 1e-3
    buf = result.agg[inside, k.G_BUF_END]
    soc = result.agg[inside, k.G_SOC_MIN]
    cap = twin.scenario.comms.buffer_bit if twin.scenario.comms else 1.0
    return {
        "science_value_of_loads": science_value_of_loads(
            {"science_hours": hours, "rover_km": km}, twin, acts, duty),
        "data_generated_gb": float(acc[k.A_DATA_GEN] / 8e9),
        "data_returned_gb": float(acc[k.A_DATA_DOWN] / 8e9),
        "data_lost_gb": float(acc[k.A_DATA_LOST] / 8e9),
        "survival_unserved_kwh": float(acc[k.A_UNSERVED0] / 3.6e6),
        "science_shed_by_fdir_kwh": float(acc[k.A_SHED] / 3.6e6),
        "min_soc": float(soc.min()) if soc.size else None,
        "max_buffer_fraction": float(buf.max() / cap) if buf.size else 0.0,
        "science_hours": hours, "rover_km": km,
    }


def rule_kpis(twin: Twin, acts: ActivitySet, start_tdb_s: float, stop_tdb_s: float,
              warm: dict | None = None, aggregate_s: float = 900.0) -> dict:
    """The twin's rule-based operation (conditions and duties) over the same window, after
    the same warm-up (``warm`` from :func:`warm_state`)."""
    prior = warm["result"] if warm else None
    run_from = start_tdb_s - (prior.n_steps * prior.step_s if prior else 0.0)
    run_twin = _period_twin(twin, run_from, stop_tdb_s, aggregate_s)
    return _kpis(run_twin.run(), run_twin, acts, duty=True, warm=prior)


def replay(twin: Twin, plan: Plan, acts: ActivitySet, warm: dict | None = None,
           aggregate_s: float = 900.0):
    """Run ``plan`` in ``twin`` (after the rule-based warm-up of ``warm``, if given);
    returns ``(report, results)``: violations and KPIs of the plan's window, and the twin's
    :class:`~ilrs.station.Results` (profiles for the Gantt)."""
    prior = warm["result"] if warm else None
    run_from = plan.start_tdb_s - (prior.n_steps * prior.step_s if prior else 0.0)
    run_twin = _period_twin(twin, run_from, plan.stop_tdb_s, aggregate_s)
    schedule = plan.to_schedule(run_twin, {t.id: t for t in acts.activities})
    result = run_twin.run(schedule=schedule)
    acc = result.acc - (prior.acc if prior is not None else 0.0)
    violations = []
    for t, source, kind, message in result.events:
        if t < plan.start_tdb_s - 1e-3:
            continue
        if kind == "brownout" or (source == "data" and kind == "overflow") \
                or (source == "fdir" and kind in FDIR_KINDS):
            violations.append({"kind": {"brownout": "brown-out", "overflow": "buffer-overflow"
                                        }.get(kind, f"fdir-{kind}"),
                               "utc": _utc(t), "message": message})
    step_s = run_twin.scenario.period.step_s
    for j, n_bad in sorted(schedule.broken.items()):
        a = plan.activities[j]
        violations.append({"kind": "condition-broken", "utc": _utc(a.start_tdb_s),
                           "message": f"{a.kind} #{a.instance} ({a.name}) ran "
                                      f"{n_bad * step_s / 60:.0f} min while "
                                      f"{'/'.join(a.needs)} did not hold"})
    arrivals = station_arrivals(run_twin)
    for a in plan.activities:
        key = f"payload:{a.payload}" if a.payload else f"rover:{a.rover}" if a.rover else None
        if key is not None and a.start_tdb_s < arrivals.get(key, np.inf) - 1e-3:
            violations.append({"kind": "not-on-site", "utc": _utc(a.start_tdb_s),
                               "message": f"{a.kind} #{a.instance} ({a.name}) starts before "
                                          f"{a.payload or a.rover} is on site"})
    for what, idx in (("not powered", k.A_UNSERVED2), ("shed by FDIR", k.A_SHED)):
        if acc[idx] > 1.0:
            violations.append({"kind": "science-unserved", "utc": _utc(plan.start_tdb_s),
                               "message": f"{acc[idx] / 3.6e6:.1f} kWh of planned "
                                          f"activities {what}"})
    demanded = acc[k.A_SERVED2] + acc[k.A_UNSERVED2] + acc[k.A_SHED]
    served = acc[k.A_SERVED2] / demanded if demanded > 0 else 1.0
    fid = fidelity(schedule.timeline, schedule)
    report = {
        "plan_version": plan.version,
        "start_utc": _utc(plan.start_tdb_s), "stop_utc": _utc(plan.stop_tdb_s),
        "warm_up_days": (prior.n_steps * prior.step_s / 86400.0) if prior else 0.0,
        "activities": len(plan.activities),
        "valid": not violations,
        "violations": violations,
        "kpis": {**_kpis(result, run_twin, acts, duty=False, warm=prior),
                 "plan_science_value": plan.value,
                 "science_value_delivered": plan.value * served,
                 "execution_fidelity": fid["fraction"]},
        "fidelity": fid,
        "executed": executed_json(schedule),
    }
    return report, result


def executed_json(schedule: Schedule) -> list[dict]:
    """The executed timeline beside the plan: per activity its planned span, the spans it
    ran (UTC) and the minutes run and missed (by cause)."""
    out = []
    for d in schedule.executed():
        out.append({"activity": d["label"], "load": d["load"],
                    "planned": [_utc(d["planned_start_tdb_s"]), _utc(d["planned_stop_tdb_s"])],
                    "ran": [[_utc(a), _utc(b)] for a, b in d["runs_tdb_s"]],
                    "minutes_run": d["minutes_run"], "minutes_missed": d["minutes_missed"]})
    return out


def fault_scenario(twin: Twin, kind: str, at_tdb_s: float, magnitude: float,
                   target: str | None) -> Twin:
    """``twin`` with one more fault (e.g. ``array-degradation`` of ``array-1a``)."""
    sc = twin.scenario
    fault = Fault(kind=kind, at=_utc(at_tdb_s)[:19], magnitude=magnitude, target=target)
    return Twin(sc.model_copy(update={"faults": (*sc.faults, fault)}), twin.roadmap,
                twin.horizon, twin.up)
