"""Rise/set events: found to better than one second, consistent with dense sampling."""

from __future__ import annotations

import numpy as np
import pytest

from ilrs.errors import InputError
from ilrs.sky import Epochs, Site, rise_set

SYNODIC_MONTH_S = 29.530589 * 86400.0  # mean synodic month (Meeus, Astronomical Algorithms)


@pytest.mark.parametrize("limb", ["center", "upper"])
def test_equatorial_sunrise_and_sunset_recur_each_synodic_month(sky, limb):
    site = Site("equator", 0.0, 30.0)
    start, stop = Epochs.from_utc("2030-01-01"), Epochs.from_utc("2030-07-01")
    events = rise_set(sky, "sun", site, start, stop, limb=limb)
    rises = np.array([e.tdb_s for e in events if e.kind == "rise"])
    sets = np.array([e.tdb_s for e in events if e.kind == "set"])
    assert len(rises) in (6, 7) and abs(len(rises) - len(sets)) <= 1
    assert np.diff(rises).mean() == pytest.approx(SYNODIC_MONTH_S, rel=0.01)
    # Each event within a second: the limb or centre is below the horizon 0.5 s before a
    # rise and above 0.5 s after (and the reverse for a set).
    t = np.array([e.tdb_s for e in events])
    seen = sky.topocentric("sun", site, Epochs(np.concatenate([t - 0.5, t + 0.5])))
    h = seen.elevation_rad + (seen.angular_radius_rad if limb == "upper" else 0.0)
    before, after = h[: t.size], h[t.size:]
    rising = np.array([e.kind == "rise" for e in events])
    assert np.all((before < 0) == rising) and np.all((after > 0) == rising)


def test_upper_limb_rises_before_centre(sky):
    site = Site("equator", 0.0, 30.0)
    start, stop = Epochs.from_utc("2030-01-01"), Epochs.from_utc("2030-02-15")
    centre = [e.tdb_s for e in rise_set(sky, "sun", site, start, stop) if e.kind == "rise"]
    upper = [e.tdb_s for e in rise_set(sky, "sun", site, start, stop, limb="upper")
             if e.kind == "rise"]
    # The Sun's 0.27° radius at the Moon's 0.55°/h sky rate at the equator: ~30 minutes.
    lead_s = np.array(centre) - np.array(upper)
    assert np.all((lead_s > 20 * 60) & (lead_s < 40 * 60))


def test_event_count_matches_sign_changes_on_a_fine_grid(sky):
    site = Site("ridge", -89.45, 222.69)
    start, stop = Epochs.from_utc("2030-01-01"), Epochs.from_utc("2030-04-01")
    events = rise_set(sky, "earth", site, start, stop)
    grid = Epochs.from_range("2030-01-01", "2030-04-01", 300.0)
    up = sky.topocentric("earth", site, grid).elevation_rad > 0
    assert len(events) == int(np.count_nonzero(up[1:] != up[:-1]))


def test_bad_limb():
    from ilrs.sky import Sky

    with pytest.raises(InputError, match="limb"):
        rise_set(Sky(), "sun", Site("s", 0, 0), Epochs.from_utc("2030-01-01"),
                 Epochs.from_utc("2030-01-02"), limb="lower")
