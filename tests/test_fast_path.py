"""The fused Sun/Earth kernel against the general path (chain sums, iterated light time).

STYLE.md rule 9: the fast path is tested against the slow, obviously-correct one, which is
itself tested against SPICE in test_sky_spice.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from ilrs.sky import Epochs, Site

MAS_RAD = np.pi / 180 / 3600 / 1000


@pytest.mark.parametrize("apparent", [True, False])
@pytest.mark.parametrize("body", ["sun", "earth"])
@pytest.mark.parametrize("lat", [-90.0, -89.45, 0.0, 45.0, 90.0])
def test_fused_equals_general(sky, rng, body, apparent, lat):
    site = Site("s", lat, float(rng.uniform(0, 360)), height_m=float(rng.uniform(-4000, 6000)))
    epochs = Epochs.from_tdb_seconds(rng.uniform(-1.5e9, 1.5e9, 3000))
    fast = sky.topocentric_many((body,), site, epochs, apparent)[body]
    slow = sky._topocentric_general(body, site, epochs, apparent)
    cross = np.linalg.norm(np.cross(fast.vector_km, slow.vector_km), axis=1)
    angle = np.arctan2(cross, np.einsum("ij,ij->i", fast.vector_km, slow.vector_km))
    assert angle.max() < 0.1 * MAS_RAD
    assert np.abs(fast.distance_km - slow.distance_km).max() < 1e-4  # 10 cm
    assert np.abs(fast.elevation_rad - slow.elevation_rad).max() < 0.1 * MAS_RAD
    assert np.abs(fast.angular_radius_rad - slow.angular_radius_rad).max() < 0.01 * MAS_RAD


def test_both_bodies_in_one_pass_equal_each_alone(sky):
    site = Site("pole", -90.0, 0.0)
    epochs = Epochs.from_range("2031-01-01", "2031-01-10", 600.0)
    both = sky.topocentric_many(["sun", "earth"], site, epochs)
    for name in ("sun", "earth"):
        alone = sky.topocentric(name, site, epochs)
        assert np.array_equal(alone.vector_km, both[name].vector_km)


@pytest.mark.parametrize("apparent", [True, False])
@pytest.mark.parametrize("lat", [-90.0, -89.45, 0.0, 60.0])
def test_fused_relay_equals_general(sky, rng, apparent, lat):
    # Moon-centred with the light time by velocity (fast) against barycentric chain sums
    # with the relay re-evaluated at t − τ (general); sorted epochs, as a grid, so Kepler's
    # equation starts from its neighbour's solution, and a shuffled copy, where it cannot.
    # The general path is the noisier one: DE421's records count time from 1900, so the
    # Moon's barycentric position at t − τ carries ~0.5 µs of time rounding (× 30 km/s:
    # ~1.5 cm); without light time both agree to the barycentric rounding (< 0.1 mm).
    from ilrs.sky import RelayOrbit

    relay = RelayOrbit.queqiao2()
    site = Site("s", lat, float(rng.uniform(0, 360)), height_m=float(rng.uniform(-4000, 6000)))
    t = relay.epoch_tdb_s + np.sort(rng.uniform(-3e8, 3e8, 3000))
    tol_km = 5e-5 if apparent else 1e-7
    for tdb_s in (t, rng.permutation(t)):
        epochs = Epochs.from_tdb_seconds(tdb_s)
        fast = sky.topocentric(relay, site, epochs, apparent)
        slow = sky._topocentric_general(relay, site, epochs, apparent)
        assert np.linalg.norm(fast.vector_km - slow.vector_km, axis=1).max() < tol_km
        assert np.abs(fast.distance_km - slow.distance_km).max() < tol_km
        moved = np.abs(fast.elevation_rad - slow.elevation_rad) * fast.distance_km
        assert moved.max() < tol_km
        assert np.array_equal(fast.angular_radius_rad, slow.angular_radius_rad)
