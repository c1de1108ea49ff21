"""Replanning in ``ilrs serve``: after a fault or a drift between plan and telemetry, the
planner repairs the rest of the current plan (:func:`ilrs.plan.repair.repair`, in the
manner of CASPER) and the desk re-delivers it, superseding the old version on the ground
and on board.

- **A fault** declared by a flight director (``POST /api/plans/repair`` with
  ``{"fault": {"kind": "array-degradation", "target": "array-1a", "magnitude": 0.5}}``)
  enters the planner's model of the station (the live twin's scenario plus every fault
  declared so far) from the mission time now; the repair re-plans every activity that had
  not started.
- **A drift**: :class:`Replanner` watches the housekeeping of every load the current plan
  drives (a payload's ``commanded_on``, a rover's ``held``); when one disagrees with the
  plan at the sample's own mission time, away from the plan's switching times by
  ``grace_s``, for ``confirm`` samples in a row, it repairs from now in the planner's name.

The repair starts the plan from the station's state in housekeeping at its upload (stored
energy, buffer content, FDIR's buffer hold). The repaired version is delivered in the name
of the current version's uploader (it may only hold activities that user may command: the
others are dropped) and audited as ``plan.repair`` by whoever triggered it; every load the
repaired plan drives is switched to its planned state from the repair time on.
``repair_s`` (trigger to commands issued) is in the answer (``Delivery.repair_s``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
import threading
import time
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from ilrs.errors import CommandRejectedError, IlrsError, InputError
from ilrs.ops.desks.plans import Delivery, PlanDesk
from ilrs.ops.security.policy import Action

if TYPE_CHECKING:
    from ilrs.plan.plan import Plan

__all__ = ["PLANNER_USER", "FaultIn", "RepairIn", "Replanner"]

#: The twin's fault kinds (``ilrs.station.config.FaultKind``, not imported: the API starts
#: without the twin).
FaultKind = Literal["battery-cell-loss", "array-degradation", "relay-outage", "isru-stuck",
                    "rover-fault"]

_log = logging.getLogger(__name__)
#: A fault event of the twin as the processor archives it: ``event N: <utc> <kind>: …``.
_FAULT_EVENT = re.compile(r"^event \d+: \S+ (" + "|".join(
    get_args(FaultKind)) + r"): (.*)$")
#: The name the automatic repairs (drift) are audited under.
PLANNER_USER = "ilrs.planner"


class FaultIn(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    kind: FaultKind
    target: str | None = Field(default=None, max_length=100)
    magnitude: float = Field(default=0.5, ge=0, le=1)


class RepairIn(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    reason: str = Field(default="operator request", min_length=1, max_length=200)
    fault: FaultIn | None = None


class Replanner:
    """Repairs and re-delivers the desk's current plan (see the module doc)."""

    def __init__(self, desk: PlanDesk, live, *, time_limit_s: float = 5.0,
                 grace_s: float = 120.0, confirm: int = 2, period_s: float = 0.25):  # fmt: skip
        self.desk, self.live = desk, live
        self.time_limit_s, self.grace_s = time_limit_s, grace_s
        self.confirm, self.period_s = confirm, period_s
        self._faults: list[Any] = []
        self._acts = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: dict[str, tuple[int, int]] = {}  # element → (last sample ns, misses)
        self._events: tuple[int, int] | None = None  # the last event looked at
        self.repairs: list[Delivery] = []

    # -- repair ---------------------------------------------------------------------------
    def _now_tdb_s(self) -> float:
        from ilrs.ops.service import ns_to_iso
        from ilrs.plan.horizon import utc_to_tdb

        return utc_to_tdb(ns_to_iso(self.desk.ops.mission_clock()).removesuffix("Z")[:23])

    def replan(self, *, user: str, body: RepairIn, require: Action | None = None) -> Delivery:
        """Repair the current plan from now (with ``body.fault`` added to the model) and
        deliver it; ``require``: the role ``user`` must have (an operator's request; None
        for the planner's own, on a drift). ``CommandRejectedError`` when there is no plan
        to repair."""
        t0 = time.perf_counter()
        ops = self.desk.ops
        request = body.model_dump(exclude_none=True)
        with self._lock, ops.audited(user, "plan.repair", request):
            if require is not None:
                ops.policy.require(user, require)
            current = self.desk.current
            if current is None:
                raise CommandRejectedError("plan", "repair", "no plan has been uploaded")
            if body.fault is not None:
                self._check_target(body.fault)
            request["from_version"] = current.record.version
            at = self._now_tdb_s() + 60.0
            new = self._repaired(current, at, body.fault)
            new.solver.setdefault("repair", {})["trigger"] = body.reason
            delivery = self.desk.deliver(user=current.record.user, plan=new,
                                         reason=f"repair: {body.reason}", from_tdb_s=at)
            delivery.repair_s = time.perf_counter() - t0
            self.repairs.append(delivery)
        self._seen.clear()
        return delivery

    def _check_target(self, fault: FaultIn) -> None:
        """A fault names a component of its kind on the station (a misspelt id would
        change nothing in the model, silently): ``InputError`` (422) otherwise."""
        from ilrs.station.faults import TARGETS

        if fault.target is None:
            return
        sc = self.live.twin.scenario
        group = TARGETS[fault.kind]
        ids = ["relay"] if group == "relay" else [c.id for c in getattr(sc, group)]
        if fault.target not in ids:
            raise InputError("body.fault.target", fault.target,
                             f"an id of the station's {group} ({', '.join(ids) or 'none'})")

    def _repaired(self, current: Delivery, at: float, fault: FaultIn | None) -> Plan:
        from ilrs.plan import load_activities
        from ilrs.plan.repair import repair
        from ilrs.plan.replay import fault_scenario

        if self._acts is None:
            self._acts = load_activities(None)
        faults = [*self._faults, (fault, at)] if fault is not None else self._faults
        twin = self.live.twin
        for f, when in faults:
            twin = fault_scenario(twin, f.kind, when, f.magnitude, f.target)
        new = repair(twin, self._acts, current.plan, at, time_limit_s=self.time_limit_s,
                     initial=current.initial)
        self._faults = faults               # kept only once a repair has taken it in
        keep = [a for a in new.activities if self.desk.allowed(current.record.user, a)]
        # the loads the repaired version drives: those the current one drove (its
        # authority's), not every load of the planner's activity set
        return dataclasses.replace(new, activities=keep, controls=current.plan.controlled)

    # -- drift ----------------------------------------------------------------------------
    def start(self) -> Replanner:
        self._thread = threading.Thread(target=self._watch, name="ilrs-replan", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=10)

    def _watch(self) -> None:
        while not self._stop.wait(self.period_s):
            why = self.fault_event()
            why = why and f"fault: {why}"
            if why is None:
                drift = self.drift()
                why = drift and f"drift: {drift}"
            if why is None:
                continue
            with contextlib.suppress(IlrsError):  # refused or nothing to repair: logged
                self.replan(user=PLANNER_USER, body=RepairIn(reason=why[:200]))
                continue
            _log.warning("the repair after a %s failed", why)

    def fault_event(self) -> str | None:
        """A fault the station reported (a PUS-5 event of the twin's scenario faults,
        which the planner's model holds already) since the last look, while a plan is
        current."""
        archive, now_ns = self.desk.ops.archive, self.desk.ops.mission_clock()
        if self._events is None:
            self._events = (now_ns, -1)  # from the start of the watch
        found = None
        while True:
            rows = archive.events(start_ns=self._events[0], after=self._events, limit=100)
            if not rows:
                return found
            self._events = (rows[-1].time_ns, rows[-1].id)
            for e in rows:
                match = _FAULT_EVENT.match(e.message)
                if match and self.desk.current is not None:
                    found = f"{match[1]}: {match[2]}"

    def drift(self) -> str | None:
        """What disagrees with the current plan in the latest housekeeping, once seen in
        ``confirm`` samples in a row (None when nothing does)."""
        current = self.desk.current
        if current is None:
            return None
        plan, latest = current.plan, self.desk.ops.processor.latest
        since_ns = current.record.time_ns  # ground time of the delivery: newer samples only
        received = self.desk.ops.processor.received_ns
        for element, spans in self.desk.driven(plan).items():
            name = f"{element.id}.{'held' if element.role == 'rover' else 'commanded_on'}"
            entry, got_ns = latest.get(name), received.get(name)
            if entry is None or got_ns is None or got_ns < since_ns:
                continue
            t = self._tdb_of(entry[0])
            if t < current.from_tdb_s + self.grace_s:
                continue  # before the version's commands have set the loads
            expected = _planned_state(spans, plan.start_tdb_s, plan.stop_tdb_s, t, self.grace_s)
            if expected is None:
                continue
            on = bool(entry[1]) != (element.role == "rover")
            last_ns, misses = self._seen.get(element.id, (0, 0))
            if entry[0] == last_ns:
                continue
            misses = misses + 1 if on != expected else 0
            self._seen[element.id] = (entry[0], misses)
            if misses >= self.confirm:
                return (f"{element.id} {'on' if on else 'off'} in telemetry, the plan has it "
                        f"{'on' if expected else 'off'}")  # fmt: skip
        return None

    def _tdb_of(self, utc_ns: int) -> float:
        from ilrs.ops.service import ns_to_iso
        from ilrs.plan.horizon import utc_to_tdb

        return utc_to_tdb(ns_to_iso(utc_ns).removesuffix("Z")[:23])


def _planned_state(spans: list[tuple[float, float]], start: float, stop: float, t: float,
                   grace_s: float) -> bool | None:  # fmt: skip
    """On / off as the plan has a load at ``t``; None near a switching time or outside
    the plan."""
    if not start + grace_s <= t <= stop - grace_s:
        return None
    for a, b in spans:
        if a - grace_s <= t <= b + grace_s:
            return True if a + grace_s <= t <= b - grace_s else None
    return False
