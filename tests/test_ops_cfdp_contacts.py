"""The simulated space link's outages from the sky's contact windows (not a given list):
the Earth and Queqiao-2 seen from the reference site over its shipped 2 m horizon, found
as events, equal the lighting model's sampled visibility; the link they drive drops what
is sent in them and a CFDP downlink is suspended across them.

Queqiao-2's orbit is the published one (shared/reference/ilrs-facts.md: 200 × 16,000 km,
i = 62.4°, 24 h); the relay's 10° elevation mask is the one the relay tests use.
"""

from __future__ import annotations

import numpy as np
import pytest

from ilrs.errors import InputError
from ilrs.lighting.visibility import relay_visible, site_lighting
from ilrs.ops.cfdp.contacts import contact_windows
from ilrs.ops.cfdp.downlink import downlink_file
from ilrs.ops.tmtc.channel import SimulatedLink
from ilrs.sky import Epochs, RelayOrbit, Site
from ilrs.terrain.reference import reference_horizon

SITE = Site("Connecting Ridge", -89.45, 222.69)
START, STOP = "2036-01-01T08:00:00", "2036-01-04T08:00:00"  # the Earth sets on the 1st
MASK_DEG = 10.0


@pytest.fixture(scope="module")
def windows():
    horizon = reference_horizon(2.0)
    start, stop = Epochs.from_utc(START), Epochs.from_utc(STOP)
    return horizon, contact_windows(SITE, start, stop, horizon=horizon,
                                    relay=RelayOrbit.queqiao2(), relay_mask_deg=MASK_DEG)


def _sampled_up(horizon, epochs: Epochs) -> np.ndarray:
    """The lighting model's own answer: Earth's centre or the relay in view."""
    earth = site_lighting(SITE, epochs, horizon).earth_center_visible
    relay = relay_visible(RelayOrbit.queqiao2(), SITE, epochs, horizon, mask_deg=MASK_DEG)
    return earth | relay


def test_outages_equal_the_lighting_models_sampled_visibility(windows):
    horizon, cw = windows
    assert len(cw.dte) == 1 and cw.dte[0][0] == 0.0  # in view at the start, then it sets
    assert len(cw.outages) == 3  # the relay out of view once per 24 h orbit, Earth down
    for a, b in cw.outages:
        assert 2 * 3600 < b - a < 4 * 3600
    grid = Epochs.from_range(START, STOP, 60.0)
    t_s = grid.tdb_s - cw.start_tdb_s
    assert np.array_equal(cw.up(t_s), _sampled_up(horizon, grid))
    # each edge to 0.05 s: the sampled model flips across it
    edges = np.array([t for a, b in cw.outages for t in (a, b)] + [cw.dte[0][1]])
    before = _sampled_up(horizon, Epochs(cw.start_tdb_s + edges - 0.05))
    after = _sampled_up(horizon, Epochs(cw.start_tdb_s + edges + 0.05))
    assert before[:-1].tolist() == [True, False] * 3 and after[:-1].tolist() == [False, True] * 3
    # the Earth's set: the relay is up then, so the link stays up, but the Earth flips
    earth = site_lighting(SITE, Epochs(cw.start_tdb_s + edges[-1] + np.array([-0.05, 0.05])),
                          horizon).earth_center_visible
    assert earth.tolist() == [True, False]


def test_the_link_is_down_exactly_in_the_outages(windows):
    _, cw = windows
    link = SimulatedLink(rate_bit_s=256_000.0, delay_s=1.3, outages=cw.outages)
    a, b = cw.outages[0]
    for t, lost in ((a - 1.0, False), (a + 1.0, True), (b - 1.0, True), (b + 1.0, False)):
        link.free_s = 0.0
        assert (link.send(b"x" * 1115, t) is None) is lost, t


def test_a_downlink_is_suspended_across_the_relays_outage(windows, tmp_path):
    _, cw = windows
    a, b = cw.outages[0]
    begin_s = a - 60.0  # a minute before the relay sets
    outages = [(x - begin_s, y - begin_s) for x, y in cw.outages if y > begin_s]
    data = np.random.default_rng(4).integers(0, 256, 3_000_000, dtype=np.uint8).tobytes()
    (tmp_path / "science.bin").write_bytes(data)
    down = SimulatedLink(rate_bit_s=256_000.0, delay_s=1.3, loss=0.05, outages=outages, seed=2)
    up = SimulatedLink(rate_bit_s=64_000.0, delay_s=1.3, loss=0.05, outages=outages, seed=3)
    result = downlink_file(tmp_path / "science.bin", tmp_path / "ground", down=down, up=up,
                           outages=outages, max_s=2 * 86_400)  # fmt: skip
    assert result.condition == "NO_ERROR" and result.faults == ()
    assert (tmp_path / "ground" / "science.bin").read_bytes() == data
    assert result.suspended_s == pytest.approx(b - a, abs=1e-6)
    assert result.finished_s > b - begin_s


def test_bad_spans_are_refused():
    t = Epochs.from_utc(START)
    with pytest.raises(InputError, match="stop after start"):
        contact_windows(SITE, t, t)
    with pytest.raises(InputError, match="neither the Earth nor a relay"):
        contact_windows(SITE, t, Epochs.from_utc(STOP), dte=False)
