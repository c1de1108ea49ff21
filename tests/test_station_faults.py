"""Fault injection moves the KPIs in the expected direction, and lands in the event log."""

from __future__ import annotations

import platform

import numpy as np
import pytest

from ilrs.scale.alloc import keep_large_arrays_on_heap
from ilrs.sky.timescale import utc_to_tdb_s
from ilrs.station import Twin, load_scenario
from ilrs.station import faults as flt
from ilrs.station.config import Fault
from ilrs.station.faults import Occurrence, expand_faults


def scenario(start, stop, faults=(), **updates):
    sc = load_scenario(None)
    period = sc.period.model_copy(update={"start": start, "stop": stop, "step_s": 600.0})
    return sc.model_copy(update={"period": period, "faults": tuple(faults), **updates})


_GEOMETRY: dict = {}


def run(sc):
    """Run, sharing the (fault-independent) geometry between runs of the same period."""
    twin = Twin.from_scenario(sc)
    key = (sc.period.start, sc.period.stop)
    if key not in _GEOMETRY:
        start, stop = twin.period_tdb_s()
        n = int((stop - start) // sc.period.step_s)
        _GEOMETRY[key] = twin.geometry(start, start + n * sc.period.step_s)
    return twin.run(geometry=_GEOMETRY[key])


def fault(**kw):
    return Fault.model_validate(kw)


@pytest.fixture(scope="module")
def isru_window():
    return run(scenario("2033-08-01", "2033-10-01"))


def test_isru_stuck_lowers_o2_and_fdir_retries(isru_window):
    hit = run(scenario("2033-08-01", "2033-10-01",
                       [fault(kind="isru-stuck", at="2033-08-10", duration_h=60)]))
    assert hit.kpis["o2_produced_kg"] < isru_window.kpis["o2_produced_kg"]
    msgs = [e["message"] for e in hit.events_table() if e["source"] == "fdir"]
    assert "FDIR: ISRU restart attempt 1 failed" in msgs
    assert "FDIR: ISRU restart attempt 3 succeeded" in msgs  # 24 h retries after 60 h


def test_array_degradation_lowers_generation(isru_window):
    hit = run(scenario("2033-08-01", "2033-10-01", [
        fault(kind="array-degradation", at="2033-08-02", magnitude=0.7)]))  # all arrays
    base = isru_window.balance["generated_j"]
    assert hit.balance["generated_j"] < 0.4 * base
    assert hit.kpis["o2_produced_kg"] < isru_window.kpis["o2_produced_kg"]


def test_relay_outage_lowers_relay_contact_and_switches_to_dte():
    base = run(scenario("2032-03-01", "2032-04-01"))
    hit = run(scenario("2032-03-01", "2032-04-01",
                       [fault(kind="relay-outage", at="2032-03-05", duration_h=240)]))
    assert (hit.kpis["contact_availability"]["relay"]
            < base.kpis["contact_availability"]["relay"] - 0.25)
    assert hit.kpis["data_returned_gb"] <= base.kpis["data_returned_gb"]
    assert any("direct-to-Earth" in e["message"] for e in hit.events_table())


def test_battery_cell_loss_lowers_the_minimum_soc_through_a_night():
    base = run(scenario("2031-12-01", "2032-01-05"))
    hit = run(scenario("2031-12-01", "2032-01-05", [
        fault(kind="battery-cell-loss", at="2031-12-02", magnitude=0.4, target="battery-1")]))
    assert hit.kpis["min_soc"] < base.kpis["min_soc"] - 0.05
    assert hit.balance["capacity_loss_j"] > 0
    assert abs(hit.balance["residual_j"]) < 1e-12 * hit.balance["generated_j"]


def test_rover_fault_shortens_the_traverse():
    base = run(scenario("2032-09-15", "2032-10-15"))
    hit = run(scenario("2032-09-15", "2032-10-15", [
        fault(kind="rover-fault", at="2032-09-16", duration_h=24 * 14,
              target="lava-tube-explorer")]))
    assert (hit.kpis["rover_km"]["lava-tube-explorer"]
            < base.kpis["rover_km"]["lava-tube-explorer"])
    assert hit.kpis["rover_km"]["profiling-rover"] == base.kpis["rover_km"]["profiling-rover"]


def test_random_faults_are_seeded_and_poisson():
    t0, t1 = (float(x) for x in utc_to_tdb_s(["2031-01-01T00:00:00", "2041-01-01T00:00:00"]))

    def tdb(iso):
        return float(utc_to_tdb_s([iso if "T" in iso else iso + "T00:00:00"])[0])

    f = fault(kind="isru-stuck", rate_per_yr=10, duration_h=1, seed=7)
    a, _ = expand_faults([f], t0, t1, tdb, 24.0)
    b, _ = expand_faults([f], t0, t1, tdb, 24.0)
    assert a == b
    assert 100 - 4 * 10 < len(a) < 100 + 4 * 10  # Poisson mean 100, sd 10


def test_faults_only_hit_what_is_there():
    res = run(scenario("2031-08-01", "2031-12-31", [
        fault(kind="rover-fault", rate_per_yr=20, duration_h=1, seed=3),
        fault(kind="isru-stuck", at="2031-09-01", duration_h=1)]))
    assert res.kpis["faults"] == 0  # rovers come with ILRS-2, the ISRU plant with ILRS-3
    later = run(scenario("2032-09-01", "2032-12-31", [
        fault(kind="rover-fault", rate_per_yr=20, duration_h=1, seed=3)]))
    hits = [e["message"] for e in later.events_table() if e["source"] == "fault"]
    assert len(hits) > 0
    assert all(("lava-tube-explorer" in m) or ("profiling-rover" in m) for m in hits)


def test_a_fault_needs_exactly_one_trigger():
    with pytest.raises(ValueError, match="exactly one"):
        fault(kind="relay-outage", duration_h=1)
    with pytest.raises(ValueError, match="exactly one"):
        fault(kind="relay-outage", at="2033-01-01", rate_per_yr=1)


def test_fault_masks_match_their_definition_on_random_faults():
    """``blocked``, ``spans`` and ``factor`` act on index ranges of the ascending step
    times (the twin's hot path); they must equal the definitions: active while
    start ≤ t < end, and the product of (1 − magnitude) of the permanent losses begun."""
    rng = np.random.default_rng(7)
    t = np.sort(rng.uniform(0.0, 1000.0, 400))
    t[50:53] = t[50]                                            # equal times too
    occ = []
    for _ in range(40):
        start = float(rng.choice([*t[::37], *rng.uniform(-50.0, 1050.0, 5)]))
        end = np.inf if rng.random() < 0.3 else start + float(rng.uniform(0.0, 200.0))
        occ.append(Occurrence(str(rng.choice(["rover-fault", "battery-cell-loss"])), start,
                              end, float(rng.uniform(0.0, 0.5)),
                              rng.choice([None, "a", "b"])))
    for target in (None, "a", "b"):
        want = np.zeros(t.size, bool)
        for o in occ:
            if o.kind == "rover-fault" and (o.target is None or target in (None, o.target)):
                want |= (t >= o.start_tdb_s) & (t < o.end_tdb_s)
        assert np.array_equal(flt.blocked(occ, "rover-fault", target, t), want)
    for target in ("a", "b"):
        want = np.ones(t.size)
        for o in occ:
            if o.kind == "battery-cell-loss" and o.target in (None, target):
                want = want * np.where(t >= o.start_tdb_s, 1.0 - o.magnitude, 1.0)
        assert np.array_equal(flt.factor(occ, "battery-cell-loss", target, t), want)
    assert flt.factor([], "battery-cell-loss", "a", t) == 1.0


def test_large_arrays_stay_on_the_heap_in_workers():
    """Dask workers set MALLOC_TRIM_THRESHOLD_, which pins glibc's mmap threshold at
    128 KiB; studies raise it (see ilrs.scale.alloc). On glibc it takes effect."""
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt is glibc's")
    assert keep_large_arrays_on_heap() is True
    assert keep_large_arrays_on_heap() is True          # once per process, then a no-op
