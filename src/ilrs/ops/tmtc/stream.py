"""A byte-stream packet decoder that resynchronises after garbage and counts what it drops.

TCP delivers packets back to back with no framing but the CCSDS length field; a corrupt
byte, an unknown APID or a truncated tail must cost only the bad bytes. The decoder looks
for a plausible header (version 0, the expected packet type, secondary header flag set,
PUS version 2, a known APID, a length within bounds), waits for the whole packet, and
accepts it only when the CRC-16 trailer checks; otherwise it drops one byte and looks
again.

>>> from ilrs.ops.tmtc.packets import TmPacket
>>> from ilrs.ops.tmtc.timecodes import CdsTime
>>> tm = TmPacket(apid=0x101, service=3, subservice=25, time=CdsTime(25000, 0), data=b"hi")
>>> decoder = PacketStreamDecoder(PacketKind.TM, apids={0x101})
>>> [p == tm.pack() for p in decoder.feed(b"\\xff\\xff" + tm.pack()[:10])]
[]
>>> [p == tm.pack() for p in decoder.feed(tm.pack()[10:])]
[True]
>>> decoder.stats.bytes_dropped, decoder.stats.packets
(2, 1)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Final

from ilrs.ops.tmtc.packets import TC_MIN_LEN, TM_MIN_LEN, PacketKind, crc16

__all__ = ["DecoderStats", "PacketStreamDecoder"]

_log = logging.getLogger(__name__)

#: The largest packet accepted by default, bytes (a CCSDS packet may reach 65542).
MAX_PACKET_LEN: Final = 4096


@dataclass(slots=True)
class DecoderStats:
    """What the decoder has seen: accepted packets and the reasons bytes were dropped.

    ``bytes_dropped`` counts every byte not delivered inside a packet; the other counters
    count the events that caused a drop (one garbage run may contain several).
    """

    packets: int = 0
    bytes_in: int = 0
    bytes_dropped: int = 0
    bad_header: int = 0
    unknown_apid: int = 0
    bad_length: int = 0
    bad_crc: int = 0
    truncated: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class PacketStreamDecoder:
    """Split a byte stream into whole, CRC-checked packets of one ``kind``.

    ``apids`` restricts the APIDs accepted (``None``: any); ``max_packet_len`` bounds
    how long a header may claim its packet is, so that a corrupt length field cannot
    make the decoder wait forever.
    """

    def __init__(
        self,
        kind: PacketKind,
        *,
        apids: Iterable[int] | None = None,
        max_packet_len: int = MAX_PACKET_LEN,
    ):
        self.kind = kind
        self.apids = None if apids is None else frozenset(apids)
        self.min_packet_len = TM_MIN_LEN if kind is PacketKind.TM else TC_MIN_LEN
        self.max_packet_len = max_packet_len
        self.stats = DecoderStats()
        self._buffer = bytearray()
        self._first_byte = 0x08 if kind is PacketKind.TM else 0x18
        self._in_garbage = False

    def _header_problem(self, start: int) -> tuple[str | None, int]:
        """Why the header at ``start`` cannot begin a packet, or None with its length."""
        buf = self._buffer
        if (
            buf[start] & 0xF8 != self._first_byte  # version 0, type, secondary header
            or buf[start + 2] & 0xC0 != 0xC0  # unsegmented
            or buf[start + 6] & 0xF0 != 0x20  # PUS-C
        ):
            return ("bad_header", 0)
        apid = ((buf[start] << 8) | buf[start + 1]) & 0x07FF
        if self.apids is not None and apid not in self.apids:
            return ("unknown_apid", 0)
        length = ((buf[start + 4] << 8) | buf[start + 5]) + 7
        if not self.min_packet_len <= length <= self.max_packet_len:
            return ("bad_length", 0)
        return None, length

    def _drop(self, reason: str) -> None:
        if not self._in_garbage:
            # count the cause once per garbage run, then every byte of it
            setattr(self.stats, reason, getattr(self.stats, reason) + 1)
            _log.warning("stream %s: dropping bytes (%s)", self.kind.name, reason)
            self._in_garbage = True
        self.stats.bytes_dropped += 1

    def feed(self, chunk: bytes) -> list[bytes]:
        """Append ``chunk`` and return the whole packets it completes, in order."""
        self.stats.bytes_in += len(chunk)
        self._buffer += chunk
        out: list[bytes] = []
        start = 0
        buf = self._buffer
        while len(buf) - start >= 7:
            problem, length = self._header_problem(start)
            if problem is not None:
                self._drop(problem)
                start += 1
                continue
            if len(buf) - start < length:
                break  # wait for the rest
            packet = bytes(buf[start : start + length])
            if crc16(packet) != 0:
                self._drop("bad_crc")
                start += 1
                continue
            out.append(packet)
            self.stats.packets += 1
            self._in_garbage = False
            start += length
        del buf[:start]
        return out

    def finish(self) -> list[bytes]:
        """End of stream: resolve what is buffered, counting an incomplete tail as truncated.

        A header whose claimed length runs past the end is dropped byte by byte, so that
        whole packets behind a corrupt length are still recovered.
        """
        out: list[bytes] = []
        while self._buffer:
            if len(self._buffer) < 7 or self._header_problem(0)[0] is None:
                self.stats.truncated += 1
            self.stats.bytes_dropped += 1
            self._in_garbage = True
            del self._buffer[:1]
            out += self.feed(b"")
        _log.debug("stream %s finished: %s", self.kind.name, self.stats)
        return out

    @property
    def pending_bytes(self) -> int:
        """Bytes buffered while waiting for the rest of a packet."""
        return len(self._buffer)
