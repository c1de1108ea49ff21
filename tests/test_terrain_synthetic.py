"""Synthetic terrain: deterministic, labelled SYNTHETIC, lunar crater statistics (N(>D) ∝
D^-2), a Shackleton-like crater ≈ 21 km across and ≈ 4 km deep, a real LOLA-projection file."""

import math

import numpy as np
import pytest

from ilrs.terrain import Dem, PolarStereographic
from ilrs.terrain.synthetic import (
    SFD_SLOPE,
    SHACKLETON_DIAMETER_M,
    SHACKLETON_XY_M,
    synthetic_terrain,
    write_synthetic,
)


@pytest.fixture(scope="module")
def terrain():
    return synthetic_terrain(seed=5, size_px=768, pixel_m=60.0)


def test_same_seed_same_terrain_other_seed_other_terrain():
    a = synthetic_terrain(seed=3, size_px=128, pixel_m=200.0, n_craters=50)
    b = synthetic_terrain(seed=3, size_px=128, pixel_m=200.0, n_craters=50)
    c = synthetic_terrain(seed=4, size_px=128, pixel_m=200.0, n_craters=50)
    np.testing.assert_array_equal(a.grid.heights_m, b.grid.heights_m)
    assert not np.array_equal(a.grid.heights_m, c.grid.heights_m)


def test_crater_sizes_follow_the_lunar_power_law(terrain):
    """Maximum-likelihood slope of N(>D) ∝ D^-b (Clauset et al. 2009, eq. 3.1) on the
    catalogue: b ≈ 2, the small-crater branch of the lunar production function."""
    d = terrain.crater_diameter_m[:-1]  # the last one is the Shackleton-like crater
    d_min = d.min()
    b_hat = d.size / float(np.sum(np.log(d / d_min)))
    # the sizes are truncated at D_max, which biases b_hat up by a little
    assert b_hat == pytest.approx(SFD_SLOPE, abs=0.3)


def test_shackleton_like_crater_is_21_km_across_and_4_km_deep(terrain):
    grid = terrain.grid
    cx, cy = SHACKLETON_XY_M
    floor = float(grid.sample([cx], [cy])[0])
    az = np.linspace(0, 2 * math.pi, 90, endpoint=False)
    radii = np.arange(6_000.0, 14_000.0, 120.0)
    profile = np.array(
        [np.nanmean(grid.sample(cx + r * np.sin(az), cy + r * np.cos(az))) for r in radii]
    )
    rim_radius = radii[int(np.argmax(profile))]
    assert 2 * rim_radius == pytest.approx(SHACKLETON_DIAMETER_M, abs=1_000.0)
    assert profile.max() - floor == pytest.approx(4_000.0, abs=400.0)


def test_written_as_labelled_lola_projection_geotiff(tmp_path):
    path = write_synthetic(tmp_path / "synth.tif", seed=2, size_px=128, pixel_m=200.0, n_craters=30)
    with Dem(path) as dem:
        assert dem.synthetic and "SYNTHETIC" in dem.description
        assert dem.projection.same_as(PolarStereographic.south())
        assert dem.pixel_m == 200.0
        assert math.isfinite(dem.height_at(-90.0, 0.0))
    import rasterio

    with rasterio.open(path) as ds:
        assert ds.tags()["SYNTHETIC"] == "yes"
        assert "SYNTHETIC" in ds.descriptions[0]
    npy = write_synthetic(tmp_path / "synth.npy", seed=2, size_px=64, pixel_m=200.0, n_craters=5)
    with Dem(npy) as dem:
        assert dem.synthetic
