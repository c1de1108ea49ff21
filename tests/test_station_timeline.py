"""Execution = plan: a timeline replaces the duty rules of the loads it covers, in
Twin.run and in the live twin driven by its time-tagged commands; what ran is recorded."""

from __future__ import annotations

import numpy as np
import pytest

from ilrs.errors import InputError
from ilrs.station import LiveTwin, Twin, load_scenario
from ilrs.station import _kernels as k
from ilrs.station.build import _tdb, payload_power_w, rover_power_w
from ilrs.station.config import Fault
from ilrs.station.schedule import fidelity
from ilrs.station.timeline import Entry, Timeline, timeline_commands

DAY = "2037-03-11"      # ILRS-1..5 on site; the Sun up all day, the Earth sets in the evening
H = 3600.0
LAB = "Biomedical laboratory"
ASCENDER = "Sample return ascender"           # the rules run it at duty 0.1
SAMPLES = "Sample collection rovers and return vehicle"


def _twin(start: str = DAY, stop: str = DAY, faults=()) -> Twin:
    s = load_scenario(None)
    s = s.model_copy(update={
        "period": s.period.model_copy(update={"start": start, "stop": stop}),
        "output": s.output.model_copy(update={"full_resolution_start": start,
                                              "full_resolution_days": 1.0}),
        "faults": tuple(faults)})
    return Twin.from_scenario(s)


@pytest.fixture(scope="module")
def twin() -> Twin:
    return _twin()


def _timeline(t0: float) -> Timeline:
    return Timeline.of(t0, t0 + 24 * H, [
        Entry("biomed-autonomous #0", f"payload:{LAB}", t0 + 2 * H, t0 + 5 * H),
        Entry("ascender-checkout #0", f"payload:{ASCENDER}", t0 + 1 * H, t0 + 3.5 * H),
        Entry("profiling-drive #0", "rover:profiling-rover", t0 + 1 * H, t0 + 3 * H,
              distance_km=0.36),                       # an hour's driving at 0.36 km/h
        Entry("crew-eva #0", "bus:eva", t0 + 6 * H, t0 + 8 * H, power_w=400.0),
    ], covers=[f"payload:{LAB}", f"payload:{ASCENDER}", "rover:profiling-rover"])


def test_twin_executes_exactly_the_timeline(twin):
    t0 = _tdb(DAY)
    tl = _timeline(t0)
    rules = twin.run()
    res = twin.run(timeline=tl)
    done = res.executed.executed()
    step = twin.scenario.period.step_s
    # each entry ran exactly its planned span (the drive: its distance, one hour)
    assert [d["runs_tdb_s"] for d in done] == [
        [(t0 + 2 * H, t0 + 5 * H)], [(t0 + 1 * H, t0 + 3.5 * H)], [(t0 + 1 * H, t0 + 2 * H)],
        [(t0 + 6 * H, t0 + 8 * H)]]
    assert done[2]["minutes_missed"] == {"distance": 60.0}
    f = fidelity(tl, res.executed)
    assert f["fraction"] == 1.0 and f["planned_minutes"] == 180 + 150 + 60 + 120
    # the science bus: the rules' load less the covered loads' rules plus the entries at
    # the twin's own power of each load (the visible Sun's day-to-night power), never a
    # declared figure
    cols, base = res.full_resolution, rules.full_resolution
    t = cols["tdb_s"]
    up, sc = twin.up, twin.scenario
    lab = next(p for p in up.payloads if p.name == LAB)
    asc = next(p for p in up.payloads if p.name == ASCENDER)
    sun = twin.geometry(t[0], t[-1]).at("sun_fraction", t, float(sc.site.element_mast_m))
    rover = next(r for r in sc.rovers if r.id == "profiling-rover")
    on_lab = (t >= t0 + 2 * H - 1) & (t < t0 + 5 * H - 1)
    on_asc = (t >= t0 + 1 * H - 1) & (t < t0 + 3.5 * H - 1)
    on_drv = (t >= t0 + 1 * H - 1) & (t < t0 + 2 * H - 1)
    on_eva = (t >= t0 + 6 * H - 1) & (t < t0 + 8 * H - 1)
    rule_lab = payload_power_w(lab, sun) * lab.duty          # "any": always by its rule
    rule_asc = payload_power_w(asc, sun) * asc.duty
    rule_drive = _rule_driving(twin, t, rover)
    expected = (base["science_demand_w"] - rule_lab - rule_asc
                - rule_drive * rover_power_w(rover)
                + on_lab * payload_power_w(lab, sun) + on_asc * payload_power_w(asc, sun)
                + on_drv * rover_power_w(rover) + on_eva * 400.0)
    np.testing.assert_allclose(cols["science_demand_w"], np.maximum(expected, 0.0),
                               atol=1e-6)
    assert step == 60.0 and t.size == 1440
    # a declared power is not what runs: the entry has none, the lab draws 1.2 kW
    assert cols["science_demand_w"][on_lab].min() > 1000.0


def _rule_driving(twin, t, rover) -> np.ndarray:
    """The profiling rover's rule (sunlit, in contact, first duty hours of the UTC day)."""
    from ilrs.station.build import block_inputs

    sc = twin.scenario
    inp = block_inputs(t, sc.period.step_s, sc, twin.up, twin.geometry(t[0], t[-1]), [],
                       np.zeros(len(sc.rovers)), twin.crew_visits_tdb())
    return inp.rover_driving[[r.id for r in sc.rovers].index(rover.id)].astype(float)


def test_a_rover_fault_stops_a_leg_and_is_recorded():
    t0 = _tdb(DAY)
    faulty = _twin(faults=[Fault(kind="rover-fault", at=f"{DAY}T01:29:30", duration_h=1.0,
                                 target="profiling-rover")])
    tl = Timeline.of(t0, t0 + 24 * H, [
        Entry("profiling-drive #0", "rover:profiling-rover", t0 + 1 * H, t0 + 3 * H)])
    res = faulty.run(timeline=tl)
    done = res.executed.executed()[0]
    assert done["runs_tdb_s"] == [(t0 + 1 * H, t0 + 1.5 * H), (t0 + 2.5 * H, t0 + 3 * H)]
    assert done["minutes_missed"] == {"fault": 60.0}
    assert fidelity(tl, res.executed)["fraction"] == pytest.approx(0.5)
    assert res.kpis["rover_km"]["profiling-rover"] == pytest.approx(0.36)


def test_the_live_twin_executes_the_timeline_through_its_commands(twin):
    """The commands a plan is delivered as (PUS 11 on board) execute the same timeline:
    the same runs, the same energy as Twin.run(timeline=...)."""
    t0 = _tdb(DAY)
    tl = _timeline(t0)
    res = twin.run(timeline=tl, block_days=1.0)
    live = LiveTwin.from_twin(twin)
    cmds = timeline_commands(tl, live.elements)
    names = [c.command for c in cmds]
    assert "payload.biomedical_laboratory.run" in names
    assert "rover.profiling_rover.drive_leg" in names
    assert "station.activity_start" in names
    results = live.run_commands(cmds, t0 + 24 * H)
    assert all(r.accepted for r in results), [r.reason for r in results if not r.accepted]
    f = fidelity(tl, live.onboard)
    assert f["fraction"] == 1.0, f
    assert live.acc[k.A_SERVED2] == pytest.approx(res.acc[k.A_SERVED2], rel=1e-9)
    assert live.acc[k.A_DATA_GEN] == pytest.approx(res.acc[k.A_DATA_GEN], rel=1e-9)
    # housekeeping shows a running payload at its full power (no duty factor)
    live2 = LiveTwin.from_twin(twin)
    live2.advance_to(t0 + 1 * H)
    assert live2.execute("payload.sample_return_ascender.run").accepted
    live2.advance(600.0)
    hk = live2.housekeeping().values
    assert hk["payload.sample_return_ascender.running"]
    assert hk["payload.sample_return_ascender.power_w"] > 150.0   # 200 W by day, not 20 W
    assert live2.execute("payload.sample_return_ascender.power_on").accepted
    live2.advance(600.0)
    assert live2.housekeeping().values["payload.sample_return_ascender.power_w"] < 25.0


def test_a_timeline_on_a_load_the_station_has_not_is_an_error(twin):
    t0 = _tdb(DAY)
    with pytest.raises(InputError, match="payload the station lands"):
        twin.run(timeline=Timeline.of(t0, t0 + H, [Entry("x #0", "payload:Nothing", t0,
                                                         t0 + H)]))
    with pytest.raises(InputError, match="science payload"):
        twin.run(timeline=Timeline.of(t0, t0 + H, [Entry("x #0", "payload:Command center",
                                                         t0, t0 + H)]))
    with pytest.raises(InputError, match="payload:<name>"):
        Entry("x #0", "heater:one", t0, t0 + H)
