"""Horizon profiles against exact analytic cases: the bare sphere, a ridge, a cone; the
azimuth convention of ``ilrs.sky.Site``; the nodata rule; files; input errors."""

import math

import numpy as np
import pytest

from ilrs.errors import DemError, InputError
from ilrs.sky.site import MOON_RADIUS_M as R
from ilrs.sky.site import Site
from ilrs.terrain import (
    Dem,
    Grid,
    HorizonProfile,
    PolarStereographic,
    TerrainStack,
    horizon_elevations,
    horizon_profile,
    horizon_profiles,
    site_on_dem,
)

PIXEL_M = 50.0
N_PX = 801  # pixel centres at multiples of 50 m from -20 km to +20 km; the pole is one


def _dem(tmp_path, heights, name="g", pixel=PIXEL_M) -> Dem:
    n = heights.shape[0]
    half = (n - 1) / 2 * pixel
    grid = Grid(heights.astype(np.float32), -half, half, pixel, PolarStereographic.south())
    return Dem(grid.write_npy(tmp_path / f"{name}.npy"))


def _axes(n=N_PX, pixel=PIXEL_M):
    half = (n - 1) / 2 * pixel
    return np.meshgrid(-half + np.arange(n) * pixel, half - np.arange(n) * pixel)


def _arc_m(rho_m):
    """Arc distance from the south pole of a map point at radius ρ (stereographic)."""
    return R * 2.0 * math.atan(rho_m / (2.0 * R))


def _elevation(h_t, d_m, r_o):
    th = d_m / R
    return math.atan2((R + h_t) * math.cos(th) - r_o, (R + h_t) * math.sin(th))


@pytest.mark.parametrize(("lat", "lon"), [(-90.0, 0.0), (-89.9, 30.0)])
@pytest.mark.parametrize("mast_m", [2.0, 10.0])
def test_bare_sphere_gives_the_geometric_dip(tmp_path, lat, lon, mast_m):
    """Flat terrain at the datum: the horizon is the dip arccos(R / (R + h)) all round."""
    dem = _dem(tmp_path, np.zeros((N_PX, N_PX)))
    site = site_on_dem(dem, lat, lon, mast_m=mast_m)
    profile = horizon_profile(dem, site, n_azimuths=72, max_range_m=15_000.0)
    dip = -math.acos(R / (R + mast_m))
    np.testing.assert_allclose(profile.elevation_rad, dip, atol=1e-8)


def test_bare_sphere_around_the_north_pole(tmp_path):
    half = (N_PX - 1) / 2 * PIXEL_M
    grid = Grid(
        np.zeros((N_PX, N_PX), np.float32), -half, half, PIXEL_M, PolarStereographic.north()
    )
    dem = Dem(grid.write_npy(tmp_path / "north.npy"))
    profile = horizon_profile(dem, site_on_dem(dem, 89.9, 123.0, 10.0), 36, 15_000.0)
    np.testing.assert_allclose(profile.elevation_rad, -math.acos(R / (R + 10.0)), atol=1e-8)


def test_isolated_ridge_of_known_height_and_distance(tmp_path):
    """A 400 m ridge whose flat crest starts 8 km north of the pole (map +Y, which is
    azimuth 0 at the pole): toward north the horizon is the crest edge's elevation."""
    _, y = _axes()
    crest_from, crest_to, height = 8_000.0, 8_500.0, 400.0
    h = (
        np.clip(
            np.minimum((y - (crest_from - 1_000.0)) / 1_000.0, (crest_to + 1_000.0 - y) / 1_000.0),
            0.0,
            1.0,
        )
        * height
    )
    dem = _dem(tmp_path, h)
    site = site_on_dem(dem, -90.0, 0.0, mast_m=2.0)
    profile = horizon_profile(dem, site, n_azimuths=360, max_range_m=15_000.0)
    expected = _elevation(height, _arc_m(crest_from), R + 2.0)
    step_m = PIXEL_M / 4
    tolerance = 2.0 * height * step_m / crest_from**2  # one lattice step past the edge
    assert profile.elevation_rad[0] == pytest.approx(expected, abs=tolerance)
    assert profile.elevation_rad[0] <= expected + 1e-12
    # along the ridge (east, +X) and away from it (south) the ground is the bare sphere
    dip = -math.acos(R / (R + 2.0))
    assert profile.elevation_rad[90] == pytest.approx(dip, abs=1e-8)
    assert profile.elevation_rad[180] == pytest.approx(dip, abs=1e-8)


def test_cone_due_east_of_the_pole(tmp_path):
    """A 300 m cone with its apex on the pixel centre 6 km along +X (east at the pole)."""
    x, y = _axes()
    apex_x, height, base_radius = 6_000.0, 300.0, 1_500.0
    h = np.clip(1.0 - np.hypot(x - apex_x, y) / base_radius, 0.0, None) * height
    dem = _dem(tmp_path, h)
    profile = horizon_profile(
        dem, site_on_dem(dem, -90.0, 0.0, 2.0), n_azimuths=720, max_range_m=15_000.0
    )
    expected = _elevation(height, _arc_m(apex_x), R + 2.0)
    slope = height / base_radius
    tolerance = 1.5 * slope * (PIXEL_M / 4) / apex_x
    assert int(np.argmax(profile.elevation_rad)) == 180  # 90°
    assert profile.elevation_rad[180] == pytest.approx(expected, abs=tolerance)


def test_azimuth_is_from_north_through_east_in_the_site_frame(tmp_path):
    """Off the pole, a cone put due east of the site by ``Site.enu`` shows at azimuth 90°."""
    site0 = Site("s", -89.8, 30.0)
    east, _, up = site0.enu
    ps = PolarStereographic.south()
    th = 5_000.0 / R
    cx, cy = ps.xy_from_vector(math.cos(th) * up + math.sin(th) * east)
    x, y = _axes()
    h = np.clip(1.0 - np.hypot(x - float(cx), y - float(cy)) / 1_000.0, 0.0, None) * 500.0
    dem = _dem(tmp_path, h)
    profile = horizon_profile(
        dem, site_on_dem(dem, -89.8, 30.0, 2.0), n_azimuths=360, max_range_m=15_000.0
    )
    assert abs(profile.azimuth_deg[int(np.argmax(profile.elevation_rad))] - 90.0) <= 1.0


def test_many_sites_at_once_equal_one_by_one(tmp_path):
    x, y = _axes()
    h = 300.0 * np.sin(x / 3_000.0) * np.cos(y / 4_000.0)
    dem = _dem(tmp_path, h)
    sites = [site_on_dem(dem, -89.9, lon, 2.0) for lon in (0.0, 100.0, 250.0)]
    together = horizon_profiles(dem, sites, n_azimuths=90, max_range_m=15_000.0)
    elevation_rad, reach_m, _ = horizon_elevations(dem, sites, 90, 15_000.0)
    assert elevation_rad.shape == reach_m.shape == (3, 90)
    for site, profile, row in zip(sites, together, elevation_rad, strict=True):
        np.testing.assert_array_equal(profile.elevation_rad, row)
        alone = horizon_profile(dem, site, n_azimuths=90, max_range_m=15_000.0)
        np.testing.assert_allclose(profile.elevation_rad, alone.elevation_rad, rtol=0, atol=1e-12)


def test_nodata_holes_fill_from_coarser_dem_or_never_raise_the_horizon(tmp_path):
    """The documented rule: a hole in a finer DEM is filled from the next coarser one; a
    hole no DEM can fill is skipped (it cannot raise the horizon) and counted."""
    x, y = _axes()
    peak = np.clip(1.0 - np.hypot(x, y - 6_000.0) / 800.0, 0.0, None) * 300.0
    holed = peak.copy()
    holed[np.hypot(x, y - 6_000.0) < 1_000.0] = np.nan
    fine = _dem(tmp_path, holed, "fine")
    coarse = _dem(tmp_path, peak, "coarse")
    site = site_on_dem(fine, -90.0, 0.0, 2.0)
    both = horizon_profile([fine, coarse], site, n_azimuths=360, max_range_m=15_000.0)
    assert both.elevation_rad[0] == pytest.approx(
        _elevation(300.0, _arc_m(6_000.0), R + 2.0), abs=3e-4
    )
    alone = horizon_profile(fine, site, n_azimuths=360, max_range_m=15_000.0)
    np.testing.assert_allclose(alone.elevation_rad, -math.acos(R / (R + 2.0)), atol=1e-8)
    assert TerrainStack.around(fine, site, 15_000.0).unfilled_px[0] > 0
    assert any(line.startswith("nodata:") for line in alone.provenance)
    with pytest.raises(DemError, match="hole"):
        site_on_dem(fine, -89.8, 0.0)  # 6 km toward lon 0: inside the hole


def test_site_outside_or_below_ground_is_refused(tmp_path):
    dem = _dem(tmp_path, np.full((N_PX, N_PX), 100.0))
    with pytest.raises(DemError):
        horizon_profile(dem, Site("far", -80.0, 0.0, 100.0), max_range_m=10_000.0)
    with pytest.raises(InputError, match="site_on_dem"):
        horizon_profile(dem, Site("buried", -90.0, 0.0, 0.0, 2.0), max_range_m=10_000.0)


def test_profiles_round_trip_through_csv_and_parquet(tmp_path):
    dem = _dem(tmp_path, np.zeros((N_PX, N_PX)))
    profile = horizon_profile(
        dem, site_on_dem(dem, -90.0, 0.0, 2.0, name="pole"), n_azimuths=24, max_range_m=10_000.0
    )
    for path in (tmp_path / "h.csv", tmp_path / "h.parquet"):
        back = HorizonProfile.load(
            profile.to_csv(path) if path.suffix == ".csv" else profile.to_parquet(path)
        )
        np.testing.assert_allclose(back.elevation_rad, profile.elevation_rad, atol=1e-7)
        np.testing.assert_allclose(back.azimuth_rad, profile.azimuth_rad, atol=1e-7)
        assert back.site == profile.site and back.provenance == profile.provenance


def test_a_profile_computed_elsewhere_loads_and_interpolates(tmp_path):
    path = tmp_path / "theirs.csv"
    path.write_text(
        "# from another tool\nazimuth_deg,elevation_deg\n0,1.0\n90,2.0\n180,3.0\n270,2.0\n"
    )
    profile = HorizonProfile.from_csv(path)
    assert profile.site is None and profile.provenance == ("from another tool",)
    assert math.degrees(float(profile.elevation_at(math.radians(315.0)))) == pytest.approx(1.5)
    path.write_text("azimuth_deg,elevation_deg\n-90,2.0\n0,1.0\n90,2.0\n180,3.0\n360,1.0\n")
    wrapped = HorizonProfile.from_csv(path)  # -180..180 convention, closing 360° row
    np.testing.assert_allclose(wrapped.azimuth_deg, [0.0, 90.0, 180.0, 270.0])
    np.testing.assert_allclose(wrapped.elevation_deg, [1.0, 2.0, 3.0, 2.0])
    path.write_text("azimuth_deg,elevation_deg\n0,x\n")
    with pytest.raises(InputError):
        HorizonProfile.from_csv(path)
    with pytest.raises(InputError):
        HorizonProfile(np.radians([10.0, 5.0]), np.zeros(2))
