"""Eclipses: the exact cap-overlap formula, and a real lunar eclipse found by SPICE itself.

Authority: SPICE ``spkpos``/``spkcpo`` (DE421) for the geometry; the visible fraction is
then integrated numerically over the solar disk (a dense grid of equal-area directions),
independently of the closed form in :mod:`ilrs.sky.eclipse`.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from ilrs.sky import REFERENCE_SITE, Epochs, cap_overlap_sr, hidden_fraction
from ilrs.sky.eclipse import cap_area_sr
from ilrs.sky.topocentric import BODY_RADIUS_KM

YEAR_S = 365.25 * 86400.0


def _numeric_hidden_fraction(sun_dir, sun_radius, earth_dir, earth_radius, n=500):
    """Fraction of the Sun's cap whose directions lie within the Earth's cap (grid count)."""
    sun_dir = sun_dir / np.linalg.norm(sun_dir)
    earth_dir = earth_dir / np.linalg.norm(earth_dir)
    helper = np.array([1.0, 0.0, 0.0]) if abs(sun_dir[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = np.cross(sun_dir, helper)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(sun_dir, e1)
    # Equal-area grid on the cap: uniform in cos(θ) ∈ [cos r, 1] and in azimuth.
    cos_theta = 1.0 - (1.0 - np.cos(sun_radius)) * (np.arange(n) + 0.5) / n
    phi = 2 * np.pi * (np.arange(4 * n) + 0.5) / (4 * n)
    ct, ph = np.meshgrid(cos_theta, phi, indexing="ij")
    st = np.sqrt(1.0 - ct**2)
    dirs = (ct[..., None] * sun_dir + (st * np.cos(ph))[..., None] * e1
            + (st * np.sin(ph))[..., None] * e2)
    return float(np.mean(dirs @ earth_dir > np.cos(earth_radius)))


@pytest.mark.parametrize("a,b,c", [(0.1, 0.2, 0.25), (0.3, 0.1, 0.35), (0.2, 0.2, 0.1),
                                   (0.05, 0.3, 0.26), (1.0, 0.6, 0.9)])
def test_cap_overlap_against_numeric_integration(a, b, c):
    u = np.array([0.0, 0.0, 1.0])
    v = np.array([np.sin(c), 0.0, np.cos(c)])
    numeric = _numeric_hidden_fraction(u, a, v, b, n=800)
    assert cap_overlap_sr(a, b, c) / cap_area_sr(a) == pytest.approx(numeric, abs=2e-3)


def test_hidden_fraction_limits():
    assert hidden_fraction(0.0047, 0.0166, 0.0) == 1.0
    assert hidden_fraction(0.0047, 0.0166, 0.0166 + 0.0047 + 1e-9) == 0.0
    seps = np.linspace(0.0, 0.03, 301)
    f = hidden_fraction(0.0047, 0.0166, seps)
    assert np.all(np.diff(f) <= 1e-15)  # monotone as the disks move apart


@pytest.fixture(scope="module")
def eclipse_2029_2031(spice):  # the central total eclipse of 2029-06-26
    """Deepest Earth–Sun separation minimum seen from the Moon's centre, 2029–2031 (SPICE)."""
    t0 = 29.1 * YEAR_S  # 2029-02 … 2030-02 (away from the 2028-12-31 eclipse)

    def separation(et):
        sun, _ = spice.spkpos("SUN", et, "J2000", "LT+S", "MOON")
        earth, _ = spice.spkpos("EARTH", et, "J2000", "LT+S", "MOON")
        return spice.vsep(sun, earth)

    grid = t0 + np.arange(0.0, YEAR_S, 2 * 3600.0)
    seps = np.array([separation(t) for t in grid])
    i = int(np.argmin(seps[1:-1])) + 1
    best = minimize_scalar(separation, bounds=(grid[i - 1], grid[i + 1]), method="bounded",
                           options={"xatol": 1e-2})
    assert np.degrees(best.fun) < 0.5  # a central eclipse: the Sun passes near the centre
    return float(best.x)


def test_eclipse_fraction_matches_spice_geometry(sky, spice, eclipse_2029_2031):
    site = REFERENCE_SITE
    offsets_s = np.array([-4, -3, -2.2, -1.5, -1, 0, 1, 1.5, 2.2, 3, 4]) * 3600.0
    epochs = Epochs.from_tdb_seconds(eclipse_2029_2031 + offsets_s)
    ours = sky.eclipse_fraction(site, epochs)
    fractions = []
    for t in epochs.tdb_s:
        s, _ = spice.spkcpo("SUN", t, "MOON_ME", "OBSERVER", "LT+S", site.position_km,
                            "MOON", "MOON_ME")
        e, _ = spice.spkcpo("EARTH", t, "MOON_ME", "OBSERVER", "LT+S", site.position_km,
                            "MOON", "MOON_ME")
        s, e = np.array(s[:3]), np.array(e[:3])
        rs = np.arcsin(BODY_RADIUS_KM["sun"] / np.linalg.norm(s))
        re = np.arcsin(BODY_RADIUS_KM["earth"] / np.linalg.norm(e))
        fractions.append(_numeric_hidden_fraction(s, rs, e, re))
    fractions = np.array(fractions)
    assert fractions.max() == 1.0 and fractions.min() == 0.0  # total at mid, clear at ±4 h
    assert 0.0 < fractions[2] < 1.0 or 0.0 < fractions[3] < 1.0  # partial phases sampled
    assert ours == pytest.approx(fractions, abs=3e-3)


def test_eclipse_contacts_bracket_the_spice_minimum(sky, eclipse_2029_2031):
    from ilrs.sky import eclipse_contacts

    start = Epochs.from_tdb_seconds(eclipse_2029_2031 - 6 * 3600)
    stop = Epochs.from_tdb_seconds(eclipse_2029_2031 + 6 * 3600)
    events = eclipse_contacts(sky, REFERENCE_SITE, start, stop)
    kinds = [e.kind for e in events]
    assert kinds == ["partial_begin", "total_begin", "total_end", "partial_end"]
    t = np.array([e.tdb_s for e in events])
    assert t[1] < eclipse_2029_2031 < t[2]
    # At each contact the hidden fraction is exactly at its threshold (to ~1 s of motion).
    f = sky.eclipse_fraction(REFERENCE_SITE, Epochs.from_tdb_seconds(
        np.concatenate([t - 1.0, t + 1.0])))
    before, after = f[:4], f[4:]
    assert before[0] == 0.0 and after[0] > 0.0
    assert before[1] < 1.0 and after[1] == 1.0
    assert before[2] == 1.0 and after[2] < 1.0
    assert before[3] > 0.0 and after[3] == 0.0
