"""The station twin: the ILRS built up mission by mission and simulated for years.

``Twin.from_campaign(roadmap, site, scenario)`` (or ``Twin.from_scenario(path)``) builds
the station; ``.run()`` simulates it and returns :class:`Results` (time series, events,
KPIs). Scenarios are YAML (:func:`load_scenario`; ``None`` is the built-in reference).
:class:`LiveTwin` runs the same loop live, step by step, for the command center.
"""

from ilrs.station.config import Scenario, load_scenario, reference_scenario_path
from ilrs.station.live import LiveTwin
from ilrs.station.results import Results, energy_balance
from ilrs.station.twin import Twin, load_roadmap_for

__all__ = [
    "LiveTwin",
    "Results",
    "Scenario",
    "Twin",
    "energy_balance",
    "load_roadmap_for",
    "load_scenario",
    "reference_scenario_path",
]
