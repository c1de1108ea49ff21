"""``ilrs plan``: activities planned with CP-SAT against the station twin, replayed, shifted.

Heavy modules (ilrs.plan, ortools, matplotlib) are imported inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ilrs.errors import InputError


def _write(plan, twin, acts, out: Path, console, warm=None) -> dict:
    from ilrs.plan.gantt import write_gantt
    from ilrs.plan.replay import replay

    out.mkdir(parents=True, exist_ok=True)
    plan.write(out / "plan.json")
    report, result = replay(twin, plan, acts, warm)
    (out / "replay.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    write_gantt(plan, result, out / "gantt.png")
    s = plan.solver
    gap = "n/a" if s.get("gap") is None else f"{100 * s['gap']:.2f} %"
    console.print(f"{len(plan.activities)} activities, science value {plan.value:,.0f} "
                  f"({s.get('planner')}, {s.get('status', '')}, gap {gap}); replay: "
                  + ("[green]valid[/]" if report["valid"] else
                     f"[red]{len(report['violations'])} violation(s)[/]"))
    console.print(f"  wrote {out / 'plan.json'}, {out / 'replay.json'}, {out / 'gantt.png'}")
    return report


def plan(
    scenario: str | None = typer.Argument(
        None, help="Scenario YAML (default: the reference), or 'shift' to re-plan a slip."),
    plan_file: Path | None = typer.Argument(None, help="With 'shift': the plan.json."),
    start: str = typer.Option("2037-03-08", "--start", help="Plan start (ISO UTC)."),
    days: float = typer.Option(14.0, "--days", help="Horizon, days."),
    warm_days: float = typer.Option(
        30.0, "--warm-days", help="Days of rule-based operation before the plan (its state)."),
    by: float | None = typer.Option(None, "--by", help="With 'shift': the slip, days."),
    activities: Path | None = typer.Option(
        None, "--activities", help="Activity YAML (default: the built-in set)."),
    with_scenario: Path | None = typer.Option(
        None, "--scenario", help="With 'shift': the scenario YAML."),
    time_limit: float = typer.Option(60.0, "--time-limit", help="CP-SAT time limit, s."),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default out/plan)."),
) -> None:
    """Plan the station's activities (CP-SAT) and replay them in the twin.

    Writes plan.json, replay.json and gantt.png to --out; `ilrs plan shift plan.json --by
    DAYS` moves a plan by a slip and re-plans it where the twin finds it broken; `ilrs plan
    check plan.json [--scenario FILE]` replays any plan (ours or edited by hand), writes
    replay.json and exits 1 with one line per broken flight rule.
    """
    if time_limit <= 0:
        raise InputError("--time-limit", time_limit, "seconds > 0")
    if scenario == "check":
        if plan_file is None:
            raise InputError("ilrs plan check", plan_file, "a plan.json")
        raise typer.Exit(check(plan_file, with_scenario, activities, warm_days, out))
    if scenario == "shift":
        if plan_file is None or by is None:
            raise InputError("ilrs plan shift", plan_file, "a plan.json and --by DAYS")
        _shift(plan_file, by, with_scenario, activities, time_limit, out, warm_days)
        return
    if plan_file is not None:
        raise InputError("argument", str(plan_file), "one scenario file (or 'shift')")
    from rich.console import Console

    from ilrs.plan import load_activities
    from ilrs.plan.cpsat import plan_cpsat
    from ilrs.plan.greedy import plan_greedy
    from ilrs.plan.horizon import Horizon, utc_to_tdb
    from ilrs.plan.problem import build_problem
    from ilrs.plan.replay import warm_state
    from ilrs.station import Twin, load_scenario

    acts = load_activities(activities)
    twin = Twin.from_scenario(load_scenario(scenario))
    if not 0 <= warm_days <= 365:
        raise InputError("--warm-days", warm_days, "days in [0, 365]")
    t0 = utc_to_tdb(start)
    warm = warm_state(twin, t0, warm_days)
    horizon = Horizon.from_twin(twin, t0, days, acts.slot_s, warm)
    problem = build_problem(acts, horizon)
    _, hint = plan_greedy(problem)
    result = plan_cpsat(problem, time_limit_s=time_limit, hint=hint)
    _write(result, twin, acts, out or Path("out/plan"), Console(), warm)


def _shift(plan_file: Path, by: float, scenario: Path | None, activities: Path | None,
           time_limit: float, out: Path | None, warm_days: float) -> None:
    """The plan moved by ``by`` days, checked in the twin and re-planned if it breaks a
    condition or a resource there."""
    from rich.console import Console

    from ilrs.plan import load_activities
    from ilrs.plan.plan import Plan
    from ilrs.plan.repair import repair
    from ilrs.plan.replay import replay, warm_state
    from ilrs.station import Twin, load_scenario

    console = Console()
    moved = Plan.read(plan_file).shifted(by * 86400.0)
    acts = load_activities(activities)
    twin = Twin.from_scenario(load_scenario(scenario))
    warm = warm_state(twin, moved.start_tdb_s, warm_days)
    report, _ = replay(twin, moved, acts, warm)
    if not report["valid"]:
        console.print(f"the shifted plan breaks {len(report['violations'])} rule(s) in the "
                      "twin: re-planning its horizon")
        moved = repair(twin, acts, moved, moved.start_tdb_s, time_limit, warm)
    _write(moved, twin, acts, out or plan_file.parent / f"shift{by:+g}d", console, warm)


def check(plan_file: Path, scenario: Path | None, activities: Path | None, warm_days: float,
          out: Path | None) -> int:
    """Replay ``plan_file`` in the twin of ``scenario`` (every fault of it honoured) after
    ``warm_days`` of rule-based operation, check every flight rule, write replay.json
    (beside the plan, or in ``out``); returns 1 if the plan breaks a rule, else 0 (a
    breach the station alone has too is printed, marked ``station``, and does not fail)."""
    from ilrs.plan import load_activities
    from ilrs.plan.plan import Plan
    from ilrs.plan.replay import replay, warm_state
    from ilrs.station import Twin, load_scenario

    plan = Plan.read(plan_file)
    acts = load_activities(activities)
    twin = Twin.from_scenario(load_scenario(scenario))
    if not 0 <= warm_days <= 365:
        raise InputError("--warm-days", warm_days, "days in [0, 365]")
    warm = warm_state(twin, plan.start_tdb_s, warm_days)
    report, _ = replay(twin, plan, acts, warm)
    folder = out or plan_file.parent
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "replay.json"
    path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    for v in report["violations"]:
        typer.echo(f"{v['attributed']}: {v['rule']} at {v['utc']}: {v['message']}")
    k = report["kpis"]
    typer.echo(f"{len(plan.activities)} activities, {report['violations_by']['plan']} "
               f"violation(s) of the plan, {report['violations_by']['station']} of the "
               f"station; executed {100 * k['execution_fidelity']:.1f} % of the planned "
               f"activity-minutes; wrote {path}")
    return 0 if report["valid"] else 1
