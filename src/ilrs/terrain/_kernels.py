"""Compiled horizon kernel: the highest elevation angle along many azimuth rays at once.

Pure functions over float64/float32 arrays in SI units (metres, radians); no I/O and no
imports beyond numpy and numba (an import-linter contract keeps it so).

Geometry. A ray leaves the site along the great circle of azimuth ``az``: the ground point
at arc distance ``d`` is the unit vector ``p = cos θ u + sin θ t`` with ``θ = d / R``,
``u`` the site's up and ``t = cos az n + sin az e`` (north, east rows of ``Site.enu``). A
terrain point of height ``h`` there (radius ``r_t = R + h``) is seen from the observer at
radius ``r_o`` at elevation ``atan2(r_t cos θ − r_o, r_t sin θ)`` — exact, the Moon's
curvature included. The kernel keeps the tangent of that angle, which is monotonic in it.

Projection. Map x, y of ``p`` in polar stereographic: with ``p′`` = ``p`` rotated by −λ₀,
``f = 2Rk₀ / (1 + pole·p_z)``, ``x = f p′_y``, ``y = −pole f p′_x`` (see
:mod:`ilrs.terrain.projection`).

Layers. The terrain is a list of in-memory grids, finest first; a sample uses the first
layer whose pixel centres surround it (bilinear). ``meta[k]`` holds, for layer ``k``:
``[x0, y0, pixel, ncols, nrows, offset, fine_step, 1 / pixel]`` with ``(x0, y0)`` the
centre of pixel (0, 0) (false easting/northing removed), rows going south, ``offset`` the
start of the layer in the flat ``heights`` array.

Speed: a maximum mipmap, as in relief ray casting. ``levels[k, l]`` describes a grid of
``block × block``-pixel blocks of layer ``k`` (``[block, offset, ncols, nrows, segment,
cos, sin]``, the last two of the segment's arc; ``block = 0`` marks an unused level),
stored in the flat ``maxes``, each block holding the highest pixel within 2 pixels of it.
A ray segment of ``segment`` metres (at most ``block`` pixels on the map, bowing < 1 pixel
off its chord) touches at most 2 × 2 blocks, so a few lookups bound every height a
bilinear sample on it can take; if even that height, placed where it would look highest,
stays below the horizon found so far, the segment is skipped. Levels are tried from the
coarsest; a segment no level can skip is marched on the quarter-pixel lattice
``d = i · pixel / 4`` of the layer each sample falls in, every ``stride``-th point, with
steps growing to ``growth × d`` far away. A ray stops once even the highest terrain could
not rise above its horizon. Each ray starts from a true lower bound: a few lattice
samples around the neighbouring azimuth's horizon point (or a sparse first pass). None of
this changes the result: with ``growth = 0`` and ``stride = 1`` the answer is exactly that
of the plain quarter-pixel march.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

X0, Y0, PIXEL, NCOLS, NROWS, OFFSET, FINE_STEP, INV_PIXEL = range(8)
META_FIELDS = 8
#: Azimuths marched in order by one thread, each seeded by its neighbour's horizon point.
AZIMUTH_CHUNK = 120
#: Lattice samples taken on each side of the neighbour's horizon point.
SEED_SAMPLES = 2
#: Fast-math flags that keep NaN and infinity semantics (holes are NaN, bounds are ±inf).
FASTMATH = {"contract", "arcp", "afn", "reassoc", "nsz"}
L_BLOCK, L_OFFSET, L_NCOLS, L_NROWS, L_SEGMENT, L_COS, L_SIN = range(7)
LEVEL_FIELDS = 7


@njit(cache=True, inline="always")
def _cos_sin(th):
    """cos θ, sin θ; Taylor series (error < 1e-12) for the arcs of a 350 km horizon."""
    if th > 0.2:
        return math.cos(th), math.sin(th)
    t2 = th * th
    c = 1.0 - t2 * (0.5 - t2 * (1.0 / 24 - t2 * (1.0 / 720 - t2 * (1.0 / 40320))))
    s = th * (1.0 - t2 * (1.0 / 6 - t2 * (1.0 / 120 - t2 * (1.0 / 5040 - t2 * (1.0 / 362880)))))
    return c, s


@njit(cache=True, inline="always")
def _project(px, py, pz, proj):
    pole = proj[0]
    qx = proj[1] * px + proj[2] * py
    qy = -proj[2] * px + proj[1] * py
    f = proj[3] / (1.0 + pole * pz)
    return f * qy, -pole * f * qx


@njit(cache=True, inline="always")
def _bilinear(heights, off, ncols, nrows, col, row):
    c0 = int(col)
    r0 = int(row)
    if c0 > ncols - 2:
        c0 = ncols - 2
    if r0 > nrows - 2:
        r0 = nrows - 2
    fc = col - c0
    fr = row - r0
    i = off + r0 * ncols + c0
    top = heights[i] * (1.0 - fc) + heights[i + 1] * fc
    bottom = heights[i + ncols] * (1.0 - fc) + heights[i + ncols + 1] * fc
    return top * (1.0 - fr) + bottom * fr


@njit(cache=True, inline="always")
def _locate(x, y, meta):
    """First layer whose pixel centres surround (x, y): (layer, col, row); layer -1 if none."""
    for k in range(meta.shape[0]):
        col = (x - meta[k, X0]) * meta[k, INV_PIXEL]
        row = (meta[k, Y0] - y) * meta[k, INV_PIXEL]
        if (
            col >= 0.0
            and row >= 0.0
            and col <= meta[k, NCOLS] - 1.0
            and row <= meta[k, NROWS] - 1.0
        ):
            return k, col, row
    return -1, 0.0, 0.0


@njit(cache=True)
def sample_heights(x, y, meta, heights):
    """Bilinear heights at map points from the finest layer covering each (NaN if none)."""
    out = np.empty(x.shape[0])
    for i in range(x.shape[0]):
        k, col, row = _locate(x[i], y[i], meta)
        if k < 0:
            out[i] = np.nan
        else:
            out[i] = _bilinear(
                heights, int(meta[k, OFFSET]), int(meta[k, NCOLS]), int(meta[k, NROWS]), col, row
            )
    return out


@njit(cache=True, inline="always")
def _near_finer(layer, x_lo, x_hi, y_lo, y_hi, meta):
    """True if a layer finer than ``layer`` reaches into the map box (one pixel of slack)."""
    for k in range(layer):
        pixel = meta[k, PIXEL]
        if (
            x_hi >= meta[k, X0] - pixel
            and x_lo <= meta[k, X0] + meta[k, NCOLS] * pixel
            and y_lo <= meta[k, Y0] + pixel
            and y_hi >= meta[k, Y0] - meta[k, NROWS] * pixel
        ):
            return True
    return False


@njit(cache=True, inline="always")
def _cannot_beat(best, top_m, c, s, c_end, s_end, r_obs_m, radius_m):
    """True if no point of height ≤ ``top_m`` between the arcs (c, s) and (c_end, s_end)
    can look higher than tangent ``best``. The highest look at a fixed height is at the near
    end when the top is above the eye, else at the tangent point cos θ* = r_top / r_o
    (clamped to the segment), where the elevation of a fixed radius peaks."""
    r_top = radius_m + top_m
    if r_top >= r_obs_m or r_top >= c * r_obs_m:
        return r_top * c - r_obs_m <= best * (r_top * s)
    if r_top <= c_end * r_obs_m:
        return r_top * c_end - r_obs_m <= best * (r_top * s_end)
    cos_t = r_top / r_obs_m
    return r_top * cos_t - r_obs_m <= best * (r_top * math.sqrt(1.0 - cos_t * cos_t))


@njit(cache=True, inline="always")
def _segment_top(layer, lv, col, row, col2, row2, meta, maxes):
    """Highest height any bilinear sample on the segment between two map points (given in
    pixels of ``layer``) can take, from the block maxima of one level; NaN if the segment
    is not safely inside the layer. The segment bows off its chord by < 1 pixel."""
    c_lo = min(col, col2)
    c_hi = max(col, col2)
    r_lo = min(row, row2)
    r_hi = max(row, row2)
    if (
        c_lo < 1.0
        or r_lo < 1.0
        or c_hi > meta[layer, NCOLS] - 2.0
        or r_hi > meta[layer, NROWS] - 2.0
    ):
        return np.nan
    block = lv[L_BLOCK]
    nbc = int(lv[L_NCOLS])
    base = int(lv[L_OFFSET])
    top = -np.inf
    for bi in range(int(r_lo / block), int(r_hi / block) + 1):
        for bj in range(int(c_lo / block), int(c_hi / block) + 1):
            v = maxes[base + bi * nbc + bj]
            if v > top:
                top = v
    return top


@njit(cache=True, fastmath=FASTMATH)
def _ray(
    ux,
    uy,
    uz,
    tx,
    ty,
    tz,
    r_obs_m,
    radius_m,
    max_range_m,
    first_m,
    growth,
    proj,
    meta,
    levels,
    heights,
    maxes,
    best,
    stride,
    fail_until,
    top_all_m,
):
    """Tangent of the horizon elevation along one ray (at least ``best``), the distance data
    ran out, and where the best sample was, sampling every ``stride``-th lattice point."""
    d_best = -1.0
    fail_until[:] = -1.0
    reach = max_range_m
    out_of_data = False
    n_layers = meta.shape[0]
    n_levels = levels.shape[1]
    outside_step = max(levels[n_layers - 1, :, L_SEGMENT].max(), meta[n_layers - 1, FINE_STEP])
    c_far, s_far = _cos_sin(max_range_m / radius_m)
    d = first_m
    have_position = False
    c = s = x = y = 0.0
    while d < max_range_m:
        if not have_position:
            c, s = _cos_sin(d / radius_m)
            x, y = _project(c * ux + s * tx, c * uy + s * ty, c * uz + s * tz, proj)
        have_position = False
        # nothing further can rise above the horizon found so far: stop
        if _cannot_beat(best, top_all_m, c, s, c_far, s_far, r_obs_m, radius_m):
            break
        layer, col, row = _locate(x, y, meta)
        if layer < 0:
            if not out_of_data:
                reach = d
                out_of_data = True
            d += outside_step
            continue
        pixel = meta[layer, PIXEL]
        skipped = False
        for lev in range(n_levels - 1, -1, -1):
            lv = levels[layer, lev]
            if lv[L_BLOCK] == 0.0 or d < fail_until[lev]:
                continue  # unused level, or inside a segment this level could not skip
            d2 = d + lv[L_SEGMENT]
            c2 = c * lv[L_COS] - s * lv[L_SIN]  # rotate by the segment's arc
            s2 = s * lv[L_COS] + c * lv[L_SIN]
            x2, y2 = _project(c2 * ux + s2 * tx, c2 * uy + s2 * ty, c2 * uz + s2 * tz, proj)
            if layer > 0 and _near_finer(
                layer, min(x, x2) - pixel, max(x, x2) + pixel, min(y, y2) - pixel,
                max(y, y2) + pixel, meta,
            ):  # fmt: skip
                fail_until[lev] = d2  # a finer layer takes over part of the segment
                continue
            top_m = _segment_top(
                layer,
                lv,
                col,
                row,
                (x2 - meta[layer, X0]) * meta[layer, INV_PIXEL],
                (meta[layer, Y0] - y2) * meta[layer, INV_PIXEL],
                meta,
                maxes,
            )
            if top_m != top_m:  # the segment leaves the layer
                fail_until[lev] = d2
                continue
            if top_m == -np.inf or _cannot_beat(best, top_m, c, s, c2, s2, r_obs_m, radius_m):
                d = d2
                c, s, x, y = c2, s2, x2, y2
                have_position = True
                skipped = True
                break
            fail_until[lev] = d2
        if skipped:
            continue
        # march this segment on the quarter-pixel lattice d = i · fine_step of the layer
        # each sample falls in (the lattice the brute force walks)
        d_end = min(d + levels[layer, 0, L_SEGMENT], max_range_m)
        step_layer = -1
        fine = 0.0
        index = 0.0
        # (c, s) of the current sample; advanced by rotation while the step stays the same
        trig_ok = True
        stride_prev = -1.0
        c_step = s_step = 0.0
        k_off = k_cols = k_rows = 0
        while d < d_end:
            if not trig_ok:
                c, s = _cos_sin(d / radius_m)
            trig_ok = False
            x, y = _project(c * ux + s * tx, c * uy + s * ty, c * uz + s * tz, proj)
            k, col, row = _locate(x, y, meta)
            if k != step_layer and k >= 0:
                fine = meta[k, FINE_STEP]
                index = math.ceil(d / fine - 1e-9)
                step_layer = k
                stride_prev = -1.0
                k_off = int(meta[k, OFFSET])
                k_cols = int(meta[k, NCOLS])
                k_rows = int(meta[k, NROWS])
                if index * fine != d:
                    d = index * fine
                    continue
            if k < 0:
                if not out_of_data:
                    reach = d
                    out_of_data = True
                d += meta[layer, FINE_STEP]
                step_layer = -1
                continue
            h = _bilinear(heights, k_off, k_cols, k_rows, col, row)
            if h == h:
                r_t = radius_m + h
                rise = r_t * c - r_obs_m
                run = r_t * s
                if rise > best * run:  # tangent of elevation above the best (run > 0)
                    best = rise / run
                    d_best = d
            m = max(stride, math.floor(growth * d / fine))
            if m != stride_prev:
                c_step, s_step = _cos_sin(m * fine / radius_m)
                stride_prev = m
            c, s = c * c_step - s * s_step, s * c_step + c * s_step
            trig_ok = True
            index += m
            d = index * fine
    return best, reach, d_best


@njit(cache=True, fastmath=FASTMATH)
def _seed(
    ux, uy, uz, tx, ty, tz, r_obs_m, radius_m, max_range_m, d_near, proj, meta, heights, n_side
):
    """Best tangent among the lattice samples of this ray within ``n_side`` steps of
    ``d_near`` (e.g. where the neighbouring ray found its horizon): a true lower bound of
    this ray's horizon."""
    best = -np.inf
    d_best = -1.0
    c, s = _cos_sin(d_near / radius_m)
    x, y = _project(c * ux + s * tx, c * uy + s * ty, c * uz + s * tz, proj)
    k, col, row = _locate(x, y, meta)
    if k < 0:
        return best, d_best
    fine = meta[k, FINE_STEP]
    centre = math.ceil(d_near / fine - 1e-9)
    for index in range(centre - n_side, centre + n_side + 1):
        d = index * fine
        if d <= 0.0 or d >= max_range_m:
            continue
        c, s = _cos_sin(d / radius_m)
        x, y = _project(c * ux + s * tx, c * uy + s * ty, c * uz + s * tz, proj)
        k2, col, row = _locate(x, y, meta)
        if k2 != k:
            continue
        h = _bilinear(
            heights, int(meta[k, OFFSET]), int(meta[k, NCOLS]), int(meta[k, NROWS]), col, row
        )
        if h == h:
            r_t = radius_m + h
            slope = (r_t * c - r_obs_m) / (r_t * s)
            if slope > best:
                best = slope
                d_best = d
    return best, d_best


@njit(cache=True, parallel=True)
def horizons(
    up,
    north,
    east,
    r_obs_m,
    azimuth_rad,
    radius_m,
    max_range_m,
    first_m,
    growth,
    proj,
    meta,
    levels,
    heights,
    maxes,
    elevation_rad,
    reach_m,
    strides,
    top_all_m,
):
    """Fill ``elevation_rad`` and ``reach_m`` (n_sites, n_azimuths) for every site × azimuth.

    ``up``, ``north``, ``east`` are (n_sites, 3) unit vectors; ``r_obs_m`` (n_sites,) the
    observer radii; ``first_m`` (n_sites,) the first sample distance.
    """
    n_sites = up.shape[0]
    n_az = azimuth_rad.shape[0]
    n_chunks = (n_az + AZIMUTH_CHUNK - 1) // AZIMUTH_CHUNK
    for job in prange(n_sites * n_chunks):
        i = job // n_chunks
        j0 = (job % n_chunks) * AZIMUTH_CHUNK
        d_prev = -1.0
        fail_until = np.empty(levels.shape[1])
        for j in range(j0, min(j0 + AZIMUTH_CHUNK, n_az)):
            ca = math.cos(azimuth_rad[j])
            sa = math.sin(azimuth_rad[j])
            tx = ca * north[i, 0] + sa * east[i, 0]
            ty = ca * north[i, 1] + sa * east[i, 1]
            tz = ca * north[i, 2] + sa * east[i, 2]
            best = -np.inf
            reach = max_range_m
            d_best = -1.0
            if d_prev > 0.0:
                # the neighbouring ray's horizon point seeds a near-final lower bound
                best, d_best = _seed(
                    up[i, 0],
                    up[i, 1],
                    up[i, 2],
                    tx,
                    ty,
                    tz,
                    r_obs_m[i],
                    radius_m,
                    max_range_m,
                    d_prev,
                    proj,
                    meta,
                    heights,
                    SEED_SAMPLES,
                )
                passes = strides[-1:]
            else:
                # a sparse pass finds most of the horizon cheaply first
                passes = strides
            for stride in passes:
                best2, reach, d2 = _ray(
                    up[i, 0],
                    up[i, 1],
                    up[i, 2],
                    tx,
                    ty,
                    tz,
                    r_obs_m[i],
                    radius_m,
                    max_range_m,
                    first_m[i],
                    growth,
                    proj,
                    meta,
                    levels,
                    heights,
                    maxes,
                    best,
                    stride,
                    fail_until,
                    top_all_m,
                )
                if d2 > 0.0:
                    d_best = d2
                best = best2
            if strides[-1] > 1.0 and d_best > 0.0:
                # polish: the full lattice right around the best sample
                best2, d2 = _seed(
                    up[i, 0],
                    up[i, 1],
                    up[i, 2],
                    tx,
                    ty,
                    tz,
                    r_obs_m[i],
                    radius_m,
                    max_range_m,
                    d_best,
                    proj,
                    meta,
                    heights,
                    SEED_SAMPLES,  # the full lattice either side of the best
                )
                if best2 > best:
                    best = best2
                    d_best = d2
            d_prev = d_best
            elevation_rad[i, j] = math.atan(best) if best > -np.inf else -0.5 * math.pi
            reach_m[i, j] = reach
