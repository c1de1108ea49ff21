"""The fast horizon kernel against the brute-force quarter-pixel ray march, on synthetic
terrain and on the real LOLA-derived DEMs (10 m + 240 m + far field) from ../shared."""

import math

import numpy as np
import pytest

from ilrs.terrain import (
    Dem,
    PolarStereographic,
    TerrainStack,
    brute_force_horizon,
    horizon_profiles,
    site_on_dem,
)
from ilrs.terrain.synthetic import synthetic_terrain

#: The issue's accuracy goal for the fast kernel: 0.02° of horizon elevation.
GOAL_RAD = math.radians(0.02)


@pytest.fixture(scope="module")
def synthetic_dem(tmp_path_factory):
    terrain = synthetic_terrain(seed=11, size_px=384, pixel_m=100.0, n_craters=300)
    return Dem(
        terrain.grid.write_npy(tmp_path_factory.mktemp("synth") / "synth.npy", synthetic=True)
    )


def _sites(dem, n, seed, half_m):
    rng = np.random.default_rng(seed)
    lat, lon = PolarStereographic.south().latlon_from_xy(
        rng.uniform(-half_m, half_m, n), rng.uniform(-half_m, half_m, n)
    )
    return [
        site_on_dem(dem, math.degrees(a), math.degrees(b), mast_m=float(m))
        for a, b, m in zip(lat, lon, rng.choice([0.0, 2.0, 10.0], n), strict=True)
    ]


def test_without_step_growth_the_fast_kernel_equals_brute_force(synthetic_dem):
    """Skipping by the maximum mipmap never changes the answer: with growth 0 the fast
    kernel takes the same lattice samples that matter, so the profiles agree to rounding."""
    sites = _sites(synthetic_dem, 4, 1, 12_000.0)
    stack = TerrainStack.around(synthetic_dem, sites, 15_000.0)
    fast = horizon_profiles(None, sites, 180, 15_000.0, stack=stack, exact=True)
    for site, profile in zip(sites, fast, strict=True):
        slow = brute_force_horizon(stack, site, 180, 15_000.0)
        np.testing.assert_allclose(profile.elevation_rad, slow.elevation_rad, atol=1e-11)


def test_with_default_step_growth_the_error_stays_under_the_goal(synthetic_dem):
    sites = _sites(synthetic_dem, 4, 2, 12_000.0)
    stack = TerrainStack.around(synthetic_dem, sites, 20_000.0)
    fast = horizon_profiles(None, sites, 180, 20_000.0, stack=stack)
    for site, profile in zip(sites, fast, strict=True):
        slow = brute_force_horizon(stack, site, 180, 20_000.0)
        assert np.abs(profile.elevation_rad - slow.elevation_rad).max() < GOAL_RAD / 2
        assert "SYNTHETIC terrain, not real lunar data" in profile.provenance


def test_real_terrain_connecting_ridge_against_brute_force(lunar_dem_dir):
    dems = [
        Dem(lunar_dem_dir / name)
        for name in (
            "pgda_site01_connecting_ridge_10m.tif",
            "ldem75s120m_southpole_240m.tif",
            "ldem75s120m_southpole_far_1787m.tif",
        )
    ]
    sites = [site_on_dem(dems, -89.45, 222.69, 2.0), site_on_dem(dems, -89.52, 215.0, 10.0)]
    stack = TerrainStack.around(dems, sites, 300_000.0)
    assert [g.pixel_m for g in stack.grids] == [10.0, 240.0, 1786.875]
    fast = horizon_profiles(None, sites, 120, 300_000.0, stack=stack)
    for site, profile in zip(sites, fast, strict=True):
        slow = brute_force_horizon(stack, site, 120, 300_000.0)
        assert np.abs(profile.elevation_rad - slow.elevation_rad).max() < GOAL_RAD
        assert profile.reach_m.min() == 300_000.0  # the far field covers every ray
