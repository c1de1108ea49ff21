"""Compiled numeric kernels of the sky engine: pure functions over float64 arrays.

Units: seconds (TDB past J2000), kilometres, km/s, radians. Vectors are ``(N, 3)`` with
time on the leading axis; rotation matrices ``(N, 3, 3)``. No I/O and no imports beyond
numpy and numba (an import-linter contract keeps it so).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

#: Speed of light, km/s (IAU 1976, exact).
C_KM_S = 299792.458


@njit(cache=True, inline="always")
def _record(t_s, init_s, interval_s, n_records):
    """Record index and normalized time s ∈ [-1, 1] of a uniform-interval Chebyshev series."""
    offset = t_s - init_s
    k = math.floor(offset / interval_s)
    if k >= n_records:
        k = n_records - 1
    if k < 0:
        k = 0
    s = 2.0 * (offset - k * interval_s) / interval_s - 1.0
    return k, s


@njit(cache=True, parallel=True)
def chebyshev_add(t_s, init_s, interval_s, coefficients, out, out_rate):
    """Add a type-2 Chebyshev series (and its time derivative when ``out_rate`` has rows)
    evaluated at every epoch of ``t_s`` to ``out`` (N, n_components).

    ``coefficients`` is ``(n_records, n_components, n_coefficients)``, lowest order first.
    """
    n_records, n_comp, n_coef = coefficients.shape
    rates = out_rate.shape[0] > 0
    for i in prange(t_s.shape[0]):
        k, s = _record(t_s[i], init_s, interval_s, n_records)
        s2 = 2.0 * s
        for c in range(n_comp):
            cf = coefficients[k, c]
            b1 = 0.0
            b2 = 0.0
            d1 = 0.0
            d2 = 0.0
            for j in range(n_coef - 1, 0, -1):
                b0 = cf[j] + s2 * b1 - b2
                d0 = 2.0 * b1 + s2 * d1 - d2
                b2 = b1
                b1 = b0
                d2 = d1
                d1 = d0
            out[i, c] += cf[0] + s * b1 - b2
            if rates:
                out_rate[i, c] += (b1 + s * d1 - d2) * 2.0 / interval_s


@njit(cache=True)
def _euler_313(phi, delta, w, dphi, ddelta, dw):
    """``[w]_3 [δ]_1 [φ]_3`` (SPICE frame rotations) and its time derivative from the
    angle rates, each as a row-major 9-tuple."""
    cp, sp = math.cos(phi), math.sin(phi)
    cd, sd = math.cos(delta), math.sin(delta)
    cw, sw = math.cos(w), math.sin(w)
    a = (
        cw * cp - sw * cd * sp, cw * sp + sw * cd * cp, sw * sd,
        -sw * cp - cw * cd * sp, -sw * sp + cw * cd * cp, cw * sd,
        sd * sp, -sd * cp, cd,
    )
    # ∂/∂w of row 0 is row 1 and of row 1 is −row 0; ∂/∂φ and ∂/∂δ written out.
    rate = (
        a[3] * dw + (-cw * sp - sw * cd * cp) * dphi + sw * sd * sp * ddelta,
        a[4] * dw + (cw * cp - sw * cd * sp) * dphi - sw * sd * cp * ddelta,
        a[5] * dw + sw * cd * ddelta,
        -a[0] * dw + (sw * sp - cw * cd * cp) * dphi + cw * sd * sp * ddelta,
        -a[1] * dw + (-sw * cp - cw * cd * sp) * dphi - cw * sd * cp * ddelta,
        -a[2] * dw + cw * cd * ddelta,
        sd * cp * dphi + cd * sp * ddelta,
        sd * sp * dphi - cd * cp * ddelta,
        -sd * ddelta,
    )
    return a, rate


@njit(cache=True)
def _fixed_times(f, a):
    """``f @ a`` for a (3, 3) array ``f`` and a row-major 9-tuple ``a``, as a 9-tuple."""
    return (
        f[0, 0] * a[0] + f[0, 1] * a[3] + f[0, 2] * a[6],
        f[0, 0] * a[1] + f[0, 1] * a[4] + f[0, 2] * a[7],
        f[0, 0] * a[2] + f[0, 1] * a[5] + f[0, 2] * a[8],
        f[1, 0] * a[0] + f[1, 1] * a[3] + f[1, 2] * a[6],
        f[1, 0] * a[1] + f[1, 1] * a[4] + f[1, 2] * a[7],
        f[1, 0] * a[2] + f[1, 1] * a[5] + f[1, 2] * a[8],
        f[2, 0] * a[0] + f[2, 1] * a[3] + f[2, 2] * a[6],
        f[2, 0] * a[1] + f[2, 1] * a[4] + f[2, 2] * a[7],
        f[2, 0] * a[2] + f[2, 1] * a[5] + f[2, 2] * a[8],
    )


@njit(cache=True, parallel=True)
def body_rotation(euler_rad, euler_rate_rad_s, fixed, out, out_rate):
    """Rotation from the inertial frame to a body frame, and its time derivative.

    ``euler_rad`` (N, 3) holds the binary-PCK angles (φ, δ, w); the body-fixed PCK
    frame is ``[w]_3 [δ]_1 [φ]_3`` (SPICE's convention) and ``fixed`` (3, 3) then maps
    it to the wanted frame (e.g. PA → ME). Writes ``out`` and ``out_rate`` (N, 3, 3).
    """
    for i in prange(euler_rad.shape[0]):
        a, rate = _euler_313(
            euler_rad[i, 0], euler_rad[i, 1], euler_rad[i, 2],
            euler_rate_rad_s[i, 0], euler_rate_rad_s[i, 1], euler_rate_rad_s[i, 2],
        )
        r = _fixed_times(fixed, a)
        dr = _fixed_times(fixed, rate)
        for j in range(9):
            out[i, j // 3, j % 3] = r[j]
            out_rate[i, j // 3, j % 3] = dr[j]


@njit(cache=True, parallel=True)
def observer_state(center_km, center_km_s, rotation, rotation_rate, site_km, out, out_rate):
    """Inertial position and velocity of a point fixed in a rotating body frame.

    ``center_km``/``center_km_s`` (N, 3) are the body centre's state, ``rotation``
    (N, 3, 3) inertial→body and ``rotation_rate`` its derivative, ``site_km`` (3,) the
    point in the body frame. Position = centre + Rᵀ·site, velocity = centre + Ṙᵀ·site.
    """
    for i in prange(center_km.shape[0]):
        for a in range(3):
            p = 0.0
            v = 0.0
            for b in range(3):
                p += rotation[i, b, a] * site_km[b]
                v += rotation_rate[i, b, a] * site_km[b]
            out[i, a] = center_km[i, a] + p
            out_rate[i, a] = center_km_s[i, a] + v


@njit(cache=True, parallel=True)
def light_time_s(target_km, observer_km, out):
    """One-way light time in seconds from observer to target positions (N, 3)."""
    for i in prange(target_km.shape[0]):
        dx = target_km[i, 0] - observer_km[i, 0]
        dy = target_km[i, 1] - observer_km[i, 1]
        dz = target_km[i, 2] - observer_km[i, 2]
        out[i] = math.sqrt(dx * dx + dy * dy + dz * dz) / C_KM_S


@njit(cache=True, parallel=True)
def topocentric_azel(
    target_km, observer_km, observer_km_s, rotation, enu, radius_km, aberrate,
    az_rad, el_rad, distance_km, angular_radius_rad, body_vector,
):
    """Azimuth, elevation, distance and angular radius of targets seen from observers.

    ``target_km`` (N, 3) is the (light-time corrected) target, ``observer_km`` and
    ``observer_km_s`` the observer's inertial state; with ``aberrate`` the direction is
    corrected for stellar aberration exactly as SPICE ``stelab`` does (rotation toward the
    observer's velocity by asin(|û × v/c|)). ``rotation`` (N, 3, 3) maps inertial to body
    frame, ``enu`` (3, 3) has rows east, north, up in the body frame, ``radius_km`` (1,).
    Azimuth is from north through east in [0, 2π). Outputs are (1, N); ``body_vector``
    (1, N, 3) receives the apparent vector in the body frame (km).
    """
    for i in prange(target_km.shape[0]):
        q = rotation[i]
        r = (q[0, 0], q[0, 1], q[0, 2], q[1, 0], q[1, 1], q[1, 2], q[2, 0], q[2, 1], q[2, 2])
        _apparent_azel(
            target_km[i, 0] - observer_km[i, 0], target_km[i, 1] - observer_km[i, 1],
            target_km[i, 2] - observer_km[i, 2], observer_km_s[i, 0], observer_km_s[i, 1],
            observer_km_s[i, 2], aberrate, r, enu, radius_km, 0, i,
            az_rad, el_rad, distance_km, angular_radius_rad, body_vector,
        )


@njit(cache=True, inline="always")
def _basis(t_s, init_s, interval_s, n_records, n_coef, T, dT):
    """Chebyshev polynomials T_j(s) and dT_j/dt of one uniform-interval series at one epoch.

    Fills ``T[:n_coef]`` and ``dT[:n_coef]`` (per second) and returns the record index.
    Components (and segments with the same records) then need only a dot product.
    """
    k, s = _record(t_s, init_s, interval_s, n_records)
    scale = 2.0 / interval_s
    T[0] = 1.0
    T[1] = s
    dT[0] = 0.0
    dT[1] = scale
    for j in range(2, n_coef):
        T[j] = 2.0 * s * T[j - 1] - T[j - 2]
        dT[j] = 2.0 * scale * T[j - 1] + 2.0 * s * dT[j - 1] - dT[j - 2]
    return k


@njit(cache=True, inline="always")
def _series3(coefficients, k, T, dT):
    """Value and rate of the three components of record ``k`` given the basis."""
    cf = coefficients[k]
    x0 = x1 = x2 = v0 = v1 = v2 = 0.0
    for j in range(cf.shape[1]):
        x0 += cf[0, j] * T[j]
        x1 += cf[1, j] * T[j]
        x2 += cf[2, j] * T[j]
        v0 += cf[0, j] * dT[j]
        v1 += cf[1, j] * dT[j]
        v2 += cf[2, j] * dT[j]
    return x0, x1, x2, v0, v1, v2


@njit(cache=True, inline="always")
def _apparent_azel(px, py, pz, vox, voy, voz, aberrate, r, enu, radius_km, b, i,
                   az_rad, el_rad, distance_km, angular_radius_rad, body_vector):
    """Aberrate the observer→target vector, rotate it to the body frame and write az/el."""
    dist = math.sqrt(px * px + py * py + pz * pz)
    if aberrate:
        ux, uy, uz = px / dist, py / dist, pz / dist
        vx, vy, vz = vox / C_KM_S, voy / C_KM_S, voz / C_KM_S
        hx = uy * vz - uz * vy
        hy = uz * vx - ux * vz
        hz = ux * vy - uy * vx
        sin_phi = math.sqrt(hx * hx + hy * hy + hz * hz)
        if sin_phi > 0.0:
            hx /= sin_phi
            hy /= sin_phi
            hz /= sin_phi
            cos_phi = math.sqrt(1.0 - sin_phi * sin_phi)
            qx = px * cos_phi + (hy * pz - hz * py) * sin_phi
            qy = py * cos_phi + (hz * px - hx * pz) * sin_phi
            qz = pz * cos_phi + (hx * py - hy * px) * sin_phi
            px, py, pz = qx, qy, qz
    bx = r[0] * px + r[1] * py + r[2] * pz
    by = r[3] * px + r[4] * py + r[5] * pz
    bz = r[6] * px + r[7] * py + r[8] * pz
    body_vector[b, i, 0] = bx
    body_vector[b, i, 1] = by
    body_vector[b, i, 2] = bz
    e = enu[0, 0] * bx + enu[0, 1] * by + enu[0, 2] * bz
    n = enu[1, 0] * bx + enu[1, 1] * by + enu[1, 2] * bz
    u = enu[2, 0] * bx + enu[2, 1] * by + enu[2, 2] * bz
    az = math.atan2(e, n)
    if az < 0.0:
        az += 2.0 * math.pi
    az_rad[b, i] = az
    el_rad[b, i] = math.atan2(u, math.sqrt(e * e + n * n))
    distance_km[b, i] = dist
    angular_radius_rad[b, i] = math.asin(min(1.0, radius_km[b] / dist))


@njit(cache=True, inline="always", fastmath=True)
def _shared_basis(t, init_s, interval_s, coefficients, other_init_s, other_interval_s,
                  other_coefficients, b_other, d_other, b, d):
    """Basis for a segment, reusing another segment's when their records coincide."""
    n_records, _, n_coef = coefficients.shape
    if (init_s == other_init_s and interval_s == other_interval_s
            and n_coef <= other_coefficients.shape[2]):
        return _record(t, init_s, interval_s, n_records)[0], b_other, d_other
    return _basis(t, init_s, interval_s, n_records, n_coef, b, d), b, d


@njit(cache=True, parallel=True, fastmath=True)
def sun_earth_topocentric(
    t_s, emb, emb_init_s, emb_interval_s, moon, moon_init_s, moon_interval_s,
    earth, earth_init_s, earth_interval_s, sun, sun_init_s, sun_interval_s,
    pa, pa_init_s, pa_interval_s, fixed, site_km, enu, radius_km, want, aberrate,
    az_rad, el_rad, distance_km, angular_radius_rad, body_vector,
):
    """Sun (row 0) and Earth (row 1) seen from a Moon-fixed site, all in one pass per epoch.

    The fast path of :meth:`ilrs.sky.Sky.topocentric` for kernels with the JPL DE layout
    (SSB→EMB, EMB→Moon, EMB→Earth, SSB→Sun, each a type-2 segment). Per epoch: the Moon's
    state and orientation (``[w]_3 [δ]_1 [φ]_3`` then ``fixed``), the site's barycentric
    state, and for each wanted body the light-time corrected position (target(t − τ) by
    its velocity: the neglected ½·a·τ² is below 3 cm for both bodies) and, with
    ``aberrate``, stellar aberration as SPICE ``stelab``. Outputs are (2, N) and (2, N, 3).
    Chebyshev bases are computed once per epoch for segments that share their records
    (EMB and Sun; Moon and Earth, in the DE kernels).
    """
    n = t_s.shape[0]
    chunk = 2048
    for c in prange((n + chunk - 1) // chunk):
        b_emb, d_emb = np.empty(64), np.empty(64)
        b_moon, d_moon = np.empty(64), np.empty(64)
        b_pa, d_pa = np.empty(64), np.empty(64)
        b_sun, d_sun = np.empty(64), np.empty(64)
        b_earth, d_earth = np.empty(64), np.empty(64)
        for i in range(c * chunk, min(n, (c + 1) * chunk)):
            t = t_s[i]
            k = _basis(t, emb_init_s, emb_interval_s, emb.shape[0], emb.shape[2], b_emb, d_emb)
            ex, ey, ez, evx, evy, evz = _series3(emb, k, b_emb, d_emb)
            k = _basis(t, moon_init_s, moon_interval_s, moon.shape[0], moon.shape[2],
                       b_moon, d_moon)
            mx, my, mz, mvx, mvy, mvz = _series3(moon, k, b_moon, d_moon)
            k = _basis(t, pa_init_s, pa_interval_s, pa.shape[0], pa.shape[2], b_pa, d_pa)
            phi, delta, w, dphi, ddelta, dw = _series3(pa, k, b_pa, d_pa)
            a, rate = _euler_313(phi, delta, w, dphi, ddelta, dw)
            r = _fixed_times(fixed, a)
            dr = _fixed_times(fixed, rate)
            # The site's barycentric state: centre + Rᵀ·site and centre + Ṙᵀ·site.
            s0, s1, s2 = site_km[0], site_km[1], site_km[2]
            ox = ex + mx + r[0] * s0 + r[3] * s1 + r[6] * s2
            oy = ey + my + r[1] * s0 + r[4] * s1 + r[7] * s2
            oz = ez + mz + r[2] * s0 + r[5] * s1 + r[8] * s2
            ovx = evx + mvx + dr[0] * s0 + dr[3] * s1 + dr[6] * s2
            ovy = evy + mvy + dr[1] * s0 + dr[4] * s1 + dr[7] * s2
            ovz = evz + mvz + dr[2] * s0 + dr[5] * s1 + dr[8] * s2
            if want[0]:
                k, bs, ds = _shared_basis(t, sun_init_s, sun_interval_s, sun, emb_init_s,
                                          emb_interval_s, emb, b_emb, d_emb, b_sun, d_sun)
                tx, ty, tz, tvx, tvy, tvz = _series3(sun, k, bs, ds)
                dx, dy, dz = tx - ox, ty - oy, tz - oz
                tau = math.sqrt(dx * dx + dy * dy + dz * dz) / C_KM_S if aberrate else 0.0
                _apparent_azel(
                    dx - tvx * tau, dy - tvy * tau, dz - tvz * tau, ovx, ovy, ovz, aberrate, r,
                    enu, radius_km, 0, i, az_rad, el_rad, distance_km, angular_radius_rad,
                    body_vector,
                )
            if want[1]:
                k, bg, dg = _shared_basis(t, earth_init_s, earth_interval_s, earth, moon_init_s,
                                          moon_interval_s, moon, b_moon, d_moon, b_earth, d_earth)
                gx, gy, gz, gvx, gvy, gvz = _series3(earth, k, bg, dg)
                dx, dy, dz = ex + gx - ox, ey + gy - oy, ez + gz - oz
                tau = math.sqrt(dx * dx + dy * dy + dz * dz) / C_KM_S if aberrate else 0.0
                _apparent_azel(
                    dx - (evx + gvx) * tau, dy - (evy + gvy) * tau, dz - (evz + gvz) * tau,
                    ovx, ovy, ovz, aberrate, r, enu,
                    radius_km, 1, i, az_rad, el_rad, distance_km, angular_radius_rad, body_vector,
                )
