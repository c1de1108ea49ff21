"""One value measure for a plan and for the rules, and the rules held to the plan's limits.

**The value of a window of station life** (:func:`window_value`) is what the station
*executed* in it, priced by the activity model, the same for a replayed plan and for the
twin's rule-based operation:

- every activity type's executed hours × its ``value_per_h``: science payload runs, rover
  drives, sample collection, the ascender's checkout and the sample-return ascent, crew
  sessions, EVAs and ISRU excavation batches (a plan's from its executed timeline; the
  rules' from the hours each load ran with science served, each load priced at its
  lowest-valued type — the rules run no crew session, EVA, batch or ascent);
- a load the plan leaves to its rule counts as the rules' do;
- the oxygen the ISRU plants made × ``rules.value_per_kg_o2`` (both sides: the plants run on
  surplus power in the twin, so a plan that spends less leaves them more).

The planners' objective is the first part (value per hour × hours of the placed
activities): the oxygen follows from the energy they leave and is only counted.

**Limited rules** (:func:`limited_rules`): the twin's rules held to the flight rules and
battery floor the plan keeps — each rover drives by a duty rule that repeats every
``window_h`` of its activity type's rolling rule with ``max_minutes`` of driving (so never
more than that in any window), and FDIR sheds science as the battery reaches the plan's
floor (``soc_min``) rather than its own threshold, and the payloads of radio-quiet
activity types run only while the station's transmitters are off.

**Rules holding the battery** (:func:`rules_holding_battery`): the limited rules hold the
floor for *science* only: once FDIR has shed it, the survival and operations loads keep
draining the battery through a polar night (on the no-fission station, 2036-10-22, to 32 %
and into safe mode), while a plan must keep the battery at the floor the whole time, those
loads included. Held to the same outcome, the rules shed science earlier: FDIR's shed
threshold is raised, by bisection with hindsight of the window, to the lowest that keeps
their lowest battery at or above a target (the floor, or the plan's own lowest battery where
the station alone cannot hold the floor). A baseline with foresight no rule has: the
fairest peer the rules can be.

**The same start for both** (:func:`station_for_plan`): a plan compared with the limited
rules is replayed in the station after the same warm-up, the limited rules' (their rovers
and radio quiet; FDIR at the station's own thresholds), so both sides start the window from
the same battery, fuel-cell tanks and buffer. After the station's unlimited rules instead, the
no-fission station would start 2037-10-21 with 33 kWh less stored (8 kWh of battery, 25 of
fuel-cell tanks) and 91 GB in the buffer.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ilrs.plan.model import ActivitySet
from ilrs.station import Scenario, Twin
from ilrs.station.config import PayloadRule

__all__ = ["limited_rules", "load_values", "rules_holding_battery", "station_for_plan",
           "window_value"]

#: FDIR sheds the limited rules' science this far above the plan's floor (a minute of the
#: whole science bus is well under 0.1 % of the battery).
SHED_MARGIN = 0.001


def load_values(acts: ActivitySet) -> dict[str, float]:
    """Value per hour of each twin load (payload name or rover id): its lowest-valued
    activity type, so crewed or one-off work never inflates the routine rate."""
    out: dict[str, float] = {}
    for t in acts.activities:
        load = t.payload or t.rover
        if load is not None:
            out[load] = min(out.get(load, np.inf), t.value_per_h)
    return out


def window_value(acts: ActivitySet, *, load_hours: dict[str, float],
                 type_hours: dict[str, float] | None = None, o2_kg: float = 0.0) -> dict:
    """The value of a window (see the module doc): ``type_hours`` (activity type id ->
    executed hours) of the activities a plan ran, ``load_hours`` (payload name or rover id
    -> hours) of what ran by rule, ``o2_kg`` the oxygen made. Returns the total and its
    parts by activity type, rule-run load and oxygen."""
    per_type = {t.id: t.value_per_h for t in acts.activities}
    rates = load_values(acts)
    parts = {f"activity:{k}": h * per_type[k] for k, h in (type_hours or {}).items()
             if k in per_type and h > 0}
    parts |= {f"rule:{k}": h * rates[k] for k, h in load_hours.items()
              if k in rates and h > 0}
    parts["isru-oxygen"] = o2_kg * acts.rules.value_per_kg_o2
    return {"value": float(sum(parts.values())), "parts": parts}


def limited_rules(twin: Twin, acts: ActivitySet) -> Twin:
    """``twin`` run by rules held to the plan's limits (see the module doc)."""
    sc: Scenario = twin.scenario
    rolling = {t.rover: t.rolling for t in acts.activities if t.rover and t.rolling}
    rovers = []
    for r in sc.rovers:
        rule = rolling.get(r.id)
        if rule is not None:
            hours = min(rule.max_minutes / 60.0, rule.window_h)
            r = r.model_copy(update={"duty_period_h": rule.window_h,
                                     "duty_hours_per_day": hours})
        rovers.append(r)
    shed = max(sc.fdir.shed_science_soc, acts.rules.soc_min + SHED_MARGIN)
    fdir = sc.fdir.model_copy(update={
        "shed_science_soc": shed,
        "restore_science_soc": max(sc.fdir.restore_science_soc, shed)})
    quiet = {t.payload for t in acts.activities if t.payload and t.radio_quiet}
    rules = dict(sc.payloads)
    for name in quiet:
        rule = rules.get(name) or PayloadRule()
        rules[name] = rule.model_copy(update={"radio_quiet": True})
    limited = sc.model_copy(update={"rovers": tuple(rovers), "fdir": fdir, "payloads": rules,
                                    "name": f"{sc.name} (limited rules)"})
    up = dataclasses.replace(twin.up, payloads=tuple(
        dataclasses.replace(p, radio_quiet=True) if p.name in quiet else p
        for p in twin.up.payloads))
    return Twin(limited, twin.roadmap, twin.horizon, up)


def station_for_plan(twin: Twin, acts: ActivitySet) -> Twin:
    """``twin`` as a plan compared with :func:`limited_rules` is replayed in (see the module
    doc): the limited rules' station, FDIR at ``twin``'s own thresholds."""
    limited = limited_rules(twin, acts)
    sc = limited.scenario.model_copy(update={"fdir": twin.scenario.fdir,
                                             "name": twin.scenario.name})
    return Twin(sc, limited.roadmap, limited.horizon, limited.up)


def rules_holding_battery(limited: Twin, acts: ActivitySet, start_tdb_s: float,
                          stop_tdb_s: float, warm_days: float, target_soc: float,
                          tol_soc: float = 0.005) -> tuple[float, dict]:
    """The shed threshold of :func:`rules_holding_battery`'s baseline (see the module doc)
    and its KPIs (:func:`ilrs.plan.replay.rule_kpis`): ``limited`` (the limited rules)
    with FDIR's science shed threshold raised by bisection (to ``tol_soc``) to the lowest
    that keeps the window's lowest battery >= ``target_soc``; the restore threshold stays
    at least 5 points above it. At a threshold of 1 the rules run no science at all."""
    from ilrs.plan.replay import rule_kpis, warm_state

    def run(shed: float) -> dict:
        sc = limited.scenario
        fdir = sc.fdir.model_copy(update={
            "shed_science_soc": shed,
            "restore_science_soc": min(1.0, max(sc.fdir.restore_science_soc, shed + 0.05))})
        twin = Twin(sc.model_copy(update={"fdir": fdir}), limited.roadmap, limited.horizon,
                    limited.up)
        return rule_kpis(twin, acts, start_tdb_s, stop_tdb_s,
                         warm_state(twin, start_tdb_s, warm_days))

    lo = limited.scenario.fdir.shed_science_soc
    best = run(lo)
    if best["min_soc"] >= target_soc:
        return lo, best
    hi, at_hi = 1.0, run(1.0)
    if at_hi["min_soc"] < target_soc:
        return hi, at_hi      # the station alone cannot hold the target: no science
    best = at_hi
    while hi - lo > tol_soc:
        mid = 0.5 * (lo + hi)
        k = run(mid)
        if k["min_soc"] >= target_soc:
            hi, best = mid, k
        else:
            lo = mid
    return hi, best
