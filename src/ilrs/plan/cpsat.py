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
  day, precedences with min/max separation (after some scheduled instance of the other type);
- objective: the summed science value (value per hour × hours) of the placed activities.

The report gives the objective, the best bound and the relative gap, the time, and the
binding constraints (the slots where battery, buffer, bus power or crew sit at their limit,
the rolling windows at their limit and the instances left out).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections import defaultdict

import numpy as np

from ilrs.plan.greedy import plan_greedy
from ilrs.plan.hint import add_hint, binding, canonical, needed
from ilrs.plan.problem import ETA_SCALE, Problem, budgets, exclusions, groups, to_plan

__all__ = ["improve_groups", "improve_windows", "plan_cpsat"]

#: Objective scale (value units × 100 as integers).
VALUE_SCALE = 100
#: The time windows end at this share of the time limit, the group neighbourhoods at the
#: next; the whole model has what is left (its bound gives the gap).
WINDOW_END = 0.45
GROUP_END = 0.85
#: A window's relative gap limit: of the whole plan's value (a window changes a few
#: percent of it, so 0.5 % would stop a window before it improves anything).
WINDOW_GAP = 0.0005


def plan_cpsat(problem: Problem, *, time_limit_s: float = 60.0, gap: float = 0.005,
               workers: int = 1, hint: list[int] | None = None, log: bool = False,
               window_days: float = 2.0):
    """Solve ``problem`` within ``time_limit_s``; returns a :class:`~ilrs.plan.plan.Plan`
    with a ``solver`` report.

    Starting from ``hint`` (default: the greedy plan), CP-SAT first re-optimizes
    half-overlapping windows of a day, then of ``window_days``, with everything outside
    fixed (a large neighbourhood search by time window, each window's model small enough
    for one core), then each group of coupled activity types over the whole horizon with
    every other placement fixed (:func:`improve_groups`: a crew's work between days),
    then solves the whole model from the result for what time is left: that run gives the
    best bound, hence the gap (``None`` if it could not start in the time left).
    """
    t0 = time.perf_counter()
    incumbent = list(hint) if hint is not None else plan_greedy(problem)[1]
    value = sum(problem.value(problem.candidates[ci]) for ci in incumbent)
    lns = {"windows": 0, "improved": 0, "passes": 0}
    # windows of a day (many small models: a day's crew hours, a day's drives) and of
    # ``window_days`` (energy moved between days), each scale until a pass finds nothing
    # better, the first for at most half the time of the search: the longer windows first
    # where the battery binds, the day windows first where it cannot
    scales = sorted({min(1.0, window_days), window_days},
                    reverse=needed(problem, budgets(problem))[0])
    for k, days in enumerate(scales):
        width = max(2, round(days * 86400.0 / problem.horizon.slot_s))
        if problem.horizon.n_slots <= width:
            continue
        share = (k + 1) / len(scales)
        incumbent, value, more = improve_windows(
            problem, incumbent, stop_at=t0 + WINDOW_END * time_limit_s * share,
            window_s=max(2.0, 0.06 * time_limit_s) * days / window_days, gap=gap,
            workers=workers, window_days=days)
        lns = {name: lns[name] + more[name] for name in lns}
    # then each group of coupled types over the whole horizon (a crew's work moves between
    # days, which no day window sees)
    incumbent, value, by_group = improve_groups(
        problem, incumbent, stop_at=t0 + GROUP_END * time_limit_s, workers=workers)
    lns |= {"groups": by_group["groups"], "groups_improved": by_group["improved"]}
    left = time_limit_s - (time.perf_counter() - t0)
    # the whole model only with a second left (the limit is a limit: a repair has 10 s)
    final = _solve(problem, left, gap, workers, incumbent, log) if left >= 1.0 else None
    if final is None or final["objective"] < value - 1e-6:
        final = {"status": "FEASIBLE", "objective": value, "best_bound": None, "gap": None,
                 "chosen": incumbent, "binding": binding(problem, incumbent),
                 "solve_s": 0.0, "build_s": 0.0}
    chosen = final.pop("chosen")
    report = {"planner": "cp-sat", **final, "time_limit_s": time_limit_s,
              "wall_s": time.perf_counter() - t0, "workers": workers,
              "window_lns": lns, "instances": len(problem.instances),
              "candidates": len(problem.candidates), "scheduled": len(chosen),
              "resources": problem.resources}
    return to_plan(problem, chosen, report)


def improve_windows(problem: Problem, incumbent: list[int], *, stop_at: float,
                    window_s: float, gap: float = 0.005, workers: int = 1,
                    window_days: float = 2.0, first_slot: int = 0,
                    passes: int | None = None) -> tuple[list[int], float, dict]:
    """Large neighbourhood search by time window: re-optimize half-overlapping windows of
    ``window_days`` from ``first_slot`` on with everything outside them fixed to
    ``incumbent`` (a feasible choice), each within ``window_s``, pass after pass while one
    improves, until ``stop_at`` (``time.perf_counter()``; no window starts with less than
    half a second left). Returns the best choice, its value and counts of the search."""
    h = problem.horizon
    value = sum(problem.value(problem.candidates[ci]) for ci in incumbent)
    width = max(2, round(window_days * 86400.0 / h.slot_s))
    starts = range(first_slot, max(first_slot + 1, h.n_slots - width // 2), width // 2)
    lns = {"windows": 0, "improved": 0, "passes": 0}
    improved = True
    while improved and (passes is None or lns["passes"] < passes) \
            and time.perf_counter() < stop_at:
        improved = False
        lns["passes"] += 1
        for w0 in starts:
            left = stop_at - time.perf_counter()
            if left <= 0.5:
                break
            sub, back, sub_hint = _window(problem, incumbent, w0, w0 + width)
            res = _solve(sub, min(left, window_s), WINDOW_GAP, workers, sub_hint, log=False)
            lns["windows"] += 1
            if res is not None and res["objective"] > value + 1e-6:
                incumbent = [back[i] for i in res["chosen"]]
                value = res["objective"]
                lns["improved"] += 1
                improved = True
    return incumbent, value, lns


def _window(P: Problem, incumbent: list[int], w0: int, w1: int):
    """The problem with every placement outside slots [w0, w1) fixed to ``incumbent``:
    (sub-problem, sub candidate -> candidate of ``P``, the incumbent in the sub-problem)."""
    def free(inst, ci):
        if ci is not None and not (P.candidates[ci].start >= w0 and P.candidates[ci].end <= w1):
            return None
        return [c for c in inst.candidates
                if P.candidates[c].start >= w0 and P.candidates[c].end <= w1]

    return _neighbourhood(P, incumbent, free)


def _group(P: Problem, incumbent: list[int], types: tuple[str, ...]):
    """The problem with every placement of a type outside ``types`` fixed to
    ``incumbent``, the group's free over the whole horizon (as :func:`_window`)."""
    return _neighbourhood(P, incumbent, lambda inst, ci: list(inst.candidates)
                          if inst.type.id in types else None)


def _neighbourhood(P: Problem, incumbent: list[int], free):
    """``P`` with each instance either free (``free(instance, its incumbent candidate or
    None)`` gives the candidates it keeps) or, where that is None, fixed to ``incumbent``;
    an instance already executed stays fixed."""
    placed = {P.candidates[ci].instance: ci for ci in incumbent}
    cands, back, hint, insts = [], [], [], []
    for j, inst in enumerate(P.instances):
        ci = placed.get(j)
        keep = None if inst.frozen else free(inst, ci)
        fixed = keep is None
        if fixed:
            keep = [ci] if ci is not None else []
        new = dataclasses.replace(inst, candidates=[],
                                  frozen=inst.frozen or (fixed and ci is not None))
        for c in keep:
            new.candidates.append(len(cands))
            if c == ci:
                hint.append(len(cands))
            cands.append(dataclasses.replace(P.candidates[c], instance=j))
            back.append(c)
        insts.append(new)
    return Problem(P.acts, P.horizon, insts, cands), back, hint


def improve_groups(problem: Problem, incumbent: list[int], *, stop_at: float,
                   workers: int = 1) -> tuple[list[int], float, dict]:
    """Large neighbourhood search by activity group (:func:`groups`): each group of two
    or more types re-optimized over the whole horizon with every other placement fixed to
    ``incumbent`` (the crew's work, which windows of a day see only a day of), largest
    first, until ``stop_at``. Returns the best choice, its value and counts."""
    value = sum(problem.value(problem.candidates[ci]) for ci in incumbent)
    counts = {"groups": 0, "improved": 0}
    by_size = sorted((g for g in groups(problem) if len(g) > 1), key=len, reverse=True)
    for g in by_size:
        left = stop_at - time.perf_counter()
        if left <= 0.5:
            break
        sub, back, sub_hint = _group(problem, incumbent, g)
        res = _solve(sub, left, WINDOW_GAP, workers, sub_hint, log=False)
        counts["groups"] += 1
        if res is not None and res["objective"] > value + 1e-6:
            incumbent = [back[i] for i in res["chosen"]]
            value = res["objective"]
            counts["improved"] += 1
    return incumbent, value, counts


def _solve(problem: Problem, time_limit_s: float, gap: float, workers: int,
           hint: list[int] | None, log: bool) -> dict | None:
    """One CP-SAT run of the whole model of ``problem`` within ``time_limit_s`` (building
    the model included); ``None`` if it found nothing."""
    from ortools.sat.python import cp_model

    t_build = time.perf_counter()
    m = cp_model.CpModel()
    P, h, rules = problem, problem.horizon, problem.acts.rules
    S = h.n_slots
    cands = P.candidates
    x = [m.NewBoolVar(f"x{i}") for i in range(len(cands))]
    iv = [m.NewOptionalFixedSizeIntervalVar(c.start, c.dur, x[i], f"i{i}")
          for i, c in enumerate(cands)]
    used = {ci for inst in P.instances for ci in inst.candidates}
    for i in range(len(cands)):
        if i not in used:          # dropped from its instance (e.g. before a repair)
            m.Add(x[i] == 0)
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
        if P.power_w(t) > 0:
            power_iv.append(iv[i])
            power_d.append(math.ceil(P.power_w(t)))
        if t.crew:
            crew_iv.append(iv[i])
            crew_d.append(t.crew)
    for ivs in by_res.values():
        m.AddNoOverlap(ivs)
    by_kind = defaultdict(list)
    for i, c in enumerate(cands):
        by_kind[P.instances[c.instance].type.id].append(iv[i])
    for a, b in exclusions(P.acts):        # multi-resource: a type against another
        if by_kind[a] and by_kind[b]:
            m.AddNoOverlap(by_kind[a] + by_kind[b])
    m.AddCumulative(power_iv, power_d, round(rules.bus_power_w))
    crew_cap = int(h.crew.max()) if S else 0
    if crew_iv:
        for s in np.flatnonzero(h.crew < crew_cap):
            crew_iv.append(m.NewFixedSizeIntervalVar(int(s), 1, ""))
            crew_d.append(int(crew_cap - h.crew[s]))
        m.AddCumulative(crew_iv, crew_d, crew_cap)
    # -- per-slot energy and data of the activities -------------------------------------------
    bud = budgets(P)
    need_e, need_d = needed(P, bud)
    e_terms = [[] for _ in range(S)]
    d_terms = [[] for _ in range(S)]
    for i, c in enumerate(cands):
        t = P.instances[c.instance].type
        e = P.energy_units(t)
        d = P.data_units(t)
        for s in range(c.start, c.end):
            if e[s] and need_e:
                e_terms[s].append(int(e[s]) * x[i])
            if d[s] and need_d:
                d_terms[s].append(int(d[s]) * x[i])
    # -- battery (only if some choice could take it below its floor) --------------------------
    ec, ed = round(h.eta_c * ETA_SCALE), round(h.eta_d * ETA_SCALE)
    e_max = sum(int(P.energy_units(t).max(initial=0)) for t in P.acts.activities) + 1
    A = [m.NewIntVar(0, e_max, "") for s in range(S)] if need_e else []
    for s in range(len(A)):
        m.Add(A[s] == sum(e_terms[s]))
    E = [m.NewConstant(bud.e0_wh)]
    fuel = bud.fc0_wh > 0 and bud.fc_max_wh.max(initial=0) > 0
    fcv: dict[str, list] = {"on": [], "low": [], "high": [], "keep": [], "D": [], "M": [],
                            "F": [], "H": [m.NewConstant(int(bud.fc0_wh))]}
    for s in range(len(A)):
        lo = int(bud.floor_wh[s])
        nxt = m.NewIntVar(lo, max(lo, int(bud.cap_wh[s])), f"E{s + 1}")
        net = int(bud.gen_wh[s] - bud.base_wh[s]) - A[s]
        if fuel:
            net = net + _fuel_cell(m, bud, fcv, E[s], net, s)
        m.Add(ETA_SCALE * nxt <= ETA_SCALE * E[s] + ec * net)
        m.Add(ed * nxt <= ed * E[s] + ETA_SCALE * net)
        m.Add(nxt <= E[s] + int(bud.charge_wh[s]))
        E.append(nxt)
    # -- data buffer (likewise) ---------------------------------------------------------------
    B = [m.NewConstant(bud.b0)]
    for s in range(S if need_d else 0):
        nxt = m.NewIntVar(0, int(bud.buffer_limit[s]), f"B{s + 1}")
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
    occ_vars = []
    for res, slots in occupancy.items():
        r = rules_of[res]
        w = max(1, round(r.window_h * 3600.0 / h.slot_s))
        limit = math.floor(r.max_minutes / slot_min + 1e-9)
        occ = [m.NewBoolVar("") if lst else None for lst in slots]
        occ_vars.append((occ, slots))
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
    prec = []
    for _tid, idx in by_type.items():
        t = P.instances[idx[0]].type
        if t.after is not None:
            preds = [i for i in by_type.get(t.after.activity, []) if P.instances[i].candidates]
            gap_min = math.ceil(t.after.min_gap_h * 3600.0 / h.slot_s)
            gap_max = (None if t.after.max_gap_h is None
                       else math.floor(t.after.max_gap_h * 3600.0 / h.slot_s))
            for j in idx:
                b = P.instances[j]
                follows = [m.NewBoolVar("") for _ in preds]
                prec.append((j, list(zip(follows, preds, strict=True)), gap_min, gap_max))
                m.Add(sum(follows) == present[j])
                for y, i in zip(follows, preds, strict=True):
                    a = P.instances[i]
                    m.AddImplication(y, present[i])
                    m.Add(start_expr(b) >= end_expr(a) + gap_min).OnlyEnforceIf(y)
                    if gap_max is not None:
                        m.Add(start_expr(b) <= end_expr(a) + gap_max).OnlyEnforceIf(y)
        for j0, j1 in itertools.pairwise(idx):
            a, b = P.instances[j0], P.instances[j1]
            if (a.release, a.deadline) == (b.release, b.deadline) and not (a.frozen
                                                                            or b.frozen):
                m.AddImplication(present[j1], present[j0])
                m.Add(start_expr(b) >= start_expr(a) + 1).OnlyEnforceIf(present[j1])
    # -- objective ---------------------------------------------------------------------------------
    # values rounded up (a run of part of a slot is worth a fraction): the bound on the
    # model's objective is then a bound on the plans' true values too
    m.Maximize(sum(math.ceil(VALUE_SCALE * P.value(c) - 1e-6) * x[i]
                   for i, c in enumerate(cands)))
    if hint:
        add_hint(m, P, canonical(P, hint), x, present, A, E, B, bud, fcv,
                  {"occ": occ_vars, "prec": prec})
    build_s = time.perf_counter() - t_build
    solver = cp_model.CpSolver()
    # the limit is wall time from the call: building the model counts against it
    solver.parameters.max_time_in_seconds = float(max(0.1, time_limit_s - build_s))
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
        return None
    chosen = [i for i in range(len(cands)) if solver.BooleanValue(x[i])]
    obj = sum(P.value(cands[i]) for i in chosen)      # the true value, not the rounded
    bound = max(obj, solver.BestObjectiveBound() / VALUE_SCALE)
    at_rolling = sum(1 for _, _, limit, lst in rolling_cons
                     if sum(ov * solver.Value(v) for ov, v in lst) >= limit)
    return {"status": name, "objective": obj, "best_bound": bound,
            "redundant": [n for n, need in (("battery", need_e), ("buffer", need_d))
                          if not need],
            "gap": (bound - obj) / bound if bound > 0 else 0.0,
            "build_s": build_s, "solve_s": solve_s, "chosen": chosen,
            "binding": {**binding(P, chosen), "rolling_windows_at_limit": at_rolling}}


def _fuel_cell(m, bud, v: dict, e, net, s: int):
    """The fuel cell in slot ``s`` as the twin's FDIR runs it: on below ``fc_on`` (battery
    energy ``e`` at the slot's start), still on until above ``fc_off``, off once the tanks
    are empty; while on it serves the whole deficit (``-net``), at most ``fc_max``.
    Returns the slot's fuel-cell energy (a variable of ``m``); the variables go to ``v``."""
    big = int(bud.fc_max_wh[s])
    tank = int(bud.fc0_wh)
    on, low, high, keep = (m.NewBoolVar(f"{n}{s}") for n in ("fc", "low", "high", "keep"))
    m.Add(e <= int(bud.fc_on_wh[s]) - 1).OnlyEnforceIf(low)
    m.Add(e >= int(bud.fc_on_wh[s])).OnlyEnforceIf(low.Not())
    m.Add(e >= int(bud.fc_off_wh[s]) + 1).OnlyEnforceIf(high)
    m.Add(e <= int(bud.fc_off_wh[s])).OnlyEnforceIf(high.Not())
    was = v["on"][-1] if v["on"] else (m.NewConstant(1) if bud.fc_on0 else m.NewConstant(0))
    m.AddBoolAnd([was, high.Not()]).OnlyEnforceIf(keep)
    m.AddBoolOr([was.Not(), high]).OnlyEnforceIf(keep.Not())
    m.AddBoolOr([low, keep]).OnlyEnforceIf(on)
    m.AddImplication(low, on)
    m.AddImplication(keep, on)
    deficit = m.NewIntVar(0, 10 ** 7, f"D{s}")
    m.AddMaxEquality(deficit, [0, -net])
    serve = m.NewIntVar(0, big, f"M{s}")
    m.AddMinEquality(serve, [deficit, big, v["H"][-1]])
    f = m.NewIntVar(0, big, f"F{s}")
    m.Add(f == serve).OnlyEnforceIf(on)
    m.Add(f == 0).OnlyEnforceIf(on.Not())
    h = m.NewIntVar(0, tank, f"H{s + 1}")
    m.Add(h == v["H"][-1] - f)
    for name, var in (("on", on), ("low", low), ("high", high), ("keep", keep),
                      ("D", deficit), ("M", serve), ("F", f), ("H", h)):
        v[name].append(var)
    return f
