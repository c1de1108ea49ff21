"""Thermal kernels: the regolith column under the site and the lander's thermal nodes.

Pure numba over float64 arrays in SI units (K, W, J, m, s); no I/O.

**Regolith column** (Hayne et al. 2017, JGR Planets 122, 2371, Appendix A): the 1-D heat
equation ``ρ c_p(T) ∂T/∂t = ∂/∂z (K ∂T/∂z)`` on nodes ``z_0 = 0 < z_1 < …`` whose spacing
grows with depth, in finite volumes (node ``i`` owns the half-way points to its neighbours;
the surface node a half cell) so heat is conserved cell by cell. ``K = K_c(z) (1 + R T³)``
(contact plus radiative conductivity, ``R = χ / 350³``) and ``c_p(T)`` (a polynomial) are
taken at the start of each step; the step is backward Euler (unconditionally stable, so
the step may be minutes) with the surface emission ``ε σ T⁴`` linearized about the latest
iterate, solved ``n_iter`` times or more (Newton, until the surface moves by less than
``NEWTON_TOL_K``); from the second solve on, each cell's heat capacity is the secant one
over the step (its change of enthalpy over its change of temperature), so the heat a cell
takes in is exactly its enthalpy change. The surface cell absorbs ``q_abs`` and emits;
the bottom cell receives the geothermal flux ``Q_b``.

**Spin-up** to a periodic state: cycles of one forcing period, each followed by a
correction that uses what a periodic state must satisfy — the cycle-mean heat flux through
every interface equals ``Q_b`` — to set the cycle-mean temperature of every layer from the
one above (so the slow deep layers do not need decades of cycles), until the state at the
end of a cycle equals the state at its start.

**Nodes**: a lumped node (heat capacity ``C``) gains internal dissipation, radioisotope
heater units and its survival heater, radiates to the sky and to the surface it sees, and
conducts to the surface through its insulation and legs. The heater is an ideal thermostat
bounded by its maximum: the power that brings the node back to its set point by the end of
the step (zero when it is warmer). Steps are linearly implicit in the node temperature.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Stefan–Boltzmann constant, W m⁻² K⁻⁴ (CODATA 2018, exact from h, c, k).
SIGMA = 5.670374419e-8

# --- regolith parameters (``par``) ----------------------------------------------------
R_EMISSIVITY = 0
R_R350 = 1            # χ / 350³, K⁻³
R_QB = 2              # geothermal heat flow, W/m²
R_CP0 = 3             # c_p(T) = Σ c_k T^k, k = 0…4 at R_CP0 … R_CP0 + 4
N_RPAR = 8
#: Newton on the surface emission: at least ``n_iter`` solves, then until the surface
#: temperature moves by less than this (K), at most MAX_NEWTON solves.
NEWTON_TOL_K = 1e-3
MAX_NEWTON = 30
#: Rows of the column step's scratch array.
N_WORK = 8

# --- thermal node parameters (rows of ``node_par``) -------------------------------------
N_C = 0               # heat capacity, J/K
N_G = 1               # conductance to the surface (insulation, legs), W/K
N_EPS_A = 2           # emissivity × radiating area, m²
N_F_SKY = 3           # view factor to the sky
N_F_SURF = 4          # view factor to the surface
N_INTERNAL = 5        # internal dissipation, W
N_SET = 6             # heater set point, K
N_MIN = 7             # lower limit, K
N_HEATER_MAX = 8      # heater capacity, W
N_NPAR = 9

# --- per-node accumulators (rows of ``node_acc``) ---------------------------------------
NA_HEATER_J = 0
NA_MIN_K = 1
NA_MAX_K = 2
NA_COLD_S = 3         # time below the lower limit, s
N_NACC = 4


@njit(cache=True)
def heat_capacity_j_per_kg_k(temp_k, par):
    """``c_p(T)`` from the polynomial in ``par`` (Horner)."""
    c = par[R_CP0 + 4]
    for k in range(3, -1, -1):
        c = c * temp_k + par[R_CP0 + k]
    return c


@njit(cache=True)
def enthalpy_j_per_kg(temp_k, par):
    """``∫₀^T c_p dT`` of the polynomial (the column's heat content per kg)."""
    h = par[R_CP0 + 4] / 5.0
    for k in range(3, -1, -1):
        h = h * temp_k + par[R_CP0 + k] / (k + 1.0)
    return h * temp_k


@njit(cache=True)
def _solve(a, b, c, d, x):
    """Thomas algorithm for a tridiagonal system (``a`` below, ``c`` above the
    diagonal); ``c`` and ``d`` are overwritten."""
    n = b.size
    c[0] = c[0] / b[0]
    d[0] = d[0] / b[0]
    for i in range(1, n):
        m = b[i] - a[i] * c[i - 1]
        c[i] = c[i] / m
        d[i] = (d[i] - a[i] * d[i - 1]) / m
    x[n - 1] = d[n - 1]
    for i in range(n - 2, -1, -1):
        x[i] = d[i] - c[i] * x[i + 1]


@njit(cache=True)
def column_step(temp_k, q_abs_w_m2, dt_s, rho_dz, kc_mid, inv_dz, par, n_iter, work,
                flux_out):
    """Advance the column one backward-Euler step of ``dt_s`` under the absorbed surface
    flux ``q_abs_w_m2``; returns the emitted flux ``ε σ T_s⁴`` at the end of the step.

    ``rho_dz`` (ρ × cell thickness, kg/m², per node), ``kc_mid`` (contact conductivity at
    the interfaces), ``inv_dz`` (1 / node spacing); ``work`` (N_WORK × nodes) is scratch;
    ``flux_out`` gets the upward heat flux through each interface (W/m², ``K ∂T/∂z``)."""
    n = temp_k.size
    eps_sigma = par[R_EMISSIVITY] * SIGMA
    r350 = par[R_R350]
    a = work[0]
    b = work[1]
    c = work[2]
    d = work[3]
    g = work[4]
    cap = work[5]
    new = work[6]
    h_old = work[7]
    for i in range(n):
        cap[i] = rho_dz[i] * heat_capacity_j_per_kg_k(temp_k[i], par) / dt_s
        h_old[i] = enthalpy_j_per_kg(temp_k[i], par)
    for i in range(n - 1):
        t0 = temp_k[i]
        t1 = temp_k[i + 1]
        g[i] = kc_mid[i] * (1.0 + 0.5 * r350 * (t0 * t0 * t0 + t1 * t1 * t1)) * inv_dz[i]
    ts = temp_k[0]
    for it in range(MAX_NEWTON):
        if it > 0:
            # the secant heat capacity over the step, so the heat put in each cell is its
            # change of enthalpy (∫ c_p dT), not c_p(T_start) ΔT
            for i in range(n):
                dtemp = new[i] - temp_k[i]
                if abs(dtemp) > 1e-6:
                    cap[i] = rho_dz[i] * (enthalpy_j_per_kg(new[i], par)
                                          - h_old[i]) / (dtemp * dt_s)
        t3 = ts * ts * ts
        for i in range(n):
            a[i] = 0.0
            c[i] = 0.0
            b[i] = cap[i]
            d[i] = cap[i] * temp_k[i]
        for i in range(n - 1):
            b[i] += g[i]
            b[i + 1] += g[i]
            c[i] = -g[i]
            a[i + 1] = -g[i]
        b[0] += 4.0 * eps_sigma * t3
        d[0] += q_abs_w_m2 + 3.0 * eps_sigma * t3 * ts
        d[n - 1] += par[R_QB]
        _solve(a, b, c, d, new)
        moved = abs(new[0] - ts)
        ts = new[0]
        if it + 1 >= n_iter and moved < NEWTON_TOL_K:
            break
    for i in range(n - 1):
        flux_out[i] = g[i] * (new[i + 1] - new[i])
    for i in range(n):
        temp_k[i] = new[i]
    return eps_sigma * ts * ts * ts * ts


@njit(cache=True)
def column_run(temp_k, q_abs_w_m2, dt_s, rho_dz, kc_mid, inv_dz, par, n_iter, surface_k,
               budget):
    """Run the column through the absorbed fluxes ``q_abs_w_m2`` (one per step, the flux
    at the end of the step) over steps of ``dt_s`` (one per step); ``surface_k`` gets the
    surface temperature after each step and ``budget`` adds [absorbed, emitted,
    geothermal] energy (J/m²)."""
    n = temp_k.size
    work = np.zeros((N_WORK, n))
    flux = np.zeros(n - 1)
    for j in range(q_abs_w_m2.size):
        dt = dt_s[j]
        emitted = column_step(temp_k, q_abs_w_m2[j], dt, rho_dz, kc_mid, inv_dz, par,
                              n_iter, work, flux)
        surface_k[j] = temp_k[0]
        budget[0] += q_abs_w_m2[j] * dt
        budget[1] += emitted * dt
        budget[2] += par[R_QB] * dt


@njit(cache=True)
def column_run_cut(temp_k, q_fine_w_m2, per, fine_dt_s, flux_tol_w_m2, temp_tol_k, rho_dz,
                   kc_mid, inv_dz, par, n_iter, ended, surface_k):
    """Run the column in steps of ``per × fine_dt_s``, each cut into ``per`` fine steps
    where it would change fast: where the absorbed flux at its fine points departs from
    its end value by more than ``flux_tol_w_m2``, or where the whole step moves the surface
    by more than ``temp_tol_k`` (it is then run again in fine steps from its start).

    ``q_fine_w_m2`` is the flux at the fine points (``steps × per + 1`` of them, the first
    at the start); ``ended`` (bool) marks the fine points where a step ended and
    ``surface_k`` holds the surface temperature there (``steps × per`` each, from the
    first point after the start). Each step depends only on the state at its start and
    the flux inside it. Returns the number of steps cut."""
    n = temp_k.size
    work = np.zeros((N_WORK, n))
    flux = np.zeros(n - 1)
    saved = np.empty(n)
    steps = (q_fine_w_m2.size - 1) // per
    big_dt_s = per * fine_dt_s
    n_cut = 0
    for k in range(steps):
        base = k * per
        end_q = q_fine_w_m2[base + per]
        cut = False
        for j in range(per):
            if abs(q_fine_w_m2[base + j] - end_q) > flux_tol_w_m2:
                cut = True
                break
        if not cut:
            saved[:] = temp_k
            column_step(temp_k, end_q, big_dt_s, rho_dz, kc_mid, inv_dz, par, n_iter, work,
                        flux)
            if abs(temp_k[0] - saved[0]) > temp_tol_k:
                temp_k[:] = saved
                cut = True
            else:
                ended[base + per - 1] = True
                surface_k[base + per - 1] = temp_k[0]
        if cut:
            n_cut += 1
            for j in range(1, per + 1):
                column_step(temp_k, q_fine_w_m2[base + j], fine_dt_s, rho_dz, kc_mid,
                            inv_dz, par, n_iter, work, flux)
                ended[base + j - 1] = True
                surface_k[base + j - 1] = temp_k[0]
    return n_cut


@njit(cache=True)
def column_spin_up(temp_k, q_cycle_w_m2, dt_s, rho_dz, kc_mid, inv_dz, par, n_iter,
                   tol_k, max_cycles):
    """Cycle the forcing ``q_cycle_w_m2`` until the column is periodic: the state at the
    end of a cycle within ``tol_k`` of its start, every layer. Returns the number of
    cycles and the last cycle's largest change (K).

    After each cycle the mean temperatures are corrected so that the cycle-mean flux
    through every interface, ``Ḡ ΔT̄ + r`` (``r``: what the temperature dependence of the
    conductivity adds over the cycle, kept), equals ``Q_b``, from the surface layer's
    mean down; the correction is skipped once it is below ``tol_k``, so the last cycles
    are plain ones."""
    n = temp_k.size
    work = np.zeros((N_WORK, n))
    flux = np.zeros(n - 1)
    start = np.empty(n)
    mean_t = np.empty(n)
    mean_f = np.empty(n - 1)
    mean_g = np.empty(n - 1)
    steps = q_cycle_w_m2.size
    change = np.inf
    cycles = 0
    correct = True
    while cycles < max_cycles:
        cycles += 1
        start[:] = temp_k
        mean_t[:] = 0.0
        mean_f[:] = 0.0
        mean_g[:] = 0.0
        for j in range(steps):
            column_step(temp_k, q_cycle_w_m2[j], dt_s, rho_dz, kc_mid, inv_dz, par,
                        n_iter, work, flux)
            for i in range(n):
                mean_t[i] += temp_k[i]
            for i in range(n - 1):
                mean_f[i] += flux[i]
                mean_g[i] += work[4, i]
        change = 0.0
        for i in range(n):
            mean_t[i] /= steps
            change = max(change, abs(temp_k[i] - start[i]))
        if not correct:
            if change < tol_k:
                break
            continue
        # corrected means: T̂_{i+1} = T̂_i + (Q_b − r_i) / Ḡ_i, from T̂_0 = T̄_0
        target = mean_t[0]
        largest = 0.0
        for i in range(n - 1):
            gbar = mean_g[i] / steps
            rect = mean_f[i] / steps - gbar * (mean_t[i + 1] - mean_t[i])
            target += (par[R_QB] - rect) / gbar
            delta = target - mean_t[i + 1]
            temp_k[i + 1] += delta
            largest = max(largest, abs(delta))
        if largest < tol_k:
            correct = False
    return cycles, change


@njit(cache=True)
def node_losses(temp_k, surface_k, sky_k, p):
    """Heat a node loses at ``temp_k`` (W) and its derivative (W/K): conduction to the
    surface and radiation to the sky and to the surface."""
    es = p[N_EPS_A] * SIGMA
    t3 = temp_k * temp_k * temp_k
    t4 = t3 * temp_k
    ts4 = surface_k * surface_k * surface_k * surface_k
    sky4 = sky_k * sky_k * sky_k * sky_k
    loss = (p[N_G] * (temp_k - surface_k)
            + es * (p[N_F_SKY] * (t4 - sky4) + p[N_F_SURF] * (t4 - ts4)))
    dloss = p[N_G] + 4.0 * es * (p[N_F_SKY] + p[N_F_SURF]) * t3
    return loss, dloss


@njit(cache=True)
def heater_for(temp_k, loss, dloss, rhu_w, dt_s, p):
    """The heater power that brings the node to its set point by the end of the step,
    within [0, heater max], from its losses (``node_losses``) at ``temp_k``."""
    need = ((p[N_C] / dt_s + dloss) * (p[N_SET] - temp_k) + loss
            - p[N_INTERNAL] - rhu_w)
    return min(max(need, 0.0), p[N_HEATER_MAX])


@njit(cache=True)
def advance_with(temp_k, loss, dloss, heater_w, rhu_w, dt_s, p, powered):
    """The node temperature after a step with ``heater_w`` of heating, from its losses at
    ``temp_k`` (linearly implicit: the losses are linearized about the start of the step);
    ``powered``: the share of its survival power the station served (its electronics
    dissipate that share of ``internal``)."""
    net = p[N_INTERNAL] * powered + rhu_w + heater_w - loss
    return temp_k + net * dt_s / (p[N_C] + dloss * dt_s)


@njit(cache=True)
def node_heater_w(temp_k, surface_k, sky_k, rhu_w, dt_s, p):
    """:func:`heater_for` at ``temp_k`` over a surface at ``surface_k``."""
    loss, dloss = node_losses(temp_k, surface_k, sky_k, p)
    return heater_for(temp_k, loss, dloss, rhu_w, dt_s, p)


@njit(cache=True)
def node_advance(temp_k, surface_k, sky_k, heater_w, rhu_w, dt_s, p, powered=1.0):
    """:func:`advance_with` at ``temp_k`` over a surface at ``surface_k``."""
    loss, dloss = node_losses(temp_k, surface_k, sky_k, p)
    return advance_with(temp_k, loss, dloss, heater_w, rhu_w, dt_s, p, powered)


@njit(cache=True)
def node_run(temp_k, surface_k, sky_k, rhu_w, dt_s, p, heater_on, out_k, out_heater_w):
    """One node alone through the surface temperatures ``surface_k`` (tests, hand
    checks): its temperature and heater power after each step (heater off: 0 W)."""
    t = temp_k
    for i in range(surface_k.size):
        h = node_heater_w(t, surface_k[i], sky_k, rhu_w, dt_s, p) if heater_on else 0.0
        t = node_advance(t, surface_k[i], sky_k, h, rhu_w, dt_s, p)
        out_k[i] = t
        out_heater_w[i] = h
    return t
