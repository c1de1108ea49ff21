"""The spacecraft side that listens (ground systems connect to the twin), the CUC time code
stock Yamcs decodes, and the ``ilrs twin`` / ``ilrs yamcs init`` commands.

Real sockets on 127.0.0.1; the Yamcs end to end test is ``tests/test_yamcs.py``.
"""

from __future__ import annotations

import socket
import threading

import pytest

from ilrs.cli import main
from ilrs.ops.spacecraft.listen import Broadcast, ListeningLink
from ilrs.ops.tmtc.link import Spacecraft
from ilrs.ops.tmtc.packets import TcPacket, TmPacket
from ilrs.ops.tmtc.stream import PacketKind, PacketStreamDecoder
from ilrs.ops.tmtc.timecodes import CdsTime, CucTime, unpack_time
from ilrs.ops.tmtc.xtce import import_xtce


def test_cuc_code_byte_by_byte():
    # 2036-01-01T00:00:00.500Z: 2082758400 Unix seconds, half a second
    t = CucTime.from_utc_iso("2036-01-01T00:00:00.500Z")
    assert t.pack() == bytes([
        0x2E,                    # P-field: 0 | 010 agency epoch | 11 four coarse | 10 two fine
        0x7C, 0x24, 0x5F, 0x00,  # 2082758400 s since 1970-01-01 UTC
        0x80, 0x00,              # 0.5 s as a 16-bit binary fraction
    ])  # fmt: skip
    assert t.utc_iso() == "2036-01-01T00:00:00.500Z"
    # every millisecond survives the fraction, read rounded down (as Yamcs reads it)
    for ms in range(1000):
        code = CucTime.from_unix_s(2082758400 + ms / 1000)
        assert code.fraction * 1000 >> 16 == ms
        assert CucTime.unpack(code.pack()).unix_ns == (2082758400 * 1000 + ms) * 1_000_000


def test_packets_read_either_time_code():
    for stamp in (CdsTime.from_unix_s(2082758400.25), CucTime.from_unix_s(2082758400.25)):
        tm = TmPacket(apid=0x101, service=3, subservice=25, time=stamp, data=b"\x01\x02")
        back = TmPacket.unpack(tm.pack())
        assert back == tm and back.time.unix_ns == 2082758400_250_000_000
        assert type(unpack_time(stamp.pack())) is type(stamp)


class _Sc(Spacecraft):
    """A spacecraft that records telecommands and sends three packets per call."""

    def __init__(self):
        self.commands: list[TcPacket] = []
        self.got = threading.Event()
        self.n = 0

    def on_telecommand(self, tc):
        self.commands.append(tc)
        self.got.set()

    def telemetry(self, now_ns):
        self.n += 3
        return [TmPacket(apid=0x100 + k, service=3, subservice=25, seq_count=self.n + k,
                         time=CucTime.from_unix_s(now_ns / 1e9), data=bytes([k]) * 5)
                for k in range(3)]  # fmt: skip


def test_tcp_ground_connects_reads_packets_back_to_back_and_commands():
    sc = _Sc()
    with ListeningLink(sc, port=0) as link:
        assert link.pump(1_000_000_000) == 0 and link.dropped == 3  # no ground yet
        with socket.create_connection(link.address, timeout=5) as ground:
            assert link.connected.wait(5)
            assert link.pump(2_000_000_000) == 3
            decoder, packets = PacketStreamDecoder(PacketKind.TM), []
            while len(packets) < 3:
                packets += decoder.feed(ground.recv(65536))
            assert [TmPacket.unpack(p).apid for p in packets] == [0x100, 0x101, 0x102]
            tc = TcPacket(apid=0x101, service=8, subservice=128, seq_count=5)
            ground.sendall(b"\xff\xff" + tc.pack())  # garbage before it costs only itself
            assert sc.got.wait(5)
            assert sc.commands == [tc]


def test_udp_sends_one_packet_per_datagram_to_the_commanding_ground():
    sc = _Sc()
    with ListeningLink(sc, port=0, transport="udp") as link, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as ground:  # fmt: skip
        ground.bind(("127.0.0.1", 0))
        ground.settimeout(5)
        tc = TcPacket(apid=0x100, service=8, subservice=128, seq_count=1)
        ground.sendto(tc.pack(), link.address)
        assert sc.got.wait(5) and link.connected.is_set()
        assert link.pump(1_000_000_000) == 3
        datagrams = [ground.recvfrom(65536)[0] for _ in range(3)]
        assert [TmPacket.unpack(d).apid for d in datagrams] == [0x100, 0x101, 0x102]
        assert [len(d) for d in datagrams] == [len(TmPacket.unpack(d).pack()) for d in datagrams]


def test_broadcast_gives_every_packet_to_both_grounds():
    sc = _Sc()
    both = Broadcast(sc)
    listener = both.listen(port=0)
    try:
        with socket.create_connection(listener.address, timeout=5) as ground:
            assert listener.connected.wait(5)
            ours = both.telemetry(1_000_000_000)
            decoder, theirs = PacketStreamDecoder(PacketKind.TM), []
            while len(theirs) < 3:
                theirs += decoder.feed(ground.recv(65536))
            assert theirs == [p.pack() for p in ours]
    finally:
        listener.stop()


def test_cli_yamcs_init_writes_an_instance_with_the_twins_mdb(tmp_path, capsys):
    from ilrs.ops.spacecraft.twin import mdb_for_twin
    from ilrs.station import LiveTwin

    assert main(["yamcs", "init", str(tmp_path / "y"), "--port", "10777"]) == 0
    assert "ilrs yamcs run" in capsys.readouterr().out
    config = (tmp_path / "y" / "etc" / "yamcs.ilrs.yaml").read_text(encoding="utf-8")
    assert "port: 10777" in config and "PusPacketPreprocessor" in config
    mdb = import_xtce(tmp_path / "y" / "mdb" / "ilrs.xml")
    assert mdb == mdb_for_twin(LiveTwin.from_scenario(None))


@pytest.mark.parametrize("argv, word", [
    (["twin", "--transport", "serial"], "--transport"),
    (["twin", "--time-code", "gps"], "--time-code"),
    (["twin", "--transport", "udp", "--tm-port", "70000"], "--tm-port"),
    (["twin", "--transport", "frames"], "--tm-port"),
    (["twin", "--downlink", "DIR/none.bin"], "--downlink"),
    (["yamcs", "init", "DIR", "--transport", "can"], "--transport"),
    (["serve", "--spacecraft-port", "0", "--spacecraft-transport", "udp"],
     "--spacecraft-transport"),
    (["serve", "--spacecraft-port", "0", "--spacecraft-transport", "frames"],
     "--spacecraft-tm-port"),
    (["serve", "--spacecraft-transport", "frames", "--spacecraft-tm-port", "5"],
     "--spacecraft-port"),
    (["serve", "--spacecraft-port", "0", "--spacecraft-tm-port", "0"], "--spacecraft-tm-port"),
])  # fmt: skip
def test_cli_bad_options_are_one_line(argv, word, capsys, tmp_path):
    argv = [a.replace("DIR", str(tmp_path / "y")) for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and word in err[0]
