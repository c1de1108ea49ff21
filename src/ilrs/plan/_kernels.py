"""Resource trajectories of a plan on slots: battery energy and data buffer (pure numba).

The same recurrences the CP-SAT model bounds (:mod:`ilrs.plan.cpsat`): the battery takes
``η_c·net`` when there is a surplus (at most ``charge`` per slot, up to its capacity) and
gives ``net/η_d`` in a deficit; the regenerative fuel cell, switched on by FDIR when the
battery's energy at a slot's start is below ``fc_on`` and off once it is above ``fc_off``
(its hysteresis) or the tanks are empty, serves the slot's whole deficit while on (at most
``fc_max`` per slot, never charging the battery); the buffer grows by what is made and
drains by what the links carry, never below empty.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def fuel_cell_on(e, on, fc_on, fc_off, tank):
    """Whether FDIR has the fuel cell on in a slot starting at battery energy ``e`` (it was
    ``on`` in the slot before; with empty tanks it gives nothing)."""
    return e < fc_on or (on and e <= fc_off)


@njit(cache=True)
def battery_wh(gen, base, act, cap, charge, e0, eta_c, eta_d, fc_on, fc_off, fc_max, fc0,
               on0):
    """Energy after each slot, Wh (``act``: the activities' energy per slot; ``fc_on``,
    ``fc_off``, ``fc_max`` per slot, ``fc0`` and ``on0``: the fuel cell, see the module
    doc)."""
    n = gen.size
    out = np.empty(n)
    e = float(e0)
    tank = float(fc0)
    on = on0
    for s in range(n):
        net = float(gen[s] - base[s]) - act[s]
        on = fuel_cell_on(e, on, float(fc_on[s]), float(fc_off[s]), tank)
        f = min(max(0.0, -net), float(fc_max[s]), tank) if on else 0.0
        tank -= f
        net += f
        if net >= 0.0:
            e = min(e + min(eta_c * net, float(charge[s])), float(cap[s]))
        else:
            e = min(e + net / eta_d, float(cap[s]))
        out[s] = e
    return out


@njit(cache=True)
def battery_wh_rounded(gen, base, act, cap, charge, e0, ec, ed, scale, fc_on, fc_off, fc_max,
                       fc0, on0, fc_out, on_out):
    """The CP-SAT model's integer recurrence (efficiencies ``ec / scale`` and ``ed / scale``,
    integer Wh): the most energy its constraints allow after each slot; the fuel cell's Wh
    and state in each slot written to ``fc_out`` and ``on_out``."""
    n = gen.size
    out = np.empty(n, np.int64)
    e = int(e0)
    tank = int(fc0)
    on = on0
    for s in range(n):
        net = int(gen[s] - base[s] - act[s])
        on = fuel_cell_on(e, on, int(fc_on[s]), int(fc_off[s]), tank)
        f = min(max(0, -net), int(fc_max[s]), tank) if on else 0
        fc_out[s] = f
        on_out[s] = on
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
