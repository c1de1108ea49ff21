"""Benchmark: launch-slip Monte Carlo trials per second on one core (goal >= 10,000/s).

Runs ``ilrs.campaign.schedule_risk`` over the built-in roadmap in this process (no Dask;
numpy's element-wise work runs on one core), best of a few repeats, and for scale a plain
Python loop over trials doing the same propagation (there is no outside peer for this
figure).
Run: ``.venv/bin/python benchmarks/campaign_risk.py [--trials N]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ilrs.campaign import Roadmap, schedule_risk
from ilrs.campaign import _kernels as kernels
from ilrs.campaign.risk import prepare


def plain_loop_trials_per_s(roadmap: Roadmap, n_trials: int = 2_000) -> float:
    """The same propagation, one trial and one mission at a time in Python."""
    inputs = prepare(roadmap)
    rates = kernels.draw_rates(np.random.default_rng(0), n_trials, inputs.p_on_time,
                               inputs.log_mean, inputs.log_sd, inputs.max_rate)
    base, lead, offset = inputs.base_mjd.tolist(), inputs.lead_days.tolist(), \
        inputs.offset_days.tolist()
    deps = [[j for j in row if j >= 0] for row in inputs.deps.tolist()]
    fixed = inputs.fixed.tolist()
    t0 = time.perf_counter()
    for t in range(n_trials):
        launch = [0.0] * len(base)
        for i in range(len(base)):
            value = base[i] if fixed[i] else base[i] + float(rates[t, i]) * lead[i]
            for j in deps[i]:
                value = max(value, launch[j] + offset[j])
            launch[i] = value
    return n_trials / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    roadmap = Roadmap.load_builtin()
    schedule_risk(roadmap, trials=10_000, seed=0)  # warm up imports and caches
    best = float("inf")
    for repeat in range(args.repeats):
        t0 = time.perf_counter()
        result = schedule_risk(roadmap, trials=args.trials, seed=repeat)
        best = min(best, time.perf_counter() - t0)
    rate = args.trials / best
    loop = plain_loop_trials_per_s(roadmap)
    n_missions = len(result.inputs.roadmap_order)
    n_vehicles = len(result.inputs.ids) - n_missions
    print(f"campaign risk: {args.trials:,} trials x {n_missions} missions "
          f"(+ {n_vehicles} vehicle first flight) in {best:.3f} s on one core")
    print(f"trials per second: {rate:,.0f} (goal >= 10,000/s: "
          f"{'met' if rate >= 10_000 else 'NOT met'})")
    print(f"plain Python loop (propagation only): {loop:,.0f} trials/s; "
          f"vectorized is {rate / loop:.0f}x faster")


if __name__ == "__main__":
    main()
