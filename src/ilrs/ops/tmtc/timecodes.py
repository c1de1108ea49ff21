"""CCSDS time codes of the packets: the CDS short code (CCSDS 301.0-B-4 §3.3).

A P-field, 16-bit days since 1958-01-01 and 32-bit milliseconds of day (UTC).

>>> t = CdsTime.from_utc_iso("2030-01-01T00:00:01.500Z")
>>> t.utc_iso()
'2030-01-01T00:00:01.500Z'
"""

from __future__ import annotations

import datetime as _dt
import struct
from dataclasses import dataclass
from typing import Final

from spacepackets.ccsds.time import CdsShortTimestamp

from ilrs.errors import PacketError

__all__ = ["CDS_LEN", "CdsTime"]

#: Length of a CDS short time code with its P-field, bytes.
CDS_LEN: Final = 7
#: CCSDS days of 1970-01-01 counted from 1958-01-01.
_UNIX_EPOCH_CCSDS_DAYS: Final = 4383
_MS_PER_DAY: Final = 86_400_000


@dataclass(frozen=True, slots=True)
class CdsTime:
    """A CCSDS CDS short time code: ``days`` since 1958-01-01 and ``ms_of_day`` (UTC).

    >>> CdsTime(days=0x0102, ms_of_day=0x03040506).pack().hex(",")
    '40,01,02,03,04,05,06'
    >>> CdsTime.from_unix_s(0.0)
    CdsTime(days=4383, ms_of_day=0)
    """

    days: int
    ms_of_day: int

    def __post_init__(self) -> None:
        if not 0 <= self.days <= 0xFFFF:
            raise PacketError("CDS days", self.days, "0..65535 (1958-01-01 to 2137-06-06)")
        if not 0 <= self.ms_of_day < _MS_PER_DAY:
            raise PacketError("CDS ms of day", self.ms_of_day, "0..86399999")

    @classmethod
    def from_unix_s(cls, unix_s: float) -> CdsTime:
        """The code for ``unix_s`` seconds since 1970-01-01 UTC, rounded to the millisecond."""
        total_ms = round(unix_s * 1000.0)
        days, ms = divmod(total_ms, _MS_PER_DAY)
        return cls(days=days + _UNIX_EPOCH_CCSDS_DAYS, ms_of_day=ms)

    @classmethod
    def from_utc_iso(cls, utc: str) -> CdsTime:
        """The code for a UTC ISO-8601 string (``Z`` or an offset; naive means UTC)."""
        instant = _dt.datetime.fromisoformat(utc.replace("Z", "+00:00"))
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=_dt.UTC)
        return cls.from_unix_s(instant.timestamp())

    @property
    def unix_s(self) -> float:
        """Seconds since 1970-01-01 UTC."""
        return (self.days - _UNIX_EPOCH_CCSDS_DAYS) * 86_400.0 + self.ms_of_day / 1000.0

    @property
    def unix_ns(self) -> int:
        """Integer nanoseconds since 1970-01-01 UTC (the archive's time key)."""
        return ((self.days - _UNIX_EPOCH_CCSDS_DAYS) * _MS_PER_DAY + self.ms_of_day) * 1_000_000

    def utc_iso(self) -> str:
        """UTC ISO-8601 with milliseconds and a ``Z``."""
        instant = _dt.datetime(1958, 1, 1, tzinfo=_dt.UTC) + _dt.timedelta(
            days=self.days, milliseconds=self.ms_of_day
        )
        return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"

    def pack(self) -> bytes:
        """The 7 bytes: P-field 0x40, days (big-endian uint16), ms of day (uint32)."""
        return CdsShortTimestamp(self.days, self.ms_of_day, init_dt_unix_stamp=False).pack()

    @classmethod
    def unpack(cls, data: bytes) -> CdsTime:
        """Read a CDS short code; the P-field must say CDS without extensions."""
        if len(data) < CDS_LEN:
            raise PacketError("CDS time code", len(data), f"{CDS_LEN} bytes")
        if data[0] != 0x40:
            raise PacketError("CDS P-field", hex(data[0]), "0x40 (CDS, 16-bit days, ms)")
        days, ms = struct.unpack_from(">HI", data, 1)
        return cls(days=days, ms_of_day=ms)
