"""Benchmark: the reference station scenario, 10 simulated years at 1-minute steps, with the
regolith column under the site and the landers' thermal nodes on.

5,260,320 steps (3,653 days) of the compiled time loop, preceded by the sky and lighting
precomputation (Sun, Earth and Queqiao-2 geometry on the 10-minute grid, disk fractions
against the real Connecting-Ridge horizons at 2 m and 10 m) and the regolith's surface
temperature (spun up over the year before, then 30 min steps cut into minutes where it
changes fast), timed separately. Goal:
under 10 s on one core (issue 21: under 3 s). Then the twin's surface temperature series
against an independent 1-D solver on the same insolation: Hayne's own ``heat1d`` (the dev
extra), finer in time (≤ 60 s) and depth (3× the layers), from the same spun-up column,
over the first 90 days (issue 21: within 2 K RMS).
Run: ``make bench`` or ``.venv/bin/python benchmarks/twin.py [--years N] [--check-days D]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")  # one core, as the goal says

import argparse
import importlib.util
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ilrs.station import Twin, load_scenario


def scenario(start: str, stop: str):
    sc = load_scenario(None)
    return sc.model_copy(update={"period": sc.period.model_copy(update={
        "start": start, "stop": stop})})


def independent_check(result, days: float) -> None:
    """The twin's surface series against heat1d over its first ``days``."""
    if importlib.util.find_spec("heat1d") is None:
        print("  independent solver: heat1d not installed (pip install -e '.[dev]')")
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from heat1d_reference import FINE, MAX_STEP_S, heat1d_surface

    th = result.scenario.thermal
    series = next(iter(result.geometry.surfaces.values()))
    n = int(np.searchsorted(series.tdb_s, series.tdb_s[0] + days * 86400.0, side="right"))
    t0 = time.perf_counter()
    ref = heat1d_surface(th.regolith, th.numerics, series.column.z_m, series.start_k,
                         series.tdb_s[:n], series.absorbed_w_m2[:n])
    took = time.perf_counter() - t0
    err = series.temp_k[1:n] - ref
    rms = float(np.sqrt(np.mean(err ** 2)))
    print(f"  surface vs heat1d 0.3.2 ({days:g} d, {n - 1} column steps; heat1d steps ≤ "
          f"{MAX_STEP_S:g} s, "
          f"m={FINE['m']} n={FINE['n']} b={FINE['b']}; {took:.1f} s): RMS {rms:.2f} K, "
          f"max |Δ| {np.max(np.abs(err)):.2f} K (goal RMS < 2 K) "
          f"{'OK' if rms < 2 else 'OVER'}; surface {series.temp_k[:n].min():.1f} … "
          f"{series.temp_k[:n].max():.1f} K")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--check-days", type=float, default=90.0)
    args = parser.parse_args()
    start = "2031-08-01"
    stop = f"{2031 + args.years}-07-31"  # through that day: 10 years = 3,653 days
    Twin.from_scenario(scenario(start, "2031-08-03")).run()  # load the JIT caches first
    t0 = time.perf_counter()
    c0 = time.process_time()
    twin = Twin.from_scenario(scenario(start, stop))
    result = twin.run()
    total = time.perf_counter() - t0
    cpu = time.process_time() - c0
    t = result.timings_s
    loop = t["inputs"] + t["kernel"]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"benchmarks/twin.py — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {load} "
          "(a shared machine: compare runs at similar load)")
    print(f"reference scenario {start} .. {stop}: {result.n_steps:,} steps of 60 s")
    print(f"  sky + lighting precomputation: {t['geometry']:6.2f} s")
    reg = result.kpis["thermal"]["regolith"]
    print(f"  regolith surface temperature:  {t['regolith']:6.2f} s ({reg['layers']} layers "
          f"to {reg['bottom_m']:.2f} m, first {1000 * reg['first_layer_m']:.1f} mm; "
          f"{reg['step_s']:g} s steps, {reg['fine_step_s']:g} s in "
          f"{100 * reg['fine_share']:.1f} % of them; spin-up {reg['spin_up_cycles']} yearly "
          "cycles)")
    print(f"  per-step inputs (vectorized):  {t['inputs']:6.2f} s")
    print(f"  compiled time loop (numba):    {t['kernel']:6.2f} s "
          f"({1e9 * t['kernel'] / result.n_steps:.0f} ns/step, "
          f"{len(result.scenario.thermal.nodes)} thermal nodes)")
    print(f"  simulation (inputs + loop):    {loop:6.2f} s")
    print(f"  total incl. setup and KPIs:    {total:6.2f} s  (goal < 10 s; issue 21: < 3 s) "
          f"{'OK' if total < 3 else 'OVER 3 s' if total < 10 else 'OVER'}")
    print(f"  CPU time of the process:       {cpu:6.2f} s  (one thread: what a quiet core "
          "would take, about)")
    b = result.balance
    print(f"  energy residual {b['residual_j']:.3g} J of {b['generated_j']:.3g} J generated; "
          f"survival ok: {result.kpis['survival']['ok']}")
    if args.check_days > 0:
        independent_check(result, args.check_days)


if __name__ == "__main__":
    main()
