"""A plan: the scheduled activities, as JSON on disk and as a schedule the twin executes.

``plan.json`` holds the horizon and a list of activities, each with ``name``, ``kind`` (the
activity type id), ``start_utc``, ``stop_utc``, ``power_w``, ``data_bit_s``, ``needs`` (the
conditions it relies on), the load it runs (``payload`` / ``rover``), the resource it
occupies, ``crew``, its ``value`` and, for a rover leg, its ``distance_km``; ``controls``
lists the loads the plan drives (``payload:NAME`` / ``rover:ID``): inside the plan's span
they run only as the plan says, every other load by its rule. :meth:`Plan.to_timeline`
is what the station executes (:class:`ilrs.station.timeline.Timeline`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ilrs.errors import InputError
from ilrs.plan.horizon import utc_to_tdb
from ilrs.sky.timescale import tdb_s_to_utc_iso
from ilrs.station import Twin
from ilrs.station.schedule import CONDITIONS, Schedule
from ilrs.station.timeline import Entry, Timeline

__all__ = ["Activity", "Plan"]


def _utc(tdb_s: float) -> str:
    return str(tdb_s_to_utc_iso(np.array([tdb_s]), 0)[0])


@dataclass(frozen=True)
class Activity:
    """One scheduled activity."""

    name: str
    kind: str
    instance: int
    start_tdb_s: float
    stop_tdb_s: float
    power_w: float
    data_bit_s: float
    needs: tuple[str, ...]
    payload: str | None
    rover: str | None
    resource: str
    crew: int
    value: float
    thermal_window_k: tuple[float, float] | None = None
    distance_km: float | None = None

    @property
    def load(self) -> str:
        """The station load it drives: ``payload:NAME``, ``rover:ID`` or ``bus:RESOURCE``."""
        return (f"payload:{self.payload}" if self.payload else f"rover:{self.rover}"
                if self.rover else f"bus:{self.resource}")

    @property
    def hours(self) -> float:
        return (self.stop_tdb_s - self.start_tdb_s) / 3600.0

    def as_json(self) -> dict:
        d = asdict(self)
        d["needs"] = list(self.needs)
        d["start_utc"] = _utc(self.start_tdb_s)
        d["stop_utc"] = _utc(self.stop_tdb_s)
        return d


@dataclass
class Plan:
    """Activities over a horizon, with how they were found."""

    start_tdb_s: float
    stop_tdb_s: float
    activities: list[Activity]
    solver: dict = field(default_factory=dict)
    version: int = 1
    #: loads run only as the plan says inside its span (default: those of its activities)
    controls: tuple[str, ...] | None = None

    @property
    def controlled(self) -> tuple[str, ...]:
        loads = {a.load for a in self.activities if a.payload or a.rover}
        return tuple(sorted(loads | set(self.controls or ())))

    @property
    def value(self) -> float:
        return float(sum(a.value for a in self.activities))

    def to_json(self) -> dict:
        return {
            "version": self.version,
            "start_utc": _utc(self.start_tdb_s), "stop_utc": _utc(self.stop_tdb_s),
            "start_tdb_s": self.start_tdb_s, "stop_tdb_s": self.stop_tdb_s,
            "science_value": self.value, "controls": list(self.controlled),
            "solver": self.solver,
            "activities": [a.as_json() for a in sorted(self.activities,
                                                       key=lambda a: a.start_tdb_s)],
        }

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: str | Path) -> Plan:
        """A plan from ``plan.json`` (a clear error if the file is not one)."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            acts = [Activity(
                name=a["name"], kind=a["kind"], instance=int(a.get("instance", 0)),
                start_tdb_s=utc_to_tdb(a["start_utc"]), stop_tdb_s=utc_to_tdb(a["stop_utc"]),
                power_w=float(a["power_w"]), data_bit_s=float(a.get("data_bit_s", 0.0)),
                needs=tuple(a["needs"]), payload=a.get("payload"), rover=a.get("rover"),
                resource=a.get("resource", a["kind"]), crew=int(a.get("crew", 0)),
                value=float(a.get("value", 0.0)),
                thermal_window_k=tuple(a["thermal_window_k"]) if a.get("thermal_window_k")
                else None, distance_km=None if a.get("distance_km") is None
                else float(a["distance_km"])) for a in data["activities"]]
            unknown = sorted({n for a in acts for n in a.needs} - set(CONDITIONS))
            if unknown:
                raise ValueError(f"unknown condition(s) {unknown}; known: {list(CONDITIONS)}")
            controls = data.get("controls")
            return cls(utc_to_tdb(data["start_utc"]), utc_to_tdb(data["stop_utc"]), acts,
                       data.get("solver", {}), int(data.get("version", 1)),
                       tuple(str(c) for c in controls) if controls is not None else None)
        except OSError as exc:
            raise InputError("plan file", str(path), f"a readable file ({exc.strerror})") \
                from None
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError("plan file", str(path),
                             f"a plan.json written by ilrs plan ({type(exc).__name__}: {exc})"
                             ) from None

    def shifted(self, by_s: float) -> Plan:
        """The same plan ``by_s`` seconds later (a slip)."""
        return Plan(self.start_tdb_s + by_s, self.stop_tdb_s + by_s,
                    [replace(a, start_tdb_s=a.start_tdb_s + by_s,
                             stop_tdb_s=a.stop_tdb_s + by_s) for a in self.activities],
                    dict(self.solver), self.version + 1, self.controls)

    def to_timeline(self, types: dict | None = None) -> Timeline:
        """What the station executes: one entry per activity on its load, covering the
        plan's controlled loads over its span. ``types`` (activity id -> ActivityType):
        where given, a bus load (no twin model) draws its type's power and data, not the
        figures the plan declares."""
        entries = []
        for a in self.activities:
            t = (types or {}).get(a.kind)
            bus = a.payload is None and a.rover is None
            entries.append(Entry(
                f"{a.kind} #{a.instance}", a.load, a.start_tdb_s, a.stop_tdb_s,
                needs=tuple(a.needs), distance_km=float(a.distance_km or 0.0),
                power_w=float(t.power_w if t is not None else a.power_w) if bus else 0.0,
                data_bit_s=float(t.data_bit_s if t is not None else a.data_bit_s) if bus
                else 0.0, crew=a.crew, sink_k=a.thermal_window_k))
        return Timeline.of(self.start_tdb_s, self.stop_tdb_s, entries, self.controlled)

    def to_schedule(self, twin: Twin, types: dict | None = None) -> Schedule:
        """The schedule that makes ``twin`` execute this plan (the loads it names must be
        the station's: an unknown payload or rover is an error naming it)."""
        return Schedule.of(twin, self.to_timeline(types))
