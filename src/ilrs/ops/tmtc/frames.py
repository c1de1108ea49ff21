"""Transfer frames of the space link: CCSDS 132.0-B-3 TM frames with virtual channels and
the operational control field (OCF) carrying the CLCW, and CCSDS 232.0-B-4 TC frames.

TM frames have a fixed length on a master channel (spacecraft id); each virtual channel
(VC) carries a byte stream of space packets cut into frame data fields, the first header
pointer (FHP) saying where the first packet starting in the frame begins (``0x7FF``: none
does). A frame that cannot be filled is padded with an idle packet (APID ``0x7FF``). The
layout is ``spacepackets``' :class:`~spacepackets.ccsds.tm_frame.TmTransferFrame`; the
frame error control field is CRC-16/CCITT. The reader checks the CRC, follows each VC's
frame count and, after a lost frame, drops the broken packet and resynchronises at the next
FHP.

TC frames carry one whole TC packet each (no segment header): a 5-byte header (version,
bypass and control-command flags, spacecraft id, VC id, frame length, sequence number
N(S)), the data and the CRC-16. Type-AD frames go through COP-1 (:mod:`ilrs.ops.tmtc.cop1`),
type-BD bypass it, type-BC carry its control commands.

>>> clcw = Clcw(vcid=0, report_value=5, retransmit=True)
>>> clcw.pack().hex(" ")
'01 00 08 05'
>>> Clcw.unpack(clcw.pack()) == clcw
True
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Final

from spacepackets.ccsds.tm_frame import (
    MasterChannelId,
    TmFramePrimaryHeader,
    TmTransferFrame,
    TransferFrameDataFieldStatus,
)

from ilrs.errors import PacketError
from ilrs.ops.tmtc.packets import PRIMARY_LEN, crc16

__all__ = ["Clcw", "TcFrame", "TmFrameReader", "TmFrameWriter", "idle_packet"]

#: First header pointer: no packet starts in this frame.
FHP_NONE: Final = 0x7FF
#: First header pointer of an Only-Idle-Data frame.
FHP_IDLE: Final = 0x7FE
_IDLE_FILL: Final = b"\x55"
#: The APID of idle packets (CCSDS 133.0-B-2).
IDLE_APID: Final = 0x7FF
_TM_HEADER = 6
_OCF = 4
_FECF = 2


@dataclass(frozen=True, slots=True)
class Clcw:
    """The Communications Link Control Word (CCSDS 232.0-B-4 §4.2.1): FARM-1's report to
    FOP-1 in the TM frames' OCF. ``report_value`` is N(R), the next expected sequence number.

    >>> Clcw(vcid=3, lockout=True, report_value=255).pack().hex(" ")
    '01 0c 20 ff'
    """

    vcid: int = 0
    report_value: int = 0
    lockout: bool = False
    wait: bool = False
    retransmit: bool = False
    farm_b_counter: int = 0
    no_rf: bool = False
    no_bit_lock: bool = False
    status: int = 0

    def pack(self) -> bytes:
        """Type 0, version 00, status, COP in effect 01 (COP-1), VCID, flags, N(R)."""
        word = ((self.status & 7) << 26 | 1 << 24 | (self.vcid & 0x3F) << 18
                | self.no_rf << 15 | self.no_bit_lock << 14 | self.lockout << 13
                | self.wait << 12 | self.retransmit << 11 | (self.farm_b_counter & 3) << 9
                | (self.report_value & 0xFF))  # fmt: skip
        return struct.pack(">I", word)

    @classmethod
    def unpack(cls, data: bytes) -> Clcw:
        if len(data) < 4:
            raise PacketError("CLCW", len(data), "4 bytes")
        (word,) = struct.unpack_from(">I", data)
        if word >> 31 or (word >> 24) & 3 != 1:
            raise PacketError("CLCW", hex(word), "control word type 0 with COP-1 in effect")
        return cls(vcid=(word >> 18) & 0x3F, report_value=word & 0xFF,
                   lockout=bool(word >> 13 & 1), wait=bool(word >> 12 & 1),
                   retransmit=bool(word >> 11 & 1), farm_b_counter=(word >> 9) & 3,
                   no_rf=bool(word >> 15 & 1), no_bit_lock=bool(word >> 14 & 1),
                   status=(word >> 26) & 7)  # fmt: skip


def idle_packet(length: int) -> bytes:
    """An idle space packet (APID 0x7FF) of ``length`` ≥ 7 bytes, zeros in its data."""
    if length < PRIMARY_LEN + 1:
        raise PacketError("idle packet length", length, "at least 7 bytes")
    return struct.pack(">HHH", IDLE_APID, 0xC000, length - PRIMARY_LEN - 1) + bytes(
        length - PRIMARY_LEN)


@dataclass
class _VcOut:
    buffer: bytearray = field(default_factory=bytearray)
    starts: list[int] = field(default_factory=list)  # packet starts within buffer
    count: int = 0


class TmFrameWriter:
    """Packets → fixed-length TM frames of one master channel (``scid``), per VC.

    ``clcw`` (a callable giving the current :class:`Clcw`, or None) fills each frame's OCF.
    """

    def __init__(self, scid: int, *, frame_len: int = 1115, clcw=None):
        if not 0 <= scid < 1024:
            raise PacketError("spacecraft id", scid, "0..1023")
        self.scid = scid
        self.frame_len = frame_len
        self.clcw = clcw
        self.data_len = frame_len - _TM_HEADER - _OCF - _FECF
        self._mc_count = 0
        self._vcs: dict[int, _VcOut] = {}

    def add(self, vcid: int, packets: list[bytes]) -> list[bytes]:
        """Queue packets on a VC; the frames that are now full."""
        vc = self._vcs.setdefault(vcid, _VcOut())
        for p in packets:
            vc.starts.append(len(vc.buffer))
            vc.buffer += p
        out = []
        while len(vc.buffer) >= self.data_len:
            out.append(self._frame(vcid, vc))
        return out

    def flush(self, vcid: int) -> list[bytes]:
        """Pad a VC's partial frame with idle data and emit it (nothing when empty)."""
        vc = self._vcs.get(vcid)
        if vc is None or not vc.buffer:
            return []
        room = self.data_len - len(vc.buffer)  # > 0: add() emitted every full frame
        # an idle packet needs 7 bytes: a smaller gap takes one that spills into a frame more
        return self.add(vcid, [idle_packet(room if room > PRIMARY_LEN else room + self.data_len)])

    def idle(self, vcid: int = 7) -> bytes:
        """An Only-Idle-Data frame (FHP 0x7FE) on ``vcid`` (VC 7 by default, kept for
        them): it still carries the OCF, so FOP-1 hears FARM-1 when there is no telemetry."""
        vc = self._vcs.setdefault(vcid, _VcOut())
        if vc.buffer:
            raise PacketError("idle VC", vcid, "a VC with no packet data pending")
        return self._build(vcid, vc, _IDLE_FILL * self.data_len, FHP_IDLE)

    def _frame(self, vcid: int, vc: _VcOut) -> bytes:
        data = bytes(vc.buffer[: self.data_len])
        first = next((s for s in vc.starts if s < self.data_len), None)
        del vc.buffer[: self.data_len]
        vc.starts = [s - self.data_len for s in vc.starts if s >= self.data_len]
        return self._build(vcid, vc, data, FHP_NONE if first is None else first)

    def _build(self, vcid: int, vc: _VcOut, data: bytes, fhp: int) -> bytes:
        status = TransferFrameDataFieldStatus(False, False, False, 0b11, fhp)
        header = TmFramePrimaryHeader(MasterChannelId(0, self.scid), vcid, True,
                                      self._mc_count, vc.count, status)  # fmt: skip
        self._mc_count = (self._mc_count + 1) & 0xFF
        vc.count = (vc.count + 1) & 0xFF
        ocf = (self.clcw() if self.clcw is not None else Clcw(vcid=vcid)).pack()
        body = TmTransferFrame(self.frame_len - _FECF, header, None, data, ocf, None).pack()
        return body + struct.pack(">H", crc16(body))


@dataclass
class _VcIn:
    buffer: bytearray = field(default_factory=bytearray)
    expected: int | None = None
    synced: bool = False


@dataclass
class FrameStats:
    """What the reader saw: good and bad frames, VC frame-count gaps, dropped bytes."""

    frames: int = 0
    bad_crc: int = 0
    gaps: int = 0
    packets: int = 0
    bytes_dropped: int = 0


class TmFrameReader:
    """TM frames → space packets (idle packets dropped) and the CLCWs of their OCFs."""

    def __init__(self, scid: int, *, frame_len: int = 1115):
        self.scid = scid
        self.frame_len = frame_len
        self.stats = FrameStats()
        self.clcw: Clcw | None = None
        self._vcs: dict[int, _VcIn] = {}

    def feed(self, frame: bytes) -> list[tuple[int, bytes]]:
        """One frame; the (VC id, packet) pairs completed by it."""
        if len(frame) != self.frame_len or crc16(frame) != 0:
            self.stats.bad_crc += 1
            return []
        tf = TmTransferFrame.unpack(frame, self.frame_len, has_error_control_field=True)
        head = tf.primary_header
        if head.master_channel_id.spacecraft_id != self.scid:
            return []
        self.stats.frames += 1
        if tf.op_ctrl_field is not None:
            self.clcw = Clcw.unpack(tf.op_ctrl_field)
        vc = self._vcs.setdefault(head.vc_id, _VcIn())
        if vc.expected is not None and head.vc_frame_count != vc.expected:
            self.stats.gaps += 1
            self.stats.bytes_dropped += len(vc.buffer)
            vc.buffer.clear()
            vc.synced = False  # the packet in progress is lost: wait for the next start
        vc.expected = (head.vc_frame_count + 1) & 0xFF
        data = tf.data_field
        fhp = head.frame_datafield_status.first_header_pointer
        if fhp == FHP_IDLE:
            return []
        if not vc.synced:
            if fhp == FHP_NONE:
                self.stats.bytes_dropped += len(data)
                return []
            self.stats.bytes_dropped += fhp
            data = data[fhp:]
            vc.synced = True
        vc.buffer += data
        return [(head.vc_id, p) for p in self._packets(vc)]

    def _packets(self, vc: _VcIn) -> list[bytes]:
        out = []
        while len(vc.buffer) >= PRIMARY_LEN:
            length = PRIMARY_LEN + 1 + ((vc.buffer[4] << 8) | vc.buffer[5])
            if len(vc.buffer) < length:
                break
            packet = bytes(vc.buffer[:length])
            del vc.buffer[:length]
            if ((packet[0] << 8) | packet[1]) & 0x7FF != IDLE_APID:
                out.append(packet)
                self.stats.packets += 1
        return out


@dataclass(frozen=True, slots=True)
class TcFrame:
    """A TC transfer frame carrying ``data`` (one TC packet, or a control command).

    ``bypass``: type-B (BD or BC) instead of type-A (AD, sequence-controlled);
    ``control``: a control command (BC) instead of data.

    >>> f = TcFrame(scid=0x2A, vcid=1, seq=7, data=b"\\x01\\x02")
    >>> f.pack()[:5].hex(" ")
    '00 2a 04 08 07'
    >>> TcFrame.unpack(f.pack()) == f
    True
    """

    scid: int
    vcid: int
    seq: int
    data: bytes
    bypass: bool = False
    control: bool = False

    def pack(self) -> bytes:
        length = 5 + len(self.data) + _FECF
        if length > 1024:
            raise PacketError("TC frame length", length, "at most 1024 bytes")
        head = struct.pack(">HHB", self.bypass << 13 | self.control << 12 | (self.scid & 0x3FF),
                           (self.vcid & 0x3F) << 10 | (length - 1), self.seq & 0xFF)  # fmt: skip
        body = head + self.data
        return body + struct.pack(">H", crc16(body))

    @classmethod
    def unpack(cls, raw: bytes) -> TcFrame:
        if len(raw) < 5 + _FECF:
            raise PacketError("TC frame length", len(raw), "at least 7 bytes")
        a, b, seq = struct.unpack_from(">HHB", raw)
        length = (b & 0x3FF) + 1
        if a >> 14 or length != len(raw):
            raise PacketError("TC frame header", raw[:5].hex(), f"version 0, length {len(raw)}")
        if crc16(raw) != 0:
            raise PacketError("TC frame CRC", raw[-2:].hex(), "a matching CRC-16")
        return cls(scid=a & 0x3FF, vcid=b >> 10, seq=seq, data=bytes(raw[5:-_FECF]),
                   bypass=bool(a >> 13 & 1), control=bool(a >> 12 & 1))  # fmt: skip
