"""A timeline of activities the station executes in place of its duty rules, and its record.

A :class:`Timeline` says what each load does and when: a payload run, a rover leg with its
distance, a crew session, a sample collection, an ISRU batch, an ascent — each an
:class:`Entry` on a load named ``payload:<campaign payload name>``, ``rover:<scenario rover
id>`` or ``bus:<resource>`` (a load the twin has no model of, e.g. an EVA's suits and
tools or the regolith excavator, drawn on the science bus at the entry's ``power_w``).
Inside ``[start_tdb_s, stop_tdb_s)`` the loads listed in ``covers`` run only as the
entries say (their duty rules are set aside); every other load, and every load outside
that span, runs by its rule. A payload or rover entry draws what the twin's own model of
the load draws (:func:`~ilrs.station.build.payload_power_w`, the payload's data rate,
:func:`~ilrs.station.build.rover_power_w`), never a figure the timeline declares.

The station never imports the planner: ``ilrs.plan`` produces a :class:`Timeline`
(``Plan.to_timeline``), ``Twin.run(timeline=...)`` executes it step by step
(:class:`~ilrs.station.schedule.Schedule`), and the executed timeline (what ran, when) is
an output beside the plan. :func:`timeline_commands` turns a timeline into the time-tagged
ground commands of the live twin that execute the same thing on board (PUS 11).

>>> e = Entry("leg #0", "rover:profiling-rover", 0.0, 3600.0, distance_km=0.2)
>>> e.kind, e.target, e.minutes
('rover', 'profiling-rover', 60.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ilrs.errors import InputError

__all__ = ["LOAD_KINDS", "Entry", "TimedCommand", "Timeline", "timeline_commands"]

#: The kinds of load an entry may drive.
LOAD_KINDS = ("payload", "rover", "bus")

#: Bus-load slots of the live twin's ``station.activity_start`` (loads with no twin model).
BUS_SLOTS = 8


@dataclass(frozen=True)
class Entry:
    """One activity on one load, from ``start_tdb_s`` (inclusive) to ``stop_tdb_s``
    (exclusive); ``distance_km`` (rovers: stop once driven, 0: no limit of its own),
    ``power_w`` / ``data_bit_s`` (bus loads only), the crew it keeps busy and the
    conditions it relies on (names of :data:`ilrs.station.schedule.CONDITIONS`;
    ``thermal_window`` between ``sink_k``)."""

    label: str
    load: str
    start_tdb_s: float
    stop_tdb_s: float
    needs: tuple[str, ...] = ()
    distance_km: float = 0.0
    power_w: float = 0.0
    data_bit_s: float = 0.0
    crew: int = 0
    sink_k: tuple[float, float] | None = None

    def __post_init__(self):
        if self.kind not in LOAD_KINDS or not self.target:
            raise InputError(f"timeline entry {self.label!r} load", self.load,
                             "payload:<name>, rover:<id> or bus:<resource>")
        if not self.stop_tdb_s > self.start_tdb_s:
            raise InputError(f"timeline entry {self.label!r} stop", self.stop_tdb_s,
                             f"a time after its start {self.start_tdb_s}")

    @property
    def kind(self) -> str:
        return self.load.partition(":")[0]

    @property
    def target(self) -> str:
        return self.load.partition(":")[2]

    @property
    def minutes(self) -> float:
        return (self.stop_tdb_s - self.start_tdb_s) / 60.0


@dataclass(frozen=True)
class Timeline:
    """Entries over a span; ``covers``: the loads run only as the entries say inside it."""

    start_tdb_s: float
    stop_tdb_s: float
    entries: tuple[Entry, ...]
    covers: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, start_tdb_s: float, stop_tdb_s: float, entries,
           covers=None) -> Timeline:
        """A timeline whose ``covers`` default to every load of its entries."""
        entries = tuple(entries)
        loads = covers if covers is not None else (e.load for e in entries)
        covers = tuple(sorted({*loads, *(e.load for e in entries)}))
        return cls(float(start_tdb_s), float(stop_tdb_s), entries, covers)

    def planned_minutes(self, speed_km_per_min: dict[str, float] | None = None) -> list[float]:
        """Minutes each entry is planned to run inside the span: a rover leg with a
        distance no longer than it takes at the rover's speed (``rover id -> km/min``)."""
        out = []
        for e in self.entries:
            minutes = max(0.0, (min(e.stop_tdb_s, self.stop_tdb_s)
                                - max(e.start_tdb_s, self.start_tdb_s)) / 60.0)
            speed = (speed_km_per_min or {}).get(e.target, 0.0)
            if e.kind == "rover" and e.distance_km > 0 and speed > 0:
                minutes = min(minutes, e.distance_km / speed)
            out.append(minutes)
        return out


@dataclass(frozen=True)
class TimedCommand:
    """A live-twin command to release on board at ``tdb_s`` (TDB seconds past J2000)."""

    tdb_s: float
    command: str
    reason: str
    arguments: dict = field(default_factory=dict)


def timeline_commands(timeline: Timeline, elements) -> list[TimedCommand]:
    """The live twin's commands that execute ``timeline`` on board, in release order
    (``elements``: the live twin's :class:`~ilrs.station.live_catalog.Element` list).

    At the span's start every covered payload is switched off and every covered rover
    stopped (their rules set aside), unless an entry starts then; each entry then starts
    its load at its start — a payload's ``run``, a rover's ``drive_leg`` with the leg's
    distance, a bus load's ``station.activity_start`` in a free slot with its power and
    data rate — and stops it at its stop (``power_off`` / ``stop`` /
    ``station.activity_stop``); back-to-back entries of one load make one start and one
    stop. At the span's stop every covered load goes back to its rule (``power_on`` /
    ``drive``)."""
    by_load = {}
    for e in elements:
        if e.role == "payload":
            by_load.setdefault(f"payload:{e.name}", e)
        elif e.role == "rover":
            by_load.setdefault(f"rover:{e.name}", e)
    runs: dict[str, list[list]] = {}
    for e in sorted(timeline.entries, key=lambda e: e.start_tdb_s):
        if e.kind != "bus" and e.load not in by_load:
            raise InputError(f"timeline entry {e.label!r} load", e.load,
                             "a payload or rover element of the station")
        spans = runs.setdefault(e.load, [])
        same = e.kind == "bus" and spans and (spans[-1][3], spans[-1][4]) != (e.power_w,
                                                                               e.data_bit_s)
        if spans and e.start_tdb_s <= spans[-1][1] + 1e-3 and not same:
            spans[-1][1] = max(spans[-1][1], e.stop_tdb_s)
            spans[-1][2] += e.distance_km
        else:
            spans.append([e.start_tdb_s, e.stop_tdb_s, e.distance_km, e.power_w,
                          e.data_bit_s, e.label])
    out: list[tuple[float, int, TimedCommand]] = []
    t0, t1 = timeline.start_tdb_s, timeline.stop_tdb_s
    for load in timeline.covers:
        el = by_load.get(load)
        if el is None:
            continue                      # a bus load, or a load not on the station
        first = runs.get(load, [[math.inf]])[0][0]
        off, back = ("stop", "drive") if el.role == "rover" else ("power_off", "power_on")
        if first > t0 + 1e-3:
            out.append((t0, 0, TimedCommand(t0, f"{el.id}.{off}", "timeline start: its "
                                            "rule set aside")))
        out.append((t1, 2, TimedCommand(t1, f"{el.id}.{back}", "timeline end: back to its "
                                        "rule", {"distance_km": 0.0} if back == "drive"
                                        else {})))
    free = list(range(BUS_SLOTS))
    bus: list[tuple[float, float, list]] = []
    for load, spans in runs.items():
        for start, stop, km, power, rate, label in spans:
            if load.startswith("bus:"):
                bus.append((start, stop, [power, rate, label]))
                continue
            el = by_load[load]
            if el.role == "rover":
                on = TimedCommand(start, f"{el.id}.drive_leg", label,
                                  {"distance_km": float(km)})
                off = TimedCommand(stop, f"{el.id}.stop", label)
            else:
                on = TimedCommand(start, f"{el.id}.run", label)
                off = TimedCommand(stop, f"{el.id}.power_off", label)
            out += [(start, 1, on), (stop, 0, off)]
    held: list[tuple[float, int]] = []
    for start, stop, (power, rate, label) in sorted(bus, key=lambda b: b[0]):
        for t_end, slot in [h for h in held if h[0] <= start + 1e-3]:
            held.remove((t_end, slot))
            free.append(slot)
        if not free:
            raise InputError(f"timeline entry {label!r}", "bus load",
                             f"at most {BUS_SLOTS} bus loads at once")
        slot = min(free)
        free.remove(slot)
        held.append((stop, slot))
        out.append((start, 1, TimedCommand(start, "station.activity_start", label, {
            "slot": float(slot), "power_w": float(power), "data_bit_s": float(rate)})))
        out.append((stop, 0, TimedCommand(stop, "station.activity_stop", label,
                                          {"slot": float(slot)})))
    out.sort(key=lambda item: (item[0], item[1]))
    return [c for _, _, c in out]
