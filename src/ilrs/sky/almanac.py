"""Almanac: the named events of a site — rise/set, AOS/LOS, eclipse contacts — in time order.

Every event is a zero crossing of one continuous function of time, found by the shared
sampler and bisection finder of :mod:`ilrs.sky.events` to ``tolerance_s`` (default 0.01 s):

- Sun or Earth rise/set: apparent elevation of the disk centre (``limb="center"``) or of
  its upper limb (``limb="upper"``: elevation + angular radius) against the mathematical
  horizon, optionally raised by ``mask_deg``. The Moon has no atmosphere: no refraction.
- Relay AOS/LOS: the satellite's elevation against an elevation mask.
- Eclipse contacts (the Earth passing over the Sun, i.e. a lunar eclipse seen from the
  Moon): first and last contact where the disks touch externally (separation = r☉ + r⊕),
  second and third where the Sun is just fully hidden (separation = r⊕ − r☉).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ilrs.errors import InputError
from ilrs.sky.eclipse import separation_rad
from ilrs.sky.events import find_crossings
from ilrs.sky.relay import RelayOrbit
from ilrs.sky.site import Site
from ilrs.sky.timescale import Epochs, tdb_s_to_utc_iso
from ilrs.sky.topocentric import Sky

#: Default sampling steps, seconds: the Sun and Earth move at most ~0.55°/h in a lunar sky,
#: a relay in a 24 h orbit crosses the sky in hours, an eclipse lasts hours.
DEFAULT_STEP_S = {"sun": 600.0, "earth": 600.0, "relay": 60.0, "eclipse": 600.0}


@dataclass(frozen=True)
class Event:
    """One event: TDB seconds past J2000, what happened and to which body."""

    tdb_s: float
    kind: str
    body: str

    @property
    def utc(self) -> str:
        """UTC ISO-8601 with milliseconds."""
        return tdb_s_to_utc_iso(np.array([self.tdb_s]), 3)[0]


def _check_limb(limb: str) -> None:
    if limb not in ("center", "upper"):
        raise InputError("limb", limb, "'center' or 'upper'")


def _events(
    f: Callable[[np.ndarray], np.ndarray], start: Epochs, stop: Epochs, step_s: float,
    tolerance_s: float, names: tuple[str, str], body: str,
) -> list[Event]:
    crossings = find_crossings(f, float(start.tdb_s[0]), float(stop.tdb_s[0]), step_s, tolerance_s)
    rise, fall = names
    return [
        Event(float(t), rise if up else fall, body)
        for t, up in zip(crossings.tdb_s, crossings.rising, strict=True)
    ]


def rise_set(
    sky: Sky, body: str | RelayOrbit, site: Site, start: Epochs, stop: Epochs, *,
    limb: str = "center", mask_deg: float = 0.0, step_s: float | None = None,
    tolerance_s: float = 0.01,
) -> list[Event]:
    """Rise and set (AOS and LOS for a relay) of ``body`` seen from ``site``.

    ``start`` and ``stop`` are one-instant :class:`Epochs`. Events closer together than
    ``step_s`` may be missed; the default steps suit each kind of body.
    """
    _check_limb(limb)
    relay = isinstance(body, RelayOrbit)
    mask_rad = np.radians(mask_deg)
    step = step_s or DEFAULT_STEP_S["relay" if relay else str(body).lower()]

    def f(tdb_s: np.ndarray) -> np.ndarray:
        top = sky.topocentric(body, site, Epochs(tdb_s))
        extra = top.angular_radius_rad if limb == "upper" else 0.0
        return top.elevation_rad + extra - mask_rad

    names = ("aos", "los") if relay else ("rise", "set")
    name = body.name if relay else str(body).lower()
    return _events(f, start, stop, step, tolerance_s, names, name)


def eclipse_contacts(
    sky: Sky, site: Site, start: Epochs, stop: Epochs, *, step_s: float | None = None,
    tolerance_s: float = 0.01,
) -> list[Event]:
    """Contacts of the Earth's disk with the Sun's seen from ``site``, in time order.

    Kinds: ``partial_begin`` / ``partial_end`` (external contacts, P1/P4) and
    ``total_begin`` / ``total_end`` (the Sun fully hidden, U2/U3).
    """
    step = step_s or DEFAULT_STEP_S["eclipse"]

    def gap(tdb_s: np.ndarray, total: bool) -> np.ndarray:
        epochs = Epochs(tdb_s)
        sun = sky.topocentric("sun", site, epochs)
        earth = sky.topocentric("earth", site, epochs)
        sep = separation_rad(sun.vector_km, earth.vector_km)
        if total:
            return sep - (earth.angular_radius_rad - sun.angular_radius_rad)
        return sep - (earth.angular_radius_rad + sun.angular_radius_rad)

    events = _events(
        lambda t: gap(t, False), start, stop, step, tolerance_s,
        ("partial_end", "partial_begin"), "sun",
    )
    events += _events(
        lambda t: gap(t, True), start, stop, step, tolerance_s,
        ("total_end", "total_begin"), "sun",
    )
    return sorted(events, key=lambda e: e.tdb_s)
