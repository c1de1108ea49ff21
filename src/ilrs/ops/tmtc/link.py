"""The link between the command center and its spacecraft: TM and TC as CCSDS packets
back to back over one TCP connection on loopback, or in UDP datagrams.

The ground side (:class:`GroundLink`) listens; the spacecraft side
(:class:`SpacecraftLink`) connects, sends telemetry and receives telecommands. What the
spacecraft *is* stays behind the :class:`Spacecraft` interface, which the station twin
implements: it consumes telecommands and produces telemetry packets.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence

from ilrs.errors import InputError, LinkDownError
from ilrs.ops.tmtc.packets import PacketKind, TcPacket, TmPacket
from ilrs.ops.tmtc.stream import DecoderStats, PacketStreamDecoder

__all__ = ["GroundLink", "Spacecraft", "SpacecraftLink", "UdpGroundLink", "UdpSpacecraftLink"]

_log = logging.getLogger(__name__)
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_POLL_S = 0.1


class Spacecraft(ABC):
    """The spacecraft side of the link, as the command center sees it."""

    @abstractmethod
    def on_telecommand(self, tc: TcPacket) -> None:
        """Consume one telecommand (and queue its PUS-1 reports as telemetry)."""

    @abstractmethod
    def telemetry(self, now_ns: int) -> Sequence[TmPacket]:
        """The telemetry packets produced up to ``now_ns`` (UTC ns) since the last call."""


def _check_host(host: str) -> None:
    if host not in _LOOPBACK:
        raise InputError("link host", host, "a loopback address (127.0.0.1)")


def _merge(total: DecoderStats, part: DecoderStats) -> None:
    for name, value in part.as_dict().items():
        setattr(total, name, getattr(total, name) + value)


class _GroundSide:
    """What both ground links hold: the packet sink, the APID filter, the clock, counts.
    ``_decodes`` is the kind of packet read (TM; the spacecraft side's listening links,
    built on these, read TC)."""

    _decodes = PacketKind.TM

    def __init__(self, on_packets: Callable[[list[bytes], int], object], host: str,
                 apids: Iterable[int] | None, clock: Callable[[], int]):  # fmt: skip
        _check_host(host)
        self.on_packets = on_packets
        self.apids = None if apids is None else frozenset(apids)
        self.clock = clock
        self.stats = DecoderStats()  # of the connections (datagrams) that have ended
        self._current: DecoderStats | None = None  # of the one being read

    def live_stats(self) -> dict[str, int]:
        """The counters so far, the open connection's included."""
        total = DecoderStats(**self.stats.as_dict())
        current = self._current
        if current is not None:
            _merge(total, current)
        return total.as_dict()


class GroundLink(_GroundSide):
    """Listen on ``host:port`` (port 0: any free one) for the spacecraft; deliver whole TM
    packets to ``on_packets(raws, reception_ns)`` and send telecommands with ``transmit``.

    One spacecraft connection at a time; the next is accepted when it closes.
    """

    def __init__(
        self,
        on_packets: Callable[[list[bytes], int], object],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        apids: Iterable[int] | None = None,
        clock: Callable[[], int] = time.time_ns,
    ):
        _GroundSide.__init__(self, on_packets, host, apids, clock)
        self.connected = threading.Event()
        self._server = socket.create_server((host, port))
        self._server.settimeout(_POLL_S)
        self.address: tuple[str, int] = self._server.getsockname()[:2]
        self._conn: socket.socket | None = None
        self._send_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="ilrs-ground-link", daemon=True)

    def start(self) -> tuple[str, int]:
        self._thread.start()
        return self.address

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(_POLL_S)
            with self._send_lock:
                self._conn = conn
            self.connected.set()
            self._read(conn)
            with self._send_lock:
                if self._conn is conn:
                    self._conn = None
                    self.connected.clear()
            conn.close()

    def _read(self, conn: socket.socket) -> None:
        decoder = PacketStreamDecoder(self._decodes, apids=self.apids)
        self._current = decoder.stats
        try:
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                self._deliver(decoder.feed(chunk))
            self._deliver(decoder.finish())
        finally:
            _merge(self.stats, decoder.stats)
            self._current = None

    def _deliver(self, packets: list[bytes]) -> None:
        if not packets:
            return
        try:
            self.on_packets(packets, self.clock())
        except Exception:  # the link must outlive a processing error
            _log.exception("processing %d packets failed", len(packets))

    def transmit(self, tc: TcPacket) -> None:
        """Send one telecommand; ``LinkDownError`` when no spacecraft is connected."""
        self.send_raw(tc.pack())

    def send_raw(self, data: bytes) -> None:
        """Send bytes on the connection; ``LinkDownError`` when there is none."""
        with self._send_lock:
            if self._conn is None:
                raise LinkDownError("no spacecraft connected")
            self._conn.sendall(data)

    def stop(self) -> None:
        self._stop.set()
        self._server.close()
        with self._send_lock:
            if self._conn is not None:
                with contextlib.suppress(OSError):
                    self._conn.shutdown(socket.SHUT_RDWR)
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def __enter__(self) -> GroundLink:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SpacecraftLink:
    """Connect a :class:`Spacecraft` to the ground at ``address``: telecommands read from
    the connection go to ``spacecraft.on_telecommand``; ``pump(now_ns)`` sends what
    ``spacecraft.telemetry(now_ns)`` produced."""

    def __init__(self, spacecraft: Spacecraft, address: tuple[str, int]):
        _check_host(address[0])
        self.spacecraft = spacecraft
        self.decoder = PacketStreamDecoder(PacketKind.TC)
        self._sock = socket.create_connection(address, timeout=5)
        self._sock.settimeout(_POLL_S)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, name="ilrs-sc-link", daemon=True)

    def start(self) -> SpacecraftLink:
        self._thread.start()
        return self

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                chunk = self._sock.recv(65536)
            except (TimeoutError, ConnectionRefusedError):  # UDP: ground not up yet
                continue
            except OSError:
                return
            if not chunk and self._sock.type == socket.SOCK_STREAM:
                return  # the ground closed the connection
            for raw in self.decoder.feed(chunk):
                try:
                    tc = TcPacket.unpack(raw)
                    with self._lock:
                        self.spacecraft.on_telecommand(tc)
                except Exception:  # a bad command must not kill the link
                    _log.exception("telecommand not consumed")

    def send(self, packets: Iterable[TmPacket]) -> int:
        """Send telemetry packets; returns how many."""
        data = [p.pack() for p in packets]
        if data:
            self._sock.sendall(b"".join(data))
        return len(data)

    def pump(self, now_ns: int) -> int:
        """Send the telemetry the spacecraft produced up to ``now_ns``."""
        with self._lock:
            packets = list(self.spacecraft.telemetry(now_ns))
        return self.send(packets)

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


class UdpGroundLink(_GroundSide):
    """The ground side over UDP: each datagram carries whole TM packets (decoded on its
    own, so a lost or corrupt datagram costs only itself); telecommands go back to the
    address the last telemetry came from, or to ``peer`` when given. Same interface as
    :class:`GroundLink`."""

    def __init__(
        self,
        on_packets: Callable[[list[bytes], int], object],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        apids: Iterable[int] | None = None,
        clock: Callable[[], int] = time.time_ns,
        peer: tuple[str, int] | None = None,
    ):
        _GroundSide.__init__(self, on_packets, host, apids, clock)
        self.connected = threading.Event()  # set once a spacecraft has been heard
        self._sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                                   socket.SOCK_DGRAM)  # fmt: skip
        self._sock.bind((host, port))
        self._sock.settimeout(_POLL_S)
        self.address: tuple[str, int] = self._sock.getsockname()[:2]
        self._peer: tuple[str, int] | None = peer  # given: always there, else the last heard
        self._fixed_peer = peer is not None
        if peer is not None:
            self.connected.set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="ilrs-ground-udp", daemon=True)

    def start(self) -> tuple[str, int]:
        self._thread.start()
        return self.address

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                datagram, peer = self._sock.recvfrom(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not self._fixed_peer:
                self._peer = peer
                self.connected.set()
            decoder = PacketStreamDecoder(self._decodes, apids=self.apids)
            packets = decoder.feed(datagram) + decoder.finish()
            _merge(self.stats, decoder.stats)
            if packets:
                try:
                    self.on_packets(packets, self.clock())
                except Exception:  # the link must outlive a processing error
                    _log.exception("processing %d packets failed", len(packets))

    def transmit(self, tc: TcPacket) -> None:
        self.send_raw(tc.pack())

    def send_raw(self, data: bytes) -> None:
        """Send one datagram to the peer; ``LinkDownError`` when none is known yet."""
        if self._peer is None:
            raise LinkDownError("no spacecraft heard yet")
        self._sock.sendto(data, self._peer)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._sock.close()

    def __enter__(self) -> UdpGroundLink:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class UdpSpacecraftLink(SpacecraftLink):
    """The spacecraft side over UDP: telemetry in datagrams of whole packets (up to
    ``max_datagram`` bytes), telecommands read from datagrams."""

    def __init__(self, spacecraft: Spacecraft, address: tuple[str, int], *,
                 max_datagram: int = 8192):  # fmt: skip
        _check_host(address[0])
        self.spacecraft = spacecraft
        self.decoder = PacketStreamDecoder(PacketKind.TC)
        self.max_datagram = max_datagram
        self._sock = socket.socket(socket.AF_INET6 if ":" in address[0] else socket.AF_INET,
                                   socket.SOCK_DGRAM)  # fmt: skip
        self._sock.connect(address)
        self._sock.settimeout(_POLL_S)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, name="ilrs-sc-udp", daemon=True)

    def send(self, packets: Iterable[TmPacket]) -> int:
        count, datagram = 0, b""
        for p in packets:
            raw = p.pack()
            if datagram and len(datagram) + len(raw) > self.max_datagram:
                self._sock.send(datagram)
                datagram = b""
            datagram += raw
            count += 1
        if datagram:
            self._sock.send(datagram)
        return count

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._sock.close()
