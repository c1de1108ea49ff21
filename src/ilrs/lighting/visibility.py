"""What a site sees over time: the Sun's and Earth's visible disk fractions, relay contact.

The Sun's visible fraction is the part of its disk above the site's horizon profile (strips
across the disk, :func:`ilrs.lighting._kernels.disk_fraction_profile`) times the part not
hidden by the Earth (:meth:`ilrs.sky.Sky.eclipse_fraction`). Multiplying the two treats the
terrain and the Earth as hiding independent parts of the disk: exact when either hides all
or nothing, which is the case except in the rare minutes when an eclipse's partial phase
coincides with the Sun grazing the terrain.

Without a horizon profile the ground is the ideal sphere through the site's ground
(radius ``R + height_m``): the horizon lies ``arccos((R + h) / (R + h + mast))`` below the
horizontal in every direction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ilrs.errors import InputError
from ilrs.lighting import _kernels as k
from ilrs.sky import Epochs, RelayOrbit, Site, Sky
from ilrs.sky.site import MOON_RADIUS_M
from ilrs.sky.topocentric import eclipse_hidden_fraction
from ilrs.terrain import HorizonProfile, azimuths_rad

#: Strips across a disk: the visible fraction is exact to ~1e-3 of the disk (tested).
N_STRIPS = 24


def ideal_horizon(site: Site, n_azimuths: int = 720) -> HorizonProfile:
    """The horizon of a smooth sphere through the site's ground, seen from its mast.

    >>> s = Site("mast", -89.0, 0.0, height_m=0.0, mast_m=10.0)
    >>> round(float(np.degrees(ideal_horizon(s, 4).elevation_rad[0])), 4)
    -0.1944
    """
    ground_m = MOON_RADIUS_M + site.height_m
    dip_rad = math.acos(ground_m / (ground_m + site.mast_m))
    return HorizonProfile(
        azimuths_rad(n_azimuths), np.full(n_azimuths, -dip_rad), site,
        provenance=("ideal sphere through the site's ground (no terrain)",),
    )


def uniform_horizon(horizon: HorizonProfile) -> np.ndarray:
    """The profile's elevations on uniform azimuth bins (resampled if they are not)."""
    n = horizon.azimuth_rad.size
    uniform = azimuths_rad(n)
    if np.allclose(horizon.azimuth_rad, uniform, rtol=0, atol=1e-12):
        return np.ascontiguousarray(horizon.elevation_rad)
    return horizon.elevation_at(uniform)


def disk_fraction(horizon: HorizonProfile, azimuth_rad, elevation_rad, radius_rad,
                  n_strips: int = N_STRIPS) -> np.ndarray:
    """Visible fraction (0–1) of disks of given centres and angular radii above a horizon."""
    az, el, rad = np.broadcast_arrays(*(np.ascontiguousarray(a, dtype=float) for a in
                                        (azimuth_rad, elevation_rad, radius_rad)))
    out = np.empty(az.shape)
    k.disk_fraction_profile(uniform_horizon(horizon), az.ravel().copy(), el.ravel().copy(),
                            rad.ravel().copy(), n_strips, out.reshape(-1))
    return out


@dataclass(frozen=True)
class SiteLighting:
    """Sun and Earth visibility of one site at each epoch (arrays of shape (N,)).

    ``sun_terrain_fraction`` ignores eclipses; ``sun_fraction`` includes them
    (``sun_terrain_fraction * (1 − eclipse_hidden_fraction)``). ``earth_fraction`` is the
    visible part of the Earth's disk, ``earth_center_visible`` whether its centre is above
    the horizon.
    """

    site: Site
    epochs: Epochs
    horizon: HorizonProfile
    sun_azimuth_rad: np.ndarray
    sun_elevation_rad: np.ndarray
    sun_terrain_fraction: np.ndarray
    eclipse_hidden_fraction: np.ndarray
    sun_fraction: np.ndarray
    earth_azimuth_rad: np.ndarray
    earth_elevation_rad: np.ndarray
    earth_fraction: np.ndarray
    earth_center_visible: np.ndarray

    @property
    def step_s(self) -> float:
        """The sampling step, s (epochs must be uniform)."""
        t = self.epochs.tdb_s
        return float(t[1] - t[0]) if t.size > 1 else 0.0


def site_lighting(
    site: Site, epochs: Epochs, horizon: HorizonProfile | None = None, sky: Sky | None = None,
) -> SiteLighting:
    """Sun and Earth visibility of ``site`` over ``epochs`` against ``horizon``.

    >>> from ilrs.sky import Epochs, Site
    >>> lit = site_lighting(Site("sub-Earth", 0.0, 0.0), Epochs.from_utc(
    ...     ["2030-01-04T12:00:00", "2030-01-20T12:00:00"]))  # new moon, full moon
    >>> lit.sun_fraction.round(3).tolist(), lit.earth_center_visible.tolist()
    ([0.0, 1.0], [True, True])
    """
    sky = sky or Sky()
    horizon = horizon if horizon is not None else ideal_horizon(site)
    seen = sky.topocentric_many(("sun", "earth"), site, epochs)
    sun, earth = seen["sun"], seen["earth"]
    sun_terrain = disk_fraction(horizon, sun.azimuth_rad, sun.elevation_rad,
                                sun.angular_radius_rad)
    hidden = eclipse_hidden_fraction(sun, earth)
    earth_fraction = disk_fraction(horizon, earth.azimuth_rad, earth.elevation_rad,
                                   earth.angular_radius_rad)
    earth_center = earth.elevation_rad > horizon.elevation_at(earth.azimuth_rad)
    return SiteLighting(
        site, epochs, horizon, sun.azimuth_rad, sun.elevation_rad, sun_terrain, hidden,
        sun_terrain * (1.0 - hidden), earth.azimuth_rad, earth.elevation_rad, earth_fraction,
        earth_center,
    )


def relay_visible(
    relay: RelayOrbit, site: Site, epochs: Epochs, horizon: HorizonProfile | None = None,
    mask_deg: float = 0.0, sky: Sky | None = None,
) -> np.ndarray:
    """Whether the relay is in line of sight: above the terrain horizon and the mask."""
    if not -90.0 <= mask_deg <= 90.0:
        raise InputError("elevation mask", mask_deg, "degrees in [-90, 90]")
    sky = sky or Sky()
    horizon = horizon if horizon is not None else ideal_horizon(site)
    top = sky.topocentric(relay, site, epochs)
    floor = np.maximum(horizon.elevation_at(top.azimuth_rad), math.radians(mask_deg))
    return top.elevation_rad > floor
