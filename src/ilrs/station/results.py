"""Results of a station run: binned time series (Parquet), the event log and the KPIs (JSON).

The KPIs are exact (accumulated at every step inside the loop); the time series are sums
(energies in J, data in bit, O2 in kg) or extrema over bins of ``output.aggregate_s``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ilrs.sky.timescale import tdb_s_to_utc_iso
from ilrs.station import _kernels as k
from ilrs.station.components import J_PER_KWH

__all__ = ["Results", "energy_balance", "kpis_from_run"]

#: Parquet column name of each aggregate channel.
COLUMNS = {
    k.G_GEN: "generation_j",
    k.G_SERVED0: "survival_j",
    k.G_SERVED1: "comms_j",
    k.G_SERVED2: "science_j",
    k.G_ISRU: "isru_j",
    k.G_CHARGE: "battery_charge_j",
    k.G_DISCHARGE: "battery_discharge_j",
    k.G_CURTAILED: "curtailed_j",
    k.G_UNSERVED0: "survival_unserved_j",
    k.G_LOSS: "battery_loss_j",
    k.G_DATA_DOWN: "data_returned_bit",
    k.G_DATA_LOST: "data_lost_bit",
    k.G_O2_MADE: "o2_produced_kg",
    k.G_SOC_END: "soc_end",
    k.G_SOC_MIN: "soc_min",
    k.G_BUF_END: "buffer_end_bit",
    k.G_TEMP_MIN: "thermal_min_k",
    k.G_O2_END: "o2_store_end_kg",
    k.G_RFC_IN: "rfc_electrolyser_j",
    k.G_RFC_OUT: "rfc_fuel_cell_j",
    k.G_RFC_END: "rfc_tank_end_j",
    k.G_TEMP_MAX: "thermal_max_k",
    k.G_HEATER: "heater_j",
    k.G_SURF_END: "surface_temp_k",
}


def energy_balance(acc: np.ndarray, final_state: np.ndarray) -> dict[str, float]:
    """All energy terms of a run (J) and the residual of
    ``generated + arrived in storage = delivered + stored + losses + curtailed + capacity
    loss`` (storage: batteries and fuel-cell tanks, empty before their first arrival)."""
    delivered = acc[k.A_SERVED0] + acc[k.A_SERVED1] + acc[k.A_SERVED2] + acc[k.A_ISRU]
    stored = final_state[k.S_E] + final_state[k.S_RFC]
    arrived = acc[k.A_ARRIVAL] + acc[k.A_RFC_ARRIVAL]
    losses = acc[k.A_LOSS] + acc[k.A_RFC_LOSS]
    terms = {
        "generated_j": acc[k.A_GEN],
        "arrived_in_storage_j": arrived,
        "delivered_j": delivered,
        "delivered_survival_j": acc[k.A_SERVED0],
        "delivered_comms_j": acc[k.A_SERVED1],
        "delivered_science_j": acc[k.A_SERVED2],
        "delivered_isru_j": acc[k.A_ISRU],
        "stored_end_j": stored,
        "stored_end_battery_j": final_state[k.S_E],
        "stored_end_rfc_j": final_state[k.S_RFC],
        "battery_losses_j": acc[k.A_LOSS],
        "rfc_losses_j": acc[k.A_RFC_LOSS],
        "rfc_electrolyser_in_j": acc[k.A_RFC_IN],
        "rfc_fuel_cell_out_j": acc[k.A_RFC_OUT],
        "curtailed_j": acc[k.A_CURTAILED],
        "capacity_loss_j": acc[k.A_CAPLOSS],
        "charged_j": acc[k.A_CHARGE],
        "discharged_j": acc[k.A_DISCHARGE],
    }
    terms["residual_j"] = (acc[k.A_GEN] + arrived - delivered - stored - losses
                           - acc[k.A_CURTAILED] - acc[k.A_CAPLOSS])
    return {key: float(v) for key, v in terms.items()}


def _utc(tdb_s: float) -> str:
    return tdb_s_to_utc_iso(np.array([tdb_s]), 0)[0] + "Z"


def _brownouts(events, geometry, elem_mast) -> list[dict]:
    out, start = [], None
    for t, source, kind, _msg in events:
        if source == "power" and kind == "brownout":
            start = t
        elif source == "power" and kind == "brownout-end" and start is not None:
            out.append((start, t))
            start = None
    if start is not None:
        out.append((start, None))
    result = []
    for t0, t1 in out:
        sun = float(np.interp(t0, geometry.tdb_s, geometry.sun_fraction[elem_mast]))
        ecl = float(np.interp(t0, geometry.tdb_s, geometry.eclipse_hidden_fraction))
        # how long the arrays had been dark before the brown-out began
        dark_h = _dark_hours_before(t0, geometry)
        if ecl > 0.5:
            why = f"battery exhausted during a lunar eclipse ({100 * ecl:.0f} % of the Sun hidden)"
        elif dark_h > 0:
            why = f"battery exhausted after {dark_h:.1f} h of darkness at the arrays"
        else:
            why = f"loads exceed generation and storage (element sun fraction {sun:.2f})"
        result.append({"start_utc": _utc(t0), "end_utc": None if t1 is None else _utc(t1),
                       "hours": None if t1 is None else round((t1 - t0) / 3600.0, 2),
                       "cause": why})
    return result


def _dark_hours_before(t0: float, geometry) -> float:
    masts = [m for m in geometry.sun_fraction if m != min(geometry.sun_fraction)] or list(
        geometry.sun_fraction)
    frac = geometry.sun_fraction[max(masts)]
    i = int(np.searchsorted(geometry.tdb_s, t0))
    i = min(max(i, 0), frac.size - 1)
    j = i
    while j > 0 and frac[j] <= 1e-3:
        j -= 1
    return float((geometry.tdb_s[i] - geometry.tdb_s[j]) / 3600.0) if i != j else 0.0


def kpis_from_run(sc, up, acc, state, agg, tally, events, step_s, n_steps, start,
                  rover_km_planned) -> dict:
    """The KPI dictionary (JSON-ready) of a run."""
    # the geometry is needed for brown-out causes; it is attached later by Results
    hours = step_s / 3600.0
    station_steps = max(1, tally.station_steps)
    soc_min = agg[:, k.G_SOC_MIN]
    finite = np.isfinite(soc_min)
    i_min = int(np.argmin(np.where(finite, soc_min, np.inf))) if finite.any() else 0
    bin_s = step_s * max(1, round(sc.output.aggregate_s / step_s))
    o2_day = sc.crew.o2_kg_per_person_day if sc.crew else 1.0
    person_days = tally.crew_person_steps * step_s / 86400.0
    short_days = acc[k.A_O2_SHORT] / o2_day
    supported = max(0.0, tally.crew_person_steps_supported * step_s / 86400.0 - short_days)
    return {
        "scenario": sc.name,
        "start_utc": _utc(start),
        "stop_utc": _utc(start + (n_steps - 1) * step_s),
        "step_s": step_s,
        "steps": n_steps,
        "station_missions": list(up.station_missions),
        "missions_not_delivered": list(up.skipped),
        "survival": {
            "ok": bool(acc[k.A_UNSERVED0] <= 0.0),
            "brownout_hours": float(acc[k.A_BROWN_STEPS] * hours),
            "first_brownout_utc": next((_utc(t) for t, s, kind, _ in events
                                        if s == "power" and kind == "brownout"), None),
            "brownouts": [],
        },
        "min_soc": float(soc_min[i_min]) if finite.any() else None,
        "min_soc_utc": _utc(start + i_min * bin_s) if finite.any() else None,
        "energy_not_served_kwh": {
            "survival": float(acc[k.A_UNSERVED0] / J_PER_KWH),
            "comms": float(acc[k.A_UNSERVED1] / J_PER_KWH),
            "science": float(acc[k.A_UNSERVED2] / J_PER_KWH),
            "science_shed_by_fdir": float(acc[k.A_SHED] / J_PER_KWH),
        },
        "energy_kwh": {key.removesuffix("_j"): v / J_PER_KWH
                       for key, v in energy_balance(acc, state).items()},
        "science_hours": {p.name: float(tally.payload_steps[j] * hours)
                          for j, p in enumerate(up.payloads) if p.priority == 2},
        "rover_km": {r.id: float(tally.rover_steps[j] * r.speed_m_s * step_s / 1000.0)
                     for j, r in enumerate(sc.rovers)},
        "data_generated_gb": float(acc[k.A_DATA_GEN] / 8e9),
        "data_returned_gb": float(acc[k.A_DATA_DOWN] / 8e9),
        "data_lost_gb": float(acc[k.A_DATA_LOST] / 8e9),
        "o2_produced_kg": float(acc[k.A_O2_MADE]),
        "o2_used_by_crew_kg": float(acc[k.A_O2_USED]),
        "contact_availability": {
            "direct_to_earth": tally.dte_steps / station_steps,
            "relay": tally.relay_steps / station_steps,
            "any": tally.any_contact_steps / station_steps,
        },
        "crew_person_days": person_days,
        "crew_days_supported": supported,
        "water_kg_needed": person_days * (sc.crew.water_kg_per_person_day if sc.crew else 0),
        "food_kg_needed": person_days * (sc.crew.food_kg_per_person_day if sc.crew else 0),
        "faults": sum(1 for e in events if e[1] == "fault"),
        "events": len(events),
    }


@dataclass
class Results:
    """A finished run: binned series, exact accumulators, events and KPIs."""

    scenario: object
    start_tdb_s: float
    step_s: float
    n_steps: int
    bin_tdb_s: np.ndarray
    bin_s: float
    agg: np.ndarray
    acc: np.ndarray
    final_state: np.ndarray
    events: list
    n_events_dropped: int
    kpis: dict
    build_up: object
    geometry: object
    timings_s: dict
    full_resolution: dict | None = None
    #: the :class:`~ilrs.station.schedule.Schedule` a timeline ran through (``executed()``:
    #: what ran, when; ``fidelity()``), or None for a run by the rules alone
    executed: object | None = None

    def __post_init__(self):
        elem = float(self.scenario.site.element_mast_m)
        self.kpis["survival"]["brownouts"] = _brownouts(self.events, self.geometry, elem)
        per_bin = round(self.bin_s / self.step_s)
        self.bin_steps = np.full(self.bin_tdb_s.size, per_bin)
        self.bin_steps[-1] = self.n_steps - per_bin * (self.bin_tdb_s.size - 1)

    def mean_power_w(self, name: str) -> np.ndarray:
        """Mean power over each bin of an energy column (``…_j``), W."""
        return self.series(name) / (self.bin_steps * self.step_s)

    @property
    def balance(self) -> dict[str, float]:
        return energy_balance(self.acc, self.final_state)

    def bin_utc(self) -> np.ndarray:
        """Bin start times as datetime64[s] UTC."""
        iso = tdb_s_to_utc_iso(self.bin_tdb_s, 0)
        return np.array(iso, dtype="datetime64[s]")

    def series(self, name: str) -> np.ndarray:
        """One binned column by its Parquet name."""
        for code, col in COLUMNS.items():
            if col == name:
                return self.agg[:, code]
        raise KeyError(name)

    def table(self) -> pa.Table:
        cols = {"time_utc": pa.array(self.bin_utc())}
        for code, name in COLUMNS.items():
            values = self.agg[:, code]
            if name in ("soc_min", "thermal_min_k", "thermal_max_k"):
                values = np.where(np.isfinite(values), values, np.nan)
            cols[name] = pa.array(values)
        return pa.table(cols)

    def events_table(self) -> list[dict]:
        return [{"time_utc": _utc(t), "source": s, "kind": kd, "message": m}
                for t, s, kd, m in self.events]

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``timeseries.parquet``, ``events.json`` and ``kpis.json`` under ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"timeseries": out / "timeseries.parquet", "events": out / "events.json",
                 "kpis": out / "kpis.json"}
        pq.write_table(self.table(), paths["timeseries"])
        if self.full_resolution:
            cols = dict(self.full_resolution)
            iso = tdb_s_to_utc_iso(cols.pop("tdb_s"), 0)
            table = pa.table({"time_utc": pa.array(np.array(iso, dtype="datetime64[s]")),
                              **{key: pa.array(v) for key, v in cols.items()}})
            paths["timeseries_full"] = out / "timeseries-full.parquet"
            pq.write_table(table, paths["timeseries_full"])
        paths["events"].write_text(json.dumps(self.events_table(), indent=1))
        paths["kpis"].write_text(json.dumps(self.kpis, indent=2))
        return paths
