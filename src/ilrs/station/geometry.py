"""What the station sees, precomputed once on a coarse grid and interpolated to each step.

Sun and Earth directions come from :mod:`ilrs.sky` once per grid point; each mast height
(array masts, the element height, the antenna mast) gets its own horizon and so its own
visible solar-disk fraction (:func:`ilrs.lighting.disk_fraction`) and Earth/relay
visibility margin (elevation above the horizon and the mask). Interpolating these smooth
quantities linearly to 1-minute steps costs far less than computing the sky at every step
and errs only at the edges of a sunrise or a pass, by well under one coarse step (tested).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ilrs.errors import InputError
from ilrs.lighting import disk_fraction, ideal_horizon
from ilrs.sky import Epochs, RelayOrbit, Site, Sky
from ilrs.sky.topocentric import eclipse_hidden_fraction
from ilrs.terrain import HorizonProfile, horizon_profile, site_on_dem
from ilrs.terrain.reference import REFERENCE_MASTS_M, reference_horizon

__all__ = ["Geometry", "HorizonSource", "compute_geometry", "geometry_at"]


@dataclass
class HorizonSource:
    """How to get a horizon for a mast height: ``reference``, ``ideal``, ``dem`` or a file."""

    kind: str
    lat_deg: float
    lon_deg: float
    height_m: float | None = None
    name: str = "station"
    dems: tuple = ()
    _cache: dict = field(default_factory=dict)

    def profile(self, mast_m: float) -> HorizonProfile:
        if mast_m in self._cache:
            return self._cache[mast_m]
        if self.kind == "reference":
            if mast_m not in REFERENCE_MASTS_M:
                raise InputError("mast height with the reference horizon", mast_m,
                                 f"one of {REFERENCE_MASTS_M} m (or another horizon source)")
            prof = reference_horizon(mast_m)
        elif self.kind == "ideal":
            site = Site(self.name, self.lat_deg, self.lon_deg, self.height_m or 0.0, mast_m)
            prof = ideal_horizon(site)
        elif self.kind == "dem":
            if not self.dems:
                raise InputError("horizon", "dem", "--dem files to compute the horizon from")
            site = site_on_dem(list(self.dems), self.lat_deg, self.lon_deg, mast_m, self.name)
            prof = horizon_profile(list(self.dems), site, 720, 300_000.0)
        else:
            path = Path(self.kind)
            if not path.is_file():
                raise InputError("horizon", self.kind,
                                 "reference, ideal, dem or an existing horizon file")
            prof = HorizonProfile.load(path)
            if prof.site is None:
                site = Site(self.name, self.lat_deg, self.lon_deg, self.height_m or 0.0, mast_m)
                prof = HorizonProfile(prof.azimuth_rad, prof.elevation_rad, site,
                                      prof.reach_m, prof.provenance)
        self._cache[mast_m] = prof
        return prof

    def site(self, mast_m: float) -> Site:
        prof = self.profile(mast_m)
        s = prof.site
        return Site(s.name, s.lat_deg, s.lon_deg, s.height_m, float(mast_m))


@dataclass
class Geometry:
    """Coarse-grid geometry: TDB seconds and per-quantity arrays (see compute_geometry)."""

    tdb_s: np.ndarray
    sun_fraction: dict[float, np.ndarray]        # by mast height, terrain and eclipses
    sun_elevation_rad: np.ndarray
    sun_azimuth_rad: np.ndarray
    sun_distance_m: np.ndarray
    eclipse_hidden_fraction: np.ndarray
    earth_margin_rad: np.ndarray                 # Earth centre above horizon and mask
    earth_range_m: np.ndarray
    relay_margin_rad: np.ndarray
    relay_range_m: np.ndarray
    horizons: dict[float, HorizonProfile]
    site: Site

    def at(self, name: str, tdb_s: np.ndarray, mast_m: float | None = None) -> np.ndarray:
        """A quantity linearly interpolated to ``tdb_s``."""
        values = self.sun_fraction[mast_m] if name == "sun_fraction" else getattr(self, name)
        return np.interp(tdb_s, self.tdb_s, values)


def compute_geometry(source: HorizonSource, masts_m, antenna_mast_m: float, start_tdb_s: float,
                     stop_tdb_s: float, step_s: float, relay: RelayOrbit | None,
                     dte_mask_deg: float, relay_mask_deg: float,
                     sky: Sky | None = None) -> Geometry:
    """Sun, Earth and relay geometry from ``start`` to ``stop`` (padded by a step)."""
    n = math.ceil((stop_tdb_s - start_tdb_s) / step_s) + 2
    return geometry_at(source, masts_m, antenna_mast_m,
                       start_tdb_s + step_s * np.arange(n, dtype=float), relay, dte_mask_deg,
                       relay_mask_deg, sky)


def geometry_at(source: HorizonSource, masts_m, antenna_mast_m: float, tdb_s: np.ndarray,
                relay: RelayOrbit | None, dte_mask_deg: float, relay_mask_deg: float,
                sky: Sky | None = None) -> Geometry:
    """Sun, Earth and relay geometry at the grid epochs ``tdb_s`` (increasing). Each
    point depends only on its own epoch (the Sun's azimuth is unwrapped along the grid, so
    pieces of a grid differ from the whole by multiples of 2π), which lets the live twin
    compute its grid piece by piece."""
    sky = sky or Sky()
    n = tdb_s.size
    epochs = Epochs(tdb_s)
    antenna = source.site(antenna_mast_m)
    seen = sky.topocentric_many(("sun", "earth"), antenna, epochs)
    sun, earth = seen["sun"], seen["earth"]
    hidden = eclipse_hidden_fraction(sun, earth)
    masts = sorted({float(m) for m in masts_m} | {float(antenna_mast_m)})
    horizons = {m: source.profile(m) for m in masts}
    fractions = {
        m: disk_fraction(horizons[m], sun.azimuth_rad, sun.elevation_rad,
                         sun.angular_radius_rad) * (1.0 - hidden)
        for m in masts
    }
    ant_h = horizons[float(antenna_mast_m)]
    earth_floor = np.maximum(ant_h.elevation_at(earth.azimuth_rad), math.radians(dte_mask_deg))
    if relay is not None:
        top = sky.topocentric(relay, antenna, epochs)
        relay_floor = np.maximum(ant_h.elevation_at(top.azimuth_rad),
                                 math.radians(relay_mask_deg))
        relay_margin = top.elevation_rad - relay_floor
        relay_range = top.distance_km * 1e3
    else:
        relay_margin = np.full(n, -1.0)
        relay_range = np.full(n, 1e9)
    return Geometry(
        tdb_s=epochs.tdb_s, sun_fraction=fractions, sun_elevation_rad=sun.elevation_rad,
        sun_azimuth_rad=np.unwrap(sun.azimuth_rad), sun_distance_m=sun.distance_km * 1e3,
        eclipse_hidden_fraction=hidden, earth_margin_rad=earth.elevation_rad - earth_floor,
        earth_range_m=earth.distance_km * 1e3, relay_margin_rad=relay_margin,
        relay_range_m=relay_range, horizons=horizons, site=antenna,
    )
