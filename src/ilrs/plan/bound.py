"""The best any plan can do: an upper bound on a problem's value, by decomposition.

CP-SAT's own bound on a large model (a crewed fortnight: 1,052 instances) stays a percent
or two above the best plan it finds. A tighter bound comes from a relaxation: split the
activity types into groups and drop every constraint *between* groups (the science bus,
the battery, the buffer, a unary resource shared across groups). A joint plan restricted to
one group is then a plan of that group alone (fewer loads only loosen the bus, the battery —
more net energy on the same energy and fuel-cell trajectory — and the buffer), so the sum
of the groups' optima bounds the joint optimum. Each group is small enough to solve to a
proven optimum:

- a type stays with the type it must follow (a precedence cannot be dropped: the follower
  could not run at all without its predecessor in the group);
- every crew type is in one group (the crew on site and the crew hours per day);
- types on one unary resource stay together, except a crew type and a type of a
  precedence chain (the crewed ascent and the robotic ascender's chain: that tie is
  dropped, so the crew group stays small enough to prove). Any partition that keeps the
  precedences gives a valid bound; keeping more ties only makes it tighter and slower;
- a lone type under a rolling-window rule (a rover: at most 200 minutes in any 8 hours) is
  bounded exactly by :func:`rolling_packing_slots`, a dynamic programme over its slots,
  where CP-SAT's bound stays loose (the rolling windows' linear relaxation).

:func:`decomposition_bound` returns each group's best plan found, its bound and status;
the sum of the bounds is the bound on every plan of the problem.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections import defaultdict

import numpy as np

from ilrs.plan.cpsat import _solve
from ilrs.plan.horizon import Horizon
from ilrs.plan.problem import Problem, groups, per_day_cap, slots_to_midnight
from ilrs.plan.value import window_value

__all__ = ["GroupBound", "decomposition_bound", "groups", "rolling_packing_slots"]

#: The largest rolling window (in slots) the dynamic programme takes: its states are
#: ``2**(window - 1)`` occupancy masks × runs per block × run lengths.
MAX_DP_WINDOW_SLOTS = 18


@dataclasses.dataclass(frozen=True)
class GroupBound:
    """One group of activity types solved alone."""

    types: tuple[str, ...]
    found: float            # the best plan of the group alone (its value)
    bound: float            # no plan of the group alone is worth more
    status: str             # CP-SAT's status; "OPTIMAL (DP)" when the programme closes it
    seconds: float

    @property
    def optimal(self) -> bool:
        return self.bound - self.found <= 1e-6


def _restricted(problem: Problem, types: tuple[str, ...]) -> Problem:
    """``problem`` with the candidates of every other type removed (and none of theirs
    held as already executed)."""
    keep = set(types)
    insts = [inst if inst.type.id in keep
             else dataclasses.replace(inst, candidates=[], frozen=False)
             for inst in problem.instances]
    return Problem(problem.acts, problem.horizon, insts, problem.candidates)


def rolling_packing_slots(ok: np.ndarray, blocks: list[tuple[int, int, int]], d_min: int,
                          d_max: int, window: int, limit: int) -> int:
    """The most slots a lone resource can be busy under a rolling-window rule.

    Runs of ``d_min``..``d_max`` consecutive slots, each inside the slots ``ok`` and inside
    one block ``(first, stop, runs)`` (a day: at most ``runs`` runs start in it), never
    overlapping, with at most ``limit`` busy slots in any ``window`` consecutive slots.
    Runs may follow each other back to back. Exact, by dynamic programming over the slots;
    the state is the last ``window - 1`` slots' occupancy, the runs started in the block
    and the current run's length so far."""
    if window > MAX_DP_WINDOW_SLOTS:
        raise ValueError(f"rolling window of {window} slots: the programme takes at most "
                         f"{MAX_DP_WINDOW_SLOTS}")
    nb = window - 1
    masks = 1 << nb
    half = masks >> 1
    runs = max(k for _, _, k in blocks) if blocks else 0
    neg = -(10 ** 6)
    popcount = np.array([bin(m).count("1") for m in range(masks)])
    room = popcount + 1 <= limit            # a busy slot keeps the window ending at it
    closed = np.zeros(d_max + 1, bool)      # the run so far may end here
    closed[0] = True
    closed[d_min:] = True
    block_of = np.full(ok.size, -1)
    for b, (first, stop, _) in enumerate(blocks):
        block_of[first:stop] = b
    value = np.full((masks, runs + 1, d_max + 1), neg, np.int32)
    value[0, 0, 0] = 0
    shifted = np.arange(half) << 1
    for s in range(ok.size):
        b = block_of[s]
        if s == 0 or b != block_of[s - 1]:   # a run may not cross a block's edge
            best = np.where(closed, value, neg).max(axis=(1, 2))
            value = np.full_like(value, neg)
            value[:, 0, 0] = best
        new = np.full_like(value, neg)
        idle = np.maximum(value[:half], value[half:])     # the oldest slot leaves the mask
        new[shifted, :, 0] = np.where(closed, idle, neg).max(axis=2)
        if ok[s] and b >= 0:
            v = np.where(room[:, None, None], value, neg)
            busy = np.maximum(v[:half], v[half:])
            for p in range(1, d_max):                      # the run goes on
                new[shifted | 1, :, p + 1] = busy[:, :, p] + 1
            ended = np.where(closed, busy, neg).max(axis=2)
            for k in range(blocks[b][2]):                   # a new run starts
                new[shifted | 1, k + 1, 1] = ended[:, k] + 1
        value = np.maximum(new, neg)
    return int(max(0, np.where(closed, value, neg).max()))


def _rolling_bound(problem: Problem, types: tuple[str, ...]) -> float | None:
    """The programme's bound on a lone rolling-window type's value, or None if the group
    is not one (or its window is too long for the programme)."""
    if len(types) != 1:
        return None
    insts = [i for i in problem.instances if i.type.id == types[0] and i.candidates]
    t = insts[0].type
    h = problem.horizon
    if t.rolling is None or t.crew:
        return None
    window = max(1, round(t.rolling.window_h * 3600.0 / h.slot_s))
    limit = math.floor(t.rolling.max_minutes / (h.slot_s / 60.0) + 1e-9)
    if window > MAX_DP_WINDOW_SLOTS:
        return None
    ok = np.zeros(h.n_slots, bool)
    durs = set()
    per_block = defaultdict(int)
    for inst in insts:
        per_block[(inst.release, inst.deadline)] += 1
        for ci in inst.candidates:
            c = problem.candidates[ci]
            ok[c.start:c.end] = True
            durs.add(c.dur)
    blocks = sorted((a, b, k) for (a, b), k in per_block.items())
    if any(b0[1] > b1[0] for b0, b1 in itertools.pairwise(blocks)):
        return None                          # overlapping blocks: not a partition
    # every candidate is a run of ok slots inside its block, so the programme's runs
    # include them all: its optimum bounds the type's (full slots at the type's value)
    slots = rolling_packing_slots(ok, blocks, min(durs), max(durs), window, limit)
    return slots * t.value_per_h * h.slot_s / 3600.0


def decomposition_bound(problem: Problem, hint: list[int] | None = None, *,
                        time_limit_s: float = 60.0, workers: int = 1) -> list[GroupBound]:
    """Each group of :func:`groups` solved alone by CP-SAT within ``time_limit_s`` (from
    ``hint``'s placements of the group, e.g. the greedy plan's), a lone rolling-window type
    also bounded by :func:`rolling_packing_slots`. The sum of the ``bound`` fields bounds
    every plan of ``problem``."""
    out = []
    for types in groups(problem):
        t0 = time.perf_counter()
        sub = _restricted(problem, types)
        keep = {ci for inst in sub.instances for ci in inst.candidates}
        start = [ci for ci in (hint or []) if ci in keep]
        dp = _rolling_bound(problem, types)
        found = sum(problem.value(problem.candidates[ci]) for ci in start)
        if dp is not None and dp - found <= 1e-6:     # the hint is already optimal
            out.append(GroupBound(types, found, found, "OPTIMAL (DP)",
                                  time.perf_counter() - t0))
            continue
        res = _solve(sub, time_limit_s, 0.0, workers, start, log=False)
        found = max(found, 0.0 if res is None else res["objective"])
        bound = math.inf if res is None else res["best_bound"]
        status = "UNKNOWN" if res is None else res["status"]
        if dp is not None and dp < bound - 1e-6:
            bound = dp
            status = "OPTIMAL (DP)" if bound - found <= 1e-6 else f"{status}, DP bound"
        out.append(GroupBound(types, found, max(found, bound), status,
                              time.perf_counter() - t0))
    return out


def span_ceiling(twin, acts, start_tdb_s: float, days: float,
                 km_left: dict[str, float] | None = None) -> dict:
    """The most any plan of ``acts`` can be worth over ``days`` from ``start_tdb_s``,
    energy unlimited: a relaxation of every limit but each type's own.

    Per type and UTC day (the first from the start to the next midnight), the hours its
    conditions hold (the twin's per-minute flags, the load on site) in that day and the
    next day's first slot (where a day's last run may end), at most the day's goal
    (:func:`per_day_cap` runs of its longest duration: a day's goal counts per UTC day
    across re-plans, as the closed loop keeps it — a first, partial day gets the whole
    goal); a ``count`` type its count of longest runs once; a rover also no more than its
    campaign's kilometres left (``km_left``) allow; and the oxygen of the ISRU plants at
    their most power wherever the station generates that much (they run on surplus power
    only). The bus, the battery, the buffer, the crew, shared instruments and rolling
    windows are all dropped. Returns ``{"value", "parts"}`` in the value measure's terms
    (:func:`ilrs.plan.value.window_value`)."""
    sc = twin.scenario
    step = sc.period.step_s
    day_steps = round(86400.0 / step)
    tail = round(acts.slot_s / step)
    held = defaultdict(list)            # type id -> per-step flags, chunk by chunk
    o2_kg = 0.0
    done = 0.0
    while done < days - 1e-9:
        chunk = min(28.0, days - done)
        h = Horizon.from_twin(twin, start_tdb_s + done * 86400.0, chunk, step)
        for t in acts.activities:
            ok = h.ok(t.needs, t.thermal_window_k, t.radio_quiet) & h.on_site(
                t.payload, t.rover, t.arrives_with)
            held[t.id].append(ok & (h.crew >= t.crew) if t.crew else ok)
        for p in sc.isru:
            on = h.on_site(mission=p.arrives_with)
            most = np.minimum(p.max_power_w * step, np.maximum(h.gen_j, 0.0)) * on
            o2_kg += float(most.sum()) / (p.kwh_per_kg * 3.6e6)
        done += chunk
    n = sum(x.size for x in held[acts.activities[0].id])
    first = slots_to_midnight(start_tdb_s, step)
    edges = sorted({0, *range(first, n, day_steps), n})
    hours = {}
    for t in acts.activities:
        ok = np.concatenate(held[t.id])
        cap = per_day_cap(t)
        if cap is None:
            hours[t.id] = t.repeat.count * t.duration.range_h[1]
            continue
        most_h = cap * t.duration.range_h[1]
        hours[t.id] = sum(min(most_h, ok[a:b + tail].sum() * step / 3600.0)
                          for a, b in itertools.pairwise(edges))
        if t.rover and km_left is not None and t.rover in km_left:
            r = next(r for r in sc.rovers if r.id == t.rover)
            hours[t.id] = min(hours[t.id], km_left[t.rover] / (r.speed_m_s * 3.6))
    return window_value(acts, load_hours={}, type_hours=hours, o2_kg=o2_kg)
