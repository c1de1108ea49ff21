"""Resource trajectories of a plan on slots: battery energy and data buffer (pure numba).

The same recurrences the CP-SAT model bounds (:mod:`ilrs.plan.cpsat`): the battery takes
``η_c·net`` when there is a surplus (at most ``charge`` per slot, up to its capacity) and
gives ``net/η_d`` in a deficit; the regenerative fuel cell, while the battery's energy at a
slot's start is below ``fc_on`` (FDIR's switch-on level) and its tanks hold energy, serves
the slot's deficit first (at most ``fc_max`` per slot, never charging the battery); the
buffer grows by what is made and drains by what the links carry, never below empty.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def fuel_cell_wh(e, net, fc_on, fc_max, tank):
    """What the fuel cell gives in a slot that starts at battery energy ``e`` with the
    bus short of ``-net`` (Wh)."""
    if e < fc_on and tank > 0 and net < 0:
        return min(-net, fc_max, tank)
    return 0


@njit(cache=True)
def battery_wh(gen, base, act, cap, charge, e0, eta_c, eta_d, fc_on, fc_max, fc0):
    """Energy after each slot, Wh (``act``: the activities' energy per slot; ``fc_on``,
    ``fc_max`` per slot and ``fc0``: the fuel cell, see the module doc)."""
    n = gen.size
    out = np.empty(n)
    e = float(e0)
    tank = float(fc0)
    for s in range(n):
        net = float(gen[s] - base[s]) - act[s]
        f = fuel_cell_wh(e, net, float(fc_on[s]), float(fc_max[s]), tank)
        tank -= f
        net += f
        if net >= 0.0:
            e = min(e + min(eta_c * net, float(charge[s])), float(cap[s]))
        else:
            e = min(e + net / eta_d, float(cap[s]))
        out[s] = e
    return out


@njit(cache=True)
def battery_wh_rounded(gen, base, act, cap, charge, e0, ec, ed, scale, fc_on, fc_max, fc0,
                       fc_out):
    """The CP-SAT model's integer recurrence (efficiencies ``ec / scale`` and ``ed / scale``,
    integer Wh): the most energy its constraints allow after each slot, the fuel cell's
    Wh per slot written to ``fc_out``."""
    n = gen.size
    out = np.empty(n, np.int64)
    e = int(e0)
    tank = int(fc0)
    for s in range(n):
        net = int(gen[s] - base[s] - act[s])
        f = fuel_cell_wh(e, net, int(fc_on[s]), int(fc_max[s]), tank)
        fc_out[s] = f
        tank -= f
        net += f
        e = min((scale * e + ec * net) // scale, (ed * e + scale * net) // ed,
                e + int(charge[s]), int(cap[s]))
        out[s] = e
    return out


@njit(cache=True)
def buffer_units(hk, act, downlink, b0):
    """Buffer content after each slot (data units), from ``b0``."""
    n = hk.size
    out = np.empty(n)
    b = float(b0)
    for s in range(n):
        b = max(0.0, b + float(hk[s]) + act[s] - float(downlink[s]))
        out[s] = b
    return out
