"""The spacecraft side on transfer frames: telecommands arrive as TC frames through the
twin's FARM-1, telemetry leaves as TM frames carrying its CLCW — what a ground system's
frame processing and COP-1 (Yamcs' ``UdpTcFrameLink`` / ``UdpTmFrameLink``) talk to.

:class:`FramedLink` reads one TC frame per UDP datagram on its port (127.0.0.1); FARM-1
(:class:`~ilrs.ops.tmtc.cop1.Farm1`) passes the accepted ones' TC packets to the
spacecraft. ``pump(now_ns)`` puts the spacecraft's telemetry on VC 0 in 1,115-byte TM
frames (idle-filled to the frame's end) and one Only-Idle-Data frame on VC 7, each with the
CLCW in its OCF, one frame per datagram to ``tm_to``; ``send(packets)`` does the same for
given packets (how :class:`~ilrs.ops.spacecraft.listen.Broadcast` hands a served twin's
telemetry to it).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Iterable

from ilrs.errors import IlrsError, InputError
from ilrs.ops.tmtc.cop1 import Farm1
from ilrs.ops.tmtc.frames import TcFrame, TmFrameWriter
from ilrs.ops.tmtc.link import Spacecraft
from ilrs.ops.tmtc.packets import TcPacket, TmPacket

__all__ = ["FramedLink"]

_log = logging.getLogger(__name__)


class FramedLink:
    """``spacecraft`` behind TC frames in (``port``) and TM frames out (``tm_to``)."""

    def __init__(self, spacecraft: Spacecraft, *, tm_to: tuple[str, int], port: int = 0,
                 scid: int = 0xAB, frame_len: int = 1115, tc_vcid: int = 0,
                 farm_window: int = 10, lock: threading.Lock | None = None):  # fmt: skip
        if tm_to[0] != "127.0.0.1":
            raise InputError("frame destination", tm_to[0], "127.0.0.1")
        self.spacecraft = spacecraft
        self.tm_to = tm_to
        self.scid = scid
        self.farm = Farm1(vcid=tc_vcid, window=farm_window)
        self.writer = TmFrameWriter(scid, frame_len=frame_len, clcw=self.farm.clcw)
        self.frames_in = self.frames_out = self.rejected = 0
        self._lock = lock or threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self._sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise InputError("spacecraft port", port, f"a free UDP port ({exc.strerror})") from None
        self._sock.settimeout(0.1)
        self.address: tuple[str, int] = self._sock.getsockname()[:2]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="ilrs-sc-frames", daemon=True)

    def start(self) -> FramedLink:
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                datagram = self._sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            self.frames_in += 1
            try:
                frame = TcFrame.unpack(datagram)
                if frame.scid != self.scid:
                    raise InputError("TC frame spacecraft id", frame.scid, hex(self.scid))
                with self._lock:
                    data = self.farm.receive(frame)
                    if data is not None:
                        self.spacecraft.on_telecommand(TcPacket.unpack(data))
            except IlrsError as exc:  # a bad frame or command must not kill the link
                self.rejected += 1
                _log.warning("TC frame refused: %s", exc)

    def pump(self, now_ns: int) -> int:
        """Send the telemetry produced up to ``now_ns`` in frames; returns how many frames."""
        with self._lock:
            packets = list(self.spacecraft.telemetry(now_ns))
        return self.send(packets)

    def send(self, packets: Iterable[TmPacket | bytes]) -> int:
        """Send given packets in frames on VC 0, then an idle frame on VC 7 (the CLCW goes
        down even when there is no telemetry); returns how many frames."""
        raws = [p if isinstance(p, bytes) else p.pack() for p in packets]
        with self._lock:
            frames = self.writer.add(0, raws) + self.writer.flush(0) + [self.writer.idle()]
        for frame in frames:
            with contextlib.suppress(OSError):  # nobody listening yet: the frame is lost
                self._sock.sendto(frame, self.tm_to)
        self.frames_out += len(frames)
        return len(frames)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._sock.close()
