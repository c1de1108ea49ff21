"""The shipped reference horizon (Connecting Ridge, 89.45°S 222.69°E): complete, physical,
traceable, and reproducible from the real DEMs in ../shared."""


import numpy as np
import pytest

from ilrs.errors import InputError
from ilrs.terrain import HorizonProfile
from ilrs.terrain.reference import (
    REFERENCE_LAT_DEG,
    REFERENCE_LON_DEG,
    reference_horizon,
    reference_horizon_path,
)


def test_reference_file_is_complete_and_carries_its_provenance():
    low, high = reference_horizon(2.0), reference_horizon(10.0)
    assert low.azimuth_rad.size == 720 and np.allclose(np.diff(low.azimuth_deg), 0.5)
    assert (low.site.lat_deg, low.site.lon_deg) == (REFERENCE_LAT_DEG, REFERENCE_LON_DEG)
    # SOURCE.md: file 1 reads 1948.8 m there; file 3 − file 1 is +0.6 ± 5.4 m
    assert low.site.height_m == pytest.approx(1948.8, abs=12.0)
    text = " ".join(low.provenance)
    for needle in (
        "LDEM_75S_120M",
        "Barker et al. 2021",
        "MoonDAO",
        "sha256=",
        "python -m ilrs.terrain.make_reference_horizon",
    ):
        assert needle in text
    # a higher eye sees every terrain point lower: the 10 m horizon is below the 2 m one
    assert np.all(high.elevation_rad < low.elevation_rad)
    # the Sun at the pole never climbs above ~1.6°: a ridge horizon stays within a few degrees
    assert np.abs(low.elevation_deg).max() < 5.0
    with pytest.raises(InputError):
        reference_horizon(5.0)


def test_reference_file_regenerates_identically(lunar_dem_dir, tmp_path):
    from ilrs.terrain.make_reference_horizon import make

    fresh = make(lunar_dem_dir, tmp_path / "fresh.csv")
    for column in ("elevation_deg_mast_2m", "elevation_deg_mast_10m"):
        a = HorizonProfile.from_csv(fresh, column)
        b = HorizonProfile.from_csv(reference_horizon_path(), column)
        np.testing.assert_allclose(a.elevation_deg, b.elevation_deg, atol=1e-5)
        assert a.provenance == b.provenance
