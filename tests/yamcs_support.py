"""What the tests that start a real Yamcs share: free ports, the one-line skip where Java
cannot start, a command sent from Yamcs and verified there, the value-by-value comparison
of Yamcs' archive with ours (and ``wait_for``, the ops tests' wait on a condition)."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import time

import numpy as np
import pytest

from ilrs.errors import ExternalProgramError
from ilrs.ops.tmtc.codec import decode_container
from ilrs.ops.tmtc.packets import TmPacket
from ilrs.ops.tmtc.xtce_names import xtce_name
from ilrs.ops.yamcs.server import find_java, find_yamcs_lib
from test_ops_support import wait_for

__all__ = ["PAYLOAD", "compare_window", "free_port", "java_or_skip", "power_off_from_yamcs",
           "wait_for"]


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port of 127.0.0.1 free now (TCP, or UDP with ``socket.SOCK_DGRAM``)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def java_or_skip() -> None:
    """Skip (one line) where no Java runtime or Yamcs jars are, or Java cannot start."""
    try:
        java = find_java()
        find_yamcs_lib()
        subprocess.run([java, "-version"], check=True, capture_output=True, timeout=60)
    except (ExternalProgramError, OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"Yamcs cannot start here: {exc}")


#: Russia's payload (ILRS-2) in the built-in roadmap: on at the start, commanded off.
PAYLOAD = "payload.lunar_physics_station"


def power_off_from_yamcs(processor, *, timeout_s: float = 90.0) -> None:
    """Send the payload's ``power_off`` from Yamcs once it draws power: every PUS-1 verifier
    OK and the command complete, then its power at 0 in Yamcs' telemetry."""
    power = f"/ILRS/{xtce_name(PAYLOAD)}_power_w"
    wait_for(lambda: (v := processor.get_parameter_value(power)) and v.eng_value > 0, 60,
             "the payload on")
    conn = processor.create_command_connection()
    try:
        for attempt in (1, 2):
            command = conn.issue(f"/ILRS/{xtce_name(PAYLOAD)}_power_off")
            ack = command.await_acknowledgment("Verifier_Accepted", timeout=timeout_s)
            if ack.status == "CANCELLED" and attempt == 1:
                # Yamcs cancels the verifiers when its link gave the command up before the
                # twin saw it (a COP-1 retransmission limit on a loaded machine): once more,
                # with what Yamcs said, and only once
                print(f"Yamcs cancelled the command before acceptance ({command.error}); "
                      "sending it again")
                continue
            assert ack.status == "OK", ("Verifier_Accepted", ack.status, ack.message,
                                        command.error)
            break
        for stage in ("Verifier_Started", "Verifier_Completed"):
            ack = command.await_acknowledgment(stage, timeout=timeout_s)
            assert ack.status == "OK", (stage, ack.status, ack.message)
        command.await_complete(timeout=timeout_s)
        assert command.is_success(), command.error
    finally:
        conn.cancel()
    wait_for(lambda: processor.get_parameter_value(power).eng_value == 0.0, 60,
             "the payload's power at 0 in Yamcs")


def _ours(station, start_ns: int, stop_ns: int) -> dict[str, list[tuple[int, float, float]]]:
    """Our archive's (generation ns, raw, engineering) per parameter in the window: raw from
    the archived packets, engineering from the parameter archive."""
    db = station.mdb
    out: dict[str, list] = {}
    by_key = {(c.apid, c.service, c.subservice): c for c in db.containers}
    packets = [TmPacket.unpack(p.data) for p in
               station.ops.archive.packets(start_ns=start_ns, stop_ns=stop_ns, limit=100_000)]
    for key, c in by_key.items():
        tms = [tm for tm in packets if (tm.apid, tm.service, tm.subservice) == key]
        raw = decode_container(db, c, [tm.data for tm in tms])
        times = [tm.time.unix_ns for tm in tms]
        for e in c.entries:
            t_eng, eng = station.ops.archive.samples(e.parameter, start_ns, stop_ns)
            assert t_eng.tolist() == times, e.parameter
            out[e.parameter] = list(zip(times, raw[e.parameter].tolist(), eng.tolist(),
                                        strict=True))  # fmt: skip
    return out


def _theirs(client, names: list[str], start_ns: int, stop_ns: int) -> dict[str, list]:
    start = dt.datetime.fromtimestamp(start_ns / 1e9, dt.UTC)
    stop = dt.datetime.fromtimestamp(stop_ns / 1e9, dt.UTC)
    out: dict[str, list] = {n: [] for n in names}
    archive = client.get_archive("ilrs")
    for data in archive.stream_parameter_values([f"/ILRS/{n}" for n in names], start, stop):
        for pv in data.parameters:
            t_ns = round(pv.generation_time.timestamp() * 1000) * 1_000_000
            if start_ns <= t_ns < stop_ns:
                out[pv.name.rpartition("/")[2]].append((t_ns, pv.raw_value, pv.eng_value))
    return out


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return float(a) == float(b)
    return float(a) == float(b) or (np.isnan(float(a)) and np.isnan(float(b)))


def compare_window(station, client, window_s: float) -> tuple[int, int, int]:
    """Compare, for every parameter, the values (raw and engineering, by generation time)
    Yamcs archived with our archive's over ``window_s`` of the twin's time from now; (the
    parameters, samples compared, mismatches). Every parameter is asserted present in both
    at the same times, several times."""
    start_ns = station.spacecraft.mission_ns(time.time_ns())
    stop_ns = start_ns + round(window_s * 1e9)
    processor = client.get_processor("ilrs", "realtime")

    def yamcs_past_window():
        value = processor.get_parameter_value("/ILRS/station_time_utc_s")
        return value is not None and value.generation_time.timestamp() * 1e9 > stop_ns

    wait_for(yamcs_past_window, 120, "Yamcs' telemetry past the window")
    station.ops.archive.flush()
    ours = _ours(station, start_ns, stop_ns)
    theirs = _theirs(client, [xtce_name(n) for n in ours], start_ns, stop_ns)
    assert len(ours) == len(station.mdb.parameters)
    samples = mismatches = 0
    for name, rows in ours.items():
        got = theirs[xtce_name(name)]
        assert [t for t, _, _ in got] == [t for t, _, _ in rows], name
        assert len(rows) >= 6, name  # the window holds several housekeeping packets
        for (_, raw, eng), (_, their_raw, their_eng) in zip(rows, got, strict=True):
            samples += 1
            mismatches += not (_same(raw, their_raw) and _same(eng, their_eng))
    return len(ours), samples, mismatches
