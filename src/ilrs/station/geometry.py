"""What the station sees, precomputed once on a coarse grid and interpolated to each step.

Sun and Earth directions come from :mod:`ilrs.sky` once per grid point; each mast height
(array masts, the element height, the antenna mast) gets its own horizon and so its own
visible solar-disk fraction (:func:`ilrs.lighting.disk_fraction`) and Earth/relay
visibility margin (elevation above the horizon and the mask). Interpolating these smooth
quantities linearly to 1-minute steps costs far less than computing the sky at every step
and errs only at the edges of a sunrise or a pass, by well under one coarse step (tested).
"""

from __future__ import annotations

import dataclasses
import math
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ilrs.errors import InputError
from ilrs.lighting import disk_fraction, ideal_horizon
from ilrs.sky import Epochs, RelayOrbit, Site, Sky
from ilrs.sky.site import MOON_RADIUS_M
from ilrs.sky.topocentric import eclipse_hidden_fraction
from ilrs.terrain import HorizonProfile, horizon_profile, site_on_dem
from ilrs.terrain.reference import (
    REFERENCE_LAT_DEG,
    REFERENCE_LON_DEG,
    REFERENCE_MASTS_M,
    reference_horizon,
)

__all__ = ["Geometry", "HorizonSource", "distance_on_sphere_m", "geometry_at", "sun_columns"]


#: The reference horizon holds within one pixel of the finest DEM it was computed from (the
#: 10 m Site01 patch; see the header of ``connecting_ridge_horizon.csv``), metres.
REFERENCE_PIXEL_M = 10.0


def distance_on_sphere_m(lat1_deg: float, lon1_deg: float, lat2_deg: float,
                         lon2_deg: float) -> float:
    """Great-circle distance on the 1737.4 km sphere, m (haversine).

    >>> round(distance_on_sphere_m(-90, 0, -89, 0) / 1000, 2)  # one degree of latitude
    30.32
    """
    p1, p2 = math.radians(lat1_deg), math.radians(lat2_deg)
    dl = math.radians(lon2_deg - lon1_deg)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * MOON_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass
class HorizonSource:
    """How to get a horizon for a mast height at the site ``lat_deg``, ``lon_deg``:
    ``reference`` (the shipped Connecting-Ridge horizon, only for that point), ``ideal`` (the
    smooth sphere), ``dem`` (computed at the site from ``dems``) or a horizon file.

    The site is always the site simulated: a horizon that belongs to another point is
    refused (:meth:`mismatch` says why), never silently used.
    """

    kind: str
    lat_deg: float
    lon_deg: float
    height_m: float | None = None
    name: str = "station"
    dems: tuple = ()
    _cache: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.dems and self.kind in ("reference", "ideal"):
            self.kind = "dem"      # DEMs given: the horizon is computed where the site is
        problem = self.mismatch()
        if problem:
            raise InputError("site", f"{self.lat_deg:g}, {self.lon_deg:g}", problem)

    def mismatch(self) -> str | None:
        """Why this horizon cannot serve this site, or ``None`` if it can."""
        if self.kind == "dem" and not self.dems:
            return "--dem files (or site.dems) to compute the horizon from"
        if self.kind != "reference":
            return None
        off_m = distance_on_sphere_m(self.lat_deg, self.lon_deg, REFERENCE_LAT_DEG,
                                     REFERENCE_LON_DEG)
        if off_m <= REFERENCE_PIXEL_M:
            return None
        return (f"the reference horizon's own point ({-REFERENCE_LAT_DEG:g}° S "
                f"{REFERENCE_LON_DEG:g}° E, {off_m / 1000:.3g} km away); give --dem FILE "
                "(or site.dems) to compute this site's horizon, or set site.horizon: ideal")

    def describe(self) -> dict:
        """Where the horizon comes from, for summaries, ``kpis.json`` and reports."""
        detail = {
            "reference": "shipped LOLA-derived horizon of the Connecting-Ridge point",
            "ideal": "smooth sphere, no terrain",
            "dem": "computed at the site from " + ", ".join(Path(str(d)).name
                                                           for d in self.dems),
        }.get(self.kind, f"horizon file {self.kind}")
        return {"source": self.kind if self.kind in ("reference", "ideal", "dem") else "file",
                "detail": detail, "lat_deg": self.lat_deg, "lon_deg": self.lon_deg,
                "dems": [str(d) for d in self.dems]}

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
            site = site_on_dem(list(self.dems), self.lat_deg, self.lon_deg, mast_m, self.name)
            prof = horizon_profile(list(self.dems), site, 720, 300_000.0)
        else:
            prof = self._file_profile(mast_m)
        self._cache[mast_m] = prof
        return prof

    def _file_profile(self, mast_m: float) -> HorizonProfile:
        path = Path(self.kind)
        if not path.is_file():
            raise InputError("horizon", self.kind,
                             "reference, ideal, dem or an existing horizon file")
        prof = HorizonProfile.load(path)
        if prof.site is None:
            site = Site(self.name, self.lat_deg, self.lon_deg, self.height_m or 0.0, mast_m)
            return HorizonProfile(prof.azimuth_rad, prof.elevation_rad, site,
                                  prof.reach_m, prof.provenance)
        off_m = distance_on_sphere_m(self.lat_deg, self.lon_deg, prof.site.lat_deg,
                                     prof.site.lon_deg)
        if off_m > REFERENCE_PIXEL_M:
            raise InputError("site", f"{self.lat_deg:g}, {self.lon_deg:g}",
                             f"the point of the horizon file {path} ({prof.site.lat_deg:g}, "
                             f"{prof.site.lon_deg:g}; {off_m / 1000:.3g} km away)")
        return prof

    def site(self, mast_m: float) -> Site:
        """The site on its ground (the horizon's ground height where it has one)."""
        s = self.profile(mast_m).site
        return Site(s.name, s.lat_deg, s.lon_deg, s.height_m, float(mast_m))


@dataclass
class Geometry:
    """Grid geometry: TDB seconds and per-quantity arrays (see :func:`geometry_at`)."""

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
    memo: Memo | None = None     # per-step arrays kept for reuse (see memoized)
    #: the regolith's surface temperature over this span, by property set (a per-site input:
    #: see ilrs.station.thermal.surface_for)
    surfaces: dict = field(default_factory=dict)

    def at(self, name: str, tdb_s: np.ndarray, mast_m: float | None = None) -> np.ndarray:
        """A quantity linearly interpolated to ``tdb_s``."""
        def interp() -> np.ndarray:
            values = (self.sun_fraction[mast_m] if name == "sun_fraction"
                      else getattr(self, name))
            return np.interp(tdb_s, self.tdb_s, values)
        return self.cached((name, mast_m), tdb_s, interp)

    def cached(self, key: tuple, tdb_s: np.ndarray, compute):
        """``compute()`` (per-step arrays at ``tdb_s``), kept under ``key`` when memoized."""
        if self.memo is None or tdb_s.size == 0:
            return compute()
        return self.memo.get((*key, float(tdb_s[0]), float(tdb_s[-1]), tdb_s.size), compute)

    def memoized(self, max_bytes: float = 3.0e9) -> Geometry:
        """This geometry keeping the per-step arrays it computes (up to ``max_bytes``, the
        least recently used dropped first), for many runs over the same steps (studies):
        the arrays are shared between runs, so never change them in place."""
        return dataclasses.replace(self, memo=Memo(max_bytes))


class Memo:
    """Least-recently-used store of per-step arrays (or tuples and dicts of them), bounded
    in bytes.

    An array is kept only when its key is asked for a second time (the keys of recent
    misses are remembered, up to ``ghosts`` of them): what one run alone uses — a Monte
    Carlo trial's loads under its own arrivals and faults — is computed and dropped instead
    of pushing out what every run shares."""

    def __init__(self, max_bytes: float, ghosts: int = 100_000):
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._items: OrderedDict[tuple, tuple[object, int]] = OrderedDict()
        self._missed: OrderedDict[tuple, None] = OrderedDict()
        self._ghosts = ghosts

    @staticmethod
    def _size(value) -> int:
        if isinstance(value, np.ndarray):
            return value.nbytes
        if isinstance(value, dict):
            return sum(Memo._size(v) for v in value.values())
        if isinstance(value, tuple | list):
            return sum(Memo._size(v) for v in value)
        return 64

    def get(self, key: tuple, compute):
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
            return hit[0]
        value = compute()
        if key not in self._missed:                       # first time: remember the key
            self._missed[key] = None
            if len(self._missed) > self._ghosts:
                self._missed.popitem(last=False)
            return value
        del self._missed[key]
        size = self._size(value)
        if size <= self.max_bytes:
            self._items[key] = (value, size)
            self.nbytes += size
            while self.nbytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.nbytes -= dropped
        return value

    def __len__(self) -> int:
        return len(self._items)


def geometry_at(source: HorizonSource, masts_m, antenna_mast_m: float, tdb_s: np.ndarray,
                relay: RelayOrbit | None, dte_mask_deg: float, relay_mask_deg: float,
                sky: Sky | None = None, refine_step_s: float | None = None) -> Geometry:
    """Sun, Earth and relay geometry at the grid epochs ``tdb_s`` (increasing). Each
    point depends only on its own epoch (the Sun's azimuth is unwrapped along the grid, so
    pieces of a grid differ from the whole by multiples of 2π), which lets the live twin
    compute its grid piece by piece.

    With ``refine_step_s``, every grid interval in which something switches — an eclipse
    contact (none → partial → total), a sunrise or sunset on a mast's horizon (dark →
    partial → fully lit), an Earth rise or set, a relay AOS or LOS — gets points every
    ``refine_step_s`` (the twin's step): the kinks at those contacts are where linear
    interpolation between coarse points would err, by up to half a coarse step."""
    sky = sky or Sky()
    masts = sorted({float(m) for m in masts_m} | {float(antenna_mast_m)})
    horizons = {m: source.profile(m) for m in masts}
    antenna = source.site(antenna_mast_m)
    args = (sky, antenna, horizons, float(antenna_mast_m), relay, dte_mask_deg,
            relay_mask_deg)
    cols = _columns(np.asarray(tdb_s, dtype=float), *args)
    if refine_step_s:
        extra = _refinement(cols, refine_step_s)
        if extra.size:
            more = _columns(extra, *args)
            order = np.argsort(np.concatenate([cols["tdb_s"], extra]), kind="stable")
            cols = {key: np.concatenate([cols[key], more[key]])[order] for key in cols}
    return Geometry(
        tdb_s=cols["tdb_s"], sun_fraction={m: cols[("sun_fraction", m)] for m in masts},
        sun_elevation_rad=cols["sun_elevation_rad"],
        sun_azimuth_rad=np.unwrap(cols["sun_azimuth_rad"]),
        sun_distance_m=cols["sun_distance_m"],
        eclipse_hidden_fraction=cols["eclipse_hidden_fraction"],
        earth_margin_rad=cols["earth_margin_rad"], earth_range_m=cols["earth_range_m"],
        relay_margin_rad=cols["relay_margin_rad"], relay_range_m=cols["relay_range_m"],
        horizons=horizons, site=antenna,
    )


def _columns(tdb_s: np.ndarray, sky: Sky, antenna: Site, horizons: dict[float, HorizonProfile],
             antenna_mast_m: float, relay: RelayOrbit | None, dte_mask_deg: float,
             relay_mask_deg: float) -> dict:
    """Every geometry quantity at ``tdb_s``; the Sun's azimuth wrapped to [0, 2π)."""
    n = tdb_s.size
    epochs = Epochs(tdb_s)
    seen = sky.topocentric_many(("sun", "earth"), antenna, epochs)
    sun, earth = seen["sun"], seen["earth"]
    hidden = eclipse_hidden_fraction(sun, earth)
    ant_h = horizons[antenna_mast_m]
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
    cols = {
        "tdb_s": epochs.tdb_s, "sun_elevation_rad": sun.elevation_rad,
        "sun_azimuth_rad": sun.azimuth_rad, "sun_distance_m": sun.distance_km * 1e3,
        "eclipse_hidden_fraction": hidden, "earth_margin_rad": earth.elevation_rad - earth_floor,
        "earth_range_m": earth.distance_km * 1e3, "relay_margin_rad": relay_margin,
        "relay_range_m": relay_range,
    }
    for m, h in horizons.items():
        cols[("sun_fraction", m)] = disk_fraction(
            h, sun.azimuth_rad, sun.elevation_rad, sun.angular_radius_rad) * (1.0 - hidden)
    return cols


def sun_columns(site: Site, horizon: HorizonProfile, tdb_s: np.ndarray,
                sky: Sky | None = None) -> dict[str, np.ndarray]:
    """The Sun alone at ``tdb_s`` seen from ``site`` through ``horizon``: visible disk
    fraction (eclipses included), elevation, azimuth, distance and the eclipse's hidden
    fraction (the regolith's spin-up year)."""
    sky = sky or Sky()
    seen = sky.topocentric_many(("sun", "earth"), site, Epochs(np.asarray(tdb_s, float)))
    sun, earth = seen["sun"], seen["earth"]
    hidden = eclipse_hidden_fraction(sun, earth)
    return {"sun_fraction": disk_fraction(horizon, sun.azimuth_rad, sun.elevation_rad,
                                          sun.angular_radius_rad) * (1.0 - hidden),
            "sun_elevation_rad": sun.elevation_rad, "sun_azimuth_rad": sun.azimuth_rad,
            "sun_distance_m": sun.distance_km * 1e3, "eclipse_hidden_fraction": hidden}


def _phase(fraction: np.ndarray) -> np.ndarray:
    """0 none, 1 partial, 2 whole (of a disk fraction in [0, 1])."""
    return (fraction > 1e-12).astype(np.int8) + (fraction >= 1.0 - 1e-12)


def _refinement(cols: dict, step_s: float) -> np.ndarray:
    """Epochs every ``step_s`` inside the grid intervals where a phase or a visibility
    changes (see :func:`geometry_at`)."""
    t = cols["tdb_s"]
    if t.size < 2:
        return np.zeros(0)
    switch = np.zeros(t.size - 1, bool)
    for key, values in cols.items():
        if key == "eclipse_hidden_fraction" or (isinstance(key, tuple)
                                                and key[0] == "sun_fraction"):
            phase = _phase(values)
        elif key in ("earth_margin_rad", "relay_margin_rad"):
            phase = values > 0.0
        else:
            continue
        switch |= phase[1:] != phase[:-1]
    idx = np.flatnonzero(switch)
    if idx.size == 0:
        return np.zeros(0)
    counts = np.maximum(np.round((t[idx + 1] - t[idx]) / step_s).astype(np.int64) - 1, 0)
    owner = np.repeat(idx, counts)
    k = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    extra = t[owner] + step_s * k
    return extra[extra < t[owner + 1] - 1e-3]
