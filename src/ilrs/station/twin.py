"""The station twin: a campaign and a site in, years of station life out.

>>> from ilrs.station import Twin, load_scenario
>>> s = load_scenario(None)
>>> s = s.model_copy(update={"period": s.period.model_copy(update={
...     "start": "2031-08-01", "stop": "2031-08-03", "step_s": 600.0})})
>>> result = Twin.from_scenario(s).run()
>>> result.kpis["survival"]["ok"], result.n_steps
(True, 432)
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ilrs import yamlfile
from ilrs.campaign import Roadmap
from ilrs.campaign.loader import load_raw
from ilrs.errors import InputError
from ilrs.sky import RelayOrbit, Site, Sky
from ilrs.sky.timescale import tdb_s_to_utc_iso
from ilrs.station import _kernels as k
from ilrs.station import faults as flt
from ilrs.station import thermal as thm
from ilrs.station.build import BuildUp, _tdb, block_inputs, build_up
from ilrs.station.config import MAX_COLUMN_STEP_S, Scenario, load_scenario
from ilrs.station.fdir import EVENTS, describe, kernel_params
from ilrs.station.geometry import Geometry, HorizonSource, geometry_at
from ilrs.station.results import Results, _utc, kpis_from_run

__all__ = ["Twin", "load_roadmap_for"]

#: At most this many loop events are kept per block (more are counted, not stored).
MAX_EVENTS_PER_BLOCK = 20_000


def load_roadmap_for(scenario: Scenario) -> Roadmap:
    """The scenario's campaign: its file (or the built-in roadmap) with its overrides."""
    cfg = scenario.campaign
    if not cfg.overrides:
        return Roadmap.load(cfg.file) if cfg.file else Roadmap.load_builtin()
    data = load_raw(cfg.file)
    overrides = yamlfile.marked(cfg.overrides, (scenario.file, None))
    merged = yamlfile.merge(data, overrides, scenario.file)
    return yamlfile.validate(Roadmap, merged, scenario.file)


@dataclass
class Twin:
    """The station built from a campaign and a site, ready to run."""

    scenario: Scenario
    roadmap: Roadmap
    horizon: HorizonSource
    up: BuildUp
    timings_s: dict = field(default_factory=dict)

    @classmethod
    def from_campaign(cls, roadmap: Roadmap, site: HorizonSource | Site | None,
                      config: Scenario) -> Twin:
        """The twin of ``config`` with the campaign ``roadmap`` at ``site``: a
        :class:`~ilrs.sky.Site` (with the scenario's kind of horizon), a
        :class:`HorizonSource`, or ``None`` for the scenario's site and horizon."""
        if isinstance(site, Site):
            site = HorizonSource(config.site.horizon, site.lat_deg, site.lon_deg,
                                 site.height_m, site.name, config.site.dems)
        if site is None:
            site = _horizon_source(config)
        return cls(config, roadmap, site, build_up(roadmap, config))

    @classmethod
    def from_scenario(cls, scenario: Scenario | str | None = None, dems=()) -> Twin:
        """The twin of a scenario (object, file, or ``None`` for the reference)."""
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        return cls.from_campaign(load_roadmap_for(scenario),
                                 _horizon_source(scenario, tuple(str(d) for d in dems)),
                                 scenario)

    # ------------------------------------------------------------------------------------
    def period_tdb_s(self) -> tuple[float, float]:
        p = self.scenario.period
        if p.start == "first-landing":
            start = self.up.first_landing_tdb_s
            if not math.isfinite(start):
                raise self.scenario.error(("period", "start"), "a campaign with at least "
                                          "one station mission landing", "first-landing")
        else:
            start = _tdb(p.start)
        if "T" in p.stop:
            stop = _tdb(p.stop)
        else:  # a date: simulate through the whole day (last step before the next midnight)
            day = dt.date.fromisoformat(p.stop) + dt.timedelta(days=1)
            stop = _tdb(day.isoformat()) - p.step_s
        if stop <= start:
            raise self.scenario.error(("period", "stop"), "a date after the start "
                                      f"{tdb_s_to_utc_iso(np.array([start]), 0)[0]}", p.stop)
        return start, stop

    def geometry(self, start: float, stop: float, sky: Sky | None = None) -> Geometry:
        """The geometry grid from ``start`` (every ``period.geometry_step_s``) past ``stop``
        (by :meth:`geometry_pad_points`)."""
        g = self.scenario.period.geometry_step_s
        n = math.ceil((stop - start) / g) + 1 + self.geometry_pad_points()
        return self.geometry_at(start + g * np.arange(n, dtype=float), sky)

    def geometry_pad_points(self) -> int:
        """Grid points the geometry reaches past the last time step: one, and the longest
        regolith column step allowed (its steps end at or after the last time step, inside
        the grid; the longest, so a geometry shared by variants of ``thermal.numerics``
        serves them all)."""
        return 1 + math.ceil(MAX_COLUMN_STEP_S / self.scenario.period.geometry_step_s)

    def geometry_at(self, tdb_s: np.ndarray, sky: Sky | None = None) -> Geometry:
        """The geometry at the grid epochs ``tdb_s`` (the live twin computes it by pieces)."""
        sc = self.scenario
        masts = [a.mast_m for a in sc.solar_arrays] + [sc.site.element_mast_m]
        comms = sc.comms
        relay = RelayOrbit.queqiao2() if comms and math.isfinite(
            self.up.relay_arrival_tdb_s) else None
        return geometry_at(
            self.horizon, masts, comms.antenna_mast_m if comms else sc.site.element_mast_m,
            tdb_s, relay, comms.dte.elevation_mask_deg if comms else 0.0,
            comms.relay.elevation_mask_deg if comms else 0.0, sky,
            refine_step_s=sc.period.step_s)

    def faults(self, start: float, stop: float):
        """The fault occurrences in [start, stop) on the elements present, and the events of
        their handling (random faults are drawn in order from ``start``, so a longer span
        only adds occurrences after the shorter one's)."""
        sc = self.scenario
        up = self.up
        present = {group: [(c.id, up.arrival(c.arrives_with)) for c in getattr(sc, group)]
                   for group in ("batteries", "solar_arrays", "isru", "rovers")}
        present["relay"] = [("relay", up.relay_arrival_tdb_s)] if sc.comms else []
        return flt.expand_faults(sc.faults, start, stop, _tdb, sc.fdir.isru_retry_h, present)

    def crew_visits_tdb(self) -> list[tuple[float, float, int, float]]:
        """Crew visits as (start, end) TDB s, crew size and the O2 brought (kg)."""
        sc = self.scenario
        return [(_tdb(v.start), _tdb(v.start) + v.days * 86400.0, v.crew, v.o2_store_kg)
                for v in (sc.crew.visits if sc.crew else ())]

    def kernel_params(self) -> np.ndarray:
        """The compiled loop's parameter vector for this scenario."""
        sc = self.scenario
        return kernel_params(
            sc.fdir, step_s=sc.period.step_s,
            battery=sc.batteries[0] if sc.batteries else None,
            buffer_bit=sc.comms.buffer_bit if sc.comms else 0.0,
            transmitter_w=sc.comms.transmitter_w if sc.comms else 0.0,
            isru_kwh_per_kg=sc.isru[0].kwh_per_kg if sc.isru else 24.0,
            sky_k=sc.thermal.regolith.sky_k,
            rfc=sc.rfcs[0] if sc.rfcs else None)

    def campaign_events(self, start: float, stop: float) -> list[tuple[float, str, str, str]]:
        """Landings in [start, stop] and the station missions that bring nothing."""
        events = []
        for mission in self.up.station_missions:
            ta = self.up.arrival(mission)
            if start <= ta <= stop:
                events.append((ta, "campaign", "landing",
                               f"{mission} lands ({self.up.landing_dates[mission]})"))
        for mission in self.up.skipped:
            events.append((start, "campaign", "not-delivered",
                           f"{mission} failed or cancelled: brings nothing"))
        return events

    def run(self, progress: Callable[[float], None] | None = None,
            geometry: Geometry | None = None, block_days: float = 30.0,
            schedule=None, timeline=None) -> Results:
        """Simulate the period in blocks of ``block_days`` (the state carries over);
        ``progress(fraction)`` is called after each block. A ``timeline``
        (:class:`~ilrs.station.timeline.Timeline`, or a ``schedule`` already bound to this
        station, :class:`~ilrs.station.schedule.Schedule`) drives the loads it covers
        instead of their rules; what it executed is ``Results.executed``."""
        if timeline is not None:
            from ilrs.station.schedule import Schedule
            schedule = Schedule.of(self, timeline)
        sc = self.scenario
        step_s = sc.period.step_s
        start, stop = self.period_tdb_s()
        # + 10 ms: TDB differs from SI-second counts by a periodic ~1.7 ms
        n_steps = math.floor((stop - start + 0.01) / step_s) + 1
        t0 = time.perf_counter()
        geo = geometry or self.geometry(start, start + (n_steps - 1) * step_s)
        self.timings_s["geometry"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        surface = thm.surface_for(geo, sc)
        self.timings_s["regolith"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        occ, fault_events = self.faults(start, start + n_steps * step_s)
        visits = self.crew_visits_tdb()
        params = self.kernel_params()
        agg_every = max(1, round(sc.output.aggregate_s / step_s))
        bins_per_block = max(1, round(block_days * 86400.0 / (agg_every * step_s)))
        block = agg_every * bins_per_block
        n_bins = -(-n_steps // agg_every)
        agg = k.new_aggregates(n_bins)
        state = k.new_state()
        node_par = thm.node_params(sc)
        node_t, node_acc = k.new_node_state(node_par.shape[0])
        acc = k.new_accumulators()
        rover_km_planned = np.zeros(len(sc.rovers))
        tally = _Tally(len(self.up.payloads), len(sc.rovers))
        events: list[tuple[float, str, str, str]] = [
            (e.tdb_s, e.source, e.kind, e.message) for e in fault_events]
        ev_step = np.zeros(MAX_EVENTS_PER_BLOCK, np.int64)
        ev_code = np.zeros(MAX_EVENTS_PER_BLOCK, np.int64)
        ev_value = np.zeros(MAX_EVENTS_PER_BLOCK)
        n_events_dropped = 0
        window = _Window.of(sc, start, step_s, n_steps)
        events += self.campaign_events(start, stop)
        self.timings_s["setup"] = time.perf_counter() - t0
        t_build = t_kernel = 0.0
        for i0 in range(0, n_steps, block):
            i1 = min(n_steps, i0 + block)
            t = start + step_s * np.arange(i0, i1, dtype=float)
            ta = time.perf_counter()
            inputs = block_inputs(t, step_s, sc, self.up, geo, occ, rover_km_planned, visits)
            if schedule is not None:
                inputs = schedule.apply(t, inputs, geo, occ)
            tb = time.perf_counter()
            flags = np.zeros(i1 - i0, np.uint8)
            soc = np.zeros(i1 - i0)
            temp = np.zeros(i1 - i0)
            heater = np.zeros(i1 - i0)
            b0 = i0 // agg_every
            n_ev = k.run_block(*inputs.as_kernel_args(), params, node_par, state, node_t, acc,
                               node_acc, agg_every, agg[b0:], flags, soc, temp, heater,
                               ev_step, ev_code, ev_value)
            if schedule is not None:
                schedule.record(t, flags)
            if window is not None:
                window.add(i0, inputs, flags, soc, temp, heater)
            tc = time.perf_counter()
            t_build += tb - ta
            t_kernel += tc - tb
            kept = min(n_ev, MAX_EVENTS_PER_BLOCK)
            n_events_dropped += n_ev - kept
            for j in range(kept):
                source, kind = EVENTS[int(ev_code[j])]
                events.append((float(t[ev_step[j]]), source, kind,
                               describe(int(ev_code[j]), float(ev_value[j]))))
            tally.add(inputs, flags, step_s, geo, t, sc)
            if progress is not None:
                progress(i1 / n_steps)
        self.timings_s["inputs"] = t_build
        self.timings_s["kernel"] = t_kernel
        events.sort(key=lambda e: e[0])
        bin_t = start + step_s * agg_every * np.arange(n_bins, dtype=float)
        thermal = thm.thermal_kpis(sc, node_t, node_acc, agg, bin_t, agg_every * step_s, geo,
                                   surface, _utc)
        return Results(
            scenario=sc, start_tdb_s=start, step_s=step_s, n_steps=n_steps,
            bin_tdb_s=bin_t, bin_s=agg_every * step_s, agg=agg, acc=acc, final_state=state,
            events=events, n_events_dropped=n_events_dropped,
            kpis={**kpis_from_run(sc, self.up, acc, state, agg, tally, events, step_s,
                                  n_steps, start, rover_km_planned),
                  "horizon": {**self.horizon.describe(),
                              "ground_height_m": float(geo.site.height_m)},
                  "thermal": thermal},
            build_up=self.up, geometry=geo, timings_s=dict(self.timings_s),
            full_resolution=window.columns() if window is not None else None,
            executed=schedule,
        )


def _horizon_source(scenario: Scenario, dems: tuple[str, ...] = ()) -> HorizonSource:
    """The scenario's site with its horizon (``dems``: the command line's, added to the
    scenario's own); a horizon that cannot serve the site is an error at the site's line."""
    s = scenario.site
    try:
        return HorizonSource(s.horizon, s.lat_deg, s.lon_deg, s.height_m, s.name,
                             tuple(s.dems) + tuple(dems))
    except InputError as exc:
        raise scenario.error(("site", "lat_deg"), exc.expected, exc.value) from None


class _Window:
    """Every step of one window of the run, gathered block by block."""

    def __init__(self, j0: int, j1: int, start: float, step_s: float):
        self.j0, self.j1 = j0, j1
        self.tdb_s = start + step_s * np.arange(j0, j1, dtype=float)
        self.parts: list[dict[str, np.ndarray]] = []

    @classmethod
    def of(cls, sc: Scenario, start: float, step_s: float, n_steps: int) -> _Window | None:
        out = sc.output
        if out.full_resolution_start is None:
            return None
        j0 = max(0, math.ceil((_tdb(out.full_resolution_start) - start) / step_s - 1e-3))
        j1 = min(n_steps, j0 + round(out.full_resolution_days * 86400.0 / step_s))
        return cls(j0, j1, start, step_s) if j1 > j0 else None

    def add(self, i0: int, inp, flags, soc, temp, heater) -> None:
        a, b = max(self.j0, i0), min(self.j1, i0 + flags.size)
        if a >= b:
            return
        s = slice(a - i0, b - i0)
        self.parts.append({
            "generation_w": inp.gen_w[s], "solar_w": inp.solar_w[s],
            "survival_demand_w": inp.load0_w[s], "comms_demand_w": inp.load1_w[s],
            "science_demand_w": inp.load2_w[s], "downlink_bit_s": inp.dl_bit_s[s],
            "soc": soc[s].copy(), "flags": flags[s].copy(),
            "surface_temp_k": inp.surface_k[s], "node_temp_min_k": temp[s].copy(),
            "heater_w": heater[s].copy()})

    def columns(self) -> dict[str, np.ndarray]:
        cols = {key: np.concatenate([p[key] for p in self.parts]) for key in self.parts[0]}
        return {"tdb_s": self.tdb_s[: cols["soc"].size], **cols}


class _Tally:
    """Per-payload / per-rover / contact counters gathered after each block."""

    def __init__(self, n_payloads: int, n_rovers: int):
        self.payload_steps = np.zeros(n_payloads)
        self.rover_steps = np.zeros(n_rovers)
        self.dte_steps = 0
        self.relay_steps = 0
        self.any_contact_steps = 0
        self.station_steps = 0
        self.crew_person_steps = 0.0
        self.crew_person_steps_supported = 0.0
        self.solar_j = 0.0
        self.eclipse_dip: list[tuple[float, float]] = []

    def add(self, inp, flags, step_s, geo, t, sc) -> None:
        science = (flags & k.F_SCIENCE) > 0
        comms = (flags & k.F_COMMS) > 0
        brown = (flags & k.F_BROWNOUT) > 0
        station = inp.cap_j > 0
        for j in range(self.payload_steps.size):
            self.payload_steps[j] += np.count_nonzero(inp.payload_running[j] & science)
        for j in range(self.rover_steps.size):
            self.rover_steps[j] += np.count_nonzero(inp.rover_driving[j] & science)
        self.dte_steps += np.count_nonzero(inp.dte_ok & comms)
        self.relay_steps += np.count_nonzero(inp.relay_ok & comms)
        self.any_contact_steps += np.count_nonzero((inp.dte_ok | inp.relay_ok) & comms)
        self.station_steps += np.count_nonzero(station)
        self.crew_person_steps += float(inp.crew_present.sum())
        self.crew_person_steps_supported += float((inp.crew_present * ~brown).sum())
        self.solar_j += float(inp.solar_w.sum() * step_s)
