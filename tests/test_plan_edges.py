"""Runs reach into the slot their conditions' window opens or closes in (issue 20: the
30-minute plan grid cost the radio telescope every partial quiet slot — 17.5 h of the
rules' 21.9 h in 2035-12 — and with it the data goal)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ilrs.plan import load_activities
from ilrs.plan.greedy import plan_greedy
from ilrs.plan.horizon import Horizon, _edge_steps, utc_to_tdb
from ilrs.plan.problem import build_problem
from ilrs.plan.repair import repair
from ilrs.plan.replay import fault_scenario, replay, warm_state
from ilrs.plan.value import station_for_plan
from ilrs.station import Twin, load_scenario
from ilrs.station import _kernels as k

NO_FISSION = Path(__file__).resolve().parents[1] / "examples" / "no-fission.yaml"


def test_edge_steps_count_the_unbroken_run_from_a_rows_start():
    flags = np.array([[1, 1, 0, 1], [1, 1, 1, 1], [0, 1, 1, 1]], bool)
    assert _edge_steps(flags).tolist() == [2, 4, 0]
    assert _edge_steps(flags[:, ::-1]).tolist() == [1, 4, 3]     # from the row's end


@pytest.fixture(scope="module")
def fortnight():
    twin = Twin.from_scenario(load_scenario(NO_FISSION))
    acts = load_activities(None)
    station = station_for_plan(twin, acts)
    start = utc_to_tdb("2035-12-01")
    warm = warm_state(station, start, 30.0)
    horizon = Horizon.from_twin(station, start, 5.0, acts.slot_s, warm)
    problem = build_problem(acts, horizon)
    plan, _ = plan_greedy(problem)
    return station, acts, warm, horizon, problem, plan


def test_runs_start_and_stop_where_the_window_does_and_the_twin_executes_them(fortnight):
    station, acts, warm, horizon, problem, plan = fortnight
    slot = horizon.slot_s

    def on_grid(x):
        return abs((x - horizon.start_tdb_s) / slot - round((x - horizon.start_tdb_s) / slot)) \
            < 1e-6

    off = [a for a in plan.activities if not (on_grid(a.start_tdb_s) and on_grid(a.stop_tdb_s))]
    assert off and {a.kind for a in off} <= {"radio-astronomy", "gpr-sounding",
                                              "earth-observation"}
    report, result = replay(station, plan, acts, warm)
    assert report["violations_by"]["plan"] == 0, report["violations"]
    assert report["kpis"]["execution_fidelity"] >= 0.999
    # the replay's own per-minute record: the telescope observed only while the station
    # was silent and dark, and a minute earlier / at its stop it would not have been
    cols = result.full_resolution
    t, tx = cols["tdb_s"], (cols["flags"] & k.F_TX) > 0
    lit = cols["solar_w"] > 0
    step = t[1] - t[0]
    for a in (a for a in off if a.kind == "radio-astronomy"):
        inside = (t >= a.start_tdb_s - 1e-3) & (t < a.stop_tdb_s - 1e-3)
        assert not (tx[inside] | lit[inside]).any()
        if not on_grid(a.start_tdb_s):
            j = np.searchsorted(t, a.start_tdb_s - step - 1e-3)
            assert tx[j] or lit[j]
        if not on_grid(a.stop_tdb_s):
            j = np.searchsorted(t, a.stop_tdb_s - 1e-3)
            assert tx[j] or lit[j]
    # the partial slot counts its part in the value, and is booked whole for the rest
    for ci in (ci for ci in range(len(problem.candidates))
               if problem.candidates[ci].head_s or problem.candidates[ci].tail_s):
        c = problem.candidates[ci]
        t_ = problem.instances[c.instance].type
        assert 0 < c.head_s + c.tail_s < 2 * slot
        assert problem.value(c) == pytest.approx(
            t_.value_per_h * (c.dur * slot - c.head_s - c.tail_s) / 3600.0)
        assert (c.dur * slot - c.head_s - c.tail_s) / 3600.0 <= t_.duration.range_h[1] + 1e-9


def test_a_repair_keeps_runs_that_start_inside_a_slot(fortnight):
    station, acts, warm, horizon, _, plan = fortnight
    # a fault just after a run that starts or stops inside a slot began (it is frozen)
    def inside(x):
        return 1e-3 < (x - horizon.start_tdb_s) % horizon.slot_s < horizon.slot_s - 1e-3

    first = min((a for a in plan.activities if inside(a.start_tdb_s) or inside(a.stop_tdb_s)),
                key=lambda a: a.start_tdb_s)
    at = first.start_tdb_s + 60.0
    faulty = station
    for a in station.scenario.solar_arrays:
        faulty = fault_scenario(faulty, "array-degradation", at, 0.5, a.id)
    fixed = repair(faulty, acts, plan, at, time_limit_s=5.0, initial=warm)
    before = {(a.kind, a.instance, a.start_tdb_s, a.stop_tdb_s) for a in plan.activities
              if a.start_tdb_s < at}
    after = {(a.kind, a.instance, a.start_tdb_s, a.stop_tdb_s) for a in fixed.activities
             if a.start_tdb_s < at}
    assert (first.kind, first.instance, first.start_tdb_s, first.stop_tdb_s) in before
    assert before == after          # what ran before the fault is frozen as it ran
    report, _ = replay(faulty, fixed, acts, warm)
    assert report["violations_by"]["plan"] == 0, report["violations"]


def test_cpsat_reports_the_true_value_and_a_bound_above_it(fortnight):
    """Part-slot runs are worth fractions: CP-SAT's model rounds each value up, so its bound
    stays a bound on every plan's true value, and the value it reports is the plan's own."""
    from ilrs.plan.cpsat import plan_cpsat

    *_, problem, greedy = fortnight
    plan = plan_cpsat(problem, time_limit_s=8.0, hint=None)
    s = plan.solver
    assert s["objective"] == pytest.approx(sum(a.value for a in plan.activities), rel=1e-12)
    assert s["objective"] >= greedy.solver["objective"] - 1e-6
    if s["best_bound"] is not None:
        assert s["best_bound"] >= s["objective"] - 1e-9
