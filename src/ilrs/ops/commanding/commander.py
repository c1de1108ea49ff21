"""Commanding: queue → authorization → (second approval) → transmission constraints →
release → verification from PUS service 1, each step time-stamped in the command history.

The commander does not know how packets travel: it is given a ``transmit`` callable
(the link to the spacecraft), a ``latest`` callable giving the latest engineering value
of a parameter (for constraints) and a ``clock`` in UTC ns (the twin's accelerated time
when live). ``poll(now_ns)`` re-checks waiting constraints and verifier time-outs;
``on_report(tm)`` consumes service-1 reports.

**Time-based schedule (PUS service 11).** A command issued with ``release_at_utc`` goes
through the same queue, authorization, approval and constraints, and is then sent wrapped
in a TC[11,4] ("insert activities into the time-based schedule") to the on-board
scheduler instead of directly: the scheduler belongs to the station element, so the TC[11,4]
goes to the APID of the database's ``station`` element (``schedule_apid`` overrides it; a
database without a ``station`` element schedules on the command's own APID). The release
time is in the spacecraft's time scale — for the station twin its simulated UTC — and is
passed on as given: the ground converts nothing. The embedded telecommand keeps its own
APID and sequence count, so both request ids map to the same command: the PUS-1 reports of
the TC[11,4] make the ``scheduled`` stage (accepted → pending, completed → ok: inserted,
any failure → failed), those of the embedded command its own ``accepted`` / ``started`` /
``completed`` stages once the spacecraft releases it. The insertion must be reported
within ``schedule_timeout_s`` of the transmission; the embedded command's verifier
time-outs run from its first report (the ground does not know when the spacecraft's clock
reaches the release time), and a command handed to the scheduler can no longer be
cancelled from the queue.
"""

from __future__ import annotations

import json
import operator
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from ilrs.errors import CommandRejectedError, InputError, PermissionDeniedError
from ilrs.ops.archive import Archive, CommandRecord, CommandStage
from ilrs.ops.commanding.entry import CommandEntry, CommandState
from ilrs.ops.security.policy import AccessPolicy, Action
from ilrs.ops.security.two_person import TwoPersonRule
from ilrs.ops.tmtc.codec import encode_arguments
from ilrs.ops.tmtc.mdb import MissionDatabase
from ilrs.ops.tmtc.packets import RequestId, Service, TcPacket, TmPacket, VerificationStage
from ilrs.ops.tmtc.pus11 import ScheduledActivity, schedule_insert_tc
from ilrs.ops.tmtc.timecodes import CdsTime

__all__ = ["Commander"]

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
        schedule_apid: int | None = None,
        schedule_timeout_s: float = 10.0,
        two_person: TwoPersonRule | None = None,
    ):
        self.mdb, self.policy, self.archive = mdb, policy, archive
        #: who controls which account (run-time users and their creators)
        self.two_person = two_person if two_person is not None else TwoPersonRule()
        self.transmit, self.latest, self.clock = transmit, latest, clock
        #: What stamps the history (stages, creation): mission time when the service has
        #: it (the spacecraft's UTC), else ``clock``; time-outs always run on ``clock``.
        self.stamp: Callable[[], int] = clock
        self.source_id = source_id
        if schedule_apid is None and any(a.name == "station" for a in mdb.apids):
            schedule_apid = mdb.apid_of("station")
        self.schedule_apid = schedule_apid
        self.schedule_timeout_s = schedule_timeout_s
        self._lock = threading.RLock()
        self._entries: dict[str, CommandEntry] = {}
        self._by_request: dict[RequestId, str] = {}
        self._seq: dict[int, int] = {}

    # -- history ---------------------------------------------------------------------

    def _stage(self, entry: CommandEntry, stage: str, status: str, detail: str = "") -> None:
        record = CommandStage(entry.id, stage, status, self.stamp(), detail)
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

    def find(self, command_id: str) -> CommandEntry | None:
        with self._lock:
            return self._entries.get(command_id)

    def entries(self, *, after_seq: int | None = None) -> list[CommandEntry]:
        """Commands in the order they were issued; ``after_seq``: only those issued after
        the one whose ``order`` it is."""
        with self._lock:
            rows = list(self._entries.values())  # dicts keep insertion order
        return rows if after_seq is None else [e for e in rows if e.order > after_seq]

    # -- the pipeline ----------------------------------------------------------------

    def issue(self, *, user: str, name: str, arguments: Mapping[str, Any] | None = None,
              release_at_utc: str | None = None) -> CommandEntry:  # fmt: skip
        """Queue a command. Raises ``PermissionDeniedError`` (recorded) when the user may
        not send it and ``InputError`` for an unknown command, bad arguments or a bad
        ``release_at_utc`` (a UTC ISO-8601 instant of the spacecraft's clock: the command is
        then released on board at that time by the time-based schedule, see the module
        doc)."""
        try:
            definition = self.mdb.command(name)
        except KeyError:
            raise InputError("command", name, "a command of the mission database") from None
        args = dict(arguments or {})
        data = encode_arguments(definition, args)
        release_at = None if release_at_utc is None else _release_time(release_at_utc)
        now = self.clock()
        entry = CommandEntry(str(uuid.uuid4()), definition, user, args, data, self.stamp(),
                             CommandState.WAITING_CONSTRAINTS, release_at=release_at)  # fmt: skip
        with self._lock:
            entry.order = len(self._entries)
            self._entries[entry.id] = entry
            self._stage(entry, "queued", "ok", "" if release_at is None else
                        f"release on board at {release_at.utc_iso()} (spacecraft UTC)")  # fmt: skip
            if not self.policy.can(user, Action.COMMAND, apid=definition.apid):
                self._stage(entry, "authorized", "failed", f"{user} may not command "
                            f"APID {definition.apid}")  # fmt: skip
                self._finish(entry, CommandState.REJECTED)
                raise PermissionDeniedError(user, "command", name)
            self._stage(entry, "authorized", "ok")
            entry.cleared_ns = now
            if definition.significance in ("critical", "severe"):
                entry.state = CommandState.AWAITING_APPROVAL
                self._stage(entry, "approval", "pending", definition.significance)
                return entry
            self._check_constraints(entry, now)
        return entry

    def approve(self, command_id: str, *, user: str) -> CommandEntry:
        """Second approval of a critical / severe command by a different, entitled user
        that no one controls together with the issuer (:mod:`ilrs.ops.security.two_person`;
        permission is checked before the state, which is not told to the unentitled)."""
        with self._lock:
            entry = self.get(command_id)
            if user == entry.user:
                raise PermissionDeniedError(user, "approve", "their own command (two-person rule)")
            if not self.policy.can(user, Action.APPROVE, apid=entry.definition.apid):
                raise PermissionDeniedError(user, "approve", entry.name)
            self.two_person.check_approval(approver=user, issuer=entry.user)
            if entry.state is not CommandState.AWAITING_APPROVAL:
                why = f"not awaiting approval ({entry.state.value})"
                raise CommandRejectedError(entry.name, "approval", why)
            entry.approver = user
            entry.state = CommandState.WAITING_CONSTRAINTS
            self._stage(entry, "approval", "ok", user)
            entry.cleared_ns = self.clock()
            self._check_constraints(entry, entry.cleared_ns)
            return entry

    def cancel(self, command_id: str, *, user: str) -> CommandEntry:
        """Withdraw a command not yet released (its issuer or a flight director)."""
        with self._lock:
            entry = self.get(command_id)
            if user != entry.user and not self.policy.can(user, Action.APPROVE,
                                                          apid=entry.definition.apid):
                raise PermissionDeniedError(user, "cancel", entry.name)
            if entry.state not in (CommandState.AWAITING_APPROVAL,
                                   CommandState.WAITING_CONSTRAINTS):  # fmt: skip
                raise CommandRejectedError(entry.name, "cancel", f"already {entry.state.value}")
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
        if now_ns - entry.cleared_ns >= timeout_s * 1e9:
            self._stage(entry, "constraints", "failed", why)
            self._finish(entry, CommandState.FAILED)
        elif not any(s.stage == "constraints" for s in entry.stages):
            self._stage(entry, "constraints", "pending", f"{why}; waiting up to {timeout_s} s")

    def _release(self, entry: CommandEntry) -> None:
        apid = entry.definition.apid
        seq = self._seq.get(apid, 0)
        self._seq[apid] = (seq + 1) & 0x3FFF
        tc = TcPacket(apid=apid, service=entry.definition.service,
                      subservice=entry.definition.subservice, data=entry.data, seq_count=seq,
                      source_id=self.source_id)  # fmt: skip
        entry.seq_count = seq
        self._by_request[tc.request_id] = entry.id
        detail = f"seq {seq}"
        if entry.release_at is not None:
            tc, detail = self._wrap_in_schedule(entry, tc)
        try:
            self.transmit(tc)
        except Exception as exc:  # the link is down or refused the packet
            self._stage(entry, "released", "failed", str(exc))
            self._finish(entry, CommandState.FAILED)
            return
        entry.state = CommandState.RELEASED
        entry.released_ns = self.clock()
        self._stage(entry, "released", "ok", detail)
        if not entry.definition.verifiers and entry.release_at is None:
            self._finish(entry, CommandState.COMPLETED)

    def _wrap_in_schedule(self, entry: CommandEntry, tc: TcPacket) -> tuple[TcPacket, str]:
        """The TC[11,4] inserting ``tc`` into the on-board schedule, and the stage detail."""
        apid = entry.definition.apid if self.schedule_apid is None else self.schedule_apid
        seq = self._seq.get(apid, 0)
        self._seq[apid] = (seq + 1) & 0x3FFF
        wrapper = schedule_insert_tc([ScheduledActivity(entry.release_at, tc)], apid=apid,
                                     seq_count=seq, source_id=self.source_id)  # fmt: skip
        entry.schedule_request = wrapper.request_id
        self._by_request[wrapper.request_id] = entry.id
        return wrapper, (f"seq {tc.seq_count} in TC[11,4] APID {apid} seq {seq}, release at "
                         f"{entry.release_at.utc_iso()}")  # fmt: skip

    def withdraw_scheduled(self, entries, *, not_before_s: float,
                           detail: str) -> list[CommandEntry]:
        """Delete from the on-board schedule those of ``entries`` that wait there (released
        in a TC[11,4], not yet executed) with a release time at or after ``not_before_s``
        (Unix s, mission time): one TC[11,5] per 255 to the scheduler's APID, numbered in
        this commander's sequence count of that APID (so its PUS-1 reports are never taken
        for another command's); each withdrawn command's history gets a ``cancelled`` stage
        (``detail``) and ends rejected. Returns the withdrawn entries."""
        from ilrs.ops.tmtc.pus11 import MAX_PER_DELETE, schedule_delete_tc

        with self._lock:
            gone = [e for e in entries
                    if e.release_at is not None and e.onboard_ns is None
                    and e.state in (CommandState.RELEASED, CommandState.SCHEDULED)
                    and e.release_at.unix_s >= not_before_s]  # fmt: skip
            apid = self.schedule_apid
            for i in range(0, len(gone), MAX_PER_DELETE):
                chunk = gone[i:i + MAX_PER_DELETE]
                seq = self._seq.get(apid, 0)
                self._seq[apid] = (seq + 1) & 0x3FFF
                self.transmit(schedule_delete_tc(
                    [RequestId(e.definition.apid, e.seq_count) for e in chunk], apid=apid,
                    seq_count=seq, source_id=self.source_id))
                for e in chunk:
                    self._stage(e, "cancelled", "ok", detail)
                    self._finish(e, CommandState.REJECTED)
        return gone

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
            if entry.state not in (CommandState.RELEASED, CommandState.SCHEDULED):
                return entry
            stage, status = _REPORT_STAGE[VerificationStage(tm.subservice)]
            detail = _failure_detail(tm) if status == "failed" else ""
            if request == entry.schedule_request:
                self._on_schedule_report(entry, stage, status, detail)
                return entry
            if entry.release_at is not None and entry.onboard_ns is None:
                entry.onboard_ns = self.clock()  # released on board: verifier clocks start
            self._stage(entry, stage, status, detail)
            entry.verified.add(stage)
            if status == "failed":
                self._finish(entry, CommandState.FAILED)
            elif all(v.stage in entry.verified for v in entry.definition.verifiers):
                self._finish(entry, CommandState.COMPLETED)
            return entry

    def _on_schedule_report(self, entry: CommandEntry, stage: str, status: str,
                            detail: str) -> None:  # fmt: skip
        """A PUS-1 report of the TC[11,4]: the ``scheduled`` stage."""
        if status == "failed":
            self._stage(entry, "scheduled", "failed", detail)
            self._finish(entry, CommandState.FAILED)
        elif "scheduled" in entry.verified:
            return
        elif stage == "accepted":
            self._stage(entry, "scheduled", "pending", "insert request accepted")
        elif stage == "completed":
            entry.verified.add("scheduled")
            self._stage(entry, "scheduled", "ok",
                        f"inserted, release at {entry.release_at.utc_iso()}")  # fmt: skip
            if entry.state is CommandState.RELEASED:
                entry.state = CommandState.SCHEDULED
            if all(v.stage in entry.verified for v in entry.definition.verifiers):
                self._finish(entry, CommandState.COMPLETED)

    def poll(self, now_ns: int | None = None) -> None:
        """Re-check waiting constraints and verifier time-outs."""
        now = self.clock() if now_ns is None else now_ns
        with self._lock:
            for entry in list(self._entries.values()):
                if entry.state is CommandState.WAITING_CONSTRAINTS:
                    self._check_constraints(entry, now)
                elif entry.state in (CommandState.RELEASED, CommandState.SCHEDULED):
                    inserting = (entry.release_at is not None and entry.onboard_ns is None
                                 and "scheduled" not in entry.verified)  # fmt: skip
                    if inserting and now - entry.released_ns > self.schedule_timeout_s * 1e9:
                        self._stage(entry, "scheduled", "timeout",
                                    f"after {self.schedule_timeout_s} s")  # fmt: skip
                        self._finish(entry, CommandState.FAILED)
                        continue
                    start = entry.released_ns if entry.release_at is None else entry.onboard_ns
                    if start is None:
                        continue  # waiting on board for its release time
                    for v in entry.definition.verifiers:
                        late = now - start > v.timeout_s * 1e9
                        if v.stage not in entry.verified and late:
                            self._stage(entry, v.stage, "timeout", f"after {v.timeout_s} s")
                            self._finish(entry, CommandState.FAILED)
                            break


def _release_time(utc: str) -> CdsTime:
    try:
        return CdsTime.from_utc_iso(utc)
    except (ValueError, TypeError, OverflowError):
        raise InputError("release_at_utc", utc, "a UTC ISO-8601 instant of the spacecraft's "
                         "clock, 1958 to 2137 (2036-01-01T00:02:00Z)") from None


def _failure_detail(tm: TmPacket) -> str:
    """``failure code N`` and the failure data when it is text (PUS-1 failure reports)."""
    if len(tm.data) < 6:
        return ""
    detail = f"failure code {int.from_bytes(tm.data[4:6], 'big')}"
    try:
        text = tm.data[6:].decode()
    except UnicodeDecodeError:
        return detail
    return f"{detail}: {text}" if text.isprintable() and text else detail
