"""The station's time loop: energy balance with priorities, battery, FDIR, data, thermal, O2.

One compiled pass over a block of steps; the state (stored energy, buffer, oxygen, FDIR
modes, and the thermal nodes' temperatures in ``node_t``) carries over from block to block
in ``state``. Pure numba over float64
arrays in SI units (W, J, bit, kg, K, s); no I/O.

Per step: generation serves survival loads first (from the battery down to empty if need
be), then communications and science (each all-or-nothing, from the battery only above the
depth-of-discharge floor), then surplus charges the battery, then runs ISRU, and the rest
is curtailed. A regenerative fuel cell switched on by FDIR adds only what generation lacks
(the bus deficit), never charging the battery or feeding ISRU. FDIR limit rules on state of
charge and buffer fill switch modes after the step (with hysteresis) and log events. Ground
commands (the live twin) may hold safe mode or science on top of FDIR (``S_CMD_SAFE``,
``S_CMD_SHED``; science held counts as shed).

Thermal nodes (:mod:`ilrs.station._thermal_kernels`): each node present asks its survival
heater for the power that holds its set point against its losses to the sky and the
surface (``surface_k``, from the regolith column); the heaters are survival loads, and
what survival gets short of its demand leaves every heater short in proportion, and the
nodes' electronics dissipate only the share of their power they get, so the nodes cool.
A node below its lower limit is an FDIR input: with ``P_COLD_SAFE`` the station is in
safe mode while any node is (survival loads only).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ilrs.station import _thermal_kernels as tk

# --- params ---------------------------------------------------------------------------
P_DT = 0
P_ETA_C = 1
P_ETA_D = 2
P_FLOOR = 3           # fraction of capacity kept (1 − depth of discharge)
P_FADE = 4            # capacity fraction lost per equivalent full cycle
P_ARRIVAL_SOC = 5
P_SHED = 6
P_RESTORE = 7
P_SAFE = 8
P_EXIT_SAFE = 9
P_BUF_CAP = 10
P_BUF_HOLD = 11
P_BUF_RESUME = 12
P_TX_W = 13
P_J_PER_KG_O2 = 14
P_SKY_K = 15          # sky temperature the thermal nodes radiate to, K
P_COLD_SAFE = 16      # 1: a node below its lower limit puts the station in safe mode
# 17: free (was the heat-deficit recovery power of the former steady-state heaters)
P_ETA_EL = 18         # regenerative fuel cell: electrolysis, electric -> stored
P_ETA_FC = 19         # fuel cell, stored -> electric
P_EL_MAX_W = 20
P_FC_MAX_W = 21
P_RFC_ON_SOC = 22     # the fuel cell runs below this battery SOC ...
P_RFC_OFF_SOC = 23    # ... until the SOC is back above this one
P_RFC_FILL = 24       # tank fill on arrival
N_PARAMS = 25

# --- state ----------------------------------------------------------------------------
S_E = 0               # stored energy, J
S_CAPN = 1            # nominal capacity at the previous step, J
S_CYCLES = 2          # equivalent full cycles
S_BUF = 3             # data in the buffer, bit
S_HEAT = 4            # survival heater power served at the last step, W
S_O2 = 5              # oxygen in store, kg
S_SAFE = 6
S_SHED = 7
S_HOLD = 8
S_BROWN = 9
S_COLD = 10
S_LOSS = 11           # data being lost
S_RFC = 12            # energy stored in the fuel-cell tanks, J
S_RFC_CAPN = 13
S_RFC_ON = 14
S_CMD_SAFE = 15       # safe mode held by a ground command (the live twin), 0 / 1
S_CMD_SHED = 16       # science held by a ground command, 0 / 1
N_STATE = 17

# --- accumulators (J unless named) -----------------------------------------------------
A_GEN = 0
A_SERVED0 = 1
A_SERVED1 = 2
A_SERVED2 = 3
A_ISRU = 4
A_CHARGE = 5
A_DISCHARGE = 6
A_LOSS = 7
A_CURTAILED = 8
A_UNSERVED0 = 9
A_UNSERVED1 = 10
A_UNSERVED2 = 11
A_SHED = 12           # science energy shed by FDIR
A_ARRIVAL = 13        # energy stored in batteries on arrival
A_CAPLOSS = 14        # stored energy lost with capacity (fade, cell loss)
A_DATA_GEN = 15       # bit
A_DATA_DOWN = 16      # bit
A_DATA_LOST = 17      # bit
A_O2_MADE = 18        # kg
A_O2_USED = 19        # kg
A_O2_SHORT = 20       # kg
A_BROWN_STEPS = 21
A_TX_STEPS = 22
A_RFC_IN = 23         # electric energy into the electrolyser
A_RFC_OUT = 24        # electric energy out of the fuel cell
A_RFC_LOSS = 25
A_RFC_ARRIVAL = 26
N_ACC = 27

# --- aggregate channels (sums over a bin unless named) ----------------------------------
G_GEN = 0
G_SERVED0 = 1
G_SERVED1 = 2
G_SERVED2 = 3
G_ISRU = 4
G_CHARGE = 5
G_DISCHARGE = 6
G_CURTAILED = 7
G_UNSERVED0 = 8
G_LOSS = 9
G_DATA_DOWN = 10
G_DATA_LOST = 11
G_O2_MADE = 12
G_SOC_END = 13        # last value in the bin
G_SOC_MIN = 14        # minimum in the bin
G_BUF_END = 15
G_TEMP_MIN = 16
G_O2_END = 17
G_RFC_IN = 18
G_RFC_OUT = 19
G_RFC_END = 20        # energy in the tanks at the end of the bin, J
G_TEMP_MAX = 21       # warmest thermal node, maximum in the bin
G_HEATER = 22         # survival heater energy served
G_SURF_END = 23       # regolith surface temperature at the end of the bin
N_AGG = 24

# --- flags per step (bits) --------------------------------------------------------------
F_SCIENCE = 1
F_TX = 2
F_BROWNOUT = 4
F_SAFE = 8
F_ISRU = 16
F_COMMS = 32
F_FUEL_CELL = 64

# --- event codes -------------------------------------------------------------------------
E_BROWNOUT_START = 1
E_BROWNOUT_END = 2
E_SAFE_ENTER = 3
E_SAFE_EXIT = 4
E_SHED_SCIENCE = 5
E_RESTORE_SCIENCE = 6
E_BUFFER_HOLD = 7
E_BUFFER_RELEASE = 8
E_THERMAL_LOW = 9
E_THERMAL_OK = 10
E_DATA_LOSS_START = 11
E_DATA_LOSS_END = 12


@njit(cache=True)
def _event(i, code, value, ev_step, ev_code, ev_value, n_ev):
    if n_ev < ev_step.size:
        ev_step[n_ev] = i
        ev_code[n_ev] = code
        ev_value[n_ev] = value
    return n_ev + 1


@njit(cache=True)
def run_block(gen_w, load0_w, load1_w, load2_w, sci_bit_s, hk_bit_s, isru_max_w, dl_bit_s,
              cap_j, charge_max_w, surface_k, node_on, rhu_w, o2_in_kg, o2_demand_kg,
              rfc_cap_j, params, node_par, state, node_t, acc, node_acc, agg_every, agg,
              flags, soc_out, temp_out, heater_out, ev_step, ev_code, ev_value):
    """Advance the station over ``gen_w.size`` steps; returns the number of events.

    Thermal nodes: ``node_par`` (nodes × tk.N_NPAR), ``node_on`` / ``rhu_w`` (steps ×
    nodes: present, RHU heat in W), ``node_t`` their temperatures (NaN until the first
    step present: they arrive at their set point), ``node_acc`` (nodes × tk.N_NACC) their
    heater energy, extreme temperatures and time below their limit.
    ``agg`` (bins × N_AGG) gets sums / extrema per bin of ``agg_every`` steps (fill the
    minimum channels with +inf and G_TEMP_MAX with -inf first); ``flags`` (uint8 per
    step) the F_* bits, ``soc_out`` the state of charge, ``temp_out`` the coldest node
    (NaN: none) and ``heater_out`` the heater power served after each step.
    """
    dt = params[P_DT]
    eta_c = params[P_ETA_C]
    eta_d = params[P_ETA_D]
    buf_cap = params[P_BUF_CAP]
    sky_k = params[P_SKY_K]
    n_nodes = node_t.size
    want = np.zeros(n_nodes)
    node_loss = np.zeros(n_nodes)   # each node's losses at the start of the step, W
    node_dloss = np.zeros(n_nodes)  # and their derivative, W/K
    n_ev = 0
    for i in range(gen_w.size):
        b = i // agg_every
        e = state[S_E]
        # -- batteries: arrivals, fade and cell loss ----------------------------------
        capn = cap_j[i]
        if capn > state[S_CAPN] * (1.0 + 1e-12) + 1e-9:
            added = (capn - state[S_CAPN]) * params[P_ARRIVAL_SOC]
            e += added
            acc[A_ARRIVAL] += added
        state[S_CAPN] = capn
        cap = capn * max(0.0, 1.0 - params[P_FADE] * state[S_CYCLES])
        if e > cap:
            acc[A_CAPLOSS] += e - cap
            e = cap
        floor = cap * params[P_FLOOR]
        # -- regenerative fuel cell: arrival, then the fuel cell if FDIR has it on -----------
        tank = state[S_RFC]
        rcap = rfc_cap_j[i]
        if rcap > state[S_RFC_CAPN] + 1e-9:
            added = (rcap - state[S_RFC_CAPN]) * params[P_RFC_FILL]
            tank += added
            acc[A_RFC_ARRIVAL] += added
        state[S_RFC_CAPN] = rcap
        fc_avail = 0.0    # what the fuel cell could give this step, W
        if state[S_RFC_ON] > 0.5 and tank > 0.0:
            fc_avail = min(params[P_FC_MAX_W], tank * params[P_ETA_FC] / dt)
        # -- demands: survival heaters first ---------------------------------------------
        heat = 0.0
        for j in range(n_nodes):
            want[j] = 0.0
            if node_on[i, j]:
                if node_t[j] != node_t[j]:          # arrives now, at its set point
                    node_t[j] = node_par[j, tk.N_SET]
                node_loss[j], node_dloss[j] = tk.node_losses(node_t[j], surface_k[i], sky_k,
                                                             node_par[j])
                want[j] = tk.heater_for(node_t[j], node_loss[j], node_dloss[j], rhu_w[i, j],
                                        dt, node_par[j])
                heat += want[j]
        d0 = load0_w[i] + heat
        safe = (state[S_SAFE] > 0.5 or state[S_CMD_SAFE] > 0.5
                or (params[P_COLD_SAFE] > 0.5 and state[S_COLD] > 0.5))
        sci_enabled = ((not safe) and state[S_SHED] < 0.5 and state[S_HOLD] < 0.5
                       and state[S_CMD_SHED] < 0.5)
        tx = (not safe) and dl_bit_s[i] > 0.0 and (state[S_BUF] > 0.0 or sci_bit_s[i] > 0.0
                                                   or hk_bit_s[i] > 0.0)
        d1 = load1_w[i] + (params[P_TX_W] if tx else 0.0)
        d2 = load2_w[i] if sci_enabled else 0.0
        if not sci_enabled:
            acc[A_SHED] += load2_w[i] * dt
        # -- serve by priority ----------------------------------------------------------
        p = gen_w[i] + fc_avail
        acc[A_GEN] += gen_w[i] * dt
        agg[b, G_GEN] += gen_w[i] * dt
        s0g = min(p, d0)
        p -= s0g
        rem0 = d0 - s0g
        s0b = min(rem0, e * eta_d / dt)
        rem0 -= s0b
        bat_out = s0b
        above = max(0.0, (e - floor) * eta_d / dt - bat_out)
        # communications (all or nothing)
        s1g = min(p, d1)
        rem1 = d1 - s1g
        comms_on = True
        if rem1 <= above + 1e-12:
            p -= s1g
            bat_out += rem1
            above -= rem1
        else:
            comms_on = False
            s1g = 0.0
            tx = False
        served1 = d1 if comms_on else 0.0
        unserved1 = 0.0 if comms_on else d1
        # science (all or nothing)
        s2g = min(p, d2)
        rem2 = d2 - s2g
        sci_on = sci_enabled
        if rem2 <= above + 1e-12:
            p -= s2g
            bat_out += rem2
            above -= rem2
        else:
            sci_on = False
        served2 = d2 if sci_on else 0.0
        unserved2 = 0.0 if sci_on else d2
        # the fuel cell serves only the bus deficit: what is left over is its share unused
        # (it never charges the battery, feeds ISRU or is curtailed)
        fc = fc_avail - min(fc_avail, p)
        p -= fc_avail - fc
        tank -= fc * dt / params[P_ETA_FC]
        # surplus: charge, then ISRU, then curtail
        e_after = e - bat_out * dt / eta_d
        charge = min(p, max(0.0, cap - e_after) / (eta_c * dt), charge_max_w[i])
        charge = max(charge, 0.0)
        p -= charge
        el = 0.0
        if fc == 0.0 and rcap > 0.0:
            el = min(p, params[P_EL_MAX_W], max(0.0, rcap - tank) / (params[P_ETA_EL] * dt))
            el = max(el, 0.0)
            p -= el
            tank += el * dt * params[P_ETA_EL]
        state[S_RFC] = tank
        rfc_loss = el * dt * (1.0 - params[P_ETA_EL]) + fc * dt * (1.0 / params[P_ETA_FC] - 1.0)
        acc[A_RFC_IN] += el * dt
        acc[A_RFC_OUT] += fc * dt
        acc[A_RFC_LOSS] += rfc_loss
        agg[b, G_RFC_IN] += el * dt
        agg[b, G_RFC_OUT] += fc * dt
        agg[b, G_RFC_END] = tank
        isru = min(p, isru_max_w[i])
        p -= isru
        curtailed = p
        e = e_after + charge * dt * eta_c
        if e < 0.0:  # rounding only
            e = 0.0
        loss = charge * dt * (1.0 - eta_c) + bat_out * dt * (1.0 / eta_d - 1.0)
        if capn > 0.0:
            state[S_CYCLES] += bat_out * dt / eta_d / capn
        served0 = d0 - rem0
        acc[A_SERVED0] += served0 * dt
        acc[A_SERVED1] += served1 * dt
        acc[A_SERVED2] += served2 * dt
        acc[A_ISRU] += isru * dt
        acc[A_CHARGE] += charge * dt
        acc[A_DISCHARGE] += bat_out * dt
        acc[A_LOSS] += loss
        acc[A_CURTAILED] += curtailed * dt
        # survival power not served
        short0 = rem0
        acc[A_UNSERVED0] += short0 * dt
        acc[A_UNSERVED1] += unserved1 * dt
        acc[A_UNSERVED2] += unserved2 * dt
        agg[b, G_SERVED0] += served0 * dt
        agg[b, G_SERVED1] += served1 * dt
        agg[b, G_SERVED2] += served2 * dt
        agg[b, G_ISRU] += isru * dt
        agg[b, G_CHARGE] += charge * dt
        agg[b, G_DISCHARGE] += bat_out * dt
        agg[b, G_CURTAILED] += curtailed * dt
        agg[b, G_UNSERVED0] += short0 * dt
        agg[b, G_LOSS] += loss
        # -- thermal: the nodes take the heat they were served ---------------------------
        share = served0 / d0 if d0 > 0.0 else 1.0
        temp_k = np.inf
        temp_hi = -np.inf
        cold = False
        for j in range(n_nodes):
            if not node_on[i, j]:
                continue
            h = want[j] * share
            npar = node_par[j]
            t_new = tk.advance_with(node_t[j], node_loss[j], node_dloss[j], h, rhu_w[i, j],
                                    dt, npar, share)
            node_t[j] = t_new
            node_acc[j, tk.NA_HEATER_J] += h * dt
            node_acc[j, tk.NA_MIN_K] = min(node_acc[j, tk.NA_MIN_K], t_new)
            node_acc[j, tk.NA_MAX_K] = max(node_acc[j, tk.NA_MAX_K], t_new)
            if t_new < npar[tk.N_MIN]:
                node_acc[j, tk.NA_COLD_S] += dt
                cold = True
            temp_k = min(temp_k, t_new)
            temp_hi = max(temp_hi, t_new)
        state[S_HEAT] = heat * share
        heater_out[i] = heat * share
        temp_out[i] = temp_k if temp_hi > -np.inf else np.nan
        agg[b, G_HEATER] += heat * share * dt
        agg[b, G_SURF_END] = surface_k[i]
        # -- data ----------------------------------------------------------------------------
        buf = state[S_BUF]
        made = hk_bit_s[i] * dt if comms_on else 0.0
        if sci_on:
            made += sci_bit_s[i] * dt
        buf += made
        down = 0.0
        if tx:
            down = min(buf, dl_bit_s[i] * dt)
            buf -= down
            acc[A_TX_STEPS] += 1.0
        lost = 0.0
        if buf > buf_cap:
            lost = buf - buf_cap
            buf = buf_cap
        state[S_BUF] = buf
        acc[A_DATA_GEN] += made
        acc[A_DATA_DOWN] += down
        acc[A_DATA_LOST] += lost
        agg[b, G_DATA_DOWN] += down
        agg[b, G_DATA_LOST] += lost
        # -- oxygen ----------------------------------------------------------------------------
        o2 = state[S_O2] + o2_in_kg[i]
        made_o2 = isru * dt / params[P_J_PER_KG_O2]
        o2 += made_o2
        need = o2_demand_kg[i]
        if o2 >= need:
            o2 -= need
            acc[A_O2_USED] += need
        else:
            acc[A_O2_USED] += o2
            acc[A_O2_SHORT] += need - o2
            o2 = 0.0
        state[S_O2] = o2
        acc[A_O2_MADE] += made_o2
        agg[b, G_O2_MADE] += made_o2
        # -- state, flags, FDIR ------------------------------------------------------------
        state[S_E] = e
        soc = e / cap if cap > 0.0 else 1.0
        f = 0
        if sci_on and d2 > 0.0:
            f |= F_SCIENCE
        if tx:
            f |= F_TX
        if comms_on:
            f |= F_COMMS
        if isru > 0.0:
            f |= F_ISRU
        if short0 > 1e-9:
            f |= F_BROWNOUT
            acc[A_BROWN_STEPS] += 1.0
            if state[S_BROWN] < 0.5:
                n_ev = _event(i, E_BROWNOUT_START, short0, ev_step, ev_code, ev_value, n_ev)
                state[S_BROWN] = 1.0
        elif state[S_BROWN] > 0.5:
            n_ev = _event(i, E_BROWNOUT_END, 0.0, ev_step, ev_code, ev_value, n_ev)
            state[S_BROWN] = 0.0
        if cold and state[S_COLD] < 0.5:
            n_ev = _event(i, E_THERMAL_LOW, temp_k, ev_step, ev_code, ev_value, n_ev)
            state[S_COLD] = 1.0
        elif not cold and state[S_COLD] > 0.5:
            n_ev = _event(i, E_THERMAL_OK, temp_k, ev_step, ev_code, ev_value, n_ev)
            state[S_COLD] = 0.0
        if lost > 0.0 and state[S_LOSS] < 0.5:
            n_ev = _event(i, E_DATA_LOSS_START, lost, ev_step, ev_code, ev_value, n_ev)
            state[S_LOSS] = 1.0
        elif lost <= 0.0 and state[S_LOSS] > 0.5:
            n_ev = _event(i, E_DATA_LOSS_END, 0.0, ev_step, ev_code, ev_value, n_ev)
            state[S_LOSS] = 0.0
        if cap > 0.0:
            if state[S_SAFE] < 0.5 and soc < params[P_SAFE]:
                n_ev = _event(i, E_SAFE_ENTER, soc, ev_step, ev_code, ev_value, n_ev)
                state[S_SAFE] = 1.0
            elif state[S_SAFE] > 0.5 and soc > params[P_EXIT_SAFE]:
                n_ev = _event(i, E_SAFE_EXIT, soc, ev_step, ev_code, ev_value, n_ev)
                state[S_SAFE] = 0.0
            if state[S_SHED] < 0.5 and soc < params[P_SHED]:
                n_ev = _event(i, E_SHED_SCIENCE, soc, ev_step, ev_code, ev_value, n_ev)
                state[S_SHED] = 1.0
            elif state[S_SHED] > 0.5 and soc > params[P_RESTORE]:
                n_ev = _event(i, E_RESTORE_SCIENCE, soc, ev_step, ev_code, ev_value, n_ev)
                state[S_SHED] = 0.0
        if state[S_HOLD] < 0.5 and buf > params[P_BUF_HOLD] * buf_cap:
            n_ev = _event(i, E_BUFFER_HOLD, buf, ev_step, ev_code, ev_value, n_ev)
            state[S_HOLD] = 1.0
        elif state[S_HOLD] > 0.5 and buf < params[P_BUF_RESUME] * buf_cap:
            n_ev = _event(i, E_BUFFER_RELEASE, buf, ev_step, ev_code, ev_value, n_ev)
            state[S_HOLD] = 0.0
        if rcap > 0.0 and state[S_RFC_ON] < 0.5 and soc < params[P_RFC_ON_SOC]:
            state[S_RFC_ON] = 1.0
        elif state[S_RFC_ON] > 0.5 and (soc > params[P_RFC_OFF_SOC] or tank <= 0.0):
            state[S_RFC_ON] = 0.0
        if fc > 0.0:
            f |= F_FUEL_CELL
        if (state[S_SAFE] > 0.5 or state[S_CMD_SAFE] > 0.5
                or (params[P_COLD_SAFE] > 0.5 and state[S_COLD] > 0.5)):
            f |= F_SAFE
        flags[i] = f
        soc_out[i] = soc
        agg[b, G_SOC_END] = soc
        if cap > 0.0:                     # no battery yet: no state of charge to count
            agg[b, G_SOC_MIN] = min(agg[b, G_SOC_MIN], soc)
        agg[b, G_BUF_END] = buf
        agg[b, G_TEMP_MIN] = min(agg[b, G_TEMP_MIN], temp_k)
        agg[b, G_TEMP_MAX] = max(agg[b, G_TEMP_MAX], temp_hi)
        agg[b, G_O2_END] = o2
    return n_ev


def new_state() -> np.ndarray:
    """A fresh state vector (empty battery, empty buffer, nominal modes)."""
    return np.zeros(N_STATE)


def new_accumulators() -> np.ndarray:
    return np.zeros(N_ACC)


def new_node_state(n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Temperatures of ``n_nodes`` thermal nodes not yet arrived, and their accumulators."""
    acc = np.zeros((n_nodes, tk.N_NACC))
    acc[:, tk.NA_MIN_K] = np.inf
    acc[:, tk.NA_MAX_K] = -np.inf
    return np.full(n_nodes, np.nan), acc


def new_aggregates(n_bins: int) -> np.ndarray:
    """Aggregate bins with their extrema channels ready to be folded."""
    agg = np.zeros((n_bins, N_AGG))
    agg[:, G_SOC_MIN] = np.inf
    agg[:, G_TEMP_MIN] = np.inf
    agg[:, G_TEMP_MAX] = -np.inf
    return agg
