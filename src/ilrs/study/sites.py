"""Rank candidate sites by a full twin run at each, with a TOPSIS score.

Each site is run with the base scenario (its horizon computed from the DEMs, or ``ideal``
if the scenario says so); the criteria are KPIs of those runs and of the site's own
lighting (Sun and Earth in view, the longest night), each a benefit (more is better) or a
cost. TOPSIS (Hwang & Yoon 1981) ranks the sites by their relative closeness to the ideal
point: columns vector-normalised and weighted, then ``D⁻ / (D⁺ + D⁻)`` with ``D⁺`` and
``D⁻`` the Euclidean distances to the best and the worst value of every criterion.
Lafleur & Heeg (2010) ranked south-polar sites this way, from Sun and Earth access and the
longest outage.

Differences smaller than a criterion's :data:`RESOLUTION` are not evidence (a minimum
state of charge of 0.49993 against 0.49994 is the same night): each criterion is rounded
to its resolution before TOPSIS, a criterion on which every site is within it decides
nothing (it is left out of the score and said so), and sites with equal scores share a
rank. Each row names the criteria that set it apart from the next site down.

>>> topsis([[1.0, 5.0], [2.0, 4.0], [3.0, 1.0]], [0.5, 0.5], [True, False]).round(3).tolist()
[0.0, 0.366, 1.0]
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ilrs.errors import InputError
from ilrs.station import Scenario
from ilrs.study.engine import run_jobs
from ilrs.study.runner import KPI_UNITS, Job, StudyBase

__all__ = ["CRITERIA", "RESOLUTION", "SiteRanking", "deciding", "parse_weights", "quantized",
           "rank_rows", "rank_sites", "topsis"]

#: Criteria of the ranking: KPI → True for a benefit, False for a cost.
CRITERIA = {
    "survival_unserved_kwh": False,
    "min_soc": True,
    "science_hours": True,
    "data_returned_gb": True,
    "sun_visible_pct": True,
    "earth_visible_pct": True,
    "longest_night_h": False,
}
#: Default weights (equal).
DEFAULT_WEIGHTS = dict.fromkeys(CRITERIA, 1.0)
#: The smallest difference of each criterion that counts (in its unit, KPI_UNITS): below
#: it two sites are tied on it. The site KPIs are sampled every 10 minutes (0.17 h).
RESOLUTION = {
    "survival_unserved_kwh": 1.0,
    "min_soc": 0.005,
    "science_hours": 1.0,
    "data_returned_gb": 1.0,
    "sun_visible_pct": 0.1,
    "earth_visible_pct": 0.1,
    "longest_night_h": 0.5,
}
#: Scores closer than this are a tie (the same rank).
SCORE_TIE = 1e-9


def topsis(matrix, weights, benefit) -> np.ndarray:
    """Relative closeness (0–1, higher is better) of each row of ``matrix`` (alternatives ×
    criteria) to the ideal solution, with ``weights`` and a ``benefit`` flag per column."""
    x = np.asarray(matrix, dtype=float)
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    good = np.asarray(benefit, dtype=bool)
    norm = np.sqrt((x ** 2).sum(axis=0))
    v = np.divide(x, norm, out=np.zeros_like(x), where=norm > 0) * w
    best = np.where(good, v.max(axis=0), v.min(axis=0))
    worst = np.where(good, v.min(axis=0), v.max(axis=0))
    d_best = np.sqrt(((v - best) ** 2).sum(axis=1))
    d_worst = np.sqrt(((v - worst) ** 2).sum(axis=1))
    total = d_best + d_worst
    return np.divide(d_worst, total, out=np.full(total.shape, 0.5), where=total > 0)


def parse_weights(text: str | None) -> dict[str, float]:
    """``kpi=w,kpi=w`` (unnamed criteria keep weight 1; 0 leaves one out).

    >>> parse_weights("science_hours=3,longest_night_h=0")["science_hours"]
    3.0
    """
    weights = dict(DEFAULT_WEIGHTS)
    if not text:
        return weights
    for part in text.split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in CRITERIA:
            raise InputError("--weights", part, "KPI=WEIGHT with a KPI among "
                             + ", ".join(CRITERIA))
        try:
            weights[name] = float(value)
        except ValueError:
            raise InputError("--weights", part, "KPI=WEIGHT with a number") from None
        if not weights[name] >= 0:
            raise InputError("--weights", part, "a weight >= 0")
    if not any(weights.values()):
        raise InputError("--weights", text, "at least one weight > 0")
    return weights


@dataclass
class SiteRanking:
    """The sites' rows (KPIs, score, rank, ``deciding``: the criteria that set each apart
    from the next site down), best first; ``tied``: the weighted criteria on which every
    site is within :data:`RESOLUTION` (left out of the score)."""

    rows: list[dict[str, Any]]
    weights: dict[str, float]
    tied: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"weights": self.weights, "criteria": {k: "benefit" if b else "cost"
                                                      for k, b in CRITERIA.items()},
                "units": {k: KPI_UNITS[k] for k in CRITERIA}, "resolution": RESOLUTION,
                "tied_everywhere": self.tied, "sites": self.rows}


def quantized(value: float, kpi: str) -> float:
    """``value`` rounded to the criterion's resolution."""
    step = RESOLUTION[kpi]
    return round(value / step) * step


def deciding(better: dict, worse: dict, used: Sequence[str], weights: dict[str, float],
             norms: dict[str, float], top: int = 2) -> list[dict[str, Any]]:
    """The criteria on which ``better`` beats ``worse`` most (weighted, normalised as in
    TOPSIS), beyond the resolution: ``[{"kpi", "better", "worse"}]``, largest first."""
    gains = []
    for k in used:
        a, b = quantized(better[k], k), quantized(worse[k], k)
        if abs(a - b) < 0.5 * RESOLUTION[k]:
            continue
        gain = (a - b) if CRITERIA[k] else (b - a)
        if gain > 0:
            gains.append((gain * weights[k] / max(norms[k], 1e-300), k))
    gains.sort(reverse=True)
    return [{"kpi": k, "better": better[k], "worse": worse[k]} for _, k in gains[:top]]


def rank_sites(scenario: Scenario, sites: Sequence[tuple[float, float]], *, dems=(),
               weights: dict[str, float] | None = None, out_dir: Path | None = None,
               scheduler: Any = None, progress: bool = True) -> SiteRanking:
    """A full twin run at each site, ranked by TOPSIS over :data:`CRITERIA`."""
    if len(sites) < 2:
        raise InputError("sites", len(sites), "at least two sites to rank")
    weights = weights or dict(DEFAULT_WEIGHTS)
    base = StudyBase.of(scenario, dems)
    rows = run_jobs(base, [Job(site=(float(a), float(b))) for a, b in sites], out_dir=out_dir,
                    scheduler=scheduler, progress=progress, description="sites")
    return rank_rows(rows, weights)


def rank_rows(rows: Sequence[dict[str, Any]], weights: dict[str, float]) -> SiteRanking:
    """Rank run rows (each with every criterion) by TOPSIS over their values rounded to
    :data:`RESOLUTION`; see the module doc for ties."""
    weighted = [k for k in CRITERIA if weights.get(k, 0.0) > 0]
    q = {k: np.array([quantized(row[k], k) for row in rows]) for k in weighted}
    tied = [k for k in weighted if np.ptp(q[k]) < 0.5 * RESOLUTION[k]]
    used = [k for k in weighted if k not in tied]
    if used:
        score = topsis(np.column_stack([q[k] for k in used]), [weights[k] for k in used],
                       [CRITERIA[k] for k in used])
    else:  # every criterion within its resolution: all sites tie
        score = np.full(len(rows), 0.5)
    norms = {k: float(np.sqrt((q[k] ** 2).sum())) for k in used}
    order = np.argsort(-score, kind="stable")
    ranked: list[dict[str, Any]] = []
    for place, i in enumerate(order):
        previous = ranked[-1] if ranked else None
        tie = previous is not None and abs(previous["score"] - score[i]) <= SCORE_TIE
        ranked.append({**rows[i], "score": float(score[i]),
                       "rank": previous["rank"] if tie else place + 1, "deciding": []})
    for upper, lower in itertools.pairwise(ranked):
        upper["deciding"] = deciding(upper, lower, used, weights, norms)
    return SiteRanking(ranked, weights, tied)
