"""Experiment: can a horizon field known on a grid be interpolated to the points between?

A rotate-and-sweep all-points method (Dozier 2022: turn the grid so the azimuth runs along
columns, sweep each column, turn the result back) computes horizons on its own nodes and
must interpolate them to the map's points. This measures what that step alone costs in
accuracy, with everything else exact: the horizons of every point of a 5 m grid (the
per-point geometry on the quarter-pixel lattice, ``grid_horizons(exact=True)``, 720
azimuths to 300 km, 2 m mast) on two 400 m squares of the Connecting Ridge (PGDA 10 m +
LDEM 240 m + far field), then the midpoint of two nodes 10 m (the DEM's own pixel) and 20 m
apart interpolated linearly and compared with its own exact horizon. Issue 13 asks ≤ 0.05°
on every pixel and azimuth. Run: ``.venv/bin/python benchmarks/horizon_interpolation.py``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np

from ilrs.lighting.maps import MapSpec, map_axes
from ilrs.sky import Site
from ilrs.terrain import TerrainStack, as_dems
from ilrs.terrain.allpoints import grid_horizons, grid_sites, ground_on_grid
from lighting_map import DEMS

SQUARES = ((-89.45, 222.69), (-89.40, 225.0))
SPACING_M = 5.0
SIDE_KM = 0.4


def square_horizons(lat_deg: float, lon_deg: float) -> np.ndarray:
    """Exact horizons (degrees, ny × nx × 720) of the 5 m grid of one square."""
    dems = as_dems(DEMS)
    spec = MapSpec(lat_deg, lon_deg, SIDE_KM, SPACING_M, mast_m=2.0)
    x, y = map_axes(dems[0], spec)
    lat, lon = grid_sites(dems[0].projection, x, y)
    corners = [Site("c", float(lat[i, j]), float(lon[i, j])) for i in (0, -1) for j in (0, -1)]
    stack = TerrainStack.around(dems, corners, spec.max_range_m)
    grid = grid_horizons(dems, x, y, spec.mast_m, spec.n_azimuths, spec.max_range_m,
                         stack=stack, ground_m=ground_on_grid(stack, x, y), exact=True)
    return np.degrees(grid.elevation_rad.astype(float))


def midpoint_errors(h_deg: np.ndarray, step: int) -> np.ndarray:
    """|linear interpolation − exact| at the midpoints of nodes ``step`` columns apart."""
    a, b = h_deg[:, 0:-step:step], h_deg[:, step::step]
    mid = h_deg[:, step // 2::step][:, : a.shape[1]]
    return np.abs(0.5 * (a + b) - mid)


def main() -> None:
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {SIDE_KM * 1000:g} m squares at "
          f"{SPACING_M:g} m, 720 azimuths to 300 km, exact lattice")
    for lat, lon in SQUARES:
        t0 = time.perf_counter()
        h = square_horizons(lat, lon)
        print(f"{lat:.2f}° {lon:.2f}°: {h.shape[0] * h.shape[1]:,} points in "
              f"{time.perf_counter() - t0:.1f} s")
        for step in (2, 4):
            err = midpoint_errors(h, step)
            print(f"  nodes {SPACING_M * step:g} m apart: midpoint error median "
                  f"{np.median(err):.4f}°, 99th percentile {np.quantile(err, 0.99):.3f}°, "
                  f"largest {err.max():.2f}°; > 0.05° at {100 * (err > 0.05).mean():.1f} % "
                  "of pixel-azimuths")


if __name__ == "__main__":
    main()
