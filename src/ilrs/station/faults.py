"""Fault injection: the scenario's fault list expanded to dated occurrences with their effects.

A fault is given at a date or at a rate (Poisson arrivals, seeded). Each occurrence has a
start, an end (``inf`` for permanent losses) and a target; FDIR's response is part of the
expansion where it is a rule on time (the ISRU plant is retried every ``isru_retry_h`` and
comes back at the first retry after the fault clears; a relay outage switches the station
to direct-to-Earth; a rover is safed until it is cleared).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ilrs.station.components import SECONDS_PER_YEAR
from ilrs.station.config import Fault

__all__ = ["FaultEvent", "Occurrence", "expand_faults"]


@dataclass(frozen=True)
class Occurrence:
    """One fault: kind, start and end (TDB s; end ``inf`` if permanent), magnitude, target."""

    kind: str
    start_tdb_s: float
    end_tdb_s: float
    magnitude: float
    target: str | None


@dataclass(frozen=True)
class FaultEvent:
    """An event-log line from fault handling: time, source, kind, message."""

    tdb_s: float
    source: str
    kind: str
    message: str


def _times(fault: Fault, start_tdb_s: float, stop_tdb_s: float, to_tdb) -> list[float]:
    if fault.at is not None:
        # a dated fault before the span still holds in it (a cell lost in January is lost
        # for a run, a warm-up or a plan starting in February): only later ones are left out
        t = to_tdb(fault.at)
        return [t] if t < stop_tdb_s else []
    rng = np.random.default_rng(fault.seed)
    mean_gap_s = SECONDS_PER_YEAR / fault.rate_per_yr
    out, t = [], start_tdb_s
    while True:
        t += float(rng.exponential(mean_gap_s))
        if t >= stop_tdb_s:
            return out
        out.append(t)


#: Which component group each fault kind hits.
TARGETS = {"battery-cell-loss": "batteries", "array-degradation": "solar_arrays",
           "relay-outage": "relay", "isru-stuck": "isru", "rover-fault": "rovers"}


def expand_faults(faults, start_tdb_s: float, stop_tdb_s: float, to_tdb,
                  isru_retry_h: float, present=None) -> tuple[list[Occurrence], list[FaultEvent]]:
    """Occurrences of every fault that holds in [start, stop) (a dated one from before
    ``start`` included: its effect lasts) and the events of their handling in the span.

    ``present`` maps a component group (``TARGETS``) to ``(id, arrival_tdb_s)`` pairs: a
    fault only hits what is there (an untargeted random fault hits one of the components
    present, drawn with the fault's seed); without it every fault is kept.
    """
    occ: list[Occurrence] = []
    events: list[FaultEvent] = []
    retry_s = isru_retry_h * 3600.0
    for fault in faults:
        rng = np.random.default_rng(fault.seed + 1_000_003)
        for t in _times(fault, start_tdb_s, stop_tdb_s, to_tdb):
            target = fault.target
            if present is not None:
                here = [cid for cid, arrival in present.get(TARGETS[fault.kind], ())
                        if arrival <= t and (target is None or cid == target)]
                if not here:
                    continue
                if target is None and fault.rate_per_yr is not None and len(here) > 1:
                    target = here[int(rng.integers(len(here)))]
            fault = fault.model_copy(update={"target": target})
            dur_s = fault.duration_h * 3600.0
            what = fault.target or "all"
            if fault.kind in ("battery-cell-loss", "array-degradation"):
                occ.append(Occurrence(fault.kind, t, math.inf, fault.magnitude, fault.target))
                events.append(FaultEvent(t, "fault", fault.kind,
                                         f"{what}: {100 * fault.magnitude:.0f} % lost"))
                action = ("FDIR: recompute SOC limits on the reduced capacity"
                          if fault.kind == "battery-cell-loss"
                          else "FDIR: array current below model, flagged for ground")
                events.append(FaultEvent(t, "fdir", "action", action))
            elif fault.kind == "relay-outage":
                occ.append(Occurrence(fault.kind, t, t + dur_s, 1.0, fault.target))
                events.append(FaultEvent(t, "fault", fault.kind,
                                         f"relay lost for {fault.duration_h:g} h"))
                events.append(FaultEvent(t, "fdir", "action",
                                         "FDIR: switch to backup direct-to-Earth link"))
                events.append(FaultEvent(t + dur_s, "fdir", "recovered", "relay link restored"))
            elif fault.kind == "isru-stuck":
                n_retry = max(1, math.ceil(dur_s / retry_s))
                end = t + n_retry * retry_s
                occ.append(Occurrence(fault.kind, t, end, 1.0, fault.target))
                events.append(FaultEvent(t, "fault", fault.kind, "ISRU plant stuck: stop"))
                for k in range(1, n_retry):
                    events.append(FaultEvent(t + k * retry_s, "fdir", "action",
                                             f"FDIR: ISRU restart attempt {k} failed"))
                events.append(FaultEvent(end, "fdir", "recovered",
                                         f"FDIR: ISRU restart attempt {n_retry} succeeded"))
            elif fault.kind == "rover-fault":
                occ.append(Occurrence(fault.kind, t, t + dur_s, 1.0, fault.target))
                events.append(FaultEvent(t, "fault", fault.kind, f"rover {what}: fault"))
                events.append(FaultEvent(t, "fdir", "action", f"FDIR: safe rover {what}"))
                events.append(FaultEvent(t + dur_s, "fdir", "recovered",
                                         f"rover {what}: cleared, traverse resumes"))
    # what happened before the span is not an event of it (its effect is, through occ)
    return occ, [e for e in events if e.tdb_s >= start_tdb_s]


#: A step within this of an event's time counts as at it: steps are TDB seconds from a UTC
#: start, and TDB drifts from UTC by a periodic ~1.7 ms, so the step of "2037-03-01T00:00"
#: after a month of steps may fall a millisecond before that date's own TDB time.
SLACK_S = 0.01


def first_step(tdb_s: np.ndarray, at_tdb_s) -> np.ndarray | int:
    """Index of the first step at or after ``at_tdb_s`` (``tdb_s`` ascending, within
    :data:`SLACK_S`)."""
    return np.searchsorted(tdb_s, np.asarray(at_tdb_s) - SLACK_S, side="left")


def _hits(o, kind: str, target: str | None) -> bool:
    return o.kind == kind and (o.target is None or target is None or o.target == target)


def factor(occurrences, kind: str, target: str, tdb_s: np.ndarray) -> np.ndarray | float:
    """Product of (1 − magnitude) of the permanent faults of ``kind`` hitting ``target``
    (``tdb_s`` ascending)."""
    out: np.ndarray | float = 1.0
    for o in occurrences:
        if o.kind == kind and o.target in (None, target):
            if isinstance(out, float):
                out = np.ones(np.shape(tdb_s))
            out[int(first_step(tdb_s, o.start_tdb_s)):] *= 1.0 - o.magnitude
    return out


def spans(occurrences, kind: str, target: str | None,
          tdb_s: np.ndarray) -> list[tuple[int, int]]:
    """Index ranges ``[i0, i1)`` of ``tdb_s`` (ascending) in which a fault of ``kind``
    hitting ``target`` is active (``None`` on either side: any)."""
    out = []
    for o in occurrences:
        if _hits(o, kind, target):
            i0, i1 = first_step(tdb_s, (o.start_tdb_s, o.end_tdb_s))
            if i1 > i0:
                out.append((int(i0), int(i1)))
    return out


def blocked(occurrences, kind: str, target: str | None, tdb_s: np.ndarray) -> np.ndarray:
    """Whether a fault of ``kind`` hitting ``target`` is active at each time (``tdb_s``
    ascending)."""
    out = np.zeros(np.shape(tdb_s), bool)
    for i0, i1 in spans(occurrences, kind, target, tdb_s):
        out[i0:i1] = True
    return out
