"""Thermal survival in studies: ``--vary thermal.*`` reaches the physics, and the battery
that carries a lander's node through the longest night against a hand calculation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ilrs.lighting.stats import runs
from ilrs.lighting.visibility import site_lighting
from ilrs.sky import Epochs
from ilrs.station import Twin, load_scenario
from ilrs.station import _thermal_kernels as tk
from ilrs.station.thermal import surface_for
from ilrs.study import size, sweep
from ilrs.study.runner import StudyBase
from ilrs.terrain.reference import reference_horizon

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "night-survival.yaml"


def _month():
    sc = load_scenario(EXAMPLE)
    return sc.model_copy(update={"period": sc.period.model_copy(update={
        "start": "2031-12-15", "stop": "2032-01-05"})})


def test_vary_thermal_fields_reaches_the_physics(tmp_path):
    """Conductance to the ground, RHUs and the regolith's albedo, each swept: more
    conductance more heater energy, RHUs less, a darker regolith a warmer surface."""
    res = sweep(_month(), {"thermal.nodes.thermal-1.conductance_w_per_k": [1.5, 3.0],
                           "thermal.rhus.rhu-1.count": [0.0, 100.0],
                           "thermal.regolith.albedo": [0.07, 0.3]},
                scheduler="inline", progress=False, out_dir=tmp_path)
    rows = {(r["thermal.nodes.thermal-1.conductance_w_per_k"], r["thermal.rhus.rhu-1.count"],
             r["thermal.regolith.albedo"]): r for r in res.rows}
    assert len(rows) == 8
    for rhu in (0.0, 100.0):
        for albedo in (0.07, 0.3):
            lo, hi = rows[(1.5, rhu, albedo)], rows[(3.0, rhu, albedo)]
            assert hi["heater_kwh"] > lo["heater_kwh"] > 0.0
            assert hi["heater_night_max_kwh"] > lo["heater_night_max_kwh"]
    for g in (1.5, 3.0):
        for albedo in (0.07, 0.3):
            saved = rows[(g, 0.0, albedo)]["heater_kwh"] - rows[(g, 100.0, albedo)]["heater_kwh"]
            hours = 22 * 24                            # the whole span: ILRS-1 is there
            assert saved == pytest.approx(100 * 0.99 * hours / 1000, rel=0.02)
    dark, bright = rows[(1.5, 0.0, 0.07)], rows[(1.5, 0.0, 0.3)]
    assert dark["surface_mean_k"] > bright["surface_mean_k"]
    assert all(r["node_min_k"] == pytest.approx(253.0, abs=0.01) for r in res.rows)


def test_size_battery_for_a_lander_night_against_the_hand_calculation():
    """The battery must carry the 1 kW and the node's heater through the longest night of
    the arrays: capacity ≥ night × (1 kW + heater) / η_discharge, the night from
    ilrs.lighting over the real 10 m horizon and the heater by hand from the node's
    losses at its set point over the computed surface of that night."""
    sc = load_scenario(EXAMPLE)
    res = size(sc, "batteries.battery-1.capacity_wh", "survival")
    assert res.met and len(res.runs) <= 12
    start, stop = StudyBase.of(sc).span_tdb_s()
    horizon = reference_horizon(10.0)
    t = np.arange(start, stop + 1.0, 60.0)
    lit = site_lighting(horizon.site, Epochs(t), horizon)
    first, lengths = runs(lit.sun_fraction <= 0.0)
    k = int(np.argmax(lengths))
    night_h = lengths[k] / 60.0
    assert night_h > 24.0
    twin = Twin.from_scenario(sc)
    surface = surface_for(twin.geometry(start, stop), sc).at(t[first[k]:first[k] + lengths[k]])
    node = sc.thermal.nodes[0]
    ts, ts4, tset, sky = surface.mean(), (surface ** 4).mean(), node.setpoint_k, 3.0
    heater_w = (node.conductance_w_per_k * (tset - ts) + node.emissivity
                * node.radiating_area_m2 * tk.SIGMA * (node.view_factor_sky * (tset ** 4
                                                                                - sky ** 4)
                                                       + node.view_factor_surface
                                                       * (tset ** 4 - ts4))
                - node.internal_w)
    assert 300.0 < heater_w < 600.0
    hand_wh = night_h * (1000.0 + heater_w) / sc.batteries[0].discharge_efficiency
    assert hand_wh <= res.value <= 1.10 * hand_wh
    assert res.row["heater_night_max_kwh"] == pytest.approx(heater_w * night_h / 1000,
                                                            rel=0.05)
