"""The station twin live: advanced step by step, commanded, watched (the spacecraft of ops).

:class:`LiveTwin` runs the very kernel of :meth:`Twin.run` (``_kernels.run_block``) with
the same carried state (battery, tanks, buffer, heat deficit, oxygen, FDIR modes,
accumulators), but open-ended: geometry, faults and per-step inputs are computed lazily,
one block (a simulated day) at a time, so a live run can go on indefinitely. Without
commands it reproduces ``Twin.run`` step for step (tested bit for bit). Ground commands
change the loop's inputs (payloads, rovers, ISRU) or its state (safe mode, science hold)
from the next step and persist until another command; FDIR keeps acting on top.

>>> live = LiveTwin.from_scenario()                # reference scenario, at ILRS-1's landing
>>> live.advance(3600.0)
60
>>> hk = live.housekeeping()
>>> hk.station.utc, 0.0 < hk.values["station.battery.soc"] <= 1.0
('2031-08-01T01:00:00Z', True)
>>> r = live.execute("payload.command_center.power_off")
>>> r.accepted, r.significance, r.checks[0].parameter
(True, 'critical', 'payload.command_center.power_w')
>>> live.execute("payload.biomedical_laboratory.power_on").reason
'payload.biomedical_laboratory has not landed yet: arrives with ILRS-4 on 2034-08-01'
"""

from __future__ import annotations

import bisect
import functools
import math
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from ilrs.errors import InputError
from ilrs.sky import Sky
from ilrs.sky.timescale import tdb_s_to_utc_iso
from ilrs.station import _kernels as k
from ilrs.station import thermal as thm
from ilrs.station.build import Overrides, _tdb, block_inputs
from ilrs.station.config import Scenario
from ilrs.station.fdir import EVENTS, describe
from ilrs.station.live_catalog import (
    EVENT_TYPES,
    Element,
    command_specs,
    elements_of,
    parameter_specs,
)
from ilrs.station.live_commands import COMMANDS
from ilrs.station.live_hk import housekeeping_of
from ilrs.station.live_types import (
    Block,
    Check,
    CommandResult,
    Housekeeping,
    LastStep,
    LiveEvent,
)
from ilrs.station.results import energy_balance
from ilrs.station.schedule import Schedule
from ilrs.station.timeline import Entry, Timeline
from ilrs.station.twin import Twin

__all__ = ["LiveTwin"]

#: Loop events kept per kernel call (more are counted in ``events_dropped``).
MAX_EVENTS_PER_CALL = 20_000
#: The most sky geometry computed at once when many steps are run in one call.
CATCH_UP_GEOMETRY_S = 366 * 86400.0
#: Faults are drawn this far past the block being built (extended as the run goes on).
FAULT_HORIZON_S = 366 * 86400.0
#: Order of simultaneous events (faults, campaign, loop as ``Twin.run`` lists them; a ground
#: command before the loop events of the step it acts from).
_RANK = {"fault": 0, "campaign": 1, "command": 2, "loop": 3}


def _locked(method):
    """Run a public method under the twin's lock (ops ticks and commands from threads)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)
    return wrapper


def _utc(tdb_s: float) -> str:
    return tdb_s_to_utc_iso(np.array([tdb_s]), 0)[0] + "Z"


class LiveTwin:
    """The station twin advanced live; see the module docstring.

    ``block_s`` is the span of per-step inputs computed at once (a day; whole days keep
    the bit-for-bit match with ``Twin.run(block_days=1)``), ``geometry_s`` the span of sky
    geometry computed at once. Public methods hold a lock, so a ticker thread may advance
    the twin while another thread executes commands or reads housekeeping.
    """

    def __init__(self, twin: Twin, start_tdb_s: float, *, block_s: float = 86400.0,
                 geometry_s: float = 4 * 86400.0, sky: Sky | None = None):
        sc = twin.scenario
        self.twin = twin
        self._lock = threading.RLock()
        self.scenario: Scenario = sc
        self.step_s = float(sc.period.step_s)
        self.start_tdb_s = float(start_tdb_s)
        self._block_steps = max(1, round(block_s / self.step_s))
        self._geometry_s = max(float(geometry_s), block_s)
        self._sky = sky or Sky()
        self.params = twin.kernel_params()
        self._visits = twin.crew_visits_tdb()
        self.state = k.new_state()
        self.acc = k.new_accumulators()
        self.node_par = thm.node_params(sc)
        self.node_t, self.node_acc = k.new_node_state(self.node_par.shape[0])
        self._n = 0
        self._clock = self.start_tdb_s
        n_pay, n_rov = len(twin.up.payloads), len(sc.rovers)
        self.rover_km = np.zeros(n_rov)
        self.km_per_step = np.array([r.speed_m_s * self.step_s / 1000.0 for r in sc.rovers])
        self.payload_science_steps = np.zeros(n_pay)
        self._rover_steps = np.zeros(n_rov)
        self.overrides = Overrides()
        self.current_block: Block | None = None
        self._last: LastStep | None = None
        self._geo = None
        self._geo_range = (0, 0)
        self._surface = None
        self.fault_occurrences: list = []
        self._fault_events: list[tuple[float, str, str, str]] = []
        self._fault_times: list[float] = []
        self._fault_horizon = -math.inf
        self._campaign = sorted(twin.campaign_events(self.start_tdb_s, math.inf),
                                key=lambda e: e[0])
        self._emitted_until = self.start_tdb_s
        self._pending: list[tuple[float, int, tuple[str, str, str]]] = []
        self.events_dropped = 0
        self._ev = (np.zeros(MAX_EVENTS_PER_CALL, np.int64),
                    np.zeros(MAX_EVENTS_PER_CALL, np.int64), np.zeros(MAX_EVENTS_PER_CALL))
        self.elements: tuple[Element, ...] = elements_of(sc, twin.roadmap, twin.up)
        self.by_id = {e.id: e for e in self.elements}
        self.parameter_specs = {e.id: parameter_specs(e, sc) for e in self.elements}
        self._commands = {e.id: command_specs(e, sc) for e in self.elements}
        #: the on-board timeline: planned activities started and stopped by commands
        #: (``run``, ``drive_leg``, ``activity_start``), executed and recorded as in
        #: ``Twin.run(timeline=...)``
        self.onboard = Schedule(sc, twin.up, Timeline(self.start_tdb_s, math.inf, ()))
        self._open: dict[str, int] = {}

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def from_scenario(cls, scenario: Scenario | str | None = None, dems=(),
                      start_utc: str | None = None, **options: Any) -> LiveTwin:
        """The live twin of a scenario (object, file, ``None``: the reference) starting at
        ``start_utc`` (ISO date or date-time; ``None``: the scenario's start, which for the
        reference is ILRS-1's landing; ``"first-landing"``: the station's first landing).
        The state at the start is the loop's initial one, as for ``Twin.run`` with that
        start."""
        return cls.from_twin(Twin.from_scenario(scenario, dems), start_utc, **options)

    @classmethod
    def from_twin(cls, twin: Twin, start_utc: str | None = None, **options: Any) -> LiveTwin:
        """The live twin of an existing :class:`Twin` (see :meth:`from_scenario`)."""
        text = start_utc or twin.scenario.period.start
        if text == "first-landing":
            start = twin.up.first_landing_tdb_s
            if not math.isfinite(start):
                raise InputError("start_utc", text,
                                 "a campaign with at least one station mission landing")
        else:
            try:
                start = _tdb(str(text))
            except ValueError:
                raise InputError("start_utc", text, "an ISO date or date-time, or "
                                 "'first-landing'") from None
        return cls(twin, start, **options)

    # -- time --------------------------------------------------------------------------------
    @property
    def steps(self) -> int:
        """Steps run so far."""
        return self._n

    @property
    def now_tdb_s(self) -> float:
        """The twin's time: the end of the last step run (the next step starts here)."""
        return self.start_tdb_s + self.step_s * self._n

    @property
    def now_utc(self) -> str:
        return _utc(self.now_tdb_s)

    @_locked
    def advance(self, seconds: float) -> int:
        """Advance the clock by ``seconds`` and run every whole step that fits (a remainder
        carries over to the next call); returns the number of steps run."""
        if seconds < 0:
            raise InputError("seconds", seconds, "a duration >= 0")
        self._clock = max(self._clock, self.now_tdb_s) + seconds
        return self.advance_to(self._clock)

    def advance_to(self, tdb_s: float, progress: Callable[[float], None] | None = None) -> int:
        """Run every step ending at or before ``tdb_s`` (TDB seconds past J2000; 10 ms of
        slack as in ``Twin.run``); returns the number of steps run. ``progress(fraction)``
        is called after each block (a day)."""
        target = math.floor((tdb_s - self.start_tdb_s + 0.01) / self.step_s)
        return self.advance_steps(max(0, target - self._n), progress)

    def advance_to_utc(self, utc: str, progress: Callable[[float], None] | None = None) -> int:
        """:meth:`advance_to` a UTC ISO date or date-time."""
        return self.advance_to(_tdb(utc), progress)

    @_locked
    def advance_steps(self, n: int, progress: Callable[[float], None] | None = None) -> int:
        """Run ``n`` steps; returns ``n``. ``progress(fraction done)`` after each block."""
        first, target = self._n, self._n + int(n)
        while self._n < target:
            b = self._block(ahead_s=(target - self._n) * self.step_s)
            a = self._n - b.i0
            e = min(b.i1, target) - b.i0
            self._run(b, a, e)
            self._n = b.i0 + e
            if progress is not None:
                progress((self._n - first) / (target - first))
        self._emit_timed_events()
        return int(n)

    # -- the loop ------------------------------------------------------------------------------
    def _block(self, ahead_s: float = 0.0) -> Block:
        b = self.current_block
        if b is not None and b.i0 <= self._n < b.i1:
            return b
        i0 = self._n
        i1 = (i0 // self._block_steps + 1) * self._block_steps
        t = self.start_tdb_s + self.step_s * np.arange(i0, i1, dtype=float)
        self._ensure_faults(t[-1] + self.step_s)
        self._ensure_geometry(t[0], t[-1], ahead_s)
        km_before = self.rover_km.copy()
        inputs = block_inputs(t, self.step_s, self.scenario, self.twin.up, self._geo,
                              self.fault_occurrences, self.rover_km, self._visits, self.overrides)
        if self.onboard.timeline.entries or self.onboard.cover:
            inputs = self.onboard.apply(t, inputs, self._geo, self.fault_occurrences)
        self.current_block = Block(i0, i1, t, inputs, km_before, np.zeros(t.size, np.uint8),
                                   np.zeros(t.size), np.zeros(t.size), np.zeros(t.size))
        return self.current_block

    def _ensure_faults(self, until: float) -> None:
        if until <= self._fault_horizon:
            return
        # random faults are drawn in order from the start: a longer span only adds later ones
        self._fault_horizon = until + FAULT_HORIZON_S
        self.fault_occurrences, events = self.twin.faults(self.start_tdb_s, self._fault_horizon)
        self._fault_events = sorted(((e.tdb_s, e.source, e.kind, e.message) for e in events),
                                    key=lambda e: e[0])
        self._fault_times = [e[0] for e in self._fault_events]

    def _ensure_geometry(self, t0: float, t1: float, ahead_s: float = 0.0) -> None:
        """Sky geometry on the grid covering ``t0 … t1``; when catching up (``ahead_s`` of
        steps still to run, e.g. to ``ilrs serve --epoch``) up to a year of it at once, as
        ``Twin.run`` does (the same grid points, so the same values)."""
        g = self.scenario.period.geometry_step_s
        lo = math.floor((t0 - self.start_tdb_s) / g) - 1
        hi = math.ceil((t1 - self.start_tdb_s) / g) + 1 + self.twin.geometry_pad_points()
        if self._geo is not None and self._geo_range[0] <= lo and hi <= self._geo_range[1]:
            return
        span_s = max(self._geometry_s, min(ahead_s, CATCH_UP_GEOMETRY_S))
        hi = max(hi, lo + math.ceil(span_s / g) + 3)
        # the same grid points as Twin.run's grid from the same start (start + g·i)
        self._geo = self.twin.geometry_at(
            self.start_tdb_s + g * np.arange(lo, hi, dtype=float), self._sky)
        self._geo_range = (lo, hi)
        # the regolith under the landers runs on from where it was (one column, one spin-up)
        self._surface = thm.continue_surface(self._surface, self._geo, self.scenario,
                                             self.start_tdb_s)

    def _run(self, b: Block, a: int, e: int) -> None:
        """Run steps ``a … e − 1`` of block ``b``; the last one alone, so its flows are
        known (its accumulators start from zero and are added: the same sums)."""
        args = b.inputs.as_kernel_args()
        if e - a > 1:
            agg = k.new_aggregates(1)
            self._kernel(b, [x[a:e - 1] for x in args], self.acc, e - a, agg, a, e - 1)
        acc1 = k.new_accumulators()
        agg1 = k.new_aggregates(1)
        self._kernel(b, [x[e - 1:e] for x in args], acc1, 1, agg1, e - 1, e)
        self.acc += acc1
        self.onboard.record(b.t[a:e], b.flags[a:e])
        sci = (b.flags[a:e] & k.F_SCIENCE) > 0
        inp = b.inputs
        self.payload_science_steps += (inp.payload_running[:, a:e] & sci).sum(axis=1)
        self._rover_steps += (inp.rover_driving[:, a:e] & sci).sum(axis=1)
        mast = float(self.scenario.site.element_mast_m)
        sun = float(self._geo.at("sun_fraction", b.t[e - 1:e], mast)[0])
        self._last = LastStep(b, e - 1, acc1, agg1[0], sun)

    def _kernel(self, b: Block, args, acc, agg_every, agg, a: int, e: int) -> None:
        ev_step, ev_code, ev_value = self._ev
        n_ev = k.run_block(*args, self.params, self.node_par, self.state, self.node_t, acc,
                           self.node_acc, agg_every, agg, b.flags[a:e], b.soc[a:e],
                           b.temp[a:e], b.heater[a:e], ev_step, ev_code, ev_value)
        kept = min(n_ev, MAX_EVENTS_PER_CALL)
        self.events_dropped += n_ev - kept
        for j in range(kept):
            source, kind = EVENTS[int(ev_code[j])]
            self._pending.append((float(b.t[a + ev_step[j]]), _RANK["loop"],
                                  (source, kind, describe(int(ev_code[j]),
                                                          float(ev_value[j])))))

    def _emit_timed_events(self) -> None:
        """Queue the fault and campaign events of [last emitted, now)."""
        t0, t1 = self._emitted_until, self.now_tdb_s
        if t1 <= t0:
            return
        i0 = bisect.bisect_left(self._fault_times, t0)
        i1 = bisect.bisect_left(self._fault_times, t1)
        for t, source, kind, msg in self._fault_events[i0:i1]:
            self._pending.append((t, _RANK["fault"], (source, kind, msg)))
        for t, source, kind, msg in self._campaign:
            if t0 <= t < t1:
                self._pending.append((t, _RANK["campaign"], (source, kind, msg)))
        self._emitted_until = t1

    def invalidate_inputs(self) -> None:
        """Drop the inputs of the steps not run yet (an override changed): the rover plan
        goes back to where the run is, the rest of the block is rebuilt at the next step."""
        b = self.current_block
        if b is None:
            return
        if self._n < b.i1:
            j = self._n - b.i0
            self.rover_km = b.km_before + b.inputs.rover_driving[:, :j].sum(axis=1) * (
                self.km_per_step)
        self.current_block = None

    # -- events ------------------------------------------------------------------------------
    @_locked
    def drain_events(self) -> list[LiveEvent]:
        """The events since the last call (faults and FDIR handling, FDIR mode changes,
        brown-outs, thermal and data events, landings, executed commands), oldest first."""
        pending = sorted(self._pending, key=lambda e: (e[0], e[1]))
        self._pending = []
        out = []
        for t, _rank, (source, kind, msg) in pending:
            event_id, severity = EVENT_TYPES.get((source, kind), (0, "info"))
            out.append(LiveEvent(t, _utc(t), source, kind, msg, event_id, severity))
        return out

    # -- housekeeping ------------------------------------------------------------------------
    @_locked
    def housekeeping(self) -> Housekeeping:
        """Current values by element (state after the last step, flows during it) and the
        flat ``{parameter: value}`` view named as in :meth:`describe`."""
        return housekeeping_of(self, self._last)

    @_locked
    def totals(self) -> dict[str, Any]:
        """What the live run has done so far: the energy balance (J), data (bit), oxygen
        (kg), science seconds by payload id and km driven by rover id."""
        acc = self.acc
        return {
            "steps": self._n,
            "energy": energy_balance(acc, self.state),
            "survival_unserved_j": float(acc[k.A_UNSERVED0]),
            "science_shed_j": float(acc[k.A_SHED]),
            "data_generated_bit": float(acc[k.A_DATA_GEN]),
            "data_returned_bit": float(acc[k.A_DATA_DOWN]),
            "data_lost_bit": float(acc[k.A_DATA_LOST]),
            "o2_produced_kg": float(acc[k.A_O2_MADE]),
            "o2_used_kg": float(acc[k.A_O2_USED]),
            "brownout_steps": int(acc[k.A_BROWN_STEPS]),
            "science_s": {e.id: float(self.payload_science_steps[e.index] * self.step_s)
                          for e in self.elements if e.role == "payload" and e.priority == 2},
            "rover_km": {e.id: self.driven_km(e.index)
                         for e in self.elements if e.role == "rover"},
        }

    def driven_km(self, index: int) -> float:
        """Kilometres rover ``index`` has driven so far."""
        r = self.scenario.rovers[index]
        return float(self._rover_steps[index] * r.speed_m_s * self.step_s / 1000.0)

    # -- description -------------------------------------------------------------------------
    @_locked
    def describe(self) -> dict[str, Any]:
        """Everything the mission-database generator needs, JSON-ready: every element the
        campaign lands (``status`` landed or planned, with its landing date), its owner
        partner, its parameters (name, type, unit, description, limits) and commands
        (arguments, significance, constraints), and the event types."""
        now = self.now_tdb_s
        partners = {p.id: p.name for p in self.twin.roadmap.partners}
        elements = []
        for e in self.elements:
            elements.append({
                "id": e.id, "kind": e.kind, "role": e.role, "name": e.name, "owner": e.owner,
                "owner_name": partners.get(e.owner, e.owner), "mission": e.mission,
                "landing_date": e.landing_date,
                "status": "landed" if e.arrival_tdb_s <= now else "planned",
                "parameters": [s.as_dict() for s in self.parameter_specs[e.id]],
                "commands": [dict(c) for c in self._commands[e.id]],
            })
        return {
            "scenario": self.scenario.name,
            "step_s": self.step_s,
            "start_utc": _utc(self.start_tdb_s),
            "now_utc": self.now_utc,
            "partners": partners,
            "elements": elements,
            "events": [{"event_id": i, "source": s, "kind": kd, "severity": sev}
                       for (s, kd), (i, sev) in EVENT_TYPES.items()],
        }

    # -- commands -----------------------------------------------------------------------------
    @_locked
    def execute(self, command: str, args: dict[str, float] | None = None) -> CommandResult:
        """Execute a ground command (``<element id>.<command>``, e.g.
        ``payload.<id>.power_off``, ``station.safe_mode_enter``) from the next step.

        Returns a :class:`CommandResult`: rejected with the reason (unknown element or
        command, bad argument, element not landed yet, nothing to do), or accepted with
        the checks that verify it in later housekeeping.
        """
        args = dict(args or {})
        now = self.now_tdb_s
        result = CommandResult(command, args, False, "", now, _utc(now))
        eid, _, verb = command.rpartition(".")
        el = self.by_id.get(eid)
        if el is None:
            return replace(result, reason=f"unknown element '{eid}' (known: "
                           + ", ".join(self.by_id) + ")")
        spec = next((c for c in self._commands[eid] if c["name"] == verb), None)
        if spec is None:
            return replace(result, reason=f"unknown command '{verb}' of {eid} (known: "
                           + ", ".join(c["name"] for c in self._commands[eid]) + ")")
        result = replace(result, significance=spec["significance"])
        names = {a["name"]: a for a in spec["arguments"]}
        for name, value in args.items():
            a = names.get(name)
            if a is None:
                return replace(result, reason=f"unknown argument '{name}'")
            if not isinstance(value, int | float) or not math.isfinite(value) or not (
                    a["min"] <= value <= a["max"]):
                return replace(result, reason=f"argument {name}={value!r}: expected a "
                               f"number in [{a['min']:g}, {a['max']:g}] {a['unit']}")
        if el.arrival_tdb_s > now:
            return replace(result, reason=f"{eid} has not landed yet: arrives with "
                           f"{el.mission} on {el.landing_date}")
        outcome = COMMANDS[(el.role, verb)](self, el, args)
        if isinstance(outcome, str):
            return replace(result, reason=outcome)
        reason, checks = outcome
        deadline = now + self.step_s
        result = replace(result, accepted=True, reason=reason, checks=tuple(
            Check(f"{eid}.{p}", op, float(v), self.step_s, deadline) for p, op, v in checks))
        self._pending.append((now, _RANK["command"],
                              ("command", "executed", f"{command}: {reason}")))
        return result

    # -- the on-board timeline (planned activities) ---------------------------------------------
    def run_commands(self, commands, until_tdb_s: float) -> list[CommandResult]:
        """Release time-tagged commands (:class:`~ilrs.station.timeline.TimedCommand`, in
        order) at their times, as the on-board scheduler does, then run to
        ``until_tdb_s``; returns the command results."""
        out = []
        for c in commands:
            self.advance_to(c.tdb_s)
            out.append(self.execute(c.command, c.arguments))
        self.advance_to(until_tdb_s)
        return out

    @_locked
    def load_timeline(self, timeline: Timeline) -> Schedule:
        """Load a whole timeline on board (a plan made on board, as its time-tagged
        commands would run it): from the next step it replaces the on-board one, whose
        record of what ran is returned; the loads it covers run only as it says over its
        span, every other load by its rule."""
        done = self.onboard
        self.onboard = Schedule(self.scenario, self.twin.up, timeline)
        self._open = {}
        self.invalidate_inputs()
        return done

    def start_planned(self, kind: str, index: int, distance_km: float = 0.0) -> None:
        """A payload (``kind`` "payload") or rover runs from the next step, its rule set
        aside, until :meth:`stop_planned` (a rover leg also until ``distance_km``)."""
        name = (self.twin.up.payloads[index].name if kind == "payload"
                else self.scenario.rovers[index].id)
        self.stop_planned(kind, index)
        now = self.now_tdb_s
        j = self.onboard.add(Entry(f"{kind}:{name} @ {self.now_utc}", f"{kind}:{name}", now,
                                   math.inf, distance_km=distance_km))
        self._open[f"{kind}:{name}"] = j
        self.onboard.set_cover(kind, index, now)
        self.invalidate_inputs()

    def stop_planned(self, kind: str, index: int, back_to_rule: bool = False) -> bool:
        """Stop the load's planned activity from the next step (if one runs; returns
        whether it did); ``back_to_rule``: its rule drives it again from then."""
        name = (self.twin.up.payloads[index].name if kind == "payload"
                else self.scenario.rovers[index].id)
        j = self._open.pop(f"{kind}:{name}", None)
        now = self.now_tdb_s
        if j is not None:
            self.onboard.end(j, now)
        if back_to_rule:
            self.onboard.end_cover(kind, index, now)
        if j is not None or back_to_rule:
            self.invalidate_inputs()
        return j is not None

    def start_activity(self, slot: int, power_w: float, data_bit_s: float) -> None:
        """A planned load with no twin model draws ``power_w`` on the science bus and
        makes ``data_bit_s`` from the next step, in bus slot ``slot``."""
        self.stop_activity(slot)
        now = self.now_tdb_s
        self._open[f"bus:{slot}"] = self.onboard.add(Entry(
            f"bus:{slot} @ {self.now_utc}", f"bus:{slot}", now, math.inf, power_w=power_w,
            data_bit_s=data_bit_s))
        self.invalidate_inputs()

    def stop_activity(self, slot: int) -> bool:
        j = self._open.pop(f"bus:{slot}", None)
        if j is None:
            return False
        self.onboard.end(j, self.now_tdb_s)
        self.invalidate_inputs()
        return True

    def running_planned(self, kind: str, index: int) -> bool:
        """Whether a payload or rover runs a planned activity now."""
        name = (self.twin.up.payloads[index].name if kind == "payload"
                else self.scenario.rovers[index].id)
        return f"{kind}:{name}" in self._open

    def set_overrides(self, **changes: Any) -> None:
        """Change the ground overrides (payloads off, rovers held, ISRU off) from the next
        step on (command handlers call it under the twin's lock)."""
        self.invalidate_inputs()
        self.overrides = replace(self.overrides, **changes)
