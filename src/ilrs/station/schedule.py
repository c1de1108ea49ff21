"""The executor of a timeline: a plan's loads swapped into the twin's inputs, step by step.

The twin runs its science payloads and rovers by fixed rules (condition + duty,
:func:`~ilrs.station.build.block_inputs`). A :class:`Schedule` executes a
:class:`~ilrs.station.timeline.Timeline` instead: where the timeline covers a load, the
load's rule is taken out of the block's inputs and the load runs exactly when an entry says
— drawing what the twin's model of it draws (a payload's day-to-night power with the
visible Sun and its data rate, a rover's driving power), not what a plan declares — as long
as it is on site and not faulted (a rover fault stops a leg), a rover leg until its
distance is driven. ``Twin.run(timeline=...)`` (and the live twin, from its commands) calls
:meth:`Schedule.apply` before each stretch of the loop and :meth:`Schedule.record` after
it with the loop's flags: what ran (science served) becomes the executed timeline
(:meth:`Schedule.executed`), and per entry the steps missed and why (load absent, rover
fault, science not served), and the steps on which a needed condition did not hold.

:func:`step_conditions` gives the condition flags of a block from the twin's own inputs and
geometry (the Sun seen at the element height through the site's real horizon, the Earth
and the relay above the antenna's horizon and masks, eclipses, crew on site, the regolith
surface temperature under the landers), so a planner and the replay read the same
conditions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from ilrs.errors import InputError
from ilrs.station import _kernels as k
from ilrs.station import faults as flt
from ilrs.station.build import BlockInputs, BuildUp, payload_power_w, rover_power_w
from ilrs.station.config import Scenario
from ilrs.station.geometry import Geometry
from ilrs.station.timeline import Entry, Timeline

__all__ = ["CONDITIONS", "MISSES", "Schedule", "fidelity", "step_conditions"]

#: The conditions an entry may need (``thermal_window`` also needs its sink range).
CONDITIONS = ("sunlit", "dark", "earth_in_view", "relay_in_view", "contact",
              "not_in_eclipse", "crew_present", "thermal_window")

#: A payload counts as sunlit (and its thermal node as warm) above this visible disk
#: fraction, as in :func:`~ilrs.station.build.block_inputs`.
LIT_FRACTION = 0.5


def step_conditions(t: np.ndarray, inputs: BlockInputs, geo: Geometry,
                    scenario: Scenario) -> dict[str, np.ndarray]:
    """Boolean condition flags at the steps ``t`` (TDB s), plus ``sink_k`` (float): the
    regolith surface temperature under the landers (:mod:`ilrs.station.regolith`), the
    sink their thermal nodes conduct and radiate to."""
    sun = geo.at("sun_fraction", t, float(scenario.site.element_mast_m))
    lit = sun > LIT_FRACTION
    eclipse = geo.at("eclipse_hidden_fraction", t) > 0.0
    sink_k = inputs.surface_k.copy()
    return {
        "sunlit": lit, "dark": ~lit,
        "earth_in_view": inputs.dte_ok.copy(), "relay_in_view": inputs.relay_ok.copy(),
        "contact": inputs.dte_ok | inputs.relay_ok,
        "not_in_eclipse": ~eclipse,
        "crew_present": inputs.crew_present > 0,
        "sink_k": sink_k,
    }




#: Why a planned step did not run (counted per entry by :meth:`Schedule.record`).
MISSES = ("absent", "fault", "distance", "unserved")


@dataclass
class Schedule:
    """A :class:`Timeline` bound to a station (``scenario`` and ``up``): per entry its
    load's index (``payload`` into ``up.payloads``, ``rover`` into ``scenario.rovers``,
    -1: neither, a bus load), when it is on site, and the record of what ran."""

    scenario: Scenario
    up: BuildUp
    timeline: Timeline
    payload: np.ndarray = field(init=False)
    rover: np.ndarray = field(init=False)
    on_site_tdb_s: np.ndarray = field(init=False)
    #: covered loads as (kind, index, t0, t1): their rule is set aside in [t0, t1)
    cover: list[tuple[str, int, float, float]] = field(init=False)
    #: entry index -> steps on which it ran while a condition it needs did not hold
    broken: dict[int, int] = field(default_factory=dict)
    #: entry index -> steps it was due before its load was on site
    absent: dict[int, int] = field(default_factory=dict)
    steps_run: np.ndarray = field(init=False)          # steps each entry ran (served)
    missed: dict[str, np.ndarray] = field(init=False)  # MISSES -> steps per entry
    runs: list[list[list[float]]] = field(init=False)  # per entry: [t0, t1) it ran
    _last: tuple | None = field(default=None, init=False, repr=False)

    def __post_init__(self):
        up, sc = self.up, self.scenario
        payloads = {p.name: i for i, p in enumerate(up.payloads)}
        rovers = {r.id: i for i, r in enumerate(sc.rovers)}
        unknown = {n for e in self.timeline.entries for n in e.needs} - set(CONDITIONS)
        if unknown:
            raise InputError("timeline needs", sorted(unknown), f"conditions of {CONDITIONS}")
        for load in {*self.timeline.covers, *(e.load for e in self.timeline.entries)}:
            kind, _, name = load.partition(":")
            if kind == "payload" and name not in payloads:
                raise InputError("timeline payload", name, "a payload the station lands ("
                                 + ", ".join(sorted(payloads)) + ")")
            if kind == "payload" and up.payloads[payloads[name]].priority != 2:
                raise InputError("timeline payload", name, "a science payload (survival "
                                 "and communications loads are not planned)")
            if kind == "rover" and name not in rovers:
                raise InputError("timeline rover", name, "a rover of the scenario ("
                                 + ", ".join(sorted(rovers)) + ")")
        entries = self.timeline.entries
        self.payload = np.array([payloads[e.target] if e.kind == "payload" else -1
                                 for e in entries], int)
        self.rover = np.array([rovers[e.target] if e.kind == "rover" else -1
                               for e in entries], int)
        self.on_site_tdb_s = np.array([self._arrival(e) for e in entries], float)
        t0, t1 = self.timeline.start_tdb_s, self.timeline.stop_tdb_s
        self.cover = []
        for load in self.timeline.covers:
            kind, _, name = load.partition(":")
            if kind in ("payload", "rover"):
                index = payloads[name] if kind == "payload" else rovers[name]
                self.cover.append((kind, index, t0, t1))
        self.steps_run = np.zeros(len(entries), np.int64)
        self.missed = {m: np.zeros(len(entries), np.int64) for m in MISSES}
        self.runs = [[] for _ in entries]

    @classmethod
    def of(cls, twin, timeline: Timeline) -> Schedule:
        """The schedule executing ``timeline`` on ``twin``'s station."""
        return cls(twin.scenario, twin.up, timeline)

    def _arrival(self, e: Entry) -> float:
        if e.kind == "payload":
            return float(self.up.payloads[next(i for i, p in enumerate(self.up.payloads)
                                               if p.name == e.target)].arrival_tdb_s)
        if e.kind == "rover":
            r = next(r for r in self.scenario.rovers if r.id == e.target)
            return float(self.up.arrival(r.arrives_with) + r.start_days_after_arrival * 86400.0)
        return -math.inf

    # -- the timeline as it grows on board (the live twin's commands) ----------------------
    def add(self, entry: Entry, on_site_tdb_s: float | None = None) -> int:
        """Append an entry (its load must be known); returns its index."""
        probe = Schedule(self.scenario, self.up, Timeline(self.timeline.start_tdb_s,
                                                          self.timeline.stop_tdb_s, (entry,)))
        self.timeline = replace(self.timeline, entries=(*self.timeline.entries, entry))
        self.payload = np.append(self.payload, probe.payload)
        self.rover = np.append(self.rover, probe.rover)
        self.on_site_tdb_s = np.append(self.on_site_tdb_s, probe.on_site_tdb_s
                                       if on_site_tdb_s is None else on_site_tdb_s)
        self.steps_run = np.append(self.steps_run, 0)
        self.missed = {m: np.append(v, 0) for m, v in self.missed.items()}
        self.runs.append([])
        return len(self.runs) - 1

    def end(self, j: int, at_tdb_s: float) -> None:
        """Stop entry ``j`` at ``at_tdb_s`` (if it runs past it)."""
        e = self.timeline.entries[j]
        if e.stop_tdb_s > at_tdb_s:
            stop = max(at_tdb_s, e.start_tdb_s + 1e-6)
            entries = list(self.timeline.entries)
            entries[j] = replace(e, stop_tdb_s=stop)
            self.timeline = replace(self.timeline, entries=tuple(entries))

    def set_cover(self, kind: str, index: int, t0: float, t1: float = math.inf) -> None:
        """Set aside the rule of a load in ``[t0, t1)`` (its open cover ends at ``t0``)."""
        self.end_cover(kind, index, t0)
        self.cover.append((kind, index, t0, t1))

    def end_cover(self, kind: str, index: int, at_tdb_s: float) -> None:
        self.cover = [(c[0], c[1], c[2], min(c[3], at_tdb_s)) if (c[0], c[1]) == (kind, index)
                      else c for c in self.cover]

    # -- execution ----------------------------------------------------------------------
    def active(self, t: np.ndarray) -> np.ndarray:
        """(entries, steps) bool: which entries are due at the steps ``t``."""
        start = np.array([e.start_tdb_s for e in self.timeline.entries])
        stop = np.array([e.stop_tdb_s for e in self.timeline.entries])
        return ((t[None, :] >= start[:, None] - flt.SLACK_S)
                & (t[None, :] < stop[:, None] - flt.SLACK_S))

    def apply(self, t: np.ndarray, inputs: BlockInputs, geo: Geometry,
              occurrences=()) -> BlockInputs:
        """The block's inputs with the covered loads' rules set aside and the entries due
        at the steps ``t`` running (survival, communications, ISRU, storage untouched)."""
        sc, up = self.scenario, self.up
        n = t.size
        sun = geo.at("sun_fraction", t, float(sc.site.element_mast_m))
        load2 = inputs.load2_w.copy()
        sci = inputs.sci_bit_s.copy()
        running = inputs.payload_running.copy()
        driving = inputs.rover_driving.copy()
        for kind, i, t0, t1 in self.cover:
            mask = (t >= t0 - flt.SLACK_S) & (t < t1 - flt.SLACK_S)
            if not mask.any():
                continue
            if kind == "payload":
                p = up.payloads[i]
                rule = running[i] & mask
                load2 -= rule * payload_power_w(p, sun) * p.duty
                sci -= rule * (p.data_rate_bit_s * p.duty)
                running[i] &= ~mask
            else:
                rule = driving[i] & mask
                load2 -= rule * rover_power_w(sc.rovers[i])
                driving[i] &= ~mask
        load2[load2 < 1e-6] = 0.0          # what the rules left, without rounding residue
        sci[sci < 1e-6] = 0.0
        entries = self.timeline.entries
        stops = np.array([e.stop_tdb_s for e in entries])
        starts = np.array([e.start_tdb_s for e in entries])
        near = np.flatnonzero((stops > t[0]) & (starts <= t[-1])) if entries else \
            np.zeros(0, int)
        if near.size == 0:
            self._last = (t.copy(), near, None)
            return replace(inputs, load2_w=load2, sci_bit_s=sci, payload_running=running,
                           rover_driving=driving)
        due = self.active(t)[near]
        here = t[None, :] >= self.on_site_tdb_s[near, None] - flt.SLACK_S
        faulted = np.zeros_like(due)
        capped = np.zeros_like(due)
        ran = due & here
        cond = step_conditions(t, inputs, geo, sc)
        bad = np.zeros_like(due)
        step_s = float(sc.period.step_s)
        for row, j in enumerate(near):
            e = entries[j]
            if e.kind == "payload":
                p = up.payloads[self.payload[j]]
                power, rate = payload_power_w(p, sun), p.data_rate_bit_s
            elif e.kind == "rover":
                r = sc.rovers[self.rover[j]]
                faulted[row] = ran[row] & flt.blocked(occurrences, "rover-fault", r.id, t)
                ran[row] &= ~faulted[row]
                if e.distance_km > 0:
                    left = math.floor(e.distance_km / (r.speed_m_s * step_s / 1000.0) + 1e-9)
                    idx = np.flatnonzero(ran[row])
                    cut = idx[max(0, left - int(self.steps_run[j])):]
                    capped[row, cut] = True
                    ran[row, cut] = False
                power, rate = rover_power_w(r), 0.0
            else:
                power, rate = e.power_w, e.data_bit_s
            load2 += ran[row] * power
            sci += ran[row] * rate
            if self.payload[j] >= 0:
                running[self.payload[j]] |= ran[row]
            if self.rover[j] >= 0:
                driving[self.rover[j]] |= ran[row]
            ok = np.ones(n, bool)
            for need in e.needs:
                if need == "thermal_window":
                    lo, hi = e.sink_k or (-np.inf, np.inf)
                    ok &= (cond["sink_k"] >= lo) & (cond["sink_k"] <= hi)
                else:
                    ok &= cond[need]
            bad[row] = ran[row] & ~ok
        self._last = (t.copy(), near, (due, here, faulted, capped, ran, bad))
        return replace(inputs, load2_w=load2, sci_bit_s=sci, payload_running=running,
                       rover_driving=driving)

    def record(self, t: np.ndarray, flags: np.ndarray) -> None:
        """After the loop ran the steps ``t`` (a stretch of the last applied block) with
        ``flags``: what each due entry did (science served: it ran) and why it missed."""
        if self._last is None or self._last[2] is None:
            return
        t_block, near, (due, here, faulted, capped, ran, bad) = self._last
        step_s = float(self.scenario.period.step_s)
        a = round((t[0] - t_block[0]) / step_s)
        b = a + t.size
        served = (flags & k.F_SCIENCE) > 0
        for row, j in enumerate(near):
            d = due[row, a:b]
            if not d.any():
                continue
            went = ran[row, a:b] & served
            self.steps_run[j] += int(went.sum())
            self.missed["absent"][j] += int((d & ~here[row, a:b]).sum())
            self.missed["fault"][j] += int(faulted[row, a:b].sum())
            self.missed["distance"][j] += int(capped[row, a:b].sum())
            self.missed["unserved"][j] += int((ran[row, a:b] & ~served).sum())
            n_abs = int((d & ~here[row, a:b]).sum())
            if n_abs:
                self.absent[int(j)] = self.absent.get(int(j), 0) + n_abs
            n_bad = int((bad[row, a:b] & served).sum())
            if n_bad:
                self.broken[int(j)] = self.broken.get(int(j), 0) + n_bad
            for i in np.flatnonzero(went):
                ts = float(t[i])
                spans = self.runs[j]
                if spans and abs(spans[-1][1] - ts) < 1e-3:
                    spans[-1][1] = ts + step_s
                else:
                    spans.append([ts, ts + step_s])

    def executed(self) -> list[dict]:
        """The executed timeline: per entry, the spans (TDB s) it ran and its minutes run
        and missed (by cause, see :data:`MISSES`)."""
        step_min = self.scenario.period.step_s / 60.0
        return [{"label": e.label, "load": e.load, "planned_start_tdb_s": e.start_tdb_s,
                 "planned_stop_tdb_s": e.stop_tdb_s,
                 "runs_tdb_s": [tuple(s) for s in self.runs[j]],
                 "minutes_run": float(self.steps_run[j] * step_min),
                 "minutes_missed": {m: float(v[j] * step_min) for m, v in self.missed.items()
                                    if v[j]}}
                for j, e in enumerate(self.timeline.entries)]


def fidelity(timeline: Timeline, done: Schedule) -> dict:
    """How much of ``timeline`` the station executed, from the record ``done`` (the
    schedule it ran through: ``Results.executed`` of ``Twin.run(timeline=...)``, or a live
    twin's ``onboard`` after the timeline's commands): per entry, the minutes its load ran
    inside the entry's planned span (a bus load: a run with the entry's power and rate),
    no more than planned (a rover leg: no longer than its distance takes); in total and by
    activity (the label's part before ``" #"``)."""
    sc = done.scenario
    speeds = {r.id: r.speed_m_s * 60.0 / 1000.0 for r in sc.rovers}
    runs: dict = {}
    for j, e in enumerate(done.timeline.entries):
        key = e.load if e.kind != "bus" else (e.power_w, e.data_bit_s)
        runs.setdefault(key, []).extend(done.runs[j])
    planned = timeline.planned_minutes(speeds)
    by: dict[str, list[float]] = {}
    total = [0.0, 0.0]
    for e, minutes in zip(timeline.entries, planned, strict=True):
        key = e.load if e.kind != "bus" else (e.power_w, e.data_bit_s)
        lo = max(e.start_tdb_s, timeline.start_tdb_s)
        hi = min(e.stop_tdb_s, timeline.stop_tdb_s)
        ran = sum(max(0.0, min(hi, r1) - max(lo, r0)) for r0, r1 in runs.get(key, ())) / 60.0
        ran = min(ran, minutes)
        row = by.setdefault(e.label.split(" #")[0], [0.0, 0.0])
        for acc in (row, total):
            acc[0] += minutes
            acc[1] += ran
    return {"planned_minutes": total[0], "executed_minutes": total[1],
            "fraction": total[1] / total[0] if total[0] > 0 else 1.0,
            "by_activity": {name: {"planned_minutes": p, "executed_minutes": x,
                                   "fraction": x / p if p > 0 else 1.0}
                            for name, (p, x) in sorted(by.items())}}
