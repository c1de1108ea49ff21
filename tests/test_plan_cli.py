"""ilrs plan / ilrs plan shift: files written, plan.json fields, clear errors."""

from __future__ import annotations

import json

from ilrs.cli import main


def test_plan_writes_plan_replay_and_gantt(tmp_path, capsys):
    out = tmp_path / "p"
    assert main(["plan", "--start", "2037-03-11", "--days", "1", "--warm-days", "0",
                 "--time-limit", "10", "--out", str(out)]) == 0
    plan = json.loads((out / "plan.json").read_text())
    first = plan["activities"][0]
    assert {"name", "kind", "start_utc", "stop_utc", "power_w", "needs"} <= set(first)
    assert first["start_utc"].startswith("2037-03-1")
    replay = json.loads((out / "replay.json").read_text())
    assert replay["valid"] and replay["violations"] == []
    assert (out / "gantt.png").stat().st_size > 10_000
    assert "replay: valid" in capsys.readouterr().out
    # the plan as written checks clean: exit 0, replay.json beside it
    assert main(["plan", "check", str(out / "plan.json"), "--warm-days", "0"]) == 0
    checked = json.loads((out / "replay.json").read_text())
    assert checked["valid"] and checked["kpis"]["execution_fidelity"] > 1 - 1e-9
    assert "0 violation(s) of the plan" in capsys.readouterr().out
    # a slip of two days: the Earth is down by then, so the camera's slots break and the
    # horizon is re-planned; the result replays without violation
    assert main(["plan", "shift", str(out / "plan.json"), "--by", "2", "--warm-days", "0",
                 "--time-limit", "10", "--out", str(tmp_path / "s")]) == 0
    shifted = json.loads((tmp_path / "s" / "plan.json").read_text())
    assert shifted["start_utc"].startswith("2037-03-13")
    assert shifted["version"] >= 2
    assert json.loads((tmp_path / "s" / "replay.json").read_text())["valid"]


def test_plan_prove_bounds_the_plan(tmp_path, capsys):
    """--prove: the decomposition's bound (ilrs.plan.bound) in plan.json, at least the
    plan's value, every group's status named."""
    out = tmp_path / "p"
    assert main(["plan", "--start", "2037-03-11", "--days", "1", "--warm-days", "0",
                 "--time-limit", "10", "--prove", "--out", str(out)]) == 0
    plan = json.loads((out / "plan.json").read_text())
    dec = plan["solver"]["decomposition"]
    assert dec["bound"] >= plan["solver"]["objective"] - 1e-6
    assert dec["groups"] and all(g["status"] for g in dec["groups"])
    assert "no plan of this model is worth more than" in capsys.readouterr().out


def test_plan_bad_input_is_one_line(tmp_path, capsys):
    assert main(["plan", "--start", "2020-01-01", "--days", "1", "--out",
                 str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "station has landed" in err[0]
    assert main(["plan", "shift", str(tmp_path / "none.json"), "--by", "1"]) == 1
    assert "PLAN: got" in capsys.readouterr().err
