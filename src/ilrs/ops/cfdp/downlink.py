"""A CFDP class 2 file downlink over the simulated space link, on simulated time: the
spacecraft's entity sends a file, the ground's receives it, lost PDUs are NAKed and sent
again, and the transfer is suspended across the planned outages (Earth blackouts, the relay
out of view) and resumed after them.

Each PDU travels in a space packet (APID :data:`CFDP_APID`, no secondary header) in TM
transfer frames of one VC down (:class:`~ilrs.ops.tmtc.frames.TmFrameWriter`, one PDU per
frame, idle-filled), and in a type-BD TC frame up; the links drop whole frames. The sender
produces the next PDU only when the downlink is free, so NAKed segments go out between new
ones. The ground's entity is a :class:`~ilrs.ops.cfdp.receiver.DurableReceiver` on
``ground_dir``: it journals the open transaction, survives being dropped and rebuilt from
the folder mid-transfer (``ground_down``), and lands the received file there with a
metadata sidecar (``<name>.cfdp.json``: transaction, entities, size, SHA-256, time) and,
given an archive, a row in its ``files`` table.
"""

from __future__ import annotations

import heapq
import itertools
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from cfdppy.defs import CfdpState
from cfdppy.request import PutRequest
from spacepackets.cfdp import TransmissionMode
from spacepackets.cfdp.pdu.helper import PduFactory
from spacepackets.util import ByteFieldU16

from ilrs.errors import InputError
from ilrs.ops.cfdp.receiver import DurableReceiver
from ilrs.ops.tmtc.cfdp import (
    CFDP_APID,
    CfdpSettings,
    ack_inactive_finished,
    cfdp_clock,
    make_source,
)
from ilrs.ops.tmtc.channel import SimulatedLink
from ilrs.ops.tmtc.frames import TcFrame, TmFrameReader, TmFrameWriter

__all__ = ["CFDP_APID", "DownlinkResult", "downlink_file", "outages_from_visibility"]

_VC = 2
_POLL_S = 0.5  # the entities' timers are looked at at least this often


@dataclass(frozen=True)
class DownlinkResult:
    """What a downlink did; ``goodput_bit_s`` counts file bits over the transfer's time in
    contact (suspensions excluded)."""

    path: str
    size_bytes: int
    sha256: str
    condition: str
    started_s: float
    finished_s: float
    suspended_s: float
    frames_down: int
    frames_lost_down: int
    frames_up: int
    frames_lost_up: int
    goodput_bit_s: float
    faults: tuple[str, ...]
    ground_restarts: int = 0
    frames_lost_to_ground: int = 0  # arrived while the ground was down
    replayed_pdus: tuple[int, ...] = ()  # per restart, from the journal
    recovered: tuple[str, ...] = ()  # what journal recovery did at a restart
    landed: int = 0  # landings (a replay lands the same file again; the archive keeps one)


def outages_from_visibility(visible: np.ndarray, step_s: float) -> list[tuple[float, float]]:
    """The outages of a contact series sampled every ``step_s`` (seconds from its first
    sample): each starts at the first sample out of contact and ends at the first back in
    it, or at the series' end — to the sample step.

    >>> outages_from_visibility(np.array([True, True, False, False, True, False]), 60.0)
    [(120.0, 240.0), (300.0, 360.0)]
    """
    v = np.asarray(visible, dtype=bool)
    edges = np.flatnonzero(np.diff(np.concatenate(([True], v, [True])).astype(np.int8)))
    return [(float(a * step_s), float(b * step_s)) for a, b in edges.reshape(-1, 2)]


def _packet(pdu: bytes, seq: int) -> bytes:
    return struct.pack(">HHH", CFDP_APID, 0xC000 | (seq & 0x3FFF), len(pdu) - 1) + pdu


class _Pass:
    """The event loop (see :func:`downlink_file`)."""

    def __init__(self, down: SimulatedLink, up: SimulatedLink, scid: int, frame_len: int,
                 outages: Sequence[tuple[float, float]]):  # fmt: skip
        self.down, self.up, self.scid = down, up, scid
        self.frame_len = frame_len
        self.writer = TmFrameWriter(scid, frame_len=frame_len)
        self.reader = TmFrameReader(scid, frame_len=frame_len)
        self.outages = sorted(outages)
        self.t = 0.0
        self._events: list = []
        self._n = itertools.count()
        self._seq = 0
        self.lost_to_ground = 0  # frames that arrived while the ground was down

    def suspended(self, t: float) -> bool:
        return any(a <= t < b for a, b in self.outages)

    def cfdp_now(self) -> float:
        """Simulated time less the time spent suspended: the CFDP timers' clock."""
        held = sum(max(0.0, min(b, self.t) - a) for a, b in self.outages if a < self.t)
        return self.t - held

    def push(self, t: float, kind: str, payload: bytes) -> None:
        heapq.heappush(self._events, (t, next(self._n), kind, payload))

    def send_down(self, pdu: bytes) -> None:
        self._seq += 1
        for frame in self.writer.add(_VC, [_packet(pdu, self._seq)]) + self.writer.flush(_VC):
            arrival = self.down.send(frame, self.t)
            if arrival is not None:
                self.push(arrival, "down", frame)

    def send_up(self, pdu: bytes) -> None:
        frame = TcFrame(self.scid, 0, 0, pdu, bypass=True).pack()
        arrival = self.up.send(frame, self.t)
        if arrival is not None:
            self.push(arrival, "up", frame)

    def next_time(self, horizon: float, downs: Sequence[tuple[float, float]] = ()) -> float:
        """The next moment something happens: an arrival, the downlink free, a poll."""
        candidates = [horizon]
        if not self.suspended(self.t):  # suspended: nothing runs until an arrival or the end
            candidates.append(self.t + _POLL_S)
            if self.down.free_s > self.t:
                candidates.append(self.down.free_s)
        if self._events:
            candidates.append(self._events[0][0])
        for a, b in [*self.outages, *downs]:
            candidates += [x for x in (a, b) if x > self.t]
        return min(candidates)

    def arrivals(self) -> list[tuple[str, bytes]]:
        out = []
        while self._events and self._events[0][0] <= self.t:
            _, _, kind, payload = heapq.heappop(self._events)
            out.append((kind, payload))
        return out


def _drain(handler, send) -> None:
    while (holder := handler.get_next_packet()) is not None:
        send(holder.pdu.pack())


def downlink_file(source: str | Path, ground_dir: str | Path, *, down: SimulatedLink,
                  up: SimulatedLink, outages: Sequence[tuple[float, float]] = (),
                  settings: CfdpSettings | None = None, scid: int = 0x1A5,
                  frame_len: int = 1115, max_s: float = 86_400.0,
                  ground_down: Sequence[tuple[float, float]] = (), archive=None,
                  on_ground_down: Callable[[DurableReceiver], None] | None = None,
                  ) -> DownlinkResult:  # fmt: skip
    """Send ``source`` from the spacecraft's entity to the ground's over ``down``/``up``,
    suspended during ``outages`` (``[start_s, stop_s)`` on the links' clock, from 0).

    ``ground_down``: periods ``[stop_s, restart_s)`` in which the ground is down — its
    receiver (:class:`~ilrs.ops.cfdp.receiver.DurableReceiver`) and frame reader are dropped
    at ``stop_s`` without an orderly stop, frames arriving meanwhile are lost, and a new
    receiver is built from ``ground_dir`` alone at ``restart_s``. ``on_ground_down`` is
    called with the dropped receiver (a test may damage its journal there). ``archive``:
    where the receiver records the landed file."""
    source = Path(source)
    if not source.is_file():
        raise InputError("CFDP source file", str(source), "an existing file")
    ground = Path(ground_dir)
    ground.mkdir(parents=True, exist_ok=True)
    s = settings or CfdpSettings(max_pdu_len=frame_len - 12 - 6)  # one PDU fills a frame
    src, sc_user, faults = make_source(s)
    link = _Pass(down, up, scid, frame_len, outages)
    downs = sorted(ground_down)
    with cfdp_clock(link.cfdp_now):
        ground_rx: DurableReceiver | None = DurableReceiver(ground, s, archive=archive)
        receivers = [ground_rx]
        src.put_request(PutRequest(destination_id=ByteFieldU16(s.ground_entity),
                                   source_file=source, dest_file=Path(source.name),
                                   trans_mode=TransmissionMode.ACKNOWLEDGED,
                                   closure_requested=True))  # fmt: skip
        held: list[tuple[str, bytes]] = []  # arrived while suspended: taken at resumption
        while link.t < max_s:
            ground_rx = _ground_at(link, downs, ground_rx, receivers, ground, s, archive,
                                   on_ground_down)  # fmt: skip
            arrived = link.arrivals()
            if link.suspended(link.t):
                held += arrived
                arrived = []
            elif held:
                arrived, held = held + arrived, []
            for kind, frame in arrived:
                if kind == "down":
                    if ground_rx is None:
                        link.lost_to_ground += 1
                        continue
                    for _, packet in link.reader.feed(frame):
                        for reply in ground_rx.receive(packet[6:]):
                            link.send_up(reply)
                else:
                    pdu = PduFactory.from_raw(TcFrame.unpack(frame).data)
                    if src.state == CfdpState.IDLE:  # a restarted receiver's late Finished
                        if (ack := ack_inactive_finished(pdu)) is not None:
                            link.send_down(ack)
                        continue
                    src.state_machine(pdu)
                    _drain(src, link.send_down)
            if not link.suspended(link.t):
                if ground_rx is not None:
                    for reply in ground_rx.poll():
                        link.send_up(reply)
                # the sender's next PDU as soon as the downlink is free (its FSM may take a
                # few steps without a PDU: a bounded number more)
                for _ in range(8):
                    if link.down.free_s > link.t or src.state == CfdpState.IDLE:
                        break
                    step = src.step
                    src.state_machine()
                    sent = link.down.sent
                    _drain(src, link.send_down)
                    if link.down.sent == sent and src.step == step:
                        break  # nothing to send now: wait for an event
            if src.state == CfdpState.IDLE and ground_rx is not None and not ground_rx.busy:
                break
            link.t = link.next_time(max_s, downs)
        if ground_rx is not None:
            ground_rx.close()
    ground_faults = [f for r in receivers for f in r.faults.seen + r.user.faults]
    landed = [f for r in receivers for f in r.landed]
    return _result(source, landed, link, sc_user, faults.seen + sc_user.faults + ground_faults,
                   receivers)  # fmt: skip


def _ground_at(link: _Pass, downs, ground_rx, receivers, ground, s, archive, on_down):
    """The ground's receiver at ``link.t``: dropped when a down period begins, rebuilt from
    the folder when it ends."""
    inside = any(a <= link.t < b for a, b in downs)
    if inside and ground_rx is not None:
        ground_rx.abandon()  # as a crash leaves it: no orderly stop
        if on_down is not None:
            on_down(ground_rx)
        return None
    if not inside and ground_rx is None:
        link.reader = TmFrameReader(link.scid, frame_len=link.frame_len)
        ground_rx = DurableReceiver(ground, s, archive=archive)
        receivers.append(ground_rx)
    return ground_rx


def _result(source: Path, landed: list, link: _Pass, sc_user, faults: list[str],
            receivers: list[DurableReceiver]) -> DownlinkResult:  # fmt: skip
    done = sc_user.finished[-1].finished_params if sc_user.finished else None
    condition = done.condition_code.name if done is not None else "UNFINISHED"
    held = sum(max(0.0, min(b, link.t) - a) for a, b in link.outages if a < link.t)
    in_contact = link.t - held
    size = landed[-1].size_bytes if landed else 0
    return DownlinkResult(
        path=str(landed[-1].path) if landed else "", size_bytes=size,
        sha256=landed[-1].sha256 if landed else "", condition=condition, started_s=0.0,
        finished_s=link.t, suspended_s=held, frames_down=link.down.sent,
        frames_lost_down=link.down.lost, frames_up=link.up.sent, frames_lost_up=link.up.lost,
        goodput_bit_s=size * 8 / in_contact if in_contact > 0 else 0.0, faults=tuple(faults),
        ground_restarts=len(receivers) - 1, frames_lost_to_ground=link.lost_to_ground,
        replayed_pdus=tuple(r.replayed for r in receivers[1:]),
        recovered=tuple(r.recovered for r in receivers[1:] if r.recovered),
        landed=len(landed),
    )  # fmt: skip
