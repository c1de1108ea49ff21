"""Monte Carlo of the station: each trial a full twin run with its own draw of the uncertain
inputs (launch slips, component failures, degradation rates); the KPI distributions, their
standard errors and which inputs matter most.

Trial ``i`` of seed ``S`` draws everything from its own random stream (``block_rng(S, i)``
for the slips, ``SeedSequence(S, spawn_key=(i, k))`` for the rest), so a trial's inputs do
not depend on how trials are spread over workers, and a study rerun with more trials keeps
the earlier ones. Only a row per trial is kept (the inputs drawn and the KPIs), so memory
stays bounded whatever the number of trials; asked for (``series``), each trial's binned
time series is written to disk by the process that ran it, never gathered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ilrs import yamlfile
from ilrs.errors import InputError
from ilrs.sky.timescale import tdb_s_to_utc_iso
from ilrs.station import Scenario
from ilrs.station.build import _tdb
from ilrs.station.config import Fault
from ilrs.station.twin import load_roadmap_for
from ilrs.study.arrivals import Slips
from ilrs.study.engine import run_jobs
from ilrs.study.runner import KPI_UNITS, Job, StudyBase

__all__ = ["Dispersions", "MonteCarloResult", "draw_trial", "load_dispersions", "montecarlo"]

#: KPIs summarised by the Monte Carlo (the issue's list), with the row they come from.
SUMMARY_KPIS = ("survival_ok", "min_soc", "science_hours", "data_returned_gb",
                "o2_produced_kg")
QUANTILES = (0.1, 0.5, 0.9)
#: Bootstrap resamples for the standard error of a percentile (fixed seed: reproducible).
BOOTSTRAP = 400
SECONDS_PER_YEAR = 365.25 * 86400.0


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FailureModel(_Model):
    """Failures of one component group: constant hazard 1/``mtbf_years`` from arrival."""

    kind: Literal["battery-cell-loss", "array-degradation", "relay-outage", "isru-stuck",
                  "rover-fault"]
    mtbf_years: float = Field(gt=0)
    magnitude: float = Field(default=0.0, ge=0, le=1)
    duration_h: float = Field(default=0.0, ge=0)
    source: str = Field(min_length=1)


class DegradationSpread(_Model):
    """A rate of every record of a group (``group.*.field``) scaled by N(1, ``rel_sd``)."""

    field: str = Field(pattern=r"^[a-z_]+\.\*\.[a-z_]+$")
    rel_sd: float = Field(gt=0, lt=1)
    source: str = Field(min_length=1)


class Dispersions(_Model):
    """The uncertain inputs (see ``data/dispersions.yaml``)."""

    failures: dict[Literal["batteries", "solar_arrays", "relay", "isru", "rovers"],
                   FailureModel] = {}
    degradation: tuple[DegradationSpread, ...] = ()
    slips: bool = True


def load_dispersions(path: str | Path | None = None) -> Dispersions:
    """The dispersions file (``None``: the built-in one)."""
    builtin = Path(str(resources.files("ilrs.study") / "data" / "dispersions.yaml"))
    target = Path(path) if path else builtin
    data = yamlfile.load(target, builtin_name="builtin", builtin_path=builtin)
    return yamlfile.validate(Dispersions, data, str(target))


def _rng(seed: int, trial: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(trial, stream)))


def draw_trial(scenario: Scenario, slips: Slips, disp: Dispersions, seed: int, trial: int,
               span: tuple[float, float]) -> tuple[Job, dict[str, float]]:
    """Trial ``trial``'s job and the inputs it drew (``in:…`` columns)."""
    inputs: dict[str, float] = {}
    landings: dict[str, str] = {}
    if disp.slips:
        landings = slips.drawn(seed, trial)
    arrival = {m: _tdb(slips.roadmap.landing_date(m)) for m in
               {m.id for m in slips.roadmap.missions if m.delivers}}
    arrival.update({m: _tdb(d) for m, d in landings.items()})
    for m in sorted(arrival):
        if any(getattr(c, "arrives_with", None) == m for g in _GROUPS
               for c in scenario.group(g)):
            base = _tdb(slips.roadmap.landing_date(m))
            inputs[f"in:slip_days.{m}"] = (arrival[m] - base) / 86400.0
    # -- degradation rates -------------------------------------------------------------
    values: dict[str, float] = {}
    rng = _rng(seed, trial, 1)
    for spread in disp.degradation:
        group, _, name = spread.field.split(".")
        for c in getattr(scenario, group, ()):
            factor = max(0.0, 1.0 + spread.rel_sd * float(rng.standard_normal()))
            values[f"{group}.{c.id}.{name}"] = getattr(c, name) * factor
            inputs[f"in:{group}.{c.id}.{name}"] = values[f"{group}.{c.id}.{name}"]
    # -- failures ----------------------------------------------------------------------
    faults: list[Fault] = []
    rng = _rng(seed, trial, 2)
    start, stop = span
    for group, model in disp.failures.items():
        if group == "relay":
            members = [("relay", arrival.get(scenario.comms.relay_mission, math.inf))] \
                if scenario.comms else []
        else:
            members = [(c.id, arrival.get(c.arrives_with, math.inf))
                       for c in getattr(scenario, group)]
        lost = 0.0
        count = 0
        for cid, t_arr in members:
            t = max(t_arr, start)
            repeat = model.kind not in ("battery-cell-loss", "array-degradation")
            remaining = 1.0
            while True:
                t += float(rng.exponential(model.mtbf_years * SECONDS_PER_YEAR))
                if not t < stop:
                    break
                at = tdb_s_to_utc_iso(np.array([t]), 0)[0]
                faults.append(Fault(kind=model.kind, at=at, magnitude=model.magnitude,
                                    duration_h=model.duration_h, target=cid))
                count += 1
                lost += remaining * model.magnitude
                remaining *= 1.0 - model.magnitude
                if not repeat and remaining <= 0.0:
                    break
        inputs[f"in:failures.{group}"] = float(count)
        if model.magnitude:
            inputs[f"in:capacity_lost.{group}"] = lost / max(1, len(members))
    # the scenario's own faults: dated ones as they are, random ones with a fresh seed
    for i, f in enumerate(scenario.faults):
        if f.rate_per_yr is not None:
            f = f.model_copy(update={"seed": int(_rng(seed, trial, 3 + i).integers(2**31))})
        faults.append(f)
    job = Job(values=values, landings=landings, faults=tuple(faults), label=f"trial {trial}")
    return job, inputs


_GROUPS = ("solar_arrays", "rtgs", "fission_units", "batteries", "rfcs", "thermal.nodes",
           "thermal.rhus", "isru", "rovers")


@dataclass
class MonteCarloResult:
    """Per-trial rows (inputs drawn + KPIs) and their summary."""

    rows: list[dict[str, Any]]
    seed: int

    @property
    def n(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> np.ndarray:
        return np.array([row[name] for row in self.rows], dtype=float)

    @property
    def input_names(self) -> list[str]:
        return sorted({k for row in self.rows for k in row if k.startswith("in:")})

    def summary(self) -> dict[str, dict[str, float]]:
        """Per KPI: mean, P10/P50/P90 and the standard error of each (a probability for
        ``survival_ok``: the share of trials that survived)."""
        out = {}
        boot = np.random.default_rng(self.seed)
        idx = boot.integers(0, self.n, size=(BOOTSTRAP, self.n))
        for name in SUMMARY_KPIS:
            x = self.column(name)
            x = x[np.isfinite(x)]
            if x.size == 0:
                continue
            stats = {"mean": float(x.mean()),
                     "mean_se": float(x.std(ddof=1) / math.sqrt(x.size)) if x.size > 1
                     else math.nan}
            sample = x[idx % x.size]
            for q in QUANTILES:
                key = f"p{round(100 * q)}"
                stats[key] = float(np.quantile(x, q))
                stats[f"{key}_se"] = float(np.quantile(sample, q, axis=1).std(ddof=1))
            out[name] = stats
        return out

    def tornado(self, kpi: str, top: int = 8) -> list[dict[str, float]]:
        """The inputs that move ``kpi`` most: the KPI's mean among the trials with the
        input in its top decile minus that among the bottom decile (the swing), and the
        Spearman rank correlation; sorted by |swing|. Trials in which the KPI has no value
        (the minimum SOC before any battery has landed) are left out."""
        ok = np.isfinite(self.column(kpi))           # trials where the KPI has a value
        y = self.column(kpi)[ok]
        out = []
        for name in self.input_names:
            x = self.column(name)[ok]
            if y.size < 2 or np.ptp(x) == 0.0:
                continue
            order = np.argsort(x, kind="stable")
            k = max(1, y.size // 10)
            swing = float(y[order[-k:]].mean() - y[order[:k]].mean())
            rx = np.argsort(np.argsort(x, kind="stable"), kind="stable").astype(float)
            ry = np.argsort(np.argsort(y, kind="stable"), kind="stable").astype(float)
            rho = float(np.corrcoef(rx, ry)[0, 1]) if np.ptp(ry) > 0 else 0.0
            out.append({"input": name, "swing": swing, "spearman": rho,
                        "low": float(y[order[:k]].mean()), "high": float(y[order[-k:]].mean())})
        out.sort(key=lambda r: -abs(r["swing"]))
        return out[:top]

    def to_dict(self) -> dict[str, Any]:
        return {"trials": self.n, "seed": self.seed, "summary": self.summary(),
                "units": {k: KPI_UNITS[k] for k in SUMMARY_KPIS},
                "tornado": {k: self.tornado(k) for k in SUMMARY_KPIS if k != "survival_ok"}}


def montecarlo(scenario: Scenario, trials: int, seed: int = 0, *, dems=(),
               dispersions: Dispersions | None = None, out_dir: Path | None = None,
               scheduler: Any = None, progress: bool = True,
               series: bool = False) -> MonteCarloResult:
    """``trials`` full twin runs with dispersed inputs (see the module doc); with
    ``series``, each trial's binned time series in ``out_dir/series/trial-N.parquet``."""
    if not 1 <= trials <= 1_000_000:
        raise InputError("--trials", trials, "1 to 1,000,000 trials")
    disp = dispersions or load_dispersions()
    base = StudyBase.of(scenario, dems)
    slips = Slips.of(load_roadmap_for(base.scenario))
    span = base.span_tdb_s()
    jobs, drawn = [], {}
    for trial in range(trials):
        job, inputs = draw_trial(base.scenario, slips, disp, seed, trial, span)
        jobs.append(job)
        drawn[job.key] = inputs
    rows = run_jobs(base, jobs, out_dir=out_dir, scheduler=scheduler, progress=progress,
                    description="monte carlo", series=series)
    merged = [{"trial": i, **drawn[job.key], **row}
              for i, (job, row) in enumerate(zip(jobs, rows, strict=True))]
    return MonteCarloResult(merged, seed)
