"""``ilrs run``: the station twin's main job — report, figures, Parquet, KPIs, errors."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq

from ilrs.cli import main


def test_run_writes_report_figures_parquet_kpis_and_the_sky_section(capsys, tmp_path):
    assert main(["run", "--until", "2031-09-15", "--step", "600", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "reference: 2031-08-01" in out and "survival:" in out and "O2 produced" in out
    kpis = json.loads((tmp_path / "kpis.json").read_text())
    assert kpis["survival"]["ok"] is True
    assert kpis["station_missions"][0] == "ILRS-1"
    assert 0.0 < kpis["min_soc"] <= 1.0
    assert kpis["data_returned_gb"] > 0
    table = pq.read_table(tmp_path / "timeseries.parquet")
    assert table.num_rows == 46 * 24  # hourly bins, 2031-08-01 through 2031-09-15
    assert {"generation_j", "soc_min", "data_returned_bit"} <= set(table.column_names)
    events = json.loads((tmp_path / "events.json").read_text())
    assert events[0]["kind"] == "landing"
    for png in ("power-month", "thermal-month", "energy-yearly", "data-o2", "buildup", "events",
                "sky-tracks"):
        assert (tmp_path / f"{png}.png").stat().st_size > 10_000
    html = (tmp_path / "report.html").read_text()
    assert html.count(" src='data:image/png;base64,") == 7
    # the sky section: within the period run (2031-08-01 … 09-15), against the terrain
    summary = json.loads((tmp_path / "sky-summary.json").read_text())
    assert summary["start_utc"][:10] == "2031-08-01"
    assert summary["stop_utc"][:10] == "2031-09-15"
    # At 89.45° S the Sun's centre stays within ~±2.1° of the horizon (1.54° + 0.55°).
    assert -2.2 < summary["sun_elevation_min_deg"] < summary["sun_elevation_max_deg"] < 2.2
    assert 0.0 <= summary["sun_center_above_horizon_fraction"] <= 1.0
    assert summary["horizon"].startswith("terrain horizon (LOLA-derived reference)")
    assert np.isfinite(summary["earth_center_above_horizon_fraction"])
    assert "centre was above the terrain horizon" in html
    assert "sky of the site 2031-08-01 … 2031-09-15: Sun's centre above the terrain" in out


def test_run_with_a_scenario_file_and_an_ideal_horizon(capsys, tmp_path):
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text("""extends: reference
name: tiny-battery
site: {horizon: ideal}
batteries:
  - {id: battery-1, capacity_wh: 2000}
  - {id: battery-2, remove: true}
""")
    out_dir = tmp_path / "out"
    assert main(["run", str(scenario), "--until", "2031-08-20", "--step", "600",
                 "--out", str(out_dir)]) == 0
    kpis = json.loads((out_dir / "kpis.json").read_text())
    assert kpis["scenario"] == "tiny-battery"
    assert isinstance(kpis["survival"]["ok"], bool)


def test_run_errors_are_one_line(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: reference\nperiod:\n  step_s: -1\n")
    assert main(["run", str(bad), "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("error: ") and "bad.yaml:3: period.step_s" in err
    assert main(["run", "--until", "2020-01-01", "--out", str(tmp_path)]) == 1
    assert "period.stop" in capsys.readouterr().err
    assert main(["run", "--step", "0", "--out", str(tmp_path)]) == 1


def test_run_computes_horizons_from_dem_files(capsys, tmp_path):
    from ilrs.terrain.synthetic import write_synthetic

    dem = write_synthetic(tmp_path / "synth.tif", seed=4, size_px=512, pixel_m=100.0,
                          n_craters=50)
    out_dir = tmp_path / "out"
    assert main(["run", "--dem", str(dem), "--until", "2031-08-10", "--step", "600",
                 "--out", str(out_dir)]) == 0
    kpis = json.loads((out_dir / "kpis.json").read_text())
    assert kpis["steps"] == 10 * 144  # 2031-08-01 through 2031-08-10
