"""Relay satellites: two-body Keplerian orbits about the Moon, e.g. Queqiao-2.

Elements are osculating Keplerian elements referred to a Moon-centred inertial frame whose
axes are those of the Moon's mean-Earth/polar-axis (ME) frame frozen at the element epoch
(so the inclination is to the lunar equator). Propagation is pure two-body: good for
contact geometry over days to weeks; a real frozen orbit is held by the Earth's pull and
station keeping, which this model does not include.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ilrs.errors import InputError
from ilrs.sky import _relay_kernels
from ilrs.sky.site import MOON_RADIUS_M
from ilrs.sky.timescale import utc_to_tdb_s

#: Moon GM, km³/s² (JPL DE430/DE440; Folkner et al. 2014, IPN PR 42-196, table 4).
GM_MOON_KM3_S2 = 4902.800066


def solve_kepler(mean_anomaly_rad: np.ndarray, eccentricity: float) -> np.ndarray:
    """Eccentric anomaly E from M = E − e sin E (elliptic orbits), by Newton's method.

    >>> round(float(solve_kepler(np.array([1.0]), 0.5)[0]), 9)
    1.498701134
    """
    m = np.mod(np.asarray(mean_anomaly_rad, float), 2.0 * np.pi)
    e_anom = np.where(eccentricity > 0.8, np.pi, m + eccentricity * np.sin(m))
    for _ in range(50):
        delta = (e_anom - eccentricity * np.sin(e_anom) - m) / (1.0 - eccentricity * np.cos(e_anom))
        e_anom = e_anom - delta
        if np.max(np.abs(delta), initial=0.0) < 1e-14:
            break
    return e_anom


@dataclass(frozen=True)
class RelayOrbit:
    """A relay satellite on a Keplerian orbit about the Moon.

    Distances km, angles degrees at this edge, ``epoch_tdb_s`` TDB seconds past J2000.
    """

    name: str
    semi_major_axis_km: float
    eccentricity: float
    inclination_deg: float
    raan_deg: float
    arg_periapsis_deg: float
    mean_anomaly_deg: float
    epoch_tdb_s: float
    gm_km3_s2: float = GM_MOON_KM3_S2

    def __post_init__(self):
        if not 0.0 <= self.eccentricity < 1.0:
            raise InputError(f"relay {self.name!r} eccentricity", self.eccentricity, "0 <= e < 1")
        periapsis_km = self.semi_major_axis_km * (1.0 - self.eccentricity)
        if periapsis_km <= MOON_RADIUS_M / 1000.0:
            raise InputError(
                f"relay {self.name!r} periapsis radius", periapsis_km, "above the lunar surface"
            )

    @classmethod
    def from_altitudes(
        cls, name: str, periapsis_alt_km: float, apoapsis_alt_km: float, inclination_deg: float,
        *, raan_deg: float = 0.0, arg_periapsis_deg: float = 90.0, mean_anomaly_deg: float = 0.0,
        epoch_utc: str = "2024-04-02T00:00:00",
    ) -> RelayOrbit:
        """Orbit from periapsis and apoapsis altitudes above the 1737.4 km sphere."""
        r_p = MOON_RADIUS_M / 1000.0 + periapsis_alt_km
        r_a = MOON_RADIUS_M / 1000.0 + apoapsis_alt_km
        if r_a < r_p:
            raise InputError(f"relay {name!r} apoapsis altitude", apoapsis_alt_km, "≥ periapsis")
        return cls(
            name=name,
            semi_major_axis_km=(r_p + r_a) / 2.0,
            eccentricity=(r_a - r_p) / (r_a + r_p),
            inclination_deg=inclination_deg,
            raan_deg=raan_deg,
            arg_periapsis_deg=arg_periapsis_deg,
            mean_anomaly_deg=mean_anomaly_deg,
            epoch_tdb_s=float(utc_to_tdb_s([epoch_utc])[0]),
        )

    @classmethod
    def queqiao2(cls) -> RelayOrbit:
        """Queqiao-2's mission orbit: 200 × 16,000 km altitude, i = 62.4°, period ≈ 24 h.

        Source: ``shared/reference/ilrs-facts.md`` (CNSA, 2024: "elliptical frozen orbit,
        24 h"). The argument of periapsis 90° puts apoapsis over the south pole, as the
        relay is meant to serve the south-polar missions; node and phase are illustrative.
        """
        return cls.from_altitudes("Queqiao-2", 200.0, 16_000.0, 62.4)

    @property
    def period_s(self) -> float:
        """Orbital period, seconds."""
        return 2.0 * math.pi * math.sqrt(self.semi_major_axis_km**3 / self.gm_km3_s2)

    def _perifocal_to_frame(self) -> np.ndarray:
        o, i, w = (
            math.radians(x) for x in (self.raan_deg, self.inclination_deg, self.arg_periapsis_deg)
        )
        co, so, ci, si = math.cos(o), math.sin(o), math.cos(i), math.sin(i)
        cw, sw = math.cos(w), math.sin(w)
        return np.array([
            [co * cw - so * sw * ci, -co * sw - so * cw * ci, so * si],
            [so * cw + co * sw * ci, -so * sw + co * cw * ci, -co * si],
            [sw * si, cw * si, ci],
        ])

    def state_km(self, tdb_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Position (km) and velocity (km/s) in the orbit frame, each (N, 3) (compiled
        kernel; :meth:`state_km_numpy` is its plain reference)."""
        t = np.ascontiguousarray(np.atleast_1d(np.asarray(tdb_s, float)))
        a = self.semi_major_axis_km
        pos, vel = np.empty((t.size, 3)), np.empty((t.size, 3))
        _relay_kernels.kepler_state(t, self.epoch_tdb_s, math.radians(self.mean_anomaly_deg),
                                    math.sqrt(self.gm_km3_s2 / a**3), a,
                                    self.eccentricity, self._perifocal_to_frame(), pos, vel)
        return pos, vel

    def state_km_numpy(self, tdb_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`state_km` in plain numpy (the reference of the compiled kernel)."""
        t = np.atleast_1d(np.asarray(tdb_s, float))
        a, e, mu = self.semi_major_axis_km, self.eccentricity, self.gm_km3_s2
        n = math.sqrt(mu / a**3)
        mean = math.radians(self.mean_anomaly_deg) + n * (t - self.epoch_tdb_s)
        big_e = solve_kepler(mean, e)
        cos_e, sin_e = np.cos(big_e), np.sin(big_e)
        b = a * math.sqrt(1.0 - e * e)
        r = a * (1.0 - e * cos_e)
        pos = np.stack([a * (cos_e - e), b * sin_e, np.zeros_like(t)], axis=-1)
        zero = np.zeros_like(t)
        vel = np.stack([-a * n * sin_e / (r / a), b * n * cos_e / (r / a), zero], axis=-1)
        rot = self._perifocal_to_frame()
        return pos @ rot.T, vel @ rot.T

    def position_km(self, tdb_s: np.ndarray) -> np.ndarray:
        """Position in the orbit frame, km, (N, 3)."""
        return self.state_km(tdb_s)[0]
