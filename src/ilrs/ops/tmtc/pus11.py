"""PUS service 11, the time-based schedule (ECSS-E-ST-70-41C §6.11): the application data of
TC[11,4] "insert activities" and TC[11,5] "delete activities identified by request
identifier", packed and read.

TC[11,4]: N (uint8, 1–255), then per activity its release time (a CDS short code) and the
whole embedded telecommand. TC[11,5]: N (uint8, 1–255), then N request identifiers, each
the embedded telecommand's packet id and sequence control as PUS-1 reports carry them
(:class:`~ilrs.ops.tmtc.packets.RequestId`, 4 bytes; this mission's commands all come from
one source, so the source id is not repeated).

>>> from ilrs.ops.tmtc.packets import RequestId
>>> data = pack_schedule_delete([RequestId(apid=0x101, seq_count=22)])
>>> data.hex(" ")
'01 19 01 c0 16'
>>> unpack_schedule_delete(data)
(RequestId(apid=257, seq_count=22),)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ilrs.errors import PacketError
from ilrs.ops.tmtc.packets import PRIMARY_LEN, RequestId, Service, TcPacket, crc16
from ilrs.ops.tmtc.timecodes import CDS_LEN, CdsTime

__all__ = [
    "MAX_PER_DELETE",
    "MAX_SCHEDULE_INSERT",
    "SCHEDULE_DELETE",
    "SCHEDULE_INSERT",
    "ScheduledActivity",
    "pack_schedule_delete",
    "pack_schedule_insert",
    "schedule_delete_tc",
    "schedule_insert_tc",
    "unpack_schedule_delete",
    "unpack_schedule_insert",
]

#: PUS service 11 subtype 4: insert activities into the time-based schedule.
SCHEDULE_INSERT: Final = 4
#: Activities one TC[11,4] can carry (N is an unsigned 8-bit integer).
MAX_SCHEDULE_INSERT: Final = 255
#: PUS service 11 subtype 5: delete activities by request identifier.
SCHEDULE_DELETE: Final = 5
#: Request identifiers one TC[11,5] carries at most (N is a uint8).
MAX_PER_DELETE: Final = 255
_ID_LEN: Final = 4


@dataclass(frozen=True, slots=True)
class ScheduledActivity:
    """One activity of the time-based schedule (PUS service 11): a telecommand to release
    on board at ``release_time``, in the spacecraft's own time scale (for the station twin:
    its simulated UTC, see :mod:`ilrs.ops.spacecraft.twin`)."""

    release_time: CdsTime
    tc: TcPacket


def pack_schedule_insert(activities: Sequence[ScheduledActivity]) -> bytes:
    """The application data of TC[11,4] (ECSS-E-ST-70-41C §6.11.4.4): N (uint8), then per
    activity its release time (the 7-byte CDS short code of :meth:`CdsTime.pack`) and the
    whole embedded telecommand packet (its own primary header gives its length).

    >>> tc = TcPacket(apid=0x101, service=8, subservice=128, seq_count=1)
    >>> data = pack_schedule_insert([ScheduledActivity(CdsTime(26298, 0), tc)])
    >>> data[:8].hex(" "), len(data) == 1 + CDS_LEN + len(tc.pack())
    ('01 40 66 ba 00 00 00 00', True)
    >>> unpack_schedule_insert(data)[0].tc == tc
    True
    """
    if not 1 <= len(activities) <= MAX_SCHEDULE_INSERT:
        raise PacketError("schedule activities", len(activities), f"1..{MAX_SCHEDULE_INSERT}")
    out = bytearray([len(activities)])
    for activity in activities:
        out += activity.release_time.pack()
        out += activity.tc.pack()
    return bytes(out)


def unpack_schedule_insert(data: bytes) -> tuple[ScheduledActivity, ...]:
    """Read the application data of TC[11,4]; ``PacketError`` when N is 0, an activity is
    truncated or malformed (bad CDS P-field, bad embedded packet or CRC), or bytes are left
    over after the N-th activity."""
    data = bytes(data)
    if not data:
        raise PacketError("TC[11,4] data", "empty", "N (uint8) and N activities")
    count, pos, out = data[0], 1, []
    if count == 0:
        raise PacketError("TC[11,4] N", 0, f"1..{MAX_SCHEDULE_INSERT} activities")
    for i in range(count):
        if len(data) - pos < CDS_LEN + PRIMARY_LEN:
            raise PacketError(f"TC[11,4] activity {i}", len(data) - pos,
                              f"at least {CDS_LEN + PRIMARY_LEN} more bytes")  # fmt: skip
        release = CdsTime.unpack(data[pos : pos + CDS_LEN])
        pos += CDS_LEN
        size = PRIMARY_LEN + int.from_bytes(data[pos + 4 : pos + 6], "big") + 1
        if len(data) - pos < size:
            raise PacketError(f"TC[11,4] activity {i} packet", len(data) - pos,
                              f"{size} bytes (its primary header's length)")  # fmt: skip
        raw = data[pos : pos + size]
        if crc16(raw) != 0:
            raise PacketError(f"TC[11,4] activity {i} CRC", raw[-2:].hex(), "a valid CRC-16")
        out.append(ScheduledActivity(release, TcPacket.unpack(raw)))
        pos += size
    if pos != len(data):
        raise PacketError("TC[11,4] data", f"{len(data) - pos} bytes after activity {count - 1}",
                          "nothing after the N-th activity")  # fmt: skip
    return tuple(out)


def schedule_insert_tc(activities: Sequence[ScheduledActivity], *, apid: int,
                       seq_count: int = 0, source_id: int = 0) -> TcPacket:  # fmt: skip
    """TC[11,4] to the scheduler at ``apid``: insert ``activities`` into its time-based
    schedule."""
    return TcPacket(apid=apid, service=Service.SCHEDULE, subservice=SCHEDULE_INSERT,
                    data=pack_schedule_insert(activities), seq_count=seq_count,
                    source_id=source_id)  # fmt: skip


def pack_schedule_delete(requests: Sequence[RequestId]) -> bytes:
    """The application data of TC[11,5]."""
    if not 1 <= len(requests) <= MAX_PER_DELETE:
        raise PacketError("TC[11,5] request ids", len(requests), f"1..{MAX_PER_DELETE}")
    return bytes([len(requests)]) + b"".join(r.pack() for r in requests)


def unpack_schedule_delete(data: bytes) -> tuple[RequestId, ...]:
    """Read the application data of TC[11,5]; ``PacketError`` when N is 0 or the length
    is not N request ids."""
    if not data or data[0] == 0:
        raise PacketError("TC[11,5] N", data[:1].hex() or "empty",
                          f"1..{MAX_PER_DELETE} request ids")
    if len(data) != 1 + data[0] * _ID_LEN:
        raise PacketError("TC[11,5] data", f"{len(data)} bytes",
                          f"1 + {data[0]} × {_ID_LEN} bytes")  # fmt: skip
    return tuple(RequestId.unpack(data[1 + i * _ID_LEN:1 + (i + 1) * _ID_LEN])
                 for i in range(data[0]))  # fmt: skip


def schedule_delete_tc(requests: Sequence[RequestId], *, apid: int, seq_count: int = 0,
                       source_id: int = 0) -> TcPacket:  # fmt: skip
    """TC[11,5] to the scheduler at ``apid``: delete the activities of ``requests``."""
    return TcPacket(apid=apid, service=Service.SCHEDULE, subservice=SCHEDULE_DELETE,
                    data=pack_schedule_delete(requests), seq_count=seq_count,
                    source_id=source_id)  # fmt: skip
