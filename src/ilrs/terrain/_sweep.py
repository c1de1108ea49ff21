"""Compiled all-points horizon kernel: the horizons of every point of a map grid at once.

Pure functions over float64/float32 arrays in SI units; numpy and numba only (the
import-linter contract on kernels applies). The geometry, layers and sampling lattice are
those of :mod:`ilrs.terrain._kernels` (whose ray march this module reuses), so a point's
horizon here is the per-point kernel's horizon of the same point.

What is shared. Points are grouped in blocks of ``b × b`` neighbouring grid points. For one
block and one azimuth the rays of all its points (each at the same azimuth in its own
east-north-up frame, so their map directions differ by the meridian convergence) sweep a
thin wedge of the map. Beyond a near distance ``near_m`` the wedge is cut at distances
``d_k`` shared by every point (a geometric sequence, capped in length); for each cut the
highest terrain any of the block's rays can sample there is read once from the maximum
mipmap (the bounding box of the block's four corner rays at ``d_k`` and ``d_{k+1}``, one
pixel of margin for the chord's bow and the non-linearity across the block; the block
maxima already carry a two-pixel pad for the bilinear support). That far field, computed
once per block and azimuth, is what the block's points share.

Per point. The near field ``[first, near_m)`` is marched exactly (the per-point kernel's
ray march restricted to it, seeded by the point's previous azimuth), ring by ring: a ring
of the disc whose per-sector bound (``_near_bound``) cannot rise above the horizon found so
far is skipped. Then, cut by cut, the
shared far field is tested against the point's own observer radius and the horizon found
so far (the curvature-exact bound ``_cannot_beat``): a cut whose highest terrain cannot
rise above the horizon is skipped; the cuts that could are marched exactly on the point's
own ray. Skipping never changes the answer, so the result is the exact ray march's (up to
the fast mode's step growth, as in :func:`ilrs.terrain.horizon_elevations`). The march
stops once even the highest terrain of the whole stack could not rise above the horizon.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ilrs.terrain._kernels import (
    FASTMATH,
    INV_PIXEL,
    L_BLOCK,
    L_NCOLS,
    L_NROWS,
    L_OFFSET,
    NCOLS,
    NROWS,
    OFFSET,
    PIXEL,
    SEED_SAMPLES,
    X0,
    Y0,
    _bilinear,
    _cannot_beat,
    _cos_sin,
    _locate,
    _project,
    _ray,
    _seed,
)
from ilrs.terrain._kernels import FINE_STEP as _FINE_STEP

#: Azimuth sectors and rings (geometric in distance, from CLOSE_PX to the near field's
#: end) of the per-point near-field bound.
NEAR_SECTORS = 64
NEAR_RINGS = 4
#: The first pixels of every ray (in pixels of the layer under the point) are always
#: marched: no pixel-wise bound is tight that close.
CLOSE_PX = 4.0
#: Map distances shrink by at most this factor to ground distances near a point (the
#: polar-stereographic scale is 1.0027 at 84° S); the near bound divides by it.
_SCALE_SLACK = 1.01

#: Most blocks of the mipmap a box lookup visits per axis before it moves a level up.
_BOX_BLOCKS = 4


def cut_distances(near_m: float, max_range_m: float, growth: float, caps) -> np.ndarray:
    """The shared cut distances: ``near_m``, then each ``growth`` × longer than the last
    but at most ``cap_m`` of the first ``(until_m, cap_m)`` of ``caps`` with ``until_m``
    beyond it (short cuts keep the wedge's box thin), ending at ``max_range_m``.

    >>> cut_distances(100.0, 1000.0, 1.0, [(500.0, 50.0), (1e9, 300.0)]).tolist()
    [100.0, 150.0, 200.0, 250.0, 300.0, 350.0, 400.0, 450.0, 500.0, 800.0, 1000.0]
    """
    cuts = [near_m]
    while cuts[-1] < max_range_m:
        d = cuts[-1]
        cap = next((c for until, c in caps if until > d), caps[-1][1])
        cuts.append(min(d + min(d * growth, cap), max_range_m))
    return np.array(cuts)


@njit(cache=True, inline="always")
def _box_max(layer, c_lo, c_hi, r_lo, r_hi, levels, maxes):
    """Highest block maximum over a box of pixels of ``layer`` (clipped to it), from the
    finest mipmap level whose blocks cover the box in at most ``_BOX_BLOCKS`` per axis."""
    n_levels = levels.shape[1]
    chosen = -1
    for lev in range(n_levels):
        block = levels[layer, lev, L_BLOCK]
        if block == 0.0:
            continue
        chosen = lev
        if (c_hi - c_lo) / block < _BOX_BLOCKS and (r_hi - r_lo) / block < _BOX_BLOCKS:
            break
    if chosen < 0:
        return np.inf  # no level: nothing is known, nothing may be skipped
    lv = levels[layer, chosen]
    block = lv[L_BLOCK]
    nbc = int(lv[L_NCOLS])
    nbr = int(lv[L_NROWS])
    base = int(lv[L_OFFSET])
    top = -np.inf
    for bi in range(max(int(r_lo / block), 0), min(int(r_hi / block), nbr - 1) + 1):
        for bj in range(max(int(c_lo / block), 0), min(int(c_hi / block), nbc - 1) + 1):
            v = maxes[base + bi * nbc + bj]
            if v > top:
                top = v
    return top


@njit(cache=True)
def _wedge_top(xs, ys, meta, levels, maxes):
    """Highest height any layer may give a sample inside the map box of points ``xs, ys``
    (one pixel of margin); -inf if no layer reaches it."""
    x_lo = xs.min()
    x_hi = xs.max()
    y_lo = ys.min()
    y_hi = ys.max()
    top = -np.inf
    for k in range(meta.shape[0]):
        inv = meta[k, INV_PIXEL]
        c_lo = (x_lo - meta[k, X0]) * inv - 1.0
        c_hi = (x_hi - meta[k, X0]) * inv + 1.0
        r_lo = (meta[k, Y0] - y_hi) * inv - 1.0
        r_hi = (meta[k, Y0] - y_lo) * inv + 1.0
        n_c = meta[k, NCOLS] - 1.0
        n_r = meta[k, NROWS] - 1.0
        if c_hi < 0.0 or r_hi < 0.0 or c_lo > n_c or r_lo > n_r:
            continue  # this layer is nowhere in the box
        v = _box_max(k, max(c_lo, 0.0), min(c_hi, n_c), max(r_lo, 0.0), min(r_hi, n_r),
                     levels, maxes)
        if v > top:
            top = v
        if c_lo >= 0.0 and r_lo >= 0.0 and c_hi <= n_c and r_hi <= n_r:
            break  # this layer covers the whole box: no coarser layer is sampled in it
    return top


@njit(cache=True, fastmath=FASTMATH)
def _near_march(x, y, mx, my, r_obs_m, radius_m, d_from, d_to, stride, k, meta, heights, best,
                ceiling):
    """The quarter-pixel lattice ``d = i · fine`` of layer ``k`` from ``d_from`` to ``d_to``,
    every ``stride``-th point, along the ray leaving map point ``x, y`` with map velocity
    ``mx, my`` (map metres per metre of arc): the near field, where the ray's image is a
    straight line to < 1 cm (sagitta d² / 8ρ, ρ ≥ 2Rk₀) and the layer is fixed. Curvature
    exact (series to θ⁴). Stops once the best tangent reaches ``ceiling`` (the answer is
    clamped there). Returns the best tangent and where it was (-1 if unchanged)."""
    fine = meta[k, _FINE_STEP]
    inv = meta[k, INV_PIXEL]
    off = int(meta[k, OFFSET])
    ncols = int(meta[k, NCOLS])
    nrows = int(meta[k, NROWS])
    d_best = -1.0
    i = math.ceil(d_from / fine - 1e-9)
    d = i * fine
    while d < d_to:
        col = (x + d * mx - meta[k, X0]) * inv
        row = (meta[k, Y0] - (y + d * my)) * inv
        h = _bilinear(heights, off, ncols, nrows, col, row)
        if h == h:
            th = d / radius_m
            t2 = th * th
            r_t = radius_m + h
            rise = r_t * (1.0 - t2 * (0.5 - t2 / 24.0)) - r_obs_m
            run = r_t * th * (1.0 - t2 / 6.0)
            if rise > best * run:
                best = rise / run
                d_best = d
                if best >= ceiling:
                    break
        i += stride
        d = i * fine
    return best, d_best


@njit(cache=True)
def _near_bound(x, y, r_obs_m, e_map, n_map, close_m, near_m, radius_m, meta, heights,
                floor_tan, edges, out):
    """Per ring and azimuth sector (``out``, NEAR_RINGS × NEAR_SECTORS; the rings' edges
    ``edges``, NEAR_RINGS + 1, from ``close_m`` to ``near_m``), the highest tangent of
    elevation any bilinear sample at a distance in the ring of the point (map ``x, y``;
    ``e_map``, ``n_map`` the map directions of local east and north) can have: each pixel
    bounds the samples within one pixel of it, at least ``close_m`` away, over the azimuths
    its square spans. +inf where the disc leaves the finest layer under the point. Pixels
    whose bound is at most ``floor_tan`` (the lowest floor of any azimuth) are left out:
    they cannot beat a horizon that starts at its floor."""
    out[:] = -np.inf
    for r in range(NEAR_RINGS + 1):
        edges[r] = close_m * (near_m / close_m) ** (r / NEAR_RINGS)
    edges[NEAR_RINGS] = near_m
    k, col, row = _locate(x, y, meta)
    pixel = meta[max(k, 0), PIXEL]
    reach_px = near_m / pixel + 2.0
    if (
        k < 0
        or col - reach_px < 0.0
        or row - reach_px < 0.0
        or col + reach_px > meta[k, NCOLS] - 1.0
        or row + reach_px > meta[k, NROWS] - 1.0
    ):
        out[:] = np.inf
        return False
    off = int(meta[k, OFFSET])
    ncols = int(meta[k, NCOLS])
    eye_m = r_obs_m - radius_m
    scale = math.sqrt(e_map[0] * e_map[0] + e_map[1] * e_map[1])  # map m per ground m
    half_diag = math.sqrt(2.0) * pixel
    sector = 2.0 * math.pi / NEAR_SECTORS
    for r in range(int(row - reach_px), int(row + reach_px) + 2):
        for c in range(int(col - reach_px), int(col + reach_px) + 2):
            h = heights[off + r * ncols + c]
            if h != h:
                continue  # a hole is skipped by the march too
            dx = (c - col) * pixel
            dy = (row - r) * pixel
            d = math.sqrt(dx * dx + dy * dy) / scale
            if d - half_diag > near_m or d + half_diag < close_m:
                continue
            rise = h - eye_m
            if rise >= 0.0:
                tan = rise * _SCALE_SLACK / max(d - half_diag, close_m)
            else:
                tan = rise / (d + half_diag)
            if tan <= floor_tan:
                continue
            # the rings the pixel's samples can fall in (distances widened by the slack)
            d_lo = (d - half_diag) / _SCALE_SLACK
            d_hi = (d + half_diag) * _SCALE_SLACK
            g0 = 0
            while g0 < NEAR_RINGS - 1 and edges[g0 + 1] <= d_lo:
                g0 += 1
            g1 = g0
            while g1 < NEAR_RINGS - 1 and edges[g1 + 1] < d_hi:
                g1 += 1
            if d <= 1.5 * half_diag:
                for g in range(g0, g1 + 1):
                    for q in range(NEAR_SECTORS):
                        out[g, q] = max(out[g, q], tan)
                continue
            az = math.atan2(dx * e_map[0] + dy * e_map[1], dx * n_map[0] + dy * n_map[1])
            spread = math.asin(min(1.0, half_diag / d)) + 1e-6
            q0 = math.floor((az - spread) / sector)
            q1 = math.floor((az + spread) / sector)
            for g in range(g0, g1 + 1):
                for q in range(q0, q1 + 1):
                    qq = q % NEAR_SECTORS
                    if tan > out[g, qq]:
                        out[g, qq] = tan
    return True


@njit(cache=True)
def _cut_top(k, tops, corner_xy, projected, corners, ca, sa, up, north, east, c_cut, s_cut,
             proj, meta, levels, maxes, xs, ys):
    """Fill ``tops[k]``: the highest terrain the block's rays can sample between cuts ``k``
    and ``k + 1`` (the box of its four corner rays' points there, see the module doc)."""
    for kk in (k, k + 1):
        if not projected[kk]:
            for q in range(4):
                i = corners[q]
                tx = ca * north[i, 0] + sa * east[i, 0]
                ty = ca * north[i, 1] + sa * east[i, 1]
                tz = ca * north[i, 2] + sa * east[i, 2]
                px = c_cut[kk] * up[i, 0] + s_cut[kk] * tx
                py = c_cut[kk] * up[i, 1] + s_cut[kk] * ty
                pz = c_cut[kk] * up[i, 2] + s_cut[kk] * tz
                corner_xy[kk, 0, q], corner_xy[kk, 1, q] = _project(px, py, pz, proj)
            projected[kk] = True
    for q in range(4):
        xs[q] = corner_xy[k, 0, q]
        ys[q] = corner_xy[k, 1, q]
        xs[4 + q] = corner_xy[k + 1, 0, q]
        ys[4 + q] = corner_xy[k + 1, 1, q]
    tops[k] = _wedge_top(xs, ys, meta, levels, maxes)


@njit(cache=True, parallel=True)
def grid_horizons(
    up, north, east, x_m, y_m, e_map, n_map, r_obs_m, ny, nx, block, azimuth_rad, radius_m, cuts_m,
    growth, proj, meta, levels, heights, maxes, strides, top_all_m, floor_tan, ceiling_tan,
    elevation_rad,
):  # fmt: skip
    """Fill ``elevation_rad`` (ny·nx, n_az) for the grid points (row-major, ``ny × nx``).

    ``up``, ``north``, ``east`` (n, 3) unit vectors; ``x_m``, ``y_m`` (n,) the points' map
    coordinates (false easting/northing removed); ``e_map``, ``n_map`` (n, 2) the map
    directions of local east and north; ``r_obs_m`` (n,) observer radii;
    ``cuts_m`` the shared cut distances (first = the near field's end, last = the range).
    ``floor_tan`` / ``ceiling_tan`` (n_az,) clamp the answer, per azimuth, to a band of
    tangents (``-inf`` / ``inf`` for none): below the floor nothing is marched, above the
    ceiling the march stops, and the result is the exact horizon clamped to the band.
    """
    n_az = azimuth_rad.shape[0]
    n_cuts = cuts_m.shape[0]
    max_range_m = cuts_m[n_cuts - 1]
    c_cut = np.empty(n_cuts)
    s_cut = np.empty(n_cuts)
    for k in range(n_cuts):
        c_cut[k], s_cut[k] = _cos_sin(cuts_m[k] / radius_m)
    c_far = c_cut[n_cuts - 1]
    s_far = s_cut[n_cuts - 1]
    floor_low = floor_tan.min()
    nby = (ny + block - 1) // block
    nbx = (nx + block - 1) // block
    for b in prange(nby * nbx):
        r0 = (b // nbx) * block
        c0 = (b % nbx) * block
        r1 = min(r0 + block, ny) - 1
        c1 = min(c0 + block, nx) - 1
        corners = np.array([r0 * nx + c0, r0 * nx + c1, r1 * nx + c0, r1 * nx + c1])
        members = np.empty((r1 - r0 + 1) * (c1 - c0 + 1), np.int64)
        m = 0
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                members[m] = r * nx + c
                m += 1
        first = np.empty(m)
        near = np.empty((m, NEAR_RINGS, NEAR_SECTORS))
        edges = np.empty((m, NEAR_RINGS + 1))
        close = np.empty(m)
        layer = np.empty(m, np.int64)
        inside = np.empty(m, np.bool_)
        for q in range(m):
            i = members[q]
            k, _, _ = _locate(x_m[i], y_m[i], meta)
            first[q] = meta[max(k, 0), _FINE_STEP]
            close[q] = CLOSE_PX * meta[max(k, 0), PIXEL]
            layer[q] = k
            inside[q] = _near_bound(x_m[i], y_m[i], r_obs_m[i], e_map[i], n_map[i], close[q],
                                    cuts_m[0], radius_m, meta, heights, floor_low, edges[q],
                                    near[q])
        d_prev = np.full(m, -1.0)
        tops = np.empty(n_cuts - 1)
        corner_xy = np.empty((n_cuts, 2, 4))
        projected = np.zeros(n_cuts, np.bool_)
        xs = np.empty(8)
        ys = np.empty(8)
        fail_until = np.empty(levels.shape[1])
        for j in range(n_az):
            ca = math.cos(azimuth_rad[j])
            sa = math.sin(azimuth_rad[j])
            # the far field shared by the block: the highest terrain per cut, computed the
            # first time one of the block's rays reaches the cut (NaN: not yet)
            tops[:] = np.nan
            projected[:] = False
            for q in range(m):
                i = members[q]
                ux, uy, uz = up[i, 0], up[i, 1], up[i, 2]
                tx = ca * north[i, 0] + sa * east[i, 0]
                ty = ca * north[i, 1] + sa * east[i, 1]
                tz = ca * north[i, 2] + sa * east[i, 2]
                r_obs = r_obs_m[i]
                best = floor_tan[j]
                d_best = -1.0
                if d_prev[q] > 0.0:
                    best2, d2 = _seed(ux, uy, uz, tx, ty, tz, r_obs, radius_m, max_range_m,
                                      d_prev[q], proj, meta, heights, SEED_SAMPLES)
                    if best2 > best:
                        best, d_best = best2, d2
                    passes = strides[-1:]
                else:
                    passes = strides
                # the near field, exactly: the first few pixels always, the rest of the
                # disc unless its bound rules it out
                sec = int(azimuth_rad[j] / (2.0 * math.pi) * NEAR_SECTORS) % NEAR_SECTORS
                end = cuts_m[0]
                if inside[q]:
                    mx = ca * n_map[i, 0] + sa * e_map[i, 0]
                    my = ca * n_map[i, 1] + sa * e_map[i, 1]
                    best2, d2 = _near_march(x_m[i], y_m[i], mx, my, r_obs, radius_m, first[q],
                                            min(close[q], end), strides[-1], layer[q], meta,
                                            heights, best, ceiling_tan[j])
                    if d2 > 0.0:
                        best, d_best = best2, d2
                    # the rings of the disc whose bound could rise above the horizon, on the
                    # lattice of one march from ``first`` (the same samples)
                    fine = meta[layer[q], _FINE_STEP]
                    i0 = math.ceil(first[q] / fine - 1e-9)
                    for g in range(NEAR_RINGS):
                        if best >= ceiling_tan[j] or edges[q, g] >= end:
                            break
                        if near[q, g, sec] <= best:
                            continue
                        i1 = i0 + math.ceil((edges[q, g] / fine - 1e-9 - i0) / strides[-1]) * (
                            strides[-1])
                        best2, d2 = _near_march(x_m[i], y_m[i], mx, my, r_obs, radius_m,
                                                max(i1, i0) * fine, min(edges[q, g + 1], end),
                                                strides[-1], layer[q], meta, heights, best,
                                                ceiling_tan[j])
                        if d2 > 0.0:
                            best, d_best = best2, d2
                else:
                    for stride in passes:
                        best2, _, d2 = _ray(ux, uy, uz, tx, ty, tz, r_obs, radius_m, end,
                                            first[q], growth, proj, meta, levels, heights,
                                            maxes, best, stride, fail_until, top_all_m)
                        if d2 > 0.0:
                            d_best = d2
                        best = best2
                # the far field: skip the cuts the shared bound rules out, march the rest
                k = 0
                while k < n_cuts - 1 and best < ceiling_tan[j]:
                    if _cannot_beat(best, top_all_m, c_cut[k], s_cut[k], c_far, s_far, r_obs,
                                    radius_m):
                        break
                    if tops[k] != tops[k]:
                        _cut_top(k, tops, corner_xy, projected, corners, ca, sa, up, north,
                                 east, c_cut, s_cut, proj, meta, levels, maxes, xs, ys)
                    if tops[k] == -np.inf or _cannot_beat(
                        best, tops[k], c_cut[k], s_cut[k], c_cut[k + 1], s_cut[k + 1], r_obs,
                        radius_m,
                    ):
                        k += 1
                        continue
                    k_end = k + 1
                    if k_end < n_cuts - 1 and tops[k_end] != tops[k_end]:
                        _cut_top(k_end, tops, corner_xy, projected, corners, ca, sa, up, north,
                                 east, c_cut, s_cut, proj, meta, levels, maxes, xs, ys)
                    while k_end < n_cuts - 1 and not (
                        tops[k_end] == -np.inf
                        or _cannot_beat(best, tops[k_end], c_cut[k_end], s_cut[k_end],
                                        c_cut[k_end + 1], s_cut[k_end + 1], r_obs, radius_m)
                    ):
                        k_end += 1
                        if k_end < n_cuts - 1 and tops[k_end] != tops[k_end]:
                            _cut_top(k_end, tops, corner_xy, projected, corners, ca, sa, up,
                                     north, east, c_cut, s_cut, proj, meta, levels, maxes, xs,
                                     ys)
                    best2, _, d2 = _ray(ux, uy, uz, tx, ty, tz, r_obs, radius_m, cuts_m[k_end],
                                        cuts_m[k], growth, proj, meta, levels, heights, maxes,
                                        best, strides[-1], fail_until, top_all_m)
                    if d2 > 0.0:
                        d_best = d2
                    best = best2
                    k = k_end
                if strides[-1] > 1.0 and d_best > 0.0:
                    best2, d2 = _seed(ux, uy, uz, tx, ty, tz, r_obs, radius_m, max_range_m,
                                      d_best, proj, meta, heights, SEED_SAMPLES)
                    if best2 > best:
                        best = best2
                        d_best = d2
                d_prev[q] = d_best
                best = min(best, ceiling_tan[j])
                elevation_rad[i, j] = math.atan(best) if best > -np.inf else -0.5 * math.pi
