"""Measures of effectiveness of a campaign, in the spirit of MIT SpaceNet.

Per year of arrival (current plans; failed and cancelled missions deliver nothing):
payload mass landed on the surface, in total and per ILRS function (payloads with a
published or estimated mass); facilities in place (cumulative); and partner payloads
(payloads owned by someone other than the mission's own countries). Per mission: launch
capacity utilization (mass / vehicle capacity).

>>> from ilrs.campaign import Roadmap, measures_of_effectiveness
>>> moe = measures_of_effectiveness(Roadmap.load_builtin())
>>> moe.facilities_by_year[2035], len(Roadmap.load_builtin().facilities)
(13, 13)
>>> moe.partner_payloads_total
10
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ilrs.campaign.model import Roadmap

__all__ = ["Moe", "measures_of_effectiveness"]


@dataclass(frozen=True)
class Moe:
    """Campaign measures; years are calendar years of arrival."""

    surface_mass_kg_by_year: dict[int, float]
    surface_mass_kg_by_function: dict[str, dict[int, float]]
    payloads_without_mass: int
    utilization_by_mission: dict[str, float]
    utilization_overall: float
    partner_payloads_by_year: dict[int, int]
    partner_payloads_total: int
    facilities_by_year: dict[int, int]

    def to_dict(self) -> dict:
        return {
            "surface_mass_kg_by_year": self.surface_mass_kg_by_year,
            "surface_mass_kg_by_function": self.surface_mass_kg_by_function,
            "payloads_without_mass": self.payloads_without_mass,
            "launch_capacity_utilization": {
                "by_mission": self.utilization_by_mission,
                "overall": self.utilization_overall,
            },
            "partner_payloads_by_year": self.partner_payloads_by_year,
            "partner_payloads_total": self.partner_payloads_total,
            "facilities_by_year": self.facilities_by_year,
        }


def measures_of_effectiveness(roadmap: Roadmap, *, last_year: int = 2040) -> Moe:
    """Compute the measures for ``roadmap``; cumulative series run to ``last_year``."""
    mass_year: dict[int, float] = defaultdict(float)
    mass_function: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    partners_year: dict[int, int] = defaultdict(int)
    first_facility_year: dict[str, int] = {}
    missing_mass = 0
    used = capacity = 0.0
    utilization: dict[str, float] = {}
    vehicles = {v.id: v for v in reversed(roadmap.vehicles)}
    for m in roadmap.missions:
        vehicle = vehicles.get(m.vehicle)
        if m.mass_kg and vehicle and vehicle.capacity_emt_kg:
            utilization[m.id] = m.mass_kg.value / vehicle.capacity_emt_kg.value
            used += m.mass_kg.value
            capacity += vehicle.capacity_emt_kg.value
        if not m.delivers:
            continue
        year = int(roadmap.landing_date(m)[:4])
        for fac in m.facilities:
            first_facility_year[fac] = min(first_facility_year.get(fac, year), year)
        for p in m.payloads:
            if p.owner not in m.countries:
                partners_year[year] += 1
            if not m.lands:
                continue
            if p.mass_kg is None:
                missing_mass += 1
                continue
            mass_year[year] += p.mass_kg.value
            mass_function[str(p.function)][year] += p.mass_kg.value
    years = range(min([*first_facility_year.values(), last_year]), last_year + 1)
    facilities = {y: sum(1 for f in first_facility_year.values() if f <= y) for y in years}
    return Moe(
        surface_mass_kg_by_year=dict(sorted(mass_year.items())),
        surface_mass_kg_by_function={
            k: dict(sorted(v.items())) for k, v in sorted(mass_function.items())
        },
        payloads_without_mass=missing_mass,
        utilization_by_mission=utilization,
        utilization_overall=used / capacity if capacity else float("nan"),
        partner_payloads_by_year=dict(sorted(partners_year.items())),
        partner_payloads_total=sum(partners_year.values()),
        facilities_by_year=facilities,
    )
