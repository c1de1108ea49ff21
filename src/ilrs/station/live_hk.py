"""Housekeeping of the live twin: the loop's state and last step as values by element.

State values (state of charge, stored energy, buffer, oxygen, FDIR and ground modes) are
those after the last step, i.e. what the next step starts from; flows (powers, rates) are
those of the last step, from its own accumulators. Before the first step the flows are
zero and the state is the loop's initial one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ilrs.sky.timescale import tdb_s_to_utc_iso
from ilrs.station import _kernels as k
from ilrs.station import faults as flt
from ilrs.station.build import payload_power_w, rover_power_w
from ilrs.station.live_catalog import ROVER_STATES
from ilrs.station.live_types import Housekeeping, IsruHk, PayloadHk, RoverHk, StationHk

if TYPE_CHECKING:  # pragma: no cover
    from ilrs.station.live_types import LastStep
    from ilrs.station.live_types import LiveTwinView as LiveTwin

__all__ = ["housekeeping_of"]

_CAST = {"bool": bool, "float64": float, "float32": float}


def _w(acc: np.ndarray, index: int, dt: float) -> float:
    """A flow of the last step from its accumulator (J, bit, kg) over the step."""
    return float(acc[index] / dt)


def _on(state: np.ndarray, index: int) -> bool:
    return bool(state[index] > 0.5)


def _coldest(live: LiveTwin, last: LastStep | None) -> float:
    """The coldest thermal node after the last step (before any: the first node's set
    point; no node: 293 K)."""
    if last is not None and np.isfinite(last.agg[k.G_TEMP_MIN]):
        return float(last.agg[k.G_TEMP_MIN])
    nodes = live.scenario.thermal.nodes
    return float(nodes[0].setpoint_k) if nodes else 293.0


def housekeeping_of(live: LiveTwin, last: LastStep | None) -> Housekeeping:
    """The housekeeping of ``live`` whose last step run is ``last`` (None: none yet)."""
    dt = live.step_s
    now = live.now_tdb_s
    st = live.state
    p = live.params
    acc1 = last.acc if last is not None else np.zeros(k.N_ACC)
    flags = int(last.block.flags[last.j]) if last is not None else 0
    inp = last.block.inputs if last is not None else None
    j = last.j if last is not None else 0
    t_last = float(last.block.t[last.j]) if last is not None else now
    cap = st[k.S_CAPN] * max(0.0, 1.0 - p[k.P_FADE] * st[k.S_CYCLES])
    soc = float(last.block.soc[last.j]) if last is not None else (
        st[k.S_E] / cap if cap > 0.0 else 1.0)
    buf_cap = p[k.P_BUF_CAP]
    unserved = acc1[k.A_UNSERVED0] + acc1[k.A_UNSERVED1] + acc1[k.A_UNSERVED2]
    station_el = live.by_id.get("station")
    station = StationHk(
        utc=tdb_s_to_utc_iso(np.array([now]), 0)[0] + "Z", tdb_s=now, steps=live.steps,
        landed=station_el is not None and station_el.arrival_tdb_s <= now,
        soc=soc, energy_j=float(st[k.S_E]), capacity_j=float(cap),
        rfc_tank_j=float(st[k.S_RFC]), fuel_cell_on=_on(st, k.S_RFC_ON),
        generation_w=_w(acc1, k.A_GEN, dt), fuel_cell_w=_w(acc1, k.A_RFC_OUT, dt),
        survival_w=_w(acc1, k.A_SERVED0, dt), comms_w=_w(acc1, k.A_SERVED1, dt),
        science_w=_w(acc1, k.A_SERVED2, dt), isru_w=_w(acc1, k.A_ISRU, dt),
        unserved_w=float(unserved / dt), unserved_survival_w=_w(acc1, k.A_UNSERVED0, dt),
        charge_w=_w(acc1, k.A_CHARGE, dt), discharge_w=_w(acc1, k.A_DISCHARGE, dt),
        curtailed_w=_w(acc1, k.A_CURTAILED, dt),
        buffer_bit=float(st[k.S_BUF]),
        buffer_fill=float(st[k.S_BUF] / buf_cap) if buf_cap > 0 else 0.0,
        generated_bit_s=_w(acc1, k.A_DATA_GEN, dt), downlink_bit_s=_w(acc1, k.A_DATA_DOWN, dt),
        link_rate_bit_s=float(inp.dl_bit_s[j]) if inp is not None else 0.0,
        dte_contact=bool(inp.dte_ok[j]) if inp is not None else False,
        relay_contact=bool(inp.relay_ok[j]) if inp is not None else False,
        transmitting=bool(flags & k.F_TX),
        safe_mode=(_on(st, k.S_SAFE) or _on(st, k.S_CMD_SAFE)
                   or (_on(st, k.S_COLD) and p[k.P_COLD_SAFE] > 0.5)),
        fdir_safe_mode=_on(st, k.S_SAFE), science_shed=_on(st, k.S_SHED),
        buffer_hold=_on(st, k.S_HOLD), brownout=_on(st, k.S_BROWN),
        data_loss=_on(st, k.S_LOSS), thermal_low=_on(st, k.S_COLD),
        ops_safe_hold=_on(st, k.S_CMD_SAFE), ops_science_hold=_on(st, k.S_CMD_SHED),
        temp_k=_coldest(live, last),
        surface_k=float(inp.surface_k[j]) if inp is not None else 0.0,
        heater_w=float(st[k.S_HEAT]),
        o2_kg=float(st[k.S_O2]),
        crew=int(inp.crew_present[j]) if inp is not None else 0,
    )
    ops = live.overrides
    sci = bool(flags & k.F_SCIENCE)
    comms_on = bool(flags & k.F_COMMS)
    served0 = acc1[k.A_SERVED0]
    fraction0 = served0 / (served0 + acc1[k.A_UNSERVED0]) if served0 > 0 else 0.0
    payloads: dict[str, PayloadHk] = {}
    rovers: dict[str, RoverHk] = {}
    isru = None
    t_now = np.array([t_last])
    for el in live.elements:
        landed = el.arrival_tdb_s <= now
        if el.role == "payload":
            pl = live.twin.up.payloads[el.index]
            wants = bool(inp.payload_running[el.index, j]) if inp is not None else False
            power = float(payload_power_w(pl, last.sun_elem)) if last is not None else 0.0
            if pl.priority == 2:
                on = wants and sci
                duty = 1.0 if live.running_planned("payload", el.index) else pl.duty
                power_w, rate = (power * duty, pl.data_rate_bit_s * duty) if on else (
                    0.0, 0.0)
            elif pl.priority == 1:
                on = wants and comms_on
                power_w, rate = (power if on else 0.0), 0.0
            else:
                on = wants
                power_w = power * fraction0 if on else 0.0
                rate = pl.data_rate_bit_s if on and comms_on else 0.0
            payloads[el.id] = PayloadHk(
                el.id, el.name, landed, el.index not in ops.payloads_off, bool(on),
                float(power_w), float(rate),
                float(live.payload_science_steps[el.index] * dt))
        elif el.role == "rover":
            r = live.scenario.rovers[el.index]
            driving = bool(inp.rover_driving[el.index, j]) and sci if inp is not None else False
            planned = _planned_km(live, el.index)
            held = el.index in ops.rovers_held
            if not landed:
                state = "not-landed"
            elif driving:
                state = "driving"
            elif planned >= r.campaign_km - 1e-9:
                state = "complete"
            elif flt.blocked(live.fault_occurrences, "rover-fault", r.id, t_now)[0]:
                state = "fault"
            else:
                state = "held" if held else "idle"
            rovers[el.id] = RoverHk(
                el.id, landed, state, ROVER_STATES.index(state), driving, held,
                live.driven_km(el.index), planned,
                rover_power_w(r) if driving else 0.0)
        elif el.role == "isru":
            stuck = any(flt.blocked(live.fault_occurrences, "isru-stuck", pl.id, t_now)[0]
                        for pl in live.scenario.isru)
            isru = IsruHk(
                landed, not ops.isru_off, bool(flags & k.F_ISRU), bool(stuck),
                _w(acc1, k.A_ISRU, dt), float(inp.isru_max_w[j]) if inp is not None else 0.0,
                _w(acc1, k.A_O2_MADE, dt), float(live.acc[k.A_O2_MADE]))
    records = {"station": station, **payloads, **rovers}
    if isru is not None:
        records[next(e.id for e in live.elements if e.role == "isru")] = isru
    values: dict[str, float | int | bool] = {}
    for eid, specs in live.parameter_specs.items():
        rec = records[eid]
        for spec in specs:
            values[f"{eid}.{spec.name}"] = _CAST.get(spec.type, int)(getattr(rec, spec.attr))
    return Housekeeping(station, payloads, rovers, isru, values)


def _planned_km(live: LiveTwin, index: int) -> float:
    """A rover's planned distance up to the current step (the block's plan is ahead)."""
    b = live.current_block
    if b is None or live.steps >= b.i1:
        return float(live.rover_km[index])
    j = live.steps - b.i0
    return float(b.km_before[index]
                 + b.inputs.rover_driving[index, :j].sum() * live.km_per_step[index])
