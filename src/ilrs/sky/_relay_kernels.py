"""Compiled kernels of relay satellites: Kepler's equation, and a relay in lunar orbit seen
from a Moon-fixed site in one pass per epoch.

Units: seconds (TDB past J2000), kilometres, km/s, radians; pure functions over float64
arrays (no I/O), like :mod:`ilrs.sky._kernels`, whose Chebyshev and aberration helpers
they share.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ilrs.sky._kernels import (
    C_KM_S,
    _apparent_azel,
    _basis,
    _euler_313,
    _fixed_times,
    _series3,
)

#: Kepler's equation is solved by Newton's method to this step, rad.
KEPLER_TOL_RAD = 1e-14
#: Newton steps from a neighbouring epoch's solution before falling back to the cold start.
WARM_STEPS = 8


@njit(cache=True, inline="always")
def _newton(m, e, big_e, steps):
    """Newton's method on ``E − e sin E = m`` from ``big_e``, at most ``steps`` steps;
    the root and whether the last step was below ``KEPLER_TOL_RAD``."""
    for _ in range(steps):
        delta = (big_e - e * math.sin(big_e) - m) / (1.0 - e * math.cos(big_e))
        big_e -= delta
        if abs(delta) < KEPLER_TOL_RAD:
            return big_e, True
    return big_e, False


@njit(cache=True, inline="always")
def eccentric_anomaly(m, e, prev_e, prev_m):
    """Eccentric anomaly of the mean anomaly ``m`` ∈ [0, 2π): from the solution ``prev_e``
    at a nearby mean anomaly ``prev_m`` (its first-order change, then one fixed-point step,
    which puts it on ``m``'s revolution), or with ``prev_e`` NaN from the usual cold start
    (π for e > 0.8, else m + e sin m). A warm start that does not converge falls back to
    the cold one, so the root is always the cold start's to within ``KEPLER_TOL_RAD``."""
    if prev_e == prev_e:
        dm = (m - prev_m + math.pi) % (2.0 * math.pi) - math.pi
        guess = m + e * math.sin(prev_e + dm / (1.0 - e * math.cos(prev_e)))
        big_e, done = _newton(m, e, guess, WARM_STEPS)
        if done:
            return big_e
    return _newton(m, e, math.pi if e > 0.8 else m + e * math.sin(m), 50)[0]


@njit(cache=True, parallel=True)
def kepler_state(t_s, epoch_s, mean0_rad, mean_motion_rad_s, a_km, e, rot, pos_out, vel_out):
    """Two-body position (km) and velocity (km/s) at TDB seconds ``t_s`` of an elliptic
    orbit (semi-major axis ``a_km``, eccentricity ``e``), rotated from the perifocal frame by
    ``rot`` (3 × 3); Kepler's equation solved per point by Newton's method to 1e-14 rad
    (the numpy ``ilrs.sky.relay.solve_kepler`` is its reference)."""
    b = a_km * math.sqrt(1.0 - e * e)
    two_pi = 2.0 * math.pi
    for i in prange(t_s.size):
        m = (mean0_rad + mean_motion_rad_s * (t_s[i] - epoch_s)) % two_pi
        big_e = eccentric_anomaly(m, e, math.nan, 0.0)
        c, s = math.cos(big_e), math.sin(big_e)
        r_over_a = 1.0 - e * c
        px, py = a_km * (c - e), b * s
        vx = -a_km * mean_motion_rad_s * s / r_over_a
        vy = b * mean_motion_rad_s * c / r_over_a
        for k in range(3):
            pos_out[i, k] = rot[k, 0] * px + rot[k, 1] * py
            vel_out[i, k] = rot[k, 0] * vx + rot[k, 1] * vy


@njit(cache=True, parallel=True)
def relay_topocentric(
    t_s, emb, emb_init_s, emb_interval_s, moon, moon_init_s, moon_interval_s,
    pa, pa_init_s, pa_interval_s, fixed, site_km, enu, epoch_s, mean0_rad,
    mean_motion_rad_s, a_km, e, to_icrf, aberrate,
    az_rad, el_rad, distance_km, angular_radius_rad, body_vector,
):
    """A relay on a Keplerian lunar orbit seen from a Moon-fixed site, one pass per epoch.

    The fast path of :meth:`ilrs.sky.Sky.topocentric` for a
    :class:`~ilrs.sky.relay.RelayOrbit` with kernels of the JPL DE layout (SSB→EMB,
    EMB→Moon, each a type-2 segment). Everything is Moon-centred: the Moon's barycentric
    position cancels between the relay and the site (it would add only its own rounding,
    ~3e-8 km), and over the light time τ (< 0.1 s) the relay moves by its velocity and
    the Moon by its own (the neglected ½·a·τ² is below 0.1 mm). With ``aberrate``, stellar
    aberration from the site's barycentric velocity as SPICE ``stelab``. ``to_icrf``
    (3 × 3) turns the perifocal frame to the ICRF; ``epoch_s`` … ``e`` are the orbit's
    elements (mean anomaly at the epoch, mean motion, semi-major axis, eccentricity).
    Kepler's equation starts from the previous epoch's solution (:func:`eccentric_anomaly`).
    Outputs are (1, N) and (1, N, 3), as :func:`ilrs.sky._kernels.topocentric_azel`'s."""
    n = t_s.shape[0]
    chunk = 2048
    radius_km = np.zeros(1)
    b_axis = a_km * math.sqrt(1.0 - e * e)
    two_pi = 2.0 * math.pi
    s0, s1, s2 = site_km[0], site_km[1], site_km[2]
    for c in prange((n + chunk - 1) // chunk):
        b_emb, d_emb = np.empty(64), np.empty(64)
        b_moon, d_moon = np.empty(64), np.empty(64)
        b_pa, d_pa = np.empty(64), np.empty(64)
        big_e = math.nan
        m_prev = 0.0
        for i in range(c * chunk, min(n, (c + 1) * chunk)):
            t = t_s[i]
            k = _basis(t, emb_init_s, emb_interval_s, emb.shape[0], emb.shape[2], b_emb, d_emb)
            _, _, _, evx, evy, evz = _series3(emb, k, b_emb, d_emb)
            k = _basis(t, moon_init_s, moon_interval_s, moon.shape[0], moon.shape[2],
                       b_moon, d_moon)
            _, _, _, mvx, mvy, mvz = _series3(moon, k, b_moon, d_moon)
            k = _basis(t, pa_init_s, pa_interval_s, pa.shape[0], pa.shape[2], b_pa, d_pa)
            phi, delta, w, dphi, ddelta, dw = _series3(pa, k, b_pa, d_pa)
            a, rate = _euler_313(phi, delta, w, dphi, ddelta, dw)
            r = _fixed_times(fixed, a)
            dr = _fixed_times(fixed, rate)
            # the site from the Moon's centre (Rᵀ·site), its barycentric velocity
            ox = r[0] * s0 + r[3] * s1 + r[6] * s2
            oy = r[1] * s0 + r[4] * s1 + r[7] * s2
            oz = r[2] * s0 + r[5] * s1 + r[8] * s2
            ovx = evx + mvx + dr[0] * s0 + dr[3] * s1 + dr[6] * s2
            ovy = evy + mvy + dr[1] * s0 + dr[4] * s1 + dr[7] * s2
            ovz = evz + mvz + dr[2] * s0 + dr[5] * s1 + dr[8] * s2
            # the relay from the Moon's centre, and its velocity
            m = (mean0_rad + mean_motion_rad_s * (t - epoch_s)) % two_pi
            big_e = eccentric_anomaly(m, e, big_e, m_prev)
            m_prev = m
            cos_e, sin_e = math.cos(big_e), math.sin(big_e)
            r_over_a = 1.0 - e * cos_e
            px, py = a_km * (cos_e - e), b_axis * sin_e
            qx = -a_km * mean_motion_rad_s * sin_e / r_over_a
            qy = b_axis * mean_motion_rad_s * cos_e / r_over_a
            dx = to_icrf[0, 0] * px + to_icrf[0, 1] * py - ox
            dy = to_icrf[1, 0] * px + to_icrf[1, 1] * py - oy
            dz = to_icrf[2, 0] * px + to_icrf[2, 1] * py - oz
            tau = math.sqrt(dx * dx + dy * dy + dz * dz) / C_KM_S if aberrate else 0.0
            tvx = to_icrf[0, 0] * qx + to_icrf[0, 1] * qy + evx + mvx
            tvy = to_icrf[1, 0] * qx + to_icrf[1, 1] * qy + evy + mvy
            tvz = to_icrf[2, 0] * qx + to_icrf[2, 1] * qy + evz + mvz
            _apparent_azel(
                dx - tvx * tau, dy - tvy * tau, dz - tvz * tau, ovx, ovy, ovz, aberrate, r,
                enu, radius_km, 0, i, az_rad, el_rad, distance_km, angular_radius_rad,
                body_vector,
            )
