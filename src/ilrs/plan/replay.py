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

from ilrs.plan.model import ActivitySet
from ilrs.plan.plan import Plan, _utc
from ilrs.plan.value import window_value
from ilrs.station import Scenario, Twin
from ilrs.station import _kernels as k
from ilrs.station.config import Fault
from ilrs.station.schedule import Schedule, fidelity

__all__ = ["acc_kpis", "executed_json", "fault_scenario", "replay", "rule_kpis",
           "station_state",
           "warm_state"]

def _period_twin(twin: Twin, start_tdb_s: float, stop_tdb_s: float,
                 aggregate_s: float, full: tuple[float, float] | None = None) -> Twin:
    """``twin`` over [start, stop); ``full``: the span to keep every step of."""
    sc = twin.scenario
    step = sc.period.step_s
    period = sc.period.model_copy(update={"start": _utc(start_tdb_s),
                                          "stop": _utc(stop_tdb_s - step)})
    output = sc.output.model_copy(update={
        "aggregate_s": aggregate_s,
        "full_resolution_start": _utc(full[0]) if full else None,
        "full_resolution_days": (full[1] - full[0]) / 86400.0 if full else 1.0})
    scenario: Scenario = sc.model_copy(update={"period": period, "output": output})
    return Twin(scenario, twin.roadmap, twin.horizon, twin.up)


def warm_state(twin: Twin, start_tdb_s: float, warm_days: float) -> dict | None:
    """The station's state at ``start_tdb_s`` after ``warm_days`` of rule-based operation
    (``None`` for ``warm_days == 0``: a fresh station): stored energy, buffer, FDIR's
    buffer hold and science shed, the fuel-cell tanks."""
    if warm_days <= 0:
        return None
    result = _period_twin(twin, start_tdb_s - warm_days * 86400.0, start_tdb_s,
                          3600.0).run()
    return {**station_state(result.final_state, warm_days), "result": result}


def station_state(state: np.ndarray, days: float) -> dict:
    """What the planners start from (:meth:`ilrs.plan.horizon.Horizon.from_twin`'s
    ``initial``): the twin loop's ``state`` after ``days`` of operation."""
    return {"energy_j": float(state[k.S_E]), "buffer_bit": float(state[k.S_BUF]),
            "hold": bool(state[k.S_HOLD] > 0.5), "shed": bool(state[k.S_SHED] > 0.5),
            "rfc_j": float(state[k.S_RFC]),
            "rfc_on": bool(state[k.S_RFC_ON] > 0.5), "cycles": float(state[k.S_CYCLES]),
            "warm_days": float(days)}


def _kpis(result, twin: Twin, acts: ActivitySet, warm=None, schedule=None,
          controlled=()) -> dict:
    """KPIs of the plan's window: the run less its warm-up (the same prefix); the value
    (:func:`ilrs.plan.value.window_value`) of what ran: the activities of ``schedule`` (a
    plan's) and every load not ``controlled`` by it as its rule ran it."""
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
    ruled = {p.name: hours[p.name] * p.duty for p in twin.up.payloads
             if p.priority == 2 and f"payload:{p.name}" not in controlled}
    ruled |= {r.id: km[r.id] / (r.speed_m_s * 3.6) for r in twin.scenario.rovers
              if f"rover:{r.id}" not in controlled}
    by_type: dict[str, float] = {}
    for d in schedule.executed() if schedule is not None else ():
        kind = d["label"].split(" #")[0]
        by_type[kind] = by_type.get(kind, 0.0) + d["minutes_run"] / 60.0
    value = window_value(acts, load_hours=ruled, type_hours=by_type,
                         o2_kg=float(acc[k.A_O2_MADE]))
    return {
        "value": value["value"], "value_parts": value["parts"], **acc_kpis(acc),
        "min_soc": float(soc.min()) if soc.size else None,
        "max_buffer_fraction": float(buf.max() / cap) if buf.size else 0.0,
        "science_hours": hours, "rover_km": km,
    }


def acc_kpis(acc: np.ndarray) -> dict:
    """Data (GB), survival energy unserved and science shed by FDIR (kWh) of a window's
    accumulators (the twin loop's, its end less its start)."""
    return {"data_generated_gb": float(acc[k.A_DATA_GEN] / 8e9),
            "data_returned_gb": float(acc[k.A_DATA_DOWN] / 8e9),
            "data_lost_gb": float(acc[k.A_DATA_LOST] / 8e9),
            "survival_unserved_kwh": float(acc[k.A_UNSERVED0] / 3.6e6),
            "science_shed_by_fdir_kwh": float(acc[k.A_SHED] / 3.6e6)}


def rule_kpis(twin: Twin, acts: ActivitySet, start_tdb_s: float, stop_tdb_s: float,
              warm: dict | None = None, aggregate_s: float = 900.0) -> dict:
    """The twin's rule-based operation (conditions and duties) over the same window, after
    the same warm-up (``warm`` from :func:`warm_state`)."""
    prior = warm["result"] if warm else None
    run_from = start_tdb_s - (prior.n_steps * prior.step_s if prior else 0.0)
    run_twin = _period_twin(twin, run_from, stop_tdb_s, aggregate_s)
    return _kpis(run_twin.run(), run_twin, acts, warm=prior)


def _run(twin: Twin, plan: Plan, acts: ActivitySet, prior, aggregate_s: float) -> dict:
    """One replay of ``plan`` after the warm-up run ``prior``, every step of the plan's
    window kept (state of charge, science bus)."""
    run_from = plan.start_tdb_s - (prior.n_steps * prior.step_s if prior else 0.0)
    run_twin = _period_twin(twin, run_from, plan.stop_tdb_s, aggregate_s,
                            full=(plan.start_tdb_s, plan.stop_tdb_s))
    schedule = plan.to_schedule(run_twin, {t.id: t for t in acts.activities})
    result = run_twin.run(schedule=schedule)
    cols = result.full_resolution
    first = prior.n_steps * prior.step_s if prior is not None else 0.0
    inside = result.bin_tdb_s >= result.start_tdb_s + first - 1e-3
    cap = run_twin.scenario.comms.buffer_bit if run_twin.scenario.comms else 1.0
    buf = result.agg[inside, k.G_BUF_END]
    return {"twin": run_twin, "result": result, "schedule": schedule, "t": cols["tdb_s"],
            "soc": cols["soc"], "science_w": cols["science_demand_w"],
            "transmitting": (cols["flags"] & k.F_TX) > 0,
            "buffer_fraction": float(buf.max() / cap) if buf.size else 0.0,
            "events": [e for e in result.events if e[0] >= plan.start_tdb_s - 1e-3]}


def _crew_on_site(twin: Twin, t: np.ndarray) -> np.ndarray:
    crew = np.zeros(t.size)
    for t0, t1, size, _o2 in twin.crew_visits_tdb():
        crew[(t >= t0 - 0.01) & (t < t1 - 0.01)] += size
    return crew


def replay(twin: Twin, plan: Plan, acts: ActivitySet, warm: dict | None = None,
           aggregate_s: float = 900.0):
    """Run ``plan`` in ``twin`` (after the rule-based warm-up of ``warm``, if given) and
    check every flight rule (:mod:`ilrs.plan.check`); returns ``(report, results)``: the
    violations (each with its rule and whom it is attributed to), the executed timeline,
    the execution fidelity and the KPIs of the plan's window, and the twin's
    :class:`~ilrs.station.Results` (profiles for the Gantt). A breach the station also
    has with none of the plan's activities (a second run) is the station's."""
    from ilrs.plan.check import plan_rules, run_rules

    prior = warm["result"] if warm else None
    run = _run(twin, plan, acts, prior, aggregate_s)
    result, schedule, run_twin, t = run["result"], run["schedule"], run["twin"], run["t"]
    sun = result.geometry.at("sun_fraction", t, float(twin.scenario.site.element_mast_m))
    violations = plan_rules(plan, acts, run_twin, t, sun, _crew_on_site(twin, t),
                            run["science_w"])
    breaches = run_rules(plan, acts, run, None, acts.slot_s)
    if breaches:    # which of them would the station have with no plan at all?
        empty = Plan(plan.start_tdb_s, plan.stop_tdb_s, [], controls=plan.controlled)
        alone = _run(twin, empty, acts, prior, aggregate_s)
        breaches = run_rules(plan, acts, run, alone, acts.slot_s)
    violations += breaches
    fid = fidelity(schedule.timeline, schedule)
    by_plan = [v for v in violations if v["attributed"] == "plan"]
    report = {
        "plan_version": plan.version,
        "start_utc": _utc(plan.start_tdb_s), "stop_utc": _utc(plan.stop_tdb_s),
        "warm_up_days": (prior.n_steps * prior.step_s / 86400.0) if prior else 0.0,
        "activities": len(plan.activities),
        "valid": not by_plan,
        "violations": violations,
        "violations_by": {"plan": len(by_plan), "station": len(violations) - len(by_plan)},
        "kpis": {**_kpis(result, run_twin, acts, warm=prior, schedule=schedule,
                         controlled=plan.controlled),
                 "plan_value": plan.value,
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
