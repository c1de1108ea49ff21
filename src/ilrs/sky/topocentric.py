"""Sky: where the Sun, the Earth and relay satellites are, seen from a lunar site.

``Sky.topocentric(body, site, epochs)`` gives azimuth (from local north through east),
elevation, distance and angular radius. The apparent variant matches SPICE's ``LT+S``:
one-iteration Newtonian light time from the observer's barycentric position, then stellar
aberration from the observer's barycentric velocity, which includes the site's motion with
the Moon's rotation. Directions are expressed in the Moon's ME frame at the observation
epoch, and the site's east-north-up frame (see :mod:`ilrs.sky.site`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ilrs.errors import UnknownBodyError
from ilrs.sky import _kernels as k
from ilrs.sky import _relay_kernels as rk
from ilrs.sky.eclipse import hidden_fraction, separation_rad
from ilrs.sky.kernels import EARTH, EMB, MOON, SSB, SUN, ChebyshevSegment, Kernels, default_kernels
from ilrs.sky.relay import RelayOrbit
from ilrs.sky.site import Site
from ilrs.sky.timescale import Epochs

#: Body radii used for angular radii, km: the Sun's IAU 2015 nominal radius (Resolution
#: B3) and the Earth's equatorial radius (IAU WGCCRE 2009, as in NAIF pck00010).
BODY_RADIUS_KM = {"sun": 695_700.0, "earth": 6_378.1366}
_NAIF_ID = {"sun": SUN, "earth": EARTH}


@dataclass(frozen=True)
class Topocentric:
    """A body seen from a site over epochs; arrays of shape (N,).

    Angles in radians inside (``azimuth_rad``…), degrees through the ``*_deg`` properties;
    ``vector_km`` (N, 3) is the (apparent) position in the Moon ME frame.
    """

    body: str
    epochs: Epochs
    azimuth_rad: np.ndarray
    elevation_rad: np.ndarray
    distance_km: np.ndarray
    angular_radius_rad: np.ndarray
    vector_km: np.ndarray

    @functools.cached_property
    def azimuth_deg(self) -> np.ndarray:
        return np.degrees(self.azimuth_rad)

    @functools.cached_property
    def elevation_deg(self) -> np.ndarray:
        return np.degrees(self.elevation_rad)

    @functools.cached_property
    def angular_radius_deg(self) -> np.ndarray:
        return np.degrees(self.angular_radius_rad)


@dataclass(frozen=True)
class _MoonState:
    center_km: np.ndarray
    center_km_s: np.ndarray
    rotation: np.ndarray
    rotation_rate: np.ndarray


class Sky:
    """The sky engine over a kernel set (default: DE421 + Moon PA DE421, from PyPI)."""

    def __init__(self, kernels: Kernels | None = None):
        self.kernels = kernels if kernels is not None else default_kernels()

    # --- building blocks -------------------------------------------------------------
    def _chain_position(self, body: int, tdb_s: np.ndarray, rates: bool = False):
        n = tdb_s.shape[0]
        pos = np.zeros((n, 3))
        vel = np.zeros((n, 3)) if rates else np.zeros((0, 3))
        for seg in self.kernels.chain(body):
            k.chebyshev_add(tdb_s, seg.init_s, seg.interval_s, seg.coefficients, pos, vel)
        return (pos, vel) if rates else pos

    def _moon_state(self, epochs: Epochs) -> _MoonState:
        key = ("moon", id(self.kernels))
        cached = epochs._cache.get(key)
        if cached is not None:
            return cached
        t = epochs.tdb_s
        self.kernels.check_coverage(t, margin_s=1000.0)
        center, center_rate = self._chain_position(MOON, t, rates=True)
        pa = self.kernels.moon_pa
        euler = np.zeros((t.shape[0], 3))
        euler_rate = np.zeros((t.shape[0], 3))
        k.chebyshev_add(t, pa.init_s, pa.interval_s, pa.coefficients, euler, euler_rate)
        rotation = np.empty((t.shape[0], 3, 3))
        rotation_rate = np.empty((t.shape[0], 3, 3))
        k.body_rotation(euler, euler_rate, self.kernels.me_from_pa, rotation, rotation_rate)
        state = _MoonState(center, center_rate, rotation, rotation_rate)
        epochs._cache[key] = state
        return state

    def moon_rotation(self, epochs: Epochs) -> np.ndarray:
        """Rotations from the inertial (ICRF/J2000) frame to the Moon ME frame, (N, 3, 3)."""
        return self._moon_state(epochs).rotation

    def observer_state(self, site: Site, epochs: Epochs) -> tuple[np.ndarray, np.ndarray]:
        """The site's barycentric position (km) and velocity (km/s) in ICRF, each (N, 3)."""
        key = ("observer", id(self.kernels), site.key)
        cached = epochs._cache.get(key)
        if cached is None:
            moon = self._moon_state(epochs)
            n = len(epochs)
            pos, vel = np.empty((n, 3)), np.empty((n, 3))
            k.observer_state(
                moon.center_km, moon.center_km_s, moon.rotation, moon.rotation_rate,
                site.position_km, pos, vel,
            )
            cached = epochs._cache[key] = (pos, vel)
        return cached

    def _target_position(self, body: str | RelayOrbit, tdb_s: np.ndarray) -> np.ndarray:
        if isinstance(body, RelayOrbit):
            frame_epoch = Epochs(np.array([body.epoch_tdb_s]))
            to_icrf = self.moon_rotation(frame_epoch)[0].T
            return self._chain_position(MOON, tdb_s) + body.position_km(tdb_s) @ to_icrf.T
        return self._chain_position(_NAIF_ID[body], tdb_s)

    def _fast_layout(self):
        """Segments of the JPL DE layout the fused kernel needs, or None if absent."""
        segs = self.kernels.segments
        keys = ((SSB, EMB), (EMB, MOON), (EMB, EARTH), (SSB, SUN))
        if not all(key in segs for key in keys):
            return None
        return [segs[key] for key in keys]

    def _topocentric_fused(
        self, names: tuple[str, ...], site: Site, epochs: Epochs, apparent: bool
    ) -> dict[str, Topocentric]:
        emb, moon, earth, sun = self._fast_layout()
        pa = self.kernels.moon_pa
        t = epochs.tdb_s
        self.kernels.check_coverage(t, margin_s=1000.0)
        n = t.shape[0]
        az, el, dist, rad = (np.empty((2, n)) for _ in range(4))
        vec = np.empty((2, n, 3))
        want = np.array([name in names for name in ("sun", "earth")])
        radius_km = np.array([BODY_RADIUS_KM["sun"], BODY_RADIUS_KM["earth"]])
        k.sun_earth_topocentric(
            t, *_seg(emb), *_seg(moon), *_seg(earth), *_seg(sun), *_seg(pa),
            self.kernels.me_from_pa, site.position_km, site._enu, radius_km, want, apparent,
            az, el, dist, rad, vec,
        )
        rows = {"sun": 0, "earth": 1}
        return {
            name: Topocentric(
                name, epochs, az[rows[name]], el[rows[name]], dist[rows[name]],
                rad[rows[name]], vec[rows[name]],
            )
            for name in names
        }

    def _topocentric_relay(self, relay: RelayOrbit, site: Site, epochs: Epochs,
                           apparent: bool) -> Topocentric:
        """A relay in one compiled pass, Moon-centred (``_relay_kernels.relay_topocentric``);
        needs the JPL DE layout."""
        emb, moon, _, _ = self._fast_layout()
        pa = self.kernels.moon_pa
        t = epochs.tdb_s
        self.kernels.check_coverage(t, margin_s=1000.0)
        n = t.shape[0]
        az, el, dist, rad = (np.empty((1, n)) for _ in range(4))
        vec = np.empty((1, n, 3))
        frame = self.moon_rotation(Epochs(np.array([relay.epoch_tdb_s])))[0].T
        a = relay.semi_major_axis_km
        rk.relay_topocentric(
            t, *_seg(emb), *_seg(moon), *_seg(pa), self.kernels.me_from_pa, site.position_km,
            site._enu, relay.epoch_tdb_s, math.radians(relay.mean_anomaly_deg),
            math.sqrt(relay.gm_km3_s2 / a**3), a, relay.eccentricity,
            frame @ relay._perifocal_to_frame(), apparent, az, el, dist, rad, vec,
        )
        return Topocentric(relay.name, epochs, az[0], el[0], dist[0], rad[0], vec[0])

    def _topocentric_general(
        self, body: str | RelayOrbit, site: Site, epochs: Epochs, apparent: bool
    ) -> Topocentric:
        """Any body, any kernel layout: the chain sum, one light-time iteration, aberration.

        The obviously-correct path that the fused kernel is tested against.
        """
        name, radius_km = _resolve_body(body)
        body = body if isinstance(body, RelayOrbit) else name
        t = epochs.tdb_s
        moon = self._moon_state(epochs)
        obs, obs_vel = self.observer_state(site, epochs)
        target = self._target_position(body, t)
        if apparent:
            lt = np.empty(t.shape[0])
            k.light_time_s(target, obs, lt)
            target = self._target_position(body, t - lt)
        n = t.shape[0]
        az, el, dist, rad = (np.empty((1, n)) for _ in range(4))
        vec = np.empty((1, n, 3))
        k.topocentric_azel(
            target, obs, obs_vel, moon.rotation, site._enu, np.array([radius_km]), apparent,
            az, el, dist, rad, vec,
        )
        return Topocentric(name, epochs, az[0], el[0], dist[0], rad[0], vec[0])

    # --- public ----------------------------------------------------------------------
    def topocentric(
        self, body: str | RelayOrbit, site: Site, epochs: Epochs, apparent: bool = True
    ) -> Topocentric:
        """Azimuth, elevation, distance and angular radius of ``body`` from ``site``.

        ``body`` is ``"sun"``, ``"earth"`` or a :class:`RelayOrbit`. ``apparent`` applies
        light time and stellar aberration (SPICE ``LT+S``); otherwise geometric.
        """
        return self.topocentric_many((body,), site, epochs, apparent)[_resolve_body(body)[0]]

    def topocentric_many(
        self, bodies, site: Site, epochs: Epochs, apparent: bool = True
    ) -> dict[str, Topocentric]:
        """Several bodies at once, keyed by name; the Sun and the Earth share one pass, a
        relay gets its own (both compiled, with the JPL DE layout of kernels).

        >>> from ilrs.sky import Epochs, Site
        >>> seen = Sky().topocentric_many(["sun", "earth"], Site("pole", -90, 0),
        ...                              Epochs.from_utc("2030-01-01T00:00:00"))
        >>> sorted(seen), bool(abs(seen["sun"].elevation_deg[0]) < 1.6)
        (['earth', 'sun'], True)
        """
        names = [_resolve_body(b)[0] for b in bodies]
        fused = tuple(n for b, n in zip(bodies, names, strict=True)
                      if not isinstance(b, RelayOrbit))
        out: dict[str, Topocentric] = {}
        if fused and self._fast_layout() is not None:
            out.update(self._topocentric_fused(fused, site, epochs, apparent))
        for body, name in zip(bodies, names, strict=True):
            if name in out:
                continue
            if isinstance(body, RelayOrbit) and self._fast_layout() is not None:
                out[name] = self._topocentric_relay(body, site, epochs, apparent)
            else:
                out[name] = self._topocentric_general(body, site, epochs, apparent)
        return out

    def eclipse_fraction(self, site: Site, epochs: Epochs) -> np.ndarray:
        """Fraction (0–1) of the solar disk hidden by the Earth, seen from ``site``.

        Uses the apparent directions and angular radii of both bodies; independent of the
        horizon (terrain is applied by ``ilrs.lighting``).
        """
        seen = self.topocentric_many(("sun", "earth"), site, epochs)
        return eclipse_hidden_fraction(seen["sun"], seen["earth"])


def eclipse_hidden_fraction(sun: Topocentric, earth: Topocentric) -> np.ndarray:
    """Fraction of the solar disk behind the Earth, from already computed positions.

    Only epochs where the disks can touch (a cheap dot-product test) get the exact
    separation and overlap; the rest are 0.
    """
    u, v = sun.vector_km, earth.vector_km
    cos_sep = np.einsum("ij,ij->i", u, v) / (sun.distance_km * earth.distance_km)
    reach = sun.angular_radius_rad + earth.angular_radius_rad
    near = np.flatnonzero(cos_sep > np.cos(np.minimum(reach * 1.01, np.pi)))
    out = np.zeros(u.shape[0])
    if near.size:
        sep = separation_rad(u[near], v[near])
        out[near] = hidden_fraction(sun.angular_radius_rad[near],
                                    earth.angular_radius_rad[near], sep)
    return out


def _resolve_body(body: str | RelayOrbit) -> tuple[str, float]:
    if isinstance(body, RelayOrbit):
        return body.name, 0.0
    if isinstance(body, str) and body.lower() in BODY_RADIUS_KM:
        return body.lower(), BODY_RADIUS_KM[body.lower()]
    raise UnknownBodyError("body", body, "'sun', 'earth' or a RelayOrbit")


def _seg(segment: ChebyshevSegment) -> tuple[np.ndarray, float, float]:
    return segment.coefficients, segment.init_s, segment.interval_s
