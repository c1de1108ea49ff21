"""The reference site's horizon: a Connecting-Ridge point, shipped as a small derived file.

``data/connecting_ridge_horizon.csv`` holds the horizon of 89.45°S 222.69°E seen from 2 m and
10 m above the ground, computed by this package from the real LOLA-derived DEMs in
``../shared/data/lunar-dem`` (see its header for sources, checksums and the command that
regenerates it, ``python -m ilrs.terrain.make_reference_horizon``), so that the demo runs
on real terrain on a machine without those files.
"""

from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path

from ilrs.errors import InputError
from ilrs.terrain.horizon import HorizonProfile

__all__ = [
    "REFERENCE_LAT_DEG",
    "REFERENCE_LON_DEG",
    "REFERENCE_MASTS_M",
    "reference_horizon",
    "reference_horizon_path",
]

#: The reference site (SOURCE.md's target point on the Shackleton–de Gerlache ridge).
REFERENCE_LAT_DEG = -89.45
REFERENCE_LON_DEG = 222.69
#: Eye heights above the ground tabulated in the file, metres.
REFERENCE_MASTS_M = (2.0, 10.0)


def reference_horizon_path() -> Path:
    """Path of the shipped CSV."""
    return Path(str(resources.files("ilrs.terrain") / "data" / "connecting_ridge_horizon.csv"))


def reference_horizon(mast_m: float = 2.0) -> HorizonProfile:
    """The reference site's horizon for an eye ``mast_m`` (2 or 10 m) above the ground.

    >>> p = reference_horizon(2.0)
    >>> p.azimuth_rad.size, p.site.mast_m, round(p.site.height_m)
    (720, 2.0, 1955)
    """
    if mast_m not in REFERENCE_MASTS_M:
        raise InputError("reference horizon mast_m", mast_m, f"one of {REFERENCE_MASTS_M}")
    profile = HorizonProfile.from_csv(
        reference_horizon_path(), column=f"elevation_deg_mast_{mast_m:g}m"
    )
    site = dataclasses.replace(profile.site, mast_m=float(mast_m))
    return dataclasses.replace(profile, site=site)
