"""Illumination of Connecting-Ridge points on real LOLA terrain against the published study.

Authority: Gläser et al. 2014, "Illumination conditions at the lunar south pole using high
resolution Digital Terrain Models from LOLA", Icarus 243, 78–90: over a 19-year study
covering the lunar precession cycle, the best Connecting-Ridge locations receive sunlight
92.27 % of the time at 2 m above ground and 95.65 % at 10 m, and their longest continuous
darkness is "typically only 3–5 days". Same method: a horizon per point from a LOLA DEM,
the Sun compared with it over the cycle (any part of the disk visible = illuminated).

The points are the best ones of our own maps of the 2 × 2 km around 89.45° S 222.69° E
(README: `ilrs lighting map … --size-km 2 --resolution-m 20 --step 7200`), on the shared
LOLA GeoTIFFs (PGDA Site01 10 m + LDEM_75S_120M 240 m + far field; SOURCE.md).
"""

from __future__ import annotations

import math

import pytest

from ilrs.lighting import lighting_stats, site_lighting
from ilrs.sky import Epochs
from ilrs.terrain import PolarStereographic, as_dems, horizon_profile, site_on_dem


@pytest.mark.parametrize(
    "mast_m, x_m, y_m, published_pct",
    [(2.0, -11_558.19, -12_468.86, 92.27), (10.0, -11_238.19, -12_128.86, 95.65)],
)
def test_best_ridge_points_match_glaser_2014(lunar_dems, mast_m, x_m, y_m, published_pct):
    dems = as_dems(lunar_dems)
    lat, lon = (math.degrees(float(v)) for v in PolarStereographic.south().latlon_from_xy(x_m,
                                                                                           y_m))
    site = site_on_dem(dems, lat, lon, mast_m=mast_m)
    horizon = horizon_profile(dems, site, 720, 300_000.0)
    epochs = Epochs.from_range("2020-01-01", "2038-08-01", 3600.0)  # 18.6 years
    stats = lighting_stats(site_lighting(site, epochs, horizon))
    assert stats.sun_any_pct == pytest.approx(published_pct, abs=1.5)
    assert 3.0 - 0.5 <= stats.longest_night.days <= 5.0 + 0.5
