"""Brute-force horizon: plain numpy ray marching, slow and obviously correct, for cross-checks.

Every ray is sampled at uniform steps of a quarter pixel of each layer, out to the far edge
of that layer; a sample takes its height bilinearly from the layer only where no finer
layer covers it (the same finest-first rule as the fast kernel). Positions go through the
great circle in the site's ``Site.enu`` frame, then latitude / longitude and the
trigonometric projection formulas (:meth:`PolarStereographic.xy_from_latlon`), a different
path from the kernel's rational one; elevation is ``atan2(r_t cos θ − r_o, r_t sin θ)``.
No bounds, no skipping, no growing steps.
"""

from __future__ import annotations

import math

import numpy as np

from ilrs.sky.site import MOON_RADIUS_M, Site
from ilrs.terrain.horizon import HorizonProfile, azimuths_rad
from ilrs.terrain.projection import latlon_from_vector
from ilrs.terrain.stack import FINE_STEP_PX, TerrainStack

__all__ = ["brute_force_horizon"]


def brute_force_horizon(
    stack: TerrainStack,
    site: Site,
    n_azimuths: int = 720,
    max_range_m: float = 300_000.0,
    chunk: int = 8,
) -> HorizonProfile:
    """Horizon of ``site`` by marching every ray in quarter-pixel steps (reference only)."""
    az = azimuths_rad(n_azimuths)
    east, north, up = site.enu
    r_obs = site.radius_m
    proj = stack.projection
    x_site, y_site = proj.xy_from_latlon(math.radians(site.lat_deg), math.radians(site.lon_deg))
    best = np.full(az.size, -math.pi / 2)
    for k, grid in enumerate(stack.grids):
        x0, y0, x1, y1 = grid.bounds_m
        far_map_m = max(math.hypot(x - x_site, y - y_site) for x in (x0, x1) for y in (y0, y1))
        far_m = min(max_range_m, far_map_m / proj.k0)
        step_m = FINE_STEP_PX * grid.pixel_m
        d = np.arange(1, int(far_m / step_m) + 1) * step_m
        d = d[d < max_range_m]
        th = d / MOON_RADIUS_M
        for j0 in range(0, az.size, chunk):
            a = az[j0 : j0 + chunk]
            t = np.cos(a)[:, None] * north + np.sin(a)[:, None] * east  # (A, 3)
            p = (
                np.cos(th)[None, :, None] * up + np.sin(th)[None, :, None] * t[:, None, :]
            )  # (A, D, 3)
            lat, lon, _ = latlon_from_vector(p)
            x, y = proj.xy_from_latlon(lat, lon)
            h = grid.sample(x, y)
            for finer in stack.grids[:k]:
                fx0, fy0, fx1, fy1 = finer.bounds_m
                half = finer.pixel_m / 2
                h[(x >= fx0 + half) & (x <= fx1 - half) & (y >= fy0 + half) & (y <= fy1 - half)] = (
                    np.nan
                )
            r_t = MOON_RADIUS_M + h
            elevation = np.arctan2(r_t * np.cos(th) - r_obs, r_t * np.sin(th))
            best[j0 : j0 + chunk] = np.fmax(
                best[j0 : j0 + chunk],
                np.nanmax(np.where(np.isnan(elevation), -np.inf, elevation), axis=1),
            )
    return HorizonProfile(az, best, site, None, ("brute-force quarter-pixel ray march",))
