"""The archive of ilrs.ops: one test suite over SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import test_ops_support as support
from ilrs.errors import ArchiveError
from ilrs.ops.archive import (
    AuditRecord,
    CommandRecord,
    CommandStage,
    EventRecord,
    FileRecord,
    RawPacket,
    open_archive,
)

S = 1_000_000_000  # ns per second


@pytest.fixture(params=support.BACKENDS)
def url(request, tmp_path):
    return support.archive_url(request.param, tmp_path)


@pytest.fixture
def archive(url):
    with open_archive(url, segment_s=60.0, segment_samples=1000) as a:
        yield a


def test_packets_round_trip_filtered_and_ordered(archive):
    rows = [RawPacket(10 * S + i, (100 - i) * S, 0x100 + i % 3, i, bytes([i]) * 5)
            for i in range(30)]  # fmt: skip
    archive.append_packets(rows)
    assert archive.count_packets() == 30
    got = archive.packets(apids=[0x101])
    assert [p.generation_ns for p in got] == sorted(p.generation_ns for p in got)
    assert {p.apid for p in got} == {0x101} and len(got) == 10
    window = archive.packets(start_ns=80 * S, stop_ns=90 * S)
    assert sorted(p.seq_count for p in window) == list(range(11, 21))
    assert window[0].data == bytes([20]) * 5
    assert archive.packets(apids=[]) == []


def test_raw_packets_are_append_only(archive):
    archive.append_packets([RawPacket(1, 1, 1, 1, b"a")])
    for sql, params in (("UPDATE packets SET data = ?", (b"b",)), ("DELETE FROM packets", ())):
        with pytest.raises(ArchiveError, match="append-only"), archive._guard("tamper"):
            archive._run(sql, params)
    assert archive.packets()[0].data == b"a"


def test_a_failed_batch_stores_none_of_its_rows_and_the_archive_goes_on(archive):
    """A batch is one transaction on both backends (PostgreSQL streams it with COPY): a bad
    row fails the whole batch, nothing of it is stored, the next batch goes in."""
    archive.append_packets([RawPacket(1, 1, 1, 0, b"a")])
    bad = [RawPacket(2, 2, 1, 1, b"b"), RawPacket(3, 3, 1, 2, None)]  # data NOT NULL
    with pytest.raises(ArchiveError, match="append packets failed"):
        archive.append_packets(bad)
    events = [EventRecord(5, "alarm", "warning", "x", 1), EventRecord(6, "alarm", "warning",
                                                                       None, 1)]  # fmt: skip
    with pytest.raises(ArchiveError, match="append events failed"):
        archive.append_events(events)
    archive.append_packets([RawPacket(4, 4, 1, 3, b"c")])
    assert [p.data for p in archive.packets()] == [b"a", b"c"]
    assert archive.events() == []


def test_received_files_are_stored_once_per_transaction_and_append_only(archive):
    record = FileRecord("1-7", 5 * S, "science.bin", "/g/science.bin", 10, "ab" * 32, "{}")
    assert archive.append_file(record) is True
    assert archive.append_file(record) is False  # a receiver's replay lands it again
    other = FileRecord("1-8", 6 * S, "science.bin", "/g/science.1-8.bin", 11, "cd" * 32, "{}")
    assert archive.append_file(other) is True
    assert archive.files() == [record, other]
    with pytest.raises(ArchiveError, match="append-only"), archive._guard("tamper"):
        archive._run("DELETE FROM files")
    assert len(archive.files()) == 2


def test_samples_across_segments_and_buffer(archive, rng):
    t = np.arange(0, 3000) * (S // 10)  # 10 Hz for 300 s → several 60 s segments + a buffer
    v = rng.normal(size=t.size)
    for chunk in np.array_split(np.arange(t.size), 17):
        archive.write_samples("power.bus_voltage_v", t[chunk], v[chunk])
    got_t, got_v = archive.samples("power.bus_voltage_v", 25 * S, 250 * S)
    keep = (t >= 25 * S) & (t < 250 * S)
    np.testing.assert_array_equal(got_t, t[keep])
    np.testing.assert_array_equal(got_v, v[keep])
    assert archive.parameters() == ["power.bus_voltage_v"]


def test_samples_out_of_order_are_sorted(archive):
    archive.write_samples("p", np.array([5, 1, 3]) * S, np.array([50.0, 10.0, 30.0]))
    archive.flush()
    archive.write_samples("p", np.array([2, 4]) * S, np.array([20.0, 40.0]))
    t, v = archive.samples("p", 0, 10 * S)
    assert t.tolist() == [S, 2 * S, 3 * S, 4 * S, 5 * S]
    assert v.tolist() == [10.0, 20.0, 30.0, 40.0, 50.0]


def test_downsampling_matches_a_plain_loop(archive, rng):
    t = np.sort(rng.integers(0, 3600 * S, size=5000))
    v = rng.normal(size=t.size)
    archive.write_samples("x", t, v)
    archive.flush()
    start, stop, n = 100 * S, 3500 * S, 977  # 3.5 s buckets: below 10 summary bins, raw
    ds = archive.downsample("x", start, stop, n)
    width = -(-(stop - start) // n)
    expected = {}
    for ti, vi in zip(t, v, strict=True):  # the obviously-correct slow path
        if start <= ti < stop:
            b = (ti - start) // width
            lo, hi, c = expected.get(b, (np.inf, -np.inf, 0))
            expected[b] = (min(lo, vi), max(hi, vi), c + 1)
    keys = sorted(expected)
    assert ds.time_ns.tolist() == [start + k * width for k in keys]
    assert ds.min.tolist() == [expected[k][0] for k in keys]
    assert ds.max.tolist() == [expected[k][1] for k in keys]
    assert ds.count.tolist() == [expected[k][2] for k in keys]
    with pytest.raises(ArchiveError):
        archive.downsample("x", stop, start, 10)


def test_buffered_samples_survive_close_and_reopen(url):
    with open_archive(url) as a:
        a.write_samples("y", np.array([1, 2]) * S, np.array([1.0, 2.0]))
    with open_archive(url) as a:
        assert a.samples("y", 0, 3 * S)[1].tolist() == [1.0, 2.0]


def test_events_commands_and_audit(archive):
    archive.append_event(EventRecord(5 * S, "alarm", "warning", "hot", 0x100))
    archive.append_event(EventRecord(3 * S, "pus5", "info", "boot", None))
    assert [e.message for e in archive.events()] == ["boot", "hot"]
    cmd = CommandRecord("c1", "power.shed_load", 0x100, "ana", '{"load_w": 5}', "critical", 7)
    archive.insert_command(cmd, CommandStage("c1", "queued", "ok", 7, ""))
    archive.append_command_stage(CommandStage("c1", "released", "ok", 9, "seq 3"))
    assert archive.commands() == [cmd]
    assert [s.stage for s in archive.command_stages("c1")] == ["queued", "released"]
    rec = AuditRecord(0, 1, "ana", "issue", "{}", "ok", "0" * 64, "ab" * 32)
    archive.append_audit(rec)
    assert archive.last_audit() == rec
    assert archive.audit_records(after_seq=0) == []
    with pytest.raises(ArchiveError):
        archive.append_audit(rec)  # the sequence number is the key


WRITER = textwrap.dedent(
    """
    import sys
    from ilrs.ops.archive import RawPacket, open_archive
    archive = open_archive(sys.argv[1])
    for i in range(100_000):
        archive.append_packets([RawPacket(i, i, 0x100, i % 16384, i.to_bytes(4, "big"))])
        print(i, flush=True)  # the acknowledgement: only after the commit returned
    """
)


def test_acknowledged_packets_survive_kill_9(url):
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    acked = -1
    try:
        for line in proc.stdout:  # bounded: the writer stops at 100 000
            acked = int(line)
            if acked >= 200:
                break
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    with open_archive(url) as a:
        got = {int.from_bytes(p.data, "big") for p in a.packets(limit=1_000_000)}
    assert set(range(acked + 1)) <= got


def test_summary_downsampling_matches_raw_on_the_snapped_grid(archive, rng):
    from ilrs.ops._kernels import minmax_buckets

    t = np.sort(rng.integers(0, 2 * 3600 * S, size=20_000))  # 2 h, flushed in segments
    v = rng.normal(size=t.size)
    v[::500] = np.nan
    archive.write_samples("z", t[:15_000], v[:15_000])  # some in segments, some buffered
    archive.write_samples("z", t[15_000:], v[15_000:])
    start, stop, n = 1_234_567_891, 7000 * S + 17, 100  # 70 s buckets ≥ 10 bins of 1 s
    fast = archive.downsample("z", start, stop, n)
    # the documented snapping: range out to whole seconds, width up to whole seconds
    s0, s1 = (start // S) * S, -(-stop // S) * S
    unsnapped = -(-(s1 - s0) // n)
    width = -(-unsnapped // S) * S
    n_wide = -(-(s1 - s0) // width)
    inside = t < s1  # the last bucket may reach past s1: only bins before s1 count
    slow = minmax_buckets(t[inside], v[inside], s0, s0 + width * n_wide, n_wide)
    np.testing.assert_array_equal(fast.time_ns, slow[0])
    np.testing.assert_array_equal(fast.min, slow[1])
    np.testing.assert_array_equal(fast.max, slow[2])
    np.testing.assert_array_equal(fast.count, slow[3])
    assert fast.count.sum() == np.count_nonzero((t >= s0) & (t < s1))
