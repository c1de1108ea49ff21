"""The greedy baseline: place instances one by one, most valuable type first.

For each instance (types in a fixed order, a precedence's predecessor before its
successor) the candidates are tried longest first, earliest first, and the first that keeps
every constraint of the CP-SAT model (unary resources, bus power, crew, rolling windows,
crew hours per day, precedences, battery floor and buffer limit — the same integer budgets)
is kept. Never revisits a choice: the peer CP-SAT has to beat on the same objective.

Two orders are tried and the better plan kept: types by value per hour (right when time,
instruments and crew bind) and by value per watt-hour of their load over the horizon
(right when the battery binds: the seismometer's 20 per kWh before the laboratory's 3).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict

import numpy as np

from ilrs.plan import _kernels as kern
from ilrs.plan.problem import Problem, budgets, exclusions, to_plan

__all__ = ["plan_greedy", "type_order"]


#: The greedy's type orders: by value per hour, by value per watt-hour.
ORDERS = ("hour", "energy")


def type_order(problem: Problem, by: str = "hour") -> list[str]:
    """Type ids by value per hour (``by="hour"``) or per watt-hour of their load over the
    horizon (``"energy"``; a type drawing nothing first), each precedence's predecessor
    first."""
    if by not in ORDERS:
        raise ValueError(f"greedy order {by!r}: expected one of {ORDERS}")

    def key(t) -> float:
        if by == "hour":
            return -t.value_per_h
        wh_per_h = float(problem.energy_units(t).mean()) * 3600.0 / problem.horizon.slot_s \
            if problem.horizon.n_slots else 0.0
        return -t.value_per_h / wh_per_h if wh_per_h > 0 else -math.inf

    types = sorted(problem.acts.activities, key=key)
    order: list[str] = []

    def put(t):
        if t.id in order:
            return
        if t.after is not None:
            put(problem.acts.by_id(t.after.activity))
        order.append(t.id)

    for t in types:
        put(t)
    return order


def plan_greedy(problem: Problem, frozen: list[int] | None = None,
                prefer: list[int] | None = None,
                rolling_before: dict[str, np.ndarray] | None = None,
                orders: tuple[str, ...] = ORDERS):
    """A feasible plan by greedy insertion; ``frozen`` candidates are placed first, as they
    are, then each of ``prefer`` that still fits (a repair keeps what it can of the plan).
    ``rolling_before``: per unary resource with a rolling rule, the share of each slot it
    was used in the slots just before the horizon (last one last: what ran before a
    re-plan), counted in the rule's windows that reach back before the horizon. Each of
    ``orders`` (see :func:`type_order`) is tried; the most valuable plan is returned (the
    first on a tie), with the order it came from in its report."""
    t0 = time.perf_counter()
    best = None
    for by in orders:
        chosen = _insert(problem, frozen, prefer, rolling_before, by)
        value = sum(problem.value(problem.candidates[ci]) for ci in chosen)
        if best is None or value > best[0] + 1e-9:
            best = (value, chosen, by)
    value, chosen, by = best
    P = problem
    report = {"planner": "greedy", "objective": value, "solve_s": time.perf_counter() - t0,
              "order": by, "instances": len(P.instances), "candidates": len(P.candidates),
              "scheduled": len(chosen), "resources": P.resources}
    return to_plan(P, chosen, report), chosen


def _insert(problem: Problem, frozen, prefer, rolling_before, by: str) -> list[int]:
    """The candidates one greedy pass in type order ``by`` keeps."""
    P, h, rules = problem, problem.horizon, problem.acts.rules
    bud = budgets(P)
    S = h.n_slots
    busy: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(S, bool))
    kind_busy: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(S, bool))
    excluded: dict[str, list[str]] = defaultdict(list)
    for x, y in exclusions(P.acts):
        excluded[x].append(y)
        excluded[y].append(x)
    power = np.zeros(S)
    crew = np.zeros(S)
    act_e = np.zeros(S, np.int64)
    act_d = np.zeros(S)
    rolling_min: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(S))
    day_slots = round(86400.0 / h.slot_s)
    crew_day = defaultdict(float)
    crew_cap = int(h.crew.max()) if S else 0
    crew_day_limit = math.floor(rules.crew_hours_per_day * 3600.0 / h.slot_s) * max(crew_cap, 1)
    slot_min = h.slot_s / 60.0
    ends: dict[str, list[int]] = defaultdict(list)   # end slots of each type's placements
    chosen: list[int] = []

    def fits(ci: int) -> bool:
        c = P.candidates[ci]
        t = P.instances[c.instance].type
        a, b = c.start, c.end
        if busy[t.unary][a:b].any():
            return False
        if any(kind_busy[o][a:b].any() for o in excluded[t.id]):
            return False
        if (power[a:b] + P.power_w(t) > rules.bus_power_w + 1e-9).any():
            return False
        if t.crew and ((crew[a:b] + t.crew > h.crew[a:b]).any()
                       or crew_day[a // day_slots] + t.crew * c.dur > crew_day_limit):
            return False
        if t.rolling is not None:
            w = max(1, round(t.rolling.window_h * 3600.0 / h.slot_s))
            limit = math.floor(t.rolling.max_minutes / slot_min + 1e-9)
            lo, hi = a - w + 1, min(S, b + w - 1)
            local = rolling_min[t.unary][max(0, lo):hi].copy()
            if lo < 0:       # the window reaches back before the horizon
                before = np.zeros(-lo)
                past = (rolling_before or {}).get(t.unary)
                if past is not None and past.size:
                    tail = np.asarray(past, float)[-before.size:]
                    before[before.size - tail.size:] = tail
                local = np.concatenate([before, local])
            local[a - lo:b - lo] += 1
            sums = np.convolve(local, np.ones(w), mode="valid")
            if sums.size and sums.max() > limit + 1e-9:
                return False
        if t.after is not None:
            lo = math.ceil(t.after.min_gap_h * 3600.0 / h.slot_s)
            hi = (math.inf if t.after.max_gap_h is None
                  else math.floor(t.after.max_gap_h * 3600.0 / h.slot_s))
            if not any(pend + lo <= a <= pend + hi for pend in ends[t.after.activity]):
                return False
        e = act_e.copy()
        e[a:b] += P.energy_units(t)[a:b]
        # the CP-SAT model's own integer recurrence (its floor divisions lose up to 1 Wh
        # a slot against the float one): a greedy plan is always a feasible CP-SAT hint
        energy, _, _ = bud.energy_rounded(e)
        if (energy < bud.floor_wh).any():
            return False
        d = act_d.copy()
        d[a:b] += P.data_units(t)[a:b]
        data = kern.buffer_units(bud.hk, d, bud.downlink, bud.b0)
        return not (data > bud.buffer_limit + 1e-6).any()

    def take(ci: int) -> None:
        c = P.candidates[ci]
        inst = P.instances[c.instance]
        t = inst.type
        a, b = c.start, c.end
        busy[t.unary][a:b] = True
        kind_busy[t.id][a:b] = True
        power[a:b] += P.power_w(t)
        crew[a:b] += t.crew
        crew_day[a // day_slots] += t.crew * c.dur
        act_e[a:b] += P.energy_units(t)[a:b]
        act_d[a:b] += P.data_units(t)[a:b]
        if t.rolling is not None:
            rolling_min[t.unary][a:b] += 1
        ends[t.id].append(c.end)
        chosen.append(ci)

    for ci in frozen or ():
        take(ci)
    for ci in prefer or ():
        if fits(ci):
            take(ci)
    done = {P.candidates[ci].instance for ci in chosen}
    rank = {tid: r for r, tid in enumerate(type_order(P, by))}
    order = sorted((j for j in range(len(P.instances)) if j not in done),
                   key=lambda j: (rank[P.instances[j].type.id], j))
    for j in order:
        cands = sorted(P.instances[j].candidates,
                       key=lambda ci: (-P.candidates[ci].dur, P.candidates[ci].start))
        for ci in cands:
            if fits(ci):
                take(ci)
                break
    return chosen
