"""The spacecraft side that listens: a ground system (Yamcs, COSMOS, our own) connects to
the twin, as ground systems expect of a spacecraft or its simulator.

:class:`ListeningLink` listens on 127.0.0.1. Over TCP it accepts one ground connection at a
time and streams TM packets back to back on it (Yamcs' ``TcpTcTmDataLink``), reading
telecommands from the same connection. Over UDP it reads one telecommand per datagram on
its port and sends one TM packet per datagram (Yamcs' ``UdpTmDataLink`` takes one packet
per datagram) to ``tm_to``, or else to wherever the last telecommand came from.
Telemetry produced while no ground is connected is counted in ``dropped`` (a spacecraft
out of contact does not queue its real-time housekeeping).

:class:`Broadcast` lets two ground systems fly the same spacecraft: our own command
center through its link and another through a :class:`ListeningLink`, each getting every
packet.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Iterable, Sequence
from typing import Literal

from ilrs.errors import InputError
from ilrs.ops.tmtc.link import Spacecraft
from ilrs.ops.tmtc.packets import PacketKind, TcPacket, TmPacket
from ilrs.ops.tmtc.stream import PacketStreamDecoder

__all__ = ["Broadcast", "ListeningLink"]

_log = logging.getLogger(__name__)
_POLL_S = 0.1
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class ListeningLink:
    """``spacecraft`` behind a listening TCP or UDP port (see the module doc); ``pump(now_ns)``
    sends the telemetry produced up to ``now_ns``, ``send(packets)`` sends given packets."""

    def __init__(self, spacecraft: Spacecraft, *, host: str = "127.0.0.1", port: int = 0,
                 transport: Literal["tcp", "udp"] = "tcp",
                 tm_to: tuple[str, int] | None = None,
                 lock: threading.Lock | None = None):  # fmt: skip
        if host not in _LOOPBACK:
            raise InputError("spacecraft host", host, "a loopback address (127.0.0.1)")
        if transport not in ("tcp", "udp"):
            raise InputError("spacecraft transport", transport, "tcp or udp")
        self.spacecraft = spacecraft
        self.transport = transport
        self.tm_to = tm_to
        self.connected = threading.Event()  # a ground is connected (UDP: has a destination)
        self.sent = 0
        self.dropped = 0
        self.commands = 0
        self._lock = lock or threading.Lock()
        self._send_lock = threading.Lock()
        self._conn: socket.socket | None = None
        self._peer: tuple[str, int] | None = tm_to
        self._stop = threading.Event()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            if transport == "tcp":
                self._sock = socket.create_server((host, port), family=family)
            else:
                self._sock = socket.socket(family, socket.SOCK_DGRAM)
                self._sock.bind((host, port))
        except OSError as exc:
            raise InputError("spacecraft port", port,
                             f"a free {transport.upper()} port on {host} ({exc.strerror})"
                             ) from None  # fmt: skip
        self._sock.settimeout(_POLL_S)
        self.address: tuple[str, int] = self._sock.getsockname()[:2]
        if tm_to is not None:
            self.connected.set()
        target = self._serve_tcp if transport == "tcp" else self._serve_udp
        self._thread = threading.Thread(target=target, name="ilrs-sc-listen", daemon=True)

    def start(self) -> ListeningLink:
        self._thread.start()
        return self

    # -- telecommands in -------------------------------------------------------------------
    def _serve_tcp(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(_POLL_S)
            with self._send_lock:
                self._conn = conn
            self.connected.set()
            decoder = PacketStreamDecoder(PacketKind.TC)
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                self._consume(decoder.feed(chunk))
            with self._send_lock:
                self._conn = None
                self.connected.clear()
            with contextlib.suppress(OSError):
                conn.close()

    def _serve_udp(self) -> None:
        while not self._stop.is_set():
            try:
                datagram, peer = self._sock.recvfrom(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if self.tm_to is None:
                self._peer = peer
                self.connected.set()
            decoder = PacketStreamDecoder(PacketKind.TC)
            self._consume(decoder.feed(datagram) + decoder.finish())

    def _consume(self, raws: list[bytes]) -> None:
        for raw in raws:
            try:
                tc = TcPacket.unpack(raw)
                with self._lock:
                    self.spacecraft.on_telecommand(tc)
                self.commands += 1
            except Exception:  # a bad command must not kill the link
                _log.exception("telecommand not consumed")

    # -- telemetry out ---------------------------------------------------------------------
    def send(self, packets: Iterable[TmPacket | bytes]) -> int:
        """Send packets to the connected ground; returns how many went (the rest are
        counted in ``dropped``)."""
        raws = [p if isinstance(p, bytes) else p.pack() for p in packets]
        if not raws:
            return 0
        with self._send_lock:
            try:
                if self.transport == "tcp" and self._conn is not None:
                    self._conn.sendall(b"".join(raws))
                elif self.transport == "udp" and self._peer is not None:
                    for raw in raws:
                        self._sock.sendto(raw, self._peer)
                else:
                    self.dropped += len(raws)
                    return 0
            except OSError:  # the ground went away mid-send
                self.dropped += len(raws)
                return 0
        self.sent += len(raws)
        return len(raws)

    def pump(self, now_ns: int) -> int:
        """Send the telemetry the spacecraft produced up to ``now_ns``."""
        with self._lock:
            packets = list(self.spacecraft.telemetry(now_ns))
        return self.send(packets)

    def stop(self) -> None:
        self._stop.set()
        with self._send_lock:
            if self._conn is not None:
                with contextlib.suppress(OSError):
                    self._conn.shutdown(socket.SHUT_RDWR)
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._sock.close()

    def __enter__(self) -> ListeningLink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Broadcast(Spacecraft):
    """``inner`` flown by two ground systems: telemetry goes to whoever calls
    :meth:`telemetry` (our command center's link) and to ``listener``; telecommands from
    either reach ``inner``, one at a time."""

    def __init__(self, inner: Spacecraft):
        self.inner = inner
        self.lock = threading.Lock()
        self.listener: ListeningLink | None = None

    def listen(self, **link: object) -> ListeningLink:
        """Open the listening link (``ListeningLink`` keywords) that gets every packet."""
        # its telecommands go to the inner spacecraft under the same lock as ours
        self.listener = ListeningLink(self.inner, lock=self.lock, **link)
        return self.listener.start()

    def on_telecommand(self, tc: TcPacket) -> None:
        with self.lock:
            self.inner.on_telecommand(tc)

    def telemetry(self, now_ns: int) -> Sequence[TmPacket]:
        with self.lock:
            packets = list(self.inner.telemetry(now_ns))
        if self.listener is not None:
            self.listener.send(packets)
        return packets
