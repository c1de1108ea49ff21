"""Lighting maps: on a flat DEM every point must agree with the single-site tool on the
ideal sphere; tiles and schedulers must not change the answer; outputs are readable."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import xarray as xr

from ilrs.errors import InputError
from ilrs.lighting import lighting_stats, site_lighting
from ilrs.lighting.maps import MapSpec, best_spots, lighting_map, write_map
from ilrs.sky import Epochs, Site
from ilrs.terrain import Grid, PolarStereographic

START, STOP = "2030-01-01T00:00:00", "2030-03-01T00:00:00"


@pytest.fixture(scope="module")
def flat_dem(tmp_path_factory):
    """A 40 km square of the south-polar stereographic grid at 200 m, 0 m everywhere."""
    heights = np.zeros((200, 200), np.float32)
    grid = Grid(heights, -20_000.0, 20_000.0, 200.0, PolarStereographic.south())
    return grid.write_geotiff(tmp_path_factory.mktemp("dem") / "flat.tif",
                              description="flat test terrain")


@pytest.fixture(scope="module")
def flat_map(flat_dem):
    spec = MapSpec(-89.9, 45.0, size_km=1.5, resolution_m=500.0, mast_m=2.0,
                   n_azimuths=360, max_range_m=15_000.0)
    return lighting_map([flat_dem], spec, START, STOP, 3600.0, scheduler="inline",
                        progress=False, tile_px=2)


def test_flat_terrain_matches_the_ideal_sphere(flat_map):
    assert flat_map.sizes == {"y": 3, "x": 3}
    for iy in range(3):
        for ix in range(3):
            point = Site("p", float(flat_map.lat_deg[iy, ix]), float(flat_map.lon_deg[iy, ix]),
                         height_m=0.0, mast_m=2.0)
            stats = lighting_stats(site_lighting(point, Epochs.from_range(START, STOP, 3600.0)))
            assert float(flat_map.sun_any_pct[iy, ix]) == pytest.approx(stats.sun_any_pct,
                                                                         abs=0.3)
            assert float(flat_map.sun_mean_pct[iy, ix]) == pytest.approx(
                stats.sun_mean_fraction_pct, abs=0.5)
            assert float(flat_map.earth_any_pct[iy, ix]) == pytest.approx(stats.earth_any_pct,
                                                                           abs=0.3)
            assert float(flat_map.sun_longest_hidden_days[iy, ix]) == pytest.approx(
                stats.longest_night.days, abs=2 / 24)


def test_tiling_does_not_change_the_result(flat_dem, flat_map):
    spec = MapSpec(-89.9, 45.0, size_km=1.5, resolution_m=500.0, mast_m=2.0,
                   n_azimuths=360, max_range_m=15_000.0)
    other = lighting_map([flat_dem], spec, START, STOP, 3600.0, scheduler="inline",
                         progress=False, tile_px=3)
    xr.testing.assert_identical(other, flat_map)


def test_outputs_and_best_spots(flat_map, tmp_path):
    tif = write_map(flat_map, tmp_path / "map.tif")
    with rasterio.open(tif) as src:
        assert "sun_any_pct" in src.descriptions and src.crs is not None
        band = src.descriptions.index("sun_any_pct") + 1
        assert np.allclose(src.read(band), flat_map.sun_any_pct.values, atol=1e-4)
    nc = write_map(flat_map, tmp_path / "map.nc")
    assert xr.open_dataset(nc, engine="scipy").sun_any_pct.shape == (3, 3)
    spots = best_spots(flat_map, n=3, min_separation_m=600.0)
    assert len(spots) == 3
    assert spots[0]["sun_any_pct"] >= spots[1]["sun_any_pct"] >= spots[2]["sun_any_pct"]
    with pytest.raises(InputError):
        write_map(flat_map, tmp_path / "map.png")


def test_region_outside_the_dem_is_refused(flat_dem):
    with pytest.raises(InputError, match="without DEM data"):
        lighting_map([flat_dem], MapSpec(-85.0, 0.0, 1.0, 500.0), START, STOP, 3600.0,
                     scheduler="inline", progress=False)


def test_local_dask_cluster_gives_the_same_map(flat_dem, flat_map):
    """The default scheduler (a local Dask cluster on 127.0.0.1) changes nothing."""
    spec = MapSpec(-89.9, 45.0, size_km=1.5, resolution_m=500.0, mast_m=2.0,
                   n_azimuths=360, max_range_m=15_000.0)
    other = lighting_map([flat_dem], spec, START, STOP, 3600.0, scheduler="local",
                         progress=False, tile_px=2)
    xr.testing.assert_identical(other, flat_map)
