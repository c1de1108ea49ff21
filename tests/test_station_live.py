"""The live twin: the same kernel as Twin.run, commands that change the loop, housekeeping,
events and the description the command center's database is generated from."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ilrs.errors import InputError
from ilrs.station import Twin, load_scenario
from ilrs.station.live import LiveTwin
from ilrs.station.live_catalog import EVENT_TYPES

DAY_S = 86400.0


def _scenario(start: str, stop: str):
    s = load_scenario(None)
    return s.model_copy(update={"period": s.period.model_copy(update={
        "start": start, "stop": stop})})


@pytest.fixture(scope="module")
def ilrs2_twin() -> Twin:
    """The reference station from just before ILRS-2 lands (rovers, science payloads) over
    a span with a dated relay outage (2032-06-01, 72 h)."""
    return Twin.from_scenario(_scenario("2032-05-25", "2032-09-10"))


@pytest.mark.parametrize("block_days", [1.0, 30.0])
def test_live_in_pieces_equals_twin_run(ilrs2_twin, block_days):
    """Advancing live by uneven pieces (steps, seconds with remainders, to a time) runs the
    very loop of Twin.run: state, accumulators, science, rover km and events match exactly."""
    res = ilrs2_twin.run(block_days=block_days)
    live = LiveTwin.from_twin(ilrs2_twin)
    rng = np.random.default_rng(7)
    while live.steps < res.n_steps:
        how = int(rng.integers(3))
        left = res.n_steps - live.steps
        if how == 0:
            live.advance_steps(min(int(rng.integers(1, 3000)), left))
        elif how == 1:
            live.advance(min(float(rng.uniform(1.0, 2 * DAY_S)), left * live.step_s))
        else:
            live.advance_to(live.now_tdb_s + min(int(rng.integers(1, 500)), left) * 60.0)
    assert live.steps == res.n_steps
    np.testing.assert_array_equal(live.state, res.final_state)
    np.testing.assert_array_equal(live.acc, res.acc)
    totals = live.totals()
    assert totals["energy"] == res.balance
    names = {e.id: e.name for e in live.elements}
    # the same steps; hours summed in another order (last-digit rounding only)
    assert {names[i]: s / 3600.0 for i, s in totals["science_s"].items()} == \
        pytest.approx(res.kpis["science_hours"], rel=1e-12, abs=1e-12)
    assert {names[i]: km for i, km in totals["rover_km"].items()} == res.kpis["rover_km"]
    assert sum(totals["rover_km"].values()) > 0.0
    events = [(e.tdb_s, e.source, e.kind, e.message) for e in live.drain_events()]
    assert events == [e for e in res.events if e[0] < live.now_tdb_s]
    assert {"relay-outage", "landing"} <= {kind for _, _, kind, _ in events}
    assert live.drain_events() == []


def test_catching_up_in_one_call_equals_twin_run(ilrs2_twin):
    """`ilrs serve --epoch` runs months in one call, with the sky geometry computed a year
    at a time instead of 4 days: the very same state, accumulators and events."""
    res = ilrs2_twin.run()
    live = LiveTwin.from_twin(ilrs2_twin)
    seen = []
    live.advance_steps(res.n_steps, progress=seen.append)
    np.testing.assert_array_equal(live.state, res.final_state)
    np.testing.assert_array_equal(live.acc, res.acc)
    assert [(e.tdb_s, e.source, e.kind, e.message) for e in live.drain_events()] == \
        [e for e in res.events if e[0] < live.now_tdb_s]
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 90  # after each day


def test_payload_power_off_stops_power_science_and_data(ilrs2_twin):
    """power_off acts from the next step and persists; the same run without the command
    (Twin.run's path) keeps the payload on."""
    ref = LiveTwin.from_twin(ilrs2_twin, "2032-08-02")
    live = LiveTwin.from_twin(ilrs2_twin, "2032-08-02")
    pid = "payload.lunar_physics_station"
    for t in (ref, live):
        t.advance(DAY_S)
    before = live.housekeeping()
    assert before.payloads[pid].running and before.values[f"{pid}.power_w"] > 0.0
    r = live.execute(f"{pid}.power_off")
    assert r.accepted and r.significance == "watch", r
    assert ("power_w", "==", 0.0) in [(c.parameter.removeprefix(pid + "."), c.operator,
                                       c.value) for c in r.checks]
    science_s = before.values[f"{pid}.science_s"]
    live.advance(60.0)
    ref.advance(60.0)
    hk, hk_ref = live.housekeeping(), ref.housekeeping()
    assert hk.values[f"{pid}.power_w"] == 0.0
    assert hk.values[f"{pid}.data_rate_bit_s"] == 0.0
    assert not hk.values[f"{pid}.commanded_on"] and not hk.values[f"{pid}.running"]
    assert r.verified(hk.values) and all(hk.station.tdb_s >= c.deadline_tdb_s
                                         for c in r.checks)
    assert hk_ref.values[f"{pid}.power_w"] > 0.0 and hk_ref.payloads[pid].running
    assert not r.verified(hk_ref.values)
    # the station serves exactly that much less science power
    assert hk_ref.station.science_w - hk.station.science_w == pytest.approx(
        hk_ref.values[f"{pid}.power_w"], abs=1e-9)
    live.advance(DAY_S)
    ref.advance(DAY_S)
    assert live.housekeeping().values[f"{pid}.science_s"] == science_s
    assert ref.housekeeping().values[f"{pid}.science_s"] > science_s + DAY_S - 61.0
    assert live.totals()["data_generated_bit"] < ref.totals()["data_generated_bit"]
    on = live.execute(f"{pid}.power_on")
    assert on.accepted
    live.advance(60.0)
    hk = live.housekeeping()
    assert on.verified(hk.values) and hk.values[f"{pid}.power_w"] > 0.0


def test_rejected_commands():
    live = LiveTwin.from_scenario()            # ILRS-1 has just landed
    assert live.now_utc == "2031-08-01T00:00:00Z"
    r = live.execute("payload.biomedical_laboratory.power_on")
    assert not r.accepted and "not landed yet" in r.reason and "ILRS-4" in r.reason
    assert not live.execute("rover.lava_tube_explorer.drive", {"distance_km": 1.0}).accepted
    assert not live.execute("isru.start").accepted
    assert "unknown element" in live.execute("payload.nothing_here.power_on").reason
    assert "unknown command" in live.execute("station.self_destruct").reason
    assert "unknown argument" in live.execute("station.safe_mode_enter", {"x": 1}).reason
    assert r.checks == ()
    assert live.drain_events() == []        # rejections leave no event; nothing run yet
    live.advance(60.0)
    assert [(e.kind, e.utc) for e in live.drain_events()] == [
        ("landing", "2031-08-01T00:00:00Z")]
    assert live.drain_events() == []
    with pytest.raises(InputError):
        LiveTwin.from_scenario(start_utc="not a date")


def test_safe_mode_held_by_ground_then_released(ilrs2_twin):
    live = LiveTwin.from_twin(ilrs2_twin, "2032-08-02")
    live.advance(DAY_S)
    hk0 = live.housekeeping()
    assert hk0.station.soc > ilrs2_twin.scenario.fdir.exit_safe_mode_soc   # FDIR would exit
    assert hk0.station.science_w > 0.0
    r = live.execute("station.safe_mode_enter")
    assert r.accepted and r.significance == "warning"
    live.advance(60.0)
    hk = live.housekeeping()
    assert r.verified(hk.values)
    assert hk.station.safe_mode and hk.station.ops_safe_hold and not hk.station.fdir_safe_mode
    assert hk.station.science_w == 0.0 and not hk.station.transmitting
    assert hk.station.comms_w < hk0.station.comms_w              # transmitter off
    live.advance(2 * DAY_S)                                       # the hold persists
    assert live.housekeeping().station.safe_mode
    assert live.housekeeping().values["station.load.science_w"] == 0.0
    exit_ = live.execute("station.safe_mode_exit")
    assert exit_.accepted and exit_.significance == "critical"
    live.advance(60.0)
    hk = live.housekeeping()
    assert exit_.verified(hk.values) and hk.station.science_w > 0.0
    kinds = [(e.source, e.kind) for e in live.drain_events()]
    assert kinds.count(("command", "executed")) == 2
    # shed_science / restore_science
    shed = live.execute("station.shed_science")
    live.advance(600.0)
    hk = live.housekeeping()
    assert shed.verified(hk.values) and hk.station.science_w == 0.0
    assert not hk.station.safe_mode and hk.station.transmitting
    restore = live.execute("station.restore_science")
    live.advance(60.0)
    assert restore.verified(live.housekeeping().values)


def test_rovers_and_isru_follow_commands():
    live = LiveTwin.from_scenario(_scenario("2033-08-01", "2033-12-31"))
    assert live.now_utc == "2033-08-01T00:00:00Z"
    # find a step where the profiling rover drives and ISRU runs
    for _ in range(3000):
        live.advance(600.0)
        hk = live.housekeeping()
        if hk.rovers["rover.profiling_rover"].driving and hk.isru.running:
            break
    else:
        pytest.fail("no step with the rover driving and ISRU running")
    stop = live.execute("rover.profiling_rover.stop")
    isru = live.execute("isru.stop")
    live.advance(60.0)
    hk = live.housekeeping()
    assert stop.verified(hk.values) and isru.verified(hk.values)
    assert hk.rovers["rover.profiling_rover"].state == "held"
    assert hk.values["rover.profiling_rover.state"] == 3
    assert hk.isru.power_w == 0.0 and hk.values["isru.o2_rate_kg_s"] == 0.0
    planned = hk.rovers["rover.profiling_rover"].planned_km
    live.advance(2 * DAY_S)
    assert live.housekeeping().rovers["rover.profiling_rover"].planned_km == planned
    # drive 0.36 km more (one hour at 0.1 m/s), then it stops by itself
    bad = live.execute("rover.profiling_rover.drive", {"distance_km": 1e6})
    assert not bad.accepted and "expected a number" in bad.reason
    drive = live.execute("rover.profiling_rover.drive", {"distance_km": 0.36})
    assert drive.accepted
    live.advance(5 * DAY_S)
    rover = live.housekeeping().rovers["rover.profiling_rover"]
    assert rover.planned_km == pytest.approx(planned + 0.36, abs=1e-9)
    assert rover.state in ("idle", "fault") and not rover.held
    start = live.execute("isru.start")
    assert start.accepted
    live.advance(60.0)
    assert start.verified(live.housekeeping().values)


def test_describe_covers_housekeeping_and_commands():
    live = LiveTwin.from_scenario(start_utc="2034-09-01")
    live.advance(60.0)
    d = live.describe()
    json.dumps(d)                                               # JSON-ready
    hk = live.housekeeping()
    described = {f"{e['id']}.{p['name']}" for e in d["elements"] for p in e["parameters"]}
    assert described == set(hk.values)
    partners = set(d["partners"])
    by_id = {e["id"]: e for e in d["elements"]}
    landed = [e for e in d["elements"] if e["status"] == "landed"]
    planned = [e for e in d["elements"] if e["status"] == "planned"]
    assert {e["mission"] for e in planned} == {"ILRS-5"}
    assert {e["mission"] for e in landed} == {"ILRS-1", "ILRS-2", "ILRS-3", "ILRS-4"}
    assert all(e["landing_date"] == "2035-08-01" for e in planned)
    for e in d["elements"]:
        assert e["owner"] in partners and e["parameters"] and e["commands"]
        for c in e["commands"]:
            assert c["significance"] in ("none", "watch", "warning", "distress", "critical",
                                         "severe")
    assert by_id["payload.telecommunication_station"]["owner"] == "russia"
    assert by_id["station"]["owner"] == "china"
    params = {p["name"]: p for p in by_id["station"]["parameters"]}
    assert params["battery.soc"]["limits"] == {"yellow": {"low": pytest.approx(0.40)},
                                               "red": {"low": pytest.approx(0.30)}}
    assert params["data.buffer_fill"]["limits"] == {"yellow": {"high": 0.80},
                                                    "red": {"high": 0.95}}
    assert params["thermal.temp_k"]["limits"]["red"] == {"low": 233.0}
    cmds = {e["id"]: {c["name"]: c for c in e["commands"]} for e in d["elements"]}
    assert cmds["station"]["safe_mode_exit"]["significance"] == "critical"
    assert cmds["payload.command_center"]["power_off"]["significance"] == "critical"
    assert cmds["payload.biomedical_laboratory"]["power_off"]["significance"] == "watch"
    assert cmds["payload.biomedical_laboratory"]["power_on"]["significance"] == "none"
    arg = cmds["rover.lava_tube_explorer"]["drive"]["arguments"][0]
    assert (arg["name"], arg["type"], arg["unit"], arg["min"], arg["max"]) == (
        "distance_km", "float64", "km", 0.0, 100.0)
    # every command the description names is one the twin knows
    for eid, commands in cmds.items():
        for name in commands:
            r = live.execute(f"{eid}.{name}")
            assert r.accepted or "not landed yet" in r.reason or "traverse complete" in \
                r.reason, (eid, name, r.reason)
    assert len({i for i, _ in EVENT_TYPES.values()}) == len(EVENT_TYPES)
    assert {(e["source"], e["kind"]) for e in d["events"]} == set(EVENT_TYPES)


def test_fdir_acts_on_top_of_ground_release():
    """With a small battery FDIR sheds science in the night; ground's restore_science
    clears the shed, FDIR sheds again after the next step and the check fails."""
    s = _scenario("2031-08-01", "2032-03-31")
    s = s.model_copy(update={"rfcs": (), "batteries": tuple(
        b.model_copy(update={"capacity_wh": b.capacity_wh / 20}) for b in s.batteries)})
    live = LiveTwin.from_scenario(s)
    live.advance_to_utc("2031-12-20")
    for _ in range(3000):
        live.advance(600.0)
        if live.housekeeping().station.science_shed:
            break
    else:
        pytest.fail("FDIR never shed science")
    soc = live.housekeeping().station.soc
    assert soc < s.fdir.shed_science_soc
    live.drain_events()
    r = live.execute("station.restore_science")
    assert r.accepted and "FDIR's shed too" in r.reason
    assert not live.housekeeping().station.science_shed        # released at once ...
    live.advance(60.0)
    hk = live.housekeeping()
    assert hk.station.science_shed and not r.verified(hk.values)   # ... and shed again
    assert [(e.source, e.kind) for e in live.drain_events()] == [
        ("command", "executed"), ("fdir", "shed-science")]
