"""Packets of ilrs.ops: byte-exact PUS-C TM/TC frames, CDS time, and the stream decoder."""

from __future__ import annotations

import binascii

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilrs.errors import PacketError
from ilrs.ops.packets import (
    CdsTime,
    PacketKind,
    RequestId,
    TcPacket,
    TmPacket,
    VerificationStage,
    verification_report,
)
from ilrs.ops.stream import PacketStreamDecoder

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


@pytest.mark.parametrize("frame", [TM_FRAME, TC_FRAME])
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
