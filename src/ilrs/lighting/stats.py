"""Illumination statistics of a site, with the definitions the published studies use.

Each epoch stands for one step of time (``step_s``), so a percentage is a share of epochs
and a run of ``n`` epochs lasts ``n · step_s``. Runs that touch the start or the end of the
period are cut there (``truncated``). Definitions (Mazarico et al. 2011, Icarus 211, 1066;
Gläser et al. 2014, Icarus 243, 78):

- *illuminated*: any part of the Sun's disk above the horizon (terrain only: eclipses are
  counted separately, as the studies do not model them);
- *average visible fraction*: the mean of the visible part of the disk;
- *fully lit*: the whole disk visible;
- *night*: a run of epochs with no part of the Sun visible;
- *Earth visible*: any part of the Earth's disk above the horizon (and, separately, its
  centre); an *Earth blackout* is a run with no part visible;
- *eclipse darkness*: epochs the terrain leaves lit but the Earth hides the whole Sun.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ilrs.errors import InputError
from ilrs.lighting.visibility import SiteLighting
from ilrs.sky.timescale import tdb_s_to_utc_iso

DAY_S = 86400.0


@dataclass(frozen=True)
class Run:
    """A continuous stretch of epochs: first and last instant (UTC), duration in days."""

    start_utc: str
    stop_utc: str
    days: float
    truncated: bool


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start indices and lengths of the runs of True in a boolean array.

    >>> starts, lengths = runs(np.array([1, 1, 0, 1, 0, 0, 1, 1, 1], bool))
    >>> starts.tolist(), lengths.tolist()
    ([0, 3, 6], [2, 1, 3])
    """
    padded = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return edges[::2], edges[1::2] - edges[::2]


def _longest(mask: np.ndarray, tdb_s: np.ndarray, step_s: float) -> Run | None:
    starts, lengths = runs(mask)
    if lengths.size == 0:
        return None
    i = int(np.argmax(lengths))
    first, n = int(starts[i]), int(lengths[i])
    utc = tdb_s_to_utc_iso(tdb_s[[first, first + n - 1]], 0)
    return Run(utc[0], utc[1], n * step_s / DAY_S, first == 0 or first + n == mask.size)


@dataclass(frozen=True)
class LightingStats:
    """The statistics of one site over one period (percentages of time, 0–100)."""

    start_utc: str
    stop_utc: str
    step_s: float
    sun_any_pct: float
    sun_mean_fraction_pct: float
    sun_full_pct: float
    longest_night: Run | None
    longest_light: Run | None
    nights: int
    mean_night_days: float
    earth_any_pct: float
    earth_center_pct: float
    longest_earth_blackout: Run | None
    sun_and_earth_pct: float
    eclipse_dark_hours: float
    eclipse_partial_hours: float
    sun_any_with_eclipses_pct: float

    def as_dict(self) -> dict:
        return asdict(self)


def lighting_stats(lit: SiteLighting) -> LightingStats:
    """Statistics of a :class:`SiteLighting` sampled at a uniform step."""
    t = lit.epochs.tdb_s
    if t.size < 2:
        raise InputError("lighting period", f"{t.size} epoch(s)", "at least two epochs")
    steps = np.diff(t)
    step_s = float(np.median(steps))
    if np.abs(steps - step_s).max() > 1e-3 * step_s + 1e-3:
        raise InputError("lighting epochs", "a non-uniform grid", "epochs at a uniform step")
    lit_any = lit.sun_terrain_fraction > 0.0
    earth_any = lit.earth_fraction > 0.0
    _, night_lengths = runs(~lit_any)
    in_eclipse = lit_any & (lit.sun_fraction <= 0.0)
    partial = lit_any & (lit.eclipse_hidden_fraction > 0.0) & ~in_eclipse
    utc = tdb_s_to_utc_iso(t[[0, -1]], 0)
    return LightingStats(
        start_utc=utc[0], stop_utc=utc[1], step_s=step_s,
        sun_any_pct=100.0 * float(lit_any.mean()),
        sun_mean_fraction_pct=100.0 * float(lit.sun_terrain_fraction.mean()),
        sun_full_pct=100.0 * float((lit.sun_terrain_fraction >= 1.0).mean()),
        longest_night=_longest(~lit_any, t, step_s),
        longest_light=_longest(lit_any, t, step_s),
        nights=int(night_lengths.size),
        mean_night_days=float(night_lengths.mean() * step_s / DAY_S) if night_lengths.size
        else 0.0,
        earth_any_pct=100.0 * float(earth_any.mean()),
        earth_center_pct=100.0 * float(lit.earth_center_visible.mean()),
        longest_earth_blackout=_longest(~earth_any, t, step_s),
        sun_and_earth_pct=100.0 * float((lit_any & earth_any).mean()),
        eclipse_dark_hours=float(in_eclipse.sum() * step_s / 3600.0),
        eclipse_partial_hours=float(partial.sum() * step_s / 3600.0),
        sun_any_with_eclipses_pct=100.0 * float((lit.sun_fraction > 0.0).mean()),
    )
