"""The activity model: activity types, their conditions, repetition goals and flight rules.

An activity file is YAML validated by pydantic (errors name the file, the line and the
field, through :mod:`ilrs.yamlfile`); a file may ``extends: default`` (the built-in set,
``data/activities.yaml``) and list only the activity types that change (records merge by
``id``). Every number says where it comes from (``source``).

>>> acts = load_activities(None)
>>> acts.activities[0].id, acts.slot_s
('seismic-monitoring', 1800.0)
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ilrs import yamlfile
from ilrs.errors import ScenarioFileError
from ilrs.sky.timescale import utc_to_tdb_s

__all__ = [
    "ActivitySet",
    "ActivityType",
    "After",
    "Duration",
    "Repeat",
    "RollingLimit",
    "TimeWindow",
    "default_activities_path",
    "load_activities",
]

#: The name an activity file uses to extend the built-in set.
DEFAULT = "default"

Condition = Literal["sunlit", "dark", "earth_in_view", "relay_in_view", "contact",
                    "not_in_eclipse", "crew_present", "thermal_window"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Duration(_Model):
    """A fixed duration (``h``) or a range (``min_h`` … ``max_h``), hours."""

    h: float | None = Field(None, gt=0)
    min_h: float | None = Field(None, gt=0)
    max_h: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one_kind(self):
        if self.h is None and (self.min_h is None or self.max_h is None):
            raise ValueError("either h, or both min_h and max_h")
        if self.h is not None and (self.min_h is not None or self.max_h is not None):
            raise ValueError("h alone, or min_h with max_h (not both kinds)")
        if self.h is None and self.min_h > self.max_h:
            raise ValueError("min_h <= max_h")
        return self

    @property
    def range_h(self) -> tuple[float, float]:
        return (self.h, self.h) if self.h is not None else (self.min_h, self.max_h)


class Repeat(_Model):
    """How many instances to try: ``hours_per_day`` (a daily goal, e.g. a seismometer
    20 h per day), ``per_day`` instances every day, or ``count`` over the whole horizon."""

    hours_per_day: float | None = Field(None, gt=0, le=24)
    per_day: int | None = Field(None, ge=1)
    count: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _exactly_one(self):
        if sum(v is not None for v in (self.hours_per_day, self.per_day, self.count)) != 1:
            raise ValueError("exactly one of hours_per_day, per_day, count")
        return self


class RollingLimit(_Model):
    """A flight rule on the resource: at most ``max_minutes`` of it in any ``window_h``."""

    max_minutes: float = Field(gt=0)
    window_h: float = Field(gt=0)


class TimeWindow(_Model):
    """An absolute window (UTC ISO dates or date-times): no instance starts before
    ``start`` and every instance ends by ``stop`` (a deadline)."""

    start: str | None = None
    stop: str | None = None

    @field_validator("start", "stop")
    @classmethod
    def _iso(cls, v):
        if v is not None:
            _tdb(v)
        return v

    def tdb_s(self) -> tuple[float, float]:
        return (_tdb(self.start) if self.start else -math.inf,
                _tdb(self.stop) if self.stop else math.inf)


def _tdb(iso: str) -> float:
    text = iso if "T" in iso else iso + "T00:00:00"
    try:
        return float(utc_to_tdb_s([text])[0])
    except ValueError as exc:
        raise ValueError(f"an ISO UTC date or date-time ({exc})") from None


class After(_Model):
    """Precedence: each instance starts ``min_gap_h`` … ``max_gap_h`` after the end of a
    scheduled instance of ``activity`` (e.g. an ascent after a sample-collection sortie)."""

    activity: str
    min_gap_h: float = Field(0.0, ge=0)
    max_gap_h: float | None = Field(None, ge=0)


class ActivityType(_Model):
    """One kind of activity and what it needs."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    payload: str | None = None        # the campaign payload it runs (a twin load)
    rover: str | None = None          # the scenario rover it drives (a twin load)
    resource: str | None = None       # the unary resource it occupies (default: the load)
    arrives_with: str | None = None   # the mission that brings what it uses (no twin load)
    duration: Duration
    power_w: float = Field(ge=0)
    data_bit_s: float = Field(0.0, ge=0)
    crew: int = Field(0, ge=0)        # crew members busy for the whole activity
    needs: tuple[Condition, ...] = ()
    thermal_window_k: tuple[float, float] | None = None
    value_per_h: float = Field(ge=0)
    repeat: Repeat
    rolling: RollingLimit | None = None
    after: After | None = None
    window: TimeWindow | None = None
    #: activity types it may not overlap (besides its own unary resource), e.g. a
    #: seismometer's quiet time against the drill and the rover drives
    excludes: tuple[str, ...] = ()
    #: runs only while the station's own transmitters (DTE and relay link) are silent
    #: (a radio telescope the station's downlink would blind)
    radio_quiet: bool = False
    source: str

    @field_validator("thermal_window_k")
    @classmethod
    def _ordered(cls, v):
        if v is not None and v[0] > v[1]:
            raise ValueError("[min_k, max_k] with min_k <= max_k")
        return v

    @model_validator(mode="after")
    def _consistent(self):
        if self.payload and self.rover:
            raise ValueError("payload or rover, not both (one twin load per activity type)")
        if ("thermal_window" in self.needs) != (self.thermal_window_k is not None):
            raise ValueError("thermal_window in needs exactly when thermal_window_k is set")
        if self.crew and "crew_present" not in self.needs:
            raise ValueError("crew_present in needs for an activity with crew")
        return self

    @property
    def unary(self) -> str:
        """The resource only one activity may hold at a time."""
        return self.resource or self.payload or self.rover or self.id


class PlanRules(_Model):
    """Whole-plan flight rules."""

    soc_min: float = Field(0.6, gt=0, lt=1)          # battery kept above (FDIR sheds at 0.45)
    buffer_max_fraction: float = Field(0.8, gt=0, le=1)   # downlink before the buffer passes
    bus_power_w: float = Field(gt=0)                 # science bus limit (cumulative)
    crew_hours_per_day: float = Field(8.0, gt=0, le=24)   # per crew member
    value_per_kg_o2: float = Field(0.0, ge=0)        # the value measure's ISRU oxygen
    source: str


class ActivitySet(_Model):
    """A named set of activity types with the plan's resolution and rules."""

    name: str
    description: str = ""
    slot_s: float = Field(900.0, ge=60, le=3600)
    rules: PlanRules
    activities: tuple[ActivityType, ...]
    file: str = "<built-in>"

    @model_validator(mode="after")
    def _references(self):
        ids = [a.id for a in self.activities]
        if len(set(ids)) != len(ids):
            raise ValueError("each activity id once")
        for a in self.activities:
            if a.after and a.after.activity not in ids:
                raise ValueError(f"{a.id}: after.activity {a.after.activity!r} is not an "
                                 f"activity id of the set")
            for other in a.excludes:
                if other not in ids:
                    raise ValueError(f"{a.id}: excludes {other!r}, not an activity id of "
                                     "the set")
        return self

    def by_id(self, activity_id: str) -> ActivityType:
        return next(a for a in self.activities if a.id == activity_id)


def default_activities_path() -> Path:
    return Path(str(resources.files("ilrs.plan") / "data" / "activities.yaml"))


def load_activities(path: str | Path | None = None) -> ActivitySet:
    """Load and validate an activity file (``None``: the built-in default set)."""
    builtin = default_activities_path()
    file = str(path) if path is not None else str(builtin)
    data = yamlfile.load(path or builtin, builtin_name=DEFAULT, builtin_path=builtin)
    acts = yamlfile.validate(ActivitySet, data, file, file=file)
    _check_after_order(acts, data, file)
    return acts


def _check_after_order(acts: ActivitySet, data, file: str) -> None:
    """Precedence chains must not loop."""
    for a in acts.activities:
        seen, cur = {a.id}, a
        while cur.after is not None:
            cur = acts.by_id(cur.after.activity)
            if cur.id in seen:
                _where, mark = yamlfile.locate(data, ("activities",))
                raise ScenarioFileError(file, f"activities[{a.id!r}].after", mark[1] if mark
                                        else None, "precedences without a cycle", cur.id)
            seen.add(cur.id)
