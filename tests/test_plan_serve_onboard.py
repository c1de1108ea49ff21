"""TC[11,5], delete time-based scheduled activities by request id (ilrs.ops.plan_onboard):
the frame byte by byte, malformed data refused."""

from __future__ import annotations

import pytest

from ilrs.errors import PacketError
from ilrs.ops.packets import RequestId, Service, TcPacket
from ilrs.ops.plan_onboard import (
    SCHEDULE_DELETE,
    pack_schedule_delete,
    schedule_delete_tc,
    unpack_schedule_delete,
)


def test_the_application_data_byte_by_byte():
    ids = [RequestId(apid=0x101, seq_count=22), RequestId(apid=0x7FF, seq_count=0x3FFF)]
    data = pack_schedule_delete(ids)
    assert data == bytes([
        0x02,                    # N: two request ids
        0x19, 0x01,              # version 0, TC, secondary header, APID 0x101
        0xC0, 0x16,              # unsegmented, sequence count 22
        0x1F, 0xFF,              # version 0, TC, secondary header, APID 0x7FF
        0xFF, 0xFF,              # unsegmented, sequence count 0x3FFF
    ])  # fmt: skip
    assert unpack_schedule_delete(data) == tuple(ids)


def test_the_telecommand_goes_to_the_scheduler():
    tc = schedule_delete_tc([RequestId(0x101, 22)], apid=0x100, seq_count=5, source_id=1)
    assert (tc.apid, tc.service, tc.subservice) == (0x100, Service.SCHEDULE, SCHEDULE_DELETE)
    assert TcPacket.unpack(tc.pack()) == tc
    assert unpack_schedule_delete(tc.data) == (RequestId(0x101, 22),)


@pytest.mark.parametrize("data", [
    b"",                                  # no N
    b"\x00",                              # N = 0
    b"\x01\x19\x01\xc0",                  # one id cut short
    b"\x01\x19\x01\xc0\x16\x00",          # a byte after the last id
    b"\x02\x19\x01\xc0\x16",              # N says two, one given
])  # fmt: skip
def test_malformed_data_is_refused(data):
    with pytest.raises(PacketError, match=r"TC\[11,5\]"):
        unpack_schedule_delete(data)


@pytest.mark.parametrize("count", [0, 256])
def test_between_one_and_255_ids(count):
    with pytest.raises(PacketError, match=r"TC\[11,5\] request ids"):
        pack_schedule_delete([RequestId(0x101, i) for i in range(count)])
