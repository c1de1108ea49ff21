"""What-if correctness: the twin honours every input a user changes, or refuses it loudly.

- the scenario's site is the site simulated (the shipped reference horizon only at its own
  point; DEMs computed at the site; anywhere else one error naming file and line);
- the regenerative fuel cell serves only a bus deficit;
- ranges are inclusive of their stop;
- the 1-minute series follows the sky engine's eclipse contacts and the terrain sunrises
  to within one step (the geometry grid is refined around them);
- every scenario error names its file and line.
"""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys

import numpy as np
import pytest

from ilrs.errors import InputError, ScenarioFileError
from ilrs.sky import Epochs, Site, eclipse_contacts
from ilrs.sky.timescale import utc_to_tdb_s
from ilrs.station import Twin, load_scenario
from ilrs.station import _kernels as k
from ilrs.station import _thermal_kernels as tk
from ilrs.station.geometry import HorizonSource, distance_on_sphere_m, geometry_at
from ilrs.terrain import horizon_profile, site_on_dem
from ilrs.terrain.reference import reference_horizon

REF_LAT, REF_LON = -89.45, 222.69


def _write(tmp_path, text: str, name: str = "s.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _period(s, start: str, stop: str, **more):
    return s.model_copy(update={"period": s.period.model_copy(
        update={"start": start, "stop": stop, **more})})


# -- the site is the site simulated -------------------------------------------------------

def test_site_elsewhere_without_dem_is_refused_at_its_line(tmp_path):
    path = _write(tmp_path, "extends: reference\nname: elsewhere\nsite:\n"
                            "  lat_deg: -85\n  lon_deg: 0\n")
    with pytest.raises(ScenarioFileError) as err:
        Twin.from_scenario(path)
    e = err.value
    assert (e.file, e.line, e.path) == (str(path), 4, "site.lat_deg")
    assert "--dem" in str(e) and "horizon: ideal" in str(e)


def test_cli_refuses_site_elsewhere_in_one_line(tmp_path):
    path = _write(tmp_path, "extends: reference\nname: elsewhere\nsite:\n"
                            "  lat_deg: -85\n  lon_deg: 0\n")
    run = subprocess.run([sys.executable, "-m", "ilrs.cli", "run", str(path), "--until",
                          "2031-09-01", "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{path}:4" in lines[0] and "--dem" in lines[0]
    assert not (tmp_path / "out").exists()


def test_reference_horizon_holds_within_its_pixel_only():
    # 5 m from the point: the same DEM pixel of the 10 m Site01 patch
    dlat = math.degrees(5.0 / 1737.4e3)
    near = HorizonSource("reference", REF_LAT + dlat, REF_LON)
    assert near.profile(2.0).site.lat_deg == REF_LAT
    dlat = math.degrees(20.0 / 1737.4e3)
    with pytest.raises(InputError, match="reference horizon's own point"):
        HorizonSource("reference", REF_LAT + dlat, REF_LON)
    # the same point written with a negative longitude is the same point
    assert distance_on_sphere_m(REF_LAT, REF_LON, REF_LAT, REF_LON - 360.0) < 1e-6
    HorizonSource("reference", REF_LAT, REF_LON - 360.0)


def test_ideal_site_elsewhere_sees_its_own_sky(spice):
    """``horizon: ideal`` at 85° S 0° E: the twin's Sun elevation is that of 85° S (SPICE
    azimuth/elevation of the Sun from that point), not the reference site's."""
    s = load_scenario(None)
    s = s.model_copy(update={"site": s.site.model_copy(update={
        "lat_deg": -85.0, "lon_deg": 0.0, "horizon": "ideal", "height_m": 0.0})})
    twin = Twin.from_scenario(_period(s, "2032-03-01", "2032-03-02"))
    assert twin.horizon.kind == "ideal"
    t = utc_to_tdb_s(["2032-03-01T00:00:00", "2032-03-01T12:00:00"])
    geo = twin.geometry_at(t)
    site = Site("x", -85.0, 0.0, 0.0, twin.scenario.site.element_mast_m)
    for et, el in zip(t, geo.sun_elevation_rad[:2], strict=True):
        # the Sun seen from the antenna mast point, LT+S, in the ME-fixed frame
        mast = twin.scenario.comms.antenna_mast_m
        pos = Site("a", -85.0, 0.0, 0.0, mast).position_km
        v, _ = spice.spkcpo("SUN", float(et), "MOON_ME", "OBSERVER", "LT+S", pos, "MOON",
                            "MOON_ME")
        up = np.asarray(pos) / np.linalg.norm(pos)
        el_spice = math.asin(np.dot(up, np.asarray(v[:3])) / np.linalg.norm(v[:3]))
        assert el == pytest.approx(el_spice, abs=1e-6)
    assert site.lat_deg == geo.site.lat_deg == -85.0


def test_dems_compute_the_horizon_at_the_site(lunar_dems):
    """A site 1 km from the reference point with DEMs: its horizon is the one computed
    there (the terrain kernel directly), not the reference point's."""
    lat = REF_LAT + math.degrees(1000.0 / 1737.4e3)
    src = HorizonSource("reference", lat, REF_LON, dems=tuple(str(p) for p in lunar_dems))
    assert src.kind == "dem"
    got = src.profile(2.0)
    site = site_on_dem([str(p) for p in lunar_dems], lat, REF_LON, 2.0)
    want = horizon_profile([str(p) for p in lunar_dems], site, 720, 300_000.0)
    np.testing.assert_allclose(got.elevation_rad, want.elevation_rad, atol=1e-12)
    assert got.site.lat_deg == pytest.approx(lat)
    ref = reference_horizon(2.0)
    assert np.max(np.abs(got.elevation_rad - ref.elevation_rad)) > math.radians(0.2)
    assert src.describe()["source"] == "dem"


def test_dems_at_the_reference_point_reproduce_the_reference_horizon(lunar_dems):
    src = HorizonSource("dem", REF_LAT, REF_LON, dems=tuple(str(p) for p in lunar_dems))
    for mast in (2.0, 10.0):
        diff = src.profile(mast).elevation_rad - reference_horizon(mast).elevation_rad
        assert np.degrees(np.max(np.abs(diff))) < 0.05   # fast march vs exact, same data


def test_horizon_file_of_another_point_is_refused(tmp_path):
    ref = reference_horizon(2.0)
    path = ref.to_parquet(tmp_path / "h.parquet")
    HorizonSource(str(path), REF_LAT, REF_LON).profile(2.0)
    with pytest.raises(InputError, match="point of the horizon file"):
        HorizonSource(str(path), -85.0, 0.0).profile(2.0)


def test_kpis_name_the_horizon_source():
    s = load_scenario(None)
    res = Twin.from_scenario(_period(s, "2031-08-01", "2031-08-02", step_s=600.0)).run()
    h = res.kpis["horizon"]
    assert h["source"] == "reference" and h["lat_deg"] == REF_LAT
    assert h["ground_height_m"] == pytest.approx(1954.66, abs=0.01)


def test_min_soc_counts_only_steps_with_a_battery(tmp_path):
    """A period before any battery lands has no state of charge (it used to report 100 %,
    which a Monte Carlo trial whose ILRS-1 slipped past the period then averaged in); a
    battery landing mid-period counts from its landing."""
    s = load_scenario(None)
    before = Twin.from_scenario(_period(s, "2031-07-01", "2031-07-20", step_s=600.0)).run()
    assert before.kpis["min_soc"] is None
    assert np.isnan(before.table().column("soc_min").to_numpy()).all()
    landing = Twin.from_scenario(_period(s, "2031-07-25", "2031-09-30", step_s=600.0)).run()
    soc = landing.table().column("soc_min").to_numpy()
    t = landing.table().column("time_utc").to_numpy()
    assert np.isnan(soc[t < np.datetime64("2031-08-01")]).all()
    assert np.isfinite(soc[t >= np.datetime64("2031-08-01T01:00")]).all()
    assert landing.kpis["min_soc"] == pytest.approx(np.nanmin(soc))


# -- the fuel cell serves only a deficit ---------------------------------------------------

def _kernel_run(gen_w, load0_w, fc_on=True, tank_j=1e9):
    n = gen_w.size
    z = np.zeros(n)
    params = np.zeros(k.N_PARAMS)
    params[[k.P_DT, k.P_ETA_C, k.P_ETA_D, k.P_FLOOR]] = [60.0, 1.0, 1.0, 0.3]
    params[[k.P_ETA_EL, k.P_ETA_FC, k.P_EL_MAX_W, k.P_FC_MAX_W]] = [0.75, 0.5, 1e4, 5000.0]
    params[[k.P_RFC_ON_SOC, k.P_RFC_OFF_SOC, k.P_RFC_FILL]] = [0.5, 0.7, 1.0]
    params[[k.P_BUF_CAP, k.P_BUF_HOLD, k.P_BUF_RESUME, k.P_J_PER_KG_O2]] = [1, 1, 0.5, 1]
    params[[k.P_SHED, k.P_SAFE]] = [-1.0, -1.0]
    state = k.new_state()
    state[k.S_E] = state[k.S_CAPN] = 0.0
    state[k.S_RFC_ON] = 1.0 if fc_on else 0.0
    acc = k.new_accumulators()
    agg = k.new_aggregates(n)
    cap = np.full(n, 3.6e6)      # a 1 kWh battery, empty (held on by the SOC rule)
    ev = np.zeros(100, np.int64)
    no_nodes = np.zeros((n, 0))
    node_t, node_acc = k.new_node_state(0)
    k.run_block(gen_w, load0_w, z, z, z, z, z, z, cap, np.full(n, 1e4), z,
                no_nodes.astype(np.bool_), no_nodes, z, z, np.full(n, tank_j), params,
                np.zeros((0, tk.N_NPAR)), state, node_t, acc, node_acc, 1, agg,
                np.zeros(n, np.uint8), np.zeros(n), z.copy(), z.copy(), ev, ev.copy(),
                np.zeros(100))
    return agg


def test_fuel_cell_gives_the_deficit_only():
    # 3 kW of load: with 1 kW of generation the fuel cell gives 2 kW (not its 5 kW); with
    # 4 kW of generation it gives nothing, and the surplus charges the battery
    gen = np.array([1000.0, 4000.0, 0.0, 8000.0])
    agg = _kernel_run(gen, np.full(4, 3000.0))
    fc_w = agg[:, k.G_RFC_OUT] / 60.0
    np.testing.assert_allclose(fc_w, [2000.0, 0.0, 3000.0, 0.0])
    np.testing.assert_allclose(agg[:, k.G_SERVED0] / 60.0, 3000.0)
    assert agg[1, k.G_CHARGE] > 0 and agg[0, k.G_CHARGE] == 0 and agg[2, k.G_CHARGE] == 0


def test_reference_with_a_slow_charger_never_runs_the_fuel_cell_into_curtailment():
    """The case of the issue: a 3 kW charger makes power curtailed in daylight while the
    battery is still low; the fuel cell must not run then (it ran 20 h on 2032-01-25,
    95.8 kWh out while 230.8 kWh were curtailed)."""
    s = load_scenario(None)
    b = s.batteries[0].model_copy(update={"max_charge_w": 3000.0})
    s = s.model_copy(update={"batteries": (b, *s.batteries[1:]),
                             "output": s.output.model_copy(update={"aggregate_s": 60.0})})
    res = Twin.from_scenario(_period(s, "first-landing", "2032-01-31")).run()
    fc = res.agg[:, k.G_RFC_OUT] > 0
    assert fc.sum() > 60                           # the fuel cell does work in the nights
    assert not np.any(fc & (res.agg[:, k.G_CURTAILED] > 1e-6))
    assert not np.any(fc & (res.agg[:, k.G_CHARGE] > 1e-6))
    assert not np.any(fc & (res.agg[:, k.G_ISRU] > 1e-6))
    assert abs(res.balance["residual_j"]) < 1e-9 * res.balance["generated_j"]


# -- inclusive ranges ------------------------------------------------------------------------

@pytest.mark.parametrize("step_s", [60.0, 90.0, 600.0, 7.5])
def test_from_range_keeps_every_stop_on_the_grid(step_s):
    start = dt.datetime(2030, 1, 1)
    for minutes in range(0, 3 * 1440 + 1, 7):
        stop = start + dt.timedelta(minutes=minutes)
        e = Epochs.from_range(start.isoformat(), stop.isoformat(), step_s)
        want = math.floor(minutes * 60 / step_s) + 1      # datetime arithmetic, no leap
        assert len(e) == want, (stop, step_s)
        if (minutes * 60) % step_s == 0:
            assert e.utc_iso(0)[-1] == stop.isoformat()


def test_cli_sky_stop_is_inclusive():
    run = subprocess.run(
        [sys.executable, "-m", "ilrs.cli", "sky", "--lat", "-89.45", "--lon", "222.69",
         "--start", "2030-01-01T00:00:00", "--stop", "2030-01-01T00:02:00", "--step", "60",
         "--body", "sun", "--format", "csv"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    rows = [r for r in run.stdout.strip().splitlines() if r[:1].isdigit()]
    assert [r[:19] for r in rows] == ["2030-01-01T00:00:00", "2030-01-01T00:01:00",
                                      "2030-01-01T00:02:00"]


# -- contacts to within one step ---------------------------------------------------------------

def test_one_minute_series_follows_the_eclipse_contacts(sky):
    """The 2029-06-26 total eclipse seen from the reference site: the twin's per-step
    eclipse factor switches within 60 s of the sky engine's contacts (ilrs.sky, itself
    checked against SPICE in test_eclipse.py)."""
    s = load_scenario(None)
    twin = Twin.from_scenario(_period(s, "2029-06-25", "2029-06-27"))
    start = float(utc_to_tdb_s(["2029-06-25T12:00:00"])[0])
    t = start + 60.0 * np.arange(36 * 60)
    geo = twin.geometry(start, t[-1])
    h = geo.at("eclipse_hidden_fraction", t)
    site = geo.site
    events = eclipse_contacts(sky, site, Epochs(t[:1]), Epochs(t[-1:]))
    contacts = {e.kind: e.tdb_s for e in events}
    assert set(contacts) == {"partial_begin", "total_begin", "total_end", "partial_end"}
    ours = {"partial_begin": t[h > 0][0], "total_begin": t[h >= 1.0][0],
            "total_end": t[h >= 1.0][-1], "partial_end": t[h > 0][-1]}
    for kind, when in contacts.items():
        assert abs(ours[kind] - when) <= 60.0, kind


def test_one_minute_series_follows_terrain_sunrises_and_sunsets():
    """A month of nights at the reference site (2 m and 10 m masts, real horizon): the
    per-step lit phase (dark / partial / full disk) interpolated from the 10-minute grid
    switches within one step of the same phase computed directly at every minute."""
    s = load_scenario(None)
    twin = Twin.from_scenario(_period(s, "2032-01-01", "2032-02-01"))
    start, stop = twin.period_tdb_s()
    t = start + 60.0 * np.arange(int((stop - start) / 60.0) + 1)
    coarse = twin.geometry(start, stop)
    direct = twin.geometry_at(t)
    assert coarse.tdb_s.size < 0.2 * t.size             # refined only around the switches
    n_switch = 0
    for mast in (2.0, 10.0):
        def phase(f):
            return (f > 1e-12).astype(int) + (f >= 1 - 1e-12)
        want = phase(direct.sun_fraction[mast])
        got = phase(coarse.at("sun_fraction", t, mast))
        sw_want = t[1:][np.diff(want) != 0]
        sw_got = t[1:][np.diff(got) != 0]
        n_switch += sw_want.size
        for when in sw_want:
            assert np.min(np.abs(sw_got - when)) <= 60.0
        for when in sw_got:
            assert np.min(np.abs(sw_want - when)) <= 60.0
    assert n_switch >= 4


def test_geometry_in_pieces_equals_the_whole():
    s = load_scenario(None)
    twin = Twin.from_scenario(_period(s, "2032-01-01", "2032-01-15"))
    start, stop = twin.period_tdb_s()
    g = s.period.geometry_step_s
    grid = start + g * np.arange(int((stop - start) / g) + 2)
    whole = twin.geometry_at(grid)
    half = grid.size // 2
    a, b = twin.geometry_at(grid[: half + 1]), twin.geometry_at(grid[half:])
    t = np.concatenate([a.tdb_s, b.tdb_s[1:]])
    np.testing.assert_array_equal(t, whole.tdb_s)
    f = np.concatenate([a.sun_fraction[2.0], b.sun_fraction[2.0][1:]])
    np.testing.assert_array_equal(f, whole.sun_fraction[2.0])


# -- errors name file and line ------------------------------------------------------------------

def test_unknown_mission_names_file_and_line(tmp_path):
    path = _write(tmp_path, "extends: reference\nname: x\nbatteries:\n"
                            "  - {id: battery-1, arrives_with: ILRS-9}\n")
    with pytest.raises(ScenarioFileError) as err:
        Twin.from_scenario(path)
    assert (err.value.file, err.value.line) == (str(path), 4)
    assert "ILRS-9" in str(err.value) and "ILRS-1" in str(err.value)


def test_geometry_at_without_refinement_is_the_grid_itself():
    s = load_scenario(None)
    src = HorizonSource("reference", REF_LAT, REF_LON)
    t = utc_to_tdb_s(["2032-01-01T00:00:00"]) + 600.0 * np.arange(50)
    geo = geometry_at(src, [10.0], 2.0, t, None, 0.0, 0.0)
    np.testing.assert_array_equal(geo.tdb_s, t)
    assert s.period.geometry_step_s == 600.0


def test_misspelt_fault_target_and_payload_rule_are_refused(tmp_path):
    path = _write(tmp_path, "extends: reference\nname: x\nfaults:\n"
                            "  - {kind: array-degradation, at: 2032-01-01, magnitude: 0.5,\n"
                            "     target: array-1z}\n")
    with pytest.raises(ScenarioFileError, match="array-1a") as err:
        Twin.from_scenario(path)
    assert (err.value.file, err.value.line) == (str(path), 5)     # the line of target:
    path = _write(tmp_path, "extends: reference\nname: x\npayloads:\n"
                            "  Lunar seismometr: {condition: any}\n", "p.yaml")
    with pytest.raises(ScenarioFileError, match="payload name") as err:
        Twin.from_scenario(path)
    assert (err.value.file, err.value.line) == (str(path), 4)
