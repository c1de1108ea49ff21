"""The ILRS campaign: what lands where and when, as validated data with its analyses.

``Roadmap.load_builtin()`` gives the built-in roadmap; :func:`validate` checks it,
:func:`schedule_risk` runs the launch-slip Monte Carlo and :func:`measures_of_effectiveness`
computes SpaceNet-style measures. :func:`deliveries` is what the station twin reads.
"""

from ilrs.campaign.deliveries import Delivery, deliveries
from ilrs.campaign.model import (
    DateEntry,
    DateKind,
    Destination,
    Element,
    Facility,
    FirstFlight,
    IlrsFunction,
    LaunchVehicle,
    Mission,
    MissionStatus,
    Partner,
    Payload,
    Phase,
    Roadmap,
    Sourced,
    Stage,
    VehicleStatus,
)
from ilrs.campaign.moe import Moe, measures_of_effectiveness
from ilrs.campaign.risk import RiskResult, schedule_risk
from ilrs.campaign.slips import SlipModel, fit_slip_models
from ilrs.campaign.validate import Finding, Severity, validate

__all__ = [
    "DateEntry",
    "DateKind",
    "Delivery",
    "Destination",
    "Element",
    "Facility",
    "Finding",
    "FirstFlight",
    "IlrsFunction",
    "LaunchVehicle",
    "Mission",
    "MissionStatus",
    "Moe",
    "Partner",
    "Payload",
    "Phase",
    "RiskResult",
    "Roadmap",
    "Severity",
    "SlipModel",
    "Sourced",
    "Stage",
    "VehicleStatus",
    "deliveries",
    "fit_slip_models",
    "measures_of_effectiveness",
    "schedule_risk",
    "validate",
]
