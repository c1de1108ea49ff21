"""Polar stereographic projection on the lunar sphere: lat/lon ↔ map x/y ↔ Moon-fixed vectors.

This is the projection of the LOLA polar products and the PGDA site tiles, e.g.
``+proj=stere +lat_0=-90 +lon_0=0 +k=1 +x_0=0 +y_0=0 +R=1737400 +units=m``. On a sphere it
has a closed form both ways (Snyder 1987, *Map Projections — A Working Manual*, USGS PP
1395, eqs. 21-5 to 21-8 and 20-14 to 20-18), so every conversion here is exact to rounding:

* south pole (``lat_0 = -90``): ρ = 2 R k₀ tan(π/4 + φ/2), x = ρ sin(λ − λ₀), y = ρ cos(λ − λ₀)
* north pole (``lat_0 = +90``): ρ = 2 R k₀ tan(π/4 − φ/2), x = ρ sin(λ − λ₀), y = −ρ cos(λ − λ₀)

plus the false easting / northing. Equivalently, for a unit vector p in the ME frame (south
case) x = 2 R k₀ p′_y / (1 − p_z), y = 2 R k₀ p′_x / (1 − p_z), with p′ rotated by −λ₀ about
+Z: the stereographic projection from the opposite pole, which the horizon kernel uses.
Angles are radians, lengths metres; vectors are ``(N, 3)`` rows in the ME frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ilrs.errors import InputError
from ilrs.sky.site import MOON_RADIUS_M

__all__ = ["PolarStereographic", "latlon_from_vector", "vector_from_latlon"]


def vector_from_latlon(lat_rad, lon_rad, radius_m=MOON_RADIUS_M) -> np.ndarray:
    """Moon-fixed (ME) position, metres, ``(N, 3)`` (or ``(3,)`` for scalars).

    >>> vector_from_latlon(0.0, math.pi / 2, 1.0).round(12).tolist()
    [0.0, 1.0, 0.0]
    """
    lat = np.asarray(lat_rad, dtype=float)
    lon = np.asarray(lon_rad, dtype=float)
    r = np.asarray(radius_m, dtype=float)
    cl = np.cos(lat)
    return np.stack([r * cl * np.cos(lon), r * cl * np.sin(lon), r * np.sin(lat)], axis=-1)


def latlon_from_vector(vector_m) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latitude, east longitude in [0, 2π) (radians) and radius (m) of ``(N, 3)`` vectors.

    >>> lat, lon, r = latlon_from_vector([0.0, -2.0, 0.0])
    >>> float(lat), round(math.degrees(lon), 9), float(r)
    (0.0, 270.0, 2.0)
    """
    v = np.asarray(vector_m, dtype=float)
    r = np.linalg.norm(v, axis=-1)
    lat = np.arcsin(np.clip(v[..., 2] / r, -1.0, 1.0))
    lon = np.mod(np.arctan2(v[..., 1], v[..., 0]), 2.0 * math.pi)
    return lat, lon, r


@dataclass(frozen=True)
class PolarStereographic:
    """Polar stereographic projection of the lunar sphere, centred on one pole.

    ``pole`` is -1 (south, LOLA ``LDEM_*S``) or +1 (north); ``k0`` the scale at the pole
    (1 for LOLA; ``(1 + |sin lat_ts|) / 2`` when given a latitude of true scale).

    >>> ps = PolarStereographic.south()
    >>> x, y = ps.xy_from_latlon(math.radians(-89.45), math.radians(222.69))
    >>> round(float(x)), round(float(y))  # SOURCE.md: the target point at (-11 308, -12 259) m
    (-11308, -12259)
    """

    pole: int = -1
    lon0_rad: float = 0.0
    k0: float = 1.0
    radius_m: float = MOON_RADIUS_M
    false_easting_m: float = 0.0
    false_northing_m: float = 0.0

    def __post_init__(self):
        if self.pole not in (-1, 1):
            raise InputError("polar stereographic pole", self.pole, "-1 (south) or +1 (north)")
        if not (self.k0 > 0 and self.radius_m > 0):
            raise InputError("polar stereographic scale/radius", (self.k0, self.radius_m), "> 0")

    @classmethod
    def south(cls) -> PolarStereographic:
        """The LOLA south-polar projection (``+lat_0=-90 +lon_0=0 +k=1 +R=1737400``)."""
        return cls(pole=-1)

    @classmethod
    def north(cls) -> PolarStereographic:
        """The LOLA north-polar projection (``+lat_0=90 +lon_0=0 +k=1 +R=1737400``)."""
        return cls(pole=1)

    @property
    def proj4(self) -> str:
        """The PROJ string of this projection (what a GeoTIFF written by ilrs carries)."""
        return (
            f"+proj=stere +lat_0={90 * self.pole} +lon_0={math.degrees(self.lon0_rad):.12g} "
            f"+k={self.k0:.15g} +x_0={self.false_easting_m:.12g} "
            f"+y_0={self.false_northing_m:.12g} +R={self.radius_m:.12g} +units=m +no_defs"
        )

    @property
    def two_rk0_m(self) -> float:
        return 2.0 * self.radius_m * self.k0

    def scale_factor(self, x_m, y_m) -> np.ndarray:
        """Point scale factor k = k₀ (1 + (ρ / 2Rk₀)²) at map coordinates (Snyder 21-4)."""
        rho = np.hypot(
            np.asarray(x_m) - self.false_easting_m, np.asarray(y_m) - self.false_northing_m
        )
        return self.k0 * (1.0 + (rho / self.two_rk0_m) ** 2)

    def xy_from_latlon(self, lat_rad, lon_rad) -> tuple[np.ndarray, np.ndarray]:
        """Map x (easting), y (northing), metres, of planetocentric lat / east lon."""
        lat = np.asarray(lat_rad, dtype=float)
        dlon = np.asarray(lon_rad, dtype=float) - self.lon0_rad
        rho = self.two_rk0_m * np.tan(math.pi / 4 + self.pole * -0.5 * lat)
        x = rho * np.sin(dlon) + self.false_easting_m
        y = -self.pole * rho * np.cos(dlon) + self.false_northing_m
        return x, y

    def latlon_from_xy(self, x_m, y_m) -> tuple[np.ndarray, np.ndarray]:
        """Latitude and east longitude in [0, 2π), radians, of map coordinates."""
        x = np.asarray(x_m, dtype=float) - self.false_easting_m
        y = np.asarray(y_m, dtype=float) - self.false_northing_m
        rho = np.hypot(x, y)
        colat = 2.0 * np.arctan(rho / self.two_rk0_m)
        lat = -self.pole * (colat - math.pi / 2)
        lon = np.arctan2(x, -self.pole * y) + self.lon0_rad
        return lat, np.mod(lon, 2.0 * math.pi)

    def xy_from_vector(self, vector_m) -> tuple[np.ndarray, np.ndarray]:
        """Map x, y of the radial projection of ME vectors ``(N, 3)`` onto the sphere."""
        v = np.asarray(vector_m, dtype=float)
        p = v / np.linalg.norm(v, axis=-1, keepdims=True)
        c, s = math.cos(self.lon0_rad), math.sin(self.lon0_rad)
        px = c * p[..., 0] + s * p[..., 1]
        py = -s * p[..., 0] + c * p[..., 1]
        f = self.two_rk0_m / (1.0 + self.pole * p[..., 2])
        return f * py + self.false_easting_m, -self.pole * f * px + self.false_northing_m

    def vector_from_xy(self, x_m, y_m, height_m=0.0) -> np.ndarray:
        """ME vectors ``(N, 3)``, metres, of map points at ``height_m`` above the sphere."""
        lat, lon = self.latlon_from_xy(x_m, y_m)
        return vector_from_latlon(lat, lon, MOON_RADIUS_M + np.asarray(height_m, dtype=float))

    def kernel_parameters(self) -> np.ndarray:
        """``[pole, cos λ₀, sin λ₀, 2Rk₀, x₀, y₀]`` for :mod:`ilrs.terrain._kernels`."""
        return np.array(
            [
                self.pole,
                math.cos(self.lon0_rad),
                math.sin(self.lon0_rad),
                self.two_rk0_m,
                self.false_easting_m,
                self.false_northing_m,
            ]
        )

    def same_as(self, other: PolarStereographic, tol_m: float = 1e-3) -> bool:
        """True when both map every point to the same x, y within ``tol_m`` at 300 km."""
        return (
            self.pole == other.pole
            and abs(math.remainder(self.lon0_rad - other.lon0_rad, 2 * math.pi)) * 3e5 < tol_m
            and abs(self.two_rk0_m - other.two_rk0_m) * 0.1 < tol_m
            and abs(self.false_easting_m - other.false_easting_m) < tol_m
            and abs(self.false_northing_m - other.false_northing_m) < tol_m
        )

    @classmethod
    def from_proj_dict(cls, params: dict) -> PolarStereographic:
        """Build from a PROJ parameter dict (``CRS.to_dict()``); raises ``InputError`` if the
        projection is not a spherical polar stereographic one."""
        if params.get("proj") not in ("stere", "ups"):
            raise InputError("projection", params.get("proj"), "polar stereographic (stere)")
        lat0 = float(params.get("lat_0", 0.0))
        if abs(abs(lat0) - 90.0) > 1e-9:
            raise InputError("stereographic lat_0", lat0, "±90 (a polar aspect)")
        if "R" in params:
            radius = float(params["R"])
        elif "a" in params:
            radius = float(params["a"])
            b = float(params.get("b", radius))
            if abs(b - radius) > 1e-3 or float(params.get("rf", 0.0) or 0.0) != 0.0:
                raise InputError("ellipsoid", (radius, b), "a sphere (LOLA uses R = 1737400 m)")
        else:
            raise InputError("projection radius", params, "+R or +a (the lunar sphere)")
        if "lat_ts" in params:
            k0 = (1.0 + abs(math.sin(math.radians(float(params["lat_ts"]))))) / 2.0
        else:
            k0 = float(params.get("k", params.get("k_0", 1.0)))
        if params.get("units", "m") != "m":
            raise InputError("projection units", params.get("units"), "metres")
        return cls(
            pole=int(math.copysign(1, lat0)),
            lon0_rad=math.radians(float(params.get("lon_0", 0.0))),
            k0=k0,
            radius_m=radius,
            false_easting_m=float(params.get("x_0", 0.0)),
            false_northing_m=float(params.get("y_0", 0.0)),
        )
