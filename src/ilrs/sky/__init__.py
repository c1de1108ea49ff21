"""The sky engine: Sun, Earth and relay satellites seen from any lunar site at any epoch."""

from ilrs.sky.almanac import Event, eclipse_contacts, rise_set
from ilrs.sky.eclipse import cap_overlap_sr, hidden_fraction
from ilrs.sky.events import Crossings, find_crossings
from ilrs.sky.kernels import Kernels, default_kernels
from ilrs.sky.relay import RelayOrbit
from ilrs.sky.site import MOON_RADIUS_M, REFERENCE_SITE, Site
from ilrs.sky.timescale import Epochs
from ilrs.sky.topocentric import Sky, Topocentric

__all__ = [
    "MOON_RADIUS_M",
    "REFERENCE_SITE",
    "Crossings",
    "Epochs",
    "Event",
    "Kernels",
    "RelayOrbit",
    "Site",
    "Sky",
    "Topocentric",
    "cap_overlap_sr",
    "default_kernels",
    "eclipse_contacts",
    "find_crossings",
    "hidden_fraction",
    "rise_set",
]
