"""Commanding: queue → authorization → (second approval) → transmission constraints →
release → verification from PUS service 1, each step time-stamped in the command history.

The commander does not know how packets travel: it is given a ``transmit`` callable
(the link to the spacecraft), a ``latest`` callable giving the latest engineering value
of a parameter (for constraints) and a ``clock`` in UTC ns (the twin's accelerated time
when live). ``poll(now_ns)`` re-checks waiting constraints and verifier time-outs;
``on_report(tm)`` consumes service-1 reports.
"""

from __future__ import annotations

import enum
import json
import operator
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ilrs.errors import CommandRejectedError, InputError, PermissionDeniedError
from ilrs.ops.archive import Archive, CommandRecord, CommandStage
from ilrs.ops.auth import AccessPolicy, Action
from ilrs.ops.codec import encode_arguments
from ilrs.ops.mdb import Command, MissionDatabase
from ilrs.ops.packets import RequestId, Service, TcPacket, TmPacket, VerificationStage

__all__ = ["CommandEntry", "CommandState", "Commander"]

_OPERATORS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
              ">": operator.gt, ">=": operator.ge}  # fmt: skip
_REPORT_STAGE = {
    VerificationStage.ACCEPTED: ("accepted", "ok"),
    VerificationStage.ACCEPTANCE_FAILED: ("accepted", "failed"),
    VerificationStage.STARTED: ("started", "ok"),
    VerificationStage.START_FAILED: ("started", "failed"),
    VerificationStage.COMPLETED: ("completed", "ok"),
    VerificationStage.COMPLETION_FAILED: ("completed", "failed"),
}


class CommandState(enum.StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    WAITING_CONSTRAINTS = "waiting_constraints"
    RELEASED = "released"
    COMPLETED = "completed"
    FAILED = "failed"
    REJECTED = "rejected"

    @property
    def final(self) -> bool:
        return self in (CommandState.COMPLETED, CommandState.FAILED, CommandState.REJECTED)


@dataclass
class CommandEntry:
    """A command's life; ``stages`` mirrors the archived history."""

    id: str
    definition: Command
    user: str
    arguments: dict[str, Any]
    data: bytes
    created_ns: int
    state: CommandState
    seq_count: int | None = None
    approver: str | None = None
    released_ns: int | None = None
    stages: list[CommandStage] = field(default_factory=list)
    verified: set[str] = field(default_factory=set)
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def name(self) -> str:
        return self.definition.name

    def public(self) -> dict[str, Any]:
        """A JSON-ready view (for the API)."""
        return {
            "id": self.id, "name": self.name, "apid": self.definition.apid, "user": self.user,
            "arguments": self.arguments, "significance": self.definition.significance,
            "state": self.state.value, "seq_count": self.seq_count, "approver": self.approver,
            "created_ns": self.created_ns,
            "stages": [{"stage": s.stage, "status": s.status, "time_ns": s.time_ns,
                        "detail": s.detail} for s in self.stages],
        }  # fmt: skip


class Commander:
    """The command queue of the command center."""

    def __init__(
        self,
        *,
        mdb: MissionDatabase,
        policy: AccessPolicy,
        archive: Archive,
        transmit: Callable[[TcPacket], None],
        latest: Callable[[str], float | None],
        clock: Callable[[], int],
        source_id: int = 1,
    ):
        self.mdb, self.policy, self.archive = mdb, policy, archive
        self.transmit, self.latest, self.clock = transmit, latest, clock
        self.source_id = source_id
        self._lock = threading.RLock()
        self._entries: dict[str, CommandEntry] = {}
        self._by_request: dict[RequestId, str] = {}
        self._seq: dict[int, int] = {}

    # -- history ---------------------------------------------------------------------

    def _stage(self, entry: CommandEntry, stage: str, status: str, detail: str = "") -> None:
        record = CommandStage(entry.id, stage, status, self.clock(), detail)
        if not entry.stages:
            self.archive.insert_command(
                CommandRecord(entry.id, entry.name, entry.definition.apid, entry.user,
                              json.dumps(entry.arguments, sort_keys=True),
                              entry.definition.significance, entry.created_ns),
                record,
            )  # fmt: skip
        else:
            self.archive.append_command_stage(record)
        entry.stages.append(record)

    def _finish(self, entry: CommandEntry, state: CommandState) -> None:
        entry.state = state
        self._stage(entry, "final", state.value)
        entry.done.set()

    def get(self, command_id: str) -> CommandEntry:
        with self._lock:
            try:
                return self._entries[command_id]
            except KeyError:
                raise InputError("command id", command_id, "a command issued here") from None

    def entries(self) -> list[CommandEntry]:
        with self._lock:
            return sorted(self._entries.values(), key=lambda e: e.created_ns)

    # -- the pipeline ----------------------------------------------------------------

    def issue(self, *, user: str, name: str, arguments: Mapping[str, Any] | None = None
              ) -> CommandEntry:  # fmt: skip
        """Queue a command. Raises ``PermissionDeniedError`` (recorded) when the user may
        not send it and ``InputError`` for an unknown command or bad arguments."""
        try:
            definition = self.mdb.command(name)
        except KeyError:
            raise InputError("command", name, "a command of the mission database") from None
        args = dict(arguments or {})
        data = encode_arguments(definition, args)
        now = self.clock()
        entry = CommandEntry(str(uuid.uuid4()), definition, user, args, data, now,
                             CommandState.WAITING_CONSTRAINTS)  # fmt: skip
        with self._lock:
            self._entries[entry.id] = entry
            self._stage(entry, "queued", "ok")
            if not self.policy.can(user, Action.COMMAND, apid=definition.apid):
                self._stage(entry, "authorized", "failed", f"{user} may not command "
                            f"APID {definition.apid}")  # fmt: skip
                self._finish(entry, CommandState.REJECTED)
                raise PermissionDeniedError(user, "command", name)
            self._stage(entry, "authorized", "ok")
            if definition.significance in ("critical", "severe"):
                entry.state = CommandState.AWAITING_APPROVAL
                self._stage(entry, "approval", "pending", definition.significance)
                return entry
            self._check_constraints(entry, now)
        return entry

    def approve(self, command_id: str, *, user: str) -> CommandEntry:
        """Second approval of a critical / severe command by a different, entitled user."""
        with self._lock:
            entry = self.get(command_id)
            if entry.state is not CommandState.AWAITING_APPROVAL:
                why = f"not awaiting approval ({entry.state.value})"
                raise CommandRejectedError(entry.name, "approval", why)
            if user == entry.user:
                raise PermissionDeniedError(user, "approve", "their own command (two-person rule)")
            if not self.policy.can(user, Action.APPROVE, apid=entry.definition.apid):
                raise PermissionDeniedError(user, "approve", entry.name)
            entry.approver = user
            entry.state = CommandState.WAITING_CONSTRAINTS
            self._stage(entry, "approval", "ok", user)
            self._check_constraints(entry, self.clock())
            return entry

    def cancel(self, command_id: str, *, user: str) -> CommandEntry:
        """Withdraw a command not yet released (its issuer or a flight director)."""
        with self._lock:
            entry = self.get(command_id)
            if entry.state not in (CommandState.AWAITING_APPROVAL,
                                   CommandState.WAITING_CONSTRAINTS):  # fmt: skip
                raise CommandRejectedError(entry.name, "cancel", f"already {entry.state.value}")
            if user != entry.user and not self.policy.can(user, Action.APPROVE):
                raise PermissionDeniedError(user, "cancel", entry.name)
            self._stage(entry, "cancelled", "ok", user)
            self._finish(entry, CommandState.REJECTED)
            return entry

    def _constraints_hold(self, entry: CommandEntry) -> tuple[bool, str]:
        for k in entry.definition.constraints:
            value = self.latest(k.parameter)
            if value is None or not _OPERATORS[k.operator](value, k.value):
                return False, f"{k.parameter} {k.operator} {k.value} (is {value})"
        return True, ""

    def _check_constraints(self, entry: CommandEntry, now_ns: int) -> None:
        ok, why = self._constraints_hold(entry)
        if ok:
            if entry.definition.constraints:
                self._stage(entry, "constraints", "ok")
            self._release(entry)
            return
        timeout_s = entry.definition.constraint_timeout_s
        if now_ns - self._constraint_start(entry) >= timeout_s * 1e9:
            self._stage(entry, "constraints", "failed", why)
            self._finish(entry, CommandState.FAILED)
        elif not any(s.stage == "constraints" for s in entry.stages):
            self._stage(entry, "constraints", "pending", f"{why}; waiting up to {timeout_s} s")

    def _constraint_start(self, entry: CommandEntry) -> int:
        last = [s.time_ns for s in entry.stages if s.stage in ("authorized", "approval")]
        return last[-1]

    def _release(self, entry: CommandEntry) -> None:
        apid = entry.definition.apid
        seq = self._seq.get(apid, 0)
        self._seq[apid] = (seq + 1) & 0x3FFF
        tc = TcPacket(apid=apid, service=entry.definition.service,
                      subservice=entry.definition.subservice, data=entry.data, seq_count=seq,
                      source_id=self.source_id)  # fmt: skip
        entry.seq_count = seq
        self._by_request[tc.request_id] = entry.id
        try:
            self.transmit(tc)
        except Exception as exc:  # the link is down or refused the packet
            self._stage(entry, "released", "failed", str(exc))
            self._finish(entry, CommandState.FAILED)
            return
        entry.state = CommandState.RELEASED
        entry.released_ns = self.clock()
        self._stage(entry, "released", "ok", f"seq {seq}")
        if not entry.definition.verifiers:
            self._finish(entry, CommandState.COMPLETED)

    # -- verification ----------------------------------------------------------------

    def on_report(self, tm: TmPacket) -> CommandEntry | None:
        """Consume a PUS service-1 report; returns the command it concerns, if ours."""
        if tm.service != Service.VERIFICATION or tm.subservice not in _REPORT_STAGE:
            return None
        request = RequestId.unpack(tm.data)
        with self._lock:
            command_id = self._by_request.get(request)
            if command_id is None:
                return None
            entry = self._entries[command_id]
            if entry.state is not CommandState.RELEASED:
                return entry
            stage, status = _REPORT_STAGE[VerificationStage(tm.subservice)]
            detail = ""
            if status == "failed" and len(tm.data) >= 6:
                detail = f"failure code {int.from_bytes(tm.data[4:6], 'big')}"
            self._stage(entry, stage, status, detail)
            entry.verified.add(stage)
            if status == "failed":
                self._finish(entry, CommandState.FAILED)
            elif all(v.stage in entry.verified for v in entry.definition.verifiers):
                self._finish(entry, CommandState.COMPLETED)
            return entry

    def poll(self, now_ns: int | None = None) -> None:
        """Re-check waiting constraints and verifier time-outs."""
        now = self.clock() if now_ns is None else now_ns
        with self._lock:
            for entry in list(self._entries.values()):
                if entry.state is CommandState.WAITING_CONSTRAINTS:
                    self._check_constraints(entry, now)
                elif entry.state is CommandState.RELEASED:
                    for v in entry.definition.verifiers:
                        late = now - entry.released_ns > v.timeout_s * 1e9
                        if v.stage not in entry.verified and late:
                            self._stage(entry, v.stage, "timeout", f"after {v.timeout_s} s")
                            self._finish(entry, CommandState.FAILED)
                            break
