"""Relay orbits: Kepler propagation against an independent numerical two-body integration,
and Queqiao-2's published orbit (shared/reference/ilrs-facts.md: 200 × 16,000 km,
i = 62.4°, period 24 h)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from ilrs.errors import InputError
from ilrs.sky import REFERENCE_SITE, Epochs, RelayOrbit, rise_set
from ilrs.sky.relay import GM_MOON_KM3_S2


def test_queqiao2_orbit_matches_published_figures():
    orbit = RelayOrbit.queqiao2()
    assert orbit.period_s / 3600.0 == pytest.approx(24.0, abs=0.5)
    r = np.linalg.norm(orbit.position_km(orbit.epoch_tdb_s + np.linspace(0, orbit.period_s, 2001)),
                       axis=1)
    assert r.min() - 1737.4 == pytest.approx(200.0, abs=0.01)
    assert r.max() - 1737.4 == pytest.approx(16_000.0, abs=0.5)


def test_kepler_matches_numerical_two_body_integration():
    orbit = RelayOrbit("test", 9837.4, 0.8130, 62.4, 35.0, 90.0, 10.0, epoch_tdb_s=0.0)
    t = np.linspace(0.0, 3 * orbit.period_s, 400)
    r0, v0 = orbit.state_km(np.array([0.0]))

    def two_body(_t, y):
        r = y[:3]
        return np.concatenate([y[3:], -GM_MOON_KM3_S2 * r / np.linalg.norm(r) ** 3])

    sol = solve_ivp(two_body, (0, t[-1]), np.concatenate([r0[0], v0[0]]), t_eval=t,
                    method="DOP853", rtol=1e-12, atol=1e-9)
    pos, vel = orbit.state_km(t)
    assert np.abs(pos - sol.y[:3].T).max() < 1e-3  # km: 1 m over three 24-h orbits
    assert np.abs(vel - sol.y[3:].T).max() < 1e-6  # km/s


def test_bad_orbits_are_refused():
    with pytest.raises(InputError, match="eccentricity"):
        RelayOrbit("x", 9000.0, 1.2, 0, 0, 0, 0, 0.0)
    with pytest.raises(InputError, match="periapsis"):
        RelayOrbit.from_altitudes("x", -100.0, 1000.0, 0.0)


def test_aos_los_windows_agree_with_sampled_elevation(sky):
    orbit = RelayOrbit.queqiao2()
    start, stop = Epochs.from_utc("2030-01-01T00:00:00"), Epochs.from_utc("2030-01-04T00:00:00")
    events = rise_set(sky, orbit, REFERENCE_SITE, start, stop, mask_deg=10.0)
    kinds = [e.kind for e in events]
    assert len(events) >= 4 and all(a != b for a, b in itertools.pairwise(kinds))
    times = np.array([e.tdb_s for e in events])
    el = sky.topocentric(orbit, REFERENCE_SITE, Epochs(np.concatenate([times - 0.5, times + 0.5])))
    before, after = el.elevation_deg[: times.size], el.elevation_deg[times.size:]
    for kind, b, a in zip(kinds, before, after, strict=True):
        assert (b < 10.0 <= a) if kind == "aos" else (a < 10.0 <= b)
    # Sampled each minute, the relay is above the mask exactly inside the windows.
    grid = Epochs.from_range("2030-01-01T00:00:00", "2030-01-04T00:00:00", 60.0)
    up = sky.topocentric(orbit, REFERENCE_SITE, grid).elevation_deg > 10.0
    edges = np.concatenate([[start.tdb_s[0]] if kinds[0] == "los" else [], times,
                            [stop.tdb_s[0]] if kinds[-1] == "aos" else []])
    inside = np.zeros(len(grid), bool)
    for t_aos, t_los in edges.reshape(-1, 2):
        inside |= (grid.tdb_s >= t_aos) & (grid.tdb_s <= t_los)
    assert np.array_equal(up, inside)
    # The apoapsis sits over the south pole: the relay is in view most of each orbit.
    assert 0.5 < up.mean() < 0.95


@pytest.mark.parametrize("ecc_alt_km", [(300.0, 300.0), (200.0, 5000.0), (200.0, 16_000.0),
                                        (100.0, 60_000.0)])
def test_compiled_state_equals_the_numpy_reference(ecc_alt_km):
    """The compiled two-body kernel against the plain numpy propagation (Newton on Kepler's
    equation, vectorized), circular to e ≈ 0.94, over ten years of random instants."""
    orbit = RelayOrbit.from_altitudes("test", *ecc_alt_km, 62.4, raan_deg=30.0,
                                      mean_anomaly_deg=40.0)
    t = np.random.default_rng(3).uniform(0.0, 10 * 365.25 * 86400.0, 5000) + 7e8
    pos, vel = orbit.state_km(t)
    ref_pos, ref_vel = orbit.state_km_numpy(t)
    np.testing.assert_allclose(pos, ref_pos, rtol=0, atol=1e-8)      # 10 µm
    np.testing.assert_allclose(vel, ref_vel, rtol=0, atol=1e-11)
