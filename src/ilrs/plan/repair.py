"""Repair: after a fault, keep what has run and re-plan the rest (in the manner of CASPER).

The horizon is rebuilt from the twin with the fault (the twin's inputs now show it, e.g.
a degraded array generating less); activities that started before the fault stay as they
were (frozen), instances that had not started may only use slots after it, and the
planners run again: greedy first, its plan as CP-SAT's hint, CP-SAT within a time limit.
"""

from __future__ import annotations

import math
import time

from ilrs.plan.cpsat import plan_cpsat
from ilrs.plan.greedy import plan_greedy
from ilrs.plan.horizon import Horizon
from ilrs.plan.model import ActivitySet
from ilrs.plan.plan import Plan
from ilrs.plan.problem import Candidate, build_problem
from ilrs.station import Twin

__all__ = ["repair"]


def repair(twin: Twin, acts: ActivitySet, plan: Plan, at_tdb_s: float,
           time_limit_s: float = 8.0, initial: dict | None = None) -> Plan:
    """A new version of ``plan`` valid for ``twin`` (which holds the fault) from
    ``at_tdb_s`` on (``initial``: the station's state at the plan's start, as the plan
    was made with); the report gives the time the repair took."""
    t0 = time.perf_counter()
    days = (plan.stop_tdb_s - plan.start_tdb_s) / 86400.0
    horizon = Horizon.from_twin(twin, plan.start_tdb_s, days, acts.slot_s, initial)
    problem = build_problem(acts, horizon)
    cut = math.ceil((at_tdb_s - horizon.start_tdb_s) / horizon.slot_s - 1e-9)
    done = {(a.kind, a.instance): a for a in plan.activities if a.start_tdb_s < at_tdb_s}
    frozen = []
    for j, inst in enumerate(problem.instances):
        a = done.get((inst.type.id, inst.k))
        if a is not None:
            start = round((a.start_tdb_s - horizon.start_tdb_s) / horizon.slot_s)
            dur = round((a.stop_tdb_s - a.start_tdb_s) / horizon.slot_s)
            inst.candidates = [len(problem.candidates)]
            inst.frozen = True
            problem.candidates.append(Candidate(j, start, dur))
            frozen.append(inst.candidates[0])
        else:
            inst.candidates = [ci for ci in inst.candidates
                               if problem.candidates[ci].start >= cut]
    _, chosen = plan_greedy(problem, frozen=frozen)
    left = max(1.0, time_limit_s - (time.perf_counter() - t0))
    new = plan_cpsat(problem, time_limit_s=left, hint=chosen)
    new.version = plan.version + 1
    new.solver["repair"] = {"at_utc": horizon.utc([cut])[0], "frozen": len(frozen),
                            "repair_s": time.perf_counter() - t0}
    return new
