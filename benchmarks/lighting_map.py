"""Benchmark: a lighting map of the Connecting Ridge, horizons included.

10 × 10 km at 40 m (62,500 points), one year at hourly steps (8,760 epochs), 2 m above
ground, on the shared LOLA DEMs (PGDA Site01 10 m + LDEM_75S_120M 240 m + far field).
Goal (issue 3): under 5 minutes on this 2-core machine with bounded memory. Prints the
wall time, the peak resident memory and writes the map PNG and GeoTIFF under out/bench/.
Run: ``.venv/bin/python benchmarks/lighting_map.py [--size-km 10] [--scheduler inline]``.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from ilrs.lighting.maps import MapSpec, best_spots, lighting_map, write_map
from ilrs.report import plot_lighting_map

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lunar-dem"
DEMS = [SHARED / n for n in ("pgda_site01_connecting_ridge_10m.tif",
                             "ldem75s120m_southpole_240m.tif",
                             "ldem75s120m_southpole_far_1787m.tif")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-km", type=float, default=10.0)
    parser.add_argument("--resolution-m", type=float, default=40.0)
    parser.add_argument("--scheduler", default="inline",
                        help="inline (numba threads on all cores; default), local, or an address")
    parser.add_argument("--out", type=Path, default=Path("out/bench"))
    args = parser.parse_args()
    spec = MapSpec(-89.45, 222.69, args.size_km, args.resolution_m, mast_m=2.0)
    t0 = time.perf_counter()
    ds = lighting_map(DEMS, spec, "2030-01-01T00:00:00", "2030-12-31T23:00:00", 3600.0,
                      scheduler=args.scheduler)
    elapsed = time.perf_counter() - t0
    n_points = ds.sizes["x"] * ds.sizes["y"]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    write_map(ds, args.out / "connecting-ridge-2030.tif")
    png = plot_lighting_map(ds, args.out / "connecting-ridge-2030.png",
                            spots=best_spots(ds, 5, 4 * args.resolution_m))
    print(f"points: {n_points:,} ({ds.sizes['x']} × {ds.sizes['y']} at {args.resolution_m:g} m), "
          f"epochs: 8,760 (hourly, 2030), horizons: 720 azimuths to 300 km")
    print(f"wall time: {elapsed:.1f} s ({n_points / elapsed:.0f} points/s; goal: < 300 s "
          f"for 62,500 points)")
    print(f"peak RSS: {peak_mib:.0f} MiB (this process; tiles bound the memory)")
    print(f"best point: {ds.sun_any_pct.values.max():.2f} % of 2030 with the Sun in view")
    print(f"map: {png}")


if __name__ == "__main__":
    main()
