"""The station's configuration over time: what has arrived when, and the per-step inputs.

:func:`build_up` reads the campaign: every mission that builds the station (its
destination is the scenario's base, or it is listed) brings its payloads and the scenario
components that ``arrive_with`` it on its landing date; failed or cancelled missions bring
nothing. :class:`BlockInputs` turns the configuration and the geometry into the per-step
arrays the compiled loop reads (generation, loads by priority class, data rates, capacities).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ilrs.campaign import Roadmap, deliveries
from ilrs.campaign.model import IlrsFunction
from ilrs.sky.timescale import utc_to_tdb_s
from ilrs.station import components as comp
from ilrs.station import faults as flt
from ilrs.station import thermal as thm
from ilrs.station.config import Scenario
from ilrs.station.geometry import Geometry

__all__ = [
    "BlockInputs",
    "BuildUp",
    "Overrides",
    "PayloadLoad",
    "block_inputs",
    "build_up",
    "payload_power_w",
    "rover_power_w",
]

#: Priority class of each ILRS function's payloads: 0 survival, 1 communications,
#: 2 science; ISRU payloads are modelled by the scenario's ISRU plants and transport
#: payloads by its rovers, so they add no load of their own (None).
CLASS_OF_FUNCTION = {
    IlrsFunction.command_center: 0,
    IlrsFunction.energy: 0,
    IlrsFunction.communications: 1,
    IlrsFunction.research: 2,
    IlrsFunction.biomedical: 2,
    IlrsFunction.astronomy_earth_observation: 2,
    IlrsFunction.isru: None,
    IlrsFunction.transport: None,
}


def _v(x) -> float:
    return 0.0 if x is None else float(x.value)


@dataclass(frozen=True)
class PayloadLoad:
    """A campaign payload as a load: class, powers (W), data rate, run rule."""

    name: str
    mission_id: str
    function: str
    priority: int
    arrival_tdb_s: float
    power_day_w: float
    power_night_w: float
    data_rate_bit_s: float
    condition: str
    duty: float
    radio_quiet: bool = False     # its rule runs it only while no link transmits

    @property
    def spec(self) -> tuple:
        """Everything but the arrival (what a block's loads depend on besides its marks)."""
        return (self.name, self.mission_id, self.function, self.priority, self.power_day_w,
                self.power_night_w, self.data_rate_bit_s, self.condition, self.duty,
                self.radio_quiet)


@dataclass(frozen=True)
class BuildUp:
    """Arrival time (TDB s, ``inf`` if never) of each station mission and the payloads."""

    arrivals_tdb_s: dict[str, float]
    landing_dates: dict[str, str]
    payloads: tuple[PayloadLoad, ...]
    relay_arrival_tdb_s: float
    station_missions: tuple[str, ...]
    skipped: tuple[str, ...]                # station missions that failed or were cancelled
    relay_mission: str = ""

    def arrival(self, mission_id: str) -> float:
        return self.arrivals_tdb_s.get(mission_id, math.inf)

    def with_arrivals(self, arrivals_utc: dict[str, str]) -> BuildUp:
        """The same station with some missions arriving on other dates (ISO UTC), e.g. a
        launch slip: their components and payloads arrive then."""
        arrivals = {**self.arrivals_tdb_s, **{m: _tdb(d) for m, d in arrivals_utc.items()}}
        payloads = tuple(dataclasses.replace(p, arrival_tdb_s=arrivals[p.mission_id])
                         for p in self.payloads)
        return dataclasses.replace(
            self, arrivals_tdb_s=arrivals, landing_dates={**self.landing_dates,
                                                          **arrivals_utc},
            payloads=payloads, relay_arrival_tdb_s=arrivals.get(self.relay_mission, math.inf))

    @property
    def first_landing_tdb_s(self) -> float:
        times = [self.arrivals_tdb_s[m] for m in self.station_missions]
        return min(times) if times else math.inf


def _tdb(iso: str) -> float:
    text = iso if "T" in iso else iso + "T00:00:00"
    return float(utc_to_tdb_s([text])[0])


COMPONENT_GROUPS = ("solar_arrays", "rtgs", "fission_units", "batteries", "rfcs",
                    "thermal.nodes", "thermal.rhus", "isru", "rovers")


def check_arrivals(roadmap: Roadmap, scenario: Scenario) -> None:
    """Every component must arrive with a mission of the campaign (failed ones included:
    they simply bring nothing)."""
    known = {m.id for m in roadmap.missions}
    expected = "a mission id of the campaign (" + ", ".join(sorted(known)) + ")"
    for group in COMPONENT_GROUPS:
        for i, c in enumerate(scenario.group(group)):
            if c.arrives_with not in known:
                raise scenario.error((*group.split("."), i, "arrives_with"), expected,
                                     c.arrives_with)
    comms = scenario.comms
    if comms is not None:
        for field, value in (("arrives_with", comms.arrives_with),
                             ("relay_mission", comms.relay_mission)):
            if value not in known:
                raise scenario.error(("comms", field), expected, value)


def check_names(roadmap: Roadmap, scenario: Scenario) -> None:
    """Fault targets name a component of their kind and payload rules a campaign payload:
    a misspelt name would otherwise change nothing, silently."""
    for i, fault in enumerate(scenario.faults):
        if fault.target is None:
            continue
        group = flt.TARGETS[fault.kind]
        ids = (["relay"] if group == "relay"
               else [c.id for c in getattr(scenario, group)])
        if fault.target not in ids:
            raise scenario.error(("faults", i, "target"), f"an id of the scenario's {group} "
                                 f"({', '.join(ids) or 'none'})", fault.target)
    nodes = [n.id for n in scenario.thermal.nodes]
    for i, rhu in enumerate(scenario.thermal.rhus):
        if rhu.node not in nodes:
            raise scenario.error(("thermal", "rhus", i, "node"), "an id of the scenario's "
                                 f"thermal nodes ({', '.join(nodes) or 'none'})", rhu.node)
    names = {p.name for m in roadmap.missions for p in m.payloads}
    for name in scenario.payloads:
        if name not in names:
            raise scenario.error(("payloads", name), "a payload name of the campaign",
                                 name)


def build_up(roadmap: Roadmap, scenario: Scenario) -> BuildUp:
    """Which missions build the station, when they land, and what their payloads draw."""
    check_arrivals(roadmap, scenario)
    check_names(roadmap, scenario)
    cfg = scenario.campaign
    delivered = deliveries(roadmap)
    all_missions = deliveries(roadmap, include_failed=True)
    listed = set(cfg.missions)

    def is_station(d) -> bool:
        dest = d.destination
        return d.mission_id in listed or (
            dest is not None and dest.kind == "surface" and dest.name == cfg.base)

    station = [d for d in delivered if is_station(d)]
    skipped = tuple(d.mission_id for d in all_missions
                    if is_station(d) and d not in station)
    arrivals = {d.mission_id: _tdb(d.landing_date) for d in delivered}
    dates = {d.mission_id: d.landing_date for d in delivered}
    rules = scenario.payloads
    payloads = []
    for d in station:
        for p in d.payloads:
            cls = CLASS_OF_FUNCTION.get(IlrsFunction(p.function))
            if cls is None:
                continue
            rule = rules.get(p.name)
            payloads.append(PayloadLoad(
                p.name, d.mission_id, str(p.function), cls, arrivals[d.mission_id],
                _v(p.power_day_w), _v(p.power_night_w), _v(p.data_rate_bit_s),
                rule.condition if rule else "any", rule.duty if rule else 1.0,
                rule.radio_quiet if rule else False))
    relay_id = scenario.comms.relay_mission if scenario.comms else ""
    return BuildUp(
        arrivals_tdb_s={m: arrivals[m] for m in arrivals},
        landing_dates=dates,
        payloads=tuple(payloads),
        relay_arrival_tdb_s=arrivals.get(relay_id, math.inf),
        station_missions=tuple(d.mission_id for d in station),
        skipped=skipped,
        relay_mission=relay_id,
    )


@dataclass
class BlockInputs:
    """Per-step input arrays of one block of the time loop (see ``_kernels.run_block``)."""

    gen_w: np.ndarray
    solar_w: np.ndarray
    load0_w: np.ndarray
    load1_w: np.ndarray
    load2_w: np.ndarray
    sci_bit_s: np.ndarray
    hk_bit_s: np.ndarray
    isru_max_w: np.ndarray
    dl_bit_s: np.ndarray
    cap_j: np.ndarray
    charge_max_w: np.ndarray
    surface_k: np.ndarray                # regolith surface under the landers
    node_on: np.ndarray                  # (n, n_nodes) bool: thermal node present
    rhu_w: np.ndarray                    # (n, n_nodes) heat of each node's RHUs
    o2_in_kg: np.ndarray
    o2_demand_kg: np.ndarray
    rfc_cap_j: np.ndarray
    dte_ok: np.ndarray
    relay_ok: np.ndarray
    payload_running: np.ndarray          # (n_payloads, n) bool: wants to run
    rover_driving: np.ndarray            # (n_rovers, n) bool: wants to drive
    crew_present: np.ndarray             # number of crew at each step

    def as_kernel_args(self):
        return (self.gen_w, self.load0_w, self.load1_w, self.load2_w, self.sci_bit_s,
                self.hk_bit_s, self.isru_max_w, self.dl_bit_s, self.cap_j, self.charge_max_w,
                self.surface_k, self.node_on, self.rhu_w, self.o2_in_kg, self.o2_demand_kg,
                self.rfc_cap_j)


def _first(t: np.ndarray, arrival: float) -> int:
    """Index of the first step at or after ``arrival`` (``t`` ascending, within
    :data:`~ilrs.station.faults.SLACK_S`): the steps ``[_first(t, a):]`` are those with
    ``t >= a``."""
    return int(flt.first_step(t, arrival))


@dataclass(frozen=True)
class Overrides:
    """What ground commands have switched (the live twin): payloads off (indices into
    ``BuildUp.payloads``), rovers held (indices into ``scenario.rovers``), a ceiling on a
    rover's planned distance (km, by index), the ISRU plants off. The default changes
    nothing."""

    payloads_off: frozenset[int] = frozenset()
    rovers_held: frozenset[int] = frozenset()
    rover_km_ceiling: tuple[tuple[int, float], ...] = ()
    isru_off: bool = False


def payload_power_w(p: PayloadLoad, sun_fraction) -> np.ndarray:
    """A payload's power while it runs: night to day power with the visible solar disk."""
    return p.power_night_w + sun_fraction * (p.power_day_w - p.power_night_w)


def rover_power_w(rover) -> float:
    """A rover's power while driving, W (Wh/km × km/h)."""
    return rover.energy_wh_per_km * rover.speed_m_s * 3.6


def block_inputs(t: np.ndarray, step_s: float, scenario: Scenario, up: BuildUp, geo: Geometry,
                 occurrences, rover_km_done: np.ndarray, visits_tdb,
                 overrides: Overrides | None = None) -> BlockInputs:
    """Inputs for the steps at TDB seconds ``t`` (``rover_km_done`` is updated in place
    with the planned distance of each rover); ``overrides``: ground commands in force.

    The loads, data rates and contacts do not depend on the power plant, and depend on
    arrivals, faults, visits and commands only through where these fall in the block
    (:class:`Marks`). With a memoized geometry (studies) they are computed once per block
    and marks and shared by every run that has the same: every plant variant of a sweep,
    and the blocks of Monte Carlo trials that no drawn landing or fault touches."""
    ops = overrides or Overrides()
    gen, solar = _generation(t, scenario, up, geo, occurrences)
    marks = Marks.of(t, step_s, scenario, up, occurrences, rover_km_done, visits_tdb, ops)
    if geo.memo is None:
        loads = _loads(t, scenario, up, geo, marks)
    else:
        key = ("loads", scenario.model_dump_json(include=_LOAD_FIELDS),
               tuple(p.spec for p in up.payloads), marks)
        loads = geo.cached(key, t, lambda: _loads(t, scenario, up, geo, marks))
    for k, r in enumerate(scenario.rovers):
        rover_km_done[k] += loads["rover_steps"][k] * _km_per_step(r, step_s)
    cap, charge_max, rfc_cap = _storage(t, scenario, up, occurrences)
    fields = {k: v for k, v in loads.items() if k != "rover_steps"}
    return BlockInputs(gen_w=gen, solar_w=solar, cap_j=cap, charge_max_w=charge_max,
                       rfc_cap_j=rfc_cap, **thm.thermal_inputs(t, scenario, up, geo), **fields)


#: The scenario parts the loads depend on (the plant — arrays, generators, storage — not).
_LOAD_FIELDS = {"site", "comms", "isru", "rovers", "crew"}


def _km_per_step(rover, step_s: float) -> float:
    return rover.speed_m_s * step_s / 1000.0


Spans = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Marks:
    """Where arrivals, faults, crew visits and ground commands fall in one block, as step
    indices (``n``, the block's length: not in it). A block's loads depend on them only
    through these, so equal marks give equal loads."""

    n: int
    step_s: float
    payloads: tuple[int, ...]           # first step of each payload (n: switched off)
    comms: int                          # first step of the station's communications
    relay_off: Spans                    # relay not yet in orbit, or in an outage
    rover_start: tuple[int, ...]        # first step each rover may drive (n: held)
    rover_faults: tuple[Spans, ...]
    rover_steps_left: tuple[int, ...]   # steps of its planned distance left (≤ n)
    isru: tuple[int, ...]               # first step of each ISRU plant (n: commanded off)
    isru_stuck: tuple[Spans, ...]
    visits: tuple[tuple[int, int, int, int, float], ...]   # steps, crew, O2 step and kg

    @classmethod
    def of(cls, t: np.ndarray, step_s: float, scenario: Scenario, up: BuildUp, occurrences,
           rover_km_done: np.ndarray, visits_tdb, ops: Overrides) -> Marks:
        n = t.size
        ceiling = dict(ops.rover_km_ceiling)
        comms = scenario.comms
        left = []
        for k, r in enumerate(scenario.rovers):
            goal_km = min(r.campaign_km, ceiling.get(k, math.inf))
            left.append(min(n, max(0, math.floor((goal_km - rover_km_done[k])
                                                 / _km_per_step(r, step_s) + 1e-9))))
        visits = []
        for (t0, t1, size, store) in visits_tdb if scenario.crew else ():
            i0, i1 = _first(t, t0), _first(t, t1)
            o2 = i0 if i0 < n and t[i0] < t0 + step_s else n
            if i1 > i0 or o2 < n:
                visits.append((i0, i1, size, o2, store))
        return cls(
            n=n, step_s=step_s,
            payloads=tuple(n if k in ops.payloads_off else _first(t, p.arrival_tdb_s)
                           for k, p in enumerate(up.payloads)),
            comms=_first(t, up.arrival(comms.arrives_with)) if comms else n,
            relay_off=((0, _first(t, up.relay_arrival_tdb_s)),
                       *flt.spans(occurrences, "relay-outage", None, t)),
            rover_start=tuple(
                n if k in ops.rovers_held else _first(
                    t, up.arrival(r.arrives_with) + r.start_days_after_arrival * 86400.0)
                for k, r in enumerate(scenario.rovers)),
            rover_faults=tuple(tuple(flt.spans(occurrences, "rover-fault", r.id, t))
                               for r in scenario.rovers),
            rover_steps_left=tuple(left),
            isru=tuple(n if ops.isru_off else _first(t, up.arrival(p.arrives_with))
                       for p in scenario.isru),
            isru_stuck=tuple(tuple(flt.spans(occurrences, "isru-stuck", p.id, t))
                             for p in scenario.isru),
            visits=tuple(visits))


def _generation(t: np.ndarray, scenario: Scenario, up: BuildUp, geo: Geometry,
                occurrences) -> tuple[np.ndarray, np.ndarray]:
    """Electric generation (all sources) and its solar part, W."""
    n = t.size
    # -- generation ----------------------------------------------------------------------
    el = geo.at("sun_elevation_rad", t)
    az = geo.at("sun_azimuth_rad", t)
    dist = geo.at("sun_distance_m", t)
    solar = np.zeros(n)
    block: dict = {}      # arrays alike (mast, mount, arrival) share their per-step values

    def once(key, compute):
        if key not in block:
            block[key] = geo.cached(key, t, compute)
        return block[key]
    for a in scenario.solar_arrays:
        arrival = up.arrival(a.arrives_with)
        if not (t[-1] >= arrival):
            continue
        mast = float(a.mast_m)
        per_m2 = once(  # W per m² at 100 % efficiency: the same for every array size
            ("solar_w_per_m2", mast, a.mount, a.azimuth_deg),
            lambda mast=mast, a=a: comp.solar_array_power_w(
                geo.at("sun_fraction", t, mast), el, az, dist, area_m2=1.0, efficiency=1.0,
                mount=a.mount, azimuth_deg=a.azimuth_deg))
        ageing = once(("degradation", arrival, a.degradation_per_yr),
                      lambda arrival=arrival, a=a: comp.degradation_factor(
                          (t - arrival) / comp.SECONDS_PER_YEAR, a.degradation_per_yr))
        p = per_m2 * (a.area_m2 * a.efficiency)
        solar += p * ageing * flt.factor(occurrences, "array-degradation", a.id, t)
    gen = solar.copy()
    for r in scenario.rtgs:
        gen += comp.rtg_power_w(r.power_w, r.decay_per_yr,
                                (t - up.arrival(r.arrives_with)) / comp.SECONDS_PER_YEAR)
    for f in scenario.fission_units:
        gen[_first(t, up.arrival(f.arrives_with)):] += f.power_w
    return gen, solar


def _loads(t: np.ndarray, scenario: Scenario, up: BuildUp, geo: Geometry,
           marks: Marks) -> dict:
    """Loads by priority class, data rates, contacts, ISRU ceiling, crew
    and oxygen per step, and the steps each rover drives.

    What does not depend on arrivals or faults (a payload's power and data while its
    condition holds, contact rates) comes from the geometry's memo; arrivals
    and faults then act on index ranges of the block (``marks``)."""
    n = t.size
    sun_elem = geo.at("sun_fraction", t, float(scenario.site.element_mast_m))
    lit = geo.cached(("lit", scenario.site.element_mast_m), t, lambda: sun_elem > 0.5)
    # -- survival: command center, habitat (the heaters are the loop's: thermal nodes) -----
    load0 = np.zeros(n)
    load1 = np.zeros(n)
    load2 = np.zeros(n)
    sci = np.zeros(n)
    hk = np.zeros(n)
    comms = scenario.comms
    i_comms = marks.comms
    comms_here = np.zeros(n, bool)
    comms_here[i_comms:] = True
    earth_ok = geo.cached(("earth_ok",), t, lambda: geo.at("earth_margin_rad", t) > 0.0)
    relay_seen = geo.cached(("relay_seen",), t, lambda: geo.at("relay_margin_rad", t) > 0.0)
    relay_ok = relay_seen.copy()
    for i0, i1 in marks.relay_off:
        relay_ok[i0:i1] = False
    running = np.zeros((len(up.payloads), n), bool)
    quiet = []
    masks = {"earth_in_view": earth_ok, "sunlit": lit,
             "dark": geo.cached(("dark", scenario.site.element_mast_m), t, lambda: ~lit)}
    for k, (p, i) in enumerate(zip(up.payloads, marks.payloads, strict=True)):
        if i == n:
            continue                                      # not there yet, or switched off
        power = geo.cached(("payload_w", p.power_night_w, p.power_day_w), t,
                           lambda p=p: payload_power_w(p, sun_elem))
        if p.priority == 0:
            load0[i:] += power[i:]
            hk[i:] += p.data_rate_bit_s
            running[k, i:] = True
        elif p.priority == 1:
            load1[i:] += power[i:]
            running[k, i:] = True
        elif p.radio_quiet:
            quiet.append((k, p, i, power))               # once the links are known
        elif p.condition == "any":
            running[k, i:] = True
            load2[i:] += power[i:] * p.duty
            sci[i:] += p.data_rate_bit_s * p.duty
        else:
            cond = masks[p.condition]
            key = (p.condition, scenario.site.element_mast_m, p.power_night_w, p.power_day_w,
                   p.data_rate_bit_s, p.duty)
            w = geo.cached(("science_w", *key), t,
                           lambda c=cond, w=power, p=p: c * w * p.duty)
            bits = geo.cached(("science_bit_s", *key), t,
                              lambda c=cond, p=p: c * p.data_rate_bit_s * p.duty)
            running[k, i:] = cond[i:]
            load2[i:] += w[i:]
            sci[i:] += bits[i:]
    if comms:
        load1[i_comms:] += comms.receiver_w
    # -- rovers ------------------------------------------------------------------------------
    in_contact = comms_here & (earth_ok | relay_ok)
    driving = np.zeros((len(scenario.rovers), n), bool)
    steps = []
    for k, r in enumerate(scenario.rovers):
        want = driving[k]
        i = marks.rover_start[k]
        if i < n:
            hours = r.duty_hours_per_day * 3600.0
            period = r.duty_period_h * 3600.0
            shift = geo.cached(("rover_shift", scenario.site.element_mast_m, hours, period), t,
                               lambda hours=hours, period=period:
                               lit & (np.mod(t, period) < hours))
            want[i:] = shift[i:] & in_contact[i:]
            for i0, i1 in marks.rover_faults[k]:
                want[i0:i1] = False
        idx = np.flatnonzero(want)
        left = marks.rover_steps_left[k]
        if idx.size > left:
            want[idx[left:]] = False
        steps.append(min(idx.size, left))
        load2[want] += rover_power_w(r)
    # -- ISRU ----------------------------------------------------------------------------------
    isru_max = np.zeros(n)
    for plant, i, stuck in zip(scenario.isru, marks.isru, marks.isru_stuck, strict=True):
        if i == n:
            continue
        ok = np.zeros(n, bool)
        ok[i:] = True
        for i0, i1 in stuck:
            ok[i0:i1] = False
        isru_max[ok] += plant.max_power_w
    # -- communications ------------------------------------------------------------------------
    dl = np.zeros(n)
    if comms:
        def rate(link, range_name: str) -> np.ndarray:
            spec = link.model_dump()
            return geo.cached(("rate", range_name, *sorted(spec.items())), t,
                              lambda: comp.link_rate_bit_s(geo.at(range_name, t), **spec))
        dte_rate = rate(comms.dte, "earth_range_m")
        relay_rate = rate(comms.relay, "relay_range_m")
        key = (tuple(sorted(comms.dte.model_dump().items())),
               tuple(sorted(comms.relay.model_dump().items())))
        dte = geo.cached(("dte_bit_s", *key), t, lambda: np.where(earth_ok, dte_rate, 0.0))
        best = geo.cached(("best_bit_s", *key), t, lambda: np.maximum(
            dte, np.where(relay_seen, relay_rate, 0.0)))
        dl[i_comms:] = best[i_comms:]
        for i0, i1 in marks.relay_off:                    # relay not there or in outage
            lo = max(i0, i_comms)
            if i1 > lo:
                dl[lo:i1] = dte[lo:i1]
    for k, p, i, power in quiet:    # rules kept radio quiet: off while a link transmits
        on = (dl == 0.0) if p.condition == "any" else masks[p.condition] & (dl == 0.0)
        running[k, i:] = on[i:]
        load2[i:] += (on * power * p.duty)[i:]
        sci[i:] += (on * (p.data_rate_bit_s * p.duty))[i:]
    # -- crew ----------------------------------------------------------------------------------
    crew = np.zeros(n)
    o2_in = np.zeros(n)
    for (i0, i1, size, o2, store) in marks.visits:
        crew[max(i0, i_comms):i1] += size
        if o2 < n:
            o2_in[o2] += store
    if scenario.crew:
        load0 += (crew > 0) * scenario.crew.habitat_w
    o2_demand = crew * (scenario.crew.o2_kg_per_person_day * marks.step_s / 86400.0
                        if scenario.crew else 0.0)
    return {"load0_w": load0, "load1_w": load1, "load2_w": load2, "sci_bit_s": sci,
            "hk_bit_s": hk, "isru_max_w": isru_max, "dl_bit_s": dl,
            "o2_in_kg": o2_in, "o2_demand_kg": o2_demand,
            "dte_ok": comms_here & earth_ok, "relay_ok": comms_here & relay_ok,
            "payload_running": running, "rover_driving": driving, "crew_present": crew,
            "rover_steps": tuple(steps)}


def _storage(t: np.ndarray, scenario: Scenario, up: BuildUp,
             occurrences) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Battery capacity (J, after cell losses), its charge ceiling (W) and the fuel-cell
    tank capacity (J) per step."""
    n = t.size
    # -- storage -------------------------------------------------------------------------------
    cap = np.zeros(n)
    charge_max = np.zeros(n)
    for b in scenario.batteries:
        i = _first(t, up.arrival(b.arrives_with))
        f = flt.factor(occurrences, "battery-cell-loss", b.id, t)
        cap[i:] += b.capacity_wh * comp.J_PER_WH * (f[i:] if isinstance(f, np.ndarray) else f)
        charge_max[i:] += b.max_charge_w
    rfc_cap = np.zeros(n)
    for r in scenario.rfcs:
        rfc_cap[_first(t, up.arrival(r.arrives_with)):] += r.tank_wh * comp.J_PER_WH
    return cap, charge_max, rfc_cap
