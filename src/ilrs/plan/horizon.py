"""The planning horizon: the twin's own per-step inputs, gathered into plan slots.

The twin computes, every step, what the station generates, what its survival and
communication loads draw, the downlink rate, the battery's capacity and the conditions
(:func:`ilrs.station.schedule.step_conditions`: the Sun through the site's real horizon,
the Earth and the relay above the antenna's horizon and masks, eclipses, crew on site).
:meth:`Horizon.from_twin` runs exactly that code over the horizon and reduces it to slots of
``slot_s``: energies and data are summed, capacities take their minimum, and a slot meets a
condition only if every step in it does (so a plan on slots never breaks a condition at
the twin's 1-minute steps).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ilrs.errors import InputError
from ilrs.sky.timescale import tdb_s_to_utc_iso, utc_to_tdb_s
from ilrs.station import Twin
from ilrs.station import faults as flt
from ilrs.station.build import block_inputs, payload_power_w, rover_power_w
from ilrs.station.schedule import Schedule, step_conditions
from ilrs.station.thermal import steady_heater_w
from ilrs.station.timeline import Timeline

__all__ = ["Horizon", "station_arrivals", "utc_to_tdb"]


def utc_to_tdb(iso: str) -> float:
    """TDB seconds of a UTC ISO date or date-time."""
    text = iso if "T" in iso else iso + "T00:00:00"
    try:
        return float(utc_to_tdb_s([text])[0])
    except ValueError as exc:
        raise InputError("start", iso, f"an ISO UTC date or date-time ({exc})") from None


@dataclass
class Horizon:
    """Per-slot resource profiles and condition flags of a stretch of station life."""

    start_tdb_s: float
    slot_s: float
    step_s: float
    gen_j: np.ndarray            # energy generated in each slot
    base_j: np.ndarray           # survival + communications (+ transmitter in contact)
    charge_max_w: np.ndarray
    cap_j: np.ndarray            # battery capacity (minimum over the slot, faded: see below)
    downlink_bit: np.ndarray     # what the links can carry in the slot
    hk_bit: np.ndarray           # housekeeping data made in the slot
    buffer_bit: float
    conditions: dict[str, np.ndarray]   # name -> bool per slot (all steps meet it)
    sink_min_k: np.ndarray
    sink_max_k: np.ndarray
    crew: np.ndarray             # crew members on site (minimum over the slot)
    eta_c: float
    eta_d: float
    initial_energy_j: float
    initial_buffer_bit: float = 0.0
    science_from_slot: int = 0   # FDIR holds science until then (a buffer to drain first)
    #: per slot, whether the station's own transmitters (DTE or relay link) are on at any
    #: step of it: the twin transmits whenever a link's downlink rate is above zero (and
    #: the station is not in safe mode), so a radio-quiet activity runs only where False
    transmitter_on: np.ndarray | None = None
    #: per condition (``conditions``' names and ``"quiet"``: no transmitter on), the
    #: seconds at the end of each slot it holds without a break (``lead_s``: a window
    #: opening inside the slot) and at its start (``trail_s``: a window closing inside it)
    lead_s: dict[str, np.ndarray] = field(default_factory=dict)
    trail_s: dict[str, np.ndarray] = field(default_factory=dict)
    #: FDIR's science hysteresis (J per slot, shares of the capacity before fade: never
    #: below the twin's): it sheds science below ``shed_j`` (``shed_science_soc``) and
    #: restores it above ``restore_j`` (``restore_science_soc``); ``shed_at_start``: it
    #: has shed science at the start. None: no FDIR model (the planners ignore it).
    restore_j: np.ndarray | None = None
    shed_j: np.ndarray | None = None
    shed_at_start: bool = False
    #: When what an activity uses is on site (TDB s): ``payload:NAME`` (its landing),
    #: ``rover:ID`` (its landing plus the days before it starts driving, as the twin's rule)
    #: and ``mission:ID`` (a landing); empty: everything on site from the start.
    arrivals_tdb_s: dict[str, float] = field(default_factory=dict)
    #: each rover's driving speed (km/h), for a leg's distance
    rover_km_per_h: dict[str, float] = field(default_factory=dict)
    #: what each twin load (``payload:NAME``, ``rover:ID``) draws in each slot it runs
    #: whole (J) and its data (bit), from the twin's own models (a payload's night-to-day
    #: power with the visible Sun), and its highest power (W)
    load_j: dict[str, np.ndarray] = field(default_factory=dict)
    load_bit: dict[str, np.ndarray] = field(default_factory=dict)
    load_peak_w: dict[str, float] = field(default_factory=dict)
    #: per twin load (``rover:ID``), the slots in which a fault of the scenario holds it
    #: (a rover fault: the twin does not drive it, so a plan may not either)
    held: dict[str, np.ndarray] = field(default_factory=dict)
    #: the deepest dip of the battery inside each slot below its ends' straight line (J)
    dip_j: np.ndarray | None = None
    rise_j: np.ndarray | None = None     # ... and the highest rise above it (J)
    #: the regenerative fuel cell: what its tanks hold at the start (J, electric out), its
    #: most power (W) and the battery energy below which FDIR switches it on (J per slot)
    fc_energy_j: float = 0.0
    fc_max_w: float = 0.0
    fc_on_j: np.ndarray | None = None
    fc_off_j: np.ndarray | None = None     # ... and off above this one (its hysteresis)
    fc_on_at_start: bool = False
    #: the battery's capacity before fade (minimum over the slot): the floor is a share of
    #: it (the twin's state of charge is a share of the faded capacity, between the two)
    cap_nominal_j: np.ndarray | None = None

    @property
    def n_slots(self) -> int:
        return self.gen_j.size

    @property
    def stop_tdb_s(self) -> float:
        return self.start_tdb_s + self.n_slots * self.slot_s

    def slot_tdb_s(self, slot) -> np.ndarray:
        return self.start_tdb_s + np.asarray(slot, float) * self.slot_s

    def utc(self, slot) -> list[str]:
        return list(tdb_s_to_utc_iso(np.atleast_1d(self.slot_tdb_s(slot)), 0))

    def on_site(self, payload: str | None = None, rover: str | None = None,
                mission: str | None = None) -> np.ndarray:
        """Slots that start once the payload, the rover and the mission named are on site
        (a plan never runs a load before it has landed)."""
        missing = np.inf if self.arrivals_tdb_s else -np.inf   # never lands / not known
        first = max([self.arrivals_tdb_s.get(key, missing) for key in
                     (f"payload:{payload}" if payload else None,
                      f"rover:{rover}" if rover else None,
                      f"mission:{mission}" if mission else None) if key] or [-np.inf])
        return self.slot_tdb_s(np.arange(self.n_slots)) >= first - 1e-3

    def ok(self, needs, thermal_k: tuple[float, float] | None = None,
           radio_quiet: bool = False) -> np.ndarray:
        """Slots meeting every condition in ``needs`` (and, ``radio_quiet``, with the
        station's transmitters off all through)."""
        ok = np.ones(self.n_slots, bool)
        if radio_quiet and self.transmitter_on is not None:
            ok &= ~self.transmitter_on
        for need in needs:
            if need == "thermal_window":
                lo, hi = thermal_k
                ok &= (self.sink_min_k >= lo) & (self.sink_max_k <= hi)
            else:
                ok &= self.conditions[need]
        return ok

    def edges_s(self, needs, radio_quiet: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Per slot, the seconds at its end and at its start through which every condition
        of ``needs`` (and radio quiet) holds without a break (zeros where a need has no
        step record, e.g. a thermal window): where a condition window opens or closes
        inside a slot, the part of it an activity may still use."""
        names = [*needs, "quiet"] if radio_quiet else list(needs)
        full = np.full(self.n_slots, self.slot_s)
        lead, trail = full.copy(), full.copy()
        for name in names:
            if name not in self.lead_s:
                return np.zeros(self.n_slots), np.zeros(self.n_slots)
            lead = np.minimum(lead, self.lead_s[name])
            trail = np.minimum(trail, self.trail_s[name])
        return lead, trail

    @classmethod
    def from_twin(cls, twin: Twin, start_tdb_s: float, days: float, slot_s: float,
                  initial: dict | None = None, covers: tuple[str, ...] | None = None
                  ) -> Horizon:
        """The horizon of ``days`` from ``start_tdb_s`` (TDB s) of ``twin``'s station;
        ``initial``: the station's state then (``energy_j``, ``buffer_bit``, ``hold``: FDIR
        holding science for the buffer, ``shed``: FDIR having shed science for the
        battery, ``rfc_j``: the fuel-cell tanks), from
        :func:`ilrs.plan.replay.warm_state`; default a fresh station (batteries and tanks
        at their arrival fill, an empty buffer). ``covers``: the loads the plan will drive
        (``payload:NAME``, ``rover:ID``); the others keep their rules, whose power and data
        count as the station's base (default: the plan drives every science load)."""
        sc = twin.scenario
        step_s = sc.period.step_s
        if slot_s % step_s:
            raise InputError("slot_s", slot_s, f"a multiple of the twin's step {step_s:g} s")
        if not 0 < days <= 60:
            raise InputError("--days", days, "a horizon of (0, 60] days")
        per = round(slot_s / step_s)
        n_slots = math.floor(days * 86400.0 / slot_s + 1e-9)
        n = n_slots * per
        t = start_tdb_s + step_s * np.arange(n, dtype=float)
        geo = twin.geometry(t[0], t[-1])
        occ, _ = twin.faults(t[0], t[-1] + step_s)
        inp = block_inputs(t, step_s, sc, twin.up, geo, occ, np.zeros(len(sc.rovers)),
                           twin.crew_visits_tdb())
        if not (inp.cap_j > 0).any():
            raise InputError("--start", tdb_s_to_utc_iso(np.array([start_tdb_s]), 0)[0],
                             "a time when the station has landed (a battery on site)")
        cond = step_conditions(t, inp, geo, sc)
        tx_w = sc.comms.transmitter_w if sc.comms else 0.0
        if covers is None:
            covers = tuple([f"payload:{p.name}" for p in twin.up.payloads if p.priority == 2]
                           + [f"rover:{r.id}" for r in sc.rovers])
        # the rules of the loads the plan leaves alone keep running beside it
        ruled = Schedule.of(twin, Timeline(t[0], t[-1] + step_s, (), tuple(covers))).apply(
            t, inp, geo, occ)

        def per_slot(x, how):
            return how(np.asarray(x, float).reshape(n_slots, per), axis=1)

        conditions = {name: per_slot(v, np.min) > 0.5 for name, v in cond.items()
                      if name != "sink_k"}
        flags = {name: np.asarray(v) > 0.5 for name, v in cond.items() if name != "sink_k"}
        flags["quiet"] = ~(np.asarray(inp.dl_bit_s) > 0.0)
        lead_s = {name: _edge_steps(v.reshape(n_slots, per)[:, ::-1]) * step_s
                  for name, v in flags.items()}
        trail_s = {name: _edge_steps(v.reshape(n_slots, per)) * step_s
                   for name, v in flags.items()}
        battery = sc.batteries[0] if sc.batteries else None
        base_w = (inp.load0_w + steady_heater_w(sc, inp) + inp.load1_w
                  + tx_w * (inp.dl_bit_s > 0) + ruled.load2_w)   # survival heaters included
        hk_bit = per_slot(inp.hk_bit_s + ruled.sci_bit_s, np.sum) * step_s
        sun = geo.at("sun_fraction", t, float(sc.site.element_mast_m))
        load_j, load_bit, peak = {}, {}, {}
        for p in twin.up.payloads:
            if p.priority == 2:
                w = payload_power_w(p, sun)
                load_j[f"payload:{p.name}"] = per_slot(w, np.sum) * step_s
                load_bit[f"payload:{p.name}"] = np.full(n_slots, p.data_rate_bit_s * slot_s)
                peak[f"payload:{p.name}"] = float(max(p.power_day_w, p.power_night_w))
        for r in sc.rovers:
            load_j[f"rover:{r.id}"] = np.full(n_slots, rover_power_w(r) * slot_s)
            load_bit[f"rover:{r.id}"] = np.zeros(n_slots)
            peak[f"rover:{r.id}"] = float(rover_power_w(r))
        net_w = inp.gen_w - base_w
        downlink_bit = per_slot(inp.dl_bit_s, np.sum) * step_s
        buffer_bit = sc.comms.buffer_bit if sc.comms else 0.0
        initial = initial or {}
        energy0 = initial.get("energy_j", (battery.arrival_soc if battery else 0.0)
                              * inp.cap_j[0])
        buffer0 = float(initial.get("buffer_bit", 0.0))
        science_from = 0
        if initial.get("hold"):   # science held until the buffer drains below resume
            resume = sc.fdir.buffer_resume_fraction * buffer_bit
            b = buffer0
            while science_from < n_slots and b >= resume:
                b = max(0.0, b + hk_bit[science_from] - downlink_bit[science_from])
                science_from += 1
        return cls(
            start_tdb_s=float(start_tdb_s), slot_s=float(slot_s), step_s=float(step_s),
            gen_j=per_slot(inp.gen_w, np.sum) * step_s,
            base_j=per_slot(base_w, np.sum) * step_s,
            charge_max_w=per_slot(inp.charge_max_w, np.min),
            cap_j=per_slot(inp.cap_j, np.min) * _faded(battery, initial, days, n_slots),
            cap_nominal_j=per_slot(inp.cap_j, np.min),
            downlink_bit=downlink_bit, hk_bit=hk_bit, buffer_bit=buffer_bit,
            conditions=conditions,
            sink_min_k=per_slot(cond["sink_k"], np.min),
            sink_max_k=per_slot(cond["sink_k"], np.max),
            crew=per_slot(inp.crew_present, np.min),
            eta_c=battery.charge_efficiency if battery else 1.0,
            eta_d=battery.discharge_efficiency if battery else 1.0,
            initial_energy_j=float(energy0), initial_buffer_bit=buffer0,
            science_from_slot=science_from,
            transmitter_on=per_slot(inp.dl_bit_s > 0.0, np.max) > 0.5,
            lead_s=lead_s, trail_s=trail_s,
            restore_j=sc.fdir.restore_science_soc * per_slot(inp.cap_j, np.max),
            shed_j=sc.fdir.shed_science_soc * per_slot(inp.cap_j, np.max),
            shed_at_start=bool(initial.get("shed")),
            arrivals_tdb_s=station_arrivals(twin),
            rover_km_per_h={r.id: r.speed_m_s * 3.6 for r in sc.rovers},
            load_j=load_j, load_bit=load_bit, load_peak_w=peak,
            held={f"rover:{r.id}": per_slot(flt.blocked(occ, "rover-fault", r.id, t), np.max)
                  > 0.5 for r in sc.rovers},
            **dict(zip(("dip_j", "rise_j"), _dips(net_w.reshape(n_slots, per), step_s),
                       strict=True)),
            **_fuel_cell(sc, inp, per_slot, initial),
        )


def _dips(net_w: np.ndarray, step_s: float) -> tuple[np.ndarray, np.ndarray]:
    """How far the battery may dip inside each slot below the straight line from its
    energy at the slot's start to its energy at the end, and rise above it (J): the
    deepest fall and the highest rise of the slot's running net energy against its linear
    interpolation. An activity draws the same power all through a slot, so it moves that
    line, not the dip: a floor kept at both ends of a slot, raised by the dip, is kept at
    every step. A full battery clips the rise (curtailed), so the twin may end such a slot
    up to the rise below the planners' energy, until the battery next fills."""
    per = net_w.shape[1]
    run = np.cumsum(net_w, axis=1) * step_s
    line = run[:, -1:] * (np.arange(1, per + 1) / per)
    return (np.maximum(0.0, (line - run).max(axis=1)),
            np.maximum(0.0, (run - line).max(axis=1)))


def _faded(battery, initial: dict, days: float, n_slots: int) -> np.ndarray | float:
    """The share of its capacity the battery keeps in each slot at the most (it loses
    ``fade_per_cycle`` per equivalent full cycle): the cycles of the warm-up so far, and
    twice their daily rate, plus half a cycle, from then on — a full battery holds no more
    than this in the twin."""
    if battery is None or not battery.fade_per_cycle:
        return 1.0
    cycles0 = float(initial.get("cycles", 0.0))
    rate = cycles0 / max(float(initial.get("warm_days", 0.0)), 1.0)
    t_days = np.arange(1, n_slots + 1) * days / n_slots
    return 1.0 - battery.fade_per_cycle * (cycles0 + 0.5 + 2.0 * rate * t_days)


def _fuel_cell(sc, inp, per_slot, initial: dict) -> dict:
    """The fuel cell as the planners see it: the energy its tanks can give at the start,
    its most power, and the battery energy per slot below which FDIR switches it on."""
    if not sc.rfcs:
        return {}
    rfc = sc.rfcs[0]
    cap_j = per_slot(inp.rfc_cap_j, np.min)
    tank = initial.get("rfc_j", rfc.arrival_fill * float(cap_j[0]))
    return {"fc_energy_j": float(tank) * rfc.fuel_cell_efficiency,
            "fc_max_w": float(rfc.fuel_cell_max_w) if cap_j.max() > 0 else 0.0,
            "fc_on_j": rfc.on_below_soc * per_slot(inp.cap_j, np.min),
            "fc_off_j": rfc.off_above_soc * per_slot(inp.cap_j, np.max),
            "fc_on_at_start": bool(initial.get("rfc_on", False))}


def station_arrivals(twin: Twin) -> dict[str, float]:
    """When each payload, rover and mission of ``twin``'s station is on site (TDB s)."""
    up, sc = twin.up, twin.scenario
    out = {f"mission:{m}": float(t) for m, t in up.arrivals_tdb_s.items()}
    out |= {f"payload:{p.name}": float(p.arrival_tdb_s) for p in up.payloads}
    out |= {f"rover:{r.id}": float(up.arrival(r.arrives_with)
                                   + r.start_days_after_arrival * 86400.0)
            for r in sc.rovers}
    return out


def _edge_steps(flags: np.ndarray) -> np.ndarray:
    """Per row of ``flags`` (slots × steps), the steps from its start that are all True."""
    return np.where(flags.all(axis=1), flags.shape[1], np.argmin(flags, axis=1))
