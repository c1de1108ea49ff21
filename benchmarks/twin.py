"""Benchmark: the reference station scenario, 10 simulated years at 1-minute steps.

5,260,320 steps (3,653 days) of the compiled time loop, preceded by the sky and lighting
precomputation (Sun, Earth and Queqiao-2 geometry on the 10-minute grid, disk fractions
against the real Connecting-Ridge horizons at 2 m and 10 m), timed separately. Goal: under
10 s on one core. Run: ``make bench`` or ``.venv/bin/python benchmarks/twin.py [--years N]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")  # one core, as the goal says

import argparse
import time
from datetime import UTC, datetime

from ilrs.station import Twin, load_scenario


def scenario(start: str, stop: str):
    sc = load_scenario(None)
    return sc.model_copy(update={"period": sc.period.model_copy(update={
        "start": start, "stop": stop})})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args()
    start = "2031-08-01"
    stop = f"{2031 + args.years}-07-31"  # through that day: 10 years = 3,653 days
    Twin.from_scenario(scenario(start, "2031-08-03")).run()  # load the JIT caches first
    t0 = time.perf_counter()
    twin = Twin.from_scenario(scenario(start, stop))
    result = twin.run()
    total = time.perf_counter() - t0
    t = result.timings_s
    loop = t["inputs"] + t["kernel"]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"benchmarks/twin.py — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {load} "
          "(a shared machine: compare runs at similar load)")
    print(f"reference scenario {start} .. {stop}: {result.n_steps:,} steps of 60 s")
    print(f"  sky + lighting precomputation: {t['geometry']:6.2f} s")
    print(f"  per-step inputs (vectorized):  {t['inputs']:6.2f} s")
    print(f"  compiled time loop (numba):    {t['kernel']:6.2f} s "
          f"({1e9 * t['kernel'] / result.n_steps:.0f} ns/step)")
    print(f"  simulation (inputs + loop):    {loop:6.2f} s")
    print(f"  total incl. setup and KPIs:    {total:6.2f} s  (goal < 10 s) "
          f"{'OK' if total < 10 else 'OVER'}")
    b = result.balance
    print(f"  energy residual {b['residual_j']:.3g} J of {b['generated_j']:.3g} J generated; "
          f"survival ok: {result.kpis['survival']['ok']}")


if __name__ == "__main__":
    main()
