"""Human formatting of report values: units chosen for the magnitude, no ``None``/``nan``/``-0``.

Every function takes a value in the unit its name says (SI or the KPI's own unit) and
returns a short string with its unit; a missing or non-finite value reads ``—``.

>>> energy_kwh(4_836_123.0), energy_kwh(752.4), energy_kwh(-0.0004)
('4,836 MWh', '752 kWh', '0 kWh')
>>> data_gb(624_310.0), data_gb(0.52), percent(0.94183), percent(None)
('624 TB', '520 MB', '94.2 %', '—')
>>> mass_kg(26_712.0), mass_kg(12.34), hours(3.2), hours(230.0), hours(2400.0)
('26.7 t', '12.3 kg', '3.2 h', '9.6 days', '100 days')
"""

from __future__ import annotations

import math
import re

__all__ = ["count", "data_gb", "energy_kwh", "hours", "mass_kg", "number", "percent",
           "period_text", "utc"]

DASH = "—"


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(
        value)


def number(value, digits: int = 0) -> str:
    """A number with thousands separators; ``-0`` reads ``0``."""
    if not _finite(value):
        return DASH
    text = f"{value:,.{digits}f}"
    return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text


def _scaled(value: float, units: list[tuple[float, str]]) -> str:
    """``value`` in the largest unit it reaches; 3 significant figures below 100."""
    for scale, unit in units:
        if abs(value) >= scale or scale == units[-1][0]:
            v = value / scale
            digits = 0 if abs(v) >= 100 or v == 0 else (1 if abs(v) >= 10 else 2)
            return f"{number(v, digits)} {unit}"
    raise AssertionError("unreachable")


def energy_kwh(value) -> str:
    if not _finite(value):
        return DASH
    if abs(value) < 0.5:
        return "0 kWh"
    if abs(value) < 1000:
        return f"{number(value)} kWh"
    if abs(value) < 1e8:  # MWh up to 100 GWh: the unit the station's budgets use
        return f"{number(value / 1e3, 1 if abs(value) < 1e4 else 0)} MWh"
    return f"{number(value / 1e6)} GWh"


def data_gb(value) -> str:
    if not _finite(value):
        return DASH
    if value == 0:
        return "0 GB"
    return _scaled(value, [(1e6, "PB"), (1e3, "TB"), (1.0, "GB"), (1e-3, "MB")])


def mass_kg(value) -> str:
    if not _finite(value):
        return DASH
    if abs(value) >= 1000:
        return _scaled(value, [(1e3, "t")])
    return _scaled(value, [(1.0, "kg")]) if value else "0 kg"


def percent(fraction, digits: int = 1) -> str:
    """A fraction 0–1 as a percentage."""
    return DASH if not _finite(fraction) else f"{number(100.0 * fraction, digits)} %"


def hours(value) -> str:
    """A duration in hours, in days from two days up."""
    if not _finite(value):
        return DASH
    if value >= 48:
        days = value / 24.0
        return f"{number(days, 0 if days >= 100 else 1)} days"
    return f"{number(value, 1)} h"


def count(value) -> str:
    return number(value) if _finite(value) else DASH


def utc(text: str | None, to: str = "minute") -> str:
    """An ISO UTC time shortened to the day or minute (``2032-01-25 10:00 UTC``)."""
    if not text:
        return DASH
    if to == "day":
        return text[:10]
    return text[:16].replace("T", " ") + " UTC"


_PERIOD = re.compile(r"\b(to the end of|through|until|to)\s+(\d{4})\b")


def period_text(description: str, start_utc: str, stop_utc: str) -> str:
    """A scenario's description made true for the period actually run: a clause naming an
    end year the run does not reach ("to the end of 2040") names the run's last day.

    >>> period_text("from the first landing to the end of 2040.", "2031-08-01", "2033-06-30")
    'from the first landing to 2033-06-30.'
    >>> period_text("from the first landing to the end of 2040.", "2031-08-01", "2040-12-31")
    'from the first landing to the end of 2040.'
    """
    stop_year = int(stop_utc[:4])
    full_year = stop_utc[5:10] == "12-31"

    def fix(match: re.Match) -> str:
        year = int(match.group(2))
        if year == stop_year and (full_year or match.group(1) not in ("to the end of",
                                                                       "through")):
            return match.group(0)
        return f"to {stop_utc[:10]}"

    return _PERIOD.sub(fix, description)
