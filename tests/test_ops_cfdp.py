"""CFDP class 2 file downlink (CCSDS 727.0-B-5, on ``cfdp-py``) over the simulated space link
in TM/TC frames: losses, outages, suspension and resumption, on simulated time.

The figures: the Earth–Moon light time (1.28 s one way, 384,400 km / c) rounded to 1.3 s;
a 256 kbit/s downlink and a 64 kbit/s uplink.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from cfdp_support import RATE_BIT_S
from cfdp_support import links as _links
from cfdp_support import science_file as _file
from ilrs.errors import InputError
from ilrs.ops.cfdp.downlink import downlink_file


def test_10_mb_at_5_percent_loss_across_an_outage_arrives_byte_identical(tmp_path):
    path, data = _file(tmp_path, 10_000_000)
    outage = [(120.0, 180.0)]  # a minute of blackout two minutes in: suspended, resumed
    down, up = _links(0.05, outage)
    result = downlink_file(path, tmp_path / "ground", down=down, up=up, outages=outage)
    assert result.condition == "NO_ERROR" and result.faults == ()
    received = (tmp_path / "ground" / "science.bin").read_bytes()
    assert received == data
    assert result.frames_lost_down > 400  # 5 % of ~9,700 frames really were lost
    assert result.suspended_s == 60.0 and result.finished_s > 180.0
    left = RATE_BIT_S * (1 - 0.05)
    print(f"10 MB in {result.finished_s:.0f} simulated s ({result.suspended_s:.0f} s "
          f"suspended), {result.frames_down} frames down ({result.frames_lost_down} lost), "
          f"{result.frames_up} up ({result.frames_lost_up} lost); goodput "
          f"{result.goodput_bit_s / 1e3:.1f} kbit/s = {result.goodput_bit_s / left:.3f} of "
          f"the {left / 1e3:.1f} kbit/s left after losses")
    assert result.goodput_bit_s >= 0.9 * left
    meta = json.loads((tmp_path / "ground" / "science.bin.cfdp.json").read_text())
    assert meta["sha256"] == hashlib.sha256(data).hexdigest() == result.sha256
    assert meta["size_bytes"] == len(data) and meta["transmission"] == "class 2"


def test_an_unannounced_outage_is_bridged_by_naks_and_timers(tmp_path):
    path, data = _file(tmp_path, 300_000)
    down, up = _links(0.05, [(3.0, 15.0)], seed=5)  # the links drop, nobody suspends
    result = downlink_file(path, tmp_path / "ground", down=down, up=up)
    assert result.condition == "NO_ERROR"
    assert (tmp_path / "ground" / "science.bin").read_bytes() == data
    assert result.suspended_s == 0.0 and down.lost > 100


def test_a_missing_source_file_is_refused(tmp_path):
    down, up = _links(0.0)
    with pytest.raises(InputError, match="CFDP source file"):
        downlink_file(tmp_path / "none.bin", tmp_path / "g", down=down, up=up)


def test_a_downlink_suspended_at_earth_set_resumes_at_earth_rise(tmp_path):
    """Direct to Earth from the reference site (Connecting Ridge, 89.45° S, 222.69° E, the
    shipped horizon at 2 m): the Earth sets on 2036-01-01 and rises again 15.5 days later
    (the sky engine's own visibility); a downlink begun a minute before the set is
    suspended for the whole blackout and completes after the rise."""
    from ilrs.lighting.visibility import site_lighting
    from ilrs.ops.cfdp.downlink import outages_from_visibility
    from ilrs.sky import Epochs, Site
    from ilrs.terrain.reference import reference_horizon

    step_s = 60.0
    epochs = Epochs.from_range("2036-01-01T08:00:00", "2036-01-18T00:00:00", step_s)
    lit = site_lighting(Site("Connecting Ridge", -89.45, 222.69), epochs,
                        reference_horizon(2.0))  # fmt: skip
    sets = np.flatnonzero(np.diff(lit.earth_center_visible.astype(np.int8)) < 0)
    first_set_s = (sets[0] + 1) * step_s
    start_s = first_set_s - 60.0  # the transfer's clock starts a minute before the set
    outages = [(a - start_s, b - start_s)
               for a, b in outages_from_visibility(lit.earth_center_visible, step_s)
               if b > start_s]  # fmt: skip
    blackout_s = outages[0][1] - outages[0][0]
    assert outages[0][0] == 60.0 and 14 * 86_400 < blackout_s < 17 * 86_400
    path, data = _file(tmp_path, 3_000_000)  # ~100 s at 256 kbit/s: cut by the set
    down, up = _links(0.05, outages, seed=11)
    result = downlink_file(path, tmp_path / "ground", down=down, up=up, outages=outages,
                           max_s=30 * 86_400)  # fmt: skip
    assert result.condition == "NO_ERROR" and result.faults == ()
    assert (tmp_path / "ground" / "science.bin").read_bytes() == data
    assert result.suspended_s == blackout_s and result.finished_s > outages[0][1]
