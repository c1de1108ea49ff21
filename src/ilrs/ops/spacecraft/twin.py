"""The station twin as the command center's spacecraft: housekeeping and events out as PUS
packets, telecommands in, executed by the live twin and verified from its housekeeping.

The twin runs in accelerated time: ``speed`` simulated seconds per wall-clock second from
the moment the link starts. Packets are time-stamped on board with the twin's own UTC
(generation time: the mission's time axis, on which the ground shows telemetry, alarms
and command history; the ground adds its reception time); the twin's epoch also travels in
the parameters ``station.time.tdb_s`` and ``station.time.utc_s``.

Packets carry the CDS short time code by default, or with ``time_code="cuc"`` the CUC code
stock Yamcs decodes (:class:`~ilrs.ops.tmtc.timecodes.CucTime`; both read by our ground).

Each element has one housekeeping packet (service 3, subtype 25) per call of
:meth:`TwinSpacecraft.telemetry`; events are service 5 (subtypes 1–4 by severity; data =
16-bit event id + UTF-8 text). Telecommands are service 8 with one mission-specific
subtype per command of an element (128, 129, … in the element's command order — ECSS
reserves 128–255 for mission use), arguments as :func:`ilrs.ops.tmtc.codec.encode_arguments`
lays them out. Request verification (PUS service 1): *accepted* once the packet is known
and its arguments decode, *started* when the twin accepts the command (else *start
failed* with the twin's reason), *completed* when the twin's checks hold in housekeeping
taken after their deadline (else *completion failed* after ``completion_grace_s`` of
simulated time more).

**Time-based schedule (PUS service 11).** The station element hosts the on-board
scheduler: a TC[11,4] to the station's APID inserts activities (release time + embedded
telecommand, :func:`ilrs.ops.tmtc.pus11.unpack_schedule_insert`). Release times are in the
*twin's* time scale: its simulated UTC (``LiveTwin.now_utc``, converted from its TDB epoch
with the leap-second table), not the wall clock that stamps the packets. Housekeeping
carries that clock as ``station.time.utc_s`` (UTC seconds since 1970) and the number of
activities waiting as ``station.schedule.pending``. The insert request is *accepted* once
it decodes (else *acceptance failed*, code 2), *started* and *completed* once every
activity is inserted; it is refused as a whole (*start failed*) when a release time is
before the twin's time (code 5), an embedded command is unknown (code 1) or the schedule
would hold more than :data:`SCHEDULE_CAPACITY` activities (code 6). The twin releases each
activity at the first step boundary at or after its release time (steps are
``period.step_s``, 60 s in the reference), in release-time order (insertion order for equal
times), through :meth:`TwinSpacecraft.on_telecommand` exactly as if it had come from the
ground: the embedded command's own PUS-1 reports follow. A TC[11,5] to the station's APID
(:mod:`ilrs.ops.tmtc.pus11`) deletes the waiting activities of the request ids it lists.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ilrs.errors import InputError, PacketError
from ilrs.ops.tmtc.codec import decode_arguments, encode_container
from ilrs.ops.tmtc.link import Spacecraft
from ilrs.ops.tmtc.mdb import Command, MissionDatabase
from ilrs.ops.tmtc.mdb_build import mdb_from_elements
from ilrs.ops.tmtc.packets import Service, TcPacket, TmPacket, VerificationStage
from ilrs.ops.tmtc.packets import verification_report as report
from ilrs.ops.tmtc.pus11 import (
    SCHEDULE_DELETE,
    SCHEDULE_INSERT,
    unpack_schedule_delete,
    unpack_schedule_insert,
)
from ilrs.ops.tmtc.timecodes import CdsTime, CucTime
from ilrs.sky.timescale import tdb_s_to_utc_iso, utc_to_tdb_s
from ilrs.station import LiveTwin
from ilrs.station.live_types import CommandResult

__all__ = ["FIRST_COMMAND_SUBTYPE", "SCHEDULE_CAPACITY", "TwinSpacecraft", "mdb_for_twin"]

#: PUS service 8, function management: the station's telecommands.
FUNCTION_SERVICE = 8
#: The first mission-specific PUS subtype (ECSS-E-ST-70-41C: 128–255 are mission-defined).
FIRST_COMMAND_SUBTYPE = 128
#: Failure codes in PUS-1 failure reports.
UNKNOWN_COMMAND, BAD_ARGUMENTS, REFUSED_BY_TWIN, NOT_VERIFIED = 1, 2, 3, 4
RELEASE_TIME_PASSED, SCHEDULE_FULL = 5, 6
#: Activities the on-board time-based schedule holds at most.
SCHEDULE_CAPACITY = 256
#: The element hosting the on-board scheduler, and its two housekeeping parameters.
SCHEDULER_ELEMENT = "station"
UTC_PARAMETER = "station.time.utc_s"
PENDING_PARAMETER = "station.schedule.pending"
#: Release times match the twin's step boundaries within the CDS resolution (1 ms).
_SLACK_S = 1e-3
_SCHEDULER_PARAMETERS = (
    {"name": "time.utc_s", "type": "float64", "unit": "s",
     "description": "the twin's simulated UTC, seconds since 1970-01-01 (the time scale of "
                    "scheduled release times)"},
    {"name": "schedule.pending", "type": "uint16", "unit": "",
     "description": "activities waiting in the on-board time-based schedule (PUS 11)"},
)  # fmt: skip
_EVENT_SUBTYPE = {"info": 1, "warning": 2, "distress": 3, "critical": 4}
_TIME_CODES = {"cds": CdsTime.from_unix_s, "cuc": CucTime.from_unix_s}


def mdb_for_twin(live: LiveTwin, *, name: str = "ILRS") -> MissionDatabase:
    """The mission database of everything the twin describes (landed and planned), one
    APID per element, telecommand subtypes numbered from :data:`FIRST_COMMAND_SUBTYPE`;
    the station element also gets the scheduler's parameters ``time.utc_s`` and
    ``schedule.pending`` (the spacecraft adds them to its housekeeping)."""
    elements = []
    for element in live.describe()["elements"]:
        commands = [c | {"service": FUNCTION_SERVICE, "subservice": FIRST_COMMAND_SUBTYPE + i}
                    for i, c in enumerate(element.get("commands", ()))]
        parameters = list(element["parameters"])
        if element["id"] == SCHEDULER_ELEMENT:
            parameters += [dict(p) for p in _SCHEDULER_PARAMETERS]
        elements.append({k: element[k] for k in ("id", "owner", "kind")}
                        | {"parameters": parameters, "commands": commands})
    return mdb_from_elements(elements, name=name)


@dataclass
class _Pending:
    tc: TcPacket
    result: CommandResult
    give_up_tdb_s: float


@dataclass(frozen=True)
class _Activity:
    release_tdb_s: float
    order: int
    release_time: CdsTime
    tc: TcPacket


class TwinSpacecraft(Spacecraft):
    """A :class:`~ilrs.station.LiveTwin` behind the :class:`~ilrs.ops.tmtc.link.Spacecraft`
    interface (see the module doc)."""

    def __init__(self, live: LiveTwin, mdb: MissionDatabase, *, speed: float = 60.0,
                 start_ns: int, completion_grace_s: float = 600.0,
                 time_code: str = "cds"):  # fmt: skip
        if time_code not in _TIME_CODES:
            raise InputError("time code", time_code, " or ".join(_TIME_CODES))
        #: the packets' time stamps: CDS (our ground side) or CUC (stock Yamcs reads it)
        self._stamp = _TIME_CODES[time_code]
        self.live = live
        self.mdb = mdb
        self.speed = float(speed)
        self.start_ns = int(start_ns)
        self.start_tdb_s = live.now_tdb_s
        self.start_utc_ns = round(_utc_s(live.now_tdb_s) * 1e9)
        self.completion_grace_s = completion_grace_s
        self._commands: dict[tuple[int, int, int], Command] = {
            (c.apid, c.service, c.subservice): c for c in mdb.commands
        }
        self._containers = [(c, c.apid) for c in mdb.containers]
        self._outbox: list[TmPacket] = []
        self._pending: list[_Pending] = []
        self._seq: dict[int, int] = {}
        self._last_ns = self.start_ns
        by_name = {a.name: a.apid for a in mdb.apids}
        self.scheduler_apid = by_name.get(SCHEDULER_ELEMENT, mdb.apids[0].apid)
        self._schedule: list[_Activity] = []  # by release time, then insertion order
        self._inserted = 0

    def mission_ns(self, wall_ns: int) -> int:
        """The twin's UTC (ns since 1970) at the ground's wall-clock time ``wall_ns``: where
        its clock is (or will be once advanced), the operators' mission clock."""
        return self.start_utc_ns + round((int(wall_ns) - self.start_ns) * self.speed)

    def _now(self) -> CdsTime:
        """The on-board time stamp: the twin's UTC now."""
        return self._stamp(_utc_s(self.live.now_tdb_s))

    @property
    def schedule(self) -> list[tuple[str, TcPacket]]:
        """The activities waiting on board: (release time as twin UTC ISO, telecommand)."""
        return [(a.release_time.utc_iso(), a.tc) for a in self._schedule]

    # -- the Spacecraft interface -----------------------------------------------------------
    def on_telecommand(self, tc: TcPacket) -> None:
        when = self._now()
        if (tc.apid, tc.service, tc.subservice) == (self.scheduler_apid, Service.SCHEDULE,
                                                    SCHEDULE_INSERT):  # fmt: skip
            self._insert(tc, when)
            return
        if (tc.apid, tc.service, tc.subservice) == (self.scheduler_apid, Service.SCHEDULE,
                                                    SCHEDULE_DELETE):  # fmt: skip
            self._delete(tc, when)
            return
        command = self._commands.get((tc.apid, tc.service, tc.subservice))
        if command is None:
            self._report(tc, VerificationStage.ACCEPTANCE_FAILED, when, UNKNOWN_COMMAND)
            return
        try:
            args = decode_arguments(command, tc.data)
        except PacketError as exc:
            self._report(tc, VerificationStage.ACCEPTANCE_FAILED, when, BAD_ARGUMENTS, str(exc))
            return
        self._report(tc, VerificationStage.ACCEPTED, when)
        result = self.live.execute(command.name, {k: float(v) for k, v in args.items()})
        if not result.accepted:
            self._report(tc, VerificationStage.START_FAILED, when, REFUSED_BY_TWIN,
                         result.reason)
            return
        self._report(tc, VerificationStage.STARTED, when)
        deadline = max((c.deadline_tdb_s for c in result.checks), default=result.tdb_s)
        self._pending.append(_Pending(tc, result, deadline + self.completion_grace_s))

    def telemetry(self, now_ns: int) -> Sequence[TmPacket]:
        self._last_ns = max(self._last_ns, int(now_ns))
        target = self.start_tdb_s + (self._last_ns - self.start_ns) / 1e9 * self.speed
        self._advance(target)
        utc_s = _utc_s(self.live.now_tdb_s)
        when = self._stamp(utc_s)
        values = dict(self.live.housekeeping().values)
        values[UTC_PARAMETER] = utc_s
        values[PENDING_PARAMETER] = len(self._schedule)
        self._verify(values, when)
        for event in self.live.drain_events():
            apid = self._event_apid(event.source, event.message)
            text = f"{event.utc} {event.kind}: {event.message}".encode()
            self._emit(apid, Service.EVENT, _EVENT_SUBTYPE.get(event.severity, 1), when,
                       event.event_id.to_bytes(2, "big") + text)
        for container, apid in self._containers:
            raw = {e.parameter: _raw(values.get(e.parameter, 0)) for e in container.entries}
            self._emit(apid, container.service, container.subservice, when,
                       encode_container(self.mdb, container, raw))
        out, self._outbox = self._outbox, []
        return out

    # -- the time-based schedule ---------------------------------------------------------------
    def _insert(self, tc: TcPacket, when: CdsTime | CucTime) -> None:
        """TC[11,4]: insert every activity, or none (see the module doc)."""
        try:
            activities = unpack_schedule_insert(tc.data)
            release = utc_to_tdb_s([a.release_time.utc_iso() for a in activities])
        except InputError as exc:  # PacketError, or a time the time scale cannot read
            self._report(tc, VerificationStage.ACCEPTANCE_FAILED, when, BAD_ARGUMENTS, str(exc))
            return
        self._report(tc, VerificationStage.ACCEPTED, when)
        now = self.live.now_tdb_s
        refusal = None
        for a, t in zip(activities, release, strict=True):
            if (a.tc.apid, a.tc.service, a.tc.subservice) not in self._commands:
                refusal = UNKNOWN_COMMAND, (f"embedded TC APID {a.tc.apid} "
                                            f"[{a.tc.service},{a.tc.subservice}] is unknown")
            elif t < now - _SLACK_S:
                refusal = RELEASE_TIME_PASSED, (f"release time {a.release_time.utc_iso()} is "
                                                f"before the twin's time {self.live.now_utc}")
            if refusal:
                break
        if refusal is None and len(self._schedule) + len(activities) > SCHEDULE_CAPACITY:
            refusal = SCHEDULE_FULL, (f"{len(self._schedule)} activities pending, room for "
                                      f"{SCHEDULE_CAPACITY - len(self._schedule)}")
        if refusal is not None:
            self._report(tc, VerificationStage.START_FAILED, when, *refusal)
            return
        self._report(tc, VerificationStage.STARTED, when)
        for a, t in zip(activities, release, strict=True):
            self._schedule.append(_Activity(float(t), self._inserted, a.release_time, a.tc))
            self._inserted += 1
        self._schedule.sort(key=lambda a: (a.release_tdb_s, a.order))
        self._report(tc, VerificationStage.COMPLETED, when)

    def _delete(self, tc: TcPacket, when: CdsTime | CucTime) -> None:
        """TC[11,5]: delete the activities whose embedded telecommand has one of the request
        ids (ids no longer waiting — released, never inserted — are skipped)."""
        try:
            gone = set(unpack_schedule_delete(tc.data))
        except PacketError as exc:
            self._report(tc, VerificationStage.ACCEPTANCE_FAILED, when, BAD_ARGUMENTS, str(exc))
            return
        self._report(tc, VerificationStage.ACCEPTED, when)
        self._report(tc, VerificationStage.STARTED, when)
        self._schedule = [a for a in self._schedule if a.tc.request_id not in gone]
        self._report(tc, VerificationStage.COMPLETED, when)

    def _advance(self, target: float) -> None:
        """Run the twin up to ``target`` (TDB s), stopping at the first step boundary at or
        after each due release time to release the activities due there."""
        live = self.live
        while self._schedule:
            due = self._schedule[0].release_tdb_s
            if due > live.now_tdb_s + _SLACK_S:
                live.advance_to(min(due, target))
                if live.now_tdb_s + _SLACK_S < due:
                    if live.now_tdb_s + live.step_s > target + 0.01:
                        break  # the step reaching the release time is not due yet
                    live.advance_steps(1)
            while self._schedule and self._schedule[0].release_tdb_s <= live.now_tdb_s + _SLACK_S:
                self.on_telecommand(self._schedule.pop(0).tc)
        if target > live.now_tdb_s:
            live.advance_to(target)

    # -- helpers -----------------------------------------------------------------------------
    def _verify(self, values: Mapping[str, Any], when: CdsTime | CucTime) -> None:
        now = self.live.now_tdb_s
        still = []
        for p in self._pending:
            due = all(now >= c.deadline_tdb_s for c in p.result.checks)
            if due and p.result.verified(values):
                self._report(p.tc, VerificationStage.COMPLETED, when)
            elif now > p.give_up_tdb_s:
                self._report(p.tc, VerificationStage.COMPLETION_FAILED, when, NOT_VERIFIED,
                             "the twin's housekeeping never showed the command's effect")
            else:
                still.append(p)
        self._pending = still

    def _event_apid(self, source: str, message: str) -> int:
        """The APID an event is filed under — the element it is about, so that only that
        element's partner (and the station's leads) see it: its source when that is an
        element, else the element of the command it reports (``<element>.<verb>: …``),
        else the station's."""
        by_name = {a.name: a.apid for a in self.mdb.apids}
        if source in by_name:
            return by_name[source]
        element = message.split(":", 1)[0].rpartition(".")[0]
        if element in by_name:
            return by_name[element]
        return by_name.get(SCHEDULER_ELEMENT, self.mdb.apids[0].apid)

    def _next_seq(self, apid: int) -> int:
        seq = self._seq.get(apid, 0)
        self._seq[apid] = (seq + 1) & 0x3FFF
        return seq

    def _emit(self, apid: int, service: int, subservice: int, when: CdsTime | CucTime, data: bytes):
        self._outbox.append(TmPacket(apid=apid, service=service, subservice=subservice,
                                     time=when, data=data, seq_count=self._next_seq(apid)))

    def _report(self, tc: TcPacket, stage: VerificationStage, when: CdsTime | CucTime,
                code: int = 0, text: str = "") -> None:
        self._outbox.append(report(tc, stage, time=when, seq_count=self._next_seq(tc.apid),
                                   failure_code=code, failure_data=text.encode()[:200]))


def _utc_s(tdb_s: float) -> float:
    """UTC seconds since 1970 of a TDB epoch, to the µs (a leap second reads as 59.x)."""
    text = tdb_s_to_utc_iso(np.array([tdb_s]), 6)[0].replace(":60.", ":59.")
    return _dt.datetime.fromisoformat(text).replace(tzinfo=_dt.UTC).timestamp()


def _raw(value: Any) -> float | int:
    """A housekeeping value as the raw number the packet carries (no calibrations here)."""
    if isinstance(value, bool):
        return int(value)
    return value if isinstance(value, int | float) else 0
