"""The flight rules of a plan: every rule of the activity model checked, each breach named.

Two kinds of check, both over any ``plan.json`` (ours or edited by hand):

- :func:`plan_rules`, against the activity model and the station: an activity of a known
  type on its type's load, within its duration, on a load that is on site; no two
  activities on one unary resource or one load at once; the rolling-window rules (at most
  N minutes of a resource in any W hours, at the twin's step); the crew on site and the
  crew hours per day; precedences (``after``: some instance of the other type ends
  ``min_gap_h`` … ``max_gap_h`` before); absolute windows and deadlines; the science bus
  (what the twin's models of the loads draw, never what the plan declares) and declared
  powers the twin's model contradicts;
- :func:`run_rules`, against the twin's replay: brown-outs, FDIR taking over (science
  shed, buffer hold, safe mode), data lost, the battery below the plan's floor, the buffer
  above its limit, a needed condition not holding, a radio-quiet activity running while
  the twin's own transmitter is on (its replayed comms state, whatever the plan says), a
  planned activity not executed (its load faulted, absent, or the science bus not
  served).

Each violation names its ``rule``, when, the activity, and who it is ``attributed`` to:
``plan`` (a different plan would have kept the rule) or ``station`` (the station alone,
with no planned activity at all, breaks it too: no plan could avoid it).
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from ilrs.plan.horizon import station_arrivals
from ilrs.plan.model import ActivitySet
from ilrs.plan.plan import Plan, _utc
from ilrs.plan.problem import exclusions
from ilrs.station.build import payload_power_w, rover_power_w

__all__ = ["RULES", "plan_rules", "run_rules"]

#: Every rule checked, with what it means.
RULES = {
    "unknown-activity": "the activity's kind is no type of the activity model",
    "wrong-load": "the activity runs another load than its type's",
    "duration": "shorter or longer than its type allows",
    "not-on-site": "its payload or rover has not landed (or a rover not started) yet",
    "resource-overlap": "two activities on one unary resource (or one load) at once",
    "rolling-window": "more than max_minutes of a resource in some window of window_h",
    "crew-on-site": "more crew busy than on site",
    "crew-hours": "more crew hours in a UTC day than crew_hours_per_day per crew member",
    "precedence": "no instance of the type it must follow ends in its gap before it",
    "window": "outside its type's absolute window, or ending after its deadline",
    "declared-power": "declares less power than the twin's model of its load draws",
    "bus-power": "the science bus above bus_power_w (the twin's models of the loads)",
    "condition-broken": "ran while a condition it needs did not hold",
    "radio-quiet": "a radio-quiet activity ran while the station's transmitter was on",
    "fault": "planned on a load the scenario's faults hold (it did not run)",
    "not-executed": "planned minutes the station did not run (science not served)",
    "battery-floor": "the battery below the plan's floor (soc_min)",
    "buffer-limit": "the data buffer above buffer_max_fraction",
    "brown-out": "survival loads not powered",
    "buffer-overflow": "data lost: the buffer overflowed",
    "fdir-shed-science": "FDIR shed science (battery below its threshold)",
    "fdir-buffer-hold": "FDIR held science (buffer above its threshold)",
    "fdir-safe-mode": "FDIR entered safe mode",
}


def _v(rule: str, t: float, message: str, activity: str | None = None,
       attributed: str = "plan") -> dict:
    return {"rule": rule, "kind": rule, "utc": _utc(t), "activity": activity,
            "attributed": attributed, "message": message}


def _label(a) -> str:
    return f"{a.kind} #{a.instance}"


def _occupancy(spans, t: np.ndarray) -> np.ndarray:
    """How many of the ``spans`` ((start, stop) TDB s) hold at each step ``t``."""
    out = np.zeros(t.size)
    for a, b in spans:
        out[(t >= a - 0.01) & (t < b - 0.01)] += 1
    return out


def plan_rules(plan: Plan, acts: ActivitySet, twin, t: np.ndarray, sun: np.ndarray,
               crew: np.ndarray, science_w: np.ndarray) -> list[dict]:
    """The plan's breaches of the activity model's rules (see the module doc); ``t``: the
    twin's steps over the plan (TDB s), ``sun`` the visible solar disk at the element
    height, ``crew`` the crew on site and ``science_w`` the science bus the twin drew at
    each of them."""
    out: list[dict] = []
    types = {x.id: x for x in acts.activities}
    arrivals = station_arrivals(twin)
    payloads = {p.name: p for p in twin.up.payloads}
    rovers = {r.id: r for r in twin.scenario.rovers}
    step_s = float(t[1] - t[0]) if t.size > 1 else 60.0
    by_unary: dict[str, list] = defaultdict(list)
    by_type: dict[str, list] = defaultdict(list)
    others: dict[str, list] = defaultdict(list)      # loads, excluded pairs
    for a in plan.activities:
        ty = types.get(a.kind)
        lab = _label(a)
        if ty is None:
            out.append(_v("unknown-activity", a.start_tdb_s, f"{lab}: no activity type "
                          f"{a.kind!r} in {acts.name} ({', '.join(sorted(types))})", lab))
            continue
        by_type[a.kind].append(a)
        if (a.payload, a.rover) != (ty.payload, ty.rover):
            out.append(_v("wrong-load", a.start_tdb_s, f"{lab} runs "
                          f"{a.payload or a.rover or 'no load'}, its type runs "
                          f"{ty.payload or ty.rover or 'no load'}", lab))
        lo, hi = ty.duration.range_h
        if not lo - 1e-6 <= a.hours <= hi + 1e-6:
            out.append(_v("duration", a.start_tdb_s, f"{lab} lasts {a.hours:g} h, its type "
                          f"{lo:g}–{hi:g} h", lab))
        key = a.load if (a.payload or a.rover) else (
            f"mission:{ty.arrives_with}" if ty.arrives_with else None)
        if key is not None and a.start_tdb_s < arrivals.get(key, math.inf) - 0.01:
            out.append(_v("not-on-site", a.start_tdb_s, f"{lab} starts before "
                          f"{key.partition(':')[2]} is on site", lab))
        by_unary[ty.unary].append(a)
        if (a.payload or a.rover) and a.load.partition(":")[2] != ty.unary:
            others[f"load {a.load}"].append(a)
        if ty.window is not None:
            w0, w1 = ty.window.tdb_s()
            if a.start_tdb_s < w0 - 0.01 or a.stop_tdb_s > w1 + 0.01:
                out.append(_v("window", a.start_tdb_s, f"{lab} runs {_utc(a.start_tdb_s)}–"
                              f"{_utc(a.stop_tdb_s)}, outside its window "
                              f"{ty.window.start or '…'}–{ty.window.stop or '…'}", lab))
        power = _model_power_w(a, payloads, rovers, sun, t)
        if power is not None and a.power_w < 0.95 * power - 1.0:
            out.append(_v("declared-power", a.start_tdb_s, f"{lab} declares "
                          f"{a.power_w:,.0f} W; the twin's {a.payload or a.rover} draws "
                          f"{power:,.0f} W then (the replay takes the twin's)", lab))
    for x, y in exclusions(acts):
        others[f"{x} / {y} (excluded)"] = by_type.get(x, []) + by_type.get(y, [])
    out += _exclusivity({**by_unary, **others})
    out += _rolling(by_unary, types, t, step_s)
    out += _crew(plan, acts, types, t, crew, step_s)
    out += _precedence(by_type, types)
    over = science_w > acts.rules.bus_power_w + 1e-6
    if over.any():
        i = int(np.argmax(over))
        out.append(_v("bus-power", float(t[i]), f"science bus {science_w.max():,.0f} W "
                      f"(limit {acts.rules.bus_power_w:,.0f} W) for "
                      f"{over.sum() * step_s / 60:,.0f} min"))
    return out


def _model_power_w(a, payloads, rovers, sun, t) -> float | None:
    """The lowest power the twin's model of the activity's load draws over it (W)."""
    inside = (t >= a.start_tdb_s - 0.01) & (t < a.stop_tdb_s - 0.01)
    if a.payload in payloads and inside.any():
        return float(payload_power_w(payloads[a.payload], sun[inside]).min())
    if a.rover in rovers:
        return float(rover_power_w(rovers[a.rover]))
    return None


def _exclusivity(by_unary) -> list[dict]:
    out = []
    for res, items in by_unary.items():
        items = sorted(items, key=lambda a: a.start_tdb_s)
        end, last = -math.inf, None
        for a in items:
            if a.start_tdb_s < end - 0.01:
                out.append(_v("resource-overlap", a.start_tdb_s, f"{_label(a)} and "
                              f"{_label(last)} both hold {res} at {_utc(a.start_tdb_s)}",
                              _label(a)))
            if a.stop_tdb_s > end:
                end, last = a.stop_tdb_s, a
    return out


def _rolling(by_unary, types, t, step_s) -> list[dict]:
    out = []
    for res, items in by_unary.items():
        rule = next((types[a.kind].rolling for a in items if types[a.kind].rolling), None)
        if rule is None:
            continue
        busy = _occupancy([(a.start_tdb_s, a.stop_tdb_s) for a in items], t) > 0
        w = max(1, round(rule.window_h * 3600.0 / step_s))
        run = np.convolve(busy.astype(float), np.ones(w))[: t.size] * step_s / 60.0
        over = run > rule.max_minutes + 1e-6
        if over.any():
            i = int(np.argmax(over))
            out.append(_v("rolling-window", float(t[i]), f"{res}: {run.max():,.0f} min in "
                          f"{rule.window_h:g} h (at most {rule.max_minutes:g} min)"))
    return out


def _crew(plan, acts, types, t, crew, step_s) -> list[dict]:
    out = []
    crewed = [a for a in plan.activities if a.crew and a.kind in types]
    if not crewed:
        return out
    busy = np.zeros(t.size)
    for a in crewed:
        busy += a.crew * _occupancy([(a.start_tdb_s, a.stop_tdb_s)], t)
    over = busy > crew + 1e-9
    if over.any():
        i = int(np.argmax(over))
        out.append(_v("crew-on-site", float(t[i]), f"{busy[over].max():.0f} crew busy with "
                      f"{crew[over].min():.0f} on site, {over.sum() * step_s / 60:,.0f} min"))
    day = np.floor((t - t[0]) / 86400.0)
    limit_h = acts.rules.crew_hours_per_day
    for d in np.unique(day):
        sel = day == d
        hours = busy[sel].sum() * step_s / 3600.0
        allowed = limit_h * max(crew[sel].max(), 0.0)
        if hours > allowed + 1e-6:
            i = int(np.flatnonzero(sel)[0])
            out.append(_v("crew-hours", float(t[i]), f"{hours:,.1f} crew hours on the day "
                          f"from {_utc(float(t[i]))} ({limit_h:g} h for each of "
                          f"{crew[sel].max():.0f} crew)"))
    return out


def _precedence(by_type, types) -> list[dict]:
    out = []
    for kind, items in by_type.items():
        after = types[kind].after
        if after is None:
            continue
        lo = after.min_gap_h * 3600.0
        hi = math.inf if after.max_gap_h is None else after.max_gap_h * 3600.0
        ends = [p.stop_tdb_s for p in by_type.get(after.activity, ())]
        for a in items:
            if not any(e + lo - 0.01 <= a.start_tdb_s <= e + hi + 0.01 for e in ends):
                gap = (f"{after.min_gap_h:g}–{after.max_gap_h:g} h" if after.max_gap_h
                       is not None else f"at least {after.min_gap_h:g} h")
                out.append(_v("precedence", a.start_tdb_s, f"{_label(a)} must start {gap} "
                              f"after a {after.activity}; {len(ends)} planned, none fits",
                              _label(a)))
    return out


def _episodes(events, start: str, end: str, stop_tdb_s: float) -> list[tuple[float, float]]:
    """[start, end) spans of a mode from a run's events (``start`` / ``end`` kinds)."""
    out, t0 = [], None
    for t, _source, kind, _m in events:
        if kind == start and t0 is None:
            t0 = t
        elif kind == end and t0 is not None:
            out.append((t0, t))
            t0 = None
    if t0 is not None:
        out.append((t0, stop_tdb_s))
    return out


#: Run events that break a rule: kind -> (rule, the kind ending its episode).
RUN_EVENTS = {"brownout": ("brown-out", "brownout-end"),
              "overflow": ("buffer-overflow", "overflow-end"),
              "shed-science": ("fdir-shed-science", "restore-science"),
              "buffer-hold": ("fdir-buffer-hold", "buffer-release"),
              "safe-mode": ("fdir-safe-mode", "safe-mode-exit")}


def run_rules(plan: Plan, acts: ActivitySet, run, alone, slot_s: float) -> list[dict]:
    """The replay's breaches (see the module doc): ``run`` and ``alone`` hold the replay
    of the plan and of the station with none of its activities (``events``, ``t``,
    ``soc``, ``buffer_fraction`` over the plan and ``schedule``); a breach the station
    alone has too, at the same time (within a slot), is the station's."""
    out = []
    t0, t1 = plan.start_tdb_s, plan.stop_tdb_s

    def near(spans, t: float) -> bool:
        return any(a - slot_s <= t <= b + slot_s for a, b in spans)

    for kind, (rule, end) in RUN_EVENTS.items():
        ref = _episodes(alone["events"], kind, end, t1) if alone is not None else []
        for t, _source, k, message in run["events"]:
            if k == kind and t0 - 0.01 <= t < t1:
                out.append(_v(rule, t, message, attributed="station" if near(ref, t)
                              else "plan"))
    floor = acts.rules.soc_min
    low = run["soc"] < floor - 1e-9
    if low.any():
        i = int(np.argmax(low))
        who = ("station" if alone is not None and (alone["soc"][low] < floor - 1e-9).any()
               else "plan")
        out.append(_v("battery-floor", float(run["t"][i]), f"battery at "
                      f"{100 * run['soc'][low].min():.4f} % (floor {100 * floor:g} %)",
                      attributed=who))
    limit = acts.rules.buffer_max_fraction
    if run["buffer_fraction"] > limit + 1e-9:
        who = ("station" if alone is not None and alone["buffer_fraction"] > limit + 1e-9
               else "plan")
        out.append(_v("buffer-limit", t0, f"buffer at {100 * run['buffer_fraction']:.1f} % "
                      f"(limit {100 * limit:g} %)", attributed=who))
    schedule = run["schedule"]
    step_min = schedule.scenario.period.step_s / 60.0
    out += _radio_quiet(plan, acts, run, step_min)
    shed = {v["utc"] for v in out if v["rule"].startswith("fdir") and
            v["attributed"] == "station"}
    for j, e in enumerate(schedule.timeline.entries):
        a = plan.activities[j]
        if schedule.broken.get(j):
            out.append(_v("condition-broken", a.start_tdb_s, f"{e.label} ({a.name}) ran "
                          f"{schedule.broken[j] * step_min:.0f} min while "
                          f"{'/'.join(a.needs)} did not hold", e.label))
        if schedule.missed["fault"][j]:
            out.append(_v("fault", a.start_tdb_s, f"{e.label}: {a.rover or a.payload} held "
                          f"by a fault for {schedule.missed['fault'][j] * step_min:,.0f} of "
                          f"its planned minutes", e.label))
        if schedule.missed["unserved"][j]:
            out.append(_v("not-executed", a.start_tdb_s, f"{e.label}: "
                          f"{schedule.missed['unserved'][j] * step_min:,.0f} planned min not "
                          "run (science not served)", e.label,
                          attributed="station" if shed else "plan"))
    return out


def _radio_quiet(plan: Plan, acts: ActivitySet, run, step_min: float) -> list[dict]:
    """Radio-quiet activities (the activity model's ``radio_quiet``, not the plan's word)
    that ran while the replay's transmitter was on (the twin loop's per-step flag): the
    spans each ran, or its planned span for an activity with no twin load."""
    quiet = {x.id for x in acts.activities if x.radio_quiet}
    t, tx = run["t"], run["transmitting"]
    out = []
    for a, d in zip(plan.activities, run["schedule"].executed(), strict=True):
        if a.kind not in quiet:
            continue
        spans = d["runs_tdb_s"] if (a.payload or a.rover) else [(a.start_tdb_s,
                                                                  a.stop_tdb_s)]
        loud = (_occupancy(spans, t) > 0) & tx
        if loud.any():
            i = int(np.argmax(loud))
            out.append(_v("radio-quiet", float(t[i]), f"{_label(a)} ran "
                          f"{loud.sum() * step_min:,.0f} min while the station's "
                          f"transmitter was on (from {_utc(float(t[i]))})", _label(a)))
    return out
