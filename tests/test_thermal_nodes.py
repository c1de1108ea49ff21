"""The landers' thermal nodes: analytic cooling, the survival heater of a polar night against
a hand calculation, radioisotope heater units, and a cold node as an FDIR input."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from ilrs.errors import ScenarioFileError
from ilrs.station import Twin, load_scenario
from ilrs.station import _kernels as k
from ilrs.station import _thermal_kernels as tk
from ilrs.station.build import block_inputs
from ilrs.station.components import J_PER_KWH
from ilrs.station.config import Rhu
from ilrs.station.fdir import kernel_params
from ilrs.station.thermal import node_params, steady_heater_w

STEP_S = 60.0


def _node(**changes):
    """The reference lander node with ``changes``, and its parameter row."""
    node = load_scenario(None).thermal.nodes[0].model_copy(update=changes)
    return node, node_params(SimpleNamespace(thermal=SimpleNamespace(nodes=(node,))))[0]


def _cool(par, surface_k, days, t0_k=253.0, sky_k=3.0):
    n = round(days * 86400 / STEP_S)
    out = np.empty(n)
    tk.node_run(t0_k, np.full(n, surface_k), sky_k, 0.0, STEP_S, par, False, out,
                np.empty(n))
    return STEP_S * np.arange(1, n + 1), out


def test_a_node_without_heater_cools_along_its_exponential():
    # conduction only to a 100 K ground: T = Ts + (T0 − Ts) exp(−G t / C)
    node, par = _node(emissivity=0.0, internal_w=0.0, conductance_w_per_k=2.0)
    t, temp = _cool(par, 100.0, days=20)
    want = 100.0 + (253.0 - 100.0) * np.exp(-2.0 * t / node.heat_capacity_j_per_k)
    assert np.max(np.abs(temp - 100.0) / (want - 100.0) - 1.0) < 0.01
    assert temp[-1] < 200.0                           # it did cool a long way


def test_a_node_radiating_to_a_cold_sky_cools_as_the_cube_root_law():
    # radiation alone to 0 K: C dT/dt = −εAσT⁴ → T = T0 (1 + 3 εAσ T0³ t / C)^(−1/3)
    node, par = _node(conductance_w_per_k=0.0, internal_w=0.0, view_factor_sky=1.0,
                      view_factor_surface=0.0)
    t, temp = _cool(par, 0.0, days=40, sky_k=0.0)
    ea = node.emissivity * node.radiating_area_m2
    want = 253.0 * (1 + 3 * ea * tk.SIGMA * 253.0 ** 3 * t / node.heat_capacity_j_per_k) ** (
        -1 / 3)
    assert np.max(np.abs(temp / want - 1.0)) < 0.01
    assert temp[-1] < 200.0


@pytest.fixture(scope="module")
def polar_night():
    """The reference station through the longest night of its 10 m arrays (77 h,
    2037-10-18 in the reference run), every lander there, hourly bins."""
    sc = load_scenario(None)
    sc = sc.model_copy(update={"period": sc.period.model_copy(update={
        "start": "2037-10-12", "stop": "2037-10-25"})})
    twin = Twin.from_scenario(sc)
    return sc, twin.run()


def test_survival_heater_of_a_polar_night_matches_a_hand_calculation(polar_night):
    sc, res = polar_night
    night = res.kpis["thermal"]["heater_per_night_kwh"]
    assert night["max_night_hours"] > 72                 # a 3-day polar night
    i0 = int(np.searchsorted(res.bin_utc(), np.datetime64(night["max_night_utc"][:19])))
    i1 = i0 + round(night["max_night_hours"])
    twin_kwh = res.series("heater_j")[i0:i1].sum() / J_PER_KWH
    assert twin_kwh == pytest.approx(night["max"], rel=1e-9)
    # by hand: each node at its set point loses G (T − Ts) + εAσ (F_sky (T⁴ − T_sky⁴) +
    # F_surf (T⁴ − ⟨Ts⁴⟩)) and gains its 200 W; the mean surface over the night from the
    # computed series (hourly), the night's length from the bins
    surface = res.geometry.surfaces  # the regolith series the run used
    series = next(iter(surface.values()))
    t0, t1 = res.bin_tdb_s[i0], res.bin_tdb_s[i0] + (i1 - i0) * res.bin_s
    ts = series.at(np.linspace(t0, t1, 10 * (i1 - i0) + 1))
    mean_ts, mean_ts4 = ts.mean(), (ts ** 4).mean()
    hours = (t1 - t0) / 3600
    sky = sc.thermal.regolith.sky_k
    hand_kwh = 0.0
    for node in sc.thermal.nodes:
        tset = node.setpoint_k
        loss = (node.conductance_w_per_k * (tset - mean_ts)
                + node.emissivity * node.radiating_area_m2 * 5.670374419e-8
                * (node.view_factor_sky * (tset ** 4 - sky ** 4)
                   + node.view_factor_surface * (tset ** 4 - mean_ts4)))
        hand_kwh += (loss - node.internal_w) * hours / 1000.0
    assert twin_kwh == pytest.approx(hand_kwh, rel=0.02)
    assert 0.5 * hand_kwh < twin_kwh                       # a real heater load


def test_nodes_are_kpis_and_hold_their_set_point(polar_night):
    sc, res = polar_night
    th = res.kpis["thermal"]
    assert th["surface_k"]["max"] < 150.0 and th["surface_k"]["min"] > 30.0
    for node in sc.thermal.nodes:
        kpi = th["nodes"][node.id]
        assert kpi["min_k"] == pytest.approx(node.setpoint_k, abs=0.01)
        assert kpi["hours_below_limit"] == 0.0
        assert kpi["heater_kwh"] > 0.0
    assert sum(n["heater_kwh"] for n in th["nodes"].values()) == pytest.approx(
        th["heater_kwh"], rel=1e-9)


def test_radioisotope_heater_units_save_their_heat_in_heater_energy(polar_night):
    sc, base = polar_night
    rhu = Rhu(id="rhu-1", arrives_with="ILRS-1", node="thermal-1", count=40, power_w=1.0,
              source="test: 40 LWRHU-class units of ~1 W")
    th = sc.thermal.model_copy(update={"rhus": (rhu,)})
    res = Twin.from_scenario(sc.model_copy(update={"thermal": th})).run()
    saved_kwh = (base.kpis["thermal"]["nodes"]["thermal-1"]["heater_kwh"]
                 - res.kpis["thermal"]["nodes"]["thermal-1"]["heater_kwh"])
    # arrived 2031-08-01 (ILRS-1): ~6.2 yr of Pu-238 decay (ln 2 / 87.7 yr) by 2037-10
    years = (base.start_tdb_s - Twin.from_scenario(sc).up.arrival("ILRS-1")) / (
        365.25 * 86400)
    heat_w = 40 * math.exp(-math.log(2) / 87.7 * years)
    hours = base.n_steps * base.step_s / 3600
    assert saved_kwh == pytest.approx(heat_w * hours / 1000, rel=0.01)
    assert res.kpis["thermal"]["nodes"]["thermal-2"] == base.kpis["thermal"]["nodes"][
        "thermal-2"]


def _cold_run(safe_mode: bool):
    """One node with a 20 W heater over a 40 K ground for a day: it cannot hold its set
    point and falls below its limit."""
    sc = load_scenario(None)
    _, par = _node(heater_max_w=20.0, min_k=250.0)
    params = kernel_params(sc.fdir.model_copy(update={"thermal_safe_mode": safe_mode}),
                           step_s=STEP_S, battery=sc.batteries[0], buffer_bit=1e9,
                           transmitter_w=100.0, isru_kwh_per_kg=24.0)
    n = 1440
    z = np.zeros(n)
    state = k.new_state()
    node_t, node_acc = k.new_node_state(1)
    agg = k.new_aggregates(n)
    flags = np.zeros(n, np.uint8)
    ev = (np.zeros(100, np.int64), np.zeros(100, np.int64), np.zeros(100))
    n_ev = k.run_block(np.full(n, 1e4), z, z, z, z, z, z, np.full(n, 1e6), np.full(n, 1e9),
                       np.full(n, 1e4), np.full(n, 40.0), np.ones((n, 1), np.bool_),
                       np.zeros((n, 1)), z, z, z, params, par[None, :], state, node_t,
                       k.new_accumulators(), node_acc, 1, agg, flags, np.zeros(n),
                       np.zeros(n), np.zeros(n), *ev)
    return flags, ev[1][:n_ev].tolist(), node_acc[0], agg


def test_a_cold_node_is_an_fdir_input():
    flags, codes, acc, agg = _cold_run(safe_mode=True)
    assert k.E_THERMAL_LOW in codes
    assert acc[tk.NA_MIN_K] < 250.0 and acc[tk.NA_COLD_S] > 0
    cold = np.flatnonzero(agg[:, k.G_TEMP_MIN] < 250.0)
    # safe mode (transmitter off) from the step after the node went below its limit
    assert np.all(flags[cold[0] + 1:] & k.F_SAFE)
    assert not np.any(flags[:cold[0]] & k.F_SAFE)
    np.testing.assert_allclose(agg[:, k.G_HEATER], 20.0 * STEP_S)   # heater flat out
    flags_off, codes_off, *_ = _cold_run(safe_mode=False)
    assert k.E_THERMAL_LOW in codes_off and not np.any(flags_off & k.F_SAFE)


def test_thermal_inputs_are_checked(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("extends: reference\nthermal:\n  nodes:\n"
                    "    - {id: thermal-1, view_factor_sky: 0.8}\n")
    with pytest.raises(ScenarioFileError, match="view_factor"):
        Twin.from_scenario(load_scenario(path))
    path.write_text("extends: reference\nthermal:\n  rhus:\n"
                    "    - {id: r, arrives_with: ILRS-1, node: thermal-9, count: 4, power_w: 1,"
                    " source: test}\n")
    with pytest.raises(ScenarioFileError, match="thermal-9"):
        Twin.from_scenario(load_scenario(path))
    path.write_text("extends: reference\nthermal:\n  regolith: {albedo: 1.5}\n")
    with pytest.raises(ScenarioFileError, match="albedo"):
        load_scenario(path)
    path.write_text("extends: reference\nthermal:\n  numerics: {step_s: 1000, fine_step_s: 60}\n")
    with pytest.raises(ScenarioFileError, match="fine_step_s"):
        load_scenario(path)


def test_the_planners_steady_heater_is_the_loops(polar_night):
    """``steady_heater_w`` (what a planner counts, ilrs.plan.horizon) equals the heater
    power the loop served, hour by hour, while the nodes sit at their set points."""
    sc, res = polar_night
    twin = Twin.from_scenario(sc)
    t = res.start_tdb_s + res.step_s * np.arange(res.n_steps)
    occ, _ = twin.faults(t[0], t[-1] + res.step_s)
    inputs = block_inputs(t, res.step_s, sc, twin.up, res.geometry, occ,
                          np.zeros(len(sc.rovers)), twin.crew_visits_tdb())
    per_bin = round(res.bin_s / res.step_s)
    steady_j = steady_heater_w(sc, inputs)[: per_bin * (t.size // per_bin)].reshape(
        -1, per_bin).sum(axis=1) * res.step_s
    loop_j = res.series("heater_j")[: steady_j.size]
    np.testing.assert_allclose(steady_j, loop_j, rtol=1e-6)
