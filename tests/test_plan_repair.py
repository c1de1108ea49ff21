"""Repair after a fault (ilrs.plan.repair): what ran stays, what the fault does not touch
stays where it was, and the repaired plan passes ``ilrs plan check`` with the fault."""

from __future__ import annotations

import json

import pytest

from ilrs.cli import main
from ilrs.plan import load_activities
from ilrs.plan.greedy import plan_greedy
from ilrs.plan.horizon import Horizon, utc_to_tdb
from ilrs.plan.problem import build_problem
from ilrs.plan.repair import repair
from ilrs.station import Twin, load_scenario

START = "2037-03-11"     # both rovers on site, polar day at the reference site
FAULT_AT = f"{START}T12:00:00"


@pytest.fixture(scope="module")
def faulted(tmp_path_factory):
    """A two-day greedy plan made without the fault, and the station with a rover fault
    at noon holding the profiling rover for 24 h."""
    folder = tmp_path_factory.mktemp("repair")
    scenario = folder / "rover-fault.yaml"
    scenario.write_text("extends: reference\nname: rover-fault\nfaults:\n"
                        f"  - {{kind: rover-fault, at: '{FAULT_AT}', duration_h: 24,"
                        " target: profiling-rover}\n")
    acts = load_activities(None)
    healthy = Twin.from_scenario(load_scenario(None))
    horizon = Horizon.from_twin(healthy, utc_to_tdb(START), 2.0, acts.slot_s)
    plan, _ = plan_greedy(build_problem(acts, horizon))
    twin = Twin.from_scenario(load_scenario(scenario))
    return folder, scenario, acts, plan, twin


def test_the_plan_made_before_the_fault_fails_the_check(faulted, capsys):
    folder, scenario, _, plan, _ = faulted
    path = plan.write(folder / "before.json")
    assert main(["plan", "check", str(path), "--scenario", str(scenario),
                 "--warm-days", "0"]) == 1
    out = capsys.readouterr().out
    assert "plan: fault at" in out and "profiling-rover held by a fault" in out


def test_the_repaired_plan_passes_the_check(faulted, capsys):
    folder, scenario, acts, plan, twin = faulted
    at = utc_to_tdb(FAULT_AT)
    new = repair(twin, acts, plan, at, time_limit_s=3.0)
    rep = new.solver["repair"]
    assert new.version == plan.version + 1 and rep["at_utc"] == FAULT_AT
    # what ran before the fault stays as it ran
    key = lambda a: (a.kind, a.instance, round(a.start_tdb_s), round(a.stop_tdb_s))  # noqa: E731
    before = {key(a) for a in plan.activities if a.start_tdb_s < at}
    assert before <= {key(a) for a in new.activities} and rep["frozen"] == len(before)
    # what the fault does not touch stays where it was (its commands on board stay
    # valid) unless CP-SAT found a better place for it: the greedy repair keeps it all
    untouched = {key(a) for a in plan.activities
                 if a.start_tdb_s >= at and a.rover != "profiling-rover"}
    after = {key(a) for a in plan.activities if a.start_tdb_s >= at}
    kept = after & {key(a) for a in new.activities}
    assert rep["kept"] == len(kept) and len(kept & untouched) >= 0.8 * len(untouched)
    assert new.value >= rep["greedy_value"] - 1e-6
    # no drive of the held rover inside the fault's 24 h; it drives again after
    held = [a for a in new.activities if a.rover == "profiling-rover"
            and a.stop_tdb_s > at + 1.0 and a.start_tdb_s < at + 86400.0 - 1.0]
    assert held == []
    assert any(a.rover == "profiling-rover" and a.start_tdb_s >= at + 86400.0 - 1.0
               for a in new.activities)
    path = new.write(folder / "repaired.json")
    assert main(["plan", "check", str(path), "--scenario", str(scenario),
                 "--warm-days", "0"]) == 0
    assert "0 violation(s) of the plan" in capsys.readouterr().out
    report = json.loads((folder / "replay.json").read_text())
    assert report["violations_by"]["plan"] == 0
    assert report["kpis"]["execution_fidelity"] > 0.99

