"""The independent 1-D solver the regolith column is checked against: Hayne's own
``heat1d`` (PyPI 0.3.2, the code of Hayne et al. 2017, Appendix A), its ``Profile`` stepped
explicitly at its stability limit through the same absorbed flux.

``heat1d`` differs from :mod:`ilrs.station._thermal_kernels` in every numerical choice:
explicit (forward Euler) steps of ~1 s instead of backward Euler of minutes, node-centred
second-order differences instead of finite volumes, and a surface of no heat capacity
whose temperature is found by Newton's method on ``ε σ T⁴ = Q + K ∂T/∂z`` (one-sided,
second order). ``planets`` 0.4.6 is pinned: later versions download a NAIF kernel at import.
"""

from __future__ import annotations

import importlib
import math
from types import SimpleNamespace

import numpy as np

from ilrs.station.config import ThermalNumerics
from ilrs.station.regolith import SYNODIC_DAY_S


def _planet(props, numerics) -> SimpleNamespace:
    """heat1d's planet record with the properties of ``props`` (a RegolithProperties)."""
    return SimpleNamespace(
        emissivity=props.emissivity, ks=props.conductivity_surface_w_m_k,
        kd=props.conductivity_deep_w_m_k, rhos=props.density_surface_kg_m3,
        rhod=props.density_deep_kg_m3, H=props.scale_depth_m,
        cp0=numerics.skin_depth_heat_capacity_j_kg_k, day=SYNODIC_DAY_S,
        cpCoeff=list(props.heat_capacity_coefficients)[::-1], Qb=props.geothermal_w_m2,
        S=1361.0, albedo=props.albedo, rAU=1.0)


#: The independent run is finer than the column in time and depth: steps of at most a
#: minute, and twice heat1d's default layers per skin depth growing half as fast (m = 20,
#: n = 10: ~3× the layers), to the same bottom (b = 20 skin depths).
MAX_STEP_S = 60.0
FINE = {"m": 20, "n": 10, "b": 20}


def heat1d_surface(props, numerics, z_m, start_k, tdb_s, absorbed_w_m2) -> np.ndarray:
    """heat1d's surface temperature at ``tdb_s[1:]``, started from the profile ``start_k``
    (at depths ``z_m``) at ``tdb_s[0]`` and driven by ``absorbed_w_m2`` (linear between
    the points)."""
    heat1d_main = importlib.import_module("heat1d.main")
    config = heat1d_main.Configurator(chi=props.radiative_chi, DTSURF=0.001, **FINE)
    planet = _planet(props, numerics)
    prof = heat1d_main.Profile(planet, 0.0, config)
    prof.T = np.interp(prof.z, z_m, start_k)
    prof.update_cp()
    prof.update_k()
    # stability: F ρ c dz² / K at its smallest over 20…420 K (heat1d's getTimeStep, F=0.5)
    temps = np.linspace(20.0, 420.0, 41)[:, None]
    cp = heat1d_main.heatCapacity(planet, temps)
    k = heat1d_main.thermCond(prof.kc[:-1], temps, config.R350)
    dt_max = min(MAX_STEP_S, float(np.min(config.F * prof.rho[:-1] * cp * prof.dz ** 2 / k)))
    out = np.empty(tdb_s.size - 1)
    for j in range(tdb_s.size - 1):
        span = tdb_s[j + 1] - tdb_s[j]
        n = math.ceil(span / dt_max)
        dt = span / n
        for m in range(1, n + 1):
            q = absorbed_w_m2[j] + (absorbed_w_m2[j + 1] - absorbed_w_m2[j]) * m / n
            prof.update_T(dt, q, props.geothermal_w_m2)
            prof.update_cp()
            prof.update_k()
        out[j] = prof.T[0]
    return out


def heat1d_periodic_mean_k(props, lat_deg: float) -> float:
    """The periodic day's mean surface temperature from heat1d's own ``Model``: its own
    insolation (hour angle, incidence, albedo law), grid, time step and spin-up (a year),
    at ``lat_deg`` with the Sun on the equator at 1 au (eccentricity and obliquity 0, as
    Hayne 2017 Table A2). heat1d 0.3.2 still spells ``np.float`` / ``np.int`` (removed in
    numpy 1.24): they are lent to it for the run."""
    heat1d_main = importlib.import_module("heat1d.main")
    planet = _planet(props, ThermalNumerics())
    planet.__dict__.update(albedoCoef=[props.albedo_a, props.albedo_b], eccentricity=0.0,
                           obliquity=0.0, Lp=0.0, name="Moon",
                           year=importlib.import_module("planets").Moon.year)
    lent = {k: getattr(np, k, None) for k in ("float", "int")}
    for k, builtin in (("float", float), ("int", int)):
        setattr(np, k, builtin)
    try:
        model = heat1d_main.Model(planet=planet, lat=math.radians(lat_deg), ndays=1,
                                  config=heat1d_main.Configurator(chi=props.radiative_chi))
        model.run()
    finally:
        for k, v in lent.items():
            if v is None:
                delattr(np, k)
            else:
                setattr(np, k, v)
    return float(model.T[:, 0].mean())
