"""The CP-SAT planner (OR-Tools): activities placed on the twin's condition windows.

Model (one Boolean per candidate placement, see :mod:`ilrs.plan.problem`):

- each candidate is an optional fixed-size interval on the slot grid, inside the condition
  windows of its type; at most one candidate per instance;
- ``NoOverlap`` per unary resource (an instrument, a rover, the EVA crew airlock…);
- ``Cumulative`` for bus power (capacity ``rules.bus_power_w``) and for the crew (capacity
  the crew on site; slots with fewer crew are blocked);
- battery energy, discretized per slot: ``E[s+1] ≤ E[s] + η_c·net``, ``E[s+1] ≤ E[s] +
  net/η_d`` (``net`` = generation − base loads − activities), ``E[s+1] ≤ E[s] + η_c ·
  charge_max · Δt``, ``E ≤ capacity``, ``E ≥ soc_min · capacity``;
- the data buffer against the contact windows: ``B[s+1] ≥ B[s] + made − downlink``,
  ``0 ≤ B ≤ buffer_max_fraction · buffer``;
- rolling-window rules (at most N minutes of a resource in any W hours), crew hours per
  day, precedences with min/max separation;
- objective: the summed science value (value per hour × hours) of the placed activities.

The report gives the objective, the best bound and the relative gap, the time, and the
binding constraints (the slots where battery, buffer, bus power or crew sit at their limit,
the rolling windows at their limit and the instances left out).
"""

from __future__ import annotations

import itertools
import math
import time
from collections import defaultdict

import numpy as np

from ilrs.plan.problem import Problem, budgets, to_plan

__all__ = ["plan_cpsat"]

#: Objective scale (value units × 100 as integers).
VALUE_SCALE = 100
#: Efficiencies in thousandths.
ETA_SCALE = 1000


def plan_cpsat(problem: Problem, *, time_limit_s: float = 60.0, gap: float = 0.005,
               workers: int = 1, hint: list[int] | None = None, log: bool = False):
    """Solve ``problem``; returns a :class:`~ilrs.plan.plan.Plan` with a ``solver`` report."""
    from ortools.sat.python import cp_model

    t_build = time.perf_counter()
    m = cp_model.CpModel()
    P, h, rules = problem, problem.horizon, problem.acts.rules
    S = h.n_slots
    cands = P.candidates
    x = [m.NewBoolVar(f"x{i}") for i in range(len(cands))]
    iv = [m.NewOptionalFixedSizeIntervalVar(c.start, c.dur, x[i], f"i{i}")
          for i, c in enumerate(cands)]
    present = []
    for inst in P.instances:
        lits = [x[ci] for ci in inst.candidates]
        p = m.NewBoolVar("")
        m.Add(sum(lits) == p) if lits else m.Add(p == 0)
        if inst.frozen:
            m.Add(p == 1)
        present.append(p)

    def start_expr(inst):
        return sum(cands[ci].start * x[ci] for ci in inst.candidates)

    def end_expr(inst):
        return sum(cands[ci].end * x[ci] for ci in inst.candidates)

    # -- unary resources, bus power, crew ---------------------------------------------------
    by_res = defaultdict(list)
    power_iv, power_d, crew_iv, crew_d = [], [], [], []
    for i, c in enumerate(cands):
        t = P.instances[c.instance].type
        by_res[t.unary].append(iv[i])
        if t.power_w > 0:
            power_iv.append(iv[i])
            power_d.append(round(t.power_w))
        if t.crew:
            crew_iv.append(iv[i])
            crew_d.append(t.crew)
    for ivs in by_res.values():
        m.AddNoOverlap(ivs)
    m.AddCumulative(power_iv, power_d, round(rules.bus_power_w))
    crew_cap = int(h.crew.max()) if S else 0
    if crew_iv:
        for s in np.flatnonzero(h.crew < crew_cap):
            crew_iv.append(m.NewFixedSizeIntervalVar(int(s), 1, ""))
            crew_d.append(int(crew_cap - h.crew[s]))
        m.AddCumulative(crew_iv, crew_d, crew_cap)
    # -- per-slot energy and data of the activities -------------------------------------------
    e_terms = [[] for _ in range(S)]
    d_terms = [[] for _ in range(S)]
    for i, c in enumerate(cands):
        t = P.instances[c.instance].type
        e = P.energy_units_per_slot(t)
        d = P.data_units_per_slot(t)
        for s in range(c.start, c.end):
            if e:
                e_terms[s].append(e * x[i])
            if d:
                d_terms[s].append(d * x[i])
    # -- battery ----------------------------------------------------------------------------
    bud = budgets(P)
    ec, ed = round(h.eta_c * ETA_SCALE), round(h.eta_d * ETA_SCALE)
    e_max = int(np.ceil(rules.bus_power_w * h.slot_s / 3600.0)) + 1
    A = [m.NewIntVar(0, e_max, "") if e_terms[s] else m.NewConstant(0) for s in range(S)]
    for s in range(S):
        if e_terms[s]:
            m.Add(A[s] == sum(e_terms[s]))
    E = [m.NewConstant(bud.e0_wh)]
    for s in range(S):
        lo = int(bud.floor_wh[s])
        nxt = m.NewIntVar(lo, max(lo, int(bud.cap_wh[s])), f"E{s + 1}")
        net = int(bud.gen_wh[s] - bud.base_wh[s]) - A[s]
        m.Add(ETA_SCALE * nxt <= ETA_SCALE * E[s] + ec * net)
        m.Add(ed * nxt <= ed * E[s] + ETA_SCALE * net)
        m.Add(nxt <= E[s] + int(bud.charge_wh[s]))
        E.append(nxt)
    # -- data buffer -----------------------------------------------------------------------------
    bmax = bud.buffer_max
    B = [m.NewConstant(0)]
    for s in range(S):
        nxt = m.NewIntVar(0, bmax, f"B{s + 1}")
        made = sum(d_terms[s]) if d_terms[s] else 0
        m.Add(nxt >= B[s] + int(bud.hk[s] - bud.downlink[s]) + made)
        B.append(nxt)
    # -- rolling windows ---------------------------------------------------------------------------
    slot_min = h.slot_s / 60.0
    occupancy = defaultdict(lambda: [[] for _ in range(S)])
    rules_of = {}
    for i, c in enumerate(cands):
        t = P.instances[c.instance].type
        if t.rolling is None:
            continue
        rules_of[t.unary] = t.rolling
        for s in range(c.start, c.end):
            occupancy[t.unary][s].append(x[i])
    rolling_cons = []
    for res, slots in occupancy.items():
        r = rules_of[res]
        w = max(1, round(r.window_h * 3600.0 / h.slot_s))
        limit = math.floor(r.max_minutes / slot_min + 1e-9)
        occ = [m.NewBoolVar("") if lst else None for lst in slots]
        for o, lst in zip(occ, slots, strict=True):
            if o is not None:
                m.Add(o == sum(lst))       # NoOverlap: at most one activity per slot
        for ws in range(0, max(1, S - w + 1)):
            window = [o for o in occ[ws:ws + w] if o is not None]
            if len(window) > limit:
                m.Add(sum(window) <= limit)
                rolling_cons.append((res, ws, limit, [(1, o) for o in window]))
    # -- crew hours per day ------------------------------------------------------------------------
    day_slots = round(86400.0 / h.slot_s)
    per_day = defaultdict(list)
    for i, c in enumerate(cands):
        t = P.instances[c.instance].type
        if t.crew:
            per_day[c.start // day_slots].append(t.crew * c.dur * x[i])
    crew_day_limit = math.floor(rules.crew_hours_per_day * 3600.0 / h.slot_s) * max(crew_cap, 1)
    for terms in per_day.values():
        m.Add(sum(terms) <= crew_day_limit)
    # -- precedence and symmetry ------------------------------------------------------------------
    by_type = defaultdict(list)
    for j, inst in enumerate(P.instances):
        by_type[inst.type.id].append(j)
    for _tid, idx in by_type.items():
        t = P.instances[idx[0]].type
        if t.after is not None:
            pred = by_type[t.after.activity]
            for j in idx:
                k = P.instances[j].k
                if k >= len(pred):
                    m.Add(present[j] == 0)
                    continue
                a, b = P.instances[pred[k]], P.instances[j]
                m.AddImplication(present[j], present[pred[k]])
                gap_min = math.ceil(t.after.min_gap_h * 3600.0 / h.slot_s)
                m.Add(start_expr(b) >= end_expr(a) + gap_min).OnlyEnforceIf(present[j])
                if t.after.max_gap_h is not None:
                    gap_max = math.floor(t.after.max_gap_h * 3600.0 / h.slot_s)
                    m.Add(start_expr(b) <= end_expr(a) + gap_max).OnlyEnforceIf(present[j])
        for j0, j1 in itertools.pairwise(idx):
            a, b = P.instances[j0], P.instances[j1]
            if (a.release, a.deadline) == (b.release, b.deadline) and not (a.frozen
                                                                            or b.frozen):
                m.AddImplication(present[j1], present[j0])
                m.Add(start_expr(b) >= start_expr(a) + 1).OnlyEnforceIf(present[j1])
    # -- objective ---------------------------------------------------------------------------------
    m.Maximize(sum(round(VALUE_SCALE * P.value(c)) * x[i] for i, c in enumerate(cands)))
    if hint:
        chosen = set(_canonical(P, hint))
        for i in range(len(cands)):
            m.AddHint(x[i], i in chosen)
    build_s = time.perf_counter() - t_build
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit_s)
    solver.parameters.num_workers = int(workers)
    solver.parameters.interleave_search = workers == 1   # LNS and search take turns on one core
    solver.parameters.relative_gap_limit = float(gap)
    solver.parameters.cp_model_probing_level = 0   # probing 20k Booleans costs more than it finds
    solver.parameters.log_search_progress = log
    t0 = time.perf_counter()
    status = solver.Solve(m)
    solve_s = time.perf_counter() - t0
    name = solver.StatusName(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        from ilrs.errors import IlrsError

        raise IlrsError(f"CP-SAT found no plan ({name}) in {time_limit_s:g} s: the frozen "
                        "activities or the horizon's resources admit none")
    chosen = [i for i in range(len(cands)) if solver.BooleanValue(x[i])]
    obj = solver.ObjectiveValue() / VALUE_SCALE
    bound = solver.BestObjectiveBound() / VALUE_SCALE
    e_val = np.array([solver.Value(v) for v in E[1:]])
    b_val = np.array([solver.Value(v) for v in B[1:]])
    report = {
        "planner": "cp-sat", "status": name, "objective": obj, "best_bound": bound,
        "gap": (bound - obj) / bound if bound > 0 else 0.0,
        "time_limit_s": time_limit_s, "build_s": build_s, "solve_s": solve_s,
        "workers": workers, "instances": len(P.instances), "candidates": len(cands),
        "scheduled": len(chosen), "resources": P.resources,
        "binding": _binding(P, chosen, e_val, bud.floor_wh, b_val, bmax, rolling_cons, solver),
    }
    return to_plan(P, chosen, report)


def _binding(P: Problem, chosen, e_wh, floor_wh, b_units, bmax, rolling_cons, solver) -> dict:
    """Which constraints hold the plan back: slots at a limit, instances left out."""
    h, rules = P.horizon, P.acts.rules
    power = np.zeros(h.n_slots)
    crew = np.zeros(h.n_slots)
    for ci in chosen:
        c = P.candidates[ci]
        t = P.instances[c.instance].type
        power[c.start:c.end] += t.power_w
        crew[c.start:c.end] += t.crew
    cap_wh = h.cap_j / 3600.0
    left = defaultdict(int)
    placed = {P.candidates[ci].instance for ci in chosen}
    for j, inst in enumerate(P.instances):
        if j not in placed:
            left[inst.type.id] += 1
    at_rolling = sum(1 for _, _, limit, lst in rolling_cons
                     if sum(ov * solver.Value(v) for ov, v in lst) >= limit)
    return {
        "battery_floor_slots": int(np.count_nonzero(e_wh <= floor_wh + 0.01 * cap_wh)),
        "battery_full_slots": int(np.count_nonzero(e_wh >= 0.99 * cap_wh)),
        "buffer_at_limit_slots": int(np.count_nonzero(b_units >= 0.99 * bmax)),
        "bus_power_at_limit_slots": int(np.count_nonzero(power >= 0.99 * rules.bus_power_w)),
        "crew_at_limit_slots": int(np.count_nonzero((h.crew > 0) & (crew >= h.crew))),
        "rolling_windows_at_limit": at_rolling,
        "instances_left_out": dict(sorted(left.items())),
    }


def _canonical(P: Problem, chosen: list[int]) -> list[int]:
    """The same placements with identical instances (same type and window) taken in order
    of start, as the model's symmetry breaking wants them."""
    where = {(c.instance, c.start, c.dur): i for i, c in enumerate(P.candidates)}
    groups = defaultdict(list)
    for j, inst in enumerate(P.instances):
        groups[(inst.type.id, inst.release, inst.deadline, inst.frozen)].append(j)
    by_inst = {P.candidates[ci].instance: ci for ci in chosen}
    out = []
    for members in groups.values():
        picks = sorted((P.candidates[by_inst[j]] for j in members if j in by_inst),
                       key=lambda c: c.start)
        for j, c in zip(members, picks, strict=False):
            ci = where.get((j, c.start, c.dur))
            out.append(ci if ci is not None else by_inst[c.instance])
    return out
