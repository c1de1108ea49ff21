"""What CP-SAT is given and reports beside its model (:mod:`ilrs.plan.cpsat`): which
resource constraints can bind at all, a complete hint from a feasible choice, and the
constraints a plan sits at.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from ilrs.plan import _kernels as kern
from ilrs.plan.problem import Problem, budgets

__all__ = ["add_hint", "binding", "canonical", "needed"]


def needed(P: Problem, bud) -> tuple[bool, bool]:
    """Whether the battery and the buffer constraints can bind at all: each instance's
    candidates may draw, in a slot, at most the most any of them draws there, and all the
    activities together at most the science bus (plus 1 Wh of rounding each); if even that
    never takes the battery below its floor (with the fuel cell off throughout: less draw
    then only raises the battery) the battery's constraints are redundant, and likewise
    the buffer's if every instance's most data never fills it. Dropping what cannot bind
    makes the model far smaller where power or data are plentiful (a crewed visit in
    polar day) and changes no solution."""
    h = P.horizon
    S = h.n_slots
    e_most = np.zeros(S, np.int64)
    d_most = np.zeros(S, np.int64)
    for inst in P.instances:
        if not inst.candidates:
            continue
        cover = np.zeros(S + 1, np.int64)
        for ci in inst.candidates:
            c = P.candidates[ci]
            cover[c.start] += 1
            cover[c.end] -= 1
        on = np.cumsum(cover[:S]) > 0
        e_most += on * P.energy_units(inst.type)
        d_most += on * P.data_units(inst.type)
    unary = len({i.type.unary for i in P.instances})
    bus = math.floor(P.acts.rules.bus_power_w * h.slot_s / 3600.0) + unary
    energy, _, fc_on = bud.energy_rounded(np.minimum(e_most, bus))
    need_e = bool((energy < bud.floor_wh).any() or fc_on.any())
    data = kern.buffer_units(bud.hk, d_most.astype(float), bud.downlink, bud.b0)
    need_d = bool((data > bud.buffer_limit).any())
    return need_e, need_d


def binding(P: Problem, chosen) -> dict:
    """Which constraints hold the plan back: slots at a limit, instances left out."""
    h, rules = P.horizon, P.acts.rules
    bud = budgets(P)
    S = h.n_slots
    power = np.zeros(S)
    crew = np.zeros(S)
    act_e = np.zeros(S)
    act_d = np.zeros(S)
    for ci in chosen:
        c = P.candidates[ci]
        t = P.instances[c.instance].type
        power[c.start:c.end] += P.power_w(t)
        crew[c.start:c.end] += t.crew
        act_e[c.start:c.end] += P.energy_units(t)[c.start:c.end]
        act_d[c.start:c.end] += P.data_units(t)[c.start:c.end]
    e_wh = bud.energy(act_e)
    b_units = kern.buffer_units(bud.hk, act_d, bud.downlink, bud.b0)
    cap_wh = h.cap_j / 3600.0
    left = defaultdict(int)
    placed = {P.candidates[ci].instance for ci in chosen}
    for j, inst in enumerate(P.instances):
        if j not in placed:
            left[inst.type.id] += 1
    return {
        "battery_floor_slots": int(np.count_nonzero(e_wh <= bud.floor_wh + 0.01 * cap_wh)),
        "battery_full_slots": int(np.count_nonzero(e_wh >= 0.99 * cap_wh)),
        "buffer_at_limit_slots": int(np.count_nonzero(b_units >= 0.99 * bud.buffer_limit)),
        "bus_power_at_limit_slots": int(np.count_nonzero(power >= 0.99 * rules.bus_power_w)),
        "crew_at_limit_slots": int(np.count_nonzero((h.crew > 0) & (crew >= h.crew))),
        "instances_left_out": dict(sorted(left.items())),
    }


def canonical(P: Problem, chosen: list[int]) -> list[int]:
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


def add_hint(m, P: Problem, chosen: list[int], x, present, A, E, B, bud, fcv, aux: dict):
    """A complete hint (every variable) from a feasible choice, so CP-SAT starts from it
    (``aux``: the rolling windows' occupancy and the precedences' choice of predecessor)."""
    S = P.horizon.n_slots
    on = set(chosen)
    for i, v in enumerate(x):
        m.AddHint(v, i in on)
    placed = {P.candidates[ci].instance for ci in chosen}
    for j, p in enumerate(present):
        m.AddHint(p, j in placed)
    act_e = np.zeros(S, np.int64)
    act_d = np.zeros(S, np.int64)
    for ci in chosen:
        c = P.candidates[ci]
        t = P.instances[c.instance].type
        act_e[c.start:c.end] += P.energy_units(t)[c.start:c.end]
        act_d[c.start:c.end] += P.data_units(t)[c.start:c.end]
    energy, fc, fc_on = bud.energy_rounded(act_e)
    b = bud.b0
    e, tank, was = bud.e0_wh, int(bud.fc0_wh), bud.fc_on0
    for s in range(S):
        if fcv["F"] and A:
            deficit = max(0, int(bud.base_wh[s] - bud.gen_wh[s] + act_e[s]))
            low, high = e <= int(bud.fc_on_wh[s]) - 1, e >= int(bud.fc_off_wh[s]) + 1
            for name, value in (("on", fc_on[s]), ("low", low), ("high", high),
                                ("keep", was and not high), ("D", deficit),
                                ("M", min(deficit, int(bud.fc_max_wh[s]), tank)),
                                ("F", fc[s])):
                m.AddHint(fcv[name][s], int(value))
            tank -= int(fc[s])
            m.AddHint(fcv["H"][s + 1], tank)
            e, was = int(energy[s]), bool(fc_on[s])
        if A:
            m.AddHint(A[s], int(act_e[s]))
            m.AddHint(E[s + 1], int(energy[s]))
        b = max(0, b + int(bud.hk[s] - bud.downlink[s] + act_d[s]))
        if len(B) > 1:
            m.AddHint(B[s + 1], int(b))
    at = {P.candidates[ci].instance: P.candidates[ci] for ci in chosen}
    for j, follows, gap_min, gap_max in aux["prec"]:
        b, which = at.get(j), None
        if b is not None:
            which = next((i for _, i in follows if i in at and b.start >= at[i].end + gap_min
                          and (gap_max is None or b.start <= at[i].end + gap_max)), None)
        for y, i in follows:
            m.AddHint(y, i == which)
    on_idx = {x[ci].Index() for ci in on}
    for occ, slots in aux["occ"]:
        for o, lst in zip(occ, slots, strict=True):
            if o is not None:
                m.AddHint(o, any(v.Index() in on_idx for v in lst))
