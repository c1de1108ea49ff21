"""Autonomy (FDIR): the limit rules of the time loop, their event codes and messages.

The rules themselves run inside the compiled loop (:mod:`ilrs.station._kernels`): state of
charge below ``shed_science_soc`` sheds science and ISRU, below ``safe_mode_soc`` enters
safe mode (science off, transmitter off: survival and receivers only), each with a
hysteresis to restore; a buffer above ``buffer_hold_fraction`` holds science until it
drains below ``buffer_resume_fraction``; a thermal node below its ``min_k`` puts the
station in safe mode until every node is back (``thermal_safe_mode``); survival loads —
the heaters among them — may use the battery below the depth-of-discharge floor, down to
empty, so they stay powered wherever energy exists.
Time-based rules (ISRU retries, relay back-up, rover safing) are in
:mod:`ilrs.station.faults`.
"""

from __future__ import annotations

import numpy as np

from ilrs.station import _kernels as k
from ilrs.station.config import FdirRules

__all__ = ["EVENTS", "describe", "kernel_params"]

#: Event code -> (source, kind).
EVENTS = {
    k.E_BROWNOUT_START: ("power", "brownout"),
    k.E_BROWNOUT_END: ("power", "brownout-end"),
    k.E_SAFE_ENTER: ("fdir", "safe-mode"),
    k.E_SAFE_EXIT: ("fdir", "safe-mode-exit"),
    k.E_SHED_SCIENCE: ("fdir", "shed-science"),
    k.E_RESTORE_SCIENCE: ("fdir", "restore-science"),
    k.E_BUFFER_HOLD: ("fdir", "buffer-hold"),
    k.E_BUFFER_RELEASE: ("fdir", "buffer-release"),
    k.E_THERMAL_LOW: ("thermal", "below-limit"),
    k.E_THERMAL_OK: ("thermal", "back-in-limits"),
    k.E_DATA_LOSS_START: ("data", "overflow"),
    k.E_DATA_LOSS_END: ("data", "overflow-end"),
}


def describe(code: int, value: float) -> str:
    """A one-line message for a loop event."""
    if code == k.E_BROWNOUT_START:
        return f"survival loads short by {value:.0f} W"
    if code == k.E_BROWNOUT_END:
        return "survival loads powered again"
    if code in (k.E_SAFE_ENTER, k.E_SHED_SCIENCE):
        action = "enter safe mode" if code == k.E_SAFE_ENTER else "shed science and ISRU"
        return f"SOC {100 * value:.1f} %: {action}"
    if code in (k.E_SAFE_EXIT, k.E_RESTORE_SCIENCE):
        action = "exit safe mode" if code == k.E_SAFE_EXIT else "restore science"
        return f"SOC {100 * value:.1f} %: {action}"
    if code == k.E_BUFFER_HOLD:
        return f"buffer {value / 8e9:.1f} GB: hold science"
    if code == k.E_BUFFER_RELEASE:
        return f"buffer {value / 8e9:.1f} GB: resume science"
    if code == k.E_THERMAL_LOW:
        return f"thermal node at {value:.1f} K, below its limit"
    if code == k.E_THERMAL_OK:
        return f"thermal nodes back in limits (coldest {value:.1f} K)"
    if code == k.E_DATA_LOSS_START:
        return "buffer full: data lost"
    return "buffer no longer overflowing"


def kernel_params(rules: FdirRules, *, step_s: float, battery, buffer_bit: float,
                  transmitter_w: float, isru_kwh_per_kg: float, sky_k: float = 3.0,
                  rfc=None) -> np.ndarray:
    """The loop's parameter vector (see the P_* indices of ``_kernels``)."""
    p = np.zeros(k.N_PARAMS)
    p[k.P_DT] = step_s
    p[k.P_ETA_C] = battery.charge_efficiency if battery else 1.0
    p[k.P_ETA_D] = battery.discharge_efficiency if battery else 1.0
    p[k.P_FLOOR] = 1.0 - battery.depth_of_discharge if battery else 0.0
    p[k.P_FADE] = battery.fade_per_cycle if battery else 0.0
    p[k.P_ARRIVAL_SOC] = battery.arrival_soc if battery else 0.0
    p[k.P_SHED] = rules.shed_science_soc
    p[k.P_RESTORE] = rules.restore_science_soc
    p[k.P_SAFE] = rules.safe_mode_soc
    p[k.P_EXIT_SAFE] = rules.exit_safe_mode_soc
    p[k.P_BUF_CAP] = buffer_bit
    p[k.P_BUF_HOLD] = rules.buffer_hold_fraction
    p[k.P_BUF_RESUME] = rules.buffer_resume_fraction
    p[k.P_TX_W] = transmitter_w
    p[k.P_J_PER_KG_O2] = isru_kwh_per_kg * 3.6e6
    p[k.P_SKY_K] = sky_k
    p[k.P_COLD_SAFE] = 1.0 if rules.thermal_safe_mode else 0.0
    p[k.P_ETA_EL] = rfc.electrolysis_efficiency if rfc else 1.0
    p[k.P_ETA_FC] = rfc.fuel_cell_efficiency if rfc else 1.0
    p[k.P_EL_MAX_W] = rfc.electrolyser_max_w if rfc else 0.0
    p[k.P_FC_MAX_W] = rfc.fuel_cell_max_w if rfc else 0.0
    p[k.P_RFC_ON_SOC] = rfc.on_below_soc if rfc else 0.0
    p[k.P_RFC_OFF_SOC] = rfc.off_above_soc if rfc else 1.0
    p[k.P_RFC_FILL] = rfc.arrival_fill if rfc else 0.0
    return p
