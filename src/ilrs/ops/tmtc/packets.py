"""CCSDS Space Packets with PUS-C secondary headers: typed TM/TC value objects.

Telemetry (TM) and telecommands (TC) are frozen value objects with symmetric
``pack()`` / ``unpack()``; the bytes are laid out by the ``spacepackets`` library
(CCSDS 133.0-B-2 primary header, ECSS-E-ST-70-41C PUS-C secondary header, CRC-16/CCITT
trailer). Their time stamps are :class:`~ilrs.ops.tmtc.timecodes.CdsTime` codes (or
:class:`~ilrs.ops.tmtc.timecodes.CucTime`, read by the P-field).

>>> from ilrs.ops.tmtc.timecodes import CdsTime
>>> t = CdsTime.from_utc_iso("2030-01-01T00:00:01.500Z")
>>> tm = TmPacket(apid=0x101, service=3, subservice=25, seq_count=7, time=t, data=b"\\x01")
>>> TmPacket.unpack(tm.pack()) == tm
True
>>> tm.pack()[:6].hex(" ")
'09 01 c0 07 00 10'
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field
from typing import Final

from fastcrc import crc16 as _fastcrc16
from spacepackets.ecss.tc import PusTc
from spacepackets.ecss.tm import PusTm

from ilrs.errors import PacketError
from ilrs.ops.tmtc.timecodes import CDS_LEN, CdsTime, CucTime, unpack_time

__all__ = [
    "PRIMARY_LEN",
    "TC_MIN_LEN",
    "TM_MIN_LEN",
    "PacketKind",
    "RequestId",
    "Service",
    "TcPacket",
    "TmPacket",
    "VerificationStage",
    "crc16",
    "peek_apid",
    "peek_kind",
    "verification_report",
]

#: Primary header length, bytes.
PRIMARY_LEN: Final = 6
#: PUS-C TM secondary header without time: version/time-ref, service, subservice,
#: 16-bit message counter, 16-bit destination id.
TM_SEC_LEN: Final = 7 + CDS_LEN
#: PUS-C TC secondary header: version/ack flags, service, subservice, 16-bit source id.
TC_SEC_LEN: Final = 5
CRC_LEN: Final = 2
TM_MIN_LEN: Final = PRIMARY_LEN + TM_SEC_LEN + CRC_LEN
TC_MIN_LEN: Final = PRIMARY_LEN + TC_SEC_LEN + CRC_LEN
_APID_MASK: Final = 0x07FF
_SEQ_MASK: Final = 0x3FFF


class PacketKind(enum.IntEnum):
    """The packet type bit of the primary header (CCSDS 133.0-B-2 §4.1.3.3.2)."""

    TM = 0
    TC = 1


class Service(enum.IntEnum):
    """The PUS services the command center speaks (ECSS-E-ST-70-41C)."""

    VERIFICATION = 1
    HOUSEKEEPING = 3
    EVENT = 5
    SCHEDULE = 11
    TEST = 17


class VerificationStage(enum.IntEnum):
    """PUS service 1 report subtypes: success / failure per stage (ECSS-E-ST-70-41C §6.1)."""

    ACCEPTED = 1
    ACCEPTANCE_FAILED = 2
    STARTED = 3
    START_FAILED = 4
    PROGRESS = 5
    PROGRESS_FAILED = 6
    COMPLETED = 7
    COMPLETION_FAILED = 8

    @property
    def failed(self) -> bool:
        """True for the even subtypes, which report a failure."""
        return self.value % 2 == 0


@dataclass(frozen=True, slots=True)
class RequestId:
    """The identity of a telecommand in PUS-1 reports: its packet id and sequence control.

    >>> RequestId(apid=0x101, seq_count=22).pack().hex(" ")
    '19 01 c0 16'
    """

    apid: int
    seq_count: int

    def pack(self) -> bytes:
        """Version 0, type TC, secondary header, APID; unsegmented, sequence count."""
        return struct.pack(">HH", 0x1800 | self.apid, 0xC000 | self.seq_count)

    @classmethod
    def unpack(cls, data: bytes) -> RequestId:
        if len(data) < 4:
            raise PacketError("PUS-1 request id", len(data), "4 bytes")
        packet_id, seq_ctrl = struct.unpack_from(">HH", data)
        return cls(apid=packet_id & _APID_MASK, seq_count=seq_ctrl & _SEQ_MASK)


def _check_header(apid: int, seq_count: int, service: int, subservice: int) -> None:
    if not 0 <= apid <= _APID_MASK:
        raise PacketError("APID", apid, "0..2047")
    if not 0 <= seq_count <= _SEQ_MASK:
        raise PacketError("sequence count", seq_count, "0..16383")
    for what, value in (("service", service), ("subservice", subservice)):
        if not 0 <= value <= 0xFF:
            raise PacketError(what, value, "0..255")


@dataclass(frozen=True, slots=True)
class TmPacket:
    """A PUS-C telemetry packet.

    ``data`` is the source data field; ``message_counter`` counts packets of this
    service/subservice from the application; ``destination_id`` names the ground
    application the packet is for (0 = any).
    """

    apid: int
    service: int
    subservice: int
    time: CdsTime | CucTime
    data: bytes = b""
    seq_count: int = 0
    message_counter: int = 0
    destination_id: int = 0

    def __post_init__(self) -> None:
        _check_header(self.apid, self.seq_count, self.service, self.subservice)
        object.__setattr__(self, "data", bytes(self.data))

    def pack(self) -> bytes:
        return bytes(
            PusTm(
                service=self.service,
                subservice=self.subservice,
                timestamp=self.time.pack(),
                source_data=self.data,
                apid=self.apid,
                seq_count=self.seq_count,
                message_counter=self.message_counter,
                destination_id=self.destination_id,
            ).pack()
        )

    @classmethod
    def unpack(cls, raw: bytes) -> TmPacket:
        """Read one packet from the start of ``raw``; raises ``PacketError`` when malformed."""
        if len(raw) < TM_MIN_LEN:
            raise PacketError("TM packet length", len(raw), f"at least {TM_MIN_LEN} bytes")
        if peek_kind(raw) is not PacketKind.TM:
            raise PacketError("packet type", "TC", "TM")
        try:
            tm = PusTm.unpack(raw, timestamp_len=CDS_LEN)
        except Exception as exc:  # spacepackets raises ValueError subclasses and its own
            raise PacketError("TM packet", raw[:16].hex(), f"a valid PUS-C TM ({exc})") from exc
        return cls(
            apid=tm.apid,
            service=tm.service,
            subservice=tm.subservice,
            time=unpack_time(tm.timestamp),
            data=bytes(tm.source_data),
            seq_count=tm.seq_count,
            message_counter=tm.pus_tm_sec_header.message_counter,
            destination_id=tm.pus_tm_sec_header.dest_id,
        )


@dataclass(frozen=True, slots=True)
class TcPacket:
    """A PUS-C telecommand. ``ack_flags`` asks for acceptance / start / progress /
    completion reports (bits 0..3, all four by default); ``source_id`` names the sender."""

    apid: int
    service: int
    subservice: int
    data: bytes = b""
    seq_count: int = 0
    source_id: int = 0
    ack_flags: int = 0b1111
    request_id: RequestId = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_header(self.apid, self.seq_count, self.service, self.subservice)
        if not 0 <= self.ack_flags <= 0xF:
            raise PacketError("ack flags", self.ack_flags, "0..15")
        object.__setattr__(self, "data", bytes(self.data))
        object.__setattr__(self, "request_id", RequestId(self.apid, self.seq_count))

    def pack(self) -> bytes:
        return bytes(
            PusTc(
                service=self.service,
                subservice=self.subservice,
                apid=self.apid,
                app_data=self.data,
                seq_count=self.seq_count,
                source_id=self.source_id,
                ack_flags=self.ack_flags,
            ).pack()
        )

    @classmethod
    def unpack(cls, raw: bytes) -> TcPacket:
        """Read one telecommand from the start of ``raw``; ``PacketError`` when malformed."""
        if len(raw) < TC_MIN_LEN:
            raise PacketError("TC packet length", len(raw), f"at least {TC_MIN_LEN} bytes")
        if peek_kind(raw) is not PacketKind.TC:
            raise PacketError("packet type", "TM", "TC")
        try:
            tc = PusTc.unpack(raw)
        except Exception as exc:  # spacepackets raises ValueError subclasses and its own
            raise PacketError("TC packet", raw[:16].hex(), f"a valid PUS-C TC ({exc})") from exc
        return cls(
            apid=tc.apid,
            service=tc.service,
            subservice=tc.subservice,
            data=bytes(tc.app_data),
            seq_count=tc.seq_count,
            source_id=tc.source_id,
            ack_flags=tc.pus_tc_sec_header.ack_flags,
        )


def peek_apid(raw: bytes) -> int:
    """The APID of the packet starting ``raw`` (at least 2 bytes)."""
    return ((raw[0] << 8) | raw[1]) & _APID_MASK


def peek_kind(raw: bytes) -> PacketKind:
    """TM or TC, from the type bit of the first byte."""
    return PacketKind((raw[0] >> 4) & 1)


def verification_report(
    tc: TcPacket | RequestId,
    stage: VerificationStage,
    *,
    time: CdsTime | CucTime,
    seq_count: int = 0,
    failure_code: int = 0,
    failure_data: bytes = b"",
) -> TmPacket:
    """The PUS service 1 report of ``stage`` for a telecommand, from the TC's own APID.

    Source data: the 4-byte request id, then for failures a 16-bit failure code and any
    failure data (ECSS-E-ST-70-41C §8.1.2).
    """
    request = tc.request_id if isinstance(tc, TcPacket) else tc
    data = request.pack()
    if stage.failed:
        data += struct.pack(">H", failure_code) + failure_data
    return TmPacket(
        apid=request.apid,
        service=Service.VERIFICATION,
        subservice=stage,
        time=time,
        data=data,
        seq_count=seq_count,
    )


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE over ``data`` (0 over a packet with its trailer means intact)."""
    return _fastcrc16.ibm_3740(bytes(data))
