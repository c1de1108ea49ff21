"""Screened statistics (``ilrs.lighting._screened``) against the plain kernels that evaluate
every epoch (``ilrs.lighting._kernels``): the same results bit for bit, on real horizons
of the Connecting Ridge and on rough synthetic ones, with the groups' reference frames
near and far (up to 30 km) from their points, while most epochs are decided unevaluated."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ilrs.lighting import _kernels as k
from ilrs.lighting import _screened as sc
from ilrs.lighting.maps import body_tracks, screen_groups
from ilrs.sky import Epochs, Site
from ilrs.terrain import PolarStereographic, as_dems
from ilrs.terrain.allpoints import grid_horizons


@pytest.fixture(scope="module")
def year_tracks(sky):
    """The Sun (eclipse-weighted) and the Earth over 2030 at 3 h from the ridge."""
    epochs = Epochs.from_range("2030-01-01T00:00:00", "2030-12-31T21:00:00", 3 * 3600.0)
    return body_tracks(Site("ridge", -89.45, 222.69, height_m=1950.0), epochs, sky)


def _grid_frames(lat0_deg, lon0_deg, n, spacing_m):
    """Frames (n·n, 3, 3) of a north-up grid of the south-polar plane around a point."""
    proj = PolarStereographic.south()
    x0, y0 = proj.xy_from_latlon(math.radians(lat0_deg), math.radians(lon0_deg))
    off = (np.arange(n) - (n - 1) / 2) * spacing_m
    xx, yy = np.meshgrid(float(x0) + off, float(y0) - off)
    lat, lon = proj.latlon_from_xy(xx.ravel(), yy.ravel())
    return np.stack([Site("p", math.degrees(a), math.degrees(b)).enu
                     for a, b in zip(lat, lon, strict=True)])


def _synthetic_horizons(n_sites, n_az, seed):
    """Rough horizons (rad) around the Sun's and Earth's elevations: smooth waves plus
    bin-to-bin noise, so every branch of the screen is taken."""
    rng = np.random.default_rng(seed)
    az = np.arange(n_az) * 2 * math.pi / n_az
    h = np.zeros((n_sites, n_az))
    for m in (1, 2, 5, 17):
        h += rng.normal(0, 1.2 / m, (n_sites, 1)) * np.cos(m * az + rng.uniform(0, 6, (n_sites, 1)))
    h += rng.normal(0, 0.3, (n_sites, n_az))
    return np.ascontiguousarray(np.radians(h))


def _both_ways(horizons, enus, group, refs, track):
    n = horizons.shape[0]
    plain = [np.empty(n), np.empty(n), np.empty(n), np.empty(n, np.int64)]
    k.map_disk_stats(horizons, enus, track.unit_me, track.radius_rad, track.weight, *plain)
    t, t_min = sc.tracks_for_groups(refs, track.unit_me, horizons.shape[1])
    screened = [np.empty(n), np.empty(n), np.empty(n), np.empty(n, np.int64)]
    evaluated = np.empty(n, np.int64)
    sc.map_disk_stats(horizons, enus, group, refs, t, t_min, track.unit_me, track.radius_rad,
                      track.weight, *screened, evaluated)
    return plain, screened, evaluated


@pytest.mark.parametrize("spacing_m", [40.0, 240.0, 2_000.0])
def test_map_stats_identical_on_synthetic_horizons(year_tracks, spacing_m):
    """6 × 6 points in one group 200 m to 10 km across (its reference up to 7 km away)."""
    enus = _grid_frames(-89.45, 222.69, 6, spacing_m)
    horizons = _synthetic_horizons(36, 720, seed=int(spacing_m))
    group, refs = screen_groups(6, 6, 4000.0, enus)  # a group per point: its own frame
    one = np.zeros(36, np.int64), np.ascontiguousarray(enus[[14]])  # one group, centre 14
    for grouping in ((group, refs), one):
        for track in year_tracks.values():
            plain, screened, evaluated = _both_ways(horizons, enus, *grouping, track)
            for a, b in zip(plain, screened, strict=True):
                np.testing.assert_array_equal(a, b)
            assert evaluated.sum() < 0.6 * evaluated.size * track.weight.size


def test_reference_far_away_still_identical(year_tracks):
    """A reference frame 30 km from the points (tilt 1°): bounds are wide, still exact."""
    enus = _grid_frames(-89.45, 222.69, 4, 500.0)
    far = _grid_frames(-88.6, 222.69, 1, 1.0)
    horizons = _synthetic_horizons(16, 360, seed=3)
    for track in year_tracks.values():
        plain, screened, _ = _both_ways(horizons, enus, np.zeros(16, np.int64), far, track)
        for a, b in zip(plain, screened, strict=True):
            np.testing.assert_array_equal(a, b)


def test_ridge_horizons_identical_and_mostly_screened(lunar_dems, year_tracks):
    """Real all-points horizons of 8 × 8 ridge points 40 m apart, groups of 4 × 4."""
    dems = as_dems(lunar_dems)
    proj = dems[0].projection
    x0, y0 = proj.xy_from_latlon(math.radians(-89.45), math.radians(222.69))
    off = (np.arange(8) - 3.5) * 40.0
    gh = grid_horizons(dems, float(x0) + off, float(y0) - off, 2.0, 720, 300_000.0,
                       exact=False)
    horizons = np.ascontiguousarray(gh.elevation_rad.reshape(64, -1).astype(float))
    enus = np.ascontiguousarray(gh.enu.reshape(64, 3, 3))
    group, refs = screen_groups(8, 8, 1000.0, enus)  # groups of 4 × 4 points
    assert refs.shape[0] == 4
    for track in year_tracks.values():
        plain, screened, evaluated = _both_ways(horizons, enus, group, refs, track)
        for a, b in zip(plain, screened, strict=True):
            np.testing.assert_array_equal(a, b)
        assert evaluated.sum() < 0.25 * evaluated.size * track.weight.size
    n = 64
    out_plain, out_screened = np.empty((n, 6)), np.empty((n, 6))
    sun, earth = year_tracks["sun"], year_tracks["earth"]
    k.sun_earth_stats(horizons, enus, sun.unit_me, sun.radius_rad, sun.weight, earth.unit_me,
                      earth.radius_rad, out_plain)
    (st, smin), (et, emin) = (sc.tracks_for_groups(refs, b.unit_me, 720) for b in (sun, earth))
    sc.sun_earth_stats(horizons, enus, group, refs, st, smin, sun.unit_me, sun.radius_rad,
                       sun.weight, et, emin, earth.unit_me, earth.radius_rad, out_screened,
                       np.empty(n, np.int64))
    np.testing.assert_array_equal(out_plain, out_screened)
    assert out_plain[:, k.SUN_ANY].min() > 0.0 and out_plain[:, k.SUN_ANY].max() < 1.0


def test_sun_earth_stats_identical_on_synthetic_horizons(year_tracks):
    enus = _grid_frames(-89.8, 10.0, 5, 240.0)
    horizons = _synthetic_horizons(25, 720, seed=7)
    group, refs = screen_groups(5, 5, 240.0, enus)
    sun, earth = year_tracks["sun"], year_tracks["earth"]
    out_plain, out_screened = np.empty((25, 6)), np.empty((25, 6))
    k.sun_earth_stats(horizons, enus, sun.unit_me, sun.radius_rad, sun.weight, earth.unit_me,
                      earth.radius_rad, out_plain)
    (st, smin), (et, emin) = (sc.tracks_for_groups(refs, b.unit_me, 720) for b in (sun, earth))
    sc.sun_earth_stats(horizons, enus, group, refs, st, smin, sun.unit_me, sun.radius_rad,
                       sun.weight, et, emin, earth.unit_me, earth.radius_rad, out_screened,
                       np.empty(25, np.int64))
    np.testing.assert_array_equal(out_plain, out_screened)
