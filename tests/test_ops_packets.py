"""Packets of ilrs.ops: byte-exact PUS-C TM/TC frames, CDS time, and the stream decoder."""

from __future__ import annotations

import binascii

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilrs.errors import PacketError
from ilrs.ops.tmtc.packets import (
    PacketKind,
    RequestId,
    TcPacket,
    TmPacket,
    VerificationStage,
    verification_report,
)
from ilrs.ops.tmtc.pus11 import (
    ScheduledActivity,
    pack_schedule_insert,
    schedule_insert_tc,
    unpack_schedule_insert,
)
from ilrs.ops.tmtc.stream import PacketStreamDecoder
from ilrs.ops.tmtc.timecodes import CdsTime

T0 = CdsTime.from_utc_iso("2030-01-01T00:00:01.500Z")

# A housekeeping report (service 3, subtype 25) from APID 0x101, sequence count 7.
TM_FRAME = bytes(
    [
        0x09,  # version 000, type 0 (TM), secondary header 1, APID bits 10..8 = 001
        0x01,  # APID bits 7..0: APID 0x101
        0xC0,  # sequence flags 11 (unsegmented), sequence count bits 13..8 = 0
        0x07,  # sequence count 7
        0x00,  # packet data length - 1, high byte
        0x11,  # ... low byte: 17 → 18 bytes after the primary header
        0x20,  # PUS version 2 (PUS-C), spacecraft time reference status 0
        0x03,  # service 3 (housekeeping)
        0x19,  # subservice 25 (housekeeping parameter report)
        0x00,  # message type counter, high byte
        0x03,  # ... low byte: 3
        0x00,  # destination id, high byte
        0x02,  # ... low byte: 2
        0x40,  # CDS P-field: CDS, epoch 1958, 16-bit days, no sub-ms
        0x66,  # days since 1958-01-01, high byte
        0xBA,  # ... low byte: 0x66BA = 26298 (72 years of which 18 leap → 2030-01-01)
        0x00,  # milliseconds of day, byte 3
        0x00,  # ... byte 2
        0x05,  # ... byte 1
        0xDC,  # ... byte 0: 0x5DC = 1500 ms
        0x01,  # source data byte 0
        0x02,  # source data byte 1
        0x5E,  # CRC-16/CCITT-FALSE, high byte
        0xD9,  # ... low byte
    ]
)

# A telecommand (service 8, subtype 1) to APID 0x101, sequence count 22, from source 5.
TC_FRAME = bytes(
    [
        0x19,  # version 000, type 1 (TC), secondary header 1, APID bits 10..8 = 001
        0x01,  # APID 0x101
        0xC0,  # unsegmented, sequence count high bits 0
        0x16,  # sequence count 22
        0x00,  # packet data length - 1, high byte
        0x07,  # ... low byte: 8 bytes follow the primary header
        0x2F,  # PUS version 2, ack flags 1111 (accept, start, progress, completion)
        0x08,  # service 8 (function management)
        0x01,  # subservice 1 (perform function)
        0x00,  # source id, high byte
        0x05,  # ... low byte: 5
        0xAB,  # application data
        0x8A,  # CRC-16, high byte
        0xC7,  # ... low byte
    ]
)

# TC[11,4] to the scheduler at APID 0x100, sequence count 3, from source 1: insert one
# activity, TC_FRAME to be released at 2030-01-01T00:00:01.500 (spacecraft time).
SCHEDULE_FRAME = bytes(
    [
        0x19,  # version 000, type 1 (TC), secondary header 1, APID bits 10..8 = 001
        0x00,  # APID bits 7..0: APID 0x100
        0xC0,  # unsegmented, sequence count high bits 0
        0x03,  # sequence count 3
        0x00,  # packet data length - 1, high byte
        0x1C,  # ... low byte: 28 → 29 bytes follow the primary header
        0x2F,  # PUS version 2, ack flags 1111
        0x0B,  # service 11 (time-based scheduling)
        0x04,  # subservice 4 (insert activities into the time-based schedule)
        0x00,  # source id, high byte
        0x01,  # ... low byte: 1
        0x01,  # N = 1 activity
        0x40,  # release time: CDS P-field (CDS, epoch 1958, 16-bit days, no sub-ms)
        0x66,  # ... days since 1958-01-01, high byte
        0xBA,  # ... low byte: 26298 → 2030-01-01
        0x00,  # ... milliseconds of day, byte 3
        0x00,  # ... byte 2
        0x05,  # ... byte 1
        0xDC,  # ... byte 0: 1500 ms
        0x19,  # embedded TC (TC_FRAME): type TC, secondary header, APID bits 10..8 = 001
        0x01,  # ... APID 0x101
        0xC0,  # ... unsegmented
        0x16,  # ... sequence count 22
        0x00,  # ... packet data length - 1, high byte
        0x07,  # ... low byte: 8 bytes follow its primary header
        0x2F,  # ... PUS version 2, ack flags 1111
        0x08,  # ... service 8
        0x01,  # ... subservice 1
        0x00,  # ... source id, high byte
        0x05,  # ... low byte: 5
        0xAB,  # ... application data
        0x8A,  # ... its CRC-16, high byte
        0xC7,  # ... low byte
        0x80,  # CRC-16 of the whole TC[11,4], high byte
        0x31,  # ... low byte
    ]
)


def tm_sample() -> TmPacket:
    return TmPacket(
        apid=0x101,
        service=3,
        subservice=25,
        seq_count=7,
        time=T0,
        data=b"\x01\x02",
        message_counter=3,
        destination_id=2,
    )


def test_tm_packs_byte_exact_and_back():
    assert tm_sample().pack() == TM_FRAME
    assert TmPacket.unpack(TM_FRAME) == tm_sample()


def test_tc_packs_byte_exact_and_back():
    tc = TcPacket(apid=0x101, service=8, subservice=1, seq_count=22, source_id=5, data=b"\xab")
    assert tc.pack() == TC_FRAME
    assert TcPacket.unpack(TC_FRAME) == tc


def test_schedule_insert_packs_byte_exact_and_back():
    activity = ScheduledActivity(T0, TcPacket.unpack(TC_FRAME))
    tc = schedule_insert_tc([activity], apid=0x100, seq_count=3, source_id=1)
    assert tc.pack() == SCHEDULE_FRAME
    assert TcPacket.unpack(SCHEDULE_FRAME) == tc
    assert unpack_schedule_insert(tc.data) == (activity,)
    assert tc.data[-len(TC_FRAME):] == TC_FRAME  # the embedded packet travels unchanged


def test_schedule_insert_keeps_several_activities_in_order():
    acts = [ScheduledActivity(CdsTime(26298 + i, i * 1000),
                              TcPacket(apid=0x102, service=8, subservice=128 + i,
                                       seq_count=i, data=bytes(range(i))))
            for i in range(5)]  # fmt: skip
    assert unpack_schedule_insert(pack_schedule_insert(acts)) == tuple(acts)


_ONE = SCHEDULE_FRAME[11:-2]  # the application data of SCHEDULE_FRAME


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"", "empty"),
        (b"\x00", "N"),  # no activity
        (_ONE[:5], "activity 0"),  # truncated in the release time
        (_ONE[:-1], "activity 0 packet"),  # truncated in the embedded packet
        (_ONE + b"\x00", "after activity 0"),  # trailing bytes
        (b"\x02" + _ONE[1:], "activity 1"),  # N says 2, one is there
        (_ONE[:1] + b"\x41" + _ONE[2:], "P-field"),  # not a CDS short code
        (_ONE[:-1] + bytes([_ONE[-1] ^ 1]), "CRC"),  # the embedded packet is corrupt
        (_ONE[:8] + TM_FRAME, "packet type"),  # the embedded packet is a TM
    ],
)
def test_malformed_schedule_insert_raises_packet_error(data, what):
    with pytest.raises(PacketError, match=what):
        unpack_schedule_insert(data)


def test_schedule_insert_needs_one_to_255_activities():
    with pytest.raises(PacketError, match=r"1\.\.255"):
        pack_schedule_insert([])
    one = ScheduledActivity(T0, TcPacket.unpack(TC_FRAME))
    with pytest.raises(PacketError, match=r"1\.\.255"):
        pack_schedule_insert([one] * 256)


@pytest.mark.parametrize("frame", [TM_FRAME, TC_FRAME, SCHEDULE_FRAME])
def test_crc_matches_an_independent_implementation(frame):
    # binascii.crc_hqx is CRC-CCITT with the initial value given: 0xFFFF → CCITT-FALSE
    assert binascii.crc_hqx(frame[:-2], 0xFFFF) == int.from_bytes(frame[-2:], "big")


def test_cds_time_round_trips_iso_and_unix():
    assert T0.utc_iso() == "2030-01-01T00:00:01.500Z"
    assert CdsTime.from_unix_s(T0.unix_s) == T0
    assert T0.unix_ns == 1_893_456_001_500_000_000
    assert CdsTime.unpack(T0.pack()) == T0


def test_verification_failure_report_carries_request_id_and_code():
    tc = TcPacket.unpack(TC_FRAME)
    tm = verification_report(tc, VerificationStage.COMPLETION_FAILED, time=T0, failure_code=9)
    assert (tm.service, tm.subservice, tm.apid) == (1, 8, 0x101)
    assert tm.data == bytes([0x19, 0x01, 0xC0, 0x16, 0x00, 0x09])  # request id, code 9
    assert RequestId.unpack(tm.data) == tc.request_id
    ok = verification_report(tc, VerificationStage.ACCEPTED, time=T0)
    assert ok.data == tc.request_id.pack()


@pytest.mark.parametrize(
    ("build", "what"),
    [
        (lambda: TmPacket(apid=2048, service=3, subservice=25, time=T0), "APID"),
        (lambda: TmPacket(apid=1, service=256, subservice=25, time=T0), "service"),
        (lambda: TcPacket(apid=1, service=8, subservice=1, seq_count=1 << 14), "sequence"),
        (lambda: CdsTime(days=70000, ms_of_day=0), "CDS days"),
    ],
)
def test_out_of_range_fields_raise_packet_error(build, what):
    with pytest.raises(PacketError, match=what):
        build()


@pytest.mark.parametrize(
    "raw", [TM_FRAME[:-1], TM_FRAME[:-2] + b"\x00\x00", TC_FRAME, b"", TM_FRAME[:5]]
)
def test_malformed_tm_raises_packet_error(raw):
    with pytest.raises(PacketError):
        TmPacket.unpack(raw)


def test_decoder_splits_any_chunking():
    frames = [tm_sample().pack(), TM_FRAME, tm_sample().pack()]
    stream = b"".join(frames)
    for size in (1, 5, 24, 100):
        decoder = PacketStreamDecoder(PacketKind.TM, apids={0x101})
        out = []
        for i in range(0, len(stream), size):
            out += decoder.feed(stream[i : i + size])
        out += decoder.finish()
        assert out == frames
        assert decoder.stats.bytes_dropped == 0


def test_decoder_counts_unknown_apid_and_truncation():
    other = TmPacket(apid=0x200, service=3, subservice=25, time=T0).pack()
    decoder = PacketStreamDecoder(PacketKind.TM, apids={0x101})
    out = decoder.feed(other + TM_FRAME + TM_FRAME[:10])
    out += decoder.finish()
    assert out == [TM_FRAME]
    assert decoder.stats.unknown_apid == 1
    assert decoder.stats.truncated >= 1
    assert decoder.stats.bytes_dropped == len(other) + 10


def test_decoder_recovers_behind_a_corrupt_length():
    bad = bytearray(TM_FRAME)
    bad[4:6] = b"\x0f\x00"  # claims 3847 bytes, the stream then ends
    decoder = PacketStreamDecoder(PacketKind.TM)
    assert decoder.feed(bytes(bad) + TM_FRAME) == []  # waiting for the claimed length
    assert decoder.finish() == [TM_FRAME]
    assert decoder.stats.bytes_dropped == len(TM_FRAME)


# Garbage that cannot start a TM header (first byte 0x08..0x0F) and so cannot hide a packet.
garbage = st.binary(max_size=40).map(lambda b: bytes(x for x in b if not 0x08 <= x <= 0x0F))
packets = st.builds(
    TmPacket,
    apid=st.sampled_from([0x101, 0x102]),
    service=st.integers(0, 255),
    subservice=st.integers(0, 255),
    time=st.builds(CdsTime, days=st.integers(0, 0xFFFF), ms_of_day=st.integers(0, 86_399_999)),
    data=st.binary(max_size=64),
    seq_count=st.integers(0, 0x3FFF),
)


@settings(max_examples=150, deadline=None)
@given(
    parts=st.lists(st.tuples(garbage, packets), max_size=8),
    tail=st.binary(max_size=30),
    chunk=st.integers(1, 64),
)
def test_decoder_returns_every_packet_between_garbage(parts, tail, chunk):
    stream = b"".join(g + p.pack() for g, p in parts) + tail
    decoder = PacketStreamDecoder(PacketKind.TM, apids={0x101, 0x102})
    out = []
    for i in range(0, len(stream), chunk):
        out += decoder.feed(stream[i : i + chunk])
    out += decoder.finish()
    expected = [p.pack() for _, p in parts]
    assert out[: len(expected)] == expected
    assert [TmPacket.unpack(raw) for raw in out[: len(expected)]] == [p for _, p in parts]
    assert decoder.stats.bytes_dropped + sum(map(len, out)) == len(stream)
    assert decoder.pending_bytes == 0


@settings(max_examples=200, deadline=None)
@given(stream=st.binary(max_size=600), chunk=st.integers(1, 97))
def test_decoder_never_raises_on_arbitrary_bytes(stream, chunk):
    decoder = PacketStreamDecoder(PacketKind.TM)
    out = []
    for i in range(0, len(stream), chunk):
        out += decoder.feed(stream[i : i + chunk])
    out += decoder.finish()
    assert decoder.stats.bytes_dropped + sum(map(len, out)) == len(stream)
    assert decoder.stats.packets == len(out)
    for raw in out:
        assert binascii.crc_hqx(raw, 0xFFFF) == 0
