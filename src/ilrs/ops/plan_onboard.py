"""PUS 11 deletion: TC[11,5] "delete time-based scheduled activities identified by request
identifier" (ECSS-E-ST-70-41C §6.11.4.6), and sending it for commands a new plan version
supersedes.

Application data: N (uint8, 1–255), then N request identifiers, each the embedded
telecommand's packet id and sequence control as PUS-1 reports carry them
(:class:`~ilrs.ops.packets.RequestId`, 4 bytes; this mission's commands all come from one
source, so the source id is not repeated).

>>> from ilrs.ops.packets import RequestId
>>> data = pack_schedule_delete([RequestId(apid=0x101, seq_count=22)])
>>> data.hex(" ")
'01 19 01 c0 16'
>>> unpack_schedule_delete(data)
(RequestId(apid=257, seq_count=22),)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from ilrs.errors import PacketError
from ilrs.ops.packets import RequestId, Service, TcPacket

__all__ = ["MAX_PER_DELETE", "SCHEDULE_DELETE", "pack_schedule_delete", "schedule_delete_tc",
           "unpack_schedule_delete", "withdraw_scheduled"]

#: PUS service 11 subtype 5: delete activities by request identifier.
SCHEDULE_DELETE: Final = 5
#: Request identifiers one TC[11,5] carries at most (N is a uint8).
MAX_PER_DELETE: Final = 255
_ID_LEN: Final = 4


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


def withdraw_scheduled(ops, entries, *, detail: str, margin_s: float = 1.0) -> list:
    """Delete from the on-board schedule the commands of ``entries`` that wait there with
    a release time still ``margin_s`` ahead of the mission clock
    (:meth:`ilrs.ops.commanding.Commander.withdraw_scheduled`: one TC[11,5] per 255, to
    the scheduler's APID; each such command's history gets a ``cancelled`` stage
    (``detail``) and ends rejected). Returns the withdrawn entries."""
    return ops.commander.withdraw_scheduled(
        entries, not_before_s=ops.mission_clock() / 1e9 + margin_s, detail=detail)
