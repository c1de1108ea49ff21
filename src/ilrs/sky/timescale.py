"""Epochs: arrays of instants, UTC at the edges and TDB seconds past J2000 inside.

UTC↔TAI uses the leap-second table of the IAU SOFA/ERFA library (``pyerfa``), TT = TAI +
32.184 s, and TDB−TT uses the same one-term series NAIF's leap-seconds kernels use
(``DELTET/K``, ``DELTET/EB``, ``DELTET/M`` in ``naif0012.tls``; Moyer 1981), so an epoch
built here matches SPICE's ``str2et`` to well under a millisecond.

Instants after the end of ERFA's table are taken to have no further leap seconds (what
SPICE assumes too); before 1960, when UTC did not exist, ERFA's rule applies
(UTC taken equal to TAI). ERFA's "dubious year" status for those instants is therefore
expected: the raw ufuncs (``erfa.ufunc``) are called, which return it instead of issuing a
warning, since silencing warnings with ``warnings.catch_warnings`` is not thread-safe (a
server's threads would undo each other's filters).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import erfa.ufunc as erfa_ufunc
import numpy as np

from ilrs.errors import InputError, TimeFormatError

#: Seconds in a day.
DAY_S = 86400.0
#: Julian date of J2000.0 (2000-01-01T12:00:00 TDB).
J2000_JD = 2451545.0
#: TT − TAI in seconds (IAU 1991).
TT_MINUS_TAI_S = 32.184
# TDB − TT ≈ K sin(E), E = M + EB sin(M), M = M0 + M1 t  (NAIF LSK naif0012.tls, DELTET/*).
_DELTET_K_S = 1.657e-3
_DELTET_EB = 1.671e-2
_DELTET_M0_RAD = 6.239996
_DELTET_M1_RAD_PER_S = 1.99096871e-7

_ISO = re.compile(
    r"^\s*(?P<y>[+-]?\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}(?:\.\d*)?))?)?"
    r"\s*(?:Z|UTC|[+-]00:?00)?\s*$",
    re.IGNORECASE,
)


def _tdb_minus_tt_s(tt_s: np.ndarray) -> np.ndarray:
    """TDB − TT in seconds at TT seconds past J2000 (NAIF LSK one-term series)."""
    m = _DELTET_M0_RAD + _DELTET_M1_RAD_PER_S * tt_s
    return _DELTET_K_S * np.sin(m + _DELTET_EB * np.sin(m))


def tai_to_tdb_s(tai_s: np.ndarray) -> np.ndarray:
    """TDB seconds past J2000 from TAI seconds past J2000 (both on the J2000 TT origin)."""
    tt_s = np.asarray(tai_s, dtype=float) + TT_MINUS_TAI_S
    return tt_s + _tdb_minus_tt_s(tt_s)


def tdb_to_tai_s(tdb_s: np.ndarray) -> np.ndarray:
    """Inverse of :func:`tai_to_tdb_s`, by two fixed-point steps (error < 1 ns)."""
    tdb_s = np.asarray(tdb_s, dtype=float)
    tt_s = tdb_s - _tdb_minus_tt_s(tdb_s)
    tt_s = tdb_s - _tdb_minus_tt_s(tt_s)
    return tt_s - TT_MINUS_TAI_S


def _parse_iso(text: str) -> tuple[int, int, int, int, int, float]:
    match = _ISO.match(text) if isinstance(text, str) else None
    if match is None:
        raise TimeFormatError(
            "UTC time", text, "an ISO-8601 instant such as 2030-01-01T00:00:00 (optionally Z)"
        )
    g = match.groupdict()
    fields = (
        int(g["y"]),
        int(g["mo"]),
        int(g["d"]),
        int(g["h"] or 0),
        int(g["mi"] or 0),
        float(g["s"] or 0.0),
    )
    y, mo, d, h, mi, s = fields
    if not 1 <= mo <= 12:
        raise TimeFormatError("UTC time", text, "a month between 01 and 12")
    if not 1 <= d <= _days_in_month(y, mo):
        raise TimeFormatError("UTC time", text, f"a day between 01 and {_days_in_month(y, mo)}")
    if not (0 <= h <= 23 and 0 <= mi <= 59 and 0.0 <= s < 61.0):
        raise TimeFormatError("UTC time", text, "hours 00-23, minutes 00-59, seconds < 60")
    if s >= 60.0 and not (h == 23 and mi == 59 and _has_leap_second(y, mo, d)):
        raise TimeFormatError("UTC time", text, "second 60 only at the end of a leap-second day")
    return fields


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _erfa(name: str, *args):
    """ERFA function ``name`` through its raw ufunc: its outputs, with an error for a
    negative status (invalid input) and the positive ones ("dubious year": past the
    leap-second table, or before 1960) accepted, as the module doc says."""
    *out, status = getattr(erfa_ufunc, name)(*args)
    if np.any(np.asarray(status) < 0):
        raise ValueError(f"ERFA {name} refused its input (status {np.min(status)})")
    return out[0] if len(out) == 1 else tuple(out)


def _has_leap_second(year: int, month: int, day: int) -> bool:
    """True if the UTC day ends with a leap second, by ERFA's table."""
    before = _erfa("dat", year, month, day, 0.0)
    after = _erfa("dat", year, month, day, 1.0 - 1e-12)
    jd1, jd2 = _erfa("cal2jd", year, month, day)
    y2, m2, d2, _ = _erfa("jd2cal", jd1, jd2 + 1.0)
    nxt = _erfa("dat", y2, m2, d2, 0.0)
    return bool(nxt > before or after > before)


def _utc_fields_to_tai_s(fields: Sequence[tuple[int, int, int, int, int, float]]) -> np.ndarray:
    y, mo, d, h, mi, s = (np.array(col) for col in zip(*fields, strict=True))
    # "dubious year": instants past the end of the table (no new leap seconds assumed)
    # or before 1960; see the module docstring.
    u1, u2 = _erfa("dtf2d", b"UTC", y, mo, d, h, mi, s.astype(float))
    a1, a2 = _erfa("utctai", u1, u2)
    # whole days first (exact), then the fraction: TAI seconds to ~0.1 µs (the float64 ulp)
    return (a1 - J2000_JD) * DAY_S + a2 * DAY_S


def utc_to_tdb_s(utc: Iterable[str]) -> np.ndarray:
    """TDB seconds past J2000 for UTC ISO-8601 strings.

    >>> abs(float(utc_to_tdb_s(["2000-01-01T11:58:55.816"])[0])) < 1e-4  # J2000.0
    True
    """
    fields = [_parse_iso(text) for text in utc]
    if not fields:
        return np.zeros(0)
    return tai_to_tdb_s(_utc_fields_to_tai_s(fields))


def tdb_s_to_utc_iso(tdb_s: np.ndarray, places: int = 3) -> list[str]:
    """UTC ISO-8601 strings (``YYYY-MM-DDTHH:MM:SS.fff``) for TDB seconds past J2000."""
    tai_s = tdb_to_tai_s(np.atleast_1d(tdb_s))
    u1, u2 = _erfa("taiutc", np.full_like(tai_s, J2000_JD), tai_s / DAY_S)
    iy, im, iday, ihmsf = _erfa("d2dtf", b"UTC", places, u1, u2)
    h, mi, s, f = ihmsf["h"], ihmsf["m"], ihmsf["s"], ihmsf["f"]
    if places > 0:
        return [
            f"{a:04d}-{b:02d}-{c:02d}T{d:02d}:{e:02d}:{g:02d}.{k:0{places}d}"
            for a, b, c, d, e, g, k in zip(iy, im, iday, h, mi, s, f, strict=True)
        ]
    return [
        f"{a:04d}-{b:02d}-{c:02d}T{d:02d}:{e:02d}:{g:02d}"
        for a, b, c, d, e, g in zip(iy, im, iday, h, mi, s, strict=True)
    ]


class Epochs:
    """An array of instants, held as TDB seconds past J2000 (float64).

    Build from UTC strings or a UTC range; ``tdb_s`` is what every kernel takes.
    Derived per-epoch quantities (the Moon's state and orientation) are cached on the
    object, as Skyfield caches them on its ``Time``.

    >>> e = Epochs.from_range("2030-01-01T00:00:00", "2030-01-01T01:00:00", 600)
    >>> len(e), e.utc_iso(places=0)[-1]
    (7, '2030-01-01T01:00:00')
    """

    __slots__ = ("_cache", "tdb_s")

    def __init__(self, tdb_s: np.ndarray | Sequence[float]):
        tdb = np.ascontiguousarray(np.atleast_1d(np.asarray(tdb_s, dtype=np.float64)))
        if tdb.ndim != 1:
            raise InputError("epochs", f"array of shape {tdb.shape}", "a 1-D array of TDB seconds")
        if not np.all(np.isfinite(tdb)):
            raise InputError("epochs", "non-finite values", "finite TDB seconds past J2000")
        self.tdb_s = tdb
        self._cache: dict = {}

    @classmethod
    def from_utc(cls, utc: Iterable[str] | str) -> Epochs:
        """Epochs from one or several UTC ISO-8601 strings (``Z`` suffix optional)."""
        if isinstance(utc, str):
            utc = [utc]
        return cls(utc_to_tdb_s(utc))

    @classmethod
    def from_range(cls, start_utc: str, stop_utc: str, step_s: float) -> Epochs:
        """Epochs from ``start_utc`` to ``stop_utc`` inclusive, every ``step_s`` SI seconds.

        The grid is uniform in TAI (SI seconds), so UTC labels stay on whole steps except
        across a leap second.
        """
        if not np.isfinite(step_s) or step_s <= 0:
            raise InputError("step", step_s, "a positive number of seconds")
        tai0, tai1 = _utc_fields_to_tai_s([_parse_iso(start_utc), _parse_iso(stop_utc)])
        if tai1 < tai0:
            raise InputError("stop", stop_utc, f"an instant not before start {start_utc}")
        # inclusive: a stop on the grid is kept despite ~0.1 µs of rounding in TAI seconds
        count = int(np.floor((tai1 - tai0 + 1e-6) / step_s)) + 1
        tai = tai0 + step_s * np.arange(count, dtype=np.float64)
        return cls(tai_to_tdb_s(tai))

    @classmethod
    def from_tdb_seconds(cls, tdb_s: np.ndarray | Sequence[float] | float) -> Epochs:
        """Epochs from TDB seconds past J2000 (SPICE's ephemeris time, ``et``)."""
        return cls(tdb_s)

    def __len__(self) -> int:
        return self.tdb_s.shape[0]

    def __getitem__(self, index) -> Epochs:
        return Epochs(self.tdb_s[index])

    def __repr__(self) -> str:
        n = len(self)
        if n == 0:
            return "Epochs([])"
        first = tdb_s_to_utc_iso(self.tdb_s[:1], 0)[0]
        last = tdb_s_to_utc_iso(self.tdb_s[-1:], 0)[0]
        return f"Epochs({n} instants, {first} .. {last} UTC)"

    def utc_iso(self, places: int = 3) -> list[str]:
        """UTC ISO-8601 strings with ``places`` decimals of seconds."""
        return tdb_s_to_utc_iso(self.tdb_s, places)

    def utc_datetime64(self) -> np.ndarray:
        """UTC as ``numpy.datetime64[ms]`` (for plotting; leap seconds fold onto :59)."""
        return np.array([s.replace("T", " ")[:23] for s in self.utc_iso(3)], dtype="datetime64[ms]")
