"""Benchmark: the 18.6-year PSR and average-illumination maps of the 240 m polar grid.

The whole grid of ``shared/data/lunar-dem/ldem75s120m_southpole_240m.tif`` (1536 × 1536
points at 240 m, to ~84° S at the edges; far field from the 1787 m product), 2 m above
ground, 2020-01-01 → 2038-08-01 (one 18.6-year nodal cycle) at 6-hour steps: all-points
horizons (720 azimuths to 300 km) per 64 × 64 tile with its halo, Sun and Earth statistics,
PSR, on a local Dask cluster (or ``--scheduler ADDRESS``); finished tiles are kept in
``--work-dir`` so an interrupted run resumes. Goal (issue 13): < 30 min wall on the
project's 2-core machine. Prints the date, the wall time, points/s, the PSR area table
and writes the Sun, night and PSR products (GeoTIFF, NetCDF, PNG) under ``--out``.

``--subset-px N`` runs only the central N × N points and prints the whole-grid time that
rate implies (an extrapolation, labelled as such).
Run: ``.venv/bin/python benchmarks/polar_products.py [--subset-px 256] [--scheduler local]``.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

from ilrs.lighting.product_files import psr_area_table
from ilrs.lighting.products import ProductGrid, bodies_for, polar_products
from ilrs.report.lighting import write_product_files
from ilrs.terrain import as_dems

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lunar-dem"
DEMS = [SHARED / "ldem75s120m_southpole_240m.tif", SHARED / "ldem75s120m_southpole_far_1787m.tif"]
GOAL_S = 30 * 60.0
#: The issue's maps: permanent shadow and average illumination (and the longest night,
#: free with them); the Sun alone is tracked, as ``ilrs lighting map --product`` does.
PRODUCTS = ["sun", "night", "psr"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset-px", type=int, default=0,
                        help="only the central N × N points (0: the whole grid)")
    parser.add_argument("--start", default="2020-01-01")
    parser.add_argument("--stop", default="2038-08-01")
    parser.add_argument("--step-h", type=float, default=6.0)
    parser.add_argument("--scheduler", default="local",
                        help="inline, local (a local Dask cluster, default) or an address")
    parser.add_argument("--tile-px", type=int, default=64)
    parser.add_argument("--work-dir", type=Path, default=Path("out/polar/work"))
    parser.add_argument("--out", type=Path, default=Path("out/polar"))
    args = parser.parse_args()
    grid = ProductGrid.of_dem(as_dems(DEMS[:1])[0])
    whole = grid.shape[0] * grid.shape[1]
    if args.subset_px:
        n = args.subset_px
        r0, c0 = (grid.shape[0] - n) // 2, (grid.shape[1] - n) // 2
        grid = ProductGrid(grid.x_m[c0:c0 + n], grid.y_m[r0:r0 + n])
    points = grid.shape[0] * grid.shape[1]
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {grid.shape[0]} × {grid.shape[1]} points "
          f"at 240 m ({points:,} of the grid's {whole:,}); {args.start} → {args.stop} every "
          f"{args.step_h:g} h; scheduler {args.scheduler}", flush=True)
    t0 = time.perf_counter()
    ds = polar_products(DEMS, grid, args.start, args.stop, args.step_h * 3600.0,
                        scheduler=args.scheduler, tile_px=args.tile_px, work_dir=args.work_dir,
                        bodies=bodies_for(PRODUCTS))
    elapsed = time.perf_counter() - t0
    print(f"wall time: {elapsed:.0f} s ({points / elapsed:.1f} points/s; "
          f"{ds.attrs['epochs']:,} epochs)")
    if args.subset_px:
        estimate = elapsed * whole / points
        print(f"whole grid at this rate (extrapolated, not measured): {estimate / 60:.0f} min "
              f"(goal < {GOAL_S / 60:.0f} min)")
    else:
        print(f"goal < {GOAL_S / 60:.0f} min: {'met' if elapsed < GOAL_S else 'NOT met'}")
    print("PSR area (true km², LDEM_75S_120M at 240 m, 2 m above ground):")
    for row in psr_area_table(ds):
        print(f"  poleward of {abs(row['poleward_of_deg']):g}° S: {row['psr_km2']:,.1f} of "
              f"{row['area_km2']:,.1f} km² ({row['psr_pct']:.2f} %)"
              + ("" if row["complete"] else " — cap only partly mapped"))
    written = write_product_files(ds, PRODUCTS, args.out)
    print(f"wrote {len(written)} files under {args.out}")


if __name__ == "__main__":
    main()
