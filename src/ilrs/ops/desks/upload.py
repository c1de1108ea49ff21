"""A plan delivered to the station as PUS-11 time-tagged commands.

Each activity of an :class:`ilrs.plan.plan.Plan` switches its load on at its start and off
at its stop, on board, at those times of the station's clock: a payload by its
``<element>.power_on`` / ``<element>.power_off`` commands, a rover by ``<element>.drive`` /
``<element>.stop`` (the live twin's command catalogue). Back-to-back activities of the same
load make one on/off pair; every load the plan drives is switched off at the plan's start
unless an activity starts then. The commands go through the command center like any other
(authorization, audit log, PUS-1 verification), each as a TC[11,4] to the station's
time-based scheduler (see :mod:`ilrs.ops.commanding.commander`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from ilrs.errors import InputError
from ilrs.sky.timescale import tdb_s_to_utc_iso

__all__ = ["TimedCommand", "plan_commands", "upload_plan"]


@dataclass(frozen=True)
class TimedCommand:
    """A command released on board at ``release_utc`` (ISO, the station's clock)."""

    release_utc: str
    command: str
    reason: str
    arguments: dict = field(default_factory=dict)


#: A rover drives until the plan's ``stop`` (0 km: no distance limit of its own).
_ON_ARGUMENTS = {"drive": {"distance_km": 0.0}}


def _utc(tdb_s: float) -> str:
    return str(tdb_s_to_utc_iso(np.array([tdb_s]), 3)[0]) + "Z"


def plan_commands(plan, elements) -> list[TimedCommand]:
    """The time-tagged commands that execute ``plan`` (``elements``: the live twin's
    :class:`~ilrs.station.live_catalog.Element` list), in release order."""
    by_name = {}
    for e in elements:
        if e.role in ("payload", "rover"):
            by_name.setdefault(e.name, e)
    spans = defaultdict(list)
    for a in plan.activities:
        load = a.payload or a.rover
        if load is None:
            continue                      # no load of the twin: nothing to switch
        if load not in by_name:
            raise InputError(f"activity {a.kind} load", load,
                             "a payload or rover element of the station")
        spans[by_name[load]].append((a.start_tdb_s, a.stop_tdb_s, f"{a.kind} #{a.instance}"))
    out: list[tuple[float, int, TimedCommand]] = []
    for element, items in spans.items():
        on, off = ("drive", "stop") if element.role == "rover" else ("power_on", "power_off")
        items.sort()
        merged = [list(items[0])]
        for start, stop, why in items[1:]:
            if start <= merged[-1][1] + 1e-3:
                merged[-1][1] = max(merged[-1][1], stop)
            else:
                merged.append([start, stop, why])
        if merged[0][0] > plan.start_tdb_s + 1e-3:
            out.append((plan.start_tdb_s, 0, TimedCommand(
                _utc(plan.start_tdb_s), f"{element.id}.{off}", f"plan v{plan.version} start")))
        for start, stop, why in merged:
            out.append((start, 1, TimedCommand(_utc(start), f"{element.id}.{on}", why,
                                               _ON_ARGUMENTS.get(on, {}))))
            out.append((stop, 0, TimedCommand(_utc(stop), f"{element.id}.{off}", why)))
    out.sort(key=lambda item: (item[0], item[1]))
    return [c for _, _, c in out]


def _instant(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))


def upload_plan(client, plan, elements, *, not_before_utc: str | None = None) -> list:
    """Issue the plan's commands through ``client`` (an :class:`ilrs.ops.client.OpsClient`)
    with their release times; those before ``not_before_utc`` (already past on board) are
    left out. Returns the command handles."""
    cmds = plan_commands(plan, elements)
    if not_before_utc is not None:
        floor = _instant(not_before_utc)
        cmds = [c for c in cmds if _instant(c.release_utc) >= floor]
    return [client.issue_command(c.command, c.arguments, release_at_utc=c.release_utc)
            for c in cmds]
