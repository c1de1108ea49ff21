"""``ilrs plan``: activities planned with CP-SAT against the station twin, replayed, shifted.

Heavy modules (ilrs.plan, ortools, matplotlib) are imported inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.core import TyperGroup

from ilrs.cli import _options as opt


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


class _PlanGroup(TyperGroup):
    """``ilrs plan``: its sub-commands (``shift``), and ``make`` when the first word is an
    option or a scenario file (``ilrs plan --start …``, ``ilrs plan FILE.yaml …``), so that
    a mistyped sub-command is an unknown command, not a scenario."""

    def parse_args(self, ctx, args):
        if not args or (args[0] not in self.commands and _makes(args[0])):
            args = [DEFAULT, *args]
        return super().parse_args(ctx, args)


def _makes(word: str) -> bool:
    if word in ("--help", "-h"):
        return False
    return (word.startswith("-") or word == "reference"
            or Path(word).suffix.lower() in (".yaml", ".yml") or Path(word).is_file())


#: The sub-command ``ilrs plan`` runs when none is named.
DEFAULT = "make"
app = typer.Typer(
    cls=_PlanGroup, add_completion=False,
    help="Plan the station's activities (CP-SAT) and replay them in the twin.\n\n"
         "`ilrs plan [SCENARIO] [OPTIONS]` is `ilrs plan make`; `ilrs plan shift PLAN --by "
         "DAYS` moves a plan by a slip and re-plans it where the twin finds it broken; `ilrs plan "
         "campaign SCENARIO --days N --seeds K` runs the station in closed loop under random "
         "faults against the limited rules.")

_START = typer.Option("2037-03-08", "--start", callback=opt.station_date,
                      metavar="<YYYY-MM-DD>", help="Plan start (ISO UTC).")
_WARM_DAYS = typer.Option(30.0, "--warm-days", callback=opt.number(0, 365, unit="days"),
                          help="Days of rule-based operation before the plan (its state).")
_ACTIVITIES = typer.Option(None, "--activities", callback=opt.existing_file("activity YAML"),
                           help="Activity YAML (default: the built-in set).")
_TIME_LIMIT = typer.Option(60.0, "--time-limit", callback=opt.number(0, 3600, low_open=True,
                           unit="s"), help="CP-SAT time limit, s.")


@app.command(DEFAULT)
def make(
    scenario: Path | None = opt.SCENARIO,
    start: str = _START,
    days: float = typer.Option(14.0, "--days", callback=opt.number(0, 60, low_open=True,
                               unit="days"), help="Horizon, days."),
    warm_days: float = _WARM_DAYS,
    activities: Path | None = _ACTIVITIES,
    time_limit: float = _TIME_LIMIT,
    out: Path = typer.Option(Path("out/plan"), "--out", callback=opt.out_folder,
                             help="Output folder."),
    prove: bool = typer.Option(False, "--prove", help="Also bound the best any plan can do "
                               "by decomposition (groups of activity types solved alone, "
                               "up to --time-limit each): plan.json's solver.decomposition."),
) -> None:
    """Plan the station's activities from --start (CP-SAT) and replay them in the twin:
    plan.json, replay.json and gantt.png in --out."""
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
    t0 = utc_to_tdb(start)
    warm = warm_state(twin, t0, warm_days)
    horizon = Horizon.from_twin(twin, t0, days, acts.slot_s, warm)
    problem = build_problem(acts, horizon)
    _, hint = plan_greedy(problem)
    result = plan_cpsat(problem, time_limit_s=time_limit, hint=hint)
    console = Console()
    if prove:
        from ilrs.plan.bound import decomposition_bound

        parts = decomposition_bound(problem, hint, time_limit_s=time_limit)
        best = sum(p.bound for p in parts)
        proven = all(p.optimal for p in parts)
        result.solver["decomposition"] = {
            "bound": best, "proven": proven,
            "groups": [{"types": list(p.types), "found": p.found, "bound": p.bound,
                        "status": p.status} for p in parts]}
        console.print(f"no plan of this model is worth more than {best:,.1f} (groups of "
                      f"activity types solved alone{', each proven' if proven else ''}); "
                      f"this plan: {result.solver['objective'] / max(best, 1e-9):.4f} of it")
    _write(result, twin, acts, out, console, warm)


@app.command("shift")
def shift(
    plan_file: Path = typer.Argument(..., callback=opt.existing_file("plan.json"),
                                     metavar="PLAN", help="The plan.json to move."),
    by: float = typer.Option(..., "--by", callback=opt.number(-3650, 3650, unit="days"),
                             help="The slip, days (negative: earlier)."),
    scenario: Path | None = typer.Option(None, "--scenario", callback=opt.scenario_file,
                                         help="Scenario YAML (default: the reference)."),
    activities: Path | None = _ACTIVITIES,
    time_limit: float = _TIME_LIMIT,
    warm_days: float = _WARM_DAYS,
    out: Path | None = typer.Option(None, "--out", callback=opt.out_folder,
                                    help="Output folder (default: shift+Nd beside PLAN)."),
) -> None:
    """Move a plan by a slip, check it in the twin and re-plan it where it breaks a
    condition or a resource."""
    target = out or plan_file.parent / f"shift{by:+g}d"
    opt.check_out_folder("--out", target)
    _shift(plan_file, by, scenario, activities, time_limit, target, warm_days)


def _shift(plan_file: Path, by: float, scenario: Path | None, activities: Path | None,
           time_limit: float, out: Path, warm_days: float) -> None:
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
    _write(moved, twin, acts, out, console, warm)


@app.command("check")
def check(
    plan_file: Path = typer.Argument(..., callback=opt.existing_file("plan.json"),
                                     metavar="PLAN", help="The plan.json to check."),
    scenario: Path | None = typer.Option(None, "--scenario", callback=opt.scenario_file,
                                         help="Scenario YAML (default: the reference)."),
    activities: Path | None = _ACTIVITIES,
    warm_days: float = _WARM_DAYS,
    out: Path | None = typer.Option(None, "--out", callback=opt.out_folder,
                                    help="Folder of replay.json (default: beside PLAN)."),
) -> None:
    """Replay any plan.json (ours or edited by hand) in the twin of --scenario (every fault
    of it honoured), check every flight rule, write replay.json; one line per violation,
    exit 1 if the plan breaks a rule (a breach the station alone has too is printed, marked
    ``station``, and does not fail)."""
    from ilrs.plan import load_activities
    from ilrs.plan.plan import Plan
    from ilrs.plan.replay import replay, warm_state
    from ilrs.station import Twin, load_scenario

    plan = Plan.read(plan_file)
    acts = load_activities(activities)
    twin = Twin.from_scenario(load_scenario(scenario))
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
    raise typer.Exit(0 if report["valid"] else 1)


# -- long-term autonomy: the closed loop over days, seeds against the limited rules ----------
def _planner(ctx, param, value: str) -> str:
    if value not in ("greedy", "cpsat"):
        from ilrs.errors import InputError

        raise InputError(opt.name_of(param), value, "greedy or cpsat")
    return value


@app.command("campaign")
def campaign(
    scenario: Path | None = opt.SCENARIO,
    start: str = typer.Option("2035-12-01", "--start", callback=opt.station_date,
                              metavar="<YYYY-MM-DD>", help="First day of the loop (ISO UTC)."),
    days: float = typer.Option(365.0, "--days", callback=opt.number(0, 3660, low_open=True,
                               unit="days"), help="Days the station runs in closed loop."),
    seeds: int = typer.Option(4, "--seeds", callback=opt.number(1, 1000, unit="seeds"),
                              help="Random-fault seeds (1..K), each run by the plan and "
                                   "by the limited rules."),
    horizon_days: float = typer.Option(7.0, "--horizon-days", callback=opt.number(
        0, 60, low_open=True, unit="days"), help="The planner's rolling horizon, days."),
    planner: str = typer.Option("greedy", "--planner", callback=_planner,
                                metavar="<greedy|cpsat>", help="The on-board planner "
                                "(greedy: the fast one; cpsat: warm-started from greedy)."),
    time_limit: float = typer.Option(10.0, "--time-limit", callback=opt.number(
        0, 3600, low_open=True, unit="s"), help="CP-SAT time limit per re-plan, s."),
    warm_days: float = _WARM_DAYS,
    activities: Path | None = _ACTIVITIES,
    scheduler: str = opt.scheduler_option("local", "Default: local (the seeds in "
                                          "parallel)."),
    out: Path = typer.Option(Path("out/plan-campaign"), "--out", callback=opt.out_folder,
                             help="Output folder (campaign.json, campaign.csv)."),
) -> None:
    """Run the station for --days in closed loop, the planner on board (re-plans at the
    end of each horizon, after every fault and at every Earth-blackout boundary), under
    each seed's random faults, against the limited rules under the same faults: survival
    energy unserved, safe-mode hours, value and data per seed and on average; and the
    ceiling no plan can pass over the span (energy unlimited)."""
    from rich.console import Console

    from ilrs.plan.autonomy import ceiling, run_seeds, write_table

    path = str(scenario.resolve()) if scenario else None
    acts_path = str(activities.resolve()) if activities else None
    result = run_seeds(path, start, days, list(range(1, int(seeds) + 1)),
                       scheduler=scheduler, horizon_days=horizon_days, warm_days=warm_days,
                       planner=planner, time_limit_s=time_limit, activities=acts_path)
    top = ceiling(path, start, days, warm_days, acts_path)
    result["ceiling"] = top
    console = Console()
    console.print(campaign_table(result))
    m = result["mean"]
    console.print(f"  the most any plan can be worth over the span (energy unlimited, each "
                  f"type's conditions and daily goal; docs/plan.md): {top['value']:,.0f} = "
                  f"{top['value'] / max(m['rules_value'], 1e-9):.3f}× the limited rules' "
                  f"mean; the plan reaches {m['plan_value'] / max(top['value'], 1e-9):.3f} "
                  "of it")
    paths = write_table(result, out)
    console.print(f"  wrote {paths[0]}, {paths[1]}")


def campaign_table(result: dict):
    """The closed loop's seeds as a rich table: plan against the limited rules."""
    from rich.table import Table

    table = Table(title=f"{result['scenario']}: {result['days']:g} days from "
                        f"{result['start']} in closed loop ({result['planner']}, "
                        f"{result['horizon_days']:g}-day horizon) vs limited rules")
    for name in ("seed", "faults", "re-plans", "unserved kWh plan/rules",
                 "safe mode h plan/rules", "value plan", "value rules", "value ×",
                 "data ×", "wall s"):
        table.add_column(name, justify="right")

    def cells(r: dict, label: str, faults: str) -> list[str]:
        return [label, faults, f"{r['replans']:.0f}",
                f"{r['plan_survival_unserved_kwh']:.1f} / {r['rules_survival_unserved_kwh']:.1f}",
                f"{r['plan_safe_mode_h']:.1f} / {r['rules_safe_mode_h']:.1f}",
                f"{r['plan_value']:,.0f}", f"{r['rules_value']:,.0f}",
                f"{r['value_ratio']:.3f}", f"{r['data_ratio']:.3f}", f"{r['wall_s']:.0f}"]

    for r in result["rows"]:
        table.add_row(*cells(r, str(r["seed"]), str(len(r["faults"]))))
    table.add_row(*cells(result["mean"], "mean", ""), style="bold")
    return table
