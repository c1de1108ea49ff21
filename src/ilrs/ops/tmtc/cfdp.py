"""CFDP entities (CCSDS 727.0-B-5) on ``cfdp-py``: the spacecraft's sending entity and the
ground's receiving entity, their configuration for class 2 (acknowledged: NAKs, EOF and
Finished acknowledged), the user that hears their indications, and the CFDP clock.

``cfdp-py`` times its procedures (positive ACK, NAK, check timers) with ``spacepackets``'
``Countdown``, which reads the wall clock through ``spacepackets.countdown.time_ms``.
:func:`cfdp_clock` points that function at a clock of ours for as long as a transfer is
driven, so the procedures run on the simulated link's time and stop while a transfer is
suspended (CFDP §4.6.7: no PDU sent, timers frozen — which ``cfdp-py`` itself lacks).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import spacepackets.countdown as _countdown
from cfdppy.handler.dest import DestHandler
from cfdppy.handler.source import SourceHandler
from cfdppy.mib import (
    CheckTimerProvider,
    DefaultFaultHandlerBase,
    EntityType,
    IndicationConfig,
    LocalEntityConfig,
    RemoteEntityConfig,
    RemoteEntityConfigTable,
)
from cfdppy.user import CfdpUserBase
from spacepackets.cfdp import ChecksumType, ConditionCode, Direction, TransmissionMode
from spacepackets.cfdp.pdu import AckPdu, DirectiveType, FinishedPdu
from spacepackets.cfdp.pdu.ack import TransactionStatus
from spacepackets.countdown import Countdown
from spacepackets.seqcount import SeqCountProvider
from spacepackets.util import ByteFieldU16

__all__ = ["CFDP_APID", "CfdpSettings", "Faults", "User", "ack_inactive_finished",
           "cfdp_clock", "make_dest", "make_source"]

#: APID of the space packets carrying CFDP PDUs (PUS TM[128,1] down, TC[128,2] up when
#: another ground system's preprocessors want PUS headers).
CFDP_APID = 0x7F0
CFDP_SERVICE, CFDP_DOWN, CFDP_UP = 128, 1, 2


@dataclass(frozen=True)
class CfdpSettings:
    """Class 2 settings shared by both entities (seconds on the CFDP clock). The timers
    must exceed the round trip: 2.6 s of Earth–Moon light time and a frame's time."""

    spacecraft_entity: int = 1
    ground_entity: int = 2
    max_pdu_len: int = 1024
    ack_timer_s: float = 3.5
    ack_limit: int = 10
    nak_timer_s: float = 3.5
    nak_limit: int = 10
    check_timer_s: float = 4.0
    immediate_nak: bool = True
    #: the file checksum (Yamcs' CfdpService checks the modular one)
    checksum: ChecksumType = ChecksumType.CRC_32


class Faults(DefaultFaultHandlerBase):
    """Records the faults CFDP declares (the tests expect none)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def notice_of_suspension_cb(self, transaction_id, cond: ConditionCode, progress: int):
        self.seen.append(f"suspended: {cond.name}")

    def notice_of_cancellation_cb(self, transaction_id, cond: ConditionCode, progress: int):
        self.seen.append(f"cancelled: {cond.name}")

    def abandoned_cb(self, transaction_id, cond: ConditionCode, progress: int):
        self.seen.append(f"abandoned: {cond.name}")

    def ignore_cb(self, transaction_id, cond: ConditionCode, progress: int):
        self.seen.append(f"ignored: {cond.name}")


@dataclass
class User(CfdpUserBase):
    """The CFDP user of an entity: keeps what its handler indicated."""

    finished: list = field(default_factory=list)
    metadata: list = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    eof_received: int = 0

    def __post_init__(self) -> None:
        CfdpUserBase.__init__(self)

    def transaction_indication(self, transaction_indication_params) -> None:
        """A transaction started."""

    def eof_sent_indication(self, transaction_id) -> None:
        """The EOF PDU went out."""

    def transaction_finished_indication(self, params) -> None:
        self.finished.append(params)

    def metadata_recv_indication(self, params) -> None:
        self.metadata.append(params)

    def file_segment_recv_indication(self, params) -> None:
        """A file segment arrived (counted by the handler's progress)."""

    def report_indication(self, transaction_id, status_report) -> None:
        """A report (not used)."""

    def suspended_indication(self, transaction_id, cond_code) -> None:
        self.faults.append(f"suspended: {cond_code}")

    def resumed_indication(self, transaction_id, progress: int) -> None:
        """Resumed (suspension is the driver's, see the module doc)."""

    def fault_indication(self, transaction_id, cond_code, progress: int) -> None:
        self.faults.append(f"fault: {cond_code}")

    def abandoned_indication(self, transaction_id, cond_code, progress: int) -> None:
        self.faults.append(f"abandoned: {cond_code}")

    def eof_recv_indication(self, transaction_id) -> None:
        self.eof_received += 1


class _CheckTimers(CheckTimerProvider):
    def __init__(self, seconds: float):
        self.seconds = seconds

    def provide_check_timer(self, local_entity_id, remote_entity_id,
                            entity_type: EntityType) -> Countdown:  # fmt: skip
        return Countdown.from_seconds(self.seconds)


def _remote(entity: int, s: CfdpSettings) -> RemoteEntityConfig:
    return RemoteEntityConfig(
        entity_id=ByteFieldU16(entity), max_file_segment_len=None, max_packet_len=s.max_pdu_len,
        closure_requested=True, crc_on_transmission=False,
        default_transmission_mode=TransmissionMode.ACKNOWLEDGED, crc_type=s.checksum,
        positive_ack_timer_interval_seconds=s.ack_timer_s,
        positive_ack_timer_expiration_limit=s.ack_limit, immediate_nak_mode=s.immediate_nak,
        nak_timer_interval_seconds=s.nak_timer_s, nak_timer_expiration_limit=s.nak_limit,
    )  # fmt: skip


def _local(entity: int, faults: Faults) -> LocalEntityConfig:
    return LocalEntityConfig(ByteFieldU16(entity), IndicationConfig(), faults)


def make_source(s: CfdpSettings, faults: Faults | None = None
                ) -> tuple[SourceHandler, User, Faults]:  # fmt: skip
    """The spacecraft's sending entity: (source handler, its user, faults)."""
    faults = faults or Faults()
    user = User()
    source = SourceHandler(_local(s.spacecraft_entity, faults), user,
                           RemoteEntityConfigTable([_remote(s.ground_entity, s)]),
                           _CheckTimers(s.check_timer_s), SeqCountProvider(16))  # fmt: skip
    return source, user, faults


def make_dest(s: CfdpSettings, user: User, faults: Faults, *,
              on_spacecraft: bool = False) -> DestHandler:  # fmt: skip
    """A receiving entity, telling ``user`` (whose ``vfs`` it writes to): the ground's
    (files from the spacecraft) or, ``on_spacecraft``, the spacecraft's (files uplinked
    from the ground)."""
    local, remote = s.ground_entity, s.spacecraft_entity
    if on_spacecraft:
        local, remote = remote, local
    return DestHandler(_local(local, faults), user,
                       RemoteEntityConfigTable([_remote(remote, s)]),
                       _CheckTimers(s.check_timer_s))  # fmt: skip


def ack_inactive_finished(pdu) -> bytes | None:
    """The ACK a sender owes a Finished PDU of a transaction it no longer has (CFDP
    §4.7.2: every Finished is acknowledged; a receiver restarted after the sender closed
    the transaction sends its Finished again) — ``cfdp-py``'s sender, idle, does not give
    it. None for any other PDU."""
    if not isinstance(pdu, FinishedPdu):
        return None
    conf = pdu.pdu_header.pdu_conf
    conf.direction = Direction.TOWARDS_RECEIVER
    return AckPdu(conf, DirectiveType.FINISHED_PDU, pdu.condition_code,
                  TransactionStatus.TERMINATED).pack()


@contextlib.contextmanager
def cfdp_clock(now_s: Callable[[], float]) -> Iterator[None]:
    """Run ``cfdp-py``'s timers on ``now_s()`` (seconds) inside the block."""
    saved = _countdown.time_ms
    _countdown.time_ms = lambda: round(now_s() * 1000)
    try:
        yield
    finally:
        _countdown.time_ms = saved
