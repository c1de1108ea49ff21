"""``ilrs lighting site`` and ``ilrs lighting map`` end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio

from ilrs.cli import main
from ilrs.terrain import Grid, PolarStereographic


@pytest.fixture(scope="module")
def bumpy_dem(tmp_path_factory):
    """40 km square at 200 m around the pole: flat, with a 300 m Gaussian hill 3 km east."""
    x = -20_000.0 + 200.0 * (np.arange(200) + 0.5)
    xx, yy = np.meshgrid(x, x[::-1])
    heights = 300.0 * np.exp(-((xx - 3000.0) ** 2 + yy**2) / (2 * 800.0**2))
    grid = Grid(heights.astype(np.float32), -20_000.0, 20_000.0, 200.0,
                PolarStereographic.south())
    return grid.write_geotiff(tmp_path_factory.mktemp("dem") / "hill.tif",
                              description="test terrain: one hill")


def test_site_without_dem_says_ideal_sphere(capsys):
    assert main(["lighting", "site", "--lat", "-89.5", "--lon", "0", "--start", "2030-01-01",
                 "--stop", "2030-03-01", "--height", "2"]) == 0
    out = capsys.readouterr().out
    assert "ideal sphere" in out and "Sun: any part visible" in out


def test_site_json_with_dem_and_figures(capsys, bumpy_dem, tmp_path):
    png = tmp_path / "site.png"
    assert main(["lighting", "site", "--lat", "-90", "--lon", "0", "--start", "2030-01-01",
                 "--stop", "2030-04-01", "--dem", str(bumpy_dem), "--max-range-km", "15",
                 "--format", "json", "--png", str(png)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["horizon"].startswith("horizon from") and stats["ground_m"] == pytest.approx(
        300.0 * np.exp(-(3000.0**2) / (2 * 800.0**2)), abs=1.0)
    assert 0.0 <= stats["sun_any_pct"] <= 100.0 and stats["longest_night"]["days"] > 0
    assert png.stat().st_size > 20_000 and (tmp_path / "site-timeline.png").exists()


def test_map_writes_geotiff_png_and_best_spots(capsys, bumpy_dem, tmp_path):
    out, png = tmp_path / "map.tif", tmp_path / "map.png"
    assert main(["lighting", "map", "--dem", str(bumpy_dem), "--center-lat", "-89.95",
                 "--center-lon", "90", "--size-km", "2", "--resolution-m", "500", "--start",
                 "2030-01-01", "--stop", "2030-02-01", "--scheduler", "inline", "--out",
                 str(out), "--png", str(png), "--best", "2", "--max-range-km", "15"]) == 0
    assert "best 2 spots" in capsys.readouterr().out
    with rasterio.open(out) as src:
        assert src.count >= 8 and src.width == 4 and "+proj=stere" in src.crs.to_proj4()
    assert png.stat().st_size > 10_000


def test_map_bad_output_name(capsys, bumpy_dem):
    assert main(["lighting", "map", "--dem", str(bumpy_dem), "--center-lat", "-89.95",
                 "--center-lon", "90", "--start", "2030-01-01", "--stop", "2030-01-02",
                 "--out", "map.png"]) == 1
    assert ".tif or .nc" in capsys.readouterr().err
