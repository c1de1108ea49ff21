"""ilrs plan check: broken plans (issue 20's six and more) rejected, each with its rule."""

from __future__ import annotations

import dataclasses
import json

import pytest

from ilrs.cli import main
from ilrs.plan import load_activities
from ilrs.plan.horizon import utc_to_tdb
from ilrs.plan.model import TimeWindow
from ilrs.plan.plan import Activity, Plan
from ilrs.plan.replay import replay
from ilrs.station import Twin, load_scenario
from plan_support import planned

START = "2037-03-11"   # ILRS-1..5 on site, a crew of 2 (visit 2037-03-01 + 14 d), polar day
H = 3600.0


@pytest.fixture(scope="module")
def base():
    twin, acts, _, _, _, plan, _ = planned(START)
    report, _ = replay(twin, plan, acts)
    assert report["valid"] and not report["violations"], report["violations"]
    return twin, acts, plan


def _act(acts, kind: str, start: float, hours: float, k: int = 0, **changes) -> Activity:
    t = acts.by_id(kind)
    return dataclasses.replace(Activity(
        name=t.name, kind=t.id, instance=k, start_tdb_s=start, stop_tdb_s=start + hours * H,
        power_w=t.power_w, data_bit_s=t.data_bit_s, needs=tuple(t.needs), payload=t.payload,
        rover=t.rover, resource=t.unary, crew=t.crew, value=t.value_per_h * hours,
        thermal_window_k=t.thermal_window_k), **changes)


def _rules(twin, acts, plan, keep=lambda a: True, add=()) -> dict[str, str]:
    bad = dataclasses.replace(plan, activities=[a for a in plan.activities if keep(a)]
                              + list(add))
    report, _ = replay(twin, bad, acts)
    assert not report["valid"]
    return {v["rule"]: v["attributed"] for v in report["violations"]}


def test_an_8_hour_drive(base):
    twin, acts, plan = base
    t0 = plan.start_tdb_s + H
    rules = _rules(twin, acts, plan, keep=lambda a: a.rover != "profiling-rover",
                   add=[_act(acts, "profiling-drive", t0, 8.0, distance_km=2.88)])
    assert rules["duration"] == "plan" and rules["rolling-window"] == "plan"


def test_seven_overlapping_lab_runs_on_one_instrument(base):
    twin, acts, plan = base
    t0 = plan.start_tdb_s + 2 * H
    runs = [_act(acts, "biomed-autonomous", t0, 4.0, k=10 + i) for i in range(7)]
    rules = _rules(twin, acts, plan, add=runs)
    assert rules["resource-overlap"] == "plan"
    assert rules["bus-power"] == "plan"          # 7 × 1.2 kW (the twin's lab) on the bus


def test_an_ascent_with_every_sample_collection_removed(base):
    twin, acts, plan = base
    kinds = [a.kind for a in plan.activities]
    assert "sample-ascent" in kinds and "sample-collection" in kinds
    rules = _rules(twin, acts, plan, keep=lambda a: a.kind != "sample-collection")
    assert rules == {"precedence": "plan"}


def test_seven_crew_busy_with_two_on_site(base):
    twin, acts, plan = base
    t0 = plan.start_tdb_s + 12 * H
    sessions = [_act(acts, "biomed-crew-session", t0, 2.0, k=10 + i) for i in range(7)]
    rules = _rules(twin, acts, plan, keep=lambda a: not a.crew, add=sessions)
    assert rules["crew-on-site"] == "plan"


def test_a_lab_declared_at_1_w(base):
    twin, acts, plan = base
    rules = _rules(twin, acts, plan, keep=lambda a: a.kind != "biomed-autonomous", add=[
        _act(acts, "biomed-autonomous", plan.start_tdb_s, 4.0, power_w=1.0)])
    assert rules == {"declared-power": "plan"}


def test_driving_through_a_rover_fault_the_scenario_holds(base, tmp_path, capsys):
    """`ilrs plan check --scenario` honours the scenario's faults: 14 h of driving while
    the profiling rover is held by a fault is rejected, one line per violation."""
    _, acts, plan = base
    t0 = plan.start_tdb_s
    legs = [_act(acts, "profiling-drive", t0 + i * 8 * H + j * 2 * H, 2.0, k=i * 2 + j,
                 distance_km=0.72) for i in range(3) for j in (0, 1)]
    legs += [_act(acts, "profiling-drive", t0 + 26 * H, 2.0, k=9, distance_km=0.72)]
    long = dataclasses.replace(plan, stop_tdb_s=t0 + 2 * 86400.0, activities=[
        a for a in plan.activities if a.rover != "profiling-rover"] + legs)
    path = long.write(tmp_path / "plan.json")
    scenario = tmp_path / "fault.yaml"
    scenario.write_text("extends: reference\nname: rover-fault\nfaults:\n"
                        f"  - {{kind: rover-fault, at: '{START}T00:00:00', duration_h: 48,"
                        " target: profiling-rover}\n")
    assert sum(a.hours for a in legs) == 14.0
    status = main(["plan", "check", str(path), "--scenario", str(scenario), "--warm-days",
                   "0"])
    out = capsys.readouterr().out.strip().splitlines()
    assert status == 1
    faults = [line for line in out if line.startswith("plan: fault at")]
    assert len(faults) == 7 and "profiling-rover held by a fault for 120 of its planned" \
        in faults[0]
    report = json.loads((tmp_path / "replay.json").read_text())
    assert report["kpis"]["execution_fidelity"] < 0.99
    assert len([v for v in report["violations"] if v["rule"] == "fault"]) == 7
    # the same plan without the fault: no fault, and exit 0 if nothing else breaks
    assert main(["plan", "check", str(path), "--warm-days", "0"]) in (0, 1)
    again = json.loads((tmp_path / "replay.json").read_text())
    assert not [v for v in again["violations"] if v["rule"] == "fault"]


def test_more_broken_plans(base):
    """A camera after Earthset, an unknown activity, a lab before it lands, crew hours
    over the day's limit, a run past its type's deadline."""
    twin, acts, plan = base
    late = plan.stop_tdb_s - 2 * H                     # the Earth is down by then
    rules = _rules(twin, acts, plan, keep=lambda a: a.kind != "earth-observation",
                   add=[_act(acts, "earth-observation", late, 1.0)])
    assert rules == {"condition-broken": "plan"}
    ghost = dataclasses.replace(_act(acts, "gpr-sounding", plan.start_tdb_s, 1.0),
                                kind="moon-dance")
    assert _rules(twin, acts, plan, add=[ghost])["unknown-activity"] == "plan"
    crew = [_act(acts, "crew-eva", plan.start_tdb_s + i * 4 * H, 4.0, k=5 + i)
            for i in range(5)]                     # 2 crew × 20 h > 2 × 8 h
    rules = _rules(twin, acts, plan, keep=lambda a: not a.crew, add=crew)
    assert rules.get("crew-hours") == "plan"
    deadline = acts.model_copy(update={"activities": tuple(
        t.model_copy(update={"window": TimeWindow(stop=f"{START}T06:00:00")})
        if t.id == "gpr-sounding" else t for t in acts.activities)})
    report, _ = replay(twin, plan, deadline)
    assert {v["rule"] for v in report["violations"]} == {"window"}


def test_early_lab_is_not_on_site():
    twin = Twin.from_scenario(load_scenario(None))
    acts = load_activities(None)
    t0 = utc_to_tdb("2033-01-05")
    plan = Plan(t0, t0 + 86400.0, [_act(acts, "biomed-autonomous", t0 + H, 4.0)])
    report, _ = replay(twin, plan, acts)
    assert {v["rule"] for v in report["violations"]} == {"not-on-site"}
