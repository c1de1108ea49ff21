"""All-points horizons: the horizon of every point of a map grid, computed at once.

The points are a regular grid of the DEMs' polar-stereographic plane (``x_m`` west→east
columns, ``y_m`` north→south rows), each standing on the ground plus a mast. Neighbouring
points share the far field (the highest terrain their rays can meet beyond a near
distance, read once per block of ``block_px × block_px`` points and azimuth), and each point
marches exactly only its near field and the few far cuts that could rise above its
horizon; see :mod:`ilrs.terrain._sweep`. The result equals the per-point kernel's
(:func:`~ilrs.terrain.horizon_elevations`) up to its fast mode's sampling (~0.01°), which
``tests/test_horizon_allpoints.py`` checks on every pixel and azimuth of real LOLA tiles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ilrs.errors import InputError
from ilrs.sky.site import MOON_RADIUS_M, Site
from ilrs.terrain import _kernels as kern
from ilrs.terrain import _sweep
from ilrs.terrain.horizon import FAST_STRIDE, SPARSE_STRIDE, STEP_GROWTH, azimuths_rad
from ilrs.terrain.stack import TerrainStack

__all__ = ["GridHorizons", "grid_horizons", "grid_sites", "ground_on_grid"]

#: Growth of the shared far-field cuts (each 12.5 % longer than the last), and their
#: longest, in pixels of the layer they fall in (a short cut keeps the wedge's box thin).
CUT_GROWTH = 0.125
CUT_CAP_PX = 16.0
#: Points per block side that share the far field, and the default near field's radius in
#: grid spacings (2√2 × 4: a wider block shares each far-field cut among 4× the points,
#: the near field stays that of a 4 × 4 block; 1.5× faster on the ridge at 40 m).
BLOCK_PX = 8
NEAR_SPACINGS = 8.0 * math.sqrt(2.0)


@dataclass(frozen=True)
class GridHorizons:
    """Horizon elevations (rad, float32) of a grid: ``elevation_rad[row, col, j]`` at
    azimuth :func:`~ilrs.terrain.azimuths_rad` ``(n)[j]``; ground heights (m) and the
    observers' unit frames (rows east, north, up) per point, ``enu[row, col]``."""

    x_m: np.ndarray
    y_m: np.ndarray
    elevation_rad: np.ndarray
    ground_m: np.ndarray
    mast_m: float
    enu: np.ndarray
    sources: tuple[str, ...]
    synthetic: bool


def _enu_grid(lat_rad: np.ndarray, lon_rad: np.ndarray) -> np.ndarray:
    """Rows east, north, up of each point (…, 3, 3), as :class:`~ilrs.sky.Site` builds them."""
    cl, sl = np.cos(lat_rad), np.sin(lat_rad)
    co, so = np.cos(lon_rad), np.sin(lon_rad)
    up = np.stack([cl * co, cl * so, sl], axis=-1)
    east = np.stack([-so, co, np.zeros_like(so)], axis=-1)
    north = np.cross(up, east)
    enu = np.stack([east, north, up], axis=-2)
    pole = np.abs(np.degrees(lat_rad)) == 90.0
    for idx in zip(*np.nonzero(pole), strict=True):  # the pole: Site's own convention
        enu[idx] = Site("pole", float(np.degrees(lat_rad[idx])), 0.0).enu
    return enu


def grid_sites(projection, x_m, y_m) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude (degrees, ``(ny, nx)``) of the grid points."""
    xx, yy = np.meshgrid(np.asarray(x_m, float), np.asarray(y_m, float))
    lat, lon = projection.latlon_from_xy(xx, yy)
    return np.degrees(lat), np.degrees(lon)


def ground_on_grid(stack: TerrainStack, x_m, y_m) -> np.ndarray:
    """Ground heights (m) of the grid points from the stack's finest layer there."""
    xx, yy = np.meshgrid(np.asarray(x_m, float), np.asarray(y_m, float))
    h = kern.sample_heights(
        (xx - stack.proj[4]).ravel(), (yy - stack.proj[5]).ravel(), stack.meta, stack.heights
    )
    return h.reshape(xx.shape)


def grid_horizons(
    dems,
    x_m,
    y_m,
    mast_m: float = 2.0,
    n_azimuths: int = 720,
    max_range_m: float = 300_000.0,
    *,
    ground_m: np.ndarray | None = None,
    stack: TerrainStack | None = None,
    block_px: int = BLOCK_PX,
    near_m: float | None = None,
    exact: bool = False,
    band_rad: tuple | None = None,
) -> GridHorizons:
    """Horizons of every point of the grid ``y_m × x_m`` (map metres, rows × columns).

    ``dems`` as for :func:`~ilrs.terrain.horizon_profiles` (or a prepared ``stack``);
    ``ground_m`` (ny, nx) defaults to the stack's finest layer under each point.
    ``block_px`` points per block side share the far field beyond ``near_m`` (default:
    NEAR_SPACINGS grid spacings). ``exact=True`` marches the full quarter-pixel lattice.
    ``band_rad = (lo, hi)``: only horizons inside this elevation band matter (e.g. where
    the Sun and the Earth can be); the result is the horizon clamped to it, which is much
    cheaper to prove (terrain below ``lo`` is never marched, a ray stops above ``hi``).
    ``lo`` and ``hi`` may be scalars or one value per azimuth bin.
    """
    x_m = np.atleast_1d(np.asarray(x_m, float))
    y_m = np.atleast_1d(np.asarray(y_m, float))
    if x_m.ndim != 1 or y_m.ndim != 1 or x_m.size == 0 or y_m.size == 0:
        raise InputError("grid axes", (x_m.shape, y_m.shape), "two non-empty 1-D arrays")
    if not (max_range_m > 0 and math.isfinite(max_range_m)):
        raise InputError("max_range_m", max_range_m, "a positive distance in metres")
    if int(block_px) != block_px or block_px < 1:
        raise InputError("block_px", block_px, "a positive integer")
    if mast_m < 0:
        raise InputError("mast_m", mast_m, "metres >= 0")
    az = azimuths_rad(n_azimuths)
    lat, lon = grid_sites(_projection(dems, stack), x_m, y_m)
    if stack is None:
        corners = [Site("corner", float(lat[i, j]), float(lon[i, j]))
                   for i in (0, -1) for j in (0, -1)]
        stack = TerrainStack.around(dems, corners, max_range_m)
    elif stack.max_range_m < max_range_m:
        raise InputError("max_range_m", max_range_m, f"≤ the stack's {stack.max_range_m:g} m")
    if ground_m is None:
        ground_m = ground_on_grid(stack, x_m, y_m)
    ground_m = np.asarray(ground_m, float)
    if ground_m.shape != (y_m.size, x_m.size) or not np.all(np.isfinite(ground_m)):
        raise InputError("grid ground heights", ground_m.shape,
                         f"finite heights of shape {(y_m.size, x_m.size)} (points inside the DEM)")
    enu = _enu_grid(np.radians(lat), np.radians(lon))
    flat = enu.reshape(-1, 3, 3)
    up, north, east = (np.ascontiguousarray(flat[:, r]) for r in (2, 1, 0))
    xx, yy = np.meshgrid(x_m, y_m)
    e_map, n_map = _map_directions(stack.projection, xx.ravel(), yy.ravel(), flat)
    spacing = max(np.ptp(x_m) / max(x_m.size - 1, 1), np.ptp(y_m) / max(y_m.size - 1, 1), 1.0)
    if near_m is None:
        near_m = NEAR_SPACINGS * spacing
    cuts = _sweep.cut_distances(min(near_m, max_range_m), max_range_m, CUT_GROWTH,
                                _cut_caps(stack, xx, yy))
    growth, strides = (
        (0.0, (SPARSE_STRIDE, 1.0)) if exact else (STEP_GROWTH, (SPARSE_STRIDE, FAST_STRIDE))
    )
    floor_tan, ceiling_tan = np.full(az.size, -np.inf), np.full(az.size, np.inf)
    if band_rad is not None:
        lo, hi = (np.broadcast_to(np.asarray(b, float), az.shape) for b in band_rad)
        if not (np.all(-math.pi / 2 < lo) and np.all(lo <= hi) and np.all(hi < math.pi / 2)):
            raise InputError("horizon band", "lo > hi or beyond ±90°",
                             "lo ≤ hi, radians within ±90° (scalars or one per azimuth)")
        floor_tan, ceiling_tan = np.tan(lo), np.tan(hi)
    elevation = np.empty((xx.size, az.size))
    _sweep.grid_horizons(
        up, north, east, np.ascontiguousarray((xx - stack.proj[4]).ravel()),
        np.ascontiguousarray((yy - stack.proj[5]).ravel()), e_map, n_map,
        MOON_RADIUS_M + ground_m.ravel() + mast_m, y_m.size, x_m.size, int(block_px), az,
        MOON_RADIUS_M, cuts, float(growth), stack.proj, stack.meta, stack.levels,
        stack.heights, stack.maxes, np.asarray(strides, float), stack.top_m, floor_tan,
        ceiling_tan, elevation,
    )  # fmt: skip
    return GridHorizons(
        x_m, y_m, elevation.astype(np.float32).reshape(y_m.size, x_m.size, az.size), ground_m,
        float(mast_m), enu, tuple(stack.sources), stack.synthetic,
    )


def _cut_caps(stack: TerrainStack, xx, yy) -> list[tuple[float, float]]:
    """``(until_m, cap_m)``: up to the farthest edge of each layer from the grid, cuts of
    at most CUT_CAP_PX of its pixels."""
    caps = []
    for grid in stack.grids:
        x0, y0, x1, y1 = grid.bounds_m
        far = max(math.hypot(max(abs(x - xx.min()), abs(x - xx.max())),
                             max(abs(y - yy.min()), abs(y - yy.max())))
                  for x in (x0, x1) for y in (y0, y1))
        caps.append((far, CUT_CAP_PX * grid.pixel_m))
    return caps


def _map_directions(projection, x, y, enu):
    """Map displacements (n, 2) per metre of local east and of local north at the points
    (numerically, 1 m along each; the projection is conformal, so both have the scale k)."""
    out = []
    for row in (0, 1):
        p = enu[:, 2] * MOON_RADIUS_M + enu[:, row] * 1.0
        px, py = projection.xy_from_vector(p)
        v = np.stack([px - x, py - y], axis=-1)
        out.append(np.ascontiguousarray(v))
    return out


def _projection(dems, stack):
    if stack is not None:
        return stack.projection
    from ilrs.terrain.dem import as_dems

    return as_dems(dems)[0].projection
