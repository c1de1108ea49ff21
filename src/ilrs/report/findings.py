"""What a run found, in words an architect can forward: the binding constraint, the worst
night, the margins, what limited data return; and the KPI table with units.

Everything is computed from the run's own results (exact accumulators, hourly series, the
geometry the loop used); texts name the run's own period, never the scenario's nominal one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ilrs.report import fmt

__all__ = ["SCIENCE_HEADER", "Finding", "Margin", "energy_finding", "findings", "kpi_rows",
           "margins", "night_before", "science_rows"]


#: A margin below this is a constraint that binds (above it: nothing came near a limit).
NEAR_LIMIT = 0.9
#: A minimum state of charge at or above this means the batteries were never drawn down.
FULL_SOC = 0.999
#: A plant that curtails more than this share of what it generates is oversized for its
#: loads (half of the energy produced had neither a load nor room in storage).
OVERSIZED_CURTAILED = 0.5


@dataclass(frozen=True)
class Margin:
    """How far one constraint stayed from its limit: ``fraction`` 0 (at the limit) … 1."""

    name: str
    fraction: float
    detail: str


@dataclass(frozen=True)
class Finding:
    title: str
    text: str


def _battery_floor(sc) -> float:
    """The lowest state of charge the batteries may reach (1 − depth of discharge)."""
    return max((1.0 - b.depth_of_discharge for b in sc.batteries), default=0.0)


def _element_sun(res) -> tuple[np.ndarray, np.ndarray]:
    """Geometry grid times and the Sun's visible fraction at the elements' mast."""
    g = res.geometry
    mast = float(res.scenario.site.element_mast_m)
    frac = g.sun_fraction.get(mast)
    if frac is None:  # the mast nearest to the elements'
        frac = g.sun_fraction[min(g.sun_fraction, key=lambda m: abs(m - mast))]
    return g.tdb_s, frac


def _array_sun(res) -> np.ndarray:
    """The Sun's visible fraction at the highest mast (the solar arrays')."""
    g = res.geometry
    return g.sun_fraction[max(g.sun_fraction)]


def night_before(res, tdb_s: float, within_s: float = 86400.0) -> tuple[float, float]:
    """The last night of the arrays (no Sun visible at their mast) ending at most
    ``within_s`` before ``tdb_s``: (start, end) in TDB s, or (nan, nan) if none."""
    t = res.geometry.tdb_s
    dark = _array_sun(res) <= 1e-3
    i = int(np.clip(np.searchsorted(t, tdb_s), 0, t.size - 1))
    idx = np.flatnonzero(dark[: i + 1] & (t[: i + 1] >= tdb_s - within_s))
    if not idx.size:
        return float("nan"), float("nan")
    end = int(idx[-1])
    lit = np.flatnonzero(~dark[:end])
    start = int(lit[-1]) + 1 if lit.size else 0
    return float(t[start]), float(t[end])


def _utc(tdb_s: float) -> str:
    from ilrs.sky.timescale import tdb_s_to_utc_iso

    return fmt.utc(tdb_s_to_utc_iso(np.array([tdb_s]), 0)[0])


def _min_soc_bin(res) -> int:
    soc = res.series("soc_min")
    finite = np.isfinite(soc)
    return int(np.argmin(np.where(finite, soc, np.inf))) if finite.any() else 0


def _data_split(res) -> tuple[float, float]:
    """Data lost (GB) in hours with no data returned (no link) and in hours with a link
    running at its capacity."""
    lost = res.series("data_lost_bit") / 8e9
    returned = res.series("data_returned_bit")
    no_link = float(lost[returned <= 0].sum())
    return no_link, float(lost.sum()) - no_link


def margins(res) -> list[Margin]:
    """The constraints of the run, smallest margin first."""
    k, sc = res.kpis, res.scenario
    out = []
    surv = k["survival"]
    if not surv["ok"]:
        out.append(Margin("survival power", 0.0, f"brown-out of survival loads first at "
                          f"{fmt.utc(surv['first_brownout_utc'])}, "
                          f"{fmt.hours(surv['brownout_hours'])} in all"))
    if k.get("min_soc") is not None and sc.batteries:
        floor = _battery_floor(sc)
        shed = sc.fdir.shed_science_soc
        usable = (k["min_soc"] - floor) / max(1e-9, 1.0 - floor)
        science = k["energy_not_served_kwh"]["science_shed_by_fdir"]
        detail = (f"battery state of charge fell to {fmt.percent(k['min_soc'])} on "
                  f"{fmt.utc(k['min_soc_utc'], 'day')} against a floor of "
                  f"{fmt.percent(floor, 0)} (FDIR sheds science below {fmt.percent(shed, 0)})")
        if science > 0.5:
            detail += f"; FDIR shed {fmt.energy_kwh(science)} of science to protect it"
        out.append(Margin("stored energy through the night", max(0.0, usable), detail))
    generated = k.get("data_generated_gb") or 0.0
    if generated > 0:
        lost = k["data_lost_gb"]
        out.append(Margin("data return", 1.0 - lost / generated,
                          f"{fmt.data_gb(lost)} of {fmt.data_gb(generated)} generated were "
                          f"lost ({fmt.percent(lost / generated)})"))
    if k.get("crew_person_days"):
        ratio = k["crew_days_supported"] / k["crew_person_days"]
        out.append(Margin("crew life support", ratio - (1.0 - ratio),
                          f"{fmt.number(k['crew_days_supported'])} of "
                          f"{fmt.number(k['crew_person_days'])} crew-days supported"))
    return sorted(out, key=lambda m: m.fraction)


def findings(res, lighting=None) -> list[Finding]:
    """The findings section: verdict, binding constraint, worst night, margins, data."""
    k, sc = res.kpis, res.scenario
    period = f"{fmt.utc(k['start_utc'], 'day')} … {fmt.utc(k['stop_utc'], 'day')}"
    out = []
    surv = k["survival"]
    if surv["ok"]:
        out.append(Finding("Verdict", f"The station survived {period}: every survival load "
                           "was powered at every step."))
    else:
        first = surv["brownouts"][0] if surv["brownouts"] else {}
        out.append(Finding("Verdict", f"Survival power failed: a brown-out first at "
                           f"{fmt.utc(surv['first_brownout_utc'])} "
                           f"({first.get('cause', 'cause unknown')}), "
                           f"{fmt.hours(surv['brownout_hours'])} in all over {period}."))
    ranked = margins(res)
    if ranked and ranked[0].fraction < NEAR_LIMIT:
        m = ranked[0]
        out.append(Finding("Binding constraint", f"{m.name[0].upper()}{m.name[1:]} "
                           f"(margin {fmt.percent(m.fraction, 0)}): {m.detail}."))
    elif ranked:
        out.append(Finding("Binding constraint", "None came near its limit in this period "
                           f"(smallest margin: {ranked[0].name}, "
                           f"{fmt.percent(ranked[0].fraction, 0)})."))
    i = _min_soc_bin(res)
    drawn = k.get("min_soc") is not None and k["min_soc"] < FULL_SOC
    if drawn:
        t = float(res.bin_tdb_s[i]) + res.bin_s
        n0, n1 = night_before(res, t)
        night = (f"The hardest moment was {fmt.utc(k['min_soc_utc'])}: the battery at "
                 f"{fmt.percent(k['min_soc'])}")
        if np.isfinite(n0):
            night += (f" at the end of a night of {fmt.hours((n1 - n0) / 3600.0)} at the "
                      f"arrays ({_utc(n0)} → {_utc(n1)})")
        else:
            night += " with the Sun on the arrays (loads above generation)"
    else:
        night = "The batteries never had to carry the station: they stayed full"
    if lighting is not None and lighting.longest_night is not None:
        n = lighting.longest_night
        night += (f"; the longest night at the elements' {sc.site.element_mast_m:g} m "
                  f"mast lasted {fmt.hours(24 * n.days)} ({fmt.utc(n.start_utc, 'day')} "
                  f"→ {fmt.utc(n.stop_utc, 'day')})")
    elif lighting is not None:
        night += f"; the Sun never set at the elements' {sc.site.element_mast_m:g} m mast"
    out.append(Finding("Worst night", night + "."))
    if len(ranked) > 1:
        out.append(Finding("Margins", "; ".join(f"{m.name} {fmt.percent(m.fraction, 0)} — "
                                                 f"{m.detail}" for m in ranked[1:]) + "."))
    energy = energy_finding(k["energy_kwh"])
    if energy is not None:
        out.insert(2, energy)  # after the verdict and the binding constraint
    if (k.get("data_generated_gb") or 0) > 0:
        no_link, at_capacity = _data_split(res)
        c = k["contact_availability"]
        links = (f"A link was available {fmt.percent(c['any'])} of the time (direct to "
                 f"Earth {fmt.percent(c['direct_to_earth'])}, relay {fmt.percent(c['relay'])}).")
        if k["data_lost_gb"] <= 0:
            text = f"Returned {fmt.data_gb(k['data_returned_gb'])}, nothing lost. {links}"
        else:
            cause = ("mostly while no link was up (Earth below the horizon and the relay out "
                     "of view), when the onboard buffer filled" if no_link >= at_capacity
                     else "mostly while a link was up but at its capacity")
            text = (f"Returned {fmt.data_gb(k['data_returned_gb'])}, lost "
                    f"{fmt.data_gb(k['data_lost_gb'])} — {cause} ({fmt.data_gb(no_link)} "
                    f"without a link, {fmt.data_gb(at_capacity)} at capacity). {links}")
        out.append(Finding("Data return", text))
    return out


def energy_finding(e: dict) -> Finding | None:
    """What the plant's size meant: the share of the generation curtailed, and, above
    :data:`OVERSIZED_CURTAILED`, that the plant is oversized for its loads."""
    generated = e.get("generated") or 0.0
    if generated <= 0:
        return None
    curtailed = (e.get("curtailed") or 0.0) / generated
    delivered = (e.get("delivered") or 0.0) / generated
    numbers = (f"{fmt.percent(curtailed, 0)} of the {fmt.energy_kwh(generated)} generated was "
               f"curtailed ({fmt.energy_kwh(e.get('curtailed'))}: no load could use it and "
               f"storage was full); the loads took {fmt.percent(delivered, 0)} "
               f"({fmt.energy_kwh(e.get('delivered'))})")
    if curtailed > OVERSIZED_CURTAILED:
        return Finding("Plant oversized", f"The power plant is oversized for its loads: "
                       f"{numbers}. The surplus could run more loads (ISRU, science), or the "
                       "plant be smaller where the nights allow it.")
    return Finding("Energy", f"Generation and loads are matched: {numbers}.")


def kpi_rows(res) -> list[tuple[str, str, str]]:
    """(indicator, value with unit, note) for the KPI table."""
    k = res.kpis
    e = k["energy_kwh"]
    ns = k["energy_not_served_kwh"]
    c = k["contact_availability"]
    surv = k["survival"]
    rows = [
        ("Period simulated", f"{fmt.utc(k['start_utc'], 'day')} … "
         f"{fmt.utc(k['stop_utc'], 'day')}", f"{fmt.count(k['steps'])} steps of "
         f"{fmt.number(k['step_s'])} s"),
        ("Station missions", ", ".join(k["station_missions"]) or fmt.DASH,
         "not delivered: " + (", ".join(k["missions_not_delivered"]) or "none")),
        ("Survival", "all loads powered" if surv["ok"] else "BROWN-OUT",
         f"{fmt.hours(surv['brownout_hours'])} of brown-out"),
        ("Minimum battery state of charge", fmt.percent(k.get("min_soc")),
         fmt.utc(k.get("min_soc_utc"))),
        ("Energy generated", fmt.energy_kwh(e.get("generated")), "solar, RTG, fission"),
        ("Energy delivered to loads", fmt.energy_kwh(e.get("delivered")),
         f"survival {fmt.energy_kwh(e.get('delivered_survival'))}, comms "
         f"{fmt.energy_kwh(e.get('delivered_comms'))}, science "
         f"{fmt.energy_kwh(e.get('delivered_science'))}, ISRU "
         f"{fmt.energy_kwh(e.get('delivered_isru'))}"),
        ("Energy curtailed", fmt.energy_kwh(e.get("curtailed")), "no load and storage full"),
        ("Storage losses", fmt.energy_kwh((e.get("battery_losses") or 0)
                                          + (e.get("rfc_losses") or 0)),
         f"battery {fmt.energy_kwh(e.get('battery_losses'))}, fuel cell "
         f"{fmt.energy_kwh(e.get('rfc_losses'))}"),
        ("Energy not served", fmt.energy_kwh(ns["survival"] + ns["comms"] + ns["science"]),
         f"survival {fmt.energy_kwh(ns['survival'])}; science shed by FDIR "
         f"{fmt.energy_kwh(ns['science_shed_by_fdir'])}"),
        ("Data generated", fmt.data_gb(k.get("data_generated_gb")), "science and housekeeping"),
        ("Data returned to Earth", fmt.data_gb(k.get("data_returned_gb")), ""),
        ("Data lost", fmt.data_gb(k.get("data_lost_gb")), "onboard buffer full"),
        ("Contact availability", fmt.percent(c["any"]),
         f"direct to Earth {fmt.percent(c['direct_to_earth'])}, relay "
         f"{fmt.percent(c['relay'])}"),
        ("Oxygen produced (ISRU)", fmt.mass_kg(k.get("o2_produced_kg")),
         f"used by crew {fmt.mass_kg(k.get('o2_used_by_crew_kg'))}"),
        ("Crew-days supported", f"{fmt.number(k.get('crew_days_supported'))} of "
         f"{fmt.number(k.get('crew_person_days'))}",
         f"water {fmt.mass_kg(k.get('water_kg_needed'))}, food "
         f"{fmt.mass_kg(k.get('food_kg_needed'))} needed"),
        ("Rover traverses", ", ".join(f"{rid} {fmt.number(km)} km"
                                      for rid, km in k["rover_km"].items()) or fmt.DASH, ""),
        ("Faults injected / events", f"{fmt.count(k['faults'])} / {fmt.count(k['events'])}",
         "every event is listed below"),
        *thermal_rows(k.get("thermal")),
    ]
    return rows


def thermal_rows(th) -> list[tuple[str, str, str]]:
    """KPI rows of thermal survival: the regolith surface, the coldest node, the heaters."""
    if not th:
        return []
    surf, night = th["surface_k"], th["heater_per_night_kwh"]
    cold = sum(n["hours_below_limit"] for n in th["nodes"].values())
    return [
        ("Regolith surface under the landers", f"{surf['min']:.0f} … {surf['max']:.0f} K",
         f"mean {surf['mean']:.0f} K (1-D column, {th['regolith']['layers']} layers, "
         f"{fmt.number(th['regolith']['step_s'])} s steps)"),
        ("Coldest thermal node", fmt.number(th["node_min_k"]) + " K"
         if th["node_min_k"] is not None else fmt.DASH,
         f"{fmt.hours(cold)} below a node's limit in all"),
        ("Survival heater energy", fmt.energy_kwh(th["heater_kwh"]),
         f"worst night of the arrays {fmt.energy_kwh(night['max'])} in "
         f"{fmt.hours(night['max_night_hours'])} ({fmt.utc(night['max_night_utc'], 'day')})"),
    ]


#: The columns of :func:`science_rows`.
SCIENCE_HEADER = ("payload", "science hours", "share of the period")


def science_rows(res) -> list[tuple[str, str, str]]:
    """(payload, hours of science, share of the period run) for the payloads that ran;
    the hours always in hours (never switched to days under an "hours" heading)."""
    k = res.kpis
    period_h = k["steps"] * k["step_s"] / 3600.0
    return [(name, fmt.number(h, 0), fmt.percent(h / period_h) if period_h > 0 else fmt.DASH)
            for name, h in k["science_hours"].items()]
