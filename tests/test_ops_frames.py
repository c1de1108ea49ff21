"""TM/TC transfer frames (CCSDS 132.0-B-3, 232.0-B-4) and COP-1 (232.1-B-2) over the
simulated space link with its losses and outages, on simulated time."""

from __future__ import annotations

import heapq
import itertools

import numpy as np
import pytest

from ilrs.errors import PacketError
from ilrs.ops.tmtc.channel import SimulatedLink
from ilrs.ops.tmtc.cop1 import Farm1, Fop1, FopState
from ilrs.ops.tmtc.frames import Clcw, TcFrame, TmFrameReader, TmFrameWriter
from ilrs.ops.tmtc.packets import TcPacket, TmPacket, crc16
from ilrs.ops.tmtc.timecodes import CucTime

SCID = 0x1A5


def _packets(n: int, rng: np.random.Generator) -> list[bytes]:
    return [TmPacket(apid=0x100 + k % 3, service=3, subservice=25, seq_count=k,
                     time=CucTime.from_unix_s(2e9 + k),
                     data=rng.integers(0, 256, int(rng.integers(1, 900)), dtype=np.uint8
                                       ).tobytes()).pack()
            for k in range(n)]  # fmt: skip


def test_tm_frame_header_byte_by_byte():
    writer = TmFrameWriter(SCID, frame_len=64, clcw=lambda: Clcw(vcid=0, report_value=9))
    packet = TmPacket(apid=0x101, service=3, subservice=25, time=CucTime(0, 0),
                      data=b"\x00" * 31).pack()  # 6 + 14 + 31 + 2 = 53 bytes
    assert len(packet) == 53
    (frame,) = writer.add(2, [packet])  # the data field holds 64 - 6 - 4 - 2 = 52 bytes
    assert frame[:6] == bytes([
        0x1A,        # version 00 | SCID 0x1A5 >> 4 = 0b011010
        0x55,        # SCID low nibble 0101 | VCID 010 | OCF flag 1
        0x00,        # master channel frame count 0
        0x00,        # VC 2 frame count 0
        0x18, 0x00,  # no secondary header, sync 0, order 0, segment 11 | FHP 0
    ])  # fmt: skip
    assert frame[6:58] == packet[:52]
    assert frame[58:62] == Clcw(vcid=0, report_value=9).pack()  # the OCF
    assert crc16(frame) == 0  # the frame error control field
    (second,) = writer.flush(2)
    # the packet's last byte, then an idle packet filling the frame starts at byte 1: FHP 1
    assert second[3] == 1 and ((second[4] & 7) << 8 | second[5]) == 1
    assert second[6] == packet[-1] and second[7:9] == b"\x07\xff"
    reader = TmFrameReader(SCID, frame_len=64)
    assert reader.feed(frame) == [] and reader.feed(second) == [(2, packet)]


def test_packets_through_frames_on_three_vcs_come_out_whole_and_in_order(rng):
    packets = _packets(120, rng)
    writer, reader = TmFrameWriter(SCID), TmFrameReader(SCID)
    frames = []
    for k, p in enumerate(packets):
        frames += writer.add(k % 3, [p])
    for vc in range(3):
        frames += writer.flush(vc)
    frames.append(writer.idle())
    got = [pair for f in frames for pair in reader.feed(f)]
    assert [p for _, p in got if _ == 0] == packets[0::3]
    assert sorted(p for _, p in got) == sorted(packets)
    assert reader.stats.gaps == 0 and reader.stats.bytes_dropped == 0


def test_a_lost_frame_costs_only_the_packets_it_carried(rng):
    packets = _packets(200, rng)
    writer, reader = TmFrameWriter(SCID), TmFrameReader(SCID)
    frames = writer.add(0, packets) + writer.flush(0)
    lost = 7
    got = [p for k, f in enumerate(frames) if k != lost for _, p in reader.feed(f)]
    # which packets had a byte in the lost frame
    data_len = writer.data_len
    starts = np.cumsum([0] + [len(p) for p in packets])
    touched = {i for i, (a, b) in enumerate(itertools.pairwise(starts))
               if a < (lost + 1) * data_len and b > lost * data_len}
    assert got == [p for i, p in enumerate(packets) if i not in touched]
    assert reader.stats.gaps == 1
    bad = bytearray(frames[3])
    bad[100] ^= 0xFF
    assert TmFrameReader(SCID).feed(bytes(bad)) == []  # a corrupt frame is refused whole


def test_tc_frame_and_clcw_refuse_malformed_input():
    good = TcFrame(scid=SCID, vcid=0, seq=3, data=b"abc").pack()
    with pytest.raises(PacketError, match="CRC"):
        TcFrame.unpack(good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(PacketError, match="length"):
        TcFrame.unpack(good[:-2])
    with pytest.raises(PacketError, match="COP-1"):
        Clcw.unpack(b"\x80\x00\x00\x00")


class _Pass:
    """FOP-1 on the ground, FARM-1 on board, the uplink and the downlink (whose TM frames
    carry FARM's CLCW every ``tm_period_s``), run as discrete events on simulated time."""

    def __init__(self, up: SimulatedLink, down: SimulatedLink, *, tm_period_s=0.25, **fop):
        self.fop, self.farm = Fop1(scid=SCID, **fop), Farm1(window=20)
        self.up, self.down, self.tm_period_s = up, down, tm_period_s
        self.writer = TmFrameWriter(SCID, clcw=self.farm.clcw)
        self.reader = TmFrameReader(SCID)
        self.delivered: list[bytes] = []
        self._events: list = []
        self._n = itertools.count()

    def _push(self, t, kind, payload=None):
        heapq.heappush(self._events, (t, next(self._n), kind, payload))

    def _uplink(self, frames, t):
        for f in frames:
            arrival = self.up.send(f, t)
            if arrival is not None:
                self._push(arrival, "tc", f)

    def run(self, until_s: float, *, start: list[bytes], t0: float = 0.0) -> float:
        self._uplink(start, t0)
        self._push(t0, "tm")
        t = t0
        while self._events and t < until_s and not (self.fop.done and t > t0 + 5):
            due = self.fop.timer_due
            if due is not None and due <= self._events[0][0]:
                t = due
                self._uplink(self.fop.on_timer(t), t)
                continue
            t, _, kind, payload = heapq.heappop(self._events)
            if kind == "tc":
                data = self.farm.receive(TcFrame.unpack(payload))
                if data is not None:
                    self.delivered.append(data)
            elif kind == "tm":  # an idle TM frame, FARM's CLCW in its OCF
                frame = self.writer.idle()
                arrival = self.down.send(frame, t)
                if arrival is not None:
                    self._push(arrival, "tm-in", frame)
                self._push(t + self.tm_period_s, "tm")
            else:  # a TM frame arrives: FOP-1 reads the CLCW of its OCF
                self.reader.feed(payload)
                self._uplink(self.fop.on_clcw(self.reader.clcw, t), t)
            self._uplink(self.fop.poll(t), t)
        return t


def _commands(n: int) -> list[bytes]:
    return [TcPacket(apid=0x100, service=8, subservice=128, seq_count=k,
                     data=k.to_bytes(4, "big")).pack() for k in range(n)]  # fmt: skip


def test_cop1_delivers_every_command_once_in_order_through_losses_and_an_outage():
    # 20 % of uplink frames and 20 % of downlink frames lost; both links down 30 s into
    # the pass for 20 s; 2 kbit/s uplink, 1.3 s light time each way
    outage = [(30.0, 50.0)]
    up = SimulatedLink(rate_bit_s=2000.0, delay_s=1.3, loss=0.2, outages=outage, seed=1)
    down = SimulatedLink(rate_bit_s=1e6, delay_s=1.3, loss=0.2, outages=outage, seed=2)
    link = _Pass(up, down, window=10, t1_s=4.0, transmission_limit=12)
    commands = _commands(300)
    for c in commands:
        link.fop.submit(c)
    end = link.run(2000.0, start=link.fop.initiate(0.0))
    assert link.fop.alerts == [] and link.fop.done
    assert link.delivered == commands  # every one, once, in order
    assert up.lost > 30 and link.fop.retransmitted >= up.lost / 2
    assert end > 50.0  # it went on after the outage
    print(f"{len(commands)} TCs in {end:.0f} simulated s; uplink frames sent {up.sent}, "
          f"lost {up.lost}; retransmitted {link.fop.retransmitted}")


def test_cop1_alerts_on_lockout_and_resumes_after_set_vr():
    up = SimulatedLink(rate_bit_s=1e5, delay_s=0.1)
    down = SimulatedLink(rate_bit_s=1e6, delay_s=0.1)
    link = _Pass(up, down, window=5, t1_s=1.0)
    commands = _commands(20)
    for c in commands[:10]:
        link.fop.submit(c)
    link.run(30.0, start=link.fop.initiate(0.0))
    assert link.delivered == commands[:10]
    # a frame far outside FARM's window (a ground fault) locks FARM out
    assert link.farm.receive(TcFrame(scid=SCID, vcid=0, seq=200, data=b"?")) is None
    assert link.farm.lockout
    for c in commands[10:]:
        link.fop.submit(c)
    t = link.run(60.0, start=link.fop.poll(30.0), t0=30.0)
    assert link.fop.alerts == ["lockout"] and link.fop.state is FopState.INITIAL
    assert link.delivered == commands[:10]  # nothing accepted in lockout
    # the operator re-initiates with Unlock + Set V(R): the rest goes through
    link.run(120.0, start=link.fop.initiate(t, set_vr=link.farm.vr), t0=t)
    assert link.delivered == commands and not link.farm.lockout
