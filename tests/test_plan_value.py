"""The one value measure, the rules held to the plan's limits, absolute windows and
exclusion across activity types (a seismometer's quiet time against the rover drives)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ilrs.plan import load_activities
from ilrs.plan.cpsat import plan_cpsat
from ilrs.plan.greedy import plan_greedy
from ilrs.plan.horizon import Horizon, utc_to_tdb
from ilrs.plan.model import TimeWindow
from ilrs.plan.problem import build_problem
from ilrs.plan.replay import replay, rule_kpis, warm_state
from ilrs.plan.value import limited_rules, rules_holding_battery, window_value
from ilrs.station import Twin, load_scenario
from ilrs.station.build import block_inputs

START = "2037-03-11"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def twin():
    return Twin.from_scenario(load_scenario(None))


def test_the_value_counts_every_kind_of_work():
    acts = load_activities(None)
    v = window_value(acts, load_hours={"profiling-rover": 2.0,
                                       "Lunar physics station (seismometer, heat flow, "
                                       "magnetometer)": 10.0},
                     type_hours={"crew-eva": 4.0, "sample-ascent": 2.0, "isru-batch": 3.0,
                                 "biomed-crew-session": 2.0}, o2_kg=10.0)
    # rover 10/h, seismometer 3/h by rule; EVA 40/h, ascent 100/h, excavation 5/h, crew
    # session 30/h as activities; oxygen 4 per kg
    assert v["value"] == pytest.approx(2 * 10 + 10 * 3 + 4 * 40 + 2 * 100 + 3 * 5 + 2 * 30
                                       + 10 * 4)
    assert v["parts"]["isru-oxygen"] == 40.0


def test_a_plan_and_the_rules_are_valued_alike(twin):
    """The replay values a plan's executed activities by type, the rules' run by load;
    a plan that runs exactly what the rules' seismometer does is worth the same for it."""
    acts = load_activities(None)
    t0 = utc_to_tdb(START)
    horizon = Horizon.from_twin(twin, t0, 1.0, acts.slot_s)
    plan, _ = plan_greedy(build_problem(acts, horizon))
    report, _ = replay(twin, plan, acts)
    rules = rule_kpis(twin, acts, t0, t0 + 86400.0)
    parts = report["kpis"]["value_parts"]
    assert parts["activity:seismic-monitoring"] == pytest.approx(24 * 3, rel=1e-9)
    assert rules["value_parts"][
        "rule:Lunar physics station (seismometer, heat flow, magnetometer)"] == \
        pytest.approx(24 * 3, rel=1e-9)
    assert {"activity:crew-eva", "activity:sample-ascent"} <= set(parts)
    assert not any(k.startswith("activity:") for k in rules["value_parts"])


def test_limited_rules_keep_the_rover_rule_and_the_floor(twin):
    acts = load_activities(None)
    lim = limited_rules(twin, acts)
    assert lim.scenario.fdir.shed_science_soc == pytest.approx(acts.rules.soc_min + 0.001)
    t0 = utc_to_tdb(START)
    t = t0 + 60.0 * np.arange(3 * 1440)
    sc = lim.scenario
    inp = block_inputs(t, 60.0, sc, lim.up, lim.geometry(t[0], t[-1]), [],
                       np.zeros(len(sc.rovers)), lim.crew_visits_tdb())
    for k in range(len(sc.rovers)):
        driving = inp.rover_driving[k].astype(float)
        in_8h = np.convolve(driving, np.ones(480))[: t.size]
        assert driving.sum() > 0 and in_8h.max() <= 200      # ≤ 200 min in any 8 h
    # the unlimited rules drive 6-8 h at a stretch
    base = block_inputs(t, 60.0, twin.scenario, twin.up, twin.geometry(t[0], t[-1]), [],
                        np.zeros(len(sc.rovers)), twin.crew_visits_tdb())
    assert np.convolve(base.rover_driving[0].astype(float), np.ones(480)).max() > 300


def test_absolute_windows_and_exclusion_across_types(twin):
    """Soundings must end by 06:00 (a deadline); the seismometer's quiet time may not
    overlap either rover's drives: both planners keep both, the check finds neither."""
    base = load_activities(None)
    acts = base.model_copy(update={"activities": tuple(
        t.model_copy(update={"window": TimeWindow(stop=f"{START}T06:00:00")})
        if t.id == "gpr-sounding" else
        t.model_copy(update={"excludes": ("profiling-drive", "lava-tube-drive")})
        if t.id == "seismic-monitoring" else t for t in base.activities)})
    horizon = Horizon.from_twin(twin, utc_to_tdb(START), 1.0, acts.slot_s)
    problem = build_problem(acts, horizon)
    greedy, hint = plan_greedy(problem)
    cpsat = plan_cpsat(problem, time_limit_s=10.0, hint=hint)
    deadline = utc_to_tdb(f"{START}T06:00:00")
    for plan in (greedy, cpsat):
        sounding = [a for a in plan.activities if a.kind == "gpr-sounding"]
        assert sounding and max(a.stop_tdb_s for a in sounding) <= deadline + 1e-3
        quiet = [a for a in plan.activities if a.kind == "seismic-monitoring"]
        drives = [a for a in plan.activities if a.rover]
        assert quiet and drives
        assert not any(q.start_tdb_s < d.stop_tdb_s and d.start_tdb_s < q.stop_tdb_s
                       for q in quiet for d in drives)
        report, _ = replay(twin, plan, acts)
        assert report["valid"], report["violations"]
    # a drive moved into the quiet time is named
    q = next(a for a in greedy.activities if a.kind == "seismic-monitoring")
    d = next(a for a in greedy.activities if a.kind == "profiling-drive")
    moved = [a for a in greedy.activities if a is not d] + [
        d.__class__(**{**d.__dict__, "start_tdb_s": q.start_tdb_s,
                       "stop_tdb_s": q.start_tdb_s + (d.stop_tdb_s - d.start_tdb_s)})]
    report, _ = replay(twin, greedy.__class__(greedy.start_tdb_s, greedy.stop_tdb_s, moved,
                                              controls=greedy.controls), acts)
    assert any(v["rule"] == "resource-overlap" and "excluded" in v["message"]
               for v in report["violations"])


def _shed_at(limited: Twin, shed: float) -> Twin:
    """``limited`` with FDIR shedding science at ``shed`` (restore 5 points above), built
    here apart from :func:`rules_holding_battery`."""
    sc = limited.scenario
    fdir = sc.fdir.model_copy(update={"shed_science_soc": shed,
                                      "restore_science_soc": max(0.6, shed + 0.05)})
    return Twin(sc.model_copy(update={"fdir": fdir}), limited.roadmap, limited.horizon,
                limited.up)


def test_rules_holding_the_battery_shed_science_just_early_enough():
    """Polar night on the no-fission station: the limited rules shed science at the floor
    and their survival and operations loads then drain the battery to about 36 % (safe mode
    at 35 %). The baseline held to the plan's floor sheds earlier: its threshold keeps the
    lowest battery at or above 45 %, half a point less does not, and it is worth less than
    the limited rules (what the extra drain bought them)."""
    twin = Twin.from_scenario(load_scenario(EXAMPLES / "no-fission.yaml"))
    acts = load_activities(None)
    limited = limited_rules(twin, acts)
    start = utc_to_tdb("2036-10-28")
    stop, warm_days = start + 5 * 86400.0, 10.0

    def kpis(t: Twin) -> dict:
        return rule_kpis(t, acts, start, stop, warm_state(t, start, warm_days))

    free = kpis(limited)
    assert free["min_soc"] < 0.40
    shed, held = rules_holding_battery(limited, acts, start, stop, warm_days, 0.45)
    assert 0.451 < shed < 1.0
    assert held["min_soc"] >= 0.45
    assert kpis(_shed_at(limited, shed))["min_soc"] == pytest.approx(held["min_soc"])
    assert kpis(_shed_at(limited, shed - 0.005))["min_soc"] < 0.45
    assert held["value"] < free["value"]
    # a target no operation reaches: science never runs
    shed, none = rules_holding_battery(limited, acts, start, stop, warm_days, 0.99)
    assert shed == 1.0 and none["min_soc"] < 0.99
