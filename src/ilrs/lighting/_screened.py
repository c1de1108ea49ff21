"""Screened disk statistics: most epochs decided from a shared track, the rest exactly.

Pure functions over float64 arrays, radians; numpy and numba only. The statistics are
those of :func:`ilrs.lighting._kernels.map_disk_stats` and
:func:`ilrs.lighting._kernels.sun_earth_stats` (flat-horizon disk, segment rule), and so
are the results, bit for bit: screening only decides, without any trigonometry, the
epochs whose answer is certain, and evaluates every other epoch exactly as those kernels do.

How. Points are put in groups of neighbours (a few km across); each group has a
reference frame (rows east, north, up), and a far body's track is computed once per group
in it: the sine of its elevation ``u``, its azimuth in horizon bins and the length of its
horizontal part. A point's own frame is the reference rotated by ``R = enu · ref^T``, a
rotation about the vertical by ``α`` plus a small tilt, so at every epoch

- the point's ``sin(elevation)`` lies within ``du = |R[2] − e_z|`` of the reference's, and
- the point's azimuth lies within ``δ`` of the reference's plus ``α``, with
  ``δ ≤ dh / (hc − dh)`` (``dh`` the norm of the horizontal part of ``R`` minus the pure
  rotation, ``hc`` the smallest horizontal length of the track).

Per point and horizon segment ``[j, j + 1]`` the kernel keeps ``sin(max h + r_max)`` and
``sin(min h − r_max)`` (``r_max`` the body's largest angular radius, 1e-9 rad of margin);
the horizon the exact kernel interpolates at the point's azimuth lies in the segments
touched by ``[az − δ, az + δ]``. An epoch is *lit* (the whole disk above the horizon, the
exact kernel's fraction is 1 × weight) when ``u − du`` reaches the highest bound there,
*dark* (fraction 0) when ``u + du`` stays below the lowest, and evaluated exactly
otherwise. Near the pole at hourly steps most epochs are decided (the disk is far from
the horizon most of the time); see ``docs/terrain.md`` for the measured share.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ilrs.lighting._kernels import _body_fraction, tally, write_tally

TWO_PI = 2.0 * math.pi
#: Margin (rad, and in sine) added to every bound: far above the rounding of the exact path.
MARGIN = 1e-9
#: Columns of a group's track: sine of the elevation, azimuth in horizon bins, horizontal
#: length of the unit vector.
T_SIN, T_AZ_BINS, T_HORIZONTAL = range(3)


@njit(cache=True, parallel=True)
def reference_tracks(ref_enus, unit_me, n_azimuths, track, horizontal_min):
    """Fill ``track`` (G, N, 3) with a far body's direction ``unit_me`` (N, 3, Moon ME) in
    each group's reference frame ``ref_enus`` (G, 3, 3): sine of the elevation, azimuth in
    bins of ``2π / n_azimuths`` (in [0, n)), horizontal length; ``horizontal_min`` (G,)
    the smallest horizontal length over the epochs."""
    scale = n_azimuths / TWO_PI
    for g in prange(ref_enus.shape[0]):
        ref = ref_enus[g]
        low = 1.0
        for i in range(unit_me.shape[0]):
            x, y, z = unit_me[i, 0], unit_me[i, 1], unit_me[i, 2]
            e = ref[0, 0] * x + ref[0, 1] * y + ref[0, 2] * z
            n = ref[1, 0] * x + ref[1, 1] * y + ref[1, 2] * z
            u = ref[2, 0] * x + ref[2, 1] * y + ref[2, 2] * z
            az = math.atan2(e, n)
            if az < 0.0:
                az += TWO_PI
            hc = math.sqrt(e * e + n * n)
            track[g, i, T_SIN] = u
            track[g, i, T_AZ_BINS] = az * scale
            track[g, i, T_HORIZONTAL] = hc
            low = min(low, hc)
        horizontal_min[g] = low


@njit(cache=True)
def _relative(enu, ref):
    """The point's frame ``enu`` against the reference ``ref``: ``α`` (rad, the rotation
    about the vertical: azimuth here ≈ azimuth there + α), ``du`` and ``dh`` (module doc)."""
    r = np.empty((3, 3))
    for a in range(3):
        for b in range(3):
            r[a, b] = enu[a, 0] * ref[b, 0] + enu[a, 1] * ref[b, 1] + enu[a, 2] * ref[b, 2]
    du = math.sqrt(r[2, 0] ** 2 + r[2, 1] ** 2 + (r[2, 2] - 1.0) ** 2) + MARGIN
    alpha = math.atan2(r[0, 1] - r[1, 0], r[0, 0] + r[1, 1])
    ca = math.cos(alpha)
    sa = math.sin(alpha)
    dh = math.sqrt((r[0, 0] - ca) ** 2 + (r[0, 1] - sa) ** 2 + (r[1, 0] + sa) ** 2
                   + (r[1, 1] - ca) ** 2 + r[0, 2] ** 2 + r[1, 2] ** 2) + MARGIN
    return alpha, du, dh


@njit(cache=True)
def _pair_bounds(horizon, r_max, du, spread_bins, hi_pad, lo_pad):
    """The screen's thresholds, per window start ``j0`` in ``[-1, n - 1]`` (stored at
    ``j0 + 1``; ``n + 1`` entries): over the horizon segments ``[j, j + 1]`` of
    ``j0 ≤ j ≤ j0 + 1`` (mod n), sin(highest value + ``r_max``) + ``du`` and sin(lowest −
    ``r_max``) − ``du`` (margins outward, clipped to ±π/2). With ``spread_bins < 0.5`` the
    window ``[az − δ, az + δ]`` touches only those two segments."""
    n = horizon.shape[0]
    for k in range(n + 1):
        hi = -np.inf
        lo = np.inf
        for j in range(k - 1, k + 2):  # the samples j0 .. j0 + 2 bound both segments
            h = horizon[j % n]
            hi = max(hi, h)
            lo = min(lo, h)
        hi_pad[k] = math.sin(min(hi + r_max + MARGIN, 0.5 * math.pi)) + du
        lo_pad[k] = math.sin(max(lo - r_max - MARGIN, -0.5 * math.pi)) - du
    if not spread_bins < 0.5:  # no screening: no epoch is decided without evaluation
        for k in range(n + 1):
            hi_pad[k] = np.inf
            lo_pad[k] = -np.inf


@njit(cache=True, inline="always")
def _spread_bins(dh, horizontal_min, n):
    """``δ`` in horizon bins (inf: the tilt is too large for this track, no screening)."""
    if horizontal_min - dh <= 0.0:
        return np.inf
    return dh / (horizontal_min - dh) * (n / TWO_PI) + 1e-6


@njit(cache=True, inline="always")
def _screen(u, az_bins, spread_bins, n, hi_pad, lo_pad):
    """1: the whole disk is above the horizon; 0: none of it; -1: not decided.
    ``az_bins`` in ``[-n, 2n)``."""
    if az_bins < 0.0:
        az_bins += n
    elif az_bins >= n:
        az_bins -= n
    k = math.floor(az_bins - spread_bins) + 1
    if u >= hi_pad[k]:
        return 1
    if u <= lo_pad[k]:
        return 0
    return -1


@njit(cache=True, parallel=True)
def map_disk_stats(
    horizons_rad, enus, group, ref_enus, track, horizontal_min, unit_me, radius_rad, weight,
    visible_any, visible_mean, visible_full, longest_hidden_steps, evaluated,
):  # fmt: skip
    """:func:`ilrs.lighting._kernels.map_disk_stats`, screened: the same outputs for sites
    ``horizons_rad`` (S, n), ``enus`` (S, 3, 3) in groups ``group`` (S,) with reference
    frames ``ref_enus`` and the body's ``track`` / ``horizontal_min`` there
    (:func:`reference_tracks`); ``evaluated`` (S,) counts the epochs evaluated exactly."""
    n_epochs = unit_me.shape[0]
    n = horizons_rad.shape[1]
    r_max = radius_rad.max()
    for s in prange(horizons_rad.shape[0]):
        horizon = horizons_rad[s]
        enu = enus[s]
        g = group[s]
        alpha, du, dh = _relative(enu, ref_enus[g])
        alpha_bins = alpha * (n / TWO_PI)
        hi_pad = np.empty(n + 1)
        lo_pad = np.empty(n + 1)
        spread = _spread_bins(dh, horizontal_min[g], n)
        _pair_bounds(horizon, r_max, du, spread, hi_pad, lo_pad)
        any_count = 0
        full_count = 0
        total = 0.0
        run = 0
        longest = 0
        exact = 0
        for i in range(n_epochs):
            c = _screen(track[g, i, T_SIN], track[g, i, T_AZ_BINS] + alpha_bins, spread, n,
                        hi_pad, lo_pad)
            if c == 1:
                f = weight[i]
            elif c == 0:
                f = 0.0
            else:
                exact += 1
                f = _body_fraction(horizon, enu, unit_me[i, 0], unit_me[i, 1], unit_me[i, 2],
                                   radius_rad[i], weight[i])
            if f > 0.0:
                any_count += 1
                total += f
                run = 0
            else:
                run += 1
                longest = max(longest, run)
            if f >= 1.0:
                full_count += 1
        visible_any[s] = any_count / n_epochs
        visible_mean[s] = total / n_epochs
        visible_full[s] = full_count / n_epochs
        longest_hidden_steps[s] = longest
        evaluated[s] = exact


@njit(cache=True, parallel=True)
def sun_earth_stats(
    horizons_rad, enus, group, ref_enus, sun_track, sun_horizontal_min, sun_unit, sun_radius,
    sun_weight, earth_track, earth_horizontal_min, earth_unit, earth_radius, out, evaluated,
):  # fmt: skip
    """:func:`ilrs.lighting._kernels.sun_earth_stats`, screened (the same ``out`` (S, 6));
    tracks as for :func:`map_disk_stats`; ``evaluated`` (S,) counts the disks (Sun and
    Earth, per epoch) evaluated exactly."""
    n_epochs = sun_unit.shape[0]
    n = horizons_rad.shape[1]
    sun_r_max = sun_radius.max()
    earth_r_max = earth_radius.max()
    for s in prange(horizons_rad.shape[0]):
        horizon = horizons_rad[s]
        enu = enus[s]
        g = group[s]
        alpha, du, dh = _relative(enu, ref_enus[g])
        alpha_bins = alpha * (n / TWO_PI)
        sun_spread = _spread_bins(dh, sun_horizontal_min[g], n)
        earth_spread = _spread_bins(dh, earth_horizontal_min[g], n)
        sun_hi = np.empty(n + 1)
        sun_lo = np.empty(n + 1)
        earth_hi = np.empty(n + 1)
        earth_lo = np.empty(n + 1)
        _pair_bounds(horizon, sun_r_max, du, sun_spread, sun_hi, sun_lo)
        _pair_bounds(horizon, earth_r_max, du, earth_spread, earth_hi, earth_lo)
        acc = np.zeros(8)
        exact = 0
        for i in range(n_epochs):
            c = _screen(sun_track[g, i, T_SIN], sun_track[g, i, T_AZ_BINS] + alpha_bins,
                        sun_spread, n, sun_hi, sun_lo)
            if c == 1:
                fs = sun_weight[i]
            elif c == 0:
                fs = 0.0
            else:
                exact += 1
                fs = _body_fraction(horizon, enu, sun_unit[i, 0], sun_unit[i, 1],
                                    sun_unit[i, 2], sun_radius[i], sun_weight[i])
            c = _screen(earth_track[g, i, T_SIN], earth_track[g, i, T_AZ_BINS] + alpha_bins,
                        earth_spread, n, earth_hi, earth_lo)
            if c == 1:
                fe = 1.0
            elif c == 0:
                fe = 0.0
            else:
                exact += 1
                fe = _body_fraction(horizon, enu, earth_unit[i, 0], earth_unit[i, 1],
                                    earth_unit[i, 2], earth_radius[i], 1.0)
            tally(acc, fs, fe)
        write_tally(out, s, acc, n_epochs)
        evaluated[s] = exact


def grid_groups(ny: int, nx: int, group_px: int) -> tuple[np.ndarray, np.ndarray]:
    """Groups of a row-major ``ny × nx`` grid in squares of ``group_px`` points: the group
    of every point (ny·nx,) and the point at the centre of each group (its reference).

    >>> group, centre = grid_groups(3, 4, 2)
    >>> group.reshape(3, 4).tolist(), centre.tolist()
    ([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3]], [5, 7, 9, 11])
    """
    rows = np.arange(ny) // group_px
    cols = np.arange(nx) // group_px
    n_cols = cols[-1] + 1
    group = (rows[:, None] * n_cols + cols[None, :]).ravel()
    centre = []
    for gr in range(rows[-1] + 1):
        r = np.nonzero(rows == gr)[0]
        for gc in range(n_cols):
            c = np.nonzero(cols == gc)[0]
            centre.append(r[r.size // 2] * nx + c[c.size // 2])
    return group.astype(np.int64), np.array(centre, np.int64)


def tracks_for_groups(ref_enus: np.ndarray, unit_me: np.ndarray, n_azimuths: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """A body's track (G, N, 3) and smallest horizontal length (G,) in each group's frame."""
    track = np.empty((ref_enus.shape[0], unit_me.shape[0], 3))
    horizontal_min = np.empty(ref_enus.shape[0])
    reference_tracks(np.ascontiguousarray(ref_enus), np.ascontiguousarray(unit_me),
                     n_azimuths, track, horizontal_min)
    return track, horizontal_min
