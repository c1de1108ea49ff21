"""CCSDS time codes of the packets: the CDS short code (CCSDS 301.0-B-4 §3.3), our own
ground side's, and a CUC code (§3.2) that stock Yamcs decodes (the mission option for other
ground systems). Both are 7 bytes with their P-field, both resolve the millisecond.

CDS: P-field 0x40, 16-bit days since 1958-01-01 and 32-bit milliseconds of day (UTC).
CUC: P-field 0x2E (agency-defined epoch, 4 octets of seconds, 2 of binary fraction); the
agency epoch is 1970-01-01 UTC and the seconds count UTC seconds like Unix time (Yamcs'
PUS preprocessor: ``timeEncoding: {type: CUC, epoch: UNIX}``).

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

__all__ = ["CDS_LEN", "CUC_LEN", "CdsTime", "CucTime", "unpack_time"]

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


#: Length of the CUC code with its P-field, bytes (the same as the CDS code's).
CUC_LEN: Final = 7
#: P-field: no extension, time code 010 (agency-defined epoch), 4 coarse, 2 fine octets.
CUC_PFIELD: Final = 0x2E


@dataclass(frozen=True, slots=True)
class CucTime:
    """A CCSDS CUC time code: ``seconds`` since 1970-01-01 UTC (Unix seconds) and a 16-bit
    binary ``fraction`` of a second.

    The fraction is the smallest whose millisecond, read as Yamcs reads it (rounded down),
    is the intended one, so both ground sides date a packet to the same millisecond.

    >>> t = CucTime.from_unix_s(1.5)
    >>> t.pack().hex(",")
    '2e,00,00,00,01,80,00'
    >>> CucTime.unpack(t.pack()).unix_ns
    1500000000
    >>> CucTime.from_unix_s(0.001).fraction, CucTime.from_unix_s(0.001).unix_ns
    (66, 1000000)
    """

    seconds: int
    fraction: int

    def __post_init__(self) -> None:
        if not 0 <= self.seconds <= 0xFFFFFFFF:
            raise PacketError("CUC seconds", self.seconds, "0..4294967295 (1970 to 2106)")
        if not 0 <= self.fraction <= 0xFFFF:
            raise PacketError("CUC fraction", self.fraction, "0..65535")

    @classmethod
    def from_unix_s(cls, unix_s: float) -> CucTime:
        """The code for ``unix_s`` seconds since 1970-01-01 UTC, to the millisecond."""
        seconds, ms = divmod(round(unix_s * 1000.0), 1000)
        return cls(seconds=seconds, fraction=-(-ms * 65536 // 1000))

    @classmethod
    def from_utc_iso(cls, utc: str) -> CucTime:
        """The code for a UTC ISO-8601 string (``Z`` or an offset; naive means UTC)."""
        return cls.from_unix_s(CdsTime.from_utc_iso(utc).unix_s)

    @property
    def ms(self) -> int:
        """Milliseconds of the second (the fraction rounded down to the millisecond)."""
        return self.fraction * 1000 >> 16

    @property
    def unix_s(self) -> float:
        return self.seconds + self.ms / 1000.0

    @property
    def unix_ns(self) -> int:
        return (self.seconds * 1000 + self.ms) * 1_000_000

    def utc_iso(self) -> str:
        return CdsTime.from_unix_s(self.unix_s).utc_iso()

    def pack(self) -> bytes:
        """The 7 bytes: P-field 0x2E, seconds (big-endian uint32), fraction (uint16)."""
        return struct.pack(">BIH", CUC_PFIELD, self.seconds, self.fraction)

    @classmethod
    def unpack(cls, data: bytes) -> CucTime:
        if len(data) < CUC_LEN:
            raise PacketError("CUC time code", len(data), f"{CUC_LEN} bytes")
        if data[0] != CUC_PFIELD:
            raise PacketError("CUC P-field", hex(data[0]), "0x2e (agency epoch, 4+2 octets)")
        _, seconds, fraction = struct.unpack_from(">BIH", data)
        return cls(seconds=seconds, fraction=fraction)


def unpack_time(data: bytes) -> CdsTime | CucTime:
    """The time code at the start of ``data``, CDS or CUC by its P-field."""
    if data[:1] == bytes([CUC_PFIELD]):
        return CucTime.unpack(data)
    return CdsTime.unpack(data)
