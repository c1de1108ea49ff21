"""A simulated one-way space link for frames: a data rate, a light-time delay, random frame
losses and outages (Earth below the horizon, the relay out of view), on simulated time.

Frames leave one after another at ``rate_bit_s``; each arrives ``delay_s`` after its last
bit, unless it is lost — drawn with probability ``loss`` from a seeded generator, or sent
while an outage (``[start_s, stop_s)``) covers its transmission. A lost frame still takes
its time on the link. Times are seconds on any common clock (the tests' simulated one).

>>> link = SimulatedLink(rate_bit_s=8000.0, delay_s=1.0)
>>> link.send(b"x" * 100, 0.0), link.send(b"y" * 100, 0.0)
(1.1, 1.2)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ilrs.errors import InputError

__all__ = ["SimulatedLink"]


class SimulatedLink:
    """One direction of a space link (see the module doc); counts what it carried."""

    def __init__(self, *, rate_bit_s: float, delay_s: float = 0.0, loss: float = 0.0,
                 outages: Sequence[tuple[float, float]] = (), seed: int = 0):  # fmt: skip
        if not rate_bit_s > 0:
            raise InputError("link rate_bit_s", rate_bit_s, "a positive rate")
        if not 0.0 <= loss < 1.0:
            raise InputError("link loss", loss, "a probability in [0, 1)")
        self.rate_bit_s = float(rate_bit_s)
        self.delay_s = float(delay_s)
        self.loss = float(loss)
        self.outages = tuple((float(a), float(b)) for a, b in outages)
        self._rng = np.random.default_rng(seed)
        self.free_s = 0.0  # when the link has sent everything given so far
        self.sent = self.lost = 0
        self.bits = 0

    def in_outage(self, t_s: float) -> bool:
        return any(a <= t_s < b for a, b in self.outages)

    def send(self, frame: bytes, now_s: float) -> float | None:
        """Put a frame on the link at ``now_s``; its arrival time, or None when lost."""
        start = max(now_s, self.free_s)
        self.free_s = start + len(frame) * 8 / self.rate_bit_s
        self.sent += 1
        self.bits += len(frame) * 8
        if self.in_outage(start) or self.in_outage(self.free_s) or (
                self.loss and self._rng.random() < self.loss):  # fmt: skip
            self.lost += 1
            return None
        return round(self.free_s + self.delay_s, 9)
