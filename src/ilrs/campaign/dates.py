"""Campaign dates: ISO strings of year, month or day precision, and their day numbers.

Planned dates are often known only to the year ("2031") or the month ("2026-08"). They
stay ISO strings at the edges; inside, a date is a Modified Julian Date (``*_mjd``, days,
float64). A year-only date stands for its middle (2 July), a month-only date for the 15th,
so a plan of "2035" is counted as mid-2035 and a plan of "2026-08" as 15 August 2026.

>>> to_mjd("2000-01-01")
51544.0
>>> from_mjd(to_mjd("2031"))
'2031-07-02'
>>> to_mjd("2026-08") == to_mjd("2026-08-15")
True
>>> decimal_year("2035-12-31") > 2035.99
True
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

import numpy as np
from pydantic import BeforeValidator

__all__ = ["IsoDate", "decimal_year", "from_mjd", "normalize_iso", "precision", "to_mjd"]

_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_MJD_EPOCH = dt.date(1858, 11, 17)


def normalize_iso(value: object) -> str:
    """Return ``value`` as an ISO date string ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.

    YAML gives unquoted dates as ``datetime.date`` and bare years as ``int``; both are
    accepted.

    >>> normalize_iso(2031), normalize_iso(dt.date(2024, 5, 3)), normalize_iso("2026-08")
    ('2031', '2024-05-03', '2026-08')
    """
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        value = f"{value:04d}"
    if not isinstance(value, str):
        raise ValueError("an ISO date YYYY, YYYY-MM or YYYY-MM-DD")
    match = _PATTERN.match(value.strip())
    if match is None:
        raise ValueError("an ISO date YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match.groups()
    try:
        dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        raise ValueError(f"an existing calendar date ({exc})") from None
    return value.strip()


#: A pydantic field type: an ISO date string of year, month or day precision.
IsoDate = Annotated[str, BeforeValidator(normalize_iso)]


def precision(iso: str) -> str:
    """``"year"``, ``"month"`` or ``"day"``: how precisely ``iso`` is known."""
    return {4: "year", 7: "month", 10: "day"}[len(normalize_iso(iso))]


def _as_date(iso: str) -> dt.date:
    iso = normalize_iso(iso)
    parts = [int(p) for p in iso.split("-")]
    if len(parts) == 1:
        return dt.date(parts[0], 7, 2)
    if len(parts) == 2:
        return dt.date(parts[0], parts[1], 15)
    return dt.date(*parts)


def to_mjd(iso: str) -> float:
    """Modified Julian Date (days) of an ISO date, at its representative day."""
    return float((_as_date(iso) - _MJD_EPOCH).days)


def from_mjd(mjd: float | np.ndarray) -> str | list[str]:
    """ISO ``YYYY-MM-DD`` of an MJD (floored to the day); a list for an array input."""
    days = np.floor(np.asarray(mjd, dtype=float)).astype(np.int64)
    dates = (np.datetime64(_MJD_EPOCH, "D") + days).astype(str)
    return str(dates) if dates.ndim == 0 else dates.tolist()


def decimal_year(iso_or_mjd: str | float | np.ndarray) -> float | np.ndarray:
    """Calendar year as a float (2024.5 ≈ 2 July 2024); accepts an ISO string or MJDs."""
    if isinstance(iso_or_mjd, str):
        iso_or_mjd = to_mjd(iso_or_mjd)
    mjd = np.asarray(iso_or_mjd, dtype=float)
    day = np.datetime64(_MJD_EPOCH, "D") + np.floor(mjd).astype(np.int64)
    year = day.astype("datetime64[Y]")
    start = year.astype("datetime64[D]")
    length = ((year + 1).astype("datetime64[D]") - start).astype(float)
    frac = ((day - start).astype(float) + (mjd - np.floor(mjd))) / length
    out = year.astype(np.int64) + 1970 + frac
    return float(out) if out.ndim == 0 else out
