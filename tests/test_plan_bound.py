"""The best any plan can do (ilrs.plan.bound): the rolling-window programme against brute
force, the decomposition against CP-SAT's proven optimum of the whole model."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from ilrs.plan.bound import rolling_packing_slots


def _brute_force(ok, blocks, d_min, d_max, window, limit) -> int:
    """Every occupancy of the slots, kept if it splits into runs of d_min..d_max inside
    ``ok`` and inside blocks (at most ``runs`` runs a block) with at most ``limit`` busy
    slots in any ``window`` consecutive: the most busy slots."""
    n = ok.size
    best = 0
    block_of = np.full(n, -1)
    for b, (first, stop, _) in enumerate(blocks):
        block_of[first:stop] = b
    for bits in itertools.product((0, 1), repeat=n):
        busy = np.array(bits, bool)
        if (busy & ~ok).any() or (busy & (block_of < 0)).any():
            continue
        if any(busy[s:s + window].sum() > limit for s in range(n)):
            continue
        runs = [0] * len(blocks)
        fits = True
        s = 0
        while s < n and fits:        # a maximal stretch of busy slots inside one block
            if not busy[s]:
                s += 1
                continue
            e = s
            while e < n and busy[e] and block_of[e] == block_of[s]:
                e += 1
            length = e - s
            k = math.ceil(length / d_max)          # fewest runs that cover it
            fits = k * d_min <= length
            runs[block_of[s]] += k
            s = e
        if fits and all(r <= k for r, (_, _, k) in zip(runs, blocks, strict=True)):
            best = max(best, int(busy.sum()))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_rolling_packing_equals_brute_force(seed):
    """The programme's most busy slots equal brute force over every occupancy of up to 14
    slots (random condition slots, blocks, run lengths, windows and limits)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(10, 15))
    ok = rng.random(n) < 0.8
    cut = int(rng.integers(3, n - 3))
    blocks = [(0, cut, int(rng.integers(1, 3))), (cut, n, int(rng.integers(1, 3)))]
    d_min = int(rng.integers(1, 3))
    d_max = d_min + int(rng.integers(0, 3))
    window = int(rng.integers(3, 8))
    limit = int(rng.integers(1, window))
    assert rolling_packing_slots(ok, blocks, d_min, d_max, window, limit) == _brute_force(
        ok, blocks, d_min, d_max, window, limit)


def test_rolling_packing_a_rover_day():
    """A rover driving runs of 2–4 slots (1–2 h of 30 min), at most 6 busy slots in any
    16 (200 minutes in any 8 hours), four runs a day, sunlit all day: 3 × 6 = 18 slots
    would keep the rule, four runs of at most 4 slots make 16, and back-to-back runs count
    as two — by hand, 16 slots (8 h)."""
    ok = np.ones(48, bool)
    assert rolling_packing_slots(ok, [(0, 48, 4)], 2, 4, 16, 6) == 16
    assert rolling_packing_slots(ok, [(0, 48, 6)], 2, 4, 16, 6) == 18
    ok[20:] = False                        # 20 slots: 6 + 6 in two windows at most
    assert rolling_packing_slots(ok, [(0, 48, 6)], 2, 4, 16, 6) == 10


def test_rolling_packing_refuses_windows_it_cannot_hold():
    with pytest.raises(ValueError, match="rolling window of 40 slots"):
        rolling_packing_slots(np.ones(10, bool), [(0, 10, 2)], 1, 2, 40, 6)


def test_decomposition_bounds_the_whole_models_optimum():
    """Two crewed days of the 2037-03 visit: the groups partition the types, keep each
    precedence together, and their bounds sum to at least CP-SAT's proven optimum of the
    whole model (which the groups' best plans, solved alone, may exceed but never the
    bounds)."""
    from ilrs.plan import load_activities
    from ilrs.plan.bound import decomposition_bound, groups
    from ilrs.plan.cpsat import _solve
    from ilrs.plan.greedy import plan_greedy
    from ilrs.plan.horizon import Horizon, utc_to_tdb
    from ilrs.plan.problem import build_problem
    from ilrs.station import Twin, load_scenario

    twin = Twin.from_scenario(load_scenario(None))
    acts = load_activities("examples/activities-crewed-visit.yaml")
    horizon = Horizon.from_twin(twin, utc_to_tdb("2037-03-05"), 1.0, acts.slot_s)
    problem = build_problem(acts, horizon)
    _, hint = plan_greedy(problem)
    parts = groups(problem)
    flat = [t for g in parts for t in g]
    assert len(flat) == len(set(flat))
    for g in parts:
        for t in g:
            after = acts.by_id(t).after
            assert after is None or after.activity in g
    crew = [g for g in parts if any(acts.by_id(t).crew for t in g)]
    assert len(crew) == 1
    whole = _solve(problem, 60.0, 0.0, 1, hint, log=False)
    assert whole["status"] == "OPTIMAL"
    per_group = decomposition_bound(problem, hint, time_limit_s=20.0)
    assert all(g.optimal for g in per_group)
    assert sum(g.bound for g in per_group) >= whole["objective"] - 1e-6
    assert sum(g.found for g in per_group) >= whole["objective"] - 1e-6


def test_span_ceiling_by_hand():
    """Two days of the no-fission station from 2035-12-03: the seismometer (no condition,
    on site, 20 h a day in runs of its longest duration) is worth at most its daily goal
    by hand; a count type (the sample-return ascent) its one run; every type at most its
    condition hours a day; the oxygen at most the plants' most power over every hour."""
    from ilrs.plan import load_activities
    from ilrs.plan.bound import span_ceiling
    from ilrs.plan.horizon import Horizon, utc_to_tdb
    from ilrs.plan.problem import per_day_cap
    from ilrs.station import Twin, load_scenario

    twin = Twin.from_scenario(load_scenario("examples/no-fission.yaml"))
    acts = load_activities(None)
    start = utc_to_tdb("2035-12-03")
    top = span_ceiling(twin, acts, start, 2.0)["parts"]
    seismic = acts.by_id("seismic-monitoring")
    assert not seismic.needs
    most_h = per_day_cap(seismic) * seismic.duration.range_h[1]
    assert top["activity:seismic-monitoring"] == pytest.approx(
        2 * min(24.0, most_h) * seismic.value_per_h)
    ascent = acts.by_id("sample-ascent")
    assert top["activity:sample-ascent"] == pytest.approx(
        ascent.repeat.count * ascent.duration.range_h[1] * ascent.value_per_h)
    h = Horizon.from_twin(twin, start, 2.0, 60.0)
    for t in acts.activities:
        if f"activity:{t.id}" in top and t.repeat.count is None:
            held_h = (h.ok(t.needs, t.thermal_window_k, t.radio_quiet)
                      & h.on_site(t.payload, t.rover, t.arrives_with)).sum() / 60.0
            assert top[f"activity:{t.id}"] <= (held_h + 1.0) * t.value_per_h + 1e-6
    plants_w = sum(p.max_power_w for p in twin.scenario.isru)
    o2_most = sum(plants_w * 48 * 3600.0 / (p.kwh_per_kg * 3.6e6) for p in twin.scenario.isru)
    assert 0 < top["isru-oxygen"] <= o2_most * acts.rules.value_per_kg_o2
    # from 06:00: the first day's 18 h (and the next day's first slot, where its last run
    # may end) get the whole goal, the next day its 24 h, the last 6 h a day of their own
    late = span_ceiling(twin, acts, start + 6 * 3600.0, 2.0)["parts"]
    assert late["activity:seismic-monitoring"] == pytest.approx(
        (18.5 + 24.0 + 6.0) * seismic.value_per_h)


def test_the_group_neighbourhood_reaches_the_proven_optimum():
    """Two crewed days of the 2037-03 visit: from greedy's plan, re-optimizing each group of
    coupled types over the whole horizon (cpsat.improve_groups: the crew's work moves
    between days) reaches the optimum the decomposition proves (every group alone optimal:
    no plan is worth more), which greedy misses by a few percent."""
    import time

    from ilrs.plan import load_activities
    from ilrs.plan.bound import decomposition_bound
    from ilrs.plan.cpsat import improve_groups
    from ilrs.plan.greedy import plan_greedy
    from ilrs.plan.horizon import Horizon, utc_to_tdb
    from ilrs.plan.problem import build_problem
    from ilrs.station import Twin, load_scenario

    twin = Twin.from_scenario(load_scenario(None))
    acts = load_activities("examples/activities-crewed-visit.yaml")
    horizon = Horizon.from_twin(twin, utc_to_tdb("2037-03-05"), 2.0, acts.slot_s)
    problem = build_problem(acts, horizon)
    greedy, hint = plan_greedy(problem)
    proof = decomposition_bound(problem, hint, time_limit_s=30.0)
    assert all(g.optimal for g in proof)
    optimum = sum(g.bound for g in proof)
    assert greedy.solver["objective"] < 0.98 * optimum
    _, value, counts = improve_groups(problem, hint, stop_at=time.perf_counter() + 30.0)
    assert counts["improved"] >= 1
    assert value == pytest.approx(optimum)
