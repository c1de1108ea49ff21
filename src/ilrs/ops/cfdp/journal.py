"""An append-only journal of the PDUs of one open CFDP transaction, on disk: what the
ground's receiving entity replays after a restart (:mod:`ilrs.ops.cfdp.receiver`).

A record is ``length`` (4 bytes, big-endian) ``crc32`` (4 bytes, of the PDU) then the PDU.
Records are written with ``os.write`` straight to the file (a crashed process loses
nothing the call returned from) and made durable by :meth:`Journal.sync` (``fsync``),
which the receiver calls before any reply leaves: a reply never gets ahead of the PDU
that caused it. A torn tail — the last record cut short or its CRC wrong, as a crash in
the middle of a write leaves it — is cut off at the last whole record and reported in
:attr:`Journal.recovered`; a bad record *followed by* whole ones is corruption, not a torn
write, and raises :class:`~ilrs.errors.ArchiveError` naming the file and the byte offset.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.journal"
>>> with Journal(path) as j:
...     j.append(b"pdu-1"); j.append(b"pdu-2"); j.sync()
>>> with open(path, "ab") as f:
...     _ = f.write(b"\\x00\\x00\\x00\\x09torn")  # a crash halfway through a record
>>> j = Journal(path)
>>> j.records(), j.recovered
([b'pdu-1', b'pdu-2'], 'cut a torn tail of 8 bytes at byte 26')
>>> j.close()
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

from ilrs.errors import ArchiveError

__all__ = ["Journal", "fsync_dir"]

_HEAD = struct.Struct(">II")
#: No PDU is longer (CFDP's PDU data field length is 16 bits).
_MAX_RECORD = 0xFFFF + 32


class Journal:
    """The journal at ``path`` (created if missing; an existing one is checked and its
    records kept for :meth:`records`)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        #: what recovery did when the journal was opened ("" when it was whole)
        self.recovered = ""
        self._records = self._read()
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.synced_bytes = self.size_bytes = os.fstat(self._fd).st_size

    def _read(self) -> list[bytes]:
        if not self.path.exists():
            return []
        data = self.path.read_bytes()
        out, at = [], 0
        while at < len(data):
            bad = _bad_record(data, at)
            if bad:
                if _whole_record_after(data, at):
                    raise ArchiveError(f"CFDP journal {self.path}",
                                       f"record at byte {at} is corrupt ({bad}) and whole "
                                       "records follow it: not a torn write; the journal "
                                       "is kept as it is")  # fmt: skip
                self.recovered = f"cut a torn tail of {len(data) - at} bytes at byte {at}"
                with open(self.path, "r+b") as f:
                    f.truncate(at)
                    f.flush()
                    os.fsync(f.fileno())
                break
            n = _HEAD.unpack_from(data, at)[0]
            out.append(data[at + 8 : at + 8 + n])
            at += 8 + n
        return out

    def records(self) -> list[bytes]:
        """The whole records found when the journal was opened, oldest first."""
        return list(self._records)

    def append(self, pdu: bytes) -> None:
        """Write one record (to the OS at once; durable after :meth:`sync`)."""
        record = _HEAD.pack(len(pdu), zlib.crc32(pdu)) + pdu
        written = os.write(self._fd, record)
        if written != len(record):  # a full disk: the tail is torn, say so
            raise ArchiveError(f"CFDP journal {self.path}",
                               f"wrote {written} of {len(record)} bytes")  # fmt: skip
        self.size_bytes += written

    def sync(self) -> None:
        """Make every record appended so far durable (``fsync``)."""
        if self.synced_bytes != self.size_bytes:
            os.fsync(self._fd)
            self.synced_bytes = self.size_bytes

    def close(self) -> None:
        if self._fd >= 0:
            self.sync()
            os.close(self._fd)
            self._fd = -1

    def abandon(self) -> None:
        """Close without ``fsync`` (what a dying process leaves)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def remove(self) -> None:
        """Close and delete the journal (its transaction is over)."""
        self.close()
        self.path.unlink(missing_ok=True)
        fsync_dir(self.path.parent)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _bad_record(data: bytes, at: int) -> str:
    """Why the record at ``at`` is not whole ("" when it is)."""
    if len(data) - at < _HEAD.size:
        return "header cut short"
    n, crc = _HEAD.unpack_from(data, at)
    if n > _MAX_RECORD:
        return f"length {n} beyond any PDU"
    if len(data) - at - 8 < n:
        return "body cut short"
    if zlib.crc32(data[at + 8 : at + 8 + n]) != crc:
        return "CRC mismatch"
    return ""


def _whole_record_after(data: bytes, at: int) -> bool:
    """Whether a whole record starts anywhere after the bad one at ``at`` (then the damage
    is not a torn tail)."""
    return any(not _bad_record(data, k) and _HEAD.unpack_from(data, k)[0] > 0
               for k in range(at + 1, len(data) - _HEAD.size))  # fmt: skip


def fsync_dir(path: Path) -> None:
    """``fsync`` a folder: what was created, renamed or removed in it is durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
