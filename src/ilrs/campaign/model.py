"""The campaign data model: roadmap, missions, payloads, launch vehicles and partners.

Every number in the data is a :class:`Sourced` value — ``{value: …, source: "…"}`` with the
unit in the field name (``mass_kg``, ``power_day_w``) — so a reader can see where it came
from; an estimate says so in its source. Dates are ISO strings (see
:mod:`ilrs.campaign.dates`), each with its kind, source and the date it was announced, so a
mission may carry several announcements and its slips stay visible.

>>> from ilrs.campaign import Roadmap
>>> roadmap = Roadmap.load_builtin()
>>> m = roadmap.mission("Chang'e-6")
>>> m.status, m.launch_date, roadmap.landing_date(m), m.mass_kg.value
('success', '2024-05-03', '2024-06-02', 8350.0)
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ilrs import yamlfile
from ilrs.campaign.dates import IsoDate, from_mjd, to_mjd
from ilrs.campaign.loader import builtin_path, load_raw
from ilrs.errors import CampaignReferenceError

__all__ = [
    "DateEntry",
    "DateKind",
    "Destination",
    "Element",
    "Facility",
    "FirstFlight",
    "IlrsFunction",
    "LaunchVehicle",
    "Mission",
    "MissionStatus",
    "Partner",
    "Payload",
    "Phase",
    "Roadmap",
    "Sourced",
    "Stage",
    "VehicleStatus",
    "load_roadmap",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


class Sourced(_Model):
    """A number with the source it came from; the unit is in the name of the field."""

    value: float
    source: str = Field(min_length=1)

    @property
    def is_estimate(self) -> bool:
        """True when the source says the value is an estimate or an assumption."""
        return "estimate" in self.source.lower() or "assum" in self.source.lower()


class MissionStatus(StrEnum):
    planned = "planned"
    in_flight = "in_flight"
    success = "success"
    partial = "partial"
    failed = "failed"
    cancelled = "cancelled"


class DateKind(StrEnum):
    planned = "planned"  # a planned launch date, as announced on ``announced``
    launched = "launched"
    landed = "landed"
    ended = "ended"


class VehicleStatus(StrEnum):
    operational = "operational"
    in_development = "in_development"
    cancelled = "cancelled"


class IlrsFunction(StrEnum):
    command_center = "command_center"
    energy = "energy"
    communications = "communications"
    research = "research"
    isru = "isru"
    biomedical = "biomedical"
    astronomy_earth_observation = "astronomy_earth_observation"
    transport = "transport"


class Element(StrEnum):
    orbiter = "orbiter"
    lander = "lander"
    rover = "rover"
    hopper = "hopper"
    relay = "relay"
    ascender = "ascender"
    returner = "returner"
    cargo = "cargo"


class Stage(_Model):
    """A stage inside a phase (Construction has two)."""

    id: str
    name: str
    start_year: int
    end_year: int | None = None
    objectives: list[str] = []
    source: str = Field(min_length=1)


class Phase(_Model):
    """A roadmap phase; ``end_year`` is ``None`` for an open-ended one (Utilization)."""

    id: str
    name: str
    start_year: int
    end_year: int | None = None
    stages: list[Stage] = []
    objectives: list[str] = []
    source: str = Field(min_length=1)


class Partner(_Model):
    """A country or organization that joined the ILRS, with its join date."""

    id: str
    name: str
    kind: Literal["country", "organization", "company"]
    joined: IsoDate
    source: str = Field(min_length=1)


class FirstFlight(_Model):
    """A launch vehicle's first flight: flown (``planned: false``) or planned."""

    date: IsoDate
    planned: bool = False
    source: str = Field(min_length=1)


class LaunchVehicle(_Model):
    """A launch vehicle with its capacity to Earth–Moon transfer (``None`` if unpublished)."""

    id: str
    name: str
    agency: str
    status: VehicleStatus
    capacity_emt_kg: Sourced | None = None
    first_flight: FirstFlight | None = None
    status_source: str = Field(min_length=1)


class Facility(_Model):
    """An ILRS facility (a capability of the station) and the function it serves."""

    id: str
    name: str
    function: IlrsFunction
    source: str = Field(min_length=1)


class Payload(_Model):
    """A payload a mission carries; numbers may be ``None`` when nothing is published."""

    name: str
    owner: str
    function: IlrsFunction
    mass_kg: Sourced | None = None
    power_day_w: Sourced | None = None
    power_night_w: Sourced | None = None
    data_rate_bit_s: Sourced | None = None
    note: str = ""


class Destination(_Model):
    """Where a mission goes: a surface site (lat/lon in degrees, ME frame) or a lunar orbit."""

    kind: Literal["surface", "orbit"]
    name: str
    lat_deg: float | None = Field(default=None, ge=-90.0, le=90.0)
    lon_deg: float | None = Field(default=None, ge=-180.0, le=360.0)
    periapsis_altitude_m: float | None = None
    apoapsis_altitude_m: float | None = None
    inclination_deg: float | None = None
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _coordinates(self) -> Destination:
        if (self.lat_deg is None) != (self.lon_deg is None):
            raise ValueError("both lat_deg and lon_deg, or neither")
        if self.kind == "orbit" and self.lat_deg is not None:
            raise ValueError("no lat_deg/lon_deg for an orbit destination")
        return self


class DateEntry(_Model):
    """One dated fact about a mission: a plan (as announced on a date) or an outcome."""

    kind: DateKind
    date: IsoDate
    announced: IsoDate | None = None
    source: str = Field(min_length=1)
    note: str = ""

    @property
    def announced_date(self) -> str:
        """When this was stated; an outcome is known on the day it happens."""
        return self.announced if self.announced is not None else self.date


_DONE = {MissionStatus.success, MissionStatus.partial, MissionStatus.failed}


class Mission(_Model):
    """A campaign mission. ``facilities`` are the ILRS facilities it delivers; ``requires``
    the facilities that must be in place (landed) before it launches; ``depends_on`` the
    missions that must have landed (or reached orbit) before it launches."""

    id: str
    name: str
    agency: str
    countries: list[str]
    vehicle: str
    alternative_vehicles: list[str] = []
    elements: list[Element]
    destination: Destination | None = None
    dates: list[DateEntry] = Field(min_length=1)
    status: MissionStatus
    phase: str
    objectives: list[str] = []
    facilities: list[str] = []
    payloads: list[Payload] = []
    depends_on: list[str] = []
    requires: list[str] = []
    mass_kg: Sourced | None = None
    transfer_days: Sourced | None = None
    note: str = ""

    def _last(self, kind: DateKind) -> DateEntry | None:
        entries = [d for d in self.dates if d.kind == kind]
        return max(entries, key=lambda d: to_mjd(d.announced_date)) if entries else None

    @property
    def planned_dates(self) -> list[DateEntry]:
        """The planned-launch announcements, oldest announcement first."""
        entries = [d for d in self.dates if d.kind == DateKind.planned]
        return sorted(entries, key=lambda d: to_mjd(d.announced_date))

    @property
    def launched(self) -> str | None:
        entry = self._last(DateKind.launched)
        return entry.date if entry else None

    @property
    def landed(self) -> str | None:
        entry = self._last(DateKind.landed)
        return entry.date if entry else None

    @property
    def ended(self) -> str | None:
        entry = self._last(DateKind.ended)
        return entry.date if entry else None

    @property
    def launch_date(self) -> str:
        """The actual launch date, else the latest announced plan."""
        if self.launched is not None:
            return self.launched
        return self.planned_dates[-1].date if self.planned_dates else self.dates[0].date

    @property
    def first_announced_date(self) -> str:
        """The earliest announced launch date (the first plan, else the launch itself)."""
        plans = self.planned_dates
        return plans[0].date if plans else self.launch_date

    @property
    def is_done(self) -> bool:
        """True when the mission has flown (success, partial or failed)."""
        return self.status in _DONE

    @property
    def delivers(self) -> bool:
        """True when its facilities count: not failed or cancelled."""
        return self.status not in (MissionStatus.failed, MissionStatus.cancelled)

    @property
    def lands(self) -> bool:
        return self.destination is not None and self.destination.kind == "surface"


class Roadmap(_Model):
    """The whole campaign. Load it with :meth:`load_builtin` or :meth:`load`.

    ``as_of`` is the cut-off date of the data (what "now" means for the schedule risk);
    ``transfer_days`` the default launch-to-landing time; ``basic_model`` the missions
    that together make the basic model, due by the end of ``basic_model_due``.
    """

    name: str
    as_of: IsoDate
    source: str = Field(min_length=1)
    transfer_days: Sourced
    basic_model: list[str]
    basic_model_due: IsoDate
    phases: list[Phase]
    partners: list[Partner]
    vehicles: list[LaunchVehicle]
    facilities: list[Facility]
    missions: list[Mission]

    # ---- loading -------------------------------------------------------------------
    @classmethod
    def load_builtin(cls) -> Roadmap:
        """The built-in ILRS roadmap shipped in ``ilrs/campaign/data/ilrs.yaml``."""
        return load_roadmap(None)

    @classmethod
    def load(cls, path: str | Path) -> Roadmap:
        """A roadmap or scenario file; a scenario with ``extends: builtin`` (or a path)
        overrides and extends its base (see :mod:`ilrs.campaign.loader`)."""
        return load_roadmap(path)

    # ---- lookups -------------------------------------------------------------------
    def mission(self, mission_id: str) -> Mission:
        """The mission with this id (the first one if ids repeat)."""
        for m in self.missions:
            if m.id == mission_id:
                return m
        raise CampaignReferenceError("mission", mission_id, "one of " + self._ids("missions"))

    def vehicle(self, vehicle_id: str) -> LaunchVehicle:
        for v in self.vehicles:
            if v.id == vehicle_id:
                return v
        raise CampaignReferenceError("vehicle", vehicle_id, "one of " + self._ids("vehicles"))

    def facility(self, facility_id: str) -> Facility:
        for f in self.facilities:
            if f.id == facility_id:
                return f
        raise CampaignReferenceError(
            "facility", facility_id, "one of " + self._ids("facilities")
        )

    def _ids(self, what: str) -> str:
        return ", ".join(x.id for x in getattr(self, what))

    def phase_of(self, mission: Mission) -> tuple[Phase, Stage | None] | None:
        """The phase (and stage) a mission is assigned to, or ``None`` if unknown."""
        for phase in self.phases:
            if phase.id == mission.phase:
                return phase, None
            for stage in phase.stages:
                if stage.id == mission.phase:
                    return phase, stage
        return None

    # ---- derived dates -------------------------------------------------------------
    def transfer_days_of(self, mission: Mission) -> float:
        """Launch-to-arrival time of a mission, days (its own value or the default)."""
        return (mission.transfer_days or self.transfer_days).value

    def arrival_mjd(self, mission: Mission) -> float:
        """MJD of arrival (landing or orbit insertion): actual if known, else planned."""
        if mission.landed is not None:
            return to_mjd(mission.landed)
        return to_mjd(mission.launch_date) + self.transfer_days_of(mission)

    def landing_date(self, mission: Mission | str) -> str:
        """ISO date of landing (or arrival in orbit): actual if known, else the current plan
        plus the transfer time."""
        if isinstance(mission, str):
            mission = self.mission(mission)
        if mission.landed is not None:
            return mission.landed
        return from_mjd(self.arrival_mjd(mission))

    def mass_of(self, mission: Mission) -> float | None:
        return mission.mass_kg.value if mission.mass_kg is not None else None


def load_roadmap(path: str | Path | None) -> Roadmap:
    """Load and validate a roadmap or scenario file (``None``: the built-in roadmap)."""
    data = load_raw(path)
    return yamlfile.validate(Roadmap, data, str(path if path is not None else builtin_path()))
