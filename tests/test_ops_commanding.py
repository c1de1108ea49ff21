"""Processor, commanding and the loopback link of ilrs.ops, end to end on real sockets."""

from __future__ import annotations

import socket
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilrs.errors import CommandRejectedError, InputError, PermissionDeniedError
from ilrs.ops.archive import open_archive
from ilrs.ops.commanding.commander import Commander
from ilrs.ops.commanding.entry import CommandState
from ilrs.ops.processing.derived import DerivedParameter
from ilrs.ops.processing.processor import Processor
from ilrs.ops.security.policy import AccessPolicy, AuthConfig
from ilrs.ops.tmtc.codec import decode_arguments, encode_container
from ilrs.ops.tmtc.link import GroundLink, Spacecraft, SpacecraftLink
from ilrs.ops.tmtc.mdb_build import mdb_from_elements
from ilrs.ops.tmtc.packets import (
    PacketKind,
    TcPacket,
    TmPacket,
    VerificationStage,
    verification_report,
)
from ilrs.ops.tmtc.pus11 import unpack_schedule_insert
from ilrs.ops.tmtc.stream import PacketStreamDecoder
from ilrs.ops.tmtc.timecodes import CdsTime

S = 1_000_000_000
T0_NS = 1_893_456_000 * S  # 2030-01-01T00:00:00Z
DB = mdb_from_elements([
    {"id": "power", "owner": "cnsa", "parameters": [
        {"name": "bus_v", "type": "float32", "unit": "V",
         "limits": {"yellow": {"low": 26, "high": 30}, "red": {"low": 24, "high": 32}}},
        {"name": "bus_a", "type": "int16", "unit": "A",
         "calibration": {"coefficients": [0, 0.01]}}],
     "commands": [{"name": "shed_load", "significance": "critical",
                   "arguments": [{"name": "load_w", "type": "float64", "min": 0}]}]},
    {"id": "seis", "owner": "pakistan", "kind": "payload",
     "parameters": [{"name": "powered", "type": "bool"}],
     "commands": [{"name": "set_gain", "constraints": [
         {"parameter": "powered", "operator": "==", "value": 1}], "constraint_timeout_s": 30,
         "arguments": [{"name": "gain", "type": "uint8", "max": 15}]}]},
])  # fmt: skip
CONFIG = AuthConfig.model_validate({
    "partners": [{"id": "cnsa"}, {"id": "pakistan"}],
    "users": [
        {"name": "ali", "partner": "pakistan", "roles": ["partner_operator"]},
        {"name": "chen", "partner": "cnsa", "roles": ["partner_operator"]},
        {"name": "fd", "partner": "cnsa", "roles": ["flight_director"]},
        {"name": "fd2", "partner": "cnsa", "roles": ["flight_director"]},
    ],
})  # fmt: skip
POWER, SEIS = DB.apid_of("power"), DB.apid_of("seis")


def hk(apid: int, t_ns: int, values: dict, container: str, seq: int = 0) -> TmPacket:
    return TmPacket(apid=apid, service=3, subservice=25, seq_count=seq,
                    time=CdsTime.from_unix_s(t_ns / S),
                    data=encode_container(DB, container, values))  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now_ns = T0_NS

    def __call__(self) -> int:
        return self.now_ns


@pytest.fixture
def archive(tmp_path):
    with open_archive(tmp_path / "a.db") as a:
        yield a


@pytest.fixture
def setup(archive):
    clock = Clock()
    sent: list[TcPacket] = []
    processor = Processor(mdb=DB, archive=archive, derived=[
        DerivedParameter("power.load_w", "power.bus_v * power.bus_a",
                         inputs=["power.bus_v", "power.bus_a"], unit="W")])  # fmt: skip
    commander = Commander(mdb=DB, policy=AccessPolicy(CONFIG, DB), archive=archive,
                          transmit=sent.append, latest=processor.latest_value,
                          clock=clock)  # fmt: skip
    processor.on_report = commander.on_report
    return processor, commander, clock, sent


def test_processor_calibrates_checks_limits_derives_and_archives(setup, archive):
    processor, _, _, _ = setup
    packets = [hk(POWER, T0_NS + i * S, {"power.bus_v": v, "power.bus_a": 250}, "power.hk", i)
               for i, v in enumerate([28.0, 29.0, 31.0, 33.0])]  # fmt: skip
    update = processor.ingest([p.pack() for p in packets], reception_ns=T0_NS)
    _, values, levels = update.samples["power.bus_v"]
    assert values.tolist() == [28.0, 29.0, 31.0, 33.0] and levels.tolist() == [0, 0, 1, 2]
    assert update.samples["power.bus_a"][1].tolist() == [2.5] * 4
    assert update.samples["power.load_w"][1].tolist() == [70.0, 72.5, 77.5, 82.5]
    assert [(m.state.value, m.severity) for m in update.alarms] == [
        ("unacknowledged", "warning"), ("unacknowledged", "critical")]
    assert archive.count_packets() == 4
    assert archive.samples("power.bus_v", T0_NS, T0_NS + 10 * S)[1].tolist() == [
        28.0, 29.0, 31.0, 33.0]  # fmt: skip
    assert processor.latest["power.bus_v"] == (T0_NS + 3 * S, 33.0, 2)


def test_processor_counts_bad_input_and_archives_nothing_bad(setup, archive):
    processor, _, _, _ = setup
    good = hk(SEIS, T0_NS, {"seis.powered": 1}, "seis.hk").pack()
    unknown = TmPacket(apid=0x7F0, service=3, subservice=25, time=CdsTime(26000, 0)).pack()
    short = TmPacket(apid=POWER, service=3, subservice=25, time=CdsTime(26000, 0),
                     data=b"\x00").pack()  # fmt: skip
    other = TmPacket(apid=POWER, service=3, subservice=99, time=CdsTime(26000, 0)).pack()
    processor.ingest([good, unknown, good[:-1], b"", short, other], reception_ns=T0_NS)
    s = processor.stats
    assert (s.packets, s.unknown_apid, s.malformed, s.short_data, s.unknown_container) == (
        3, 1, 2, 1, 1)  # fmt: skip
    assert archive.count_packets() == 3


@settings(max_examples=60, deadline=None)
@given(blobs=st.lists(st.binary(max_size=80), max_size=10))
def test_processor_never_raises_or_archives_garbage(blobs):
    with open_archive(":memory:") as archive:
        processor = Processor(mdb=DB, archive=archive)
        good = hk(SEIS, T0_NS, {"seis.powered": 1}, "seis.hk").pack()
        processor.ingest([*blobs, good], reception_ns=T0_NS)
        stored = archive.packets()
        assert good in [p.data for p in stored]
        for p in stored:  # every archived packet is a valid packet of a known APID
            assert TmPacket.unpack(p.data).apid in {POWER, SEIS}


def test_nominal_command_is_released_and_verified(setup, archive):
    processor, commander, clock, sent = setup
    processor.ingest([hk(SEIS, T0_NS, {"seis.powered": 1}, "seis.hk").pack()], reception_ns=1)
    entry = commander.issue(user="ali", name="seis.set_gain", arguments={"gain": 7})
    assert entry.state is CommandState.RELEASED and len(sent) == 1
    tc = sent[0]
    assert (tc.apid, tc.seq_count, decode_arguments(entry.definition, tc.data)) == (
        SEIS, 0, {"gain": 7})  # fmt: skip
    for stage in (VerificationStage.ACCEPTED, VerificationStage.STARTED,
                  VerificationStage.COMPLETED):  # fmt: skip
        clock.now_ns += S
        report = verification_report(tc, stage, time=CdsTime.from_unix_s(clock.now_ns / S))
        processor.ingest([report.pack()], reception_ns=clock.now_ns)
    assert entry.state is CommandState.COMPLETED and entry.done.is_set()
    stages = [(s.stage, s.status) for s in archive.command_stages(entry.id)]
    assert stages == [("queued", "ok"), ("authorized", "ok"), ("constraints", "ok"),
                      ("released", "ok"), ("accepted", "ok"), ("started", "ok"),
                      ("completed", "ok"), ("final", "completed")]  # fmt: skip
    times = [s.time_ns for s in archive.command_stages(entry.id)]
    assert times == sorted(times) and times[-1] == T0_NS + 3 * S


def test_partner_may_not_command_another_partners_payload(setup, archive):
    _, commander, _, sent = setup
    with pytest.raises(PermissionDeniedError):
        commander.issue(user="ali", name="power.shed_load", arguments={"load_w": 10.0})
    (record,) = archive.commands()
    assert [s.status for s in archive.command_stages(record.id)][-2:] == ["failed", "rejected"]
    assert sent == []


def test_critical_command_needs_a_second_different_user(setup):
    _, commander, _, sent = setup
    entry = commander.issue(user="fd", name="power.shed_load", arguments={"load_w": 500.0})
    assert entry.state is CommandState.AWAITING_APPROVAL and sent == []
    with pytest.raises(PermissionDeniedError, match="two-person"):
        commander.approve(entry.id, user="fd")
    with pytest.raises(PermissionDeniedError):
        commander.approve(entry.id, user="chen")  # an operator cannot approve
    commander.approve(entry.id, user="fd2")
    assert entry.state is CommandState.RELEASED and entry.approver == "fd2" and len(sent) == 1
    with pytest.raises(CommandRejectedError):
        commander.approve(entry.id, user="fd2")


def test_constraint_waits_then_releases_or_times_out(setup):
    processor, commander, clock, sent = setup
    processor.ingest([hk(SEIS, T0_NS, {"seis.powered": 0}, "seis.hk").pack()], reception_ns=1)
    waiting = commander.issue(user="ali", name="seis.set_gain", arguments={"gain": 1})
    assert waiting.state is CommandState.WAITING_CONSTRAINTS and sent == []
    clock.now_ns += 10 * S
    processor.ingest([hk(SEIS, clock.now_ns, {"seis.powered": 1}, "seis.hk").pack()],
                     reception_ns=clock.now_ns)  # fmt: skip
    commander.poll()
    assert waiting.state is CommandState.RELEASED and len(sent) == 1
    processor.ingest([hk(SEIS, clock.now_ns, {"seis.powered": 0}, "seis.hk").pack()],
                     reception_ns=clock.now_ns)  # fmt: skip
    doomed = commander.issue(user="ali", name="seis.set_gain", arguments={"gain": 2})
    commander.poll(clock.now_ns + 29 * S)
    assert doomed.state is CommandState.WAITING_CONSTRAINTS
    commander.poll(clock.now_ns + 30 * S)
    assert doomed.state is CommandState.FAILED
    assert doomed.stages[-2].stage == "constraints" and "powered" in doomed.stages[-2].detail


def test_verifier_timeout_and_failure_report(setup):
    processor, commander, clock, sent = setup
    processor.ingest([hk(SEIS, T0_NS, {"seis.powered": 1}, "seis.hk").pack()], reception_ns=1)
    late = commander.issue(user="ali", name="seis.set_gain", arguments={"gain": 3})
    commander.poll(clock.now_ns + 11 * S)
    assert late.state is CommandState.FAILED and late.stages[-2].status == "timeout"
    bad = commander.issue(user="ali", name="seis.set_gain", arguments={"gain": 4})
    report = verification_report(sent[-1], VerificationStage.ACCEPTANCE_FAILED,
                                 time=CdsTime.from_unix_s(T0_NS / S), failure_code=42)  # fmt: skip
    processor.ingest([report.pack()], reception_ns=1)
    assert bad.state is CommandState.FAILED and bad.stages[-2].detail == "failure code 42"


def test_bad_arguments_and_unknown_commands(setup):
    _, commander, _, _ = setup
    with pytest.raises(InputError, match="gain"):
        commander.issue(user="ali", name="seis.set_gain", arguments={"gain": 99})
    with pytest.raises(InputError, match="command"):
        commander.issue(user="ali", name="seis.explode")


def _report(processor, clock, tc, stage, **kw) -> None:
    clock.now_ns += S
    tm = verification_report(tc, stage, time=CdsTime.from_unix_s(clock.now_ns / S), **kw)
    processor.ingest([tm.pack()], reception_ns=clock.now_ns)


@pytest.fixture
def scheduling(setup, archive):
    """A commander whose on-board scheduler sits at the power element's APID."""
    processor, _, clock, sent = setup
    commander = Commander(mdb=DB, policy=AccessPolicy(CONFIG, DB), archive=archive,
                          transmit=sent.append, latest=processor.latest_value, clock=clock,
                          schedule_apid=POWER)  # fmt: skip
    processor.on_report = commander.on_report
    processor.ingest([hk(SEIS, T0_NS, {"seis.powered": 1}, "seis.hk").pack()], reception_ns=1)
    return processor, commander, clock, sent


def test_scheduled_command_goes_in_tc_11_4_and_is_verified_when_released(scheduling, archive):
    processor, commander, clock, sent = scheduling
    release = "2030-01-01T06:00:00Z"  # spacecraft time, passed on as given
    entry = commander.issue(user="ali", name="seis.set_gain", arguments={"gain": 7},
                            release_at_utc=release)  # fmt: skip
    assert entry.state is CommandState.RELEASED and len(sent) == 1
    wrapper = sent[0]
    assert (wrapper.apid, wrapper.service, wrapper.subservice) == (POWER, 11, 4)
    (activity,) = unpack_schedule_insert(wrapper.data)
    assert activity.release_time == CdsTime.from_utc_iso(release)
    tc = activity.tc  # the command itself, to its own APID with its own sequence count
    assert (tc.apid, tc.service, tc.seq_count, decode_arguments(entry.definition, tc.data)) == (
        SEIS, 8, entry.seq_count, {"gain": 7})  # fmt: skip
    _report(processor, clock, wrapper, VerificationStage.ACCEPTED)
    _report(processor, clock, wrapper, VerificationStage.COMPLETED)  # inserted
    assert entry.state is CommandState.SCHEDULED
    commander.poll(clock.now_ns + 86_400 * S)  # no verifier time-out while waiting on board
    assert entry.state is CommandState.SCHEDULED
    with pytest.raises(CommandRejectedError):
        commander.cancel(entry.id, user="ali")  # on board now: out of the queue's reach
    for stage in (VerificationStage.ACCEPTED, VerificationStage.STARTED,
                  VerificationStage.COMPLETED):  # fmt: skip
        _report(processor, clock, tc, stage)  # the scheduler released it
    assert entry.state is CommandState.COMPLETED and entry.done.is_set()
    stages = [(s.stage, s.status) for s in archive.command_stages(entry.id)]
    assert stages == [("queued", "ok"), ("authorized", "ok"), ("constraints", "ok"),
                      ("released", "ok"), ("scheduled", "pending"), ("scheduled", "ok"),
                      ("accepted", "ok"), ("started", "ok"), ("completed", "ok"),
                      ("final", "completed")]  # fmt: skip
    assert entry.public()["release_at_utc"] == "2030-01-01T06:00:00.000Z"
    assert "06:00:00.000Z" in entry.stages[0].detail and "TC[11,4]" in entry.stages[3].detail


def test_scheduled_command_insertion_failure_and_time_outs(scheduling):
    processor, commander, clock, sent = scheduling
    refused = commander.issue(user="ali", name="seis.set_gain", arguments={"gain": 1},
                              release_at_utc="2030-01-01T00:00:00Z")  # fmt: skip
    _report(processor, clock, sent[-1], VerificationStage.ACCEPTED)
    _report(processor, clock, sent[-1], VerificationStage.COMPLETION_FAILED, failure_code=5,
            failure_data=b"release time in the past")  # fmt: skip
    assert refused.state is CommandState.FAILED
    assert (refused.stages[-2].stage, refused.stages[-2].status) == ("scheduled", "failed")
    assert refused.stages[-2].detail == "failure code 5: release time in the past"
    silent = commander.issue(user="ali", name="seis.set_gain", arguments={"gain": 2},
                             release_at_utc="2030-01-02T00:00:00Z")  # fmt: skip
    commander.poll(clock.now_ns + 11 * S)  # the scheduler never answered
    assert silent.state is CommandState.FAILED and silent.stages[-2].status == "timeout"
    lost = commander.issue(user="ali", name="seis.set_gain", arguments={"gain": 3},
                           release_at_utc="2030-01-02T00:00:00Z")  # fmt: skip
    wrapper = sent[-1]
    _report(processor, clock, wrapper, VerificationStage.COMPLETED)
    (activity,) = unpack_schedule_insert(wrapper.data)
    _report(processor, clock, activity.tc, VerificationStage.ACCEPTED)  # released on board
    commander.poll(clock.now_ns + 9 * S)
    assert lost.state is CommandState.SCHEDULED
    commander.poll(clock.now_ns + 11 * S)  # verifier time-outs run from the release
    assert lost.state is CommandState.FAILED and lost.stages[-2].stage == "started"
    with pytest.raises(InputError, match="release_at_utc"):
        commander.issue(user="ali", name="seis.set_gain", arguments={"gain": 1},
                        release_at_utc="tomorrow")  # fmt: skip


def test_without_a_station_element_the_command_apid_schedules(setup):
    _, commander, _, sent = setup
    assert commander.schedule_apid is None
    entry = commander.issue(user="fd", name="power.shed_load", arguments={"load_w": 1.0},
                            release_at_utc="2030-01-01T01:00:00Z")  # fmt: skip
    assert sent == []  # critical: the second approval first, as for any command
    commander.approve(entry.id, user="fd2")
    (wrapper,) = sent
    assert (wrapper.apid, wrapper.service, wrapper.subservice) == (POWER, 11, 4)
    assert unpack_schedule_insert(wrapper.data)[0].tc.apid == POWER


def wait_for(predicate, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def test_ground_link_over_tcp_survives_garbage_and_truncation(archive):
    processor = Processor(mdb=DB, archive=archive)
    with GroundLink(lambda raws, t: processor.ingest(raws, reception_ns=t),
                    apids={POWER, SEIS}) as ground:  # fmt: skip
        frames = [hk(SEIS, T0_NS + i * S, {"seis.powered": i % 2}, "seis.hk", i).pack()
                  for i in range(50)]  # fmt: skip
        stream = b"".join(b"\xff\x00garbage" * (i % 3) + f for i, f in enumerate(frames))
        with socket.create_connection(ground.address) as sc:
            for i in range(0, len(stream), 37):  # arbitrary chunking
                sc.sendall(stream[i : i + 37])
            sc.sendall(frames[0][:9])  # a truncated tail, then the connection closes
        wait_for(lambda: processor.stats.packets == 50 and not ground.connected.is_set())
        wait_for(lambda: ground.stats.truncated >= 1)
    assert archive.count_packets() == 50
    assert ground.stats.bytes_dropped == len(stream) - sum(map(len, frames)) + 9


class Recorder(Spacecraft):
    """A test double on the spacecraft side: records telecommands, replays given TM."""

    def __init__(self) -> None:
        self.received: list[TcPacket] = []
        self.outbox: list[TmPacket] = []

    def on_telecommand(self, tc: TcPacket) -> None:
        self.received.append(tc)

    def telemetry(self, now_ns: int) -> list[TmPacket]:
        out, self.outbox = self.outbox, []
        return out


def test_command_round_trip_over_the_link(setup, archive):
    processor, _, clock, _ = setup
    with GroundLink(lambda raws, t: processor.ingest(raws, reception_ns=t)) as ground:
        commander = Commander(mdb=DB, policy=AccessPolicy(CONFIG, DB), archive=archive,
                              transmit=ground.transmit, latest=processor.latest_value,
                              clock=clock)  # fmt: skip
        processor.on_report = commander.on_report
        sc = Recorder()
        link = SpacecraftLink(sc, ground.address).start()
        try:
            wait_for(ground.connected.is_set)
            sc.outbox.append(hk(SEIS, T0_NS, {"seis.powered": 1}, "seis.hk"))
            link.pump(T0_NS)
            wait_for(lambda: processor.latest_value("seis.powered") == 1.0)
            entry = commander.issue(user="ali", name="seis.set_gain", arguments={"gain": 5})
            wait_for(lambda: len(sc.received) == 1)
            assert sc.received[0].request_id == TcPacket(
                apid=SEIS, service=8, subservice=1, seq_count=entry.seq_count).request_id
            when = CdsTime.from_unix_s(T0_NS / S + 1)
            sc.outbox += [verification_report(sc.received[0], st_, time=when)
                          for st_ in (VerificationStage.ACCEPTED, VerificationStage.STARTED,
                                      VerificationStage.COMPLETED)]  # fmt: skip
            link.pump(T0_NS + S)
            assert entry.done.wait(5)
            assert entry.state is CommandState.COMPLETED
        finally:
            link.stop()


def test_transmit_without_spacecraft_fails_the_command(archive):
    clock = Clock()
    with GroundLink(lambda raws, t: None) as ground:
        commander = Commander(mdb=DB, policy=AccessPolicy(CONFIG, DB), archive=archive,
                              transmit=ground.transmit, latest=lambda n: 1.0,
                              clock=clock)  # fmt: skip
        entry = commander.issue(user="ali", name="seis.set_gain", arguments={"gain": 5})
    assert entry.state is CommandState.FAILED
    assert entry.stages[-2].detail == "no spacecraft connected"


def test_tc_stream_decoder_on_the_spacecraft_side():
    tcs = [TcPacket(apid=SEIS, service=8, subservice=1, seq_count=i, data=bytes([i]))
           for i in range(5)]  # fmt: skip
    decoder = PacketStreamDecoder(PacketKind.TC)
    out = decoder.feed(b"\x00" + b"".join(t.pack() for t in tcs))
    assert [TcPacket.unpack(r) for r in out] == tcs and decoder.stats.bytes_dropped == 1
    assert np.isfinite(decoder.stats.packets)


def test_parameters_lost_in_a_crash_are_rebuilt_from_raw_packets(tmp_path):
    path = tmp_path / "crash.db"
    crashed = open_archive(path, segment_samples=4)  # segments of 4 samples
    processor = Processor(mdb=DB, archive=crashed)
    packets = [hk(SEIS, T0_NS + i * S, {"seis.powered": i % 2}, "seis.hk", i).pack()
               for i in range(10)]  # fmt: skip
    processor.ingest(packets[:8], reception_ns=T0_NS)  # a full segment is written
    processor.ingest(packets[8:], reception_ns=T0_NS)  # two samples stay buffered
    # the process dies here: no flush, no close (a second connection stands for the restart)
    with open_archive(path) as reopened:
        assert reopened.samples("seis.powered", 0, 2**62)[0].size == 8
        rebuilt = Processor(mdb=DB, archive=reopened)
        assert rebuilt.rebuild_parameters(batch=3) == 2
        t, v = reopened.samples("seis.powered", 0, 2**62)
        assert (t - T0_NS).tolist() == [i * S for i in range(10)]
        assert v.tolist() == [i % 2 for i in range(10)]
        assert rebuilt.latest["seis.powered"] == (T0_NS + 9 * S, 1.0, 0)
        assert Processor(mdb=DB, archive=reopened).rebuild_parameters() == 0
    crashed._conn.close()


def test_udp_link_carries_telemetry_and_commands(setup, archive):
    from ilrs.ops.tmtc.link import UdpGroundLink, UdpSpacecraftLink

    processor, _, clock, _ = setup
    with UdpGroundLink(lambda raws, t: processor.ingest(raws, reception_ns=t),
                       apids={POWER, SEIS}) as ground:  # fmt: skip
        commander = Commander(mdb=DB, policy=AccessPolicy(CONFIG, DB), archive=archive,
                              transmit=ground.transmit, latest=processor.latest_value,
                              clock=clock)  # fmt: skip
        processor.on_report = commander.on_report
        sc = Recorder()
        link = UdpSpacecraftLink(sc, ground.address, max_datagram=100).start()
        try:
            sc.outbox += [hk(SEIS, T0_NS + i * S, {"seis.powered": 1}, "seis.hk", i)
                          for i in range(20)]  # fmt: skip
            assert link.pump(T0_NS) == 20  # several datagrams of whole packets
            wait_for(lambda: processor.stats.packets == 20)
            entry = commander.issue(user="ali", name="seis.set_gain", arguments={"gain": 1})
            wait_for(lambda: len(sc.received) == 1)
            sc.outbox.append(verification_report(sc.received[0], VerificationStage.ACCEPTED,
                                                 time=CdsTime.from_unix_s(T0_NS / S)))  # fmt: skip
            link.pump(T0_NS)
            wait_for(lambda: "accepted" in entry.verified)
        finally:
            link.stop()
    assert ground.stats.bytes_dropped == 0 and archive.count_packets() == 21


_frames = st.builds(
    lambda apid, powered, seq: hk(apid, T0_NS + seq * S, {"seis.powered": powered}, "seis.hk",
                                  seq),
    apid=st.sampled_from([SEIS, SEIS, 0x3FF]),  # 0x3FF: an APID the database does not know
    powered=st.integers(0, 1),
    seq=st.integers(0, 1000),
)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(
    parts=st.lists(st.tuples(st.binary(max_size=30), _frames), max_size=6),
    tail=st.binary(max_size=40),
    chunk=st.integers(1, 200),
)
def test_stream_to_archive_keeps_exactly_the_good_packets(parts, tail, chunk):
    """Bad lengths, unknown APIDs, garbage and a truncated tail: counted, never archived."""
    stream = b"".join(g + f.pack() for g, f in parts) + tail
    with open_archive(":memory:") as archive:
        processor = Processor(mdb=DB, archive=archive)
        decoder = PacketStreamDecoder(PacketKind.TM)  # APID filtering left to the processor
        for i in range(0, len(stream), chunk):
            processor.ingest(decoder.feed(stream[i : i + chunk]), reception_ns=0)
        processor.ingest(decoder.finish(), reception_ns=0)
        stored = [p.data for p in archive.packets(limit=10_000)]
        good = {f.pack() for _, f in parts if f.apid == SEIS}
        assert set(stored) >= good  # every good packet is there, whatever surrounds it
        for raw in stored:  # and nothing else but well-formed packets of known APIDs
            assert TmPacket.unpack(raw).apid in {POWER, SEIS}
        unknown = sum(f.apid == 0x3FF for _, f in parts)
        assert processor.stats.unknown_apid >= unknown
