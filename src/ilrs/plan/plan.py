"""A plan: the scheduled activities, as JSON on disk and as a schedule the twin executes.

``plan.json`` holds the horizon and a list of activities, each with ``name``, ``kind`` (the
activity type id), ``start_utc``, ``stop_utc``, ``power_w``, ``data_bit_s``, ``needs`` (the
conditions it relies on), the load it runs (``payload`` / ``rover``), the resource it
occupies, ``crew`` and its science ``value``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ilrs.errors import InputError
from ilrs.plan.horizon import station_arrivals, utc_to_tdb
from ilrs.sky.timescale import tdb_s_to_utc_iso
from ilrs.station import Twin
from ilrs.station.schedule import CONDITIONS, Schedule

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

    @property
    def value(self) -> float:
        return float(sum(a.value for a in self.activities))

    def to_json(self) -> dict:
        return {
            "version": self.version,
            "start_utc": _utc(self.start_tdb_s), "stop_utc": _utc(self.stop_tdb_s),
            "start_tdb_s": self.start_tdb_s, "stop_tdb_s": self.stop_tdb_s,
            "science_value": self.value, "solver": self.solver,
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
                else None) for a in data["activities"]]
            unknown = sorted({n for a in acts for n in a.needs} - set(CONDITIONS))
            if unknown:
                raise ValueError(f"unknown condition(s) {unknown}; known: {list(CONDITIONS)}")
            return cls(utc_to_tdb(data["start_utc"]), utc_to_tdb(data["stop_utc"]), acts,
                       data.get("solver", {}), int(data.get("version", 1)))
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
                    dict(self.solver), self.version + 1)

    def to_schedule(self, twin: Twin) -> Schedule:
        """The schedule that makes ``twin`` execute this plan."""
        up, sc = twin.up, twin.scenario
        payloads = {p.name: i for i, p in enumerate(up.payloads)}
        rovers = {r.id: i for i, r in enumerate(sc.rovers)}
        acts = self.activities
        for a in acts:
            if a.payload is not None and a.payload not in payloads:
                raise InputError(f"activity {a.kind} payload", a.payload,
                                 "a payload the station has landed (" +
                                 ", ".join(sorted(payloads)) + ")")
            if a.rover is not None and a.rover not in rovers:
                raise InputError(f"activity {a.kind} rover", a.rover,
                                 "a rover of the scenario (" + ", ".join(sorted(rovers)) + ")")
        thermal = [a.thermal_window_k or (-np.inf, np.inf) for a in acts]
        on_site = station_arrivals(twin)
        return Schedule(
            scenario=sc,
            start_tdb_s=np.array([a.start_tdb_s for a in acts], float),
            stop_tdb_s=np.array([a.stop_tdb_s for a in acts], float),
            power_w=np.array([a.power_w for a in acts], float),
            data_bit_s=np.array([a.data_bit_s for a in acts], float),
            payload=np.array([payloads[a.payload] if a.payload else -1 for a in acts], int),
            rover=np.array([rovers[a.rover] if a.rover else -1 for a in acts], int),
            needs=[a.needs for a in acts],
            sink_min_k=np.array([lo for lo, _ in thermal], float),
            sink_max_k=np.array([hi for _, hi in thermal], float),
            science_payloads=np.array([p.priority == 2 for p in up.payloads], bool),
            span_start_tdb_s=self.start_tdb_s, span_stop_tdb_s=self.stop_tdb_s,
            on_site_tdb_s=np.array([
                on_site[f"payload:{a.payload}"] if a.payload
                else on_site[f"rover:{a.rover}"] if a.rover else -np.inf for a in acts], float),
        )
