"""Launch-slip models fitted from the announcement history in the roadmap itself.

Each time a planned launch date is replaced by a newer plan (or by the actual launch), the
change is one observation: the date moved by ``slip_days`` after having been announced
``lead_days`` ahead of its target. Its *slip rate* ``slip_days / lead_days`` (days of slip
per day of lead time) is what the Monte Carlo draws. Per agency, a rate is 0 (on time or
early) with the observed probability, otherwise log-normal with the log-mean and log-spread
of the observed positive rates, truncated at twice the largest rate observed. Agencies with
fewer than ``min_observations`` observations use the model pooled over all agencies
(``agency="*"``).

>>> from ilrs.campaign import Roadmap, fit_slip_models
>>> models = fit_slip_models(Roadmap.load_builtin())
>>> sorted(models)
['*', 'CNSA', 'Roscosmos']
>>> models["Roscosmos"].median_rate > models["CNSA"].median_rate
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np
from scipy.special import ndtri

from ilrs.campaign.dates import to_mjd
from ilrs.campaign.model import Roadmap

__all__ = ["POOLED", "SlipModel", "SlipObservation", "fit_slip_models", "observations"]

#: The key of the model pooled over all agencies.
POOLED = "*"
#: Spread used when fewer than two positive rates are observed (log-space, estimate).
DEFAULT_LOG_SD = 0.5


@dataclass(frozen=True)
class SlipObservation:
    """One replaced date: the plan was announced ``lead_days`` ahead and moved ``slip_days``."""

    mission: str
    agency: str
    announced: str
    planned: str
    replaced_by: str
    lead_days: float
    slip_days: float

    @property
    def rate(self) -> float:
        """Days of slip per day of lead time (negative when the launch came early)."""
        return self.slip_days / self.lead_days


@dataclass(frozen=True)
class SlipModel:
    """Slip-rate distribution of one agency (see the module doc)."""

    agency: str
    n_observations: int
    p_on_time: float
    log_mean: float
    log_sd: float
    max_rate: float

    @property
    def median_rate(self) -> float:
        """Median slip rate, counting on-time launches as 0."""
        if self.p_on_time >= 0.5:
            return 0.0
        q = (0.5 - self.p_on_time) / (1.0 - self.p_on_time)
        return min(math.exp(self.log_mean + self.log_sd * float(ndtri(q))), self.max_rate)

    def widened(self, factor: float) -> SlipModel:
        """The same model with every slip rate multiplied by ``factor``."""
        return replace(
            self, log_mean=self.log_mean + math.log(factor), max_rate=self.max_rate * factor
        )


def observations(roadmap: Roadmap) -> list[SlipObservation]:
    """Every replaced plan in the roadmap, in mission order."""
    out = []
    for m in roadmap.missions:
        history = [(d.announced_date, d.date) for d in m.planned_dates]
        if m.launched is not None:
            history.append((m.launched, m.launched))
        for (announced, planned), (_, replaced_by) in pairwise(history):
            lead = to_mjd(planned) - to_mjd(announced)
            if lead <= 0:
                continue
            slip = to_mjd(replaced_by) - to_mjd(planned)
            out.append(SlipObservation(m.id, m.agency, announced, planned, replaced_by, lead, slip))
    return out


def _fit(agency: str, rates: np.ndarray) -> SlipModel:
    positive = rates[rates > 0]
    p_on_time = float(np.mean(rates <= 0)) if rates.size else 0.0
    if positive.size == 0:
        return SlipModel(agency, int(rates.size), 1.0, 0.0, DEFAULT_LOG_SD, 0.0)
    logs = np.log(positive)
    log_sd = float(np.std(logs, ddof=1)) if positive.size > 1 else DEFAULT_LOG_SD
    return SlipModel(
        agency=agency,
        n_observations=int(rates.size),
        p_on_time=p_on_time,
        log_mean=float(np.mean(logs)),
        log_sd=max(log_sd, 0.05),
        max_rate=2.0 * float(positive.max()),
    )


def fit_slip_models(roadmap: Roadmap, *, min_observations: int = 3) -> dict[str, SlipModel]:
    """One model per agency with enough observations, plus the pooled model ``"*"``."""
    obs = observations(roadmap)
    models = {POOLED: _fit(POOLED, np.array([o.rate for o in obs]))}
    for agency in sorted({o.agency for o in obs}):
        rates = np.array([o.rate for o in obs if o.agency == agency])
        if rates.size >= min_observations:
            models[agency] = _fit(agency, rates)
    return models


def model_for(models: dict[str, SlipModel], agency: str) -> SlipModel:
    """The agency's model, else the pooled one."""
    return models.get(agency, models[POOLED])

