"""TC[11,5], delete time-based scheduled activities by request id (ilrs.ops.tmtc.pus11):
the frame byte by byte, malformed data refused, the commander withdrawing what waits."""

from __future__ import annotations

import pytest

from ilrs.errors import PacketError
from ilrs.ops.tmtc.packets import RequestId, Service, TcPacket
from ilrs.ops.tmtc.pus11 import (
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


def test_the_commander_withdraws_what_waits_on_board(tmp_path):
    # Commander.withdraw_scheduled: one TC[11,5] to the scheduler in the commander's own
    # sequence count of that APID; a command released before the cut-off stays.
    from ilrs.ops.archive import open_archive
    from ilrs.ops.commanding.commander import Commander
    from ilrs.ops.commanding.entry import CommandState
    from ilrs.ops.security.policy import AccessPolicy, AuthConfig
    from ilrs.ops.tmtc.mdb_build import mdb_from_elements
    from ilrs.ops.tmtc.pus11 import unpack_schedule_delete

    db = mdb_from_elements([
        {"id": "station", "owner": "cnsa", "parameters": [{"name": "mode", "type": "uint8"}]},
        {"id": "seis", "owner": "cnsa", "kind": "payload",
         "parameters": [{"name": "powered", "type": "bool"}],
         "commands": [{"name": "power_on"}]}])  # fmt: skip
    config = AuthConfig.model_validate({"partners": [{"id": "cnsa"}], "users": [
        {"name": "fd", "partner": "cnsa", "roles": ["flight_director"]}]})  # fmt: skip
    sent: list[TcPacket] = []
    with open_archive(tmp_path / "a.db") as archive:
        commander = Commander(mdb=db, policy=AccessPolicy(config, db), archive=archive,
                              transmit=sent.append, latest=lambda _: None,
                              clock=lambda: 1_893_456_000 * 10**9)  # fmt: skip
        early, late = (commander.issue(user="fd", name="seis.power_on", release_at_utc=utc)
                       for utc in ("2030-01-01T01:00:00Z", "2030-01-01T03:00:00Z"))
        assert early.state is late.state is CommandState.RELEASED and len(sent) == 2
        cut_s = 1_893_456_000 + 2 * 3600.0                 # 2030-01-01T02:00:00Z
        gone = commander.withdraw_scheduled([early, late], not_before_s=cut_s, detail="v2")
        assert gone == [late] and late.state is CommandState.REJECTED
        assert early.state is CommandState.RELEASED
        assert [(s.stage, s.status, s.detail) for s in late.stages[-2:]] == [
            ("cancelled", "ok", "v2"), ("final", "rejected", "")]
        tc = sent[-1]
        assert (tc.apid, tc.service, tc.subservice) == (db.apid_of("station"),
                                                        Service.SCHEDULE, SCHEDULE_DELETE)
        assert tc.seq_count == sent[1].seq_count + 1    # after the two TC[11,4]
        assert unpack_schedule_delete(tc.data) == (RequestId(db.apid_of("seis"),
                                                             late.seq_count),)
