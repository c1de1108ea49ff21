"""Long-term autonomy (issue 20): the station in closed loop with the planner on board.

Four days of the no-fission station from 2035-12-03 with a dated rover fault: re-plans at
the fault, its clearing and the Earth-blackout boundaries (checked against the twin's own
per-step Earth visibility), the executed timeline is the concatenated plans (and the
twin's batch run of that timeline gives the same energy and data accounts), the rover's
rolling rule holds across re-plans, seeds are reproducible and the limited rules get the
same faults.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ilrs.plan import load_activities
from ilrs.plan.autonomy import draw_faults, limited_run, run_seed, run_seeds, seeded_twin
from ilrs.plan.closed_loop import closed_loop, earth_boundaries, known_faults, safe_mode_hours
from ilrs.plan.horizon import Horizon, utc_to_tdb
from ilrs.plan.value import limited_rules
from ilrs.station import LiveTwin, Twin, load_scenario
from ilrs.station import _kernels as k
from ilrs.station.config import Fault

EXAMPLE = str(Path(__file__).resolve().parents[1] / "examples" / "no-fission.yaml")
START = "2035-12-03"
DAYS = 4.0
WARM_DAYS = 5.0
FAULT = Fault(kind="rover-fault", at="2035-12-04T06:03:00", duration_h=6.0,
              target="profiling-rover")


@pytest.fixture(scope="module")
def setup():
    twin = seeded_twin(Twin.from_scenario(load_scenario(EXAMPLE)), (FAULT,))
    acts = load_activities(None)
    start = utc_to_tdb(START)
    run = closed_loop(twin, acts, start, DAYS, warm_days=WARM_DAYS)
    return twin, acts, start, run


def _flips(flags: np.ndarray) -> np.ndarray:
    return np.flatnonzero(flags[1:] != flags[:-1]) + 1


def test_earth_boundaries_are_the_twins_own_visibility_changes(setup):
    twin, _, start, _ = setup
    stop = start + DAYS * 86400.0
    # the twin's per-step condition (1-minute slots of the planner's horizon)
    per_step = Horizon.from_twin(twin, start, DAYS, 60.0).conditions["earth_in_view"]
    expected = start + 60.0 * _flips(per_step)
    found = earth_boundaries(twin, start, stop)
    assert found.tdb_s.size >= 1
    np.testing.assert_allclose(found.tdb_s, expected, atol=1e-3)
    # rising where the Earth comes into view at that step
    i = np.round((found.tdb_s - start) / 60.0).astype(int)
    assert (found.rising == per_step[i]).all()


def test_replans_at_the_fault_its_clearing_and_every_blackout_boundary(setup):
    twin, _, start, run = setup
    g = twin.scenario.period.geometry_step_s
    at = np.array([r["at_tdb_s"] for r in run.replans])
    why = [r["why"] for r in run.replans]
    fault = utc_to_tdb(FAULT.at)
    for t, label in ((fault, "fault rover-fault profiling-rover"),
                     (fault + FAULT.duration_h * 3600.0, "cleared rover-fault")):
        j = [i for i, w in enumerate(why) if label in w]
        assert len(j) == 1, why
        assert 0.0 <= at[j[0]] - t < g       # on the planner's next 10-minute tick
    earth = earth_boundaries(twin, start, start + DAYS * 86400.0)
    for t, up in zip(earth.tdb_s, earth.rising, strict=True):
        j = [i for i, w in enumerate(why) if ("earth-rise" if up else "earth-set") in w
             and 0.0 <= at[i] - t < g]
        assert len(j) == 1, (t, why)
    # the stretches follow each other without gap from the start to the end
    assert run.replans[0]["at_tdb_s"] == start
    for a, b in zip(run.replans, run.replans[1:], strict=False):
        assert a["until_utc"] == b["utc"]


def test_executed_timeline_is_the_concatenated_plans(setup):
    twin, _, start, run = setup
    fault = utc_to_tdb(FAULT.at)
    planned = run_minutes = 0.0
    for s in run.schedules:
        for e, d in zip(s.timeline.entries, s.executed(), strict=True):
            assert s.timeline.start_tdb_s - 1e-3 <= e.start_tdb_s < s.timeline.stop_tdb_s
            assert e.stop_tdb_s <= s.timeline.stop_tdb_s + 1e-3
            minutes = (e.stop_tdb_s - e.start_tdb_s) / 60.0
            planned += minutes
            run_minutes += d["minutes_run"]
            # a planned minute not run is the rover fault's, before the re-plan it caused
            missed = d["minutes_missed"]
            assert set(missed) <= {"fault", "distance"}, (d["activity"] if "activity" in d
                                                          else d["label"], missed)
            if "fault" in missed:
                assert s.timeline.stop_tdb_s - fault < 600.0
    assert run_minutes / planned > 0.99
    # the twin's batch run of the concatenated timeline: the same accounts as the loop
    sc = twin.scenario
    period = sc.period.model_copy(update={
        "start": f"{_day(start - WARM_DAYS * 86400.0)}",
        "stop": _utc_minute(start + DAYS * 86400.0 - 60.0)})
    batch = Twin(sc.model_copy(update={"period": period}), twin.roadmap, twin.horizon,
                 twin.up).run(timeline=run.timeline(), block_days=1.0)
    for a in (k.A_UNSERVED0, k.A_DATA_DOWN, k.A_DATA_GEN, k.A_SERVED2, k.A_SHED,
              k.A_O2_MADE):
        assert batch.acc[a] == pytest.approx(run.acc_end[a], rel=1e-9, abs=1e-6)
    assert batch.kpis["survival"]["ok"] == (run.kpis["survival_unserved_kwh"] == 0.0)
    loop_minutes = sum(d["minutes_run"] for d in run.executed())
    assert sum(d["minutes_run"] for d in batch.executed.executed()) == loop_minutes


def _day(tdb_s: float) -> str:
    return _utc_minute(tdb_s)[:10]


def _utc_minute(tdb_s: float) -> str:
    from ilrs.plan.plan import _utc

    return _utc(tdb_s)[:16]


def test_rover_rolling_rule_holds_across_replans(setup):
    _, acts, start, run = setup
    rule = acts.by_id("profiling-drive").rolling
    t = start + 60.0 * np.arange(int(DAYS * 1440))
    for rover in ("profiling-rover", "lava-tube-explorer"):
        driving = np.zeros(t.size)
        for d in run.executed():
            if d["load"] == f"rover:{rover}":
                for r0, r1 in d["runs_tdb_s"]:
                    driving[(t >= r0 - 1e-3) & (t < r1 - 1e-3)] = 1.0
        window = int(rule.window_h * 60)
        assert np.convolve(driving, np.ones(window), "valid").max() <= rule.max_minutes
        assert driving.sum() > 0


def test_safe_mode_hours_from_fdir_events():
    ev = [(10.0, "fdir", "safe-mode", ""), (3610.0, "fdir", "safe-mode-exit", ""),
          (7200.0, "fdir", "safe-mode", "")]
    assert safe_mode_hours(ev, 0.0, 9000.0) == pytest.approx(1.0 + 1800.0 / 3600.0)
    assert safe_mode_hours(ev, 1810.0, 3610.0) == pytest.approx(0.5)
    assert safe_mode_hours([], 0.0, 3600.0, safe_at_start=True) == pytest.approx(1.0)


def test_seeds_reproducible_and_the_limited_rules_get_the_same_faults():
    twin = Twin.from_scenario(load_scenario(EXAMPLE))
    start = utc_to_tdb("2035-12-01")
    stop = start + 365 * 86400.0
    one, again, other = (draw_faults(twin, start, stop, s) for s in (1, 1, 2))
    assert one == again and one != other and len(one) >= 3
    assert all(start <= utc_to_tdb(f.at) < stop for f in one)
    seeded = seeded_twin(twin, one)
    limited = limited_rules(seeded, load_activities(None))
    assert limited.scenario.faults == seeded.scenario.faults
    assert seeded.faults(start, stop)[0] == limited.faults(start, stop)[0]
    # the scenario's dated faults stay, its random ones are replaced by the seed's
    assert [f for f in seeded.scenario.faults if f.rate_per_yr is not None] == []
    assert any(f.at.startswith("2036-01-10") for f in seeded.scenario.faults)


def test_a_seed_row_is_reproducible_and_matches_its_parts():
    job = {"scenario": EXAMPLE, "start": "2035-12-03", "days": 2.0, "seed": 3,
           "horizon_days": 7.0, "warm_days": 2.0, "planner": "greedy",
           "time_limit_s": 10.0, "activities": None}
    a, b = run_seed(job), run_seed(job)
    timing = {"wall_s", "loop_s", "replan_s", "replan_max_s"}
    assert {x: v for x, v in a.items() if x not in timing} == \
        {x: v for x, v in b.items() if x not in timing}
    twin = Twin.from_scenario(load_scenario(EXAMPLE))
    start = utc_to_tdb(job["start"])
    rules = limited_run(seeded_twin(twin, draw_faults(twin, start, start + 2 * 86400.0, 3)),
                        load_activities(None), start, start + 2 * 86400.0, 2.0)
    assert a["rules_value"] == pytest.approx(rules["value"])
    assert a["value_ratio"] == pytest.approx(a["plan_value"] / a["rules_value"])
    assert a["plan_survival_unserved_kwh"] == 0.0


def test_campaign_command_writes_the_table(tmp_path, capsys):
    from ilrs.cli import main

    out = tmp_path / "c"
    assert main(["plan", "campaign", EXAMPLE, "--start", "2035-12-03", "--days", "1",
                 "--seeds", "2", "--warm-days", "1", "--scheduler", "inline",
                 "--out", str(out)]) == 0
    data = json.loads((out / "campaign.json").read_text())
    assert [r["seed"] for r in data["rows"]] == [1, 2]
    assert data["mean"]["seeds"] == 2
    lines = (out / "campaign.csv").read_text().splitlines()
    assert lines[0].startswith("seed,plan_survival_unserved_kwh") and lines[-1].startswith("mean")
    printed = capsys.readouterr().out
    assert "value ×" in printed and "the most any plan can be worth" in printed
    assert data["ceiling"]["value"] >= max(r["plan_value"] for r in data["rows"])


def test_seeds_on_a_started_dask_cluster_equal_inline(tmp_path):
    from conftest import dask_cluster

    kw = {"horizon_days": 7.0, "warm_days": 1.0, "progress": False}
    with dask_cluster(tmp_path, n_workers=2) as address:
        remote = run_seeds(EXAMPLE, "2035-12-03", 1.0, [1, 2], scheduler=address, **kw)
    inline = run_seeds(EXAMPLE, "2035-12-03", 1.0, [1, 2], scheduler="inline", **kw)
    timing = {"wall_s", "loop_s", "replan_s", "replan_max_s"}
    strip = [{x: v for x, v in r.items() if x not in timing} for r in remote["rows"]]
    assert strip == [{x: v for x, v in r.items() if x not in timing}
                     for r in inline["rows"]]


def test_greedy_counts_the_drives_before_the_horizon_in_the_rolling_rule():
    from ilrs.plan.greedy import plan_greedy
    from ilrs.plan.problem import build_problem

    twin = Twin.from_scenario(load_scenario(EXAMPLE))
    acts = load_activities(None)
    horizon = Horizon.from_twin(twin, utc_to_tdb("2035-12-03T06:00"), 1.0, acts.slot_s)
    rule = acts.by_id("profiling-drive").rolling
    w = round(rule.window_h * 3600.0 / acts.slot_s)             # 16 slots of 30 min
    full = round(rule.max_minutes / (acts.slot_s / 60.0))       # 6 whole slots in 200 min

    def first_drive(history):
        plan, _ = plan_greedy(build_problem(acts, horizon), rolling_before=history)
        starts = [round((a.start_tdb_s - horizon.start_tdb_s) / acts.slot_s)
                  for a in plan.activities if a.rover == "profiling-rover"]
        return min(starts)

    assert first_drive(None) < w - full         # free: it drives early
    # the rover drove the last 6 slots before the horizon: every window reaching back over
    # them is full, so its next leg starts once they leave the window (slot 16 - 6 = 10)
    history = {"profiling-rover": np.r_[np.zeros(w - 1 - full), np.ones(full)]}
    assert first_drive(history) >= w - full


def test_the_cpsat_planner_runs_the_loop_too():
    twin = seeded_twin(Twin.from_scenario(load_scenario(EXAMPLE)), (FAULT,))
    acts = load_activities(None)
    run = closed_loop(twin, acts, utc_to_tdb("2035-12-04"), 1.0, warm_days=2.0,
                      planner="cpsat", time_limit_s=5.0)
    # (then the horizon's end: the last whole slot of the day; the rules run what is left)
    assert [r["why"].split(" ")[0] for r in run.replans][:3] == ["start", "fault", "cleared"]
    planned = sum((e.stop_tdb_s - e.start_tdb_s) / 60.0 for s in run.schedules
                  for e in s.timeline.entries)
    done = sum(d["minutes_run"] for d in run.executed())
    assert done / planned > 0.99 and run.kpis["survival_unserved_kwh"] == 0.0


def test_the_first_plan_counts_the_warm_ups_drives_in_the_rolling_rule():
    """The rules drove both rovers for 6 h before 2035-12-03T18:00 (the warm-up): the first
    plan's drives keep 200 min in any 8 h counting those, as later re-plans count the
    plans' own (the warm-up's drives recorded here minute by minute, apart from the loop)."""
    twin = Twin.from_scenario(load_scenario(EXAMPLE))
    acts = load_activities(None)
    rule = acts.by_id("profiling-drive").rolling
    start = utc_to_tdb("2035-12-03T18:00:00")
    run = closed_loop(twin, acts, start, 1.0, warm_days=WARM_DAYS)
    window = int(rule.window_h * 60)
    live = LiveTwin(twin, start - WARM_DAYS * 86400.0)
    live.advance_to(start - window * 60.0)
    before = {r.id: [] for r in twin.scenario.rovers}
    for minute in range(window):
        km = [live.driven_km(i) for i in range(len(twin.scenario.rovers))]
        live.advance_to(start - (window - minute - 1) * 60.0)
        for i, r in enumerate(twin.scenario.rovers):
            before[r.id].append(live.driven_km(i) > km[i] + 1e-9)
    t = start + 60.0 * np.arange(1440)
    for rover, past in before.items():
        assert sum(past) > 300                     # the rules drove > 5 h of the last 8
        planned = np.zeros(t.size)
        for d in run.executed():
            if d["load"] == f"rover:{rover}":
                for r0, r1 in d["runs_tdb_s"]:
                    planned[(t >= r0 - 1e-3) & (t < r1 - 1e-3)] = 1.0
        assert planned.sum() > 0
        driving = np.concatenate([np.asarray(past, float), planned])
        sums = np.convolve(driving, np.ones(window), "valid")
        # every 8-h window that holds a planned minute keeps the rule
        has_plan = np.convolve(np.concatenate([np.zeros(window), planned]),
                               np.ones(window), "valid")
        assert sums[has_plan > 0].max() <= rule.max_minutes, rover


def test_a_fault_in_force_lasts_until_it_is_reported_cleared(setup):
    """The planner does not know when a fault will clear: at a re-plan during the rover's
    6-h safing it holds the rover to the horizon's end (the twin's own occurrence clears
    at 6 h and triggers the re-plan that frees it); once cleared, the past is as it was."""
    twin, acts, _, _ = setup
    fault = utc_to_tdb(FAULT.at)
    during = fault + 3600.0
    horizon = Horizon.from_twin(known_faults(twin, during), during, 2.0, acts.slot_s)
    assert horizon.held["rover:profiling-rover"].all()
    assert not horizon.held["rover:lava-tube-explorer"].any()
    after = fault + (FAULT.duration_h + 1.0) * 3600.0
    horizon = Horizon.from_twin(known_faults(twin, after), after, 2.0, acts.slot_s)
    assert not horizon.held["rover:profiling-rover"].any()
    occ, _ = known_faults(twin, after).faults(fault - 60.0, after)
    ends = [o.end_tdb_s for o in occ if o.kind == "rover-fault"]
    assert ends == [pytest.approx(fault + FAULT.duration_h * 3600.0, abs=60.0)]
    # before it happens the planner knows nothing of it
    assert FAULT not in known_faults(twin, fault - 60.0).scenario.faults


def test_a_days_goal_counts_per_utc_day_across_replans(setup):
    """Re-plans fall mid-day (the fault, its clearing, Earth set and rise), and each opens
    its horizon with the rest of that UTC day: a type's daily goal (``per_day`` runs, or
    ``hours_per_day`` in runs of its longest duration) counts what already started on
    board that day, so no UTC day ever runs more (before, each re-plan opened a fresh day
    of them: 3 ISRU batches or 5 sample sorties on a day of the year). The executed hours
    stay within the span's ceiling (ilrs.plan.bound.span_ceiling), type by type."""
    from collections import Counter

    from ilrs.plan.bound import span_ceiling
    from ilrs.plan.plan import _utc
    from ilrs.plan.problem import per_day_cap

    twin, acts, start, run = setup
    assert any(not r["utc"].endswith("00:00:00") for r in run.replans[1:])
    started = Counter()
    hours = Counter()
    for d in run.executed():
        if d["minutes_run"] > 0 and d["runs_tdb_s"]:
            kind = d["label"].split(" #")[0]
            started[(kind, _utc(d["runs_tdb_s"][0][0] + 1.0)[:10])] += 1
            hours[kind] += d["minutes_run"] / 60.0
    assert started
    for (kind, _), n in started.items():
        cap = per_day_cap(acts.by_id(kind))
        assert cap is None or n <= cap, (kind, n, cap)
    top = span_ceiling(twin, acts, start, DAYS)
    for kind, h in hours.items():
        assert h * acts.by_id(kind).value_per_h <= top["parts"][f"activity:{kind}"] + 1e-6
    assert run.kpis["value"] <= top["value"]
