"""PUS service 11 end to end: a partner operator schedules its payload's power-off at a time
of the twin's clock; the command center sends it in a TC[11,4] to the station's scheduler,
the live twin (speed 600) inserts it and releases it on board at that time, and every
verification stage lands on the one command — over real HTTP and TCP on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import demo_token
from ilrs.errors import CommandRejectedError, OpsClientError
from ilrs.ops.api.serve import LiveStation, Server
from ilrs.ops.client import OpsClient
from ilrs.ops.spacecraft.twin import SCHEDULE_CAPACITY
from ilrs.ops.tmtc.packets import RequestId, TcPacket
from ilrs.ops.tmtc.pus11 import ScheduledActivity, schedule_insert_tc
from ilrs.ops.tmtc.timecodes import CdsTime
from test_ops_support import wait_for as _wait_for

OWN = "payload.lunar_physics_station"  # Russia's payload (ILRS-2) in the built-in roadmap
STEP_S = 60.0  # the reference scenario's step


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # 600 simulated s per wall s, a tick every 50 ms: 30 simulated s per housekeeping
    station = LiveStation(speed=600.0, db_url=str(tmp_path_factory.mktemp("pus11") / "a.db"),
                          pump_period_s=0.05)  # fmt: skip
    with Server(station) as running:
        yield running


def _value(client: OpsClient, name: str) -> float | None:
    try:
        return client.get_parameter_value(name).value
    except OpsClientError:  # 404 before the first housekeeping
        return None


def _utc_s(iso: str) -> float:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _iso(utc_s: float) -> str:
    return dt.datetime.fromtimestamp(utc_s, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _series(client: OpsClient, name: str, start: str, stop: str) -> dict[str, float]:
    return {s.time: s.value for s in client.list_parameter_values(name, start=start, stop=stop)}


def test_scheduled_power_off_is_released_on_board_at_its_time(server):
    with OpsClient(server.url, token=demo_token(server, "russia.operator")) as ops:
        _wait_for(lambda: (_value(ops, f"{OWN}.power_w") or 0) > 0, what="power on")
        twin_now = _utc_s(_wait_for(ops.get_twin_time, what="the twin's clock"))
        # telemetry is stamped with the twin's UTC (mission time): query on that axis
        window_start = _iso(twin_now - STEP_S)
        # half a simulated hour ahead on the twin's clock (3 s of wall time at speed 600:
        # room for a loaded machine; the ground's view of that clock lags by up to a step)
        release_s = twin_now + 1800.0
        handle = ops.issue_command(f"{OWN}.power_off", release_at_utc=_iso(release_s))
        assert handle.record["release_at_utc"] == CdsTime.from_unix_s(release_s).utc_iso()
        done = handle.await_complete(timeout_s=20)
        # a few steps after the release, on the twin's clock
        _wait_for(lambda: _utc_s(ops.get_twin_time()) > release_s + 3 * STEP_S,
                  what="steps after the release")  # fmt: skip
        window_stop = _iso(_utc_s(ops.get_twin_time()) + STEP_S)
    stages = [(s["stage"], s["status"]) for s in done.record["stages"]]
    assert stages == [("queued", "ok"), ("authorized", "ok"), ("released", "ok"),
                      ("scheduled", "pending"), ("scheduled", "ok"), ("accepted", "ok"),
                      ("started", "ok"), ("completed", "ok"), ("final", "completed")]  # fmt: skip
    with OpsClient(server.url, token=demo_token(server, "flight.director")) as fd:
        utc = _series(fd, "station.time.utc_s", window_start, window_stop)
        power = _series(fd, f"{OWN}.power_w", window_start, window_stop)
        switch = _series(fd, f"{OWN}.commanded_on", window_start, window_stop)
        pending = _series(fd, "station.schedule.pending", window_start, window_stop)
        assert fd.get_parameter_value("station.schedule.pending").value == 0
    # mission time: each packet's generation time is the twin's UTC it carries (CDS: 1 ms)
    assert utc and all(abs(_utc_s(t) - u) < 2e-3 for t, u in utc.items())
    # housekeeping packets pair up by their time stamp (one per element per tick)
    rows = [(u, pending[t], power[t], switch[t]) for t, u in sorted(utc.items())]
    first = next(i for i, r in enumerate(rows) if r[1] == 1)  # the first after insertion
    held = [r for r in rows[first:] if r[0] < release_s - 1e-3]
    after = [r for r in rows if r[0] >= release_s + STEP_S]
    # on board and waiting, the payload still on, over several steps up to the release time
    assert len({r[0] for r in held}) >= 2
    assert all(n == 1 and p > 0 and s == 1 for _, n, p, s in held)
    assert after and all(n == 0 and p == 0 and s == 0 for _, n, p, s in after)  # off after


def test_release_time_before_the_twins_clock_is_refused(server):
    with OpsClient(server.url, token=demo_token(server, "russia.operator")) as ops:
        twin_now = _utc_s(_wait_for(ops.get_twin_time, what="the twin's clock"))
        handle = ops.issue_command(f"{OWN}.power_on", release_at_utc=_iso(twin_now - 3600))
        with pytest.raises(CommandRejectedError, match=r"scheduled.*failure code 5"):
            handle.await_complete(timeout_s=20)
        assert handle.state == "failed"
        assert not any(s["stage"] == "accepted" for s in handle.record["stages"])


def test_the_twins_scheduler_refuses_bad_inserts_and_keeps_release_order(server):
    station = server.station
    sc, mdb = station.spacecraft, station.mdb
    off, on = (mdb.command(f"{OWN}.{c}") for c in ("power_off", "power_on"))

    def tc(command, seq):
        return TcPacket(apid=command.apid, service=command.service,
                        subservice=command.subservice, seq_count=seq)  # fmt: skip

    def insert(activities, seq, data=None):
        if data is None:
            request = schedule_insert_tc(activities, apid=sc.scheduler_apid, seq_count=seq)
        else:
            request = TcPacket(apid=sc.scheduler_apid, service=11, subservice=4, data=data,
                               seq_count=seq)  # fmt: skip
        with station.link._lock:  # as the link delivers it, between two telemetry ticks
            sc.on_telecommand(request)
            reports = [(tm.subservice, tm.data[4:]) for tm in sc._outbox
                       if tm.service == 1 and RequestId.unpack(tm.data) == request.request_id]
            waiting = sc.schedule
        return reports, waiting

    far = CdsTime.from_utc_iso("2100-01-01T00:00:00Z")  # far beyond this test's twin time
    reports, _ = insert([], 16000, data=b"\x01\x40\x00")  # truncated
    assert [(s, d[:2]) for s, d in reports] == [(2, b"\x00\x02")]  # acceptance failed, 2
    unknown = TcPacket(apid=on.apid, service=8, subservice=250, seq_count=1)
    reports, _ = insert([ScheduledActivity(far, unknown)], 16001)
    assert [(s, d[:2]) for s, d in reports] == [(1, b""), (4, b"\x00\x01")]  # start failed, 1
    later = CdsTime(far.days, 1000)
    reports, waiting = insert([ScheduledActivity(later, tc(on, 16100)),
                               ScheduledActivity(far, tc(off, 16101))], 16002)  # fmt: skip
    assert [s for s, _ in reports] == [1, 3, 7]  # accepted, started, completed: inserted
    assert [(t, c.seq_count) for t, c in waiting] == [(far.utc_iso(), 16101),
                                                      (later.utc_iso(), 16100)]  # fmt: skip
    room = SCHEDULE_CAPACITY - len(waiting)
    reports, _ = insert([ScheduledActivity(far, tc(on, 16200))] * 255, 16003)
    assert room < 255 and [(s, d[:2]) for s, d in reports] == [(1, b""), (4, b"\x00\x06")]
    with station.link._lock:
        sc._schedule.clear()  # leave nothing behind for the other tests
