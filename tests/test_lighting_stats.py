"""Lighting statistics on hand-built cases where the answer is known, and the geometry of
the exact south pole over a full 18.6-year precession cycle on the ideal sphere.

Authorities: the Sun's centre stays within ±1.54° of the horizon at the pole (the lunar
equator's 1.54° tilt to the ecliptic, Cassini's laws) and the Earth's within about ±6.8°
(optical libration in latitude, up to 6.85°, shifted down ~0.26° by parallax) —
shared/reference/ilrs-facts.md and issue 3.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ilrs.errors import InputError
from ilrs.lighting import SiteLighting, lighting_stats, runs, site_lighting
from ilrs.lighting.visibility import ideal_horizon
from ilrs.sky import Epochs, Site
from ilrs.terrain import HorizonProfile, azimuths_rad

SYNODIC_MONTH_S = 29.530589 * 86400.0  # mean synodic month (Meeus, Astronomical Algorithms)


def _lighting(sun, earth, hidden=None, step_s=3600.0):
    sun = np.asarray(sun, float)
    n = sun.size
    hidden = np.zeros(n) if hidden is None else np.asarray(hidden, float)
    epochs = Epochs(9.0e8 + step_s * np.arange(n))
    site = Site("hand-built", -89.0, 0.0)
    z = np.zeros(n)
    earth = np.asarray(earth, float)
    return SiteLighting(site, epochs, ideal_horizon(site), z, z, sun, hidden,
                        sun * (1 - hidden), z, z, earth, earth > 0.5)


def test_runs():
    starts, lengths = runs(np.array([0, 1, 1, 1, 0, 1], bool))
    assert starts.tolist() == [1, 5] and lengths.tolist() == [3, 1]
    assert runs(np.zeros(3, bool))[0].size == 0


def test_statistics_of_a_hand_built_series():
    # 24 hourly epochs: lit 0–9, night 10–14 (5 h), lit 15–19 (one partly), night 20–23.
    sun = np.ones(24)
    sun[10:15] = 0.0
    sun[20:] = 0.0
    sun[17] = 0.25
    earth = np.where(np.arange(24) < 12, 1.0, 0.0)
    hidden = np.zeros(24)
    hidden[3:5] = 1.0  # two hours of total eclipse while the terrain leaves the Sun up
    hidden[5] = 0.5
    s = lighting_stats(_lighting(sun, earth, hidden))
    assert s.sun_any_pct == pytest.approx(100 * 15 / 24)
    assert s.sun_mean_fraction_pct == pytest.approx(100 * 14.25 / 24)
    assert s.sun_full_pct == pytest.approx(100 * 14 / 24)
    assert s.nights == 2 and s.mean_night_days == pytest.approx(4.5 / 24)
    assert s.longest_night.days == pytest.approx(5 / 24) and not s.longest_night.truncated
    assert s.longest_light.days == pytest.approx(10 / 24) and s.longest_light.truncated
    assert s.earth_any_pct == pytest.approx(50.0)
    assert s.longest_earth_blackout.days == pytest.approx(0.5)
    assert s.sun_and_earth_pct == pytest.approx(100 * 10 / 24)
    assert s.eclipse_dark_hours == pytest.approx(2.0)
    assert s.eclipse_partial_hours == pytest.approx(1.0)
    assert s.sun_any_with_eclipses_pct == pytest.approx(100 * 13 / 24)


def test_always_lit_has_no_night():
    s = lighting_stats(_lighting(np.ones(10), np.ones(10)))
    assert s.longest_night is None and s.nights == 0 and s.sun_any_pct == 100.0


def test_non_uniform_epochs_are_refused():
    lit = _lighting(np.ones(3), np.ones(3))
    bad = SiteLighting(lit.site, Epochs(np.array([0.0, 1.0, 5.0])), *list(vars(lit).values())[2:])
    with pytest.raises(InputError, match="uniform"):
        lighting_stats(bad)


def test_equatorial_site_behind_a_uniform_5_degree_wall():
    """At the equator the Sun climbs ~90° in a quarter of a synodic month: a 5° wall all
    round costs ~2 × 5/360 of the time (declination ≤ 1.54° changes this by < 0.1 %)."""
    site = Site("equator", 0.0, 0.0)
    wall = HorizonProfile(azimuths_rad(360), np.full(360, math.radians(5.0)))
    start = Epochs.from_utc("2030-01-01").tdb_s[0]
    epochs = Epochs(start + np.arange(0.0, 12 * SYNODIC_MONTH_S, 1800.0))  # whole months
    open_sky = lighting_stats(site_lighting(site, epochs))
    walled = lighting_stats(site_lighting(site, epochs, wall))
    assert open_sky.sun_any_pct == pytest.approx(50.0 + 100 * 0.2666 / 180, abs=0.6)
    assert open_sky.sun_any_pct - walled.sun_any_pct == pytest.approx(100 * 10 / 360, abs=0.5)
    assert open_sky.earth_center_pct == 100.0  # the sub-Earth point sees the Earth always


def test_south_pole_over_a_precession_cycle():
    pole = Site("south pole", -90.0, 0.0)
    epochs = Epochs.from_range("2030-01-01", "2048-08-01", 3 * 3600.0)  # 18.6 years
    lit = site_lighting(pole, epochs)
    sun_el = np.degrees(lit.sun_elevation_rad)
    earth_el = np.degrees(lit.earth_elevation_rad)
    assert 1.50 < sun_el.max() < 1.60 and -1.60 < sun_el.min() < -1.50
    # Libration in latitude reaches ±6.85°; the site's 1737 km offset from the Moon's
    # centre lowers the Earth by a further ~0.26° (parallax R/D).
    assert 6.3 < earth_el.max() < 6.85 and -7.15 < earth_el.min() < -6.8
    stats = lighting_stats(lit)
    assert stats.earth_center_pct == pytest.approx(50.0, abs=2.0)
    assert stats.sun_any_pct == pytest.approx(50.0 + 100 * 0.2666 / 1.54 / np.pi, abs=3.0)
