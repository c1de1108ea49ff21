"""What the live twin offers the command center: its elements, parameters, commands, events.

The station (power, storage, thermal, communications, FDIR, crew), each campaign payload
that draws power, each rover and the ISRU plants are *elements*, each with an id usable in
a parameter name (``station``, ``payload.command_center``, ``rover.lava_tube_explorer``,
``isru``), an owner partner from the campaign (the payload's owner; for the station and
the scenario's components, the lead country of the mission that lands them), and tables of
parameters (type, unit, limits) and commands (arguments, significance). The limits come
from the scenario: state of charge yellow below midway between the science-shed and
safe-mode thresholds and red below the battery's depth-of-discharge floor (0.40 / 0.30 in
the reference), buffer fill yellow above the FDIR resume fraction and red above the hold
fraction (0.80 / 0.95), temperature red below the thermal node's ``min_k`` and yellow below
midway to its set point.

>>> slug("Geological profiling rover (ground-penetrating radar)")
'geological_profiling_rover'
>>> EVENT_TYPES[("power", "brownout")]
(30, 'critical')
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from ilrs.station.timeline import BUS_SLOTS

__all__ = [
    "EVENT_TYPES",
    "ROVER_STATES",
    "Element",
    "ParamSpec",
    "command_specs",
    "elements_of",
    "parameter_specs",
    "slug",
]

#: Rover states (the ``state`` parameter is the index).
ROVER_STATES = ("not-landed", "idle", "driving", "held", "fault", "complete")

#: (source, kind) of every event the live twin emits -> (16-bit event id, severity); the
#: severities are those of PUS service 5 (info, warning = low, distress = medium,
#: critical = high).
EVENT_TYPES: dict[tuple[str, str], tuple[int, str]] = {
    ("campaign", "landing"): (1, "info"),
    ("campaign", "not-delivered"): (2, "warning"),
    ("fault", "battery-cell-loss"): (10, "distress"),
    ("fault", "array-degradation"): (11, "warning"),
    ("fault", "relay-outage"): (12, "warning"),
    ("fault", "isru-stuck"): (13, "warning"),
    ("fault", "rover-fault"): (14, "warning"),
    ("fdir", "action"): (20, "info"),
    ("fdir", "recovered"): (21, "info"),
    ("fdir", "safe-mode"): (22, "distress"),
    ("fdir", "safe-mode-exit"): (23, "info"),
    ("fdir", "shed-science"): (24, "warning"),
    ("fdir", "restore-science"): (25, "info"),
    ("fdir", "buffer-hold"): (26, "warning"),
    ("fdir", "buffer-release"): (27, "info"),
    ("power", "brownout"): (30, "critical"),
    ("power", "brownout-end"): (31, "info"),
    ("thermal", "below-limit"): (40, "critical"),
    ("thermal", "back-in-limits"): (41, "info"),
    ("data", "overflow"): (50, "warning"),
    ("data", "overflow-end"): (51, "info"),
    ("command", "executed"): (60, "info"),
}


def slug(text: str) -> str:
    """An identifier from a name: lower case, the part before any parenthesis, runs of
    other characters as ``_``."""
    s = re.sub(r"[^a-z0-9]+", "_", text.split("(")[0].lower()).strip("_") or "element"
    return s if s[0].isalpha() else "e_" + s


@dataclass(frozen=True)
class Element:
    """One element of the station as the command center sees it.

    ``role`` is ``station``, ``payload``, ``rover`` or ``isru``; ``index`` points into
    ``BuildUp.payloads`` (payloads) or ``scenario.rovers`` (rovers); ``priority`` is a
    payload's load class (0 survival, 1 communications, 2 science).
    """

    id: str
    role: str
    kind: str
    name: str
    owner: str
    mission: str
    arrival_tdb_s: float
    landing_date: str
    index: int = -1
    priority: int = -1


@dataclass(frozen=True)
class ParamSpec:
    """A parameter: name inside its element, attribute of the housekeeping record, type,
    unit, description and limits (``{"yellow": {"low"/"high": …}, "red": …}`` or None)."""

    name: str
    attr: str
    type: str
    unit: str
    description: str
    limits: dict[str, dict[str, float]] | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "unit": self.unit,
                               "description": self.description}
        if self.limits:
            out["limits"] = self.limits
        return out


def _lead(roadmap, mission_id: str) -> str:
    m = next((m for m in roadmap.missions if m.id == mission_id), None)
    return m.countries[0] if m is not None and m.countries else "unknown"


def _campaign_payloads(roadmap, mission_id: str):
    m = next((m for m in roadmap.missions if m.id == mission_id), None)
    return list(m.payloads) if m is not None else []


def elements_of(scenario, roadmap, up) -> tuple[Element, ...]:
    """Every element the campaign lands at the station (landed or still to come), in a
    fixed order: the station, the payloads (campaign order), the rovers, the ISRU plants.
    Elements of failed or cancelled missions never arrive and are left out."""
    out: list[Element] = []
    missions = sorted(up.station_missions, key=up.arrival)
    if missions:
        first = missions[0]
        out.append(Element("station", "station", "element", "ILRS station (power, thermal, "
                           "communications, FDIR, crew)", _lead(roadmap, first), first,
                           up.arrival(first), up.landing_dates[first]))
    used: set[str] = {"station"}

    def unique(base: str) -> str:
        eid, n = base, 2
        while eid in used:
            eid, n = f"{base}_{n}", n + 1
        used.add(eid)
        return eid

    for k, p in enumerate(up.payloads):
        owner = next((c.owner for c in _campaign_payloads(roadmap, p.mission_id)
                      if c.name == p.name), _lead(roadmap, p.mission_id))
        out.append(Element(unique("payload." + slug(p.name)), "payload", "payload", p.name,
                           owner, p.mission_id, p.arrival_tdb_s,
                           up.landing_dates[p.mission_id], k, p.priority))
    for k, r in enumerate(scenario.rovers):
        arrival = up.arrival(r.arrives_with)
        if not math.isfinite(arrival):
            continue
        rid = slug(r.id)
        owner = next((c.owner for c in _campaign_payloads(roadmap, r.arrives_with)
                      if rid in slug(c.name) or slug(c.name) in rid),
                     _lead(roadmap, r.arrives_with))
        out.append(Element(unique("rover." + rid), "rover", "payload", r.id, owner,
                           r.arrives_with, arrival, up.landing_dates[r.arrives_with], k))
    plants = [p for p in scenario.isru if math.isfinite(up.arrival(p.arrives_with))]
    if plants:
        first = min(plants, key=lambda p: up.arrival(p.arrives_with))
        owner = next((c.owner for c in _campaign_payloads(roadmap, first.arrives_with)
                      if c.function == "isru"), _lead(roadmap, first.arrives_with))
        out.append(Element(unique("isru"), "isru", "payload",
                           "ISRU oxygen plant(s): " + ", ".join(p.id for p in plants), owner,
                           first.arrives_with, up.arrival(first.arrives_with),
                           up.landing_dates[first.arrives_with]))
    return tuple(out)


def _flag(name: str, attr: str, description: str, level: str | None = None) -> ParamSpec:
    limits = {level: {"high": 0.5}} if level else None
    return ParamSpec(name, attr, "bool", "", description, limits)


def _f(name: str, attr: str, unit: str, description: str, limits=None) -> ParamSpec:
    return ParamSpec(name, attr, "float64", unit, description, limits)


def parameter_specs(element: Element, scenario) -> tuple[ParamSpec, ...]:
    """The housekeeping parameters of ``element`` (names relative to its id)."""
    if element.role == "station":
        return _station_params(scenario)
    if element.role == "payload":
        specs = [
            _flag("landed", "landed", "the payload has landed"),
            _flag("commanded_on", "commanded_on", "ground's switch: on (runs by its rule) "
                  "or off"),
            _flag("running", "running", "drawing power at the last step (after its run rule "
                  "and FDIR shedding)"),
            _f("power_w", "power_w", "W", "power drawn at the last step"),
            _f("data_rate_bit_s", "data_rate_bit_s", "bit/s",
               "data produced at the last step"),
        ]
        if element.priority == 2:
            specs.append(_f("science_s", "science_s", "s", "time spent doing science since "
                            "the live run started"))
        return tuple(specs)
    if element.role == "rover":
        codes = ", ".join(f"{i} {s}" for i, s in enumerate(ROVER_STATES))
        return (
            _flag("landed", "landed", "the rover has landed"),
            ParamSpec("state", "state_code", "uint8", "", f"rover state: {codes}"),
            _flag("driving", "driving", "driving at the last step"),
            _flag("held", "held", "held by a ground stop command"),
            _f("driven_km", "driven_km", "km", "distance driven since the live run started"),
            _f("planned_km", "planned_km", "km", "distance of the traverse planned so far "
               "(driven, or lost to shedding)"),
            _f("power_w", "power_w", "W", "drive power at the last step"),
        )
    return (
        _flag("landed", "landed", "an ISRU plant has landed"),
        _flag("commanded_on", "commanded_on", "ground's switch: on (runs on surplus power) "
              "or off"),
        _flag("running", "running", "producing oxygen at the last step"),
        _flag("stuck", "stuck", "a plant is stuck (fault; FDIR retries)", "yellow"),
        _f("power_w", "power_w", "W", "power drawn at the last step"),
        _f("max_power_w", "max_power_w", "W", "power the plants could take at the last step"),
        _f("o2_rate_kg_s", "o2_rate_kg_s", "kg/s", "oxygen production rate at the last step"),
        _f("o2_produced_kg", "o2_produced_kg", "kg", "oxygen produced since the live run "
           "started"),
    )


def _station_params(sc) -> tuple[ParamSpec, ...]:
    fdir = sc.fdir
    floor = 1.0 - sc.batteries[0].depth_of_discharge if sc.batteries else fdir.safe_mode_soc
    soc_limits = {"yellow": {"low": 0.5 * (fdir.shed_science_soc + fdir.safe_mode_soc)},
                  "red": {"low": floor}}
    fill_limits = {"yellow": {"high": fdir.buffer_resume_fraction},
                   "red": {"high": fdir.buffer_hold_fraction}}
    temp_limits = None
    if sc.thermal.nodes:
        th = sc.thermal.nodes[0]
        temp_limits = {"yellow": {"low": 0.5 * (th.min_k + th.setpoint_k)},
                       "red": {"low": th.min_k}}
    return (
        _f("time.tdb_s", "tdb_s", "s", "simulated time, TDB seconds past J2000"),
        _f("battery.soc", "soc", "", "battery state of charge (fraction)", soc_limits),
        _f("battery.energy_j", "energy_j", "J", "energy stored in the batteries"),
        _f("battery.capacity_j", "capacity_j", "J", "battery capacity after fade and faults"),
        _f("rfc.tank_j", "rfc_tank_j", "J", "energy stored in the fuel-cell tanks"),
        _flag("rfc.fuel_cell_on", "fuel_cell_on", "the regenerative fuel cell feeds the bus"),
        _f("power.generation_w", "generation_w", "W", "arrays, RTG and fission power"),
        _f("power.fuel_cell_w", "fuel_cell_w", "W", "fuel-cell power to the bus"),
        _f("load.survival_w", "survival_w", "W", "survival loads served (heaters, command "
           "center, energy plant, habitat)"),
        _f("load.comms_w", "comms_w", "W", "communications loads served"),
        _f("load.science_w", "science_w", "W", "science loads served (payloads, rovers)"),
        _f("load.isru_w", "isru_w", "W", "ISRU plant power"),
        _f("load.unserved_w", "unserved_w", "W", "demand not served, all classes"),
        _f("load.unserved_survival_w", "unserved_survival_w", "W",
           "survival demand not served"),
        _f("power.charge_w", "charge_w", "W", "battery charging power"),
        _f("power.discharge_w", "discharge_w", "W", "battery discharge power"),
        _f("power.curtailed_w", "curtailed_w", "W", "generation left unused"),
        _f("data.buffer_bit", "buffer_bit", "bit", "data in the onboard buffer"),
        _f("data.buffer_fill", "buffer_fill", "", "buffer fill (fraction)", fill_limits),
        _f("data.generated_bit_s", "generated_bit_s", "bit/s", "data produced"),
        _f("data.downlink_bit_s", "downlink_bit_s", "bit/s", "data sent to Earth"),
        _f("data.link_rate_bit_s", "link_rate_bit_s", "bit/s",
           "rate the best link closes at"),
        _flag("comms.dte_contact", "dte_contact", "the Earth is in view (direct link)"),
        _flag("comms.relay_contact", "relay_contact", "the relay is in view"),
        _flag("comms.transmitting", "transmitting", "the transmitter is on"),
        _flag("fdir.safe_mode", "safe_mode", "safe mode (by FDIR or by ground)", "yellow"),
        _flag("fdir.fdir_safe_mode", "fdir_safe_mode", "safe mode entered by FDIR"),
        _flag("fdir.science_shed", "science_shed", "FDIR has shed science (low SOC)"),
        _flag("fdir.buffer_hold", "buffer_hold", "FDIR holds science (buffer full)"),
        _flag("fdir.brownout", "brownout", "survival loads not fully powered", "red"),
        _flag("fdir.data_loss", "data_loss", "the buffer overflows", "yellow"),
        _flag("fdir.thermal_low", "thermal_low", "thermal node below its limit", "red"),
        _flag("ops.safe_hold", "ops_safe_hold", "safe mode held by ground command"),
        _flag("ops.science_hold", "ops_science_hold", "science held by ground command"),
        _f("thermal.temp_k", "temp_k", "K", "coldest thermal node temperature", temp_limits),
        _f("thermal.surface_k", "surface_k", "K", "regolith surface temperature under the "
           "landers (1-D column; 0 before the first step)"),
        _f("thermal.heater_w", "heater_w", "W", "survival heater power served"),
        _f("o2.store_kg", "o2_kg", "kg", "oxygen in store"),
        ParamSpec("crew.count", "crew", "uint8", "", "crew on the station"),
    )


def _cmd(name: str, significance: str, description: str, arguments=(),
         constraints=()) -> dict[str, Any]:
    return {"name": name, "significance": significance, "description": description,
            "arguments": [dict(a) for a in arguments],
            "constraints": [dict(c) for c in constraints]}


def command_specs(element: Element, scenario) -> list[dict[str, Any]]:
    """The commands of ``element`` (names relative to its id), as plain dicts with
    ``name``, ``significance``, ``description``, ``arguments`` (``name``, ``type``,
    ``unit``, ``min``, ``max``) and ``constraints`` (``parameter``, ``operator``,
    ``value``: what must hold before release)."""
    if element.role == "station":
        return [
            _cmd("safe_mode_enter", "warning", "enter safe mode and hold it (science and "
                 "transmitter off, survival and receivers only) until safe_mode_exit"),
            _cmd("safe_mode_exit", "critical", "release safe mode (ground's hold and FDIR's);"
                 " FDIR enters it again at the next step if the SOC is below its threshold",
                 constraints=[{"parameter": "battery.soc", "operator": ">",
                               "value": scenario.fdir.safe_mode_soc}]),
            _cmd("shed_science", "watch", "hold all science loads until restore_science"),
            _cmd("restore_science", "warning", "release ground's and FDIR's science hold; FDIR "
                 "sheds again if the SOC falls below its threshold"),
            _cmd("activity_start", "watch", "a planned activity with no load model of the "
                 "twin (an EVA, the regolith excavator) draws power_w on the science bus and "
                 "makes data_bit_s from the next step, in bus slot 'slot', until "
                 "activity_stop", arguments=[
                     {"name": "slot", "type": "float64", "unit": "", "min": 0.0,
                      "max": float(BUS_SLOTS - 1)},
                     {"name": "power_w", "type": "float64", "unit": "W", "min": 0.0,
                      "max": 20000.0},
                     {"name": "data_bit_s", "type": "float64", "unit": "bit/s", "min": 0.0,
                      "max": 1.0e9}]),
            _cmd("activity_stop", "none", "stop the planned activity in bus slot 'slot'",
                 arguments=[{"name": "slot", "type": "float64", "unit": "", "min": 0.0,
                             "max": float(BUS_SLOTS - 1)}]),
        ]
    if element.role == "payload":
        off = {0: "critical", 1: "distress"}.get(element.priority, "watch")
        return [
            _cmd("power_on", "none", "switch the payload on (it runs by its rule: condition "
                 "and duty)"),
            _cmd("power_off", off, "switch the payload off" + (
                " (a survival load)" if element.priority == 0 else
                " (a communications load)" if element.priority == 1 else "")),
        ] + ([_cmd("run", "none", "run the payload now, its rule (condition and duty) set "
                   "aside, until power_off or power_on (a planned activity)")]
             if element.priority == 2 else [])
    if element.role == "rover":
        rover = scenario.rovers[element.index]
        return [
            _cmd("drive", "watch", "resume the traverse (in sunlight, in contact, within the "
                 "daily duty hours), for distance_km more (0: to the end of the traverse)",
                 arguments=[{"name": "distance_km", "type": "float64", "unit": "km",
                             "min": 0.0, "max": float(rover.campaign_km)}]),
            _cmd("stop", "none", "stop and hold the rover until the next drive command"),
            _cmd("drive_leg", "watch", "drive now for distance_km (0: until stop), the duty "
                 "hours, sunlight and contact rules set aside (a planned leg); a rover fault "
                 "still stops it", arguments=[{"name": "distance_km", "type": "float64",
                                               "unit": "km", "min": 0.0,
                                               "max": float(rover.campaign_km)}]),
        ]
    return [
        _cmd("start", "none", "let the ISRU plants run on surplus power"),
        _cmd("stop", "watch", "stop the ISRU plants"),
    ]
