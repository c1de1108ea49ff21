"""Rank candidate sites by a full twin run at each, with a TOPSIS score.

Each site is run with the base scenario (its horizon computed from the DEMs, or ``ideal``
if the scenario says so); the criteria are KPIs of those runs and of the site's own
lighting (Sun and Earth in view, the longest night), each a benefit (more is better) or a
cost. TOPSIS (Hwang & Yoon 1981) ranks the sites by their relative closeness to the ideal
point: columns vector-normalised and weighted, then ``D⁻ / (D⁺ + D⁻)`` with ``D⁺`` and
``D⁻`` the Euclidean distances to the best and the worst value of every criterion.
Lafleur & Heeg (2010) ranked south-polar sites this way, from Sun and Earth access and the
longest outage.

>>> topsis([[1.0, 5.0], [2.0, 4.0], [3.0, 1.0]], [0.5, 0.5], [True, False]).round(3).tolist()
[0.0, 0.366, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ilrs.errors import InputError
from ilrs.station import Scenario
from ilrs.study.engine import run_jobs
from ilrs.study.runner import KPI_UNITS, Job, StudyBase

__all__ = ["CRITERIA", "SiteRanking", "parse_weights", "rank_sites", "topsis"]

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
    """The sites' rows (KPIs, score, rank), best first."""

    rows: list[dict[str, Any]]
    weights: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"weights": self.weights, "criteria": {k: "benefit" if b else "cost"
                                                      for k, b in CRITERIA.items()},
                "units": {k: KPI_UNITS[k] for k in CRITERIA}, "sites": self.rows}


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
    used = [k for k in CRITERIA if weights.get(k, 0.0) > 0]
    matrix = [[row[k] for k in used] for row in rows]
    score = topsis(matrix, [weights[k] for k in used], [CRITERIA[k] for k in used])
    order = np.argsort(-score, kind="stable")
    ranked = []
    for rank, i in enumerate(order, start=1):
        ranked.append({**rows[i], "score": float(score[i]), "rank": rank})
    return SiteRanking(ranked, weights)
