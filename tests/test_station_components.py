"""Component models against analytic cases and published figures; the loop against itself.

Authorities: the free-space loss formula (Friis); Queqiao-1 lander→relay "up to 555 kbit/s"
and Queqiao-2 Ka "~100 Mbit/s to Earth" (../shared/reference/ilrs-facts.md); Pu-238
half-life 87.7 yr (0.79 %/yr, facts); MMRTG 125 We → ~100 We after 14 yr (facts); VSAT
10 kW on ~35 m² (facts); 24 kWh/kg O2 (Leger et al., PNAS 2025).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ilrs.station import _kernels as k
from ilrs.station import _thermal_kernels as tk
from ilrs.station import components as c
from ilrs.station.config import load_scenario
from ilrs.station.fdir import kernel_params
from ilrs.station.thermal import node_params


def test_free_space_loss_is_the_friis_formula():
    d, f = 384_400e3, 8.4e9
    expected = 10 * math.log10((4 * math.pi * d * f / 299_792_458.0) ** 2)
    assert float(c.free_space_loss_db(d, f)) == pytest.approx(expected, abs=1e-9)
    # doubling the range costs 6.02 dB
    assert float(c.free_space_loss_db(2 * d, f) - c.free_space_loss_db(d, f)) == pytest.approx(
        20 * math.log10(2), abs=1e-12)


def test_link_rate_scales_as_inverse_range_squared_below_its_cap():
    link = load_scenario(None).comms.relay.model_dump()
    link["max_rate_bit_s"] = 1e15
    r1, r2 = c.link_rate_bit_s(np.array([10e6, 20e6]), **link)
    assert r1 / r2 == pytest.approx(4.0, rel=1e-12)


def test_link_budget_reproduces_queqiao1_lander_to_relay_rate():
    """Chang'e-4 lander → Queqiao-1 at EML2 (~70,000 km beyond the far side), X band,
    Queqiao-1's 4.2 m dish; lander 5 W into a 15 dBi antenna (estimates)."""
    rate = c.link_rate_bit_s(
        70_000e3, tx_power_w=5.0, tx_gain_dbi=15.0,
        rx_gain_dbi=c.dish_gain_dbi(4.2, 8.4e9, 0.55), frequency_hz=8.4e9,
        system_noise_k=500.0, required_ebn0_db=2.5, margin_db=3.0, other_losses_db=3.0,
        max_rate_bit_s=1e12)
    assert 555e3 / 2 < rate < 555e3 * 2  # published: up to 555 kbit/s


def test_reference_links_give_rates_in_the_range_of_real_missions():
    comms = load_scenario(None).comms
    dte = c.link_rate_bit_s(384_400e3, **comms.dte.model_dump())
    relay_far = c.link_rate_bit_s(17_000e3, **comms.relay.model_dump())
    assert dte == pytest.approx(100e6)  # Queqiao-2 Ka to Earth ~100 Mbit/s (cap)
    assert 1e6 < relay_far <= 6e6  # Queqiao-2 S-band ≤ 6 Mbit/s


def test_dish_gain_doubles_with_frequency_by_6_db():
    assert c.dish_gain_dbi(4.2, 16.8e9) - c.dish_gain_dbi(4.2, 8.4e9) == pytest.approx(
        20 * math.log10(2))


def test_rtg_decay_matches_pu238_and_mmrtg_figures():
    lam = math.log(2) / 87.7
    assert 1 - float(c.rtg_power_w(1.0, lam, 1.0)) == pytest.approx(0.0079, abs=1e-4)
    mmrtg = load_scenario(None).rtgs[0]
    after_14 = float(c.rtg_power_w(mmrtg.power_w, mmrtg.decay_per_yr, 14.0))
    assert after_14 == pytest.approx(100.0, abs=2.0)  # ~100 We after 14 yr
    assert float(c.rtg_power_w(125.0, 0.016, -1.0)) == 0.0  # before arrival


def test_vsat_class_array_gives_10_kw_at_1_au_and_nothing_in_the_dark():
    p = c.solar_array_power_w(np.array([1.0, 0.5, 0.0]), 0.0, 0.0, c.AU_M, area_m2=35.0,
                              efficiency=0.21)
    assert p[0] == pytest.approx(10_000, rel=0.01)
    assert p[1] == pytest.approx(p[0] / 2)
    assert p[2] == 0.0
    # a fixed vertical array facing away from the Sun gets nothing; side-on, cos 60° = half
    back = c.solar_array_power_w(1.0, 0.0, math.pi, c.AU_M, area_m2=1, efficiency=1,
                                 mount="vertical", azimuth_deg=0.0)
    side = c.solar_array_power_w(1.0, 0.0, math.radians(60), c.AU_M, area_m2=1, efficiency=1,
                                 mount="vertical", azimuth_deg=0.0)
    assert float(back) == 0.0
    assert float(side) == pytest.approx(c.SOLAR_CONSTANT_W_M2 / 2)


def _inputs(n, n_nodes=0, **arrays):
    """The loop's per-step inputs; ``n_nodes`` thermal nodes present from the start over a
    surface at ``surface_k`` (100 K unless given)."""
    base = dict(gen_w=0.0, load0_w=0.0, load1_w=0.0, load2_w=0.0, sci_bit_s=0.0, hk_bit_s=0.0,
                isru_max_w=0.0, dl_bit_s=0.0, cap_j=0.0, charge_max_w=1e9, surface_k=100.0,
                node_on=np.ones((n, n_nodes), np.bool_), rhu_w=np.zeros((n, n_nodes)),
                o2_in_kg=0.0, o2_demand_kg=0.0, rfc_cap_j=0.0)
    base.update(arrays)
    return [np.full(n, float(v)) if np.isscalar(v)
            else v if k_ == "node_on" else np.asarray(v, float) for k_, v in base.items()]


def _params(**rules):
    sc = load_scenario(None)
    fdir = sc.fdir.model_copy(update=rules)
    return kernel_params(fdir, step_s=60.0, battery=sc.batteries[0], buffer_bit=1e9,
                         transmitter_w=0.0, isru_kwh_per_kg=24.0)


def _run(inputs, params, state=None, kernel=k.run_block, node_par=None):
    n = inputs[0].size
    state = k.new_state() if state is None else state
    acc = k.new_accumulators()
    agg = k.new_aggregates(n)
    node_par = np.zeros((0, tk.N_NPAR)) if node_par is None else node_par
    node_t, node_acc = k.new_node_state(node_par.shape[0])
    flags = np.zeros(n, np.uint8)
    ev = (np.zeros(100, np.int64), np.zeros(100, np.int64), np.zeros(100))
    n_ev = kernel(*inputs, params, node_par, state, node_t, acc, node_acc, 1, agg, flags,
                  np.zeros(n), np.zeros(n), np.zeros(n), *ev)
    return state, acc, agg, flags, ev, n_ev


def test_battery_round_trip_loses_one_minus_eta_c_eta_d():
    """Charge from solar for an hour, then power a load from the battery alone."""
    params = _params()
    eta_c, eta_d = params[k.P_ETA_C], params[k.P_ETA_D]
    cap = 100e3 * 3600.0
    n = 120
    gen = np.r_[np.full(60, 10_000.0), np.zeros(60)]
    load = np.r_[np.zeros(60), np.full(60, 1_000.0)]
    state = k.new_state()
    state[k.S_CAPN] = cap  # no arrival charge: start empty
    params[k.P_FLOOR] = 0.0
    state, acc, *_ = _run(_inputs(n, gen_w=gen, load0_w=load, cap_j=cap,
                                  charge_max_w=5_000.0), params, state)
    stored_in = 5_000.0 * 3600.0 * eta_c
    assert acc[k.A_CHARGE] == pytest.approx(5_000.0 * 3600.0)
    assert acc[k.A_DISCHARGE] == pytest.approx(1_000.0 * 3600.0)
    assert state[k.S_E] == pytest.approx(stored_in - 1_000.0 * 3600.0 / eta_d)
    # what went in and came out: losses are (1-ηc) of the charge + (1/ηd-1) of the discharge
    assert acc[k.A_LOSS] == pytest.approx(
        5_000.0 * 3600.0 * (1 - eta_c) + 1_000.0 * 3600.0 * (1 / eta_d - 1))
    assert acc[k.A_CURTAILED] == pytest.approx(5_000.0 * 3600.0)


def test_compiled_loop_equals_the_plain_python_loop():
    rng = np.random.default_rng(3)
    n = 500
    inputs = _inputs(
        n, gen_w=rng.uniform(0, 8_000, n) * (rng.random(n) > 0.4), load0_w=1_500.0,
        load1_w=rng.uniform(0, 500, n), load2_w=rng.uniform(0, 3_000, n),
        sci_bit_s=1e6, hk_bit_s=1e5, isru_max_w=2_000.0,
        dl_bit_s=rng.uniform(0, 3e6, n) * (rng.random(n) > 0.5), cap_j=20e3 * 3600,
        charge_max_w=4_000.0, o2_demand_kg=1e-4, n_nodes=2,
        surface_k=rng.uniform(40, 300, n))
    nodes = node_params(load_scenario(None))[:2]
    fast = _run(inputs, _params(), node_par=nodes)
    slow = _run(inputs, _params(), kernel=k.run_block.py_func, node_par=nodes)
    for a, b in zip(fast[:4], slow[:4], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9)
    assert fast[5] == slow[5]


def test_fdir_keeps_survival_powered_where_the_energy_exists():
    """A 10-hour night: 1 kW survival + 2 kW science on an 18 kWh battery (10.3 kWh would
    carry survival alone). Without FDIR (no shedding, full depth of discharge) the
    science drains the battery and survival browns out; with FDIR it does not."""
    n = 600
    inputs = _inputs(n, load0_w=1_000.0, load2_w=2_000.0, cap_j=18e3 * 3600.0)
    state = k.new_state()
    state[k.S_CAPN] = 0.0
    with_fdir = _params()
    with_fdir[k.P_ARRIVAL_SOC] = 1.0
    without = with_fdir.copy()
    without[[k.P_SHED, k.P_RESTORE, k.P_SAFE, k.P_EXIT_SAFE, k.P_FLOOR]] = 0.0
    _, acc_f, _, _flags_f, ev_f, n_f = _run(inputs, with_fdir, state.copy())
    _, acc_n, *_ = _run(inputs, without, state.copy())
    assert acc_n[k.A_UNSERVED0] > 0.0
    assert acc_f[k.A_UNSERVED0] == 0.0
    assert acc_f[k.A_SHED] > 0.0
    codes = ev_f[1][:n_f].tolist()
    assert k.E_SHED_SCIENCE in codes and k.E_BROWNOUT_START not in codes


def test_data_lost_only_when_the_buffer_overflows():
    n = 100
    params = _params(buffer_hold_fraction=1.0, buffer_resume_fraction=0.5)
    inputs = _inputs(n, gen_w=1e4, load2_w=10.0, sci_bit_s=1e6, cap_j=1e8)
    _, acc, *_ = _run(inputs, params)
    made = 1e6 * 60 * n
    assert acc[k.A_DATA_GEN] == pytest.approx(made)
    assert acc[k.A_DATA_LOST] == pytest.approx(made - 1e9)  # 1 Gbit buffer, no contact


def test_isru_runs_on_surplus_only_and_makes_o2_at_24_kwh_per_kg():
    n = 60
    params = _params()
    inputs = _inputs(n, gen_w=np.r_[np.full(30, 12_000.0), np.zeros(30)], load0_w=2_000.0,
                     isru_max_w=10_000.0, cap_j=1e6)
    state = k.new_state()
    state[k.S_CAPN] = 1e6
    state[k.S_E] = 1e6  # full: all surplus goes to ISRU
    state, acc, _agg, flags, *_ = _run(inputs, params, state)
    assert acc[k.A_ISRU] == pytest.approx(10_000.0 * 30 * 60)
    assert acc[k.A_O2_MADE] == pytest.approx(10_000.0 * 1800 / (24 * 3.6e6))
    assert not np.any(flags[30:] & k.F_ISRU)  # never from the battery


def test_regenerative_fuel_cell_round_trip_is_eta_el_times_eta_fc():
    """Surplus fills the tanks through the electrolyser; when the battery runs low the fuel
    cell gives back ``η_el · η_fc`` of what went in (NASA Glenn: 40–55 %)."""
    sc = load_scenario(None)
    rfc = sc.rfcs[0]
    params = kernel_params(sc.fdir, step_s=60.0, battery=sc.batteries[0], buffer_bit=1e9,
                           transmitter_w=0.0, isru_kwh_per_kg=24.0, rfc=rfc)
    n = 24 * 60
    gen = np.r_[np.full(n // 2, 20_000.0), np.zeros(n // 2)]
    cap = 10e3 * 3600.0
    state = k.new_state()
    state[k.S_CAPN] = cap
    state[k.S_E] = cap  # battery full: surplus goes to the electrolyser
    state[k.S_RFC_CAPN] = rfc.tank_wh * 3600.0
    state, acc, *_ = _run(_inputs(n, gen_w=gen, load0_w=2_000.0, cap_j=cap,
                                  rfc_cap_j=rfc.tank_wh * 3600.0), params, state)
    eta = rfc.electrolysis_efficiency * rfc.fuel_cell_efficiency
    assert 0.40 <= eta <= 0.55
    assert acc[k.A_RFC_IN] > 0 and acc[k.A_RFC_OUT] > 0
    stored = acc[k.A_RFC_IN] * rfc.electrolysis_efficiency
    assert state[k.S_RFC] == pytest.approx(
        stored - acc[k.A_RFC_OUT] / rfc.fuel_cell_efficiency, rel=1e-9)
    assert acc[k.A_UNSERVED0] == 0.0  # the fuel cell carried the night with the battery
    # energy conserved: generation = delivered + Δstored + losses + curtailed
    delivered = acc[k.A_SERVED0] + acc[k.A_SERVED1] + acc[k.A_SERVED2] + acc[k.A_ISRU]
    d_stored = state[k.S_E] - cap + state[k.S_RFC]
    losses = acc[k.A_LOSS] + acc[k.A_RFC_LOSS]
    assert acc[k.A_GEN] == pytest.approx(
        delivered + d_stored + losses + acc[k.A_CURTAILED] + acc[k.A_CAPLOSS], rel=1e-12)


def _plain_loop(gen_w, load_w, cap_j, e0_j, eta_c, eta_d, dt):
    """Survival load only, no floor, no charge limit: the obviously-correct battery loop."""
    e, unserved, curtailed = e0_j, 0.0, 0.0
    for g, d in zip(gen_w, load_w, strict=True):
        if g >= d:
            put = min(g - d, (cap_j - e) / (eta_c * dt))
            e += put * eta_c * dt
            curtailed += (g - d - put) * dt
        else:
            take = min(d - g, e * eta_d / dt)
            e -= take / eta_d * dt
            unserved += (d - g - take) * dt
    return e, unserved, curtailed


def test_loop_matches_a_plain_battery_loop():
    rng = np.random.default_rng(11)
    n = 3000
    gen = rng.uniform(0, 40_000, n) * (np.arange(n) % 1000 < 200)
    load = rng.uniform(500, 3_000, n)
    cap = 15e3 * 3600.0
    params = _params()
    params[[k.P_FLOOR, k.P_SHED, k.P_RESTORE, k.P_SAFE, k.P_EXIT_SAFE, k.P_FADE]] = 0.0
    state = k.new_state()
    state[k.S_CAPN] = cap
    state[k.S_E] = cap / 2
    state, acc, *_ = _run(_inputs(n, gen_w=gen, load0_w=load, cap_j=cap), params, state)
    e, unserved, curtailed = _plain_loop(gen, load, cap, cap / 2, params[k.P_ETA_C],
                                         params[k.P_ETA_D], 60.0)
    assert unserved > 0 and curtailed > 0  # both regimes visited
    assert state[k.S_E] == pytest.approx(e, rel=1e-9)
    assert acc[k.A_UNSERVED0] == pytest.approx(unserved, rel=1e-9)
    assert acc[k.A_CURTAILED] == pytest.approx(curtailed, rel=1e-9)
