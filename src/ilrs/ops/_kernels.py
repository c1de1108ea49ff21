"""Numeric kernels of the command center: bit extraction, calibration, limit levels and
min/max downsampling, as pure functions over numpy arrays (no I/O, no frameworks).

>>> import numpy as np
>>> frames = np.array([[0b1010_1100, 0xFF]], dtype=np.uint8)
>>> extract_bits(frames, bit_offset=2, bit_size=3)
array([5], dtype=uint64)
>>> limit_levels(np.array([5.0, 11.0, 25.0, np.nan]), (0.0, 10.0), (-5.0, 20.0))
array([0, 1, 2, 0], dtype=int8)
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "SUMMARY_DTYPE",
    "apply_polynomial",
    "apply_table",
    "extract_bits",
    "limit_levels",
    "minmax_buckets",
    "minmax_from_summaries",
    "summarize",
]

LEVEL_OK = 0
LEVEL_YELLOW = 1
LEVEL_RED = 2


def extract_bits(frames: np.ndarray, *, bit_offset: int, bit_size: int) -> np.ndarray:
    """Unsigned big-endian bit fields of ``bit_size`` (≤ 32) bits at ``bit_offset`` of each
    row of a ``(N, L)`` uint8 array, as uint64."""
    first = bit_offset // 8
    n_bytes = (bit_offset % 8 + bit_size + 7) // 8
    word = np.zeros(frames.shape[0], dtype=np.uint64)
    for k in range(n_bytes):  # ≤ 5 iterations, over bytes of the field, not over samples
        word = (word << np.uint64(8)) | frames[:, first + k].astype(np.uint64)
    shift = n_bytes * 8 - bit_offset % 8 - bit_size
    return (word >> np.uint64(shift)) & np.uint64((1 << bit_size) - 1)


def apply_polynomial(raw: np.ndarray, coefficients: tuple[float, ...]) -> np.ndarray:
    """c0 + c1·x + c2·x² + … by Horner's rule, float64."""
    x = np.asarray(raw, dtype=np.float64)
    out = np.full_like(x, coefficients[-1])
    for c in reversed(coefficients[:-1]):
        out = out * x + c
    return out


def apply_table(raw: np.ndarray, raw_points: tuple, eng_points: tuple) -> np.ndarray:
    """Piecewise-linear interpolation, extrapolating the end segments linearly."""
    x = np.asarray(raw, dtype=np.float64)
    xp = np.asarray(raw_points, dtype=np.float64)
    fp = np.asarray(eng_points, dtype=np.float64)
    out = np.interp(x, xp, fp)
    lo, hi = x < xp[0], x > xp[-1]
    out[lo] = fp[0] + (x[lo] - xp[0]) * (fp[1] - fp[0]) / (xp[1] - xp[0])
    out[hi] = fp[-1] + (x[hi] - xp[-1]) * (fp[-1] - fp[-2]) / (xp[-1] - xp[-2])
    return out


def _outside(values: np.ndarray, bounds: tuple[float | None, float | None] | None) -> np.ndarray:
    if bounds is None:
        return np.zeros(values.shape, dtype=bool)
    low, high = bounds
    out = np.zeros(values.shape, dtype=bool)
    if low is not None:
        out |= values < low
    if high is not None:
        out |= values > high
    return out


def limit_levels(
    values: np.ndarray,
    yellow: tuple[float | None, float | None] | None,
    red: tuple[float | None, float | None] | None,
) -> np.ndarray:
    """0 within limits, 1 outside yellow, 2 outside red (NaN counts as within)."""
    v = np.asarray(values, dtype=np.float64)
    level = np.where(_outside(v, yellow), LEVEL_YELLOW, LEVEL_OK).astype(np.int8)
    level[_outside(v, red)] = LEVEL_RED
    return level


def minmax_buckets(
    times_ns: np.ndarray, values: np.ndarray, start_ns: int, stop_ns: int, n_buckets: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Min and max per time bucket over ``[start_ns, stop_ns)`` (Open MCT ``minmax``).

    Buckets are ``ceil((stop - start) / n_buckets)`` ns wide from ``start_ns``. Returns
    ``(bucket_start_ns, min, max, count)`` for the non-empty buckets only; NaN values are
    ignored by min/max (a bucket of NaNs gives NaN) but counted; ``times_ns`` sorted.
    """
    t = np.asarray(times_ns, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    width = max(1, -(-(stop_ns - start_ns) // n_buckets))
    edges = np.searchsorted(t, start_ns + np.arange(n_buckets + 1, dtype=np.int64) * width)
    edges[-1] = np.searchsorted(t, stop_ns)
    counts = np.diff(edges)
    full = np.flatnonzero(counts > 0)
    if full.size == 0:
        empty = np.empty(0)
        return empty.astype(np.int64), empty, empty, empty.astype(np.int64)
    starts = edges[full]
    with np.errstate(invalid="ignore"):
        lo = np.fmin.reduceat(v, starts)[: full.size]
        hi = np.fmax.reduceat(v, starts)[: full.size]
    # reduceat runs each reduction to the next start; the last must stop at its own edge
    last = full[-1]
    tail = v[edges[last] : edges[last + 1]]
    lo[-1], hi[-1] = np.fmin.reduce(tail), np.fmax.reduce(tail)
    return start_ns + full * width, lo, hi, counts[full]


#: The record of one summary bin: its index (time // bin_ns), min, max, sample count.
SUMMARY_DTYPE = np.dtype([("bin", "<i8"), ("min", "<f8"), ("max", "<f8"), ("n", "<i8")])


def summarize(times_ns: np.ndarray, values: np.ndarray, bin_ns: int) -> np.ndarray:
    """Min / max / count per time bin aligned to multiples of ``bin_ns`` (sorted times)."""
    t = np.asarray(times_ns, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    out = np.empty(0, dtype=SUMMARY_DTYPE)
    if t.size == 0:
        return out
    bins = t // bin_ns
    starts = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
    out = np.empty(starts.size, dtype=SUMMARY_DTYPE)
    out["bin"] = bins[starts]
    with np.errstate(invalid="ignore"):
        out["min"] = np.fmin.reduceat(v, starts)
        out["max"] = np.fmax.reduceat(v, starts)
    out["n"] = np.diff(np.r_[starts, t.size])
    return out


def minmax_from_summaries(
    summary: np.ndarray, bin_ns: int, start_ns: int, stop_ns: int, n_buckets: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Min / max per bucket from bin summaries; the range snaps outwards to whole bins and
    the bucket width up to a whole number of bins, so that no bin straddles a bucket."""
    start = (start_ns // bin_ns) * bin_ns
    stop = -(-stop_ns // bin_ns) * bin_ns
    width = -(-max(1, -(-(stop - start) // n_buckets)) // bin_ns) * bin_ns
    s = summary[(summary["bin"] >= start // bin_ns) & (summary["bin"] < stop // bin_ns)]
    if s.size == 0:
        empty = np.empty(0)
        return empty.astype(np.int64), empty, empty, empty.astype(np.int64)
    bucket = (s["bin"] * bin_ns - start) // width
    order = np.argsort(bucket, kind="stable")
    bucket, s = bucket[order], s[order]
    firsts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    with np.errstate(invalid="ignore"):
        lo = np.fmin.reduceat(s["min"], firsts)
        hi = np.fmax.reduceat(s["max"], firsts)
    return start + bucket[firsts] * width, lo, hi, np.add.reduceat(s["n"], firsts)
