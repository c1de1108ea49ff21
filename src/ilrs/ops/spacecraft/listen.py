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
center through its link and another through a :class:`ListeningLink` or a
:class:`~ilrs.ops.spacecraft.framed.FramedLink` (transfer frames and COP-1), each getting
every packet.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from typing import Literal

from ilrs.errors import InputError, LinkDownError
from ilrs.ops.spacecraft.framed import FramedLink
from ilrs.ops.tmtc.link import GroundLink, Spacecraft, UdpGroundLink
from ilrs.ops.tmtc.packets import PacketKind, TcPacket, TmPacket

__all__ = ["Broadcast", "ListeningLink"]

_log = logging.getLogger(__name__)


class _TcpSide(GroundLink):
    """A listening TCP link that reads telecommands."""

    _decodes = PacketKind.TC


class _UdpSide(UdpGroundLink):
    """A UDP link that reads telecommands."""

    _decodes = PacketKind.TC


class ListeningLink:
    """``spacecraft`` behind a listening TCP or UDP port (see the module doc); ``pump(now_ns)``
    sends the telemetry produced up to ``now_ns``, ``send(packets)`` sends given packets.
    Built on the ground links of :mod:`ilrs.ops.tmtc.link`, reading TC instead of TM."""

    def __init__(self, spacecraft: Spacecraft, *, host: str = "127.0.0.1", port: int = 0,
                 transport: Literal["tcp", "udp"] = "tcp",
                 tm_to: tuple[str, int] | None = None,
                 lock: threading.Lock | None = None):  # fmt: skip
        if transport not in ("tcp", "udp"):
            raise InputError("spacecraft transport", transport, "tcp or udp")
        self.spacecraft = spacecraft
        self.transport = transport
        self.sent = self.dropped = self.commands = 0
        self._lock = lock or threading.Lock()
        try:
            if transport == "tcp":
                self._side = _TcpSide(self._consume, host=host, port=port)
            else:
                self._side = _UdpSide(self._consume, host=host, port=port, peer=tm_to)
        except OSError as exc:
            raise InputError("spacecraft port", port,
                             f"a free {transport.upper()} port on {host} ({exc.strerror})"
                             ) from None  # fmt: skip
        #: a ground is connected (UDP: a destination is known)
        self.connected: threading.Event = self._side.connected
        self.address: tuple[str, int] = self._side.address

    def start(self) -> ListeningLink:
        self._side.start()
        return self

    def _consume(self, raws: list[bytes], reception_ns: int) -> None:
        for raw in raws:
            try:
                tc = TcPacket.unpack(raw)
                with self._lock:
                    self.spacecraft.on_telecommand(tc)
                self.commands += 1
            except Exception:  # a bad command must not kill the link
                _log.exception("telecommand not consumed")

    def send(self, packets: Iterable[TmPacket | bytes]) -> int:
        """Send packets to the connected ground; returns how many went (the rest are
        counted in ``dropped``)."""
        raws = [p if isinstance(p, bytes) else p.pack() for p in packets]
        if not raws:
            return 0
        try:
            if self.transport == "tcp":
                self._side.send_raw(b"".join(raws))
            else:
                for raw in raws:  # one packet per datagram
                    self._side.send_raw(raw)
        except (LinkDownError, OSError):  # no ground, or it went away mid-send
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
        self._side.stop()

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
        self.listener: ListeningLink | FramedLink | None = None

    def listen(self, *, transport: str = "tcp", port: int = 0,
               tm_to: tuple[str, int] | None = None) -> ListeningLink | FramedLink:
        """Open the link that gets every packet: a :class:`ListeningLink` (``tcp``,
        ``udp``) or, with ``frames``, a :class:`~ilrs.ops.spacecraft.framed.FramedLink`
        (TC frames through FARM-1 on ``port``, TM frames with the CLCW to ``tm_to``)."""
        # its telecommands go to the inner spacecraft under the same lock as ours
        if transport == "frames":
            if tm_to is None:
                raise InputError("spacecraft TM port", None, "the UDP port TM frames go to")
            self.listener = FramedLink(self.inner, tm_to=tm_to, port=port, lock=self.lock)
        else:
            self.listener = ListeningLink(self.inner, lock=self.lock, port=port,
                                          transport=transport, tm_to=tm_to)  # fmt: skip
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
