"""Benchmark: studies over full 10-year twin runs at 1-minute steps.

1. A 100-variant plant sweep (10 battery capacities × 10 areas of array-1a) of the reference
   scenario, 2031-08-01 … 2041-07-31 (5,260,320 steps a run), on a local Dask cluster of
   this machine's cores; goal < 60 s wall. The peer in the same run: one run from scratch
   (its own geometry, nothing shared), times 100 over the workers.
2. ``study size`` of the battery of ``examples/survival-1kw.yaml`` (solar + battery +
   1 kW survival load) for survival; goal ≤ 12 full runs, against the hand calculation
   (longest night × 1 kW / discharge efficiency).
3. A Monte Carlo of ``--trials`` (default 1,000) trials × 10 years; goal < 10 min wall,
   memory bounded (a row per trial). The peer in the same run: a run from scratch on the
   same workers.

Run: ``.venv/bin/python benchmarks/study.py [--trials N] [--skip-montecarlo | --only-montecarlo]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from ilrs.lighting.stats import runs
from ilrs.lighting.visibility import site_lighting
from ilrs.scale.alloc import keep_large_arrays_on_heap
from ilrs.sky import Epochs
from ilrs.station import Twin, load_scenario
from ilrs.study import StudyBase, size, sweep
from ilrs.study.montecarlo import montecarlo
from ilrs.terrain.reference import reference_horizon

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "survival-1kw.yaml"


def decade():
    s = load_scenario(None)
    data = s._data
    s = s.model_copy(update={"period": s.period.model_copy(update={
        "start": "2031-08-01", "stop": "2041-07-31"})})
    s._data = data
    return s


def _scratch_run(scenario, _: int) -> float:
    """One run from scratch (its own geometry, no memo), timed where it runs (with the
    same C-heap setting as the study's runs, see ilrs.scale.alloc)."""
    keep_large_arrays_on_heap()
    t0 = time.perf_counter()
    Twin.from_scenario(scenario).run()
    return time.perf_counter() - t0


def bench_sweep(workers: int) -> None:
    from distributed import Client

    from ilrs.scale import local_cluster

    sc = decade()
    values = {"batteries.battery-1.capacity_wh": list(np.linspace(1e5, 5.5e5, 10)),
              "solar_arrays.array-1a.area_m2": list(np.linspace(10.0, 55.0, 10))}
    with local_cluster(workers) as cluster, Client(cluster) as client, \
            tempfile.TemporaryDirectory() as tmp:
        # the peer, on the same workers just before and after: a run from scratch each
        before = client.gather(client.map(_scratch_run, [sc] * workers, range(workers)))
        t0 = time.perf_counter()
        res = sweep(sc, values, out_dir=Path(tmp), progress=False, scheduler=client)
        wall = time.perf_counter() - t0
        after = client.gather(client.map(_scratch_run, [sc] * workers,
                                         range(workers, 2 * workers)))
    assert len(res.rows) == 100
    scratch_s = float(np.mean(before + after))
    peer = 100 * scratch_s / workers
    print(f"sweep: 100 variants × {5_260_320:,} steps on {workers} workers: {wall:.1f} s wall "
          f"(goal < 60 s) {'OK' if wall < 60 else 'OVER'}")
    print(f"  peer on the same workers: a run from scratch takes {scratch_s:.2f} s "
          f"(before {np.mean(before):.2f}, after {np.mean(after):.2f}) → 100 runs ≈ "
          f"{peer:.0f} s; shared geometry and per-step arrays: {peer / wall:.1f}× faster")
    ok = [r for r in res.rows if r["survival_ok"]]
    print(f"  {len(ok)} of 100 variants keep every survival load powered")


def bench_size() -> None:
    sc = load_scenario(EXAMPLE)
    t0 = time.perf_counter()
    res = size(sc, "batteries.battery-1.capacity_wh", "survival")
    wall = time.perf_counter() - t0
    start, stop = StudyBase.of(sc).span_tdb_s()
    h = reference_horizon(10.0)
    lit = site_lighting(h.site, Epochs(np.arange(start, stop + 1.0, 60.0)), h)
    _, nights = runs(lit.sun_fraction <= 0.0)
    hand_kwh = nights.max() / 60.0 / sc.batteries[0].discharge_efficiency
    print(f"size: battery for survival of a 1 kW load = {res.value / 1000:.2f} kWh in "
          f"{len(res.runs)} full runs (goal ≤ 12) {'OK' if len(res.runs) <= 12 else 'OVER'}, "
          f"{wall:.1f} s; hand calculation {hand_kwh:.2f} kWh (longest night "
          f"{nights.max() / 60:.1f} h), ratio {res.value / 1000 / hand_kwh:.3f}")


def bench_montecarlo(trials: int, workers: int) -> None:
    from distributed import Client

    from ilrs.scale import local_cluster

    sc = decade()
    with local_cluster(workers) as cluster, Client(cluster) as client, \
            tempfile.TemporaryDirectory() as tmp:
        scratch = client.gather(client.map(_scratch_run, [sc] * workers, range(workers)))
        t0 = time.perf_counter()
        mc = montecarlo(sc, trials, seed=1, out_dir=Path(tmp), progress=False,
                        scheduler=client)
        wall = time.perf_counter() - t0
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    goal = 600.0 * trials / 1000
    per_trial = wall * workers / trials
    print(f"montecarlo: {trials:,} trials × 10 years on {workers} workers: {wall:.0f} s wall "
          f"(goal < {goal:.0f} s) {'OK' if wall < goal else 'OVER'}; peak RSS {me:.0f} MiB "
          f"here, {kids:.0f} MiB per worker")
    print(f"  peer on the same workers: a run from scratch takes {np.mean(scratch):.2f} s; a "
          f"trial took {per_trial:.2f} s of a worker ({np.mean(scratch) / per_trial:.1f}× "
          "less: the site's geometry and the blocks trials agree on are shared)")
    s = mc.summary()
    for kpi in ("min_soc", "science_hours", "data_returned_gb", "o2_produced_kg"):
        k = s[kpi]
        print(f"  {kpi:18s} P10 {k['p10']:12,.4g}  P50 {k['p50']:12,.4g}  P90 {k['p90']:12,.4g}"
              f"  (± {k['p50_se']:.2g} on P50)")
    print(f"  P(survival) = {s['survival_ok']['mean']:.3f} ± {s['survival_ok']['mean_se']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--skip-montecarlo", action="store_true")
    parser.add_argument("--only-montecarlo", action="store_true")
    args = parser.parse_args()
    workers = os.cpu_count() or 1
    print(f"{time.strftime('%Y-%m-%d')}, {workers} cores")
    if not args.only_montecarlo:
        bench_size()
        bench_sweep(workers)
    if not args.skip_montecarlo:
        bench_montecarlo(args.trials, workers)


if __name__ == "__main__":
    main()
