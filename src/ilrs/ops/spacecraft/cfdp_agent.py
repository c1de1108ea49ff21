"""The spacecraft's CFDP entity beside the twin: files (science products) downlinked with
CFDP class 2 to whichever ground flies the twin — Yamcs' ``CfdpService`` among them — and
files uplinked from it.

:class:`CfdpSpacecraft` wraps a spacecraft: ``put(path)`` queues a file; each call of
:meth:`telemetry` runs the sending entity and adds up to ``pdus_per_call`` PDUs as PUS
TM[128,1] packets of APID :data:`~ilrs.ops.tmtc.cfdp.CFDP_APID` (the PDU is the source
data); TC[128,2] of that APID carry the ground's PDUs up. Those towards the sender (ACK,
NAK, Finished) go to the sending entity; those towards a receiver (Metadata, File Data,
EOF, the ACK of a Finished) to the receiving entity, a
:class:`~ilrs.ops.cfdp.receiver.DurableReceiver` on ``uplink_dir`` (the onboard store:
uplinked files land there), whose replies go down the same way. Every other telecommand
goes to the wrapped spacecraft. The entities' timers run on the wall clock here (a real
link, not a simulated one).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

from cfdppy.defs import CfdpState
from cfdppy.request import PutRequest
from spacepackets.cfdp import Direction, TransmissionMode
from spacepackets.cfdp.pdu.helper import PduFactory
from spacepackets.util import ByteFieldU16

from ilrs.errors import InputError
from ilrs.ops.cfdp.receiver import DurableReceiver
from ilrs.ops.tmtc.cfdp import (
    CFDP_APID,
    CFDP_DOWN,
    CFDP_SERVICE,
    CFDP_UP,
    CfdpSettings,
    ack_inactive_finished,
    make_source,
)
from ilrs.ops.tmtc.link import Spacecraft
from ilrs.ops.tmtc.packets import TcPacket, TmPacket
from ilrs.ops.tmtc.timecodes import CucTime

__all__ = ["CfdpSpacecraft"]


class CfdpSpacecraft(Spacecraft):
    """``inner`` with a CFDP sending entity (see the module doc)."""

    def __init__(self, inner: Spacecraft, *, settings: CfdpSettings | None = None,
                 stamp: Callable[[int], object] | None = None,
                 pdus_per_call: int = 64, uplink_dir: str | Path | None = None):  # fmt: skip
        self.inner = inner
        self.settings = settings or CfdpSettings()
        self.source, self.user, self.faults = make_source(self.settings)
        #: the receiving entity for uplinked files (None: no uplink_dir, none received)
        self.receiver = (None if uplink_dir is None else
                         DurableReceiver(uplink_dir, self.settings, on_spacecraft=True))
        self.stamp = stamp or (lambda now_ns: CucTime.from_unix_s(now_ns / 1e9))
        self.pdus_per_call = pdus_per_call
        self.queue: deque[tuple[Path, str]] = deque()
        self.sent_pdus = 0
        self._out: list[bytes] = []
        self._seq = 0

    def put(self, path: str | Path, dest_name: str | None = None) -> None:
        """Queue a file for downlink (``dest_name``: its name on the ground)."""
        path = Path(path)
        if not path.is_file():
            raise InputError("CFDP source file", str(path), "an existing file")
        self.queue.append((path, dest_name or path.name))

    @property
    def idle(self) -> bool:
        """No transfer running and none queued."""
        return not self.queue and self.source.state == CfdpState.IDLE

    def _drain(self) -> None:
        while (holder := self.source.get_next_packet()) is not None:
            self._out.append(holder.pdu.pack())

    def on_telecommand(self, tc: TcPacket) -> None:
        if (tc.apid, tc.service, tc.subservice) != (CFDP_APID, CFDP_SERVICE, CFDP_UP):
            self.inner.on_telecommand(tc)
            return
        pdu = PduFactory.from_raw(tc.data)
        if pdu is None:
            return
        if pdu.direction == Direction.TOWARDS_RECEIVER:
            if self.receiver is not None:
                self._out += self.receiver.receive(tc.data)
        elif self.source.state != CfdpState.IDLE:
            self.source.state_machine(pdu)
            self._drain()
        elif (ack := ack_inactive_finished(pdu)) is not None:
            self._out.append(ack)

    def telemetry(self, now_ns: int) -> Sequence[TmPacket]:
        packets = list(self.inner.telemetry(now_ns))
        if self.receiver is not None:
            self._out += self.receiver.poll()  # its NAK, ACK and Finished timers
        if self.source.state == CfdpState.IDLE and self.queue:
            path, name = self.queue.popleft()
            self.source.put_request(PutRequest(
                destination_id=ByteFieldU16(self.settings.ground_entity), source_file=path,
                dest_file=Path(name), trans_mode=TransmissionMode.ACKNOWLEDGED,
                closure_requested=True))  # fmt: skip
        for _ in range(self.pdus_per_call):
            if self.source.state == CfdpState.IDLE or len(self._out) >= self.pdus_per_call:
                break
            before = len(self._out)
            self.source.state_machine()
            self._drain()
            if len(self._out) == before:
                break  # waiting for the ground (an ACK, a NAK, the Finished PDU)
        out, self._out = self._out[: self.pdus_per_call], self._out[self.pdus_per_call:]
        for pdu in out:
            self._seq = (self._seq + 1) & 0x3FFF
            packets.append(TmPacket(apid=CFDP_APID, service=CFDP_SERVICE, subservice=CFDP_DOWN,
                                    time=self.stamp(now_ns), data=pdu, seq_count=self._seq))
        self.sent_pdus += len(out)
        return packets
