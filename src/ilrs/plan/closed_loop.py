"""Long-term autonomy: the station run for days in closed loop with the planner on board.

The live twin (:class:`ilrs.station.LiveTwin`) carries the station's state from a
rule-based warm-up through the whole span. At each re-plan the planner (greedy by default,
CP-SAT on request) plans a rolling horizon from the station's state *then*, knowing only
the faults that have happened; the plan's timeline is loaded on board and the twin
executes it (execution = plan) until the next re-plan, which comes

- at the end of the horizon,
- after every fault and its clearing (the twin's own fault occurrences),
- at every Earth-blackout boundary: the Earth setting or rising at the site (no ground in
  the loop while it is down), found from the twin's own direct-to-Earth visibility (the
  Earth's margin above the antenna's horizon and mask, :mod:`ilrs.station.geometry`) with
  the shared event finder (:func:`ilrs.sky.events.find_crossings`).

Re-plans fall on the on-board planner's tick, the twin's geometry grid (10 minutes), at or
after the event. What a plan has not run by the next re-plan is dropped (an activity
running then is cut there: its executed minutes count); a rover's drives of the last
rolling window before a re-plan (the warm-up's rules' too, before the first) count in the
new plan's rolling rule (greedy; CP-SAT plans start the rover once the window has passed),
a ``count`` activity that ran (the sample-return ascent) is not planned again, a day's
repetition goal counts what started on board since the UTC midnight, a rover
drives no more than its campaign has left (``campaign_km``, where its rule stops too) and
none while a known fault safes it; a fault in force is assumed to last until the twin
reports it cleared (:func:`known_faults`).
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field

import numpy as np

from ilrs.plan.greedy import plan_greedy
from ilrs.plan.horizon import Horizon
from ilrs.plan.model import ActivitySet
from ilrs.plan.plan import Plan, _utc
from ilrs.plan.problem import TIME_TOL_S, Problem, build_problem, midnight_tdb_s
from ilrs.plan.replay import acc_kpis, station_state
from ilrs.plan.value import window_value
from ilrs.sky.events import Crossings, find_crossings
from ilrs.station import LiveTwin, Twin
from ilrs.station import _kernels as k
from ilrs.station.schedule import Schedule
from ilrs.station.timeline import Timeline

__all__ = ["LoopRun", "closed_loop", "earth_boundaries", "known_faults", "safe_mode_hours"]


@dataclass
class LoopRun:
    """What a closed loop did: its re-plans (time, reasons, plan), the record of each
    plan's stretch on board, and the KPIs of the span."""

    start_tdb_s: float
    stop_tdb_s: float
    replans: list[dict] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    kpis: dict = field(default_factory=dict)
    events: list = field(default_factory=list)
    #: activity type id -> entries of it that ran (a ``count`` activity is not re-planned)
    ran: dict[str, int] = field(default_factory=dict)
    #: per stretch (as ``schedules``): (TDB s, type id) of each entry that ran, when it
    #: first started
    starts: list[list[tuple[float, str]]] = field(default_factory=list)
    #: the twin loop's accumulators (from the warm-up's start) at the start and the end
    acc_start: np.ndarray | None = None
    acc_end: np.ndarray | None = None
    #: the rules' drives in the warm-up's last rolling window, per slot before the start:
    #: ``(rover id, from, to, seconds driven)`` (TDB s)
    warm_drives: list[tuple[str, float, float, float]] = field(default_factory=list)

    def timeline(self) -> Timeline:
        """The concatenated plans as executed on board: every stretch's entries, the loads
        they cover, over the whole span."""
        entries = [e for s in self.schedules for e in s.timeline.entries]
        covers = {c for s in self.schedules for c in s.timeline.covers}
        return Timeline.of(self.start_tdb_s, self.stop_tdb_s, entries, tuple(sorted(covers)))

    def executed(self, since_tdb_s: float = -math.inf) -> list[dict]:
        """The executed timeline (:meth:`Schedule.executed`) of the stretches ending
        after ``since_tdb_s``."""
        return [d for s in self.schedules if s.timeline.stop_tdb_s > since_tdb_s
                for d in s.executed()]


def earth_boundaries(twin: Twin, start_tdb_s: float, stop_tdb_s: float,
                     grid_from_tdb_s: float | None = None) -> Crossings:
    """The twin steps in (start, stop) at which the Earth's visibility changes (it sets,
    ``rising`` False, or rises at the site's antenna: the twin's ``earth_in_view``), from
    the geometry grid from ``grid_from_tdb_s`` (default ``start_tdb_s``) as the twin
    interpolates it."""
    sc = twin.scenario
    step, g = sc.period.step_s, sc.period.geometry_step_s
    t0 = start_tdb_s if grid_from_tdb_s is None else grid_from_tdb_s
    lo = math.floor((start_tdb_s - t0) / g) - 1
    hi = math.ceil((stop_tdb_s - t0) / g) + 2
    geo = twin.geometry_at(t0 + g * np.arange(lo, hi, dtype=float))
    cross = find_crossings(lambda t: geo.at("earth_margin_rad", t), start_tdb_s,
                           stop_tdb_s, g, tolerance_s=0.01)
    # the first twin step on the new side of each crossing
    steps = t0 + step * np.ceil((cross.tdb_s - t0) / step - 1e-9)
    keep = (steps > start_tdb_s) & (steps < stop_tdb_s)
    return Crossings(steps[keep], cross.rising[keep])


#: How long the planner assumes a fault still in force lasts (h): until the twin reports it
#: cleared (a re-plan then), i.e. past any horizon.
UNTIL_CLEARED_H = 10 * 8766.0


def known_faults(twin: Twin, now_tdb_s: float) -> Twin:
    """``twin`` as the on-board planner knows it at ``now_tdb_s``: only the dated faults
    that have happened, and a fault still in force (a rover safed, the relay out, an ISRU
    plant stuck) lasting until it is reported cleared (:data:`UNTIL_CLEARED_H`): the
    planner does not know when it will clear, and re-plans when it does."""
    from ilrs.plan.horizon import utc_to_tdb

    sc = twin.scenario
    seen = []
    for f in sc.faults:
        if f.at is None or utc_to_tdb(f.at) > now_tdb_s + 1e-3:
            continue
        if f.duration_h > 0 and utc_to_tdb(f.at) + f.duration_h * 3600.0 > now_tdb_s + 1e-3:
            f = f.model_copy(update={"duration_h": UNTIL_CLEARED_H})
        seen.append(f)
    if tuple(seen) == tuple(sc.faults):
        return twin
    return Twin(sc.model_copy(update={"faults": tuple(seen)}), twin.roadmap, twin.horizon,
                twin.up)


def safe_mode_hours(events, start_tdb_s: float, stop_tdb_s: float,
                    safe_at_start: bool = False) -> float:
    """Hours in safe mode inside [start, stop) from FDIR's enter/exit events
    (``(tdb_s, source, kind, ...)``, time ordered)."""
    total, since = 0.0, start_tdb_s if safe_at_start else None
    for e in events:
        t, source, kind = float(e[0]), e[1], e[2]
        if source != "fdir" or t >= stop_tdb_s:
            continue
        if kind == "safe-mode" and since is None:
            since = max(t, start_tdb_s)
        elif kind == "safe-mode-exit" and since is not None:
            total += max(0.0, t - since)
            since = None
    if since is not None:
        total += stop_tdb_s - since
    return total / 3600.0


def _triggers(live: LiveTwin, twin: Twin, start: float, stop: float) -> list[tuple[float, str]]:
    """Re-plan times other than horizon ends: faults, their clearing and Earth-blackout
    boundaries, each on the planner's tick at or after it."""
    g = twin.scenario.period.geometry_step_s
    occ, _ = twin.faults(live.start_tdb_s, stop)
    raw = [(o.start_tdb_s, f"fault {o.kind} {o.target or 'all'}") for o in occ]
    raw += [(o.end_tdb_s, f"cleared {o.kind} {o.target or 'all'}") for o in occ
            if math.isfinite(o.end_tdb_s)]
    t0 = live.start_tdb_s
    earth = earth_boundaries(twin, start, stop, t0)
    raw += [(float(t), "earth-rise" if up else "earth-set")
            for t, up in zip(earth.tdb_s, earth.rising, strict=True)]
    out: dict[float, list[str]] = {}
    for t, why in raw:
        if start < t < stop:
            tick = t0 + g * math.ceil((t - t0) / g - 1e-9)
            out.setdefault(tick, []).append(why)
    return sorted((t, ", ".join(w)) for t, w in out.items())


def _history(run: LoopRun, problem: Problem, now: float) -> dict[str, np.ndarray]:
    """Per rolling-rule resource the share of each slot of its window before ``now`` that
    its rover drove (from the executed record)."""
    h = problem.horizon
    out = {}
    for t in problem.acts.activities:
        if t.rolling is None or t.rover is None:
            continue
        w = max(1, round(t.rolling.window_h * 3600.0 / h.slot_s))
        edges = now - h.slot_s * np.arange(w - 1, -1, -1, dtype=float)
        used = np.zeros(w - 1)
        for d in run.executed(since_tdb_s=edges[0]):
            if d["load"] != f"rover:{t.rover}":
                continue
            for r0, r1 in d["runs_tdb_s"]:
                used += np.clip(np.minimum(r1, edges[1:]) - np.maximum(r0, edges[:-1]), 0,
                                None)
        for rover, r0, r1, driven_s in run.warm_drives:     # the rules' before the start
            if rover == t.rover and driven_s > 0:
                share = np.clip(np.minimum(r1, edges[1:]) - np.maximum(r0, edges[:-1]), 0,
                                None) / (r1 - r0)
                used += driven_s * share
        out[t.unary] = used / h.slot_s
    return out


def _drop_done(problem: Problem, run: LoopRun) -> None:
    """A ``count`` activity that has run (e.g. the sample-return ascent) is not planned
    again: its first instances, as many as ran, lose their candidates."""
    ran = run.ran
    for inst in problem.instances:
        if inst.type.repeat.count is not None and inst.k < ran.get(inst.type.id, 0):
            inst.candidates = []


def started_today(run: LoopRun, horizon: Horizon) -> dict[str, int]:
    """Type id -> the entries of it that started on board since the UTC midnight that
    begins ``horizon``'s first day (a day's repetition goal counts across re-plans)."""
    midnight = midnight_tdb_s(horizon.start_tdb_s) - TIME_TOL_S
    started: dict[str, int] = {}
    for stretch, starts in zip(reversed(run.schedules), reversed(run.starts), strict=True):
        if stretch.timeline.stop_tdb_s <= midnight:
            break
        for t, kind in starts:
            if t >= midnight:
                started[kind] = started.get(kind, 0) + 1
    return started


def _cut_for_cpsat(problem: Problem, history: dict[str, np.ndarray]) -> None:
    """CP-SAT sees no history: a rover that drove in its window before the horizon starts
    once that window has passed."""
    for inst in problem.instances:
        t = inst.type
        past = history.get(t.unary)
        if t.rolling is None or past is None or not past.any():
            continue
        first = int(np.flatnonzero(past > 0)[0]) + 1    # slots until it leaves the window
        inst.candidates = [ci for ci in inst.candidates
                           if problem.candidates[ci].start >= first]


def _drop_faulted(problem: Problem, known: Twin) -> None:
    """No drive of a rover the planner knows is safed by a fault (its known span)."""
    h = problem.horizon
    occ, _ = known.faults(h.start_tdb_s, h.stop_tdb_s)
    spans = [(o.target, o.start_tdb_s, o.end_tdb_s) for o in occ if o.kind == "rover-fault"]
    if not spans:
        return
    for inst in problem.instances:
        rover = inst.type.rover
        if rover is None:
            continue
        keep = []
        for ci in inst.candidates:
            c = problem.candidates[ci]
            t0, t1 = h.slot_tdb_s(c.start), h.slot_tdb_s(c.end)
            if not any(target in (None, rover) and t0 < b - 1e-3 and a < t1 - 1e-3
                       for target, a, b in spans):
                keep.append(ci)
        inst.candidates = keep


def _cap_rovers(problem: Problem, plan: Plan, left_h: dict[str, float]) -> bool:
    """Keep each rover's planned legs within the driving its campaign has left (the
    distance its rule would still drive): the legs past it lose their candidates, the
    one it ends in keeps the shorter ones that fit. Returns whether anything changed."""
    h = problem.horizon
    changed = False
    by_instance = {(i.type.id, i.k): i for i in problem.instances}
    for rover, left in left_h.items():
        legs = sorted((a for a in plan.activities if a.rover == rover),
                      key=lambda a: a.start_tdb_s)
        used = 0.0
        for a in legs:
            inst = by_instance[(a.kind, a.instance)]
            room = left - used
            if a.hours <= room + 1e-9:
                used += a.hours
                continue
            inst.candidates = [ci for ci in inst.candidates
                               if problem.candidates[ci].dur * h.slot_s / 3600.0
                               <= room + 1e-9]
            used = left if inst.candidates else used
            changed = True
    return changed


def _plan(twin: Twin, acts: ActivitySet, run: LoopRun, live: LiveTwin, now: float,
          days: float, planner: str, time_limit_s: float) -> Plan:
    initial = station_state(live.state, (now - live.start_tdb_s) / 86400.0)
    known = known_faults(twin, now)
    horizon = Horizon.from_twin(known, now, days, acts.slot_s, initial)
    problem = build_problem(acts, horizon, started_today(run, horizon))
    _drop_done(problem, run)
    _drop_faulted(problem, known)
    history = _history(run, problem, now)
    left_h = {r.id: max(0.0, r.campaign_km - live.driven_km(i)) / (r.speed_m_s * 3.6)
              for i, r in enumerate(twin.scenario.rovers)}
    plan, hint = plan_greedy(problem, rolling_before=history)
    while _cap_rovers(problem, plan, left_h):
        plan, hint = plan_greedy(problem, rolling_before=history)
    if planner == "cpsat":
        from ilrs.plan.cpsat import plan_cpsat

        _cut_for_cpsat(problem, history)
        allowed = {c for i in problem.instances for c in i.candidates}
        hint = [ci for ci in hint if ci in allowed]
        plan = plan_cpsat(problem, time_limit_s=time_limit_s, hint=hint)
    return plan


def _stretch(plan: Plan, acts: ActivitySet, t0: float, t1: float) -> Timeline:
    """The plan's timeline from ``t0`` until the next re-plan ``t1`` (entries cut there)."""
    from dataclasses import replace

    full = plan.to_timeline({t.id: t for t in acts.activities})
    entries = [replace(e, stop_tdb_s=min(e.stop_tdb_s, t1)) for e in full.entries
               if e.start_tdb_s < t1 - 1e-3]
    return Timeline.of(t0, t1, entries, full.covers)


def _warm_up(live: LiveTwin, acts: ActivitySet,
             start_tdb_s: float) -> list[tuple[str, float, float, float]]:
    """Run ``live`` by its rules to ``start_tdb_s``, the last rolling window of the rover
    rules slot by slot: what each rover drove in each slot (``LoopRun.warm_drives``)."""
    window_s = max((t.rolling.window_h * 3600.0 for t in acts.activities
                    if t.rover and t.rolling), default=0.0)
    n = min(math.ceil(window_s / acts.slot_s - 1e-9),
            math.floor((start_tdb_s - live.start_tdb_s) / acts.slot_s + 1e-9))
    edges = start_tdb_s - acts.slot_s * np.arange(n, -1, -1, dtype=float)
    live.advance_to(edges[0])
    rovers = live.scenario.rovers
    out = []
    for t0, t1 in itertools.pairwise(edges):
        km0 = [live.driven_km(i) for i in range(len(rovers))]
        live.advance_to(t1)
        out += [(r.id, float(t0), float(t1),
                 (live.driven_km(i) - km0[i]) * 1000.0 / r.speed_m_s)
                for i, r in enumerate(rovers)]
    return out


def closed_loop(twin: Twin, acts: ActivitySet, start_tdb_s: float, days: float, *,
                horizon_days: float = 7.0, warm_days: float = 30.0, planner: str = "greedy",
                time_limit_s: float = 10.0) -> LoopRun:
    """Run ``twin``'s station for ``days`` from ``start_tdb_s`` with the planner on board
    (see the module doc), after ``warm_days`` of rule-based operation."""
    sc = twin.scenario
    stop = start_tdb_s + days * 86400.0
    live = LiveTwin(twin, start_tdb_s - warm_days * 86400.0)
    warm_drives = _warm_up(live, acts, start_tdb_s)
    safe0 = bool(live.state[k.S_SAFE] > 0.5)
    live.drain_events()
    acc0, sci0 = live.acc.copy(), live.payload_science_steps.copy()
    run = LoopRun(start_tdb_s, stop, warm_drives=warm_drives)
    triggers = _triggers(live, twin, start_tdb_s, stop)
    now, why = start_tdb_s, "start"
    while now < stop - 1e-3:
        days_left = min(horizon_days, (stop - now) / 86400.0)
        if days_left * 86400.0 < acts.slot_s:     # less than a slot left: the rules
            timeline, plan, t_plan = Timeline(now, stop, ()), None, 0.0
            nxt, nxt_why = stop, "end"
        else:
            t_plan = time.perf_counter()
            plan = _plan(twin, acts, run, live, now, days_left, planner, time_limit_s)
            t_plan = time.perf_counter() - t_plan
            nxt, nxt_why = plan.stop_tdb_s, "horizon end"
            for t, w in triggers:
                if now + 1e-3 < t < nxt - 1e-3:
                    nxt, nxt_why = t, w
                    break
                if abs(t - nxt) <= 1e-3:      # an event right at the horizon's end
                    nxt_why = f"{nxt_why}, {w}"
                    break
            timeline = _stretch(plan, acts, now, nxt)
        live.load_timeline(timeline)
        live.advance_to(nxt)
        run.schedules.append(live.onboard)
        run.starts.append([])
        for d in live.onboard.executed():
            if d["minutes_run"] > 0:
                kind = d["label"].split(" #")[0]
                run.ran[kind] = run.ran.get(kind, 0) + 1
                run.starts[-1].append((d["runs_tdb_s"][0][0], kind))
        run.replans.append({"at_tdb_s": now, "utc": _utc(now), "why": why,
                            "until_utc": _utc(nxt),
                            "planned": len(timeline.entries),
                            "plan_value": plan.value if plan else 0.0,
                            "replan_s": t_plan})
        run.events += [(e.tdb_s, e.source, e.kind, e.message) for e in live.drain_events()]
        now, why = nxt, nxt_why
    run.acc_start, run.acc_end = acc0, live.acc.copy()
    acc = live.acc - acc0
    hours = (live.payload_science_steps - sci0) * live.step_s / 3600.0
    controlled = {c for s in run.schedules for c in s.timeline.covers}
    ruled = {p.name: float(hours[i]) * p.duty for i, p in enumerate(twin.up.payloads)
             if p.priority == 2 and f"payload:{p.name}" not in controlled}
    by_type: dict[str, float] = {}
    for d in run.executed():
        kind = d["label"].split(" #")[0]
        by_type[kind] = by_type.get(kind, 0.0) + d["minutes_run"] / 60.0
    value = window_value(acts, load_hours=ruled, type_hours=by_type,
                         o2_kg=float(acc[k.A_O2_MADE]))
    run.kpis = {"value": value["value"], "value_parts": value["parts"], **acc_kpis(acc),
                "safe_mode_h": safe_mode_hours(run.events, start_tdb_s, stop, safe0),
                "replans": len(run.replans),
                "replan_s": float(sum(r["replan_s"] for r in run.replans)),
                "replan_max_s": float(max(r["replan_s"] for r in run.replans)),
                "scenario": sc.name}
    return run
