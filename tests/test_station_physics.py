"""Station twin physics: conservation, arrays in the dark, eclipses, night survival, O2.

Runs are short windows of the reference scenario (real Connecting-Ridge horizon) at
10-minute steps; the dates come from the geometry itself (first long night Dec 2031,
partial eclipse of the Sun by the Earth on 2031-10-30 seen from the 10 m mast).
"""

from __future__ import annotations

import numpy as np
import pytest

from ilrs.sky.timescale import utc_to_tdb_s
from ilrs.station import Twin, load_scenario
from ilrs.station.components import J_PER_KWH


def scenario(start, stop, step_s=600.0, **updates):
    sc = load_scenario(None)
    period = sc.period.model_copy(update={"start": start, "stop": stop, "step_s": step_s,
                                          "geometry_step_s": 600.0})
    return sc.model_copy(update={"period": period, **updates})


def run(sc):
    return Twin.from_scenario(sc).run()


@pytest.fixture(scope="module")
def first_months():
    """ILRS-1 alone from its landing through its first long night (Dec 2031), 1-min steps."""
    return run(scenario("2031-08-01", "2032-01-15", step_s=60.0))


def test_energy_is_conserved_to_numerical_precision(first_months):
    b = first_months.balance
    assert b["generated_j"] > 1e11
    # in + arrived = delivered + stored + losses + curtailed + capacity loss
    assert abs(b["residual_j"]) < 1e-12 * b["generated_j"]
    assert b["discharged_j"] > 0 and b["battery_losses_j"] > 0


def test_conservation_over_the_whole_reference_period_with_isru_and_faults():
    res = run(scenario("first-landing", "2040-12-31", step_s=600.0))
    b = res.balance
    assert abs(b["residual_j"]) < 1e-12 * b["generated_j"]
    assert b["capacity_loss_j"] > 0  # the battery-cell-loss fault of 2036 and cycle fade
    # O2 mass = ISRU energy / 24 kWh per kg (Leger et al., PNAS 2025)
    o2 = res.kpis["o2_produced_kg"]
    # (to the rounding of summing 500,000 steps in another order)
    assert o2 == pytest.approx(b["delivered_isru_j"] / (24.0 * J_PER_KWH), rel=1e-9)
    assert o2 > 1000.0
    assert res.kpis["survival"]["ok"]


def test_arrays_give_nothing_without_sunlight(first_months):
    geo = first_months.geometry
    t = first_months.bin_tdb_s
    # bins whose whole hour the 10 m mast sees no part of the Sun
    dark = np.array([np.all(np.interp(np.linspace(x, x + 3600, 7), geo.tdb_s,
                                      geo.sun_fraction[10.0]) <= 0.0) for x in t])
    assert dark.sum() > 24  # the long night of December 2031
    assert np.all(first_months.series("generation_j")[dark] == 0.0)  # no RTG before ILRS-2
    assert np.all(first_months.series("generation_j")[~dark][:100] > 0.0)


def test_a_lunar_eclipse_dips_generation_on_its_date():
    res = run(scenario("2031-10-29T12:00:00", "2031-10-31", step_s=60.0))
    gen_w = res.mean_power_w("generation_j")
    hours = res.bin_utc()
    i = int(np.argmin(gen_w))
    assert str(hours[i])[:13] in ("2031-10-30T07", "2031-10-30T08")
    before = gen_w[: i - 3].mean()
    # about two thirds of the Sun hidden at greatest eclipse: hourly mean well below normal
    assert gen_w[i] < 0.75 * before
    assert np.all(gen_w[i + 3:] > 0.95 * before)


def test_an_undersized_battery_browns_out_in_the_first_long_night():
    sc = scenario("2031-08-01", "2032-01-05")
    small = tuple(b.model_copy(update={"capacity_wh": 20_000.0}) for b in sc.batteries)
    res = run(sc.model_copy(update={"batteries": small, "rfcs": ()}))
    surv = res.kpis["survival"]
    assert not surv["ok"]
    first = np.datetime64(surv["first_brownout_utc"][:19])
    # the first night of the 10 m mast: 2031-12-24T22:00 .. 2031-12-26T16:30 (geometry)
    assert np.datetime64("2031-12-24T22:00") < first < np.datetime64("2031-12-26T16:30")
    assert "darkness" in surv["brownouts"][0]["cause"]
    kinds = [(e["source"], e["kind"]) for e in res.events_table()]
    # FDIR sheds science, then enters safe mode, before the brown-out; the lumped thermal
    # node then cools below its limit
    assert kinds.index(("fdir", "shed-science")) < kinds.index(("fdir", "safe-mode")) < (
        kinds.index(("power", "brownout")))
    assert ("thermal", "below-limit") in kinds
    assert res.kpis["energy_not_served_kwh"]["survival"] > 0
    # the reference battery carries the same night, and so does the regenerative fuel cell
    # with the small battery
    assert run(sc).kpis["survival"]["ok"]
    with_rfc = run(sc.model_copy(update={"batteries": small}))
    assert with_rfc.kpis["survival"]["ok"]
    assert with_rfc.balance["rfc_fuel_cell_out_j"] > 0


def test_failed_missions_bring_nothing():
    sc = scenario("2031-08-01", "2031-08-10")
    sc = sc.model_copy(update={"campaign": sc.campaign.model_copy(update={
        "overrides": {"missions": [{"id": "ILRS-3", "status": "failed"}]}})})
    twin = Twin.from_scenario(sc)
    assert "ILRS-3" in twin.up.skipped and "ILRS-3" not in twin.up.station_missions
    assert not any(p.mission_id == "ILRS-3" for p in twin.up.payloads)


def test_interpolated_geometry_matches_direct_lighting():
    """The 10-min geometry grid interpolated to 1 min against ilrs.lighting at 1 min."""
    from ilrs.lighting import site_lighting
    from ilrs.sky import Epochs

    twin = Twin.from_scenario(scenario("2031-12-20", "2031-12-30"))
    start, stop = (float(x) for x in utc_to_tdb_s(["2031-12-20T00:00:00",
                                                    "2031-12-30T00:00:00"]))
    geo = twin.geometry(start, stop)
    epochs = Epochs(np.arange(start, stop, 60.0))
    horizon = geo.horizons[10.0]
    lit = site_lighting(horizon.site, epochs, horizon)
    interp = geo.at("sun_fraction", epochs.tdb_s, 10.0)
    assert np.abs(interp - lit.sun_fraction).mean() < 2e-3
    # sunlit/dark state agrees except within one coarse step of the edges
    assert np.mean((interp > 0) != (lit.sun_fraction > 0)) < 0.01


def test_full_resolution_window_agrees_with_the_hourly_series(first_months, tmp_path):
    full = first_months.full_resolution
    assert full is not None
    assert full["soc"].size == 6 * 1440  # 2032-01-10 through 2032-01-15 (end of run)
    np.testing.assert_allclose(np.diff(full["tdb_s"]), 60.0)
    # the hourly minimum SOC over the window is the minimum of the 1-min SOC
    t = first_months.bin_tdb_s
    in_window = (t >= full["tdb_s"][0]) & (t + 3600 <= full["tdb_s"][-1] + 60)
    assert first_months.series("soc_min")[in_window].min() == pytest.approx(full["soc"].min())
    paths = first_months.write(tmp_path)
    assert paths["timeseries_full"].stat().st_size > 10_000


def test_results_converge_with_the_time_step():
    """The same two months (first long nights, eclipse-free) at 1-min and 5-min steps."""
    fine = run(scenario("2031-12-15", "2032-02-15", step_s=60.0))
    coarse = run(scenario("2031-12-15", "2032-02-15", step_s=300.0))
    for key in ("generated_j", "delivered_survival_j", "delivered_comms_j"):
        assert coarse.balance[key] == pytest.approx(fine.balance[key], rel=5e-3), key
    assert coarse.kpis["min_soc"] == pytest.approx(fine.kpis["min_soc"], abs=0.01)


def test_an_ideal_horizon_site_from_a_site_object():
    from ilrs.campaign import Roadmap
    from ilrs.sky import Site

    sc = scenario("2031-08-01", "2031-08-30")
    sc = sc.model_copy(update={"site": sc.site.model_copy(update={"horizon": "ideal"})})
    site = Site("equator test", 0.0, 0.0, 0.0)
    res = Twin.from_campaign(Roadmap.load_builtin(), site, sc).run()
    # at the equator the Sun is up half of a synodic month: the night is half the hours
    assert res.geometry.site.lat_deg == 0.0
    gen = res.mean_power_w("generation_j")
    assert 0.45 < np.mean(gen == 0.0) < 0.55


def test_blocks_carry_the_state_over_exactly():
    """One-day blocks give what 30-day blocks give (state, bins, events, KPIs)."""
    sc = scenario("2032-09-01", "2032-10-20")  # rovers, science, buffer holds, faults
    twin = Twin.from_scenario(sc)
    long_blocks = twin.run()
    short_blocks = Twin.from_scenario(sc).run(geometry=long_blocks.geometry, block_days=1.0)
    np.testing.assert_allclose(short_blocks.agg, long_blocks.agg, rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(short_blocks.acc, long_blocks.acc, rtol=1e-12, atol=1e-6)
    assert short_blocks.events == long_blocks.events
    assert short_blocks.kpis == long_blocks.kpis
