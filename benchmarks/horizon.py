"""Benchmark: horizon profiles per second on the real shared DEMs, against brute force.

720 azimuths out to 300 km through the 10 m PGDA Site01 patch + the 240 m LDEM_75S_120M
grid + its 1.8 km far field (../shared/data/lunar-dem), for sites spread over the 10 m
patch (the reference point first). The fast kernel (``ilrs.terrain.horizon_profiles``) and
the brute-force quarter-pixel ray march (``ilrs.terrain.brute_force_horizon``) run in the
same process on the same in-memory windows; both are timed on one core. Prints profiles/s
per core, the speed-up, and the largest horizon difference.
Run: ``.venv/bin/python benchmarks/horizon.py [--sites N] [--brute-sites K]``.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numba
import numpy as np

from ilrs.terrain import (
    Dem,
    PolarStereographic,
    TerrainStack,
    brute_force_horizon,
    horizon_profiles,
    site_on_dem,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lunar-dem"
FILES = (
    "pgda_site01_connecting_ridge_10m.tif",
    "ldem75s120m_southpole_240m.tif",
    "ldem75s120m_southpole_far_1787m.tif",
)
N_AZIMUTHS = 720
MAX_RANGE_M = 300_000.0


def sites_on_patch(dems, n: int, seed: int = 0):
    """The reference point, then ``n - 1`` seeded points inside the 10 m patch, 2 m masts."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-18_000.0, -4_000.0, n - 1)
    y = rng.uniform(-19_000.0, -5_000.0, n - 1)
    lat, lon = PolarStereographic.south().latlon_from_xy(x, y)
    points = [(-89.45, 222.69)] + [
        (math.degrees(a), math.degrees(b)) for a, b in zip(lat, lon, strict=True)
    ]
    return [site_on_dem(dems, a, b, mast_m=2.0) for a, b in points]


def timed(fn, repeat: int = 1):
    """Smallest (wall, cpu) seconds over ``repeat`` calls, and the last result."""
    best_wall, best_cpu, result = math.inf, math.inf, None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=64, help="sites for the fast kernel")
    parser.add_argument("--brute-sites", type=int, default=3, help="sites for brute force")
    parser.add_argument("--shared", type=Path, default=SHARED)
    args = parser.parse_args()
    dems = [Dem(args.shared / name) for name in FILES]
    sites = sites_on_patch(dems, args.sites)

    prep_wall, _, stack = timed(lambda: TerrainStack.around(dems, sites, MAX_RANGE_M))
    horizon_profiles(None, sites[:1], N_AZIMUTHS, MAX_RANGE_M, stack=stack)  # JIT warm-up

    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    fast_wall, fast_cpu, fast = timed(
        lambda: horizon_profiles(None, sites, N_AZIMUTHS, MAX_RANGE_M, stack=stack), repeat=5
    )
    numba.set_num_threads(threads)
    par_wall, _, _ = timed(
        lambda: horizon_profiles(None, sites, N_AZIMUTHS, MAX_RANGE_M, stack=stack), repeat=5
    )

    brute_sites = sites[: args.brute_sites]
    _, brute_cpu, brute = timed(
        lambda: [brute_force_horizon(stack, s, N_AZIMUTHS, MAX_RANGE_M) for s in brute_sites]
    )
    diff_deg = np.concatenate(
        [f.elevation_deg - b.elevation_deg for f, b in zip(fast, brute, strict=False)]
    )

    fast_per_core = len(sites) / fast_cpu
    brute_per_core = len(brute_sites) / brute_cpu
    print(f"DEMs: {', '.join(FILES)} (windows read and prepared in {prep_wall:.2f} s)")
    print(
        f"{N_AZIMUTHS} azimuths to {MAX_RANGE_M / 1000:g} km, {len(sites)} sites on the 10 m patch"
    )
    print(
        f"fast kernel, 1 core : {fast_per_core:8.1f} profiles/s per core "
        f"({fast_cpu / len(sites) * 1e3:.2f} ms CPU, {fast_wall / len(sites) * 1e3:.2f} ms wall "
        "per profile)"
    )
    print(f"fast kernel, {threads} threads: {len(sites) / par_wall:8.1f} profiles/s")
    print(
        f"brute force, 1 core : {brute_per_core:8.3f} profiles/s per core "
        f"({brute_cpu / len(brute_sites):.2f} s CPU per profile, {len(brute_sites)} sites)"
    )
    print(f"speed-up            : {fast_per_core / brute_per_core:8.0f}x")
    print(
        f"horizon difference  : max {np.abs(diff_deg).max():.4f}°, "
        f"rms {np.sqrt(np.mean(diff_deg**2)):.4f}° over {diff_deg.size} azimuths"
    )
    print(
        "goals (issue 3): >= 100x brute force at <= 0.02°, >= 200 profiles/s per core -> "
        f"speed-up {'met' if fast_per_core / brute_per_core >= 100 else 'NOT met'}, "
        f"accuracy {'met' if np.abs(diff_deg).max() <= 0.02 else 'NOT met'}, "
        f"rate {'met' if fast_per_core >= 200 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
