"""Site: a point on the Moon in the mean-Earth/polar-axis (ME) frame, and its local frame.

Sites sit on the 1737.4 km reference sphere (the LOLA products' datum) at planetocentric
latitude and east longitude; ``height_m`` is the ground above the sphere and ``mast_m`` the
instrument above the ground. The local frame is east-north-up with azimuth measured from
north through east. At the exact poles "north" is defined as the direction of the 0°
meridian (ME +X) and east completes a right-handed east-north-up triad, so at the south
pole east points to the 90° E meridian.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ilrs.errors import InputError

#: Reference sphere radius of the Moon, metres (IAU/LOLA mean radius).
MOON_RADIUS_M = 1_737_400.0


@dataclass(frozen=True)
class Site:
    """A lunar site. Angles in degrees at this edge, heights in metres.

    >>> s = Site("pole", -90.0, 0.0)
    >>> s.position_km.round(3).tolist()
    [0.0, 0.0, -1737.4]
    >>> s.enu.round(12).tolist()  # rows: east, north, up (ME frame)
    [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]]
    """

    name: str
    lat_deg: float
    lon_deg: float
    height_m: float = 0.0
    mast_m: float = 0.0
    _enu: np.ndarray = field(init=False, repr=False, compare=False)
    _position_km: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        for what in ("lat_deg", "lon_deg", "height_m", "mast_m"):
            value = getattr(self, what)
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise InputError(f"site {self.name!r} {what}", value, "a finite number")
        if not -90.0 <= self.lat_deg <= 90.0:
            raise InputError(f"site {self.name!r} latitude", self.lat_deg, "degrees in [-90, 90]")
        if self.mast_m < 0:
            raise InputError(f"site {self.name!r} mast height", self.mast_m, "metres >= 0")
        if self.height_m + self.mast_m <= -MOON_RADIUS_M / 2:
            raise InputError(f"site {self.name!r} height", self.height_m, "a height above -868 km")
        lat = math.radians(self.lat_deg)
        lon = 0.0 if abs(self.lat_deg) == 90.0 else math.radians(self.lon_deg)
        up = np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])
        if abs(self.lat_deg) == 90.0:
            up = np.array([0.0, 0.0, math.copysign(1.0, self.lat_deg)])
            north = np.array([1.0, 0.0, 0.0])
            east = np.cross(north, up) + 0.0  # + 0.0: no negative zeros
        else:
            east = np.array([-math.sin(lon), math.cos(lon), 0.0])
            north = np.cross(up, east)
        radius_km = (MOON_RADIUS_M + self.height_m + self.mast_m) / 1000.0
        object.__setattr__(self, "_enu", np.ascontiguousarray(np.vstack([east, north, up])))
        object.__setattr__(self, "_position_km", up * radius_km)

    @property
    def radius_m(self) -> float:
        """Distance from the Moon's centre to the instrument (sphere + height + mast), m."""
        return MOON_RADIUS_M + self.height_m + self.mast_m

    @property
    def position_km(self) -> np.ndarray:
        """Instrument position in the ME frame, km, shape (3,)."""
        return self._position_km.copy()

    @property
    def enu(self) -> np.ndarray:
        """Local frame as rows east, north, up (unit vectors in the ME frame), (3, 3)."""
        return self._enu.copy()

    @property
    def key(self) -> tuple[float, float, float]:
        """Hashable identity of the instrument position (for caches)."""
        return tuple(float(x) for x in self._position_km)


#: The reference site of the built-in scenario: a point on the Shackleton–de Gerlache
#: Connecting Ridge, 89.45° S 222.69° E, ground 1954.66 m above the sphere: the height in
#: the finest shared LOLA product there (PGDA Site01 10 m, Barker et al. 2021), the same
#: ground as the shipped reference horizon (``ilrs/terrain/data``); LDEM_75S_120M at 240 m
#: reads 1948.8 m (``shared/data/lunar-dem/SOURCE.md``).
REFERENCE_SITE = Site("Connecting Ridge", -89.45, 222.69, height_m=1954.66)
