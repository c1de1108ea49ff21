"""The space link's contact windows and outages from the sky: when the Earth (direct to
Earth) and the relay are in view of the site, and so when neither is — the outages that
take the simulated link down and suspend a CFDP transfer.

A body is in view while its elevation is above the site's terrain horizon at its azimuth
(and above an elevation mask): the test the lighting model samples
(:func:`~ilrs.lighting.visibility.site_lighting`'s ``earth_center_visible``,
:func:`~ilrs.lighting.visibility.relay_visible`). Here its edges are found as events, to
``tolerance_s``, by the shared sampler and bisection finder of :mod:`ilrs.sky.events`,
not to a sample step. Times are seconds from ``start`` (the link's clock).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ilrs.errors import InputError
from ilrs.lighting.visibility import ideal_horizon
from ilrs.sky import Epochs, RelayOrbit, Site, Sky, find_crossings
from ilrs.terrain.horizon import HorizonProfile

__all__ = ["ContactWindows", "contact_windows"]

Windows = list[tuple[float, float]]


@dataclass(frozen=True)
class ContactWindows:
    """In-view windows of the Earth and the relay and the outages (neither in view), each
    ``[start_s, stop_s)`` in seconds from ``start_tdb_s``."""

    start_tdb_s: float
    duration_s: float
    dte: Windows
    relay: Windows
    outages: Windows

    def up(self, t_s: np.ndarray) -> np.ndarray:
        """Whether the link is up (some window open) at ``t_s``."""
        t = np.asarray(t_s, dtype=float)
        return ~_inside(t, self.outages)


def _inside(t: np.ndarray, windows: Windows) -> np.ndarray:
    out = np.zeros(t.shape, bool)
    for a, b in windows:
        out |= (t >= a) & (t < b)
    return out


def contact_windows(site: Site, start: Epochs, stop: Epochs, *,
                    horizon: HorizonProfile | None = None, relay: RelayOrbit | None = None,
                    dte: bool = True, earth_mask_deg: float | None = None,
                    relay_mask_deg: float = 0.0, sky: Sky | None = None, step_s: float = 60.0,
                    tolerance_s: float = 0.01) -> ContactWindows:  # fmt: skip
    """The windows of ``site`` between the one-instant epochs ``start`` and ``stop``:
    the Earth's centre above the terrain horizon (and ``earth_mask_deg``, if given) when
    ``dte``, the ``relay`` above the horizon and ``relay_mask_deg``. Windows shorter than
    ``step_s`` may be missed (the finder's sampling step)."""
    t0, t1 = float(start.tdb_s[0]), float(stop.tdb_s[0])
    if not t1 > t0:
        raise InputError("contact window span", (start.utc_iso()[0], stop.utc_iso()[0]),
                         "stop after start")  # fmt: skip
    if not dte and relay is None:
        raise InputError("contact windows", "neither the Earth nor a relay",
                         "dte=True or a relay")  # fmt: skip
    sky = sky or Sky()
    horizon = horizon if horizon is not None else ideal_horizon(site)

    def above(body, mask_deg: float | None) -> Callable[[np.ndarray], np.ndarray]:
        def f(tdb_s: np.ndarray) -> np.ndarray:
            top = sky.topocentric(body, site, Epochs(tdb_s))
            floor = horizon.elevation_at(top.azimuth_rad)
            if mask_deg is not None:
                floor = np.maximum(floor, math.radians(mask_deg))
            return top.elevation_rad - floor
        return f

    earth = _windows(above("earth", earth_mask_deg), t0, t1, step_s, tolerance_s) if dte else []
    sat = (_windows(above(relay, relay_mask_deg), t0, t1, step_s, tolerance_s)
           if relay is not None else [])  # fmt: skip
    return ContactWindows(t0, t1 - t0, earth, sat, _gaps(earth + sat, t1 - t0))


def _windows(f, t0: float, t1: float, step_s: float, tolerance_s: float) -> Windows:
    """Intervals (seconds from ``t0``) where ``f > 0``."""
    crossings = find_crossings(f, t0, t1, step_s, tolerance_s)
    up = bool(np.asarray(f(np.array([t0])), float)[0] > 0.0)
    edges = [0.0] if up else []
    for t, rising in zip(crossings.tdb_s, crossings.rising, strict=True):
        if bool(rising) != up:  # a crossing flips the state (the finder pairs them)
            edges.append(float(t) - t0)
            up = bool(rising)
    if up:
        edges.append(t1 - t0)
    return list(zip(edges[::2], edges[1::2], strict=True))


def _gaps(windows: Windows, duration_s: float) -> Windows:
    """The parts of ``[0, duration_s)`` no window covers."""
    out, at = [], 0.0
    for a, b in sorted(windows):
        if a > at:
            out.append((at, a))
        at = max(at, b)
    if at < duration_s:
        out.append((at, duration_s))
    return out
