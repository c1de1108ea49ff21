"""A plan delivered to the station as PUS-11 time-tagged commands.

Each activity of an :class:`ilrs.plan.plan.Plan` starts its load at its start and stops it
at its stop, on board, at those times of the station's clock, whatever the load's duty
rule says: a payload by its ``<element>.run`` / ``<element>.power_off`` commands, a rover
by ``<element>.drive_leg`` (with the leg's distance) / ``<element>.stop``, a load the twin
has no model of (an EVA, the excavator) by ``station.activity_start`` /
``station.activity_stop`` (the live twin's command catalogue). Back-to-back activities of
the same load make one start/stop pair; every load the plan drives is switched off at the
plan's start unless an activity starts then, and goes back to its rule (``power_on`` /
``drive``) at the plan's stop: the plan's timeline
(:func:`ilrs.station.timeline.timeline_commands`), executed on board as
``Twin.run(timeline=...)`` replays it. The commands go through the command center like any other
(authorization, audit log, PUS-1 verification), each as a TC[11,4] to the station's
time-based scheduler (see :mod:`ilrs.ops.commanding.commander`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from ilrs.sky.timescale import tdb_s_to_utc_iso
from ilrs.station.timeline import timeline_commands

__all__ = ["UplinkCommand", "plan_commands", "upload_plan"]


@dataclass(frozen=True)
class UplinkCommand:
    """A command uplinked to be released on board at ``release_utc`` (ISO, the station's
    clock): the ground's form of :class:`ilrs.station.timeline.TimedCommand`."""

    release_utc: str
    command: str
    reason: str
    arguments: dict = field(default_factory=dict)


def _utc(tdb_s: float) -> str:
    return str(tdb_s_to_utc_iso(np.array([tdb_s]), 3)[0]) + "Z"


def plan_commands(plan, elements) -> list[UplinkCommand]:
    """The time-tagged commands that execute ``plan`` (``elements``: the live twin's
    :class:`~ilrs.station.live_catalog.Element` list), in release order: those of its
    timeline (:func:`ilrs.station.timeline.timeline_commands`)."""
    return [UplinkCommand(_utc(c.tdb_s), c.command, f"plan v{plan.version}: {c.reason}",
                         dict(c.arguments))
            for c in timeline_commands(plan.to_timeline(), elements)]


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
