"""COP-1, the TC link's retransmission protocol (CCSDS 232.1-B-2): FOP-1 on the ground
sends sequence-controlled (type-AD) frames and retransmits what the spacecraft's FARM-1
did not accept, as FARM-1 reports in the CLCW of every TM frame.

Both sides are clock-free state machines: the caller passes the time (``now_s``, any
monotonic seconds — simulated ones in the link tests) and moves the frames.

FARM-1 (§6): accepts the AD frame numbered V(R) and counts V(R) up; one ahead within the
positive window is discarded with the *retransmit* flag raised, one behind within the
negative window (a duplicate) discarded quietly, any other puts FARM in *lockout*, which
only an Unlock control command (BC) ends. BD frames bypass it; Set V(R) (BC) sets V(R).

FOP-1 (§5): frames up to ``window`` at a time from the wait queue, each numbered V(S);
a CLCW acknowledges every frame before its N(R); the retransmit flag (once per episode) or
the expiry of timer T1 sends every unacknowledged frame again, up to
``transmission_limit`` times, after which FOP alerts and stops (as on lockout or an N(R)
out of range). ``initiate(now_s, set_vr=…)`` (re)starts the AD service, with a Set V(R)
directive when FARM must be resynchronised.

>>> farm = Farm1(window=10)
>>> farm.receive(TcFrame(scid=1, vcid=0, seq=0, data=b"a"))
b'a'
>>> farm.receive(TcFrame(scid=1, vcid=0, seq=2, data=b"c")) is None, farm.clcw().retransmit
(True, True)
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

from ilrs.errors import InputError
from ilrs.ops.tmtc.frames import Clcw, TcFrame

__all__ = ["Farm1", "Fop1", "FopState"]

_UNLOCK = b"\x00"
_SET_VR = b"\x82\x00"  # followed by the new V(R)


class Farm1:
    """The spacecraft side of COP-1 for one VC (``window`` W, even, 2–254)."""

    def __init__(self, *, vcid: int = 0, window: int = 10):
        if window % 2 or not 2 <= window <= 254:
            raise InputError("FARM-1 window", window, "an even number in 2 … 254")
        self.vcid = vcid
        self.pw = self.nw = window // 2
        self.vr = 0
        self.lockout = self.wait = self.retransmit = False
        self.farm_b = 0
        self.accepted = 0

    def receive(self, frame: TcFrame) -> bytes | None:
        """Process one frame; its data when accepted (AD or BD data), else None."""
        if frame.vcid != self.vcid:
            return None
        if frame.bypass:
            self.farm_b = (self.farm_b + 1) & 3
            if frame.control:
                self._control(frame.data)
                return None
            return frame.data
        if self.lockout:
            return None
        ahead = (frame.seq - self.vr) & 0xFF
        if ahead == 0:
            self.vr = (self.vr + 1) & 0xFF
            self.retransmit = False
            self.accepted += 1
            return frame.data
        if ahead < self.pw:  # lost frames before it: ask for retransmission
            self.retransmit = True
        elif 256 - ahead > self.nw:  # neither a duplicate nor near: lockout
            self.lockout = True
        return None

    def _control(self, data: bytes) -> None:
        if data == _UNLOCK:
            self.lockout = self.wait = self.retransmit = False
        elif data[:2] == _SET_VR and len(data) == 3 and not self.lockout:
            self.vr = data[2]
            self.retransmit = self.wait = False

    def clcw(self) -> Clcw:
        return Clcw(vcid=self.vcid, report_value=self.vr, lockout=self.lockout,
                    wait=self.wait, retransmit=self.retransmit,
                    farm_b_counter=self.farm_b)  # fmt: skip


class FopState(enum.Enum):
    ACTIVE = "active"  # S1
    RETRANSMIT = "retransmit"  # S2 (retransmit without wait)
    INITIALIZING = "initializing"  # S5: waiting for the CLCW to confirm Set V(R)
    INITIAL = "initial"  # S6: stopped (after an alert, or not yet initiated)


@dataclass
class _Sent:
    seq: int
    frame: bytes


class Fop1:
    """The ground side of COP-1 for one VC. ``submit(data)`` queues a TC packet; ``poll``,
    ``on_clcw`` and ``on_timer`` return the frames to transmit (bytes) now."""

    def __init__(self, *, scid: int, vcid: int = 0, window: int = 5, t1_s: float = 2.0,
                 transmission_limit: int = 5):  # fmt: skip
        self.scid, self.vcid = scid, vcid
        self.window = window
        self.t1_s = t1_s
        self.transmission_limit = transmission_limit
        self.state = FopState.INITIAL
        self.vs = 0  # V(S): the next sequence number
        self.nnr = 0  # NN(R): the oldest unacknowledged
        self.waiting: deque[bytes] = deque()
        self.sent: deque[_Sent] = deque()
        self.transmissions = 0
        self.timer_due: float | None = None
        self.alerts: list[str] = []
        self.retransmitted = 0
        self._expect_vr: int | None = None

    def _bc(self, data: bytes) -> bytes:
        return TcFrame(self.scid, self.vcid, 0, data, bypass=True, control=True).pack()

    def initiate(self, now_s: float, *, set_vr: int | None = None) -> list[bytes]:
        """Start the AD service: at once (FARM's V(R) assumed = V(S)), or after a Set V(R)
        control command the CLCW confirms (lockout cleared first with Unlock). Frames not
        yet acknowledged go back to the front of the wait queue, to be numbered anew."""
        self.waiting.extendleft(reversed([TcFrame.unpack(s.frame).data for s in self.sent]))
        self.sent.clear()
        if set_vr is None:
            self.state = FopState.ACTIVE
            return self.poll(now_s)
        self.vs = self.nnr = set_vr & 0xFF
        self.state = FopState.INITIALIZING
        self._expect_vr = self.vs
        self.timer_due = now_s + self.t1_s
        return [self._bc(_UNLOCK), self._bc(_SET_VR + bytes([self.vs]))]

    def submit(self, data: bytes) -> None:
        self.waiting.append(bytes(data))

    def poll(self, now_s: float) -> list[bytes]:
        """New frames the window allows now."""
        if self.state not in (FopState.ACTIVE, FopState.RETRANSMIT):
            return []
        out = []
        while self.waiting and len(self.sent) < self.window:
            frame = TcFrame(self.scid, self.vcid, self.vs, self.waiting.popleft()).pack()
            self.sent.append(_Sent(self.vs, frame))
            self.vs = (self.vs + 1) & 0xFF
            out.append(frame)
        if out:
            if self.timer_due is None:
                self.transmissions = 1
            self.timer_due = now_s + self.t1_s
        return out

    def _alert(self, why: str) -> list[bytes]:
        self.alerts.append(why)
        self.state = FopState.INITIAL
        self.timer_due = None
        return []

    def _retransmit(self, now_s: float) -> list[bytes]:
        if self.transmissions >= self.transmission_limit:
            return self._alert("transmission limit reached")
        self.transmissions += 1
        self.timer_due = now_s + self.t1_s
        self.retransmitted += len(self.sent)
        return [s.frame for s in self.sent]

    def on_clcw(self, clcw: Clcw, now_s: float) -> list[bytes]:
        """A CLCW from FARM-1 (through a TM frame's OCF)."""
        if clcw.vcid != self.vcid or self.state is FopState.INITIAL:
            return []
        if self.state is FopState.INITIALIZING:
            if not clcw.lockout and clcw.report_value == self._expect_vr:
                self.state, self.timer_due = FopState.ACTIVE, None
                return self.poll(now_s)
            return []
        if clcw.lockout:
            return self._alert("lockout")
        acked = (clcw.report_value - self.nnr) & 0xFF
        if acked > len(self.sent):
            return self._alert(f"N(R) {clcw.report_value} out of range")
        for _ in range(acked):
            self.sent.popleft()
        self.nnr = clcw.report_value
        if acked:
            self.transmissions = 1
            self.timer_due = now_s + self.t1_s if self.sent else None
        out: list[bytes] = []
        if clcw.retransmit and self.sent:
            if self.state is FopState.ACTIVE or acked:
                self.state = FopState.RETRANSMIT
                out = self._retransmit(now_s)
        elif not clcw.retransmit:
            self.state = FopState.ACTIVE if self.state is FopState.RETRANSMIT else self.state
        return out + self.poll(now_s)

    def on_timer(self, now_s: float) -> list[bytes]:
        """Call when ``now_s`` reaches ``timer_due``: T1 expired."""
        if self.timer_due is None or now_s < self.timer_due:
            return []
        if self.state is FopState.INITIALIZING:
            return self._alert("Set V(R) not confirmed")
        if not self.sent:
            self.timer_due = None
            return []
        return self._retransmit(now_s)

    @property
    def done(self) -> bool:
        """Nothing waiting, nothing unacknowledged."""
        return not self.waiting and not self.sent
