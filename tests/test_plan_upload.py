"""A plan delivered as PUS-11 time-tagged commands (ilrs.ops.desks.upload): the commands a
plan makes, and one plan executed on board by the live twin through the command center."""

from __future__ import annotations

import datetime as dt

import pytest

from ilrs.ops.api.serve import LiveStation, Server
from ilrs.ops.client import OpsClient
from ilrs.ops.desks.upload import plan_commands, upload_plan
from ilrs.ops.tmtc.timecodes import CdsTime
from ilrs.plan.horizon import utc_to_tdb
from ilrs.plan.plan import Activity, Plan
from ilrs.station import Twin, load_scenario
from ilrs.station.live_catalog import elements_of
from test_ops_support import wait_for as _wait_for

SEISMO = "Lunar physics station (seismometer, heat flow, magnetometer)"
OWN = "payload.lunar_physics_station"  # Russia's payload (ILRS-2) in the built-in roadmap


def _activity(kind, start, stop, payload=None, rover=None, k=0) -> Activity:
    return Activity(name=kind, kind=kind, instance=k, start_tdb_s=start, stop_tdb_s=stop,
                    power_w=100.0, data_bit_s=0.0, needs=(), payload=payload, rover=rover,
                    resource=payload or rover or kind, crew=0, value=1.0)


def test_plan_commands_pair_loads_on_and_off_in_release_order():
    twin = Twin.from_scenario(load_scenario(None))
    elements = elements_of(twin.scenario, twin.roadmap, twin.up)
    t0 = utc_to_tdb("2037-03-12")
    h = 3600.0
    plan = Plan(t0, t0 + 24 * h, [
        _activity("seismic-monitoring", t0 + 2 * h, t0 + 4 * h, payload=SEISMO, k=0),
        _activity("seismic-monitoring", t0 + 4 * h, t0 + 6 * h, payload=SEISMO, k=1),
        _activity("profiling-drive", t0, t0 + 1.5 * h, rover="profiling-rover"),
        _activity("isru-batch", t0 + h, t0 + 4 * h),            # no twin load: no command
    ])
    cmds = plan_commands(plan, elements)
    assert [(c.release_utc[11:16], c.command) for c in cmds] == [
        ("00:00", f"{OWN}.power_off"),          # off at the plan's start until its first run
        ("00:00", "rover.profiling_rover.drive_leg"),   # now, its duty hours set aside
        ("01:00", "station.activity_start"),     # no twin load: drawn on the science bus
        ("01:30", "rover.profiling_rover.stop"),
        ("02:00", f"{OWN}.run"),                 # two back-to-back runs: one start/stop
        ("04:00", "station.activity_stop"),
        ("06:00", f"{OWN}.power_off"),
        ("00:00", f"{OWN}.power_on"),            # the plan's end: back to their rules
        ("00:00", "rover.profiling_rover.drive"),
    ]
    assert cmds[-1].release_utc.startswith("2037-03-13")
    assert cmds[2].arguments == {"slot": 0.0, "power_w": 100.0, "data_bit_s": 0.0}
    assert all(CdsTime.from_utc_iso(c.release_utc) for c in cmds)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    station = LiveStation(speed=600.0, db_url=str(tmp_path_factory.mktemp("plan") / "a.db"),
                          pump_period_s=0.05)
    with Server(station) as running:
        yield running


def _iso(utc_s: float) -> str:
    return dt.datetime.fromtimestamp(utc_s, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _s(iso: str) -> float:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_an_uploaded_plan_runs_on_board_at_its_times(server):
    token = next(u.token for u in server.station.users if u.name == "russia.operator")
    elements = server.station.live.elements
    with OpsClient(server.url, token=token) as ops:
        now_iso = _wait_for(ops.get_twin_time, what="the twin's clock")
        # the plan starts a simulated hour ahead (6 s of wall time at speed 600: room for
        # the upload on a loaded machine, whose time-tags must still be in the future)
        t0 = utc_to_tdb(now_iso.replace("Z", "")[:19]) + 3600.0
        plan = Plan(t0, t0 + 7200.0, [_activity("seismic-monitoring", t0 + 1800.0,
                                                t0 + 3600.0, payload=SEISMO)], version=3)
        handles = upload_plan(ops, plan, elements)
        assert [h.record["name"] for h in handles] == [f"{OWN}.power_off", f"{OWN}.run",
                                                        f"{OWN}.power_off", f"{OWN}.power_on"]
        done = [h.await_complete(timeout_s=60) for h in handles]
        assert all(d.record["state"] == "completed" for d in done)
        releases = [_s(d.record["release_at_utc"]) for d in done]
        # on board: off, running for the half hour of the run, off again, back to its rule
        # at the plan's end (PUS-11 release times)
        assert releases[1] - releases[0] == pytest.approx(1800.0, abs=1e-3)
        assert releases[2] - releases[1] == pytest.approx(1800.0, abs=1e-3)
        _wait_for(lambda: _s(ops.get_twin_time()) > releases[2] + 300.0, what="the plan end")
        series = ops.list_parameter_values(f"{OWN}.commanded_on", start=_iso(releases[0]),
                                           stop=_iso(releases[2] + 300.0))
    # housekeeping on the twin's clock: off before the run, on during it, off after
    step = 60.0
    phase = {0: set(), 1: set(), 2: set()}
    for sample in series:
        t = _s(sample.time)
        if releases[0] + step <= t < releases[1] - step:
            phase[0].add(sample.value)
        elif releases[1] + step <= t < releases[2] - step:
            phase[1].add(sample.value)
        elif t >= releases[2] + step:
            phase[2].add(sample.value)
    assert phase == {0: {0}, 1: {1}, 2: {0}}
