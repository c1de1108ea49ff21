"""Histogram of the basic model's completion date from a schedule-risk result."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ilrs.campaign.dates import decimal_year, to_mjd
from ilrs.campaign.risk import RiskResult

__all__ = ["write_histogram"]


def write_histogram(result: RiskResult, out: str | Path) -> Path:
    """Write a PNG histogram (quarter-year bins) of basic-model completion; returns the path."""
    from matplotlib.figure import Figure

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    counts = result.counts[-1]
    days = result.inputs.first_mjd + np.arange(counts.size, dtype=float)
    years = np.asarray(decimal_year(days))
    used = counts > 0
    edges = np.arange(np.floor(years[used].min()), np.ceil(years[used].max()) + 0.25, 0.25)
    hist, _ = np.histogram(years, bins=edges, weights=counts / result.trials)
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax = fig.add_subplot()
    ax.bar(edges[:-1], hist, width=0.25, align="edge", color="#4c78a8")
    due = float(decimal_year(to_mjd(result.due)))
    ax.axvline(due, color="#e45756", lw=1.5,
               label=f"due {result.due}: P = {result.p_basic_by_due:.1%}")
    for name, iso in result.completion_percentiles((0.1, 0.5, 0.9)).items():
        ax.axvline(float(decimal_year(iso)), color="black", ls=":", lw=1)
        ax.text(float(decimal_year(iso)), ax.get_ylim()[1] * 0.95, f" {name}", fontsize=8)
    ax.set_xlabel("basic model complete (all of " + ", ".join(
        result.inputs.ids[i] for i in result.inputs.basic_columns) + " arrived), year")
    ax.set_ylabel("probability per quarter")
    ax.set_title(f"Schedule risk: {result.trials:,} trials, seed {result.seed}, "
                 f"slip widening x{result.widen:g}")
    ax.legend(fontsize=8)
    fig.savefig(out, dpi=110, metadata={"Software": None})
    return out
