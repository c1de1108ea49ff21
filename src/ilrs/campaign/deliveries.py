"""What each mission brings to the Moon, in the order it arrives: the station twin's input.

>>> from ilrs.campaign import Roadmap, deliveries
>>> first = [d for d in deliveries(Roadmap.load_builtin()) if d.mission_id == "ILRS-1"][0]
>>> first.landing_date, first.status, first.facilities
('2031-08-01', 'planned', ('command-center', 'basic-energy', 'telecommunication'))
>>> first.payloads[0].name, first.payloads[0].power_night_w.value
('Command center', 1000.0)
"""

from __future__ import annotations

from dataclasses import dataclass

from ilrs.campaign.dates import to_mjd
from ilrs.campaign.model import Destination, Payload, Roadmap

__all__ = ["Delivery", "deliveries"]


@dataclass(frozen=True)
class Delivery:
    """One mission's arrival: when (ISO date), its status, where, and what it brings.

    ``landing_date`` is the actual landing (or orbit arrival) when known, else the latest
    planned launch plus the transfer time. ``facilities`` are facility ids (see
    ``Roadmap.facility``); ``payloads`` carry ``mass_kg``, ``power_day_w``,
    ``power_night_w`` and ``data_rate_bit_s`` as sourced values (or ``None``).
    """

    mission_id: str
    landing_date: str
    status: str
    destination: Destination | None
    facilities: tuple[str, ...]
    payloads: tuple[Payload, ...]
    mass_kg: float | None


def deliveries(roadmap: Roadmap, *, include_failed: bool = False) -> list[Delivery]:
    """The missions' deliveries sorted by arrival date; failed and cancelled missions are
    left out unless ``include_failed``."""
    out = [
        Delivery(
            mission_id=m.id,
            landing_date=roadmap.landing_date(m),
            status=m.status,
            destination=m.destination,
            facilities=tuple(m.facilities),
            payloads=tuple(m.payloads),
            mass_kg=roadmap.mass_of(m),
        )
        for m in roadmap.missions
        if include_failed or m.delivers
    ]
    return sorted(out, key=lambda d: to_mjd(d.landing_date))
