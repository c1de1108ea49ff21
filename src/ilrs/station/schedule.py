"""A schedule of loads commanded from outside the twin (a plan), and the conditions per step.

The twin runs its science payloads and rovers by fixed rules (condition + duty,
:func:`~ilrs.station.build.block_inputs`). A :class:`Schedule` replaces those rules: each
entry switches one load on from ``start`` to ``stop`` (TDB s) at a power and a data rate,
and names the conditions it relies on. ``Twin.run(schedule=...)`` calls
:meth:`Schedule.apply` on every block, which swaps the science loads, data rates and the
running/driving masks of the block for the schedule's and records, per entry, the steps on
which a needed condition did not hold (:attr:`Schedule.broken`).

:func:`step_conditions` gives the condition flags of a block from the twin's own inputs and
geometry (the Sun seen at the element height through the site's real horizon, the Earth
and the relay above the antenna's horizon and masks, eclipses, crew on site, the thermal
sink temperature), so a planner and the replay read the same conditions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ilrs.station.build import BlockInputs
from ilrs.station.config import Scenario
from ilrs.station.geometry import Geometry

__all__ = ["CONDITIONS", "Schedule", "step_conditions"]

#: The conditions an entry may need (``thermal_window`` also needs its sink range).
CONDITIONS = ("sunlit", "dark", "earth_in_view", "relay_in_view", "contact",
              "not_in_eclipse", "crew_present", "thermal_window")

#: A payload counts as sunlit (and its thermal node as warm) above this visible disk
#: fraction, as in :func:`~ilrs.station.build.block_inputs`.
LIT_FRACTION = 0.5


def step_conditions(t: np.ndarray, inputs: BlockInputs, geo: Geometry,
                    scenario: Scenario) -> dict[str, np.ndarray]:
    """Boolean condition flags at the steps ``t`` (TDB s), plus ``sink_k`` (float): the
    radiative sink temperature of the first thermal node (dark to sunlit sink with the
    visible solar disk, as :func:`~ilrs.station.components.heater_demand_w` uses)."""
    sun = geo.at("sun_fraction", t, float(scenario.site.element_mast_m))
    lit = sun > LIT_FRACTION
    eclipse = geo.at("eclipse_hidden_fraction", t) > 0.0
    if scenario.thermal:
        th = scenario.thermal[0]
        sink_k = th.sink_dark_k + sun * (th.sink_sun_k - th.sink_dark_k)
    else:
        sink_k = np.full(t.size, np.nan)
    return {
        "sunlit": lit, "dark": ~lit,
        "earth_in_view": inputs.dte_ok.copy(), "relay_in_view": inputs.relay_ok.copy(),
        "contact": inputs.dte_ok | inputs.relay_ok,
        "not_in_eclipse": ~eclipse,
        "crew_present": inputs.crew_present > 0,
        "sink_k": sink_k,
    }


@dataclass
class Schedule:
    """Loads switched by a plan. Entry ``j`` runs from ``start_tdb_s[j]`` (inclusive) to
    ``stop_tdb_s[j]`` (exclusive) drawing ``power_w[j]`` from the science bus and producing
    ``data_bit_s[j]``; it is payload ``payload[j]`` of ``BuildUp.payloads`` or rover
    ``rover[j]`` of ``scenario.rovers`` (-1: neither), and needs ``needs[j]`` (names of
    :data:`CONDITIONS`; ``thermal_window`` between ``sink_min_k[j]`` and ``sink_max_k[j]``)."""

    scenario: Scenario
    start_tdb_s: np.ndarray
    stop_tdb_s: np.ndarray
    power_w: np.ndarray
    data_bit_s: np.ndarray
    payload: np.ndarray
    rover: np.ndarray
    needs: list[tuple[str, ...]]
    sink_min_k: np.ndarray
    sink_max_k: np.ndarray
    #: bool per ``BuildUp.payloads``: the science payloads, run only as scheduled
    science_payloads: np.ndarray
    #: the plan's span (TDB s): outside it the payloads' rules drive the loads
    span_start_tdb_s: float = -np.inf
    span_stop_tdb_s: float = np.inf
    #: when each entry's payload or rover is on site (TDB s; None: always): before that
    #: the entry draws nothing and does nothing, whatever the plan says
    on_site_tdb_s: np.ndarray | None = None
    #: entry index -> number of steps on which a needed condition did not hold
    broken: dict[int, int] = field(default_factory=dict)
    #: entry index -> number of steps it was scheduled before its load was on site
    absent: dict[int, int] = field(default_factory=dict)
    #: entry index -> number of steps run (filled by :meth:`apply`)
    steps_run: np.ndarray | None = None

    def __post_init__(self):
        unknown = {n for need in self.needs for n in need} - set(CONDITIONS)
        if unknown:
            raise ValueError(f"unknown condition(s) {sorted(unknown)}; known: {CONDITIONS}")
        self.steps_run = np.zeros(self.start_tdb_s.size, np.int64)

    def active(self, t: np.ndarray) -> np.ndarray:
        """(entries, steps) bool: which entries run at the steps ``t``."""
        return ((t[None, :] >= self.start_tdb_s[:, None] - 1e-3)
                & (t[None, :] < self.stop_tdb_s[:, None] - 1e-3))

    def apply(self, t: np.ndarray, inputs: BlockInputs, geo: Geometry) -> BlockInputs:
        """The block's inputs with the science loads, data rates and run masks of the
        schedule (survival, communications, ISRU, storage untouched)."""
        n = t.size
        near = np.flatnonzero((self.stop_tdb_s > t[0]) & (self.start_tdb_s <= t[-1]))
        load2 = np.zeros(n)
        sci = np.zeros(n)
        running = inputs.payload_running.copy()
        running[self.science_payloads] = False
        driving = np.zeros_like(inputs.rover_driving)
        if near.size:
            on = self.active(t)[near]
            if self.on_site_tdb_s is not None:
                here = t[None, :] >= self.on_site_tdb_s[near, None]
                for row in np.flatnonzero((on & ~here).any(axis=1)):
                    j = int(near[row])
                    self.absent[j] = self.absent.get(j, 0) + int(np.count_nonzero(
                        on[row] & ~here[row]))
                on &= here
            cond = step_conditions(t, inputs, geo, self.scenario)
            load2 = self.power_w[near] @ on
            sci = self.data_bit_s[near] @ on
            for row, j in enumerate(near):
                mask = on[row]
                self.steps_run[j] += int(mask.sum())
                if self.payload[j] >= 0:
                    running[self.payload[j]] |= mask
                if self.rover[j] >= 0:
                    driving[self.rover[j]] |= mask
                ok = np.ones(n, bool)
                for need in self.needs[j]:
                    if need == "thermal_window":
                        ok &= ((cond["sink_k"] >= self.sink_min_k[j])
                               & (cond["sink_k"] <= self.sink_max_k[j]))
                    else:
                        ok &= cond[need]
                bad = int(np.count_nonzero(mask & ~ok))
                if bad:
                    self.broken[int(j)] = self.broken.get(int(j), 0) + bad
        inside = (t >= self.span_start_tdb_s - 1e-3) & (t < self.span_stop_tdb_s - 1e-3)
        if not inside.all():
            load2 = np.where(inside, load2, inputs.load2_w)
            sci = np.where(inside, sci, inputs.sci_bit_s)
            running = np.where(inside, running, inputs.payload_running)
            driving = np.where(inside, driving, inputs.rover_driving)
        return replace(inputs, load2_w=load2, sci_bit_s=sci, payload_running=running,
                       rover_driving=driving)
