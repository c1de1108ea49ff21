"""When the station's missions arrive under a delay or a drawn launch slip.

The campaign's slip model (:mod:`ilrs.campaign.risk`) orders the missions (and vehicles not
yet flown) by dependency: a mission never launches before what it depends on has arrived.
A delay moves one mission's launch; a Monte Carlo trial draws every mission's slip from the
model fitted to the roadmap's own announcement history. Either way the dependents follow,
and each mission's landing moves by the difference from the undelayed schedule (so no
delay at all changes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ilrs.campaign import Roadmap
from ilrs.campaign import _kernels as ck
from ilrs.campaign.dates import from_mjd, to_mjd
from ilrs.campaign.risk import RiskInputs, prepare
from ilrs.errors import InputError
from ilrs.scale import block_rng

__all__ = ["Slips"]


@dataclass(frozen=True)
class Slips:
    """A roadmap's launch schedule as arrays, ready to be delayed or drawn."""

    roadmap: Roadmap
    inputs: RiskInputs
    arrival0_mjd: np.ndarray          # undelayed arrival of each column

    @classmethod
    def of(cls, roadmap: Roadmap) -> Slips:
        inputs = prepare(roadmap)
        return cls(roadmap, inputs, cls._arrival(inputs, inputs.base_mjd,
                                                 np.zeros((1, len(inputs.ids))))[0])

    @staticmethod
    def _arrival(inputs: RiskInputs, base_mjd: np.ndarray, rates: np.ndarray) -> np.ndarray:
        launch = ck.propagate(base_mjd, inputs.lead_days, inputs.offset_days, inputs.fixed,
                              inputs.deps, rates)
        return launch + inputs.offset_days

    def _landings(self, arrival_mjd: np.ndarray) -> dict[str, str]:
        """Landing dates (ISO) of the missions whose arrival moved."""
        out = {}
        for i, mission in enumerate(self.inputs.ids):
            shift = arrival_mjd[i] - self.arrival0_mjd[i]
            if shift > 0.5 and mission in {m.id for m in self.roadmap.missions}:
                landed = to_mjd(self.roadmap.landing_date(mission))
                out[mission] = from_mjd(landed + shift)
        return out

    def delayed(self, delays_days: dict[str, float]) -> dict[str, str]:
        """Landing dates after launching each mission ``delays_days`` later (days ≥ 0)."""
        base = self.inputs.base_mjd.copy()
        for mission, days in delays_days.items():
            if mission not in self.inputs.ids:
                raise InputError("delayed mission", mission, "a mission id of the campaign ("
                                 + ", ".join(m.id for m in self.roadmap.missions) + ")")
            i = self.inputs.ids.index(mission)
            if self.inputs.fixed[i] and days:
                raise InputError("delayed mission", mission, "a mission not yet launched")
            if not days >= 0:
                raise InputError(f"campaign.missions.{mission}.delay_days", days, "days >= 0")
            base[i] += days
        return self._landings(self._arrival(self.inputs, base,
                                            np.zeros((1, base.size)))[0])

    def drawn(self, seed: int, trial: int) -> dict[str, str]:
        """Landing dates of Monte Carlo ``trial`` (its own random stream of ``seed``)."""
        i = self.inputs
        rates = ck.draw_rates(block_rng(seed, trial), 1, i.p_on_time, i.log_mean, i.log_sd,
                              i.max_rate)
        return self._landings(self._arrival(i, i.base_mjd, rates)[0])
