"""All-points horizons against the per-point reference kernel, on every pixel and azimuth of
real LOLA tiles (the shared data of ``../shared/data/lunar-dem``, see its SOURCE.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ilrs.errors import InputError
from ilrs.sky import Site
from ilrs.terrain import TerrainStack, as_dems, horizon_elevations
from ilrs.terrain.allpoints import grid_horizons, grid_sites, ground_on_grid

#: The issue's tolerance (issue 13): every pixel and azimuth within 0.05°.
TOLERANCE_DEG = 0.05


def _reference(dems, x, y, mast_m, n_az, range_m, *, exact):
    lat, lon = grid_sites(dems[0].projection, x, y)
    corners = [Site("c", float(lat[i, j]), float(lon[i, j])) for i in (0, -1) for j in (0, -1)]
    stack = TerrainStack.around(dems, corners, range_m)
    ground = ground_on_grid(stack, x, y)
    sites = [Site("p", float(a), float(b), height_m=float(h), mast_m=mast_m)
             for a, b, h in zip(lat.ravel(), lon.ravel(), ground.ravel(), strict=True)]
    elevation, _, _ = horizon_elevations(dems, sites, n_az, range_m, stack=stack, exact=exact)
    return stack, ground, elevation.reshape(y.size, x.size, n_az)


def _axes(dem, lat_deg, lon_deg, n, spacing_m):
    x0, y0 = dem.projection.xy_from_latlon(math.radians(lat_deg), math.radians(lon_deg))
    offsets = (np.arange(n) - (n - 1) / 2) * spacing_m
    return float(x0) + offsets, float(y0) - offsets


@pytest.mark.parametrize("exact", [True, False])
def test_connecting_ridge_tile_matches_per_point_kernel(lunar_dems, exact):
    """10 m PGDA Site01 + 240 m + far field; 7 × 7 points 40 m apart, 720 azimuths, 300 km."""
    dems = as_dems(lunar_dems)
    x, y = _axes(dems[0], -89.45, 222.69, 7, 40.0)
    stack, ground, reference = _reference(dems, x, y, 2.0, 720, 300_000.0, exact=exact)
    got = grid_horizons(dems, x, y, 2.0, 720, 300_000.0, stack=stack, ground_m=ground,
                        exact=exact, block_px=3)
    diff_deg = np.degrees(np.abs(got.elevation_rad - reference))
    assert diff_deg.max() <= (1e-4 if exact else TOLERANCE_DEG), diff_deg.max()
    assert np.ptp(reference) > math.radians(3.0)  # real relief, not a flat tile


def test_default_blocks_on_a_ridge_tile(lunar_dems):
    """The default blocks (8 × 8, one full and partial ones) and the near field's rings on
    10 × 10 points of the Connecting Ridge, exact lattice both ways."""
    dems = as_dems(lunar_dems)
    x, y = _axes(dems[0], -89.45, 222.69, 10, 40.0)
    stack, ground, reference = _reference(dems, x, y, 2.0, 720, 300_000.0, exact=True)
    got = grid_horizons(dems, x, y, 2.0, 720, 300_000.0, stack=stack, ground_m=ground,
                        exact=True)
    assert np.degrees(np.abs(got.elevation_rad - reference)).max() <= 1e-4


def test_shackleton_rim_tile_on_the_240m_grid(lunar_dems):
    """Every pixel of a 9 × 9 tile of LDEM_75S_120M (240 m) over the Shackleton rim and
    into the crater, where horizons reach 20°+, exact lattice both ways."""
    dems = as_dems(lunar_dems[1:])
    x, y = _axes(dems[0], -89.67, 200.0, 9, 240.0)
    stack, ground, reference = _reference(dems, x, y, 2.0, 720, 300_000.0, exact=True)
    got = grid_horizons(dems, x, y, 2.0, 720, 300_000.0, stack=stack, ground_m=ground,
                        exact=True)
    assert np.degrees(np.abs(got.elevation_rad - reference)).max() <= 1e-4
    assert np.degrees(reference.max()) > 10.0


def test_band_gives_the_horizon_clamped_to_it(lunar_dems):
    dems = as_dems(lunar_dems)
    x, y = _axes(dems[0], -89.45, 222.69, 5, 40.0)
    stack, ground, reference = _reference(dems, x, y, 2.0, 360, 300_000.0, exact=True)
    band = (math.radians(-1.0), math.radians(1.5))
    got = grid_horizons(dems, x, y, 2.0, 360, 300_000.0, stack=stack, ground_m=ground,
                        exact=True, band_rad=band)
    clamped = np.clip(reference, *band)
    assert np.degrees(np.abs(got.elevation_rad - clamped)).max() <= 1e-4
    assert (reference < band[0]).any() and (reference > band[1]).any()


def test_frames_match_site(lunar_dems):
    dems = as_dems(lunar_dems[1:])
    x, y = _axes(dems[0], -89.0, 30.0, 2, 240.0)
    got = grid_horizons(dems, x, y, 0.0, 8, 5_000.0)
    lat, lon = grid_sites(dems[0].projection, x, y)
    assert np.allclose(got.enu[1, 0], Site("p", float(lat[1, 0]), float(lon[1, 0])).enu,
                       atol=1e-12)


def test_bad_input_is_refused(lunar_dems):
    dems = as_dems(lunar_dems[1:])
    with pytest.raises(InputError, match="grid axes"):
        grid_horizons(dems, [], [0.0])
    with pytest.raises(InputError, match="block_px"):
        grid_horizons(dems, [0.0], [0.0], block_px=0)
    with pytest.raises(InputError, match="ground heights"):
        grid_horizons(dems, [0.0, 240.0], [0.0], ground_m=np.zeros((2, 2)))


def test_band_per_azimuth_from_the_sun_and_earth(lunar_dems, sky):
    """The band a map uses (per azimuth bin, from the Sun's and the Earth's tracks over a
    year): the near field stops at each bin's ceiling and leaves out what lies below the
    lowest floor, and the result is still the exact horizon clamped bin by bin."""
    from ilrs.lighting.maps import body_band, body_tracks
    from ilrs.sky import Epochs

    dems = as_dems(lunar_dems)
    x, y = _axes(dems[0], -89.45, 222.69, 5, 40.0)
    stack, ground, reference = _reference(dems, x, y, 2.0, 360, 300_000.0, exact=True)
    lat, lon = grid_sites(dems[0].projection, x, y)
    corners = np.stack([Site("c", float(lat[i, j]), float(lon[i, j])).enu
                        for i in (0, -1) for j in (0, -1)])
    tracks = body_tracks(Site("ridge", -89.45, 222.69, height_m=1950.0), Epochs.from_range(
        "2030-01-01T00:00:00", "2030-12-31T18:00:00", 6 * 3600.0), sky)
    band = body_band(corners, tracks, 360)
    got = grid_horizons(dems, x, y, 2.0, 360, 300_000.0, stack=stack, ground_m=ground,
                        exact=True, band_rad=band)
    clamped = np.clip(reference, band[0], band[1])
    assert np.degrees(np.abs(got.elevation_rad - clamped)).max() <= 1e-4
    assert (reference > band[1]).any() and (reference < band[0]).any()
    assert np.ptp(band[0]) > math.radians(3.0)  # the floor really varies with azimuth
