"""Visible fraction of a disk above a horizon: analytic cases.

A straight horizon line cuts a disk in a circular segment of area
r²(acos d − d√(1 − d²)) (d: the line's distance from the centre in radii) — the closed
form checked here against the strip integration, flat and tilted.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ilrs.lighting import disk_fraction
from ilrs.lighting._kernels import segment_fraction
from ilrs.terrain import HorizonProfile, azimuths_rad

SUN_RADIUS_RAD = math.radians(0.2666)


def _segment(d):
    d = np.clip(d, -1.0, 1.0)
    return 1.0 - (np.arccos(d) - d * np.sqrt(1.0 - d * d)) / np.pi


def test_segment_fraction_closed_form():
    for d in np.linspace(-1.2, 1.2, 25):
        assert segment_fraction(d) == pytest.approx(float(_segment(d)), abs=1e-15)
    assert segment_fraction(0.0) == 0.5


@pytest.mark.parametrize("horizon_deg", [-1.0, 0.0, 0.7, 3.0])
def test_flat_horizon_gives_the_circular_segment(horizon_deg):
    horizon = HorizonProfile(azimuths_rad(720), np.full(720, math.radians(horizon_deg)))
    el = math.radians(horizon_deg) + np.linspace(-1.5, 1.5, 61) * SUN_RADIUS_RAD
    az = np.linspace(0.0, 2 * np.pi, 61, endpoint=False)
    got = disk_fraction(horizon, az, el, SUN_RADIUS_RAD)
    want = _segment((el - math.radians(horizon_deg)) / SUN_RADIUS_RAD)
    assert got == pytest.approx(want, abs=2e-3)  # 24 strips: within 0.2 % of the disk


@pytest.mark.parametrize("slope", [0.5, -1.0, 2.0])
def test_tilted_straight_horizon(slope):
    """A horizon rising linearly with azimuth is a straight tilted line on the sky."""
    n = 36_000  # fine bins: linear interpolation of a linear function is exact anyway
    az_bins = azimuths_rad(n)
    centre_az = math.radians(200.0)
    el0 = math.radians(1.0)
    cos_el = math.cos(el0)
    horizon_rad = el0 + slope * (az_bins - centre_az) * cos_el
    keep = np.abs(az_bins - centre_az) < math.radians(5)
    horizon_rad = np.where(keep, horizon_rad, el0)  # only the part near the disk matters
    profile = HorizonProfile(az_bins, horizon_rad)
    offsets = np.linspace(-1.2, 1.2, 25) * SUN_RADIUS_RAD * math.sqrt(1 + slope**2)
    got = disk_fraction(profile, np.full(offsets.size, centre_az), el0 + offsets,
                        np.full(offsets.size, SUN_RADIUS_RAD), n_strips=64)
    # Distance of the centre from the line y = slope·x (sky-plane coordinates, radians).
    want = _segment(offsets / math.sqrt(1 + slope**2) / SUN_RADIUS_RAD)
    assert got == pytest.approx(want, abs=3e-3)


def test_point_source_and_periodicity():
    horizon = HorizonProfile(azimuths_rad(4), np.radians([1.0, 2.0, 3.0, 2.0]))
    assert disk_fraction(horizon, [0.0, 2 * np.pi - 1e-12], [math.radians(1.5)] * 2, 0.0
                         ).tolist() == [1.0, 1.0]
    assert disk_fraction(horizon, [np.pi], [math.radians(2.9)], 0.0).tolist() == [0.0]
