"""The station twin as the command center's spacecraft: housekeeping and events out as PUS
packets, telecommands in, executed by the live twin and verified from its housekeeping.

The twin runs in accelerated time: ``speed`` simulated seconds per wall-clock second from
the moment the link starts. Packets are time-stamped with the wall clock (the ground's
time axis, so live plots and alarms follow real time); the twin's own epoch travels in the
parameter ``station.time.tdb_s``.

Each element has one housekeeping packet (service 3, subtype 25) per call of
:meth:`TwinSpacecraft.telemetry`; events are service 5 (subtypes 1–4 by severity; data =
16-bit event id + UTF-8 text). Telecommands are service 8 with one mission-specific
subtype per command of an element (128, 129, … in the element's command order — ECSS
reserves 128–255 for mission use), arguments as :func:`ilrs.ops.codec.encode_arguments`
lays them out. Request verification (PUS service 1): *accepted* once the packet is known
and its arguments decode, *started* when the twin accepts the command (else *start
failed* with the twin's reason), *completed* when the twin's checks hold in housekeeping
taken after their deadline (else *completion failed* after ``completion_grace_s`` of
simulated time more).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ilrs.errors import PacketError
from ilrs.ops.codec import decode_arguments, encode_container
from ilrs.ops.link import Spacecraft
from ilrs.ops.mdb import Command, MissionDatabase, mdb_from_elements
from ilrs.ops.packets import CdsTime, Service, TcPacket, TmPacket, VerificationStage
from ilrs.ops.packets import verification_report as report
from ilrs.station import LiveTwin
from ilrs.station.live_types import CommandResult

__all__ = ["FIRST_COMMAND_SUBTYPE", "TwinSpacecraft", "mdb_for_twin"]

#: PUS service 8, function management: the station's telecommands.
FUNCTION_SERVICE = 8
#: The first mission-specific PUS subtype (ECSS-E-ST-70-41C: 128–255 are mission-defined).
FIRST_COMMAND_SUBTYPE = 128
#: Failure codes in PUS-1 failure reports.
UNKNOWN_COMMAND, BAD_ARGUMENTS, REFUSED_BY_TWIN, NOT_VERIFIED = 1, 2, 3, 4
_EVENT_SUBTYPE = {"info": 1, "warning": 2, "distress": 3, "critical": 4}


def mdb_for_twin(live: LiveTwin, *, name: str = "ILRS") -> MissionDatabase:
    """The mission database of everything the twin describes (landed and planned), one
    APID per element, telecommand subtypes numbered from :data:`FIRST_COMMAND_SUBTYPE`."""
    elements = []
    for element in live.describe()["elements"]:
        commands = [c | {"service": FUNCTION_SERVICE, "subservice": FIRST_COMMAND_SUBTYPE + i}
                    for i, c in enumerate(element.get("commands", ()))]
        elements.append({k: element[k] for k in ("id", "owner", "kind", "parameters")}
                        | {"commands": commands})
    return mdb_from_elements(elements, name=name)


@dataclass
class _Pending:
    tc: TcPacket
    result: CommandResult
    give_up_tdb_s: float


class TwinSpacecraft(Spacecraft):
    """A :class:`~ilrs.station.LiveTwin` behind the :class:`~ilrs.ops.link.Spacecraft`
    interface (see the module doc)."""

    def __init__(self, live: LiveTwin, mdb: MissionDatabase, *, speed: float = 60.0,
                 start_ns: int, completion_grace_s: float = 600.0):  # fmt: skip
        self.live = live
        self.mdb = mdb
        self.speed = float(speed)
        self.start_ns = int(start_ns)
        self.start_tdb_s = live.now_tdb_s
        self.completion_grace_s = completion_grace_s
        self._commands: dict[tuple[int, int, int], Command] = {
            (c.apid, c.service, c.subservice): c for c in mdb.commands
        }
        self._containers = [(c, c.apid) for c in mdb.containers]
        self._outbox: list[TmPacket] = []
        self._pending: list[_Pending] = []
        self._seq: dict[int, int] = {}
        self._last_ns = self.start_ns

    # -- the Spacecraft interface -----------------------------------------------------------
    def on_telecommand(self, tc: TcPacket) -> None:
        when = CdsTime.from_unix_s(self._last_ns / 1e9)
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
        if target > self.live.now_tdb_s:
            self.live.advance_to(target)
        when = CdsTime.from_unix_s(self._last_ns / 1e9)
        values = self.live.housekeeping().values
        self._verify(values, when)
        for event in self.live.drain_events():
            apid = self._apid_of(event.source)
            text = f"{event.utc} {event.kind}: {event.message}".encode()
            self._emit(apid, Service.EVENT, _EVENT_SUBTYPE.get(event.severity, 1), when,
                       event.event_id.to_bytes(2, "big") + text)
        for container, apid in self._containers:
            raw = {e.parameter: _raw(values.get(e.parameter, 0)) for e in container.entries}
            self._emit(apid, container.service, container.subservice, when,
                       encode_container(self.mdb, container, raw))
        out, self._outbox = self._outbox, []
        return out

    # -- helpers -----------------------------------------------------------------------------
    def _verify(self, values: Mapping[str, Any], when: CdsTime) -> None:
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

    def _apid_of(self, source: str) -> int:
        by_name = {a.name: a.apid for a in self.mdb.apids}
        return by_name.get(source, by_name.get("station", self.mdb.apids[0].apid))

    def _next_seq(self, apid: int) -> int:
        seq = self._seq.get(apid, 0)
        self._seq[apid] = (seq + 1) & 0x3FFF
        return seq

    def _emit(self, apid: int, service: int, subservice: int, when: CdsTime, data: bytes):
        self._outbox.append(TmPacket(apid=apid, service=service, subservice=subservice,
                                     time=when, data=data, seq_count=self._next_seq(apid)))

    def _report(self, tc: TcPacket, stage: VerificationStage, when: CdsTime, code: int = 0,
                text: str = "") -> None:
        self._outbox.append(report(tc, stage, time=when, seq_count=self._next_seq(tc.apid),
                                   failure_code=code, failure_data=text.encode()[:200]))


def _raw(value: Any) -> float | int:
    """A housekeeping value as the raw number the packet carries (no calibrations here)."""
    if isinstance(value, bool):
        return int(value)
    return value if isinstance(value, int | float) else 0
