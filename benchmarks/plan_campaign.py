"""Benchmark: a year of the no-fission station in closed loop against the limited rules.

For each seed (random faults, :data:`ilrs.plan.autonomy.FAULT_RATES`, beside the scenario's
dated ones) the station runs ``--days`` from ``--start`` twice under the same faults: with
the greedy planner on board (a ``--horizon-days`` rolling horizon, re-planned at its end,
after every fault and its clearing and at every Earth-blackout boundary;
:mod:`ilrs.plan.closed_loop`), and by the limited rules (the rules held to the plan's
flight rules and 45 % floor). Printed per seed and on average: survival energy unserved,
safe-mode hours, value (:mod:`ilrs.plan.value`) and data returned, plan against rules,
and the wall time; and the limited rules' value with ten times the battery (energy never
binds), about the most a plan can add by managing energy; and the ceiling no plan can pass
(:func:`ilrs.plan.bound.span_ceiling`) against each seed's limited rules.

Goals (issue 20, 20 seeds): 0 survival energy unserved, fewer safe-mode hours than the
limited rules on every seed, >= 1.10x their value on average.
Run: ``.venv/bin/python benchmarks/plan_campaign.py`` (4 seeds, a few minutes on 2 cores);
``--seeds 20`` for the issue's figure.
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse
import time

from _machine import stamp
from ilrs.plan.autonomy import FAULT_RATES, ceiling, run_seeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="examples/no-fission.yaml")
    parser.add_argument("--start", default="2035-12-01")
    parser.add_argument("--days", type=float, default=365.0)
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--horizon-days", type=float, default=7.0)
    parser.add_argument("--warm-days", type=float, default=30.0)
    parser.add_argument("--scheduler", default="local",
                        help="inline, local (default: a worker per core) or tcp://HOST:PORT")
    args = parser.parse_args()
    print(stamp("benchmarks/plan_campaign.py"))
    print(f"{args.scenario}: {args.days:g} days from {args.start}, {args.seeds} seeds, greedy "
          f"on a {args.horizon_days:g}-day horizon, {args.warm_days:g}-day warm-up; "
          f"scheduler {args.scheduler}")
    print("random faults per seed: " + "; ".join(
        f"{r.kind} {r.rate_per_yr:g}/yr" + (f" {100 * r.magnitude:g} %" if r.magnitude else "")
        + (f" {r.duration_h:g} h" if r.duration_h else "") for r in FAULT_RATES))
    t0 = time.perf_counter()
    result = run_seeds(args.scenario, args.start, args.days, list(range(1, args.seeds + 1)),
                       scheduler=args.scheduler, horizon_days=args.horizon_days,
                       warm_days=args.warm_days, progress=False, unbound=True)
    wall = time.perf_counter() - t0
    head = (f"  {'seed':>4} {'faults':>6} {'replans':>7} {'unserved kWh':>13} "
            f"{'safe-mode h':>13} {'value plan':>11} {'rules':>9} {'ratio':>6} "
            f"{'unbound':>7} {'data':>6} {'replan s':>9} {'wall s':>7}")
    print(head)
    print("  " + " " * 19 + f"{'plan/rules':>13} {'plan/rules':>13}" + " " * 28
          + f"{'rules':>7} {'ratio':>6} {'mean/max':>9}")
    for r in result["rows"]:
        print(f"  {r['seed']:>4} {len(r['faults']):>6} {r['replans']:>7} "
              f"{r['plan_survival_unserved_kwh']:>6.1f}/{r['rules_survival_unserved_kwh']:<6.1f} "
              f"{r['plan_safe_mode_h']:>6.1f}/{r['rules_safe_mode_h']:<6.1f} "
              f"{r['plan_value']:>11,.0f} {r['rules_value']:>9,.0f} {r['value_ratio']:>6.3f} "
              f"{r['rules_unbound_value'] / r['rules_value']:>7.3f} {r['data_ratio']:>6.3f} "
              f"{r['replan_s'] / r['replans']:>4.2f}/{r['replan_max_s']:<4.1f} "
              f"{r['wall_s']:>7.0f}")
    m = result["mean"]
    n = m["seeds"]
    unbound = sum(r["rules_unbound_value"] / r["rules_value"] for r in result["rows"]) / n
    print(f"  {'mean':>4} {'':>6} {m['replans']:>7.1f} "
          f"{m['plan_survival_unserved_kwh']:>6.1f}/{m['rules_survival_unserved_kwh']:<6.1f} "
          f"{m['plan_safe_mode_h']:>6.1f}/{m['rules_safe_mode_h']:<6.1f} "
          f"{m['plan_value']:>11,.0f} {m['rules_value']:>9,.0f} {m['value_ratio']:>6.3f} "
          f"{unbound:>7.3f} {m['data_ratio']:>6.3f} {'':>9} {m['wall_s']:>7.0f}")
    print(f"wall time {wall:.0f} s for {n} seeds ({wall / n:.0f} s a seed)")
    # the best any plan can do: energy unlimited, each type's conditions and daily goal
    t1 = time.perf_counter()
    top = ceiling(args.scenario, args.start, args.days, args.warm_days)
    per_seed = [top["value"] / r["rules_value"] for r in result["rows"]]
    print(f"ceiling (ilrs.plan.bound.span_ceiling, {time.perf_counter() - t1:.0f} s): no plan "
          f"is worth more than {top['value']:,.0f} over the span, faults or none; / each "
          f"seed's limited rules {min(per_seed):.3f}-{max(per_seed):.3f}x (mean "
          f"{sum(per_seed) / n:.3f}x); the plan reaches {m['plan_value'] / top['value']:.3f}"
          f" of it on average")
    print("  by part: " + ", ".join(f"{k.removeprefix('activity:')} {v:,.0f}"
                                    for k, v in sorted(top["parts"].items())))
    print(f"goals: survival unserved 0 on every seed: "
          f"{'met' if m['plan_survival_unserved_kwh_max'] == 0 else 'NOT met'} (largest "
          f"{m['plan_survival_unserved_kwh_max']:.2f} kWh); fewer safe-mode hours than the "
          f"limited rules on every seed: {m['seeds_fewer_safe_mode_h']}/{n} seeds (no more "
          f"on {m['seeds_no_more_safe_mode_h']}/{n}); value >= 1.10x on average: "
          f"{m['value_ratio']:.3f}x ({'met' if m['value_ratio'] >= 1.10 else 'NOT met'}; the "
          f"limited rules with energy never binding reach {unbound:.3f}x of themselves)")


if __name__ == "__main__":
    main()
