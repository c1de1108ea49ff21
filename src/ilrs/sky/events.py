"""Events: one sampler and bisection finder shared by every kind of event.

A continuous function of time ``f(tdb_s) -> values`` (vectorized over epochs) is sampled
every ``step_s``; each sign change is then refined by bisection of all brackets at once
until the bracket is shorter than ``tolerance_s``. Sun rise and set, Earth rise and set,
relay AOS/LOS and eclipse contacts are all zero crossings of such functions.

Events shorter than the sampling step can be missed (two crossings inside one step); the
callers choose steps well below the shortest event they care about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Crossings:
    """Zero crossings of a function of time: TDB seconds and direction (True = rising)."""

    tdb_s: np.ndarray
    rising: np.ndarray


def find_crossings(
    f: Callable[[np.ndarray], np.ndarray],
    start_s: float,
    stop_s: float,
    step_s: float,
    tolerance_s: float = 1e-3,
) -> Crossings:
    """Times where ``f`` changes sign within [start_s, stop_s], refined to ``tolerance_s``.

    >>> c = find_crossings(np.sin, 0.5, 10.0, 0.25, 1e-9)
    >>> np.round(c.tdb_s, 6).tolist(), c.rising.tolist()
    ([3.141593, 6.283185, 9.424778], [False, True, False])
    """
    if stop_s <= start_s:
        return Crossings(np.zeros(0), np.zeros(0, bool))
    count = int(np.ceil((stop_s - start_s) / step_s))
    t = np.linspace(start_s, stop_s, count + 1)
    values = np.asarray(f(t), float)
    positive = values > 0.0
    idx = np.flatnonzero(positive[1:] != positive[:-1])
    lo, hi = t[idx].copy(), t[idx + 1].copy()
    lo_positive = positive[idx]
    while lo.size and np.max(hi - lo) > tolerance_s:
        mid = 0.5 * (lo + hi)
        mid_positive = np.asarray(f(mid), float) > 0.0
        same = mid_positive == lo_positive
        lo = np.where(same, mid, lo)
        hi = np.where(same, hi, mid)
    return Crossings(0.5 * (lo + hi), ~lo_positive)
