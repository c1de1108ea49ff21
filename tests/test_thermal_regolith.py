"""The regolith column against outside authorities: Hayne et al. (2017) Table A2 at the
equator, the Apollo 15 and 17 heat-flow sites, Diviner's polar cold traps (Paige et al.
2010), conservation of energy, and Hayne's own heat1d code on the same insolation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heat1d_reference import heat1d_periodic_mean_k, heat1d_surface
from ilrs.sky import Site, Sky
from ilrs.sky.timescale import utc_to_tdb_s
from ilrs.station import _thermal_kernels as tk
from ilrs.station.components import AU_M
from ilrs.station.config import RegolithProperties, SurfaceFacet, ThermalNumerics
from ilrs.station.geometry import sun_columns
from ilrs.station.regolith import (
    SYNODIC_DAY_S,
    Column,
    facet_absorbed_w_m2,
    terrain_weight,
)
from ilrs.terrain import HorizonProfile, azimuths_rad

STEP_S = 600.0


def diurnal(lat_deg: float, props, step_s: float = STEP_S):
    """One synodic day at latitude ``lat_deg`` (Sun on the equator, 1 au, flat ground,
    as Hayne 2017 Table A2): the absorbed flux at each step end, from noon."""
    n = round(SYNODIC_DAY_S / step_s)
    hour = 2 * math.pi * np.arange(1, n + 1) / n
    el = np.arcsin(np.clip(math.cos(math.radians(lat_deg)) * np.cos(hour), -1, 1))
    q = facet_absorbed_w_m2(np.ones(n), el, np.zeros(n), np.full(n, AU_M), np.zeros(n),
                            props, SurfaceFacet(), 0.0)
    return q


def periodic_day(lat_deg: float, albedo: float):
    props = RegolithProperties(albedo=albedo)
    col = Column.of(props, ThermalNumerics())
    q = diurnal(lat_deg, props)
    cycles, change = col.spin_up(q, STEP_S, tol_k=0.01)
    assert change < 0.01 and cycles < 30
    start = col.temp_k.copy()
    surface, budget = col.run(q, STEP_S)
    return col, q, start, surface, budget


@pytest.fixture(scope="module")
def equator():
    return periodic_day(0.0, 0.12)


def test_equator_matches_hayne_2017_table_a2(equator):
    # Hayne et al. 2017, Table A2, equator: noon 385 K, midnight 101 K, night minimum 95 K
    _, q, _, surface, _ = equator
    n = q.size
    noon, midnight = surface[-1], surface[n // 2 - 1]
    assert noon == pytest.approx(385.0, abs=5.0)
    assert midnight == pytest.approx(101.0, abs=5.0)
    assert surface.min() == pytest.approx(95.0, abs=5.0)


def test_energy_is_conserved_over_a_lunation(equator):
    # ΔU of the column = absorbed − emitted + geothermal, to < 1 % of what was absorbed
    col, q, start, _, budget = equator
    end = col.temp_k.copy()
    col.temp_k[:] = start
    u0 = col.enthalpy_j_m2()
    col.temp_k[:] = end
    u1 = col.enthalpy_j_m2()
    absorbed, emitted, geothermal = budget
    assert abs((u1 - u0) - (absorbed - emitted + geothermal)) < 0.01 * absorbed
    # and a column far from its periodic state: a cold start warms the column
    col.temp_k[:] = 150.0
    u0 = col.enthalpy_j_m2()
    _, budget = col.run(q, STEP_S)
    u1 = col.enthalpy_j_m2()
    absorbed, emitted, geothermal = budget
    assert abs(u1 - u0) > 0.01 * absorbed            # a real change of heat content ...
    assert abs((u1 - u0) - (absorbed - emitted + geothermal)) < 0.01 * abs(u1 - u0)


@pytest.mark.parametrize(("site", "lat_deg", "mean_k"), [
    ("Apollo 15", 26.13, 211.0),
    pytest.param("Apollo 17", 20.19, 216.0, marks=pytest.mark.xfail(strict=True, reason=(
        "216 K is beyond Hayne 2017's model at 20.19° N at any albedo: Hayne's own heat1d "
        "(its own insolation, 1 au) gives 210.4 K with mare albedo 0.07 and 214.4 K for a "
        "black surface (test below; the column: 210.2 / 214.3 K); within 5 K needs albedo "
        "<= 0.056. The valley does not close it either: as a trough 2 km deep (LPI slide "
        "set; massif relief 2.0-2.2 km: NASA PDS caption, LROC) with its axis to the NW "
        "(ALSJ) and the site 3.5 km from the North Massif's foot (ALSJ), walls at 8-16° give "
        "209.5-208.0 K (they hide the low Sun longer than their first-order light warms "
        "the floor). A thinner low-density layer (H 0.03 m) gives 212.6 K; no site value of "
        "H was found. The model's deep mean matches the Apollo 15 probes (test below)"))),
])
def test_apollo_heat_flow_sites_mean_surface_temperature(site, lat_deg, mean_k):
    # Langseth et al. 1976 (Apollo 15 / 17 heat-flow experiments): mean surface
    # temperature 211 K / 216 K; mare albedo 0.07 (Hayne 2017)
    *_, surface, _ = periodic_day(lat_deg, 0.07)
    assert surface.mean() == pytest.approx(mean_k, abs=5.0), site


@pytest.mark.parametrize(("lat_deg", "albedo"), [(26.13, 0.07), (20.19, 0.07), (20.19, 0.0),
                                                 (0.0, 0.12)])
def test_site_mean_matches_heat1d_own_model(lat_deg, albedo):
    # Hayne's heat1d run as its authors run it (its own Model: hour angle, albedo law,
    # grid, explicit steps, a year's spin-up), Sun on the equator at 1 au, against the
    # column on this module's insolation: the same mean surface temperature within 0.5 K
    props = RegolithProperties(albedo=albedo)
    *_, surface, _ = periodic_day(lat_deg, albedo)
    assert surface.mean() == pytest.approx(heat1d_periodic_mean_k(props, lat_deg), abs=0.5)


def test_apollo_17_published_mean_is_beyond_the_model_at_any_albedo():
    # Langseth et al. 1976 give 216 K at Apollo 17 (20.19° N). Hayne 2017's model, in
    # Hayne's own code, cannot reach it even black: the "216 ± 5 K" asks for an
    # albedo at or below ~0.056, darker than Hayne's mare value 0.07 (Table A1); the
    # valley's dark glass beads may lower it (Geologic Exploration of Taurus-Littrow,
    # Science 182, 672, 1973), by no published amount
    black = heat1d_periodic_mean_k(RegolithProperties(albedo=0.0), 20.19)
    assert black < 216.0
    mare = heat1d_periodic_mean_k(RegolithProperties(albedo=0.07), 20.19)
    assert mare < 211.0
    *_, surface, _ = periodic_day(20.19, 0.056)
    assert surface.mean() >= 211.0


def test_apollo_15_mean_temperature_at_one_metre():
    # Langseth et al. 1972 (Apollo 15 PSR, "The Apollo 15 lunar heat-flow measurement"):
    # mean subsurface temperature at 1 m 252.4 K (probe 1) and 250.7 K (probe 2), heat
    # flow 0.021 W/m² (Langseth et al. 1976). The column's cycle-mean at its bottom
    # (0.68 m) carried down to 1 m by the geothermal gradient in the deep conductivity
    props = RegolithProperties(albedo=0.07, geothermal_w_m2=0.021)
    col = Column.of(props, ThermalNumerics())
    q = diurnal(26.13, props)
    col.spin_up(q, STEP_S, tol_k=0.01)
    mean = np.zeros(col.z_m.size)
    for flux in q:
        col.run(np.array([flux]), STEP_S)
        mean += col.temp_k / q.size
    at_1m = mean[-1] + props.geothermal_w_m2 * (1.0 - col.z_m[-1]) \
        / props.conductivity_deep_w_m_k
    assert at_1m == pytest.approx(251.5, abs=5.0)
    assert mean[-1] - mean[0] > 35.0        # the mean rises ~40 K downward (radiative K)


def _polar_floor(terrain: bool):
    """A crater floor at 89.5° S whose rim, 3° high all round, hides the Sun all year
    (the Sun never rises above ~2.3° there), through a real year of Sun geometry."""
    props = RegolithProperties()
    horizon = HorizonProfile(azimuths_rad(360), np.full(360, math.radians(3.0)))
    site = Site("floor", -89.5, 0.0, 0.0, 0.0)
    t0 = float(utc_to_tdb_s(["2031-01-01T00:00:00"])[0])
    t = t0 + 3600.0 * np.arange(0, 366 * 24)
    sun = sun_columns(site, horizon, t, Sky())
    assert sun["sun_fraction"].max() == 0.0 and np.degrees(sun["sun_elevation_rad"]).max() > 1
    weight = terrain_weight(horizon.elevation_rad) if terrain else 0.0
    q = facet_absorbed_w_m2(sun["sun_fraction"], sun["sun_elevation_rad"],
                            sun["sun_azimuth_rad"], sun["sun_distance_m"],
                            sun["eclipse_hidden_fraction"], props, SurfaceFacet(), weight)
    col = Column.of(props, ThermalNumerics())
    col.spin_up(q, 3600.0, tol_k=0.01)
    surface, _ = col.run(q, 3600.0)
    return props, surface


def test_permanently_shadowed_floor_stays_below_50_k():
    # Diviner: south-polar PSRs below 40 K by day (Paige et al. 2010, Science 330, 479)
    _, surface = _polar_floor(terrain=True)
    assert surface.max() < 50.0
    assert surface.max() - surface.min() > 1.0          # the lit walls do warm it in summer


def test_a_floor_with_only_the_geothermal_flux_is_at_its_equilibrium():
    # (Q_b / (ε σ))^¼ ≈ 24 K (thermal.md): nothing else reaches it
    props, surface = _polar_floor(terrain=False)
    want = (props.geothermal_w_m2 / (props.emissivity * tk.SIGMA)) ** 0.25
    assert surface == pytest.approx(np.full(surface.size, want), abs=0.1)


def test_column_matches_heat1d_on_the_same_insolation(equator):
    # Hayne's heat1d (independent numerics, finer in time and depth) from the same state
    # through the same flux, one lunation
    pytest.importorskip("heat1d.main")           # the dev extra (pyproject.toml)
    col, q, start, surface, _ = equator
    props, num = RegolithProperties(albedo=0.12), ThermalNumerics()
    t = STEP_S * np.arange(q.size + 1)
    flux = np.concatenate([[q[-1]], q])              # flux at each point, from noon
    ref = heat1d_surface(props, num, col.z_m, start, t, flux)
    err = surface - ref
    assert float(np.sqrt(np.mean(err ** 2))) < 2.0
    assert float(np.max(np.abs(err))) < 5.0


def test_an_eclipse_is_resolved_by_the_cut_steps():
    # the 2032-04-25 total lunar eclipse at 0° N 0° E, near local noon: the Earth hides
    # the Sun for ~3.5 h and the surface cools from ~383 K to ~168 K. The twin's column
    # (30 min steps, cut into 1 min steps where the flux or the surface changes fast)
    # against the same column in 1 min steps throughout, from the same spun-up state
    from ilrs.station import load_scenario
    from ilrs.station.geometry import HorizonSource, geometry_at
    from ilrs.station.regolith import surface_series

    t0 = float(utc_to_tdb_s(["2032-04-24T00:00:00"])[0])
    grid = t0 + 600.0 * np.arange(4 * 144 + 4)
    geo = geometry_at(HorizonSource("ideal", 0.0, 0.0), [2.0], 2.0, grid, None, 0.0, 0.0,
                      refine_step_s=60.0)
    assert geo.eclipse_hidden_fraction.max() == 1.0
    thermal = load_scenario(None).thermal
    series = surface_series(geo, thermal, 2.0)
    t = series.tdb_s[0] + 60.0 * np.arange(1, round((series.tdb_s[-1] - t0) / 60.0) + 1)
    col = Column.of(thermal.regolith, thermal.numerics)
    col.temp_k[:] = series.start_k
    fine, _ = col.run(series.absorbed_at(geo, t), 60.0)
    assert fine.max() - fine.min() > 200.0                   # a deep eclipse ...
    err = series.at(t) - fine
    assert np.abs(err).max() < 0.5                           # ... followed to 0.5 K
    assert 0.0 < series.describe()["fine_share"] < 0.2       # in a few cut steps
    uncut = thermal.numerics.model_copy(update={"flux_tol_w_m2": 1e9, "temp_tol_k": 1e9})
    coarse = surface_series(geo, thermal.model_copy(update={"numerics": uncut}), 2.0)
    assert np.abs(coarse.at(t) - fine).max() > 10.0          # 30 min steps alone blur it
