"""Repair: after a fault, keep what has run and re-plan the rest (in the manner of CASPER).

Fast by construction, within ``time_limit_s`` of wall time:

1. the horizon is rebuilt from the twin with the fault (its inputs now show it, e.g. a
   degraded array generating less) and the problem on it (well under a second);
2. activities that started before the fault stay as they ran (frozen); instances that
   had not started may only use slots after it;
3. a greedy repair keeps every planned placement after the fault that still fits, in
   the plan's order (what the fault does not touch stays where it was, so its commands
   on board stay valid), then fills what is left greedily (a few tenths of a second);
4. CP-SAT improves that plan by time windows from the fault on, each window small and
   its own time-limited model (:func:`ilrs.plan.cpsat.improve_windows`), until the time
   left runs out — the whole 14-day model is never built, and the repaired plan is
   feasible at every step, so stopping early only costs value.
"""

from __future__ import annotations

import math
import time

from ilrs.plan.cpsat import improve_windows
from ilrs.plan.greedy import plan_greedy
from ilrs.plan.horizon import Horizon
from ilrs.plan.model import ActivitySet
from ilrs.plan.plan import Plan
from ilrs.plan.problem import Candidate, Problem, build_problem, to_plan
from ilrs.station import Twin

__all__ = ["repair"]

#: A CP-SAT window of a repair gets at most this long (s): several windows after the
#: fault rather than one long solve.
WINDOW_S = 1.5
#: Kept back from the time limit for turning the choice into a plan (s).
MARGIN_S = 0.2


def repair(twin: Twin, acts: ActivitySet, plan: Plan, at_tdb_s: float,
           time_limit_s: float = 5.0, initial: dict | None = None) -> Plan:
    """A new version of ``plan`` valid for ``twin`` (which holds the fault) from
    ``at_tdb_s`` on (``initial``: the station's state at the plan's start, as the plan
    was made with), found within ``time_limit_s`` of wall time; its report gives what was
    kept, moved and dropped and the time the repair took."""
    t0 = time.perf_counter()
    days = (plan.stop_tdb_s - plan.start_tdb_s) / 86400.0
    horizon = Horizon.from_twin(twin, plan.start_tdb_s, days, acts.slot_s, initial)
    problem = build_problem(acts, horizon)
    # the first slot from the fault on (TDB − UTC wobbles by milliseconds: a fault at a
    # slot's UTC boundary is at that boundary)
    cut = math.ceil((at_tdb_s - horizon.start_tdb_s - 1.0) / horizon.slot_s)
    frozen, planned = _pin(problem, plan, at_tdb_s, cut)
    _, chosen = plan_greedy(problem, frozen=frozen, prefer=planned)
    greedy_value = _value(problem, chosen)
    chosen, value, lns = improve_windows(
        problem, chosen, stop_at=t0 + time_limit_s - MARGIN_S, window_s=WINDOW_S,
        first_slot=cut)
    kept = len(set(planned) & set(chosen))
    report = {
        "planner": "repair", "status": "FEASIBLE", "objective": value,
        "best_bound": None, "gap": None, "time_limit_s": time_limit_s,
        "window_lns": lns, "instances": len(problem.instances),
        "candidates": len(problem.candidates), "scheduled": len(chosen),
        "resources": problem.resources,
        "repair": {"at_utc": horizon.utc([cut])[0], "frozen": len(frozen),
                   "kept": kept, "planned_after": len(planned),
                   "greedy_value": greedy_value, "value_before": plan.value}}
    new = to_plan(problem, chosen, report)
    new.version = plan.version + 1
    new.solver["repair"]["repair_s"] = time.perf_counter() - t0
    return new


def _value(problem: Problem, chosen: list[int]) -> float:
    return sum(problem.value(problem.candidates[ci]) for ci in chosen)


def _pin(problem: Problem, plan: Plan, at_tdb_s: float, cut: int
         ) -> tuple[list[int], list[int]]:
    """Freeze in ``problem`` the activities of ``plan`` that started before ``at_tdb_s``,
    restrict the other instances to slots from ``cut`` on, and return (the frozen
    candidates, the candidates of the plan's later activities that are still candidates,
    in the plan's order of start)."""
    h = problem.horizon
    by_key = {(a.kind, a.instance): a for a in plan.activities}
    frozen, planned = [], []
    for j, inst in enumerate(problem.instances):
        a = by_key.get((inst.type.id, inst.k))
        slots = None
        if a is not None:    # its slots (a run may start / end inside one: head, tail)
            start = math.floor((a.start_tdb_s - h.start_tdb_s) / h.slot_s + 1e-6)
            end = math.ceil((a.stop_tdb_s - h.start_tdb_s) / h.slot_s - 1e-6)
            head = round(a.start_tdb_s - float(h.slot_tdb_s(start)), 3)
            tail = round(float(h.slot_tdb_s(end)) - a.stop_tdb_s, 3)
            slots = (start, end - start, head, tail)
        if a is not None and a.start_tdb_s < at_tdb_s:
            inst.candidates = [len(problem.candidates)]
            inst.frozen = True
            problem.candidates.append(Candidate(j, *slots))
            frozen.append(inst.candidates[0])
            continue
        inst.candidates = [ci for ci in inst.candidates if problem.candidates[ci].start >= cut]
        if a is not None:
            same = [ci for ci in inst.candidates if _slots(problem.candidates[ci]) == slots]
            planned += same[:1]
    planned.sort(key=lambda ci: problem.candidates[ci].start)
    return frozen, planned


def _slots(c: Candidate) -> tuple[int, int, float, float]:
    return (c.start, c.dur, round(c.head_s, 3), round(c.tail_s, 3))
