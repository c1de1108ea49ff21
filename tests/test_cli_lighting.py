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
                 "--stop", "2030-03-01", "--height-above-ground", "2"]) == 0
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
    err = capsys.readouterr().err
    assert "--out: got 'map.png', expected a file named *.tif, *.tiff, *.nc" in err


def test_map_products_write_tif_nc_png_and_psr_table(capsys, lunar_dems, tmp_path):
    out = tmp_path / "products"
    args = ["lighting", "map", "--dem", str(lunar_dems[1]), "--dem", str(lunar_dems[2]),
            "--center-lat", "-89.6374", "--center-lon", "199.73", "--size-km", "0.96",
            "--resolution-m", "240", "--start", "2030-01-01", "--stop", "2030-02-01",
            "--step", "21600", "--scheduler", "inline", "--out", str(out), "--product", "all"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "permanently shadowed regions" in printed and "4 × 4 points" in printed
    for product in ("sun", "night", "earth", "sun-earth", "psr", "double-shadow"):
        for suffix in (".tif", ".nc", ".png"):
            assert (out / f"polar-{product}{suffix}").stat().st_size > 0
    with rasterio.open(out / "polar-night.tif") as src:
        assert src.descriptions == ("longest_night_days",) and src.tags(1)["units"] == "days"
        assert "2030-01-01" in src.tags()["provenance"]
    assert (out / "polar-sun.png").stat().st_size > 20_000
    assert len(list((out / "work").glob("tiles-*/tile-*.npz"))) == 1


def test_map_products_with_ensemble_write_sigma(capsys, lunar_dems, tmp_path):
    out = tmp_path / "ens"
    assert main(["lighting", "map", "--dem", str(lunar_dems[1]), "--dem", str(lunar_dems[2]),
                 "--center-lat", "-89.6374", "--center-lon", "199.73", "--size-km", "0.48",
                 "--resolution-m", "240", "--start", "2030-01-01", "--stop", "2030-01-15",
                 "--step", "21600", "--scheduler", "inline", "--out", str(out), "--product",
                 "sun", "--ensemble", "2"]) == 0
    assert "σ from 2 DEM clones" in capsys.readouterr().out
    with rasterio.open(out / "polar-sun.tif") as src:
        assert "sun_any_pct_sigma" in src.descriptions


def test_site_ensemble_reports_sigma(capsys, lunar_dems):
    assert main(["lighting", "site", "--lat", "-89.6374", "--lon", "199.73", "--start",
                 "2030-01-01", "--stop", "2030-01-10", "--step", "21600", "--dem",
                 str(lunar_dems[1]), "--dem", str(lunar_dems[2]), "--ensemble", "2",
                 "--format", "json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["ensemble"] == 2 and "white 1 m" in stats["error_model"]
    assert stats["sigma"]["sun_any_pct"] >= 0.0 and "earth_any_pct" in stats["sigma"]


def test_map_products_bad_input(capsys, bumpy_dem, tmp_path):
    base = ["lighting", "map", "--dem", str(bumpy_dem), "--center-lat", "-89.95",
            "--center-lon", "90", "--start", "2030-01-01", "--stop", "2030-01-02"]
    assert main([*base, "--out", str(tmp_path / "p"), "--product", "moonlight"]) == 1
    assert "moonlight" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "p.tif"), "--product", "sun"]) == 1
    assert "a folder" in capsys.readouterr().err
    assert main(["lighting", "site", "--lat", "-89.9", "--lon", "0", "--start", "2030-01-01",
                 "--stop", "2030-01-02", "--ensemble", "2"]) == 1
    assert "--dem" in capsys.readouterr().err
