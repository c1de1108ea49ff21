"""Polar stereographic conversions against PROJ (through rasterio) and SOURCE.md figures."""

import math

import numpy as np
import pytest
from rasterio.crs import CRS
from rasterio.warp import transform

from ilrs.errors import InputError
from ilrs.sky.site import MOON_RADIUS_M, Site
from ilrs.terrain import PolarStereographic, latlon_from_vector, vector_from_latlon

MOON_LONGLAT = CRS.from_proj4(f"+proj=longlat +R={MOON_RADIUS_M} +no_defs")
PROJECTIONS = [
    PolarStereographic.south(),
    PolarStereographic.north(),
    PolarStereographic(
        pole=-1,
        lon0_rad=math.radians(30.0),
        k0=0.994,
        false_easting_m=500.0,
        false_northing_m=-250.0,
    ),
]


@pytest.mark.parametrize("ps", PROJECTIONS, ids=["south", "north", "offset"])
def test_forward_matches_proj_to_a_micrometre(ps):
    rng = np.random.default_rng(7)
    lat = ps.pole * np.radians(rng.uniform(70.0, 90.0, 500))
    lon = rng.uniform(0.0, 2 * math.pi, 500)
    x, y = ps.xy_from_latlon(lat, lon)
    x_proj, y_proj = transform(
        MOON_LONGLAT, CRS.from_proj4(ps.proj4), np.degrees(lon), np.degrees(lat)
    )
    np.testing.assert_allclose(x, x_proj, atol=1e-6)
    np.testing.assert_allclose(y, y_proj, atol=1e-6)


@pytest.mark.parametrize("ps", PROJECTIONS, ids=["south", "north", "offset"])
def test_inverse_and_vector_paths_round_trip(ps):
    rng = np.random.default_rng(8)
    lat = ps.pole * np.radians(rng.uniform(60.0, 89.999, 300))
    lon = rng.uniform(0.0, 2 * math.pi, 300)
    x, y = ps.xy_from_latlon(lat, lon)
    lat2, lon2 = ps.latlon_from_xy(x, y)
    np.testing.assert_allclose(lat2, lat, atol=1e-13)
    np.testing.assert_allclose(np.angle(np.exp(1j * (lon2 - lon))), 0.0, atol=1e-12)
    # through Moon-fixed vectors (the kernel's rational path) and back
    v = vector_from_latlon(lat, lon, MOON_RADIUS_M + 1500.0)
    xv, yv = ps.xy_from_vector(v)
    np.testing.assert_allclose(xv, x, atol=1e-6)
    np.testing.assert_allclose(yv, y, atol=1e-6)
    lat3, _, r3 = latlon_from_vector(ps.vector_from_xy(x, y, 1500.0))
    np.testing.assert_allclose(lat3, lat, atol=1e-13)
    np.testing.assert_allclose(r3, MOON_RADIUS_M + 1500.0, rtol=1e-15)


def test_source_md_target_point_and_axes():
    """SOURCE.md: 89.45°S 222.69°E is at (X, Y) = (−11 308, −12 259) m; X = ρ sin(lon)
    (image right toward 90°E), Y = ρ cos(lon) (image up toward lon 0°)."""
    ps = PolarStereographic.south()
    x, y = ps.xy_from_latlon(math.radians(-89.45), math.radians(222.69))
    assert abs(float(x) - (-11_308)) < 1.0 and abs(float(y) - (-12_259)) < 1.0
    x90, y90 = ps.xy_from_latlon(math.radians(-89.0), math.radians(90.0))
    assert float(x90) > 30_000 and abs(float(y90)) < 1e-6
    x0, y0 = ps.xy_from_latlon(math.radians(-89.0), 0.0)
    assert float(y0) > 30_000 and abs(float(x0)) < 1e-6


def test_pole_local_frame_matches_the_sky_convention():
    """At the exact south pole ``Site`` puts north toward lon 0° (ME +X) and east toward 90°E:
    in the map, north is +Y and east is +X."""
    enu = Site("pole", -90.0, 0.0).enu
    ps = PolarStereographic.south()
    step = 1e-4
    for row, (dx, dy) in zip(enu[:2], [(1.0, 0.0), (0.0, 1.0)], strict=True):
        p = np.array([0.0, 0.0, -1.0]) + step * row
        x, y = ps.xy_from_vector(p)
        direction = np.array([float(x), float(y)]) / math.hypot(float(x), float(y))
        np.testing.assert_allclose(direction, [dx, dy], atol=1e-9)


def test_scale_factor_is_snyder_21_4():
    ps = PolarStereographic.south()
    lat = math.radians(-80.0)
    x, y = ps.xy_from_latlon(lat, 0.3)
    assert float(ps.scale_factor(x, y)) == pytest.approx(2.0 / (1.0 + math.sin(-lat)), rel=1e-14)


def test_latitude_of_true_scale_matches_proj():
    """A product with +lat_ts (true scale away from the pole) gets k0 = (1 + |sin φts|) / 2."""
    proj4 = f"+proj=stere +lat_0=-90 +lat_ts=-71 +lon_0=0 +R={MOON_RADIUS_M} +units=m"
    ps = PolarStereographic.from_proj_dict(CRS.from_proj4(proj4).to_dict())
    lat, lon = np.radians([-80.0, -85.0, -89.5]), np.radians([10.0, 200.0, 300.0])
    x, y = ps.xy_from_latlon(lat, lon)
    x_proj, y_proj = transform(
        MOON_LONGLAT, CRS.from_proj4(proj4), np.degrees(lon), np.degrees(lat)
    )
    np.testing.assert_allclose(x, x_proj, atol=1e-6)
    np.testing.assert_allclose(y, y_proj, atol=1e-6)


def test_non_polar_or_ellipsoidal_crs_is_refused():
    with pytest.raises(InputError):
        PolarStereographic.from_proj_dict({"proj": "eqc", "R": MOON_RADIUS_M})
    with pytest.raises(InputError):
        PolarStereographic.from_proj_dict({"proj": "stere", "lat_0": 45, "R": MOON_RADIUS_M})
    with pytest.raises(InputError):
        PolarStereographic.from_proj_dict(
            {"proj": "stere", "lat_0": -90, "a": 6378137.0, "b": 6356752.3}
        )
    ps = PolarStereographic.from_proj_dict(
        {"proj": "stere", "lat_0": -90, "lat_ts": -90, "lon_0": 0, "R": MOON_RADIUS_M, "units": "m"}
    )
    assert ps == PolarStereographic.south()
