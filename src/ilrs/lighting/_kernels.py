"""Compiled kernels of the lighting layer: how much of a disk stands above a horizon.

Pure functions over float64 arrays, radians. A horizon is ``n`` elevations at the uniform
azimuths ``j · 2π / n`` (from north through east), linear in between and periodic.

Two ways to measure a disk (the Sun, the Earth) against the horizon:

- :func:`disk_fraction_profile` — the horizon varies across the disk: the disk is cut into
  vertical strips (``n_strips`` equal steps of θ with x = r·sin θ, midpoint rule), each
  strip compared with the horizon at its own azimuth. Exact for any horizon in the limit.
- :func:`disk_fraction_flat` — the horizon is taken flat across the disk at the height
  under the disk's centre: the visible part is a circular segment,
  ``f = 1 − (acos d − d·√(1 − d²)) / π`` with ``d = (e − h) / r`` clipped to [−1, 1]
  (the method of Mazarico et al. 2011, Icarus 211, 1066). Used for maps.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

TWO_PI = 2.0 * math.pi


@njit(cache=True, inline="always")
def horizon_at(horizon_rad, azimuth_rad):
    """Horizon elevation at one azimuth: linear between uniform bins, periodic."""
    n = horizon_rad.shape[0]
    u = (azimuth_rad % TWO_PI) * (n / TWO_PI)
    j = int(u)
    if j >= n:  # azimuth_rad a hair below 2π rounds up
        j = n - 1
    w = u - j
    return horizon_rad[j] * (1.0 - w) + horizon_rad[(j + 1) % n] * w


@njit(cache=True, inline="always")
def segment_fraction(d):
    """Fraction of a unit disk above a horizontal line ``d`` radii below its centre."""
    if d >= 1.0:
        return 1.0
    if d <= -1.0:
        return 0.0
    return 1.0 - (math.acos(d) - d * math.sqrt(1.0 - d * d)) / math.pi


@njit(cache=True, parallel=True)
def disk_fraction_flat(horizon_rad, azimuth_rad, elevation_rad, radius_rad, out):
    """Visible fraction of disks (centres az/el, angular radii) over a locally flat horizon."""
    for i in prange(azimuth_rad.shape[0]):
        h = horizon_at(horizon_rad, azimuth_rad[i])
        r = radius_rad[i]
        if r <= 0.0:
            out[i] = 1.0 if elevation_rad[i] > h else 0.0
        else:
            out[i] = segment_fraction((elevation_rad[i] - h) / r)


@njit(cache=True, inline="always")
def horizon_range(horizon_rad, azimuth_lo_rad, azimuth_hi_rad):
    """Lowest and highest horizon elevation between two azimuths (lo ≤ hi, may wrap)."""
    n = horizon_rad.shape[0]
    scale = n / TWO_PI
    j0 = math.floor(azimuth_lo_rad * scale)
    j1 = math.floor(azimuth_hi_rad * scale) + 1
    lo = 1e9
    hi = -1e9
    for j in range(j0, min(j1, j0 + n) + 1):
        h = horizon_rad[j % n]
        lo = min(lo, h)
        hi = max(hi, h)
    return lo, hi


@njit(cache=True, parallel=True)
def disk_fraction_profile(horizon_rad, azimuth_rad, elevation_rad, radius_rad, n_strips, out):
    """Visible fraction of disks whose horizon varies across them (vertical strips).

    Strip ``k`` sits at θ_k = −π/2 + (k + ½)·π/n, x = r·sin θ_k from the centre, half-height
    r·cos θ_k, width r·cos θ_k·dθ; its azimuth is az + x / cos(el) (the small-disk
    approximation of the sky's metric, exact to (r/1 rad)²). A disk wholly above the
    highest or below the lowest horizon sample under it is decided without the strips.
    """
    dtheta = math.pi / n_strips
    for i in prange(azimuth_rad.shape[0]):
        r = radius_rad[i]
        e = elevation_rad[i]
        if r <= 0.0:
            out[i] = 1.0 if e > horizon_at(horizon_rad, azimuth_rad[i]) else 0.0
            continue
        stretch = 1.0 / max(math.cos(e), 1e-9)
        half_span = min(r * stretch, math.pi)
        az = azimuth_rad[i] % TWO_PI
        lo, hi = horizon_range(horizon_rad, az - half_span + TWO_PI, az + half_span + TWO_PI)
        if e - r >= hi:
            out[i] = 1.0
            continue
        if e + r <= lo:
            out[i] = 0.0
            continue
        seen = 0.0
        total = 0.0
        for k in range(n_strips):
            theta = -0.5 * math.pi + (k + 0.5) * dtheta
            half = r * math.cos(theta)
            h = horizon_at(horizon_rad, az + r * math.sin(theta) * stretch)
            visible = min(max(e + half - h, 0.0), 2.0 * half)
            seen += visible * half
            total += 2.0 * half * half
        out[i] = seen / total


@njit(cache=True, parallel=True)
def directions_azel(unit_me, enu, azimuth_rad, elevation_rad):
    """Azimuth/elevation of body-frame unit vectors ``unit_me`` (N, 3) in the frame ``enu``
    (rows east, north, up), for one site. Used to move a far body's direction, computed
    once, to many sites (parallax of the Sun over 10 km: 0.01″)."""
    for i in prange(unit_me.shape[0]):
        e = enu[0, 0] * unit_me[i, 0] + enu[0, 1] * unit_me[i, 1] + enu[0, 2] * unit_me[i, 2]
        n = enu[1, 0] * unit_me[i, 0] + enu[1, 1] * unit_me[i, 1] + enu[1, 2] * unit_me[i, 2]
        u = enu[2, 0] * unit_me[i, 0] + enu[2, 1] * unit_me[i, 1] + enu[2, 2] * unit_me[i, 2]
        az = math.atan2(e, n)
        azimuth_rad[i] = az + TWO_PI if az < 0.0 else az
        elevation_rad[i] = math.atan2(u, math.sqrt(e * e + n * n))


@njit(cache=True, parallel=True)
def map_disk_stats(
    horizons_rad, enus, unit_me, radius_rad, weight,
    visible_any, visible_mean, visible_full, longest_hidden_steps,
):
    """Per site (rows of ``horizons_rad`` (S, n) and ``enus`` (S, 3, 3)) over all epochs of
    a far body's direction ``unit_me`` (N, 3, Moon ME frame): the share of epochs with any
    of its disk visible, the mean visible fraction, the share fully visible, and the longest
    run of epochs with nothing visible. ``weight`` (N,) multiplies the terrain fraction
    (for the Sun: 1 − the eclipse's hidden fraction). Flat-horizon disk (segment rule)."""
    n_epochs = unit_me.shape[0]
    for s in prange(horizons_rad.shape[0]):
        horizon = horizons_rad[s]
        enu = enus[s]
        any_count = 0
        full_count = 0
        total = 0.0
        run = 0
        longest = 0
        for i in range(n_epochs):
            x, y, z = unit_me[i, 0], unit_me[i, 1], unit_me[i, 2]
            e = enu[0, 0] * x + enu[0, 1] * y + enu[0, 2] * z
            n = enu[1, 0] * x + enu[1, 1] * y + enu[1, 2] * z
            u = enu[2, 0] * x + enu[2, 1] * y + enu[2, 2] * z
            el = math.atan2(u, math.sqrt(e * e + n * n))
            h = horizon_at(horizon, math.atan2(e, n))
            f = segment_fraction((el - h) / radius_rad[i]) * weight[i]
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


@njit(cache=True, inline="always")
def _body_fraction(horizon, enu, x, y, z, radius_rad, weight):
    """Visible fraction of a far body's disk (unit direction x, y, z in the Moon frame) over
    one horizon, flat-horizon segment rule, times ``weight``."""
    e = enu[0, 0] * x + enu[0, 1] * y + enu[0, 2] * z
    n = enu[1, 0] * x + enu[1, 1] * y + enu[1, 2] * z
    u = enu[2, 0] * x + enu[2, 1] * y + enu[2, 2] * z
    el = math.atan2(u, math.sqrt(e * e + n * n))
    h = horizon_at(horizon, math.atan2(e, n))
    return segment_fraction((el - h) / radius_rad) * weight


#: Columns of :func:`sun_earth_stats`' output.
SUN_ANY, SUN_MEAN, NIGHT_STEPS, EARTH_ANY, BLACKOUT_STEPS, SUN_AND_EARTH = range(6)


@njit(cache=True, inline="always")
def _fraction_or_bound(horizon, enu, x, y, z, radius_rad, weight, sin_low, sin_high):
    """:func:`_body_fraction`, decided from the elevation's sine alone when the whole disk is
    below the lowest horizon (``sin_low`` = sin(min horizon − largest radius)) or above the
    highest (``sin_high``): the same result without any trigonometry."""
    u = enu[2, 0] * x + enu[2, 1] * y + enu[2, 2] * z
    if u <= sin_low:
        return 0.0
    if u >= sin_high:
        return weight
    return _body_fraction(horizon, enu, x, y, z, radius_rad, weight)


#: A site's running tally over the epochs (:func:`tally`): its slots.
T_SUN_ANY, T_SUN_TOTAL, T_NIGHT, T_LONGEST_NIGHT, T_EARTH_ANY, T_BLACKOUT, \
    T_LONGEST_BLACKOUT, T_BOTH = range(8)


@njit(cache=True, inline="always")
def tally(acc, fs, fe):
    """Count one epoch with visible Sun fraction ``fs`` and Earth fraction ``fe`` into a
    site's tally ``acc`` (8 floats, zero at the start; slots ``T_*``)."""
    if fs > 0.0:
        acc[T_SUN_ANY] += 1.0
        acc[T_SUN_TOTAL] += fs
        acc[T_NIGHT] = 0.0
    else:
        acc[T_NIGHT] += 1.0
        acc[T_LONGEST_NIGHT] = max(acc[T_LONGEST_NIGHT], acc[T_NIGHT])
    if fe > 0.0:
        acc[T_EARTH_ANY] += 1.0
        acc[T_BLACKOUT] = 0.0
    else:
        acc[T_BLACKOUT] += 1.0
        acc[T_LONGEST_BLACKOUT] = max(acc[T_LONGEST_BLACKOUT], acc[T_BLACKOUT])
    if fs > 0.0 and fe > 0.0:
        acc[T_BOTH] += 1.0


@njit(cache=True, inline="always")
def write_tally(out, s, acc, n_epochs):
    """Row ``s`` of :func:`sun_earth_stats`' ``out`` from a site's finished tally."""
    out[s, SUN_ANY] = acc[T_SUN_ANY] / n_epochs
    out[s, SUN_MEAN] = acc[T_SUN_TOTAL] / n_epochs
    out[s, NIGHT_STEPS] = acc[T_LONGEST_NIGHT]
    out[s, EARTH_ANY] = acc[T_EARTH_ANY] / n_epochs
    out[s, BLACKOUT_STEPS] = acc[T_LONGEST_BLACKOUT]
    out[s, SUN_AND_EARTH] = acc[T_BOTH] / n_epochs


@njit(cache=True, parallel=True)
def sun_earth_stats(horizons_rad, enus, sun_unit, sun_radius, sun_weight, earth_unit,
                    earth_radius, out):
    """Per site (rows of ``horizons_rad`` (S, n), ``enus`` (S, 3, 3)) over all epochs, into
    ``out`` (S, 6): share of epochs with any of the Sun visible, mean visible Sun fraction,
    longest run of epochs with no Sun (steps), share with any of the Earth, longest run
    with no Earth (steps), share with both some Sun and some Earth. Flat-horizon disks;
    ``sun_weight`` is 1 − the eclipse's hidden fraction."""
    n_epochs = sun_unit.shape[0]
    sun_r_max = sun_radius.max()
    earth_r_max = earth_radius.max()
    for s in prange(horizons_rad.shape[0]):
        horizon = horizons_rad[s]
        enu = enus[s]
        h_lo = horizon.min()
        h_hi = horizon.max()
        sun_low = math.sin(max(h_lo - sun_r_max, -0.5 * math.pi))
        sun_high = math.sin(min(h_hi + sun_r_max, 0.5 * math.pi))
        earth_low = math.sin(max(h_lo - earth_r_max, -0.5 * math.pi))
        earth_high = math.sin(min(h_hi + earth_r_max, 0.5 * math.pi))
        acc = np.zeros(8)
        for i in range(n_epochs):
            fs = _fraction_or_bound(horizon, enu, sun_unit[i, 0], sun_unit[i, 1],
                                    sun_unit[i, 2], sun_radius[i], sun_weight[i], sun_low,
                                    sun_high)
            fe = _fraction_or_bound(horizon, enu, earth_unit[i, 0], earth_unit[i, 1],
                                    earth_unit[i, 2], earth_radius[i], 1.0, earth_low,
                                    earth_high)
            tally(acc, fs, fe)
        write_tally(out, s, acc, n_epochs)


@njit(cache=True, parallel=True)
def doubly_shadowed(heights_m, lit, rows, cols, pixel_m, radius_m, eye_m, n_azimuths,
                    max_range_m, out):
    """First-order double shadows on a north-up map grid (``heights_m`` (ny, nx), metres;
    ``lit`` (ny, nx) True where the ground is ever directly lit). For each listed pixel
    (``rows``, ``cols``; never lit), march ``n_azimuths`` straight map rays at half-pixel
    steps to ``max_range_m`` (or the map's edge) with the Moon's curvature (drop d² / 2R);
    a sample is seen when its elevation tangent reaches the running maximum (rays at map
    bearings: every direction is swept, so the local azimuth does not matter). ``out[k]`` is
    True when no seen sample lies on ever-lit ground: the pixel is in shadow and sees no
    directly lit terrain (within the map)."""
    ny, nx = heights_m.shape
    step = 0.5
    n_steps = int(max_range_m / (step * pixel_m))
    for k in prange(rows.shape[0]):
        r0 = rows[k]
        c0 = cols[k]
        h0 = heights_m[r0, c0] + eye_m
        clear = True
        for j in range(n_azimuths):
            if not clear:
                break
            az = 2.0 * math.pi * j / n_azimuths
            dc = math.sin(az) * step
            dr = -math.cos(az) * step
            best = -np.inf
            for i in range(1, n_steps + 1):
                col = c0 + dc * i
                row = r0 + dr * i
                if col < 0.0 or row < 0.0 or col > nx - 1.0 or row > ny - 1.0:
                    break
                ci = min(int(col), nx - 2)
                ri = min(int(row), ny - 2)
                fc = col - ci
                fr = row - ri
                h = (heights_m[ri, ci] * (1 - fc) + heights_m[ri, ci + 1] * fc) * (1 - fr) + (
                    heights_m[ri + 1, ci] * (1 - fc) + heights_m[ri + 1, ci + 1] * fc) * fr
                if h != h:
                    continue
                d = i * step * pixel_m
                tan = (h - h0 - d * d / (2.0 * radius_m)) / d
                if tan >= best:
                    best = tan
                    if lit[int(row + 0.5), int(col + 0.5)]:
                        clear = False
                        break
        out[k] = clear


@njit(cache=True)
def band_by_azimuth(az_lo_rad, az_hi_rad, el_lo_rad, el_hi_rad, margin_bins, floor_rad,
                    ceiling_rad):
    """Per uniform azimuth bin (``floor_rad``, ``ceiling_rad``, length n), the lowest and
    highest elevation a body's disk reaches over the epochs whose azimuth span
    ``[az_lo, az_hi]`` (az_hi may exceed 2π: the span wraps) touches the bin or its
    ``margin_bins`` neighbours; bins never touched keep their initial values."""
    n = floor_rad.shape[0]
    scale = n / TWO_PI
    for i in range(az_lo_rad.shape[0]):
        j0 = math.floor(az_lo_rad[i] * scale) - margin_bins
        j1 = math.floor(az_hi_rad[i] * scale) + 1 + margin_bins
        for j in range(j0, min(j1, j0 + n - 1) + 1):
            b = j % n
            if el_lo_rad[i] < floor_rad[b]:
                floor_rad[b] = el_lo_rad[i]
            if el_hi_rad[i] > ceiling_rad[b]:
                ceiling_rad[b] = el_hi_rad[i]
