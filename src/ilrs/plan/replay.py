"""A plan checked by simulation: replayed in the station twin, its violations and KPIs.

The twin runs the plan's period at its own step (1 minute) with the plan driving the
science loads (:class:`ilrs.station.schedule.Schedule`): survival, communications, ISRU,
storage and FDIR are the twin's. A valid plan has no violation: no brown-out (survival
energy unserved), no data lost (buffer overflow), no FDIR intervention (science shed,
buffer hold, safe mode: the plan was not executed as written), no activity unserved and no
activity running while a condition it needs is false (checked at every step).
"""

from __future__ import annotations

import numpy as np

from ilrs.plan.model import ActivitySet
from ilrs.plan.plan import Plan, _utc
from ilrs.station import Scenario, Twin
from ilrs.station import _kernels as k
from ilrs.station.config import Fault

__all__ = ["fault_scenario", "load_values", "replay", "rule_kpis", "science_value_of_loads"]

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


def _kpis(result, twin: Twin, acts: ActivitySet, duty: bool) -> dict:
    kp = result.kpis
    buf = result.agg[:, k.G_BUF_END]
    cap = twin.scenario.comms.buffer_bit if twin.scenario.comms else 1.0
    return {
        "science_value_of_loads": science_value_of_loads(kp, twin, acts, duty),
        "data_generated_gb": kp["data_generated_gb"],
        "data_returned_gb": kp["data_returned_gb"],
        "data_lost_gb": kp["data_lost_gb"],
        "survival_unserved_kwh": kp["energy_not_served_kwh"]["survival"],
        "science_shed_by_fdir_kwh": kp["energy_not_served_kwh"]["science_shed_by_fdir"],
        "min_soc": kp["min_soc"],
        "max_buffer_fraction": float(buf.max() / cap) if buf.size else 0.0,
        "science_hours": kp["science_hours"], "rover_km": kp["rover_km"],
    }


def rule_kpis(twin: Twin, acts: ActivitySet, start_tdb_s: float, stop_tdb_s: float,
              aggregate_s: float = 900.0) -> dict:
    """The twin's rule-based operation (conditions and duties) over the same period."""
    run_twin = _period_twin(twin, start_tdb_s, stop_tdb_s, aggregate_s)
    result = run_twin.run()
    return _kpis(result, run_twin, acts, duty=True)


def replay(twin: Twin, plan: Plan, acts: ActivitySet, aggregate_s: float = 900.0):
    """Run ``plan`` in ``twin``; returns ``(report, results)``: violations and KPIs, and
    the twin's :class:`~ilrs.station.Results` (profiles for the Gantt)."""
    run_twin = _period_twin(twin, plan.start_tdb_s, plan.stop_tdb_s, aggregate_s)
    schedule = plan.to_schedule(run_twin)
    result = run_twin.run(schedule=schedule)
    acc = result.acc
    violations = []
    for t, source, kind, message in result.events:
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
    unserved_j = acc[k.A_UNSERVED2]
    if unserved_j > 0:
        violations.append({"kind": "science-unserved", "utc": _utc(plan.start_tdb_s),
                           "message": f"{unserved_j / 3.6e6:.1f} kWh of planned activities "
                                      "not powered"})
    demanded = acc[k.A_SERVED2] + acc[k.A_UNSERVED2] + acc[k.A_SHED]
    served = acc[k.A_SERVED2] / demanded if demanded > 0 else 1.0
    report = {
        "plan_version": plan.version,
        "start_utc": _utc(plan.start_tdb_s), "stop_utc": _utc(plan.stop_tdb_s),
        "activities": len(plan.activities),
        "valid": not violations,
        "violations": violations,
        "kpis": {**_kpis(result, run_twin, acts, duty=False),
                 "plan_science_value": plan.value,
                 "science_value_delivered": plan.value * served},
    }
    return report, result


def fault_scenario(twin: Twin, kind: str, at_tdb_s: float, magnitude: float,
                   target: str | None) -> Twin:
    """``twin`` with one more fault (e.g. ``array-degradation`` of ``array-1a``)."""
    sc = twin.scenario
    fault = Fault(kind=kind, at=_utc(at_tdb_s)[:19], magnitude=magnitude, target=target)
    return Twin(sc.model_copy(update={"faults": (*sc.faults, fault)}), twin.roadmap,
                twin.horizon, twin.up)
