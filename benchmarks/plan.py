"""Benchmark: one lunar day of autonomous operations at the reference site (issue 12).

The reference scenario's station (ILRS-1..5 landed, a crew visit on site) at the
Connecting Ridge, 14 days from ``--start``, after ``--warm-days`` of the twin's rule-based
operation (so the plan starts from the state the station would be in: battery, buffer,
FDIR hold). In one run, side by side:

- the CP-SAT plan (one worker, ``--time-limit``), its gap, the activities and resources;
- the greedy baseline on the same problem and objective;
- both replayed in the twin at 1-minute steps: violations, survival energy unserved,
  data lost;
- the twin's rule-based operation of the same window (conditions + duties + FDIR): science
  value on the same per-load measure, data returned, and the ratios;
- first, the rule-based operation of every fortnight from ILRS-2's landing to the windows
  (``--survey``): its lowest battery, fullest buffer, science shed and data lost — whether
  any resource binds, i.e. whether a plan has anything to gain over the rules;
- repair after an array-degradation fault at day 5 (``--fault-magnitude`` of every array):
  the new plan's time and its replay.

Goals: < 60 s on one core with the gap reported; 0 violations, 0 survival energy unserved,
0 data lost; ≥ 1.3× science value and ≥ 1.2× data returned vs the rules; better than greedy;
repair < 10 s with a valid plan. Run: ``.venv/bin/python benchmarks/plan.py``.
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")  # one core, as the goal says

import argparse
import datetime as dt
import time

from ilrs.plan import load_activities
from ilrs.plan.cpsat import plan_cpsat
from ilrs.plan.greedy import plan_greedy
from ilrs.plan.horizon import Horizon, utc_to_tdb
from ilrs.plan.problem import build_problem
from ilrs.plan.repair import repair
from ilrs.plan.replay import fault_scenario, replay, rule_kpis, warm_state
from ilrs.station import Twin, load_scenario


def _pct(plan) -> str:
    gap = plan.solver.get("gap")
    return "n/a (the whole model did not start in the time left)" if gap is None \
        else f"{100 * gap:.2f} %"


def line(label: str, report: dict) -> str:
    k = report["kpis"]
    return (f"  {label:<8} {report['activities']:4d} activities, violations "
            f"{len(report['violations'])}, survival unserved {k['survival_unserved_kwh']:.1f} "
            f"kWh, data lost {k['data_lost_gb']:.1f} GB, returned {k['data_returned_gb']:,.0f} "
            f"GB, science value (loads) {k['science_value_of_loads']:,.0f}, max buffer "
            f"{100 * k['max_buffer_fraction']:.0f} %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", nargs="+", default=["2037-03-12", "2037-03-26"],
                        help="window starts (default: the Earth-down fortnight of March 2037 "
                             "with a crew visit, and the Earth-up one)")
    parser.add_argument("--survey", nargs=2, metavar=("FROM", "TO"),
                        default=["2032-09-01", "2037-04-09"],
                        help="first: the rules' resources over every fortnight FROM..TO "
                             "(does power or data bind anywhere?; default: from ILRS-2's "
                             "science to the benchmark windows)")
    parser.add_argument("--no-survey", dest="survey", action="store_const", const=None)
    parser.add_argument("--scenario", default=None,
                        help="a scenario file (default: the reference station), e.g. a "
                             "what-if where power or data binds")
    parser.add_argument("--days", type=float, default=14.0)
    parser.add_argument("--warm-days", type=float, default=30.0)
    parser.add_argument("--time-limit", type=float, default=55.0)
    parser.add_argument("--fault-day", type=float, default=5.0)
    parser.add_argument("--fault-magnitude", type=float, default=0.5)
    args = parser.parse_args()
    print(f"benchmarks/plan.py, {dt.date.today()} (shared 2-core machine: absolute times are "
          "inflated by other jobs)")
    twin = Twin.from_scenario(load_scenario(args.scenario))
    print(f"scenario: {twin.scenario.name}")
    acts = load_activities(None)
    if args.survey:
        survey(twin, acts, *args.survey, args.warm_days)
    for start in args.start:
        window(twin, acts, start, args)


def survey(twin, acts, first: str, last: str, warm_days: float) -> None:
    """The rule-based operation's binding resources in every fortnight from ``first``."""
    print(f"\n== rules, every 14 days from {first} to {last} ({warm_days:g} d warm-up each)")
    day = dt.date.fromisoformat(first)
    rows = []
    while day <= dt.date.fromisoformat(last):
        start = utc_to_tdb(day.isoformat())
        warm = warm_state(twin, start, warm_days)
        r = rule_kpis(twin, acts, start, start + 14 * 86400.0, warm)
        rows.append((day.isoformat(), r))
        day += dt.timedelta(days=14)
    soc_day, soc = min(((d, r["min_soc"]) for d, r in rows), key=lambda x: x[1])
    buf_day, buf = max(((d, r["max_buffer_fraction"]) for d, r in rows), key=lambda x: x[1])
    print(f"{len(rows)} fortnights: lowest battery {100 * soc:.0f} % ({soc_day}), fullest "
          f"buffer {100 * buf:.1f} % ({buf_day}), science shed by FDIR "
          f"{sum(r['science_shed_by_fdir_kwh'] for _, r in rows):,.0f} kWh, data lost "
          f"{sum(r['data_lost_gb'] for _, r in rows):,.1f} GB, survival unserved "
          f"{sum(r['survival_unserved_kwh'] for _, r in rows):,.1f} kWh")


def execution(twin, acts, plan, report, warm_days: float) -> None:
    """Execution = plan: the share of the planned activity-minutes the station executed,
    in the replay (Twin.run with the plan's timeline) and on board the live twin, the plan
    delivered as its time-tagged commands (released at their times, as PUS 11 does)."""
    from ilrs.plan.plan import _utc
    from ilrs.station import LiveTwin
    from ilrs.station.schedule import fidelity
    from ilrs.station.timeline import timeline_commands

    t0 = time.perf_counter()
    timeline = plan.to_timeline({t.id: t for t in acts.activities})
    live = LiveTwin.from_twin(twin, _utc(plan.start_tdb_s - warm_days * 86400.0))
    live.advance_to(plan.start_tdb_s)
    commands = timeline_commands(timeline, live.elements)
    results = live.run_commands(commands, plan.stop_tdb_s)
    on_board = fidelity(timeline, live.onboard)
    rejected = [r for r in results if not r.accepted]
    f = report["fidelity"]
    print(f"execution = plan: {f['planned_minutes']:,.0f} planned activity-minutes; executed "
          f"{100 * f['fraction']:.2f} % in the replay, {100 * on_board['fraction']:.2f} % on "
          f"board the live twin from {len(commands)} time-tagged commands ({len(rejected)} "
          f"rejected; {time.perf_counter() - t0:.0f} s) (goal >= 99 %)")
    low = {k: round(100 * v["fraction"], 1) for k, v in on_board["by_activity"].items()
           if v["fraction"] < 0.999}
    print(f"  on board, activities below 99.9 %: {low or 'none'}")


def window(twin, acts, start_utc: str, args) -> None:
    """Plan, compare and repair one window."""
    print(f"\n== {start_utc} + {args.days:g} d")
    start = utc_to_tdb(start_utc)
    warm = warm_state(twin, start, args.warm_days)
    t0 = time.perf_counter()
    horizon = Horizon.from_twin(twin, start, args.days, acts.slot_s, warm)
    problem = build_problem(acts, horizon)
    t_problem = time.perf_counter() - t0
    greedy, hint = plan_greedy(problem)
    t1 = time.perf_counter()
    plan = plan_cpsat(problem, time_limit_s=args.time_limit, hint=hint)
    t_cpsat = time.perf_counter() - t1
    s = plan.solver
    print(f"window {start_utc} + {args.days:g} d after {args.warm_days:g} d of rule-based "
          f"operation; buffer at start {100 * horizon.initial_buffer_bit / horizon.buffer_bit:.0f}"
          f" %, science held by FDIR for the first {horizon.science_from_slot} slots")
    print(f"problem: {s['instances']} instances, {s['candidates']} candidate placements, "
          f"{len(s['resources'])} resources ({', '.join(s['resources'][:4])} + "
          f"{len(s['resources']) - 4} unary), built in {t_problem:.1f} s")
    print(f"CP-SAT (1 worker): {s['status']}, {s['scheduled']} activities, objective "
          f"{s['objective']:,.1f}, bound {s['best_bound']}, gap {_pct(plan)}, "
          f"{t_cpsat:.1f} s from the greedy hint (goal < 60 s); window LNS {s['window_lns']}")
    print(f"  binding: {s['binding']}")
    print(f"greedy: {greedy.solver['scheduled']} activities, objective "
          f"{greedy.solver['objective']:,.1f} in {greedy.solver['solve_s']:.2f} s; CP-SAT / "
          f"greedy = {s['objective'] / max(greedy.solver['objective'], 1e-9):.3f}")
    rep_c, _ = replay(twin, plan, acts, warm)
    rep_g, _ = replay(twin, greedy, acts, warm)
    rules = rule_kpis(twin, acts, plan.start_tdb_s, plan.stop_tdb_s, warm)
    print("replayed in the twin (1-minute steps), same window:")
    print(line("CP-SAT", rep_c))
    print(line("greedy", rep_g))
    print(f"  rules    survival unserved {rules['survival_unserved_kwh']:.1f} kWh, data lost "
          f"{rules['data_lost_gb']:.1f} GB, returned {rules['data_returned_gb']:,.0f} GB, "
          f"science value (loads) {rules['science_value_of_loads']:,.0f}, science shed by "
          f"FDIR {rules['science_shed_by_fdir_kwh']:,.0f} kWh, max buffer "
          f"{100 * rules['max_buffer_fraction']:.0f} %")
    execution(twin, acts, plan, rep_c, args.warm_days)
    kc = rep_c["kpis"]
    value = kc["science_value_of_loads"] / rules["science_value_of_loads"]
    data = kc["data_returned_gb"] / rules["data_returned_gb"]
    print(f"plan / rules: science value {value:.2f}x (goal >= 1.3), data returned {data:.2f}x "
          "(goal >= 1.2)")
    for v in rep_c["violations"][:5]:
        print(f"  violation: {v}")
    # -- repair after a fault ------------------------------------------------------------
    at = plan.start_tdb_s + args.fault_day * 86400.0
    faulty = twin
    for a in twin.scenario.solar_arrays:
        faulty = fault_scenario(faulty, "array-degradation", at, args.fault_magnitude, a.id)
    rep_before, _ = replay(faulty, plan, acts, warm)
    t2 = time.perf_counter()
    fixed = repair(faulty, acts, plan, at, time_limit_s=8.0, initial=warm)
    t_repair = time.perf_counter() - t2
    rep_after, _ = replay(faulty, fixed, acts, warm)
    print(f"fault at day {args.fault_day:g}: every array degraded by "
          f"{100 * args.fault_magnitude:.0f} %; the old plan in the faulty twin: "
          f"{len(rep_before['violations'])} violation(s)")
    print(f"repair: {t_repair:.1f} s (goal < 10 s), {fixed.solver['status']}, plan v"
          f"{fixed.version} with {len(fixed.activities)} activities, gap {_pct(fixed)}; "
          f"replay: {len(rep_after['violations'])} violation(s)")
    # the same fault under the rules: does power bind now, and what does planning buy?
    rules_f = rule_kpis(faulty, acts, plan.start_tdb_s, plan.stop_tdb_s, warm)
    print(line("repaired", rep_after))
    print(f"  rules    (same fault) lowest battery {100 * rules_f['min_soc']:.0f} %, survival "
          f"unserved {rules_f['survival_unserved_kwh']:.1f} kWh, data lost "
          f"{rules_f['data_lost_gb']:.1f} GB, returned {rules_f['data_returned_gb']:,.0f} GB, "
          f"science value (loads) {rules_f['science_value_of_loads']:,.0f}, science shed by "
          f"FDIR {rules_f['science_shed_by_fdir_kwh']:,.0f} kWh")
    ka = rep_after["kpis"]
    print(f"repaired plan / rules with the fault: science value "
          f"{ka['science_value_of_loads'] / rules_f['science_value_of_loads']:.2f}x, data "
          f"returned {ka['data_returned_gb'] / rules_f['data_returned_gb']:.2f}x")


if __name__ == "__main__":
    main()
